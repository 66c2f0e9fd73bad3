/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/socket.h>

#include <rte_ip.h>

#include "core/dp.h"
#include "ip4/ip4.h"
#include "icmp/icmp4.h"
#include "icmp/icmp_rl.h"
#include "route/fib4.h"
#include "wire/wire.h"

/* RFC 1812 §4.3.2.3: an error carries as much of the original as fits in 576. */
#define ICMP4_ERR_MAX 576

struct icmp_worker icmp_workers[RS_MAX_WORKERS];

/* Linux's net.ipv4.icmp_ratemask default 0x1818: destination unreachable,
 * source quench, time exceeded and parameter problem are limited (echo
 * replies are not, nor anything icmp4_input answers). */
#define ICMP4_RATEMASK ((1u << ICMP4_DEST_UNREACH) | (1u << 4) | (1u << ICMP4_TIME_EXCEEDED) | \
			(1u << ICMP4_PARAM_PROBLEM))

static bool ratelimited_type(uint8_t type, uint8_t code)
{
	/* as Linux (icmpv4_mask_allow): never slow down path MTU discovery */
	if (type == ICMP4_DEST_UNREACH && code == ICMP4_UNREACH_FRAG_NEEDED)
		return false;
	return type < 32 && (ICMP4_RATEMASK >> type) & 1;
}

/*
 * The per-worker token bucket (Linux's icmp_msgs_per_sec / icmp_msgs_burst),
 * in nanoseconds of credit: one message costs 1e9/rate ns. Refilled and
 * looked at here; the token is taken by global_consume() only once the
 * per-destination limit let the message through, so that what that limit
 * refuses costs other destinations nothing (Linux does the same since
 * "icmp: change the order of rate limits").
 */
static uint64_t global_cost(void)
{
	return 1000000000ull / (rs_dp.params.icmp_rate ? rs_dp.params.icmp_rate : 1);
}

static bool global_allow(struct rs_worker *w)
{
	const uint64_t cost = global_cost();
	const uint64_t cap = cost * (rs_dp.params.icmp_burst ? rs_dp.params.icmp_burst : 1);
	struct icmp_worker *iw = &icmp_workers[w->idx];
	uint64_t now = w->now_ns;
	if (iw->last_ns == 0)
		iw->tokens_ns = cap;
	else
		iw->tokens_ns += now - iw->last_ns;
	if (iw->tokens_ns > cap)
		iw->tokens_ns = cap;
	iw->last_ns = now;
	return iw->tokens_ns >= cost;
}

static void global_consume(struct rs_worker *w)
{
	icmp_workers[w->idx].tokens_ns -= global_cost();
}

/* Both limits, in Linux's order: the global bucket must have a token, then
 * the destination's own bucket (icmp_ratelimit, lib/icmp/icmp_rl.h) must
 * allow it, then the global token is taken. */
bool icmp_ratelimit_ok(struct rs_worker *w, uint8_t family, const void *addr, uint8_t alen)
{
	if (!global_allow(w)) {
		icmp_workers[w->idx].global_limited++;
		return false;
	}
	if (icmp_workers[w->idx].rl != NULL &&
	    !icmp_rl_allow(icmp_workers[w->idx].rl, family, addr, alen, w->now_ns))
		return false;
	global_consume(w);
	return true;
}

static bool ratelimit_ok(struct rs_worker *w, uint32_t dst)
{
	uint8_t a[4];
	rs_st32(a, dst);
	return icmp_ratelimit_ok(w, AF_INET, a, sizeof(a));
}

