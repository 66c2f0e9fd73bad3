/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_ip.h>

#include "core/dp.h"
#include "ip4/ip4.h"
#include "icmp/icmp4.h"
#include "route/fib4.h"
#include "wire/wire.h"

/* RFC 1812 §4.3.2.3: an error carries as much of the original as fits in 576. */
#define ICMP4_ERR_MAX 576

struct icmp_worker icmp_workers[RS_MAX_WORKERS];

/* Token bucket in nanoseconds of credit: one message costs 1e9/rate ns. */
static bool ratelimit_ok(struct rs_worker *w)
{
	struct icmp_worker *iw = &icmp_workers[w->idx];
	const uint64_t cost = 1000000000ull / (rs_dp.params.icmp_rate ? rs_dp.params.icmp_rate : 1);
	const uint64_t cap = cost * (rs_dp.params.icmp_burst ? rs_dp.params.icmp_burst : 1);
	uint64_t now = w->now_ns;
	if (iw->last_ns == 0)
		iw->tokens_ns = cap;
	else
		iw->tokens_ns += now - iw->last_ns;
	if (iw->tokens_ns > cap)
		iw->tokens_ns = cap;
	iw->last_ns = now;
	if (iw->tokens_ns < cost)
		return false;
	iw->tokens_ns -= cost;
	return true;
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
	/* Linux (icmpv4_xrlim_allow): no rate limit on loopback */
	if (!loop && !ratelimit_ok(w)) {
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
