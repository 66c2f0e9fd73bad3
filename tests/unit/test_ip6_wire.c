/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 views and the extension header walk (lib/wire/ip6_wire.h,
 * ip6_ext.c): good packets, every truncation (buffers malloc'd at their
 * exact length so ASan sees an over-read), each option action (RFC 8200
 * §4.2), Hop-by-Hop not first (§4.3), routing headers (§4.4, RFC 5095),
 * atomic fragments (RFC 6946), the chain bound, and ND option parsing.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "wire/ip6_wire.h"

static uint8_t *dup_exact(const void *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	cr_assert_not_null(p);
	memcpy(p, src, n);
	return p;
}

static const uint8_t SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t DST[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/* An IPv6 header with next header nh followed by the given payload. */
static size_t mk(uint8_t *buf, uint8_t nh, const uint8_t *pl, size_t plen)
{
	ip6_write(buf, 0, 0, (uint16_t)plen, nh, 64, SRC, DST);
	memcpy(buf + IP6_HLEN, pl, plen);
	return IP6_HLEN + plen;
}

Test(ip6, check_good_and_every_truncation)
{
	uint8_t pkt[IP6_HLEN + 8];
	const uint8_t udp[8] = { 0x12, 0x34, 0x00, 0x35, 0x00, 0x08, 0, 0 };
	size_t n = mk(pkt, IPPROTO_UDP_, udp, sizeof(udp));
	struct ip6_view v = { 0 };
	uint8_t *p = dup_exact(pkt, n);
	cr_assert_eq(ip6_check(&v, p, n), 0);
	cr_expect_eq(v.plen, 8);
	cr_expect_eq(ip6_nexthdr(v.b), IPPROTO_UDP_);
	cr_expect_eq(ip6_hop_limit(v.b), 64);
	cr_expect(memcmp(ip6_src(v.b), SRC, 16) == 0);
	cr_expect(memcmp(ip6_dst(v.b), DST, 16) == 0);
	free(p);
	for (size_t l = 0; l < n; l++) {
		p = dup_exact(pkt, l);
		int rc = ip6_check(&v, p, l);
		cr_expect_eq(rc, l < IP6_HLEN ? WIRE_ETRUNC : WIRE_ETOTLEN, "len %zu", l);
		cr_expect_eq(ip6_check_quote(&v, p, l), l < IP6_HLEN ? WIRE_ETRUNC : 0);
		free(p);
	}
}

Test(ip6, check_version_and_jumbo)
{
	uint8_t pkt[IP6_HLEN + 8] = { 0 };
	size_t n = mk(pkt, IPPROTO_NONE_, (const uint8_t[8]){ 0 }, 8);
	struct ip6_view v = { 0 };
	pkt[0] = 0x45;
	cr_expect_eq(ip6_check(&v, pkt, n), WIRE_EVERSION);
	pkt[0] = 0x60;
	rs_st16(pkt + 4, 0);
	pkt[6] = IPPROTO_HOPOPTS_;
	cr_expect_eq(ip6_check(&v, pkt, n), WIRE_ETOTLEN);
	pkt[6] = IPPROTO_NONE_;
	cr_expect_eq(ip6_check(&v, pkt, n), 0); /* padding beyond the payload is allowed */
	cr_expect_eq(v.plen, 0);
}

Test(ip6, addr_predicates)
{
	uint8_t a[16] = { 0xfe, 0x80, [15] = 1 }, sn[16], mac[6];
	cr_expect(ip6_is_linklocal(a));
	cr_expect(!ip6_is_mcast(a));
	a[1] = 0xc0;
	cr_expect(!ip6_is_linklocal(a)); /* fec0::/10 is not fe80::/10 */
	const uint8_t g[16] = { 0x20, 0x01, 0x0d, 0xb8, [13] = 0xab, 0xcd, 0xef };
	ip6_solicited_node(sn, g);
	const uint8_t want[16] = { 0xff, 0x02, [11] = 1, 0xff, 0xab, 0xcd, 0xef };
	cr_expect(memcmp(sn, want, 16) == 0);
	cr_expect(ip6_is_solicited_node(sn));
	ip6_mcast_mac(mac, sn);
	const uint8_t wmac[6] = { 0x33, 0x33, 0xff, 0xab, 0xcd, 0xef };
	cr_expect(memcmp(mac, wmac, 6) == 0);
	const uint8_t an[16] = { 0xff, 0x02, [15] = 1 };
	cr_expect(ip6_is_all_nodes(an));
	cr_expect(ip6_is_loopback((const uint8_t[16]){ [15] = 1 }));
	cr_expect(ip6_is_unspec((const uint8_t[16]){ 0 }));
	cr_expect(ip6_is_v4mapped((const uint8_t[16]){ [10] = 0xff, 0xff, 10, 0, 0, 1 }));
	uint8_t x[16], y[16];
	memset(x, 0xff, 16);
	ip6_prefix_mask(x, 65);
	cr_expect_eq(x[7], 0xff);
	cr_expect_eq(x[8], 0x80);
	cr_expect_eq(x[9], 0);
	memcpy(y, x, 16);
	y[8] = 0xc0;
	cr_expect(ip6_prefix_eq(x, y, 65));
	cr_expect(!ip6_prefix_eq(x, y, 66));
}

Test(ip6, pseudo_header_checksum)
{
	/* scapy: IPv6(src="2001:db8::2",dst="2001:db8::1")/ICMPv6EchoRequest(id=1,seq=1)
	 * (scapy 2.x) gives cksum 0x2446 */
	uint8_t icmp[8] = { 128, 0, 0, 0, 0, 1, 0, 1 };
	uint32_t s = rs_csum_pseudo6(SRC, DST, IPPROTO_ICMPV6_, 8);
	uint16_t c = rs_csum_fold(rs_csum_add(s, icmp, 8));
	rs_st16(icmp + 2, c);
	/* the filled-in message verifies */
	cr_expect_eq(rs_csum_fold(rs_csum_add(s, icmp, 8)), 0);
	cr_expect_eq(c, 0x2446, "got %#x", c);
}

/* walk of a chain given as raw payload bytes */
static enum ip6_ext_verdict walk(uint8_t nh, const uint8_t *pl, size_t plen, bool hbh_only,
				 struct ip6_chain *x)
{
	uint8_t buf[IP6_HLEN + 512];
	size_t n = mk(buf, nh, pl, plen);
	uint8_t *p = dup_exact(buf, n);
	enum ip6_ext_verdict r = ip6_ext_walk(p, n, hbh_only, x);
	free(p);
	return r;
}

Test(ip6_ext, no_extension_headers)
{
	struct ip6_chain x;
	cr_expect_eq(walk(IPPROTO_UDP_, (const uint8_t[8]){ 0 }, 8, false, &x), IP6X_OK);
	cr_expect_eq(x.proto, IPPROTO_UDP_);
	cr_expect_eq(x.off, IP6_HLEN);
	cr_expect_eq(x.nh_off, 6);
	cr_expect_eq(x.nhdrs, 0);
}

/* HBH(PadN 4) -> DST(Pad1 x6) -> RH(type 0, segments left 0) -> UDP */
static const uint8_t chain[] = {
	IPPROTO_DSTOPTS_, 0, 1, 4, 0, 0, 0, 0,
	IPPROTO_ROUTING_, 0, 0, 0, 0, 0, 0, 0,
	IPPROTO_UDP_, 0, 0, 0, 0, 0, 0, 0,
	0x12, 0x34, 0, 53, 0, 8, 0, 0,
};

Test(ip6_ext, chain_and_every_truncation)
{
	struct ip6_chain x;
	cr_assert_eq(walk(IPPROTO_HOPOPTS_, chain, sizeof(chain), false, &x), IP6X_OK);
	cr_expect_eq(x.proto, IPPROTO_UDP_);
	cr_expect_eq(x.off, IP6_HLEN + 24);
	cr_expect_eq(x.nh_off, IP6_HLEN + 16);
	cr_expect_eq(x.nhdrs, 3);
	/* truncated anywhere inside the extension headers: TRUNC, never a read
	 * beyond the buffer; once the headers are whole, the upper layer is
	 * the caller's business */
	uint8_t buf[IP6_HLEN + sizeof(chain)];
	size_t n = mk(buf, IPPROTO_HOPOPTS_, chain, sizeof(chain));
	for (size_t l = 0; l <= n; l++) {
		uint8_t *p = dup_exact(buf, l);
		enum ip6_ext_verdict r = ip6_ext_walk(p, l, false, &x);
		cr_expect_eq(r, l < IP6_HLEN + 24 ? IP6X_TRUNC : IP6X_OK, "len %zu", l);
		r = ip6_ext_walk(p, l, true, &x);
		cr_expect_eq(r, l < IP6_HLEN + 8 ? IP6X_TRUNC : IP6X_OK, "hbh len %zu", l);
		free(p);
	}
}

Test(ip6_ext, hbh_only_stops_after_hbh)
{
	struct ip6_chain x;
	cr_assert_eq(walk(IPPROTO_HOPOPTS_, chain, sizeof(chain), true, &x), IP6X_OK);
	cr_expect_eq(x.proto, IPPROTO_DSTOPTS_);
	cr_expect_eq(x.off, IP6_HLEN + 8);
	/* a routing header with segments left is not a router's business */
	const uint8_t rh[] = { IPPROTO_UDP_, 0, 0, 1, 0, 0, 0, 0 };
	cr_expect_eq(walk(IPPROTO_ROUTING_, rh, sizeof(rh), true, &x), IP6X_OK);
	cr_expect_eq(x.proto, IPPROTO_ROUTING_);
}

Test(ip6_ext, hbh_not_first)
{
	const uint8_t c[] = { IPPROTO_HOPOPTS_, 0, 1, 4, 0, 0, 0, 0,
			      IPPROTO_UDP_, 0, 1, 4, 0, 0, 0, 0 };
	struct ip6_chain x;
	cr_expect_eq(walk(IPPROTO_DSTOPTS_, c, sizeof(c), false, &x), IP6X_PARAM);
	cr_expect_eq(x.code, ICMP6_PARAM_NEXTHDR);
	cr_expect_eq(x.pointer, IP6_HLEN); /* the next header byte naming 0 */
}

/* one option of type t (2 data bytes) in a HBH header, then No Next Header */
static enum ip6_ext_verdict opt(uint8_t t, bool dstopts, struct ip6_chain *x)
{
	const uint8_t h[8] = { IPPROTO_NONE_, 0, t, 2, 0, 0, 1, 0 };
	return walk(dstopts ? IPPROTO_DSTOPTS_ : IPPROTO_HOPOPTS_, h, 8, false, x);
}

Test(ip6_ext, unknown_option_actions)
{
	struct ip6_chain x;
	for (int d = 0; d < 2; d++) {
		cr_expect_eq(opt(0x1e, d, &x), IP6X_OK, "00: skip");
		cr_expect_eq(x.proto, IPPROTO_NONE_);
		cr_expect_eq(opt(0x5e, d, &x), IP6X_DISCARD, "01: discard");
		cr_expect_eq(opt(0x9e, d, &x), IP6X_PARAM, "10: param problem");
		cr_expect_eq(x.code, ICMP6_PARAM_OPTION);
		cr_expect_eq(x.pointer, IP6_HLEN + 2);
		cr_expect_eq(opt(0xde, d, &x), IP6X_PARAM_UCAST, "11: unless multicast");
		cr_expect_eq(x.pointer, IP6_HLEN + 2);
	}
	/* Router Alert is known in Hop-by-Hop */
	cr_expect_eq(opt(0x05, false, &x), IP6X_OK);
	cr_expect(x.router_alert);
}

Test(ip6_ext, option_overrunning_its_header)
{
	/* PadN claims 9 bytes in an 8-byte header */
	const uint8_t h[8] = { IPPROTO_NONE_, 0, 1, 7, 0, 0, 0, 0 };
	struct ip6_chain x;
	cr_expect_eq(walk(IPPROTO_HOPOPTS_, h, 8, false, &x), IP6X_PARAM);
	cr_expect_eq(x.code, ICMP6_PARAM_HEADER);
	cr_expect_eq(x.pointer, IP6_HLEN + 3);
	/* a lone type byte at the end */
	const uint8_t h2[8] = { IPPROTO_NONE_, 0, 0, 0, 0, 0, 0, 0x1e };
	cr_expect_eq(walk(IPPROTO_HOPOPTS_, h2, 8, false, &x), IP6X_PARAM);
	cr_expect_eq(x.pointer, IP6_HLEN + 7);
}

Test(ip6_ext, routing_header_rh0_not_processed)
{
	/* RH0 with segments left 1 and one address: RFC 5095 */
	uint8_t rh[24] = { IPPROTO_UDP_, 2, 0, 1 };
	struct ip6_chain x;
	cr_expect_eq(walk(IPPROTO_ROUTING_, rh, sizeof(rh), false, &x), IP6X_PARAM);
	cr_expect_eq(x.code, ICMP6_PARAM_HEADER);
	cr_expect_eq(x.pointer, IP6_HLEN + 2);
	/* segments left 0: ignored, whatever the type */
	rh[3] = 0;
	rh[2] = 4;
	cr_expect_eq(walk(IPPROTO_ROUTING_, rh, sizeof(rh), false, &x), IP6X_OK);
	cr_expect_eq(x.proto, IPPROTO_UDP_);
}

Test(ip6_ext, fragments)
{
	struct ip6_chain x;
	/* atomic: offset 0, M 0 — skipped (RFC 6946) */
	const uint8_t af[16] = { IPPROTO_UDP_, 0, 0, 0, 0, 0, 0, 7 };
	cr_expect_eq(walk(IPPROTO_FRAGMENT_, af, sizeof(af), false, &x), IP6X_OK);
	cr_expect(x.atomic_frag);
	cr_expect_eq(x.frag_off, 0);
	cr_expect_eq(x.proto, IPPROTO_UDP_);
	cr_expect_eq(x.off, IP6_HLEN + 8);
	/* first fragment: the walk stops at the fragment header */
	const uint8_t ff[16] = { IPPROTO_UDP_, 0, 0, 1, 0, 0, 0, 7 };
	cr_expect_eq(walk(IPPROTO_FRAGMENT_, ff, sizeof(ff), false, &x), IP6X_OK);
	cr_expect_eq(x.frag_off, IP6_HLEN);
	cr_expect_eq(x.proto, IPPROTO_FRAGMENT_);
	const uint8_t lf[16] = { IPPROTO_UDP_, 0, 0x05, 0x00, 0, 0, 0, 7 };
	cr_expect_eq(walk(IPPROTO_FRAGMENT_, lf, sizeof(lf), false, &x), IP6X_OK);
	cr_expect_eq(x.frag_off, IP6_HLEN);
	cr_expect_eq(ip6_frag_offset(lf), 0x500);
	cr_expect(!ip6_frag_more(lf));
	cr_expect_eq(ip6_frag_id(ff), 7);
}

Test(ip6_ext, chain_bound)
{
	uint8_t c[8 * (IP6_EXT_MAX + 1)];
	for (int i = 0; i < IP6_EXT_MAX + 1; i++) {
		uint8_t *h = c + 8 * i;
		memset(h, 0, 8);
		h[0] = i == IP6_EXT_MAX ? IPPROTO_NONE_ : IPPROTO_DSTOPTS_;
		h[2] = 1;
		h[3] = 4;
	}
	struct ip6_chain x;
	cr_expect_eq(walk(IPPROTO_DSTOPTS_, c, 8 * IP6_EXT_MAX, false, &x), IP6X_TRUNC);
	c[8 * (IP6_EXT_MAX - 1)] = IPPROTO_NONE_;
	cr_expect_eq(walk(IPPROTO_DSTOPTS_, c, 8 * IP6_EXT_MAX, false, &x), IP6X_OK);
	cr_expect_eq(x.nhdrs, IP6_EXT_MAX);
	c[8 * (IP6_EXT_MAX - 1)] = IPPROTO_DSTOPTS_;
	cr_expect_eq(walk(IPPROTO_DSTOPTS_, c, sizeof(c), false, &x), IP6X_TOO_LONG);
}

Test(ip6_ext, random_never_overreads)
{
	uint64_t s = 0x1234567;
	for (int it = 0; it < 20000; it++) {
		uint8_t buf[IP6_HLEN + 64];
		for (size_t i = 0; i < sizeof(buf); i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			buf[i] = (uint8_t)s;
		}
		static const uint8_t nhs[] = { 0, 43, 44, 51, 60, 17, 59 };
		for (size_t i = 6; i < sizeof(buf); i += 8)
			buf[i == 6 ? 6 : i - 6] = nhs[(buf[i] >> 1) % 7];
		for (size_t i = IP6_HLEN + 1; i < sizeof(buf); i += 8)
			buf[i] &= 3; /* short header lengths, so chains happen */
		size_t l = s % sizeof(buf);
		uint8_t *p = dup_exact(buf, l);
		struct ip6_chain x;
		enum ip6_ext_verdict r = ip6_ext_walk(p, l, it & 1, &x);
		if (r == IP6X_OK)
			cr_assert_leq(x.off, l);
		if (r == IP6X_PARAM || r == IP6X_PARAM_UCAST)
			cr_assert_lt(x.pointer, l);
		free(p);
	}
}

Test(nd, ns_and_every_truncation)
{
	/* NS for 2001:db8::1 with a source link-layer address option */
	uint8_t ns[32] = { ND_NEIGHBOR_SOLICIT, 0, 0, 0, 0, 0, 0, 0,
			   0x20, 0x01, 0x0d, 0xb8, [23] = 1,
			   ND_OPT_SRC_LLADDR, 1, 0x02, 0, 0, 0, 0, 0x2 };
	struct nd_view v;
	uint8_t *p = dup_exact(ns, sizeof(ns));
	cr_assert_eq(nd_check(&v, p, sizeof(ns)), 0);
	cr_expect_not_null(v.lladdr);
	cr_expect_eq(v.lladdr[5], 2);
	cr_expect_eq(nd_target(&v)[15], 1);
	free(p);
	for (size_t l = 0; l < sizeof(ns); l++) {
		p = dup_exact(ns, l);
		int rc = nd_check(&v, p, l);
		if (l < ND_NS_LEN)
			cr_expect_eq(rc, WIRE_ETRUNC, "len %zu", l);
		else if (l == ND_NS_LEN)
			cr_expect(rc == 0 && v.lladdr == NULL);
		else
			cr_expect_eq(rc, WIRE_EFORMAT, "len %zu", l);
		free(p);
	}
	/* an option of length 0 would loop forever: rejected */
	ns[25] = 0;
	cr_expect_eq(nd_check(&v, ns, sizeof(ns)), WIRE_EFORMAT);
	/* NA wants the target option, not the source one */
	ns[0] = ND_NEIGHBOR_ADVERT;
	ns[25] = 1;
	cr_expect_eq(nd_check(&v, ns, sizeof(ns)), 0);
	cr_expect_null(v.lladdr);
	ns[24] = ND_OPT_TGT_LLADDR;
	cr_expect_eq(nd_check(&v, ns, sizeof(ns)), 0);
	cr_expect_not_null(v.lladdr);
}

/* ---- MLD queries (RFC 3810 §5.1, §8.1) ---- */

static size_t mk_query(uint8_t *q, bool v2, uint16_t nsrc)
{
	size_t n = v2 ? MLD2_QUERY_LEN + (size_t)nsrc * 16 : MLD1_QUERY_LEN;
	memset(q, 0, n);
	q[0] = ICMP6_MLD_QUERY;
	q[8] = 0xff;
	q[9] = 0x0e;
	q[23] = 0x42;
	if (v2) {
		q[26] = (uint8_t)(nsrc >> 8);
		q[27] = (uint8_t)nsrc;
	}
	return n;
}

Test(mld, query_versions_and_every_truncation)
{
	uint8_t q[MLD2_QUERY_LEN + 3 * 16];
	struct mld_query_view v;
	/* MLDv1: exactly 24 bytes */
	size_t n = mk_query(q, false, 0);
	uint8_t *p = dup_exact(q, n);
	cr_assert_eq(mld_query_check(&v, p, n), 0);
	cr_assert(!v.v2);
	cr_assert_eq(mld_query_group(&v)[0], 0xff);
	cr_assert_eq(mld_query_group(&v)[15], 0x42);
	free(p);
	/* MLDv2 with three sources, then every shorter length */
	n = mk_query(q, true, 3);
	for (size_t len = 0; len <= n; len++) {
		p = dup_exact(q, len);
		int rc = mld_query_check(&v, p, len);
		if (len == n) {
			cr_assert_eq(rc, 0);
			cr_assert(v.v2);
			cr_assert_eq(v.nsrc, 3);
		} else if (len == MLD1_QUERY_LEN) {
			cr_assert_eq(rc, 0, "24 bytes is an MLDv1 query");
			cr_assert(!v.v2);
		} else {
			cr_assert_neq(rc, 0, "length %zu accepted", len);
		}
		free(p);
	}
	/* 25..27 bytes: neither version (§8.1: ignored) */
	for (size_t len = 25; len < MLD2_QUERY_LEN; len++) {
		p = dup_exact(q, len);
		cr_assert_eq(mld_query_check(&v, p, len), WIRE_EFORMAT);
		free(p);
	}
	/* a source count that runs past the message */
	n = mk_query(q, true, 1);
	q[27] = 0xff;
	q[26] = 0xff;
	p = dup_exact(q, n);
	cr_assert_eq(mld_query_check(&v, p, n), WIRE_EFORMAT);
	free(p);
}