struct rte_mbuf *icmp4_error_build(struct rs_worker *w, struct rte_mbuf *orig, uint8_t type,
				   uint8_t code, uint32_t info, int *why)
{
	const uint8_t *b = rte_pktmbuf_mtod(orig, const uint8_t *);
	struct ip4_view v;
	struct rs_priv *op = rs_priv(orig);

	*why = 1;
	/* the header is contiguous (ip4_input checked it in the first
	 * segment); the datagram may be a chain (reassembled) */
	if (orig->data_len < IP4_HLEN || (uint32_t)(b[0] & 0xf) * 4 > orig->data_len ||
	    ip4_check(&v, b, orig->pkt_len) < 0)
		return NULL;
	uint32_t src = ip4_src(&v), dst = ip4_dst(&v);
	/* RFC 1122 §3.2.2: never about a non-first fragment ... */
	if (ip4_frag(&v) & IP4_OFFMASK)
		return NULL;
	/* ... a broadcast or multicast datagram ... */
	if (op->flags & (RS_PF_L2_BCAST | RS_PF_LOCAL_BCAST))
		return NULL;
	if (ip4_is_mcast(dst) || ip4_is_bcast_all(dst))
		return NULL;
	/* ... a source that does not define a single host (127/8 is one
	 * when the datagram never left us: loopback) ... */
	bool loop = (op->flags & RS_PF_LOOPBACK) != 0;
	if ((ip4_src_is_martian(src) && !(loop && (src >> 24) == 127)) || ip4_is_bcast_all(src))
		return NULL;
	/* ... or an ICMP error (unknown types count as errors, RFC 1812 §4.3.2.7) */
	if (ip4_proto(&v) == IPPROTO_ICMP_) {
		uint8_t tb;
		const uint8_t *t = rte_pktmbuf_read(orig, v.hlen, 1, &tb);
		if (t == NULL || !icmp4_type_is_known_query(*t))
			return NULL;
	}
	/* ... nor to a broadcast address of ours (RFC 1122 §3.2.2) */
	uint32_t snh = fib4_lookup(src);
	if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_BROADCAST)
		return NULL;
	if (!loop && ratelimited_type(type, code) && !ratelimit_ok(w, src)) {
		*why = 2;
		return NULL;
	}

	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL) {
		*why = 3;
		return NULL;
	}
	uint32_t qlen = orig->pkt_len;
	if (qlen > ICMP4_ERR_MAX - IP4_HLEN - ICMP4_HLEN)
		qlen = ICMP4_ERR_MAX - IP4_HLEN - ICMP4_HLEN;
	uint16_t tot = (uint16_t)(IP4_HLEN + ICMP4_HLEN + qlen);
	uint8_t *h = (uint8_t *)rte_pktmbuf_append(m, tot);
	if (h == NULL) {
		rte_pktmbuf_free(m);
		*why = 3;
		return NULL;
	}
	uint8_t *ic = h + IP4_HLEN;
	const void *q = rte_pktmbuf_read(orig, 0, qlen, ic + ICMP4_HLEN);
	if (q != ic + ICMP4_HLEN)
		memcpy(ic + ICMP4_HLEN, q, qlen);
	ic[0] = type;
	ic[1] = code;
	rs_st16(ic + 2, 0);
	if (type == ICMP4_DEST_UNREACH && code == ICMP4_UNREACH_FRAG_NEEDED)
		rs_st32(ic + 4, info & 0xffff); /* RFC 1191 §4: next-hop MTU */
	else if (type == ICMP4_PARAM_PROBLEM)
		rs_st32(ic + 4, info << 24);    /* RFC 792: pointer */
	else
		rs_st32(ic + 4, 0);
	rs_st16(ic + 2, rs_csum(ic, (size_t)ICMP4_HLEN + qlen));

	/* Source: the address the original was sent to when it is ours,
	 * else our address on the link it came in on (RFC 1812 §4.3.2.4). */
	uint32_t from = 0;
	uint32_t nh = fib4_lookup(dst);
	if (nh != FIB4_NH_NONE && fib4_nh(nh)->type == RT_LOCAL)
		from = dst;
	else if (op->iface < RS_MAX_IFACES)
		from = rs_iface_src_for(&w->cfg->ifaces[op->iface], src);
	/* RFC 1812 §4.3.2.5: precedence 6 (internetwork control) */
	ip4_write(h, 0xc0, tot, ip4_next_id(w), 0, 64, IPPROTO_ICMP_, from, src);
	struct rs_priv *p = rs_priv(m);
	p->flags = 0;
	p->iface = op->iface;
	p->nh_ip = 0;
	*why = 0;
	return m;
}
