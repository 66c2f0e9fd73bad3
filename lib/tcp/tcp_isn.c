/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keyed hashes of a connection's 4-tuple: the initial sequence number
 * (RFC 6528) and the timestamp offset (RFC 7323 §5.4, as Linux's
 * secure_tcp_ts_off: per path, so a host's timestamps reveal nothing about
 * its uptime or other connections).
 */
#include "tcp_impl.h"

#include <sys/socket.h>

uint64_t
tcp_tuple_hash(const struct rs_siphash_key *k, const struct tcp_tuple *t, uint64_t extra)
{
	uint8_t m[16 + 16 + 2 + 2 + 1 + 8];
	size_t alen = t->family == AF_INET6 ? 16 : 4;
	size_t n = 0;

	memcpy(m + n, t->laddr, alen);
	n += alen;
	memcpy(m + n, t->raddr, alen);
	n += alen;
	m[n++] = (uint8_t)(t->lport >> 8);
	m[n++] = (uint8_t)t->lport;
	m[n++] = (uint8_t)(t->rport >> 8);
	m[n++] = (uint8_t)t->rport;
	m[n++] = t->family;
	for (int i = 0; i < 8; i++)
		m[n++] = (uint8_t)(extra >> (8 * i));
	return rs_siphash24(k, m, n);
}

/*
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 microseconds. F is SipHash-2-4 (the
 * RFC suggests MD5; SipHash is a PRF with a 128-bit key, as Linux uses).
 * Successive connections of one tuple get increasing ISNs (the clock), so
 * old duplicates of an earlier incarnation fall outside the new window.
 */
uint32_t
tcp_isn(const struct tcp_ctx *x, const struct tcp_tuple *t, uint64_t now_ns)
{
	uint32_t f = (uint32_t)tcp_tuple_hash(&x->isn_key, t, 0);

	return f + (uint32_t)(now_ns / 4000);
}

/* Linux's secure_tcp_ts_off hashes the addresses only: every connection
 * between two hosts shares one timestamp clock, which RFC 6191 reuse of
 * TIME-WAIT depends on (a new SYN's timestamp must exceed the old one's). */
uint32_t
tcp_ts_offset(const struct tcp_ctx *x, const struct tcp_tuple *t)
{
	struct tcp_tuple a = *t;

	a.lport = 0;
	a.rport = 0;
	return (uint32_t)tcp_tuple_hash(&x->ts_key, &a, 1);
}

uint16_t
tcp_default_mss(uint8_t family)
{
	/* RFC 9293 §3.7.1: 536 when no MSS option (IPv4); RFC 8200 §5's
	 * 1280 minimum MTU less 60 for IPv6 (Linux's IPV6_MIN_MTU - hdrs) */
	return family == AF_INET6 ? 1220 : 536;
}
