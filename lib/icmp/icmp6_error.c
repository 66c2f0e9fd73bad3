/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMPv6 error messages (RFC 4443 §2.4, §3). See icmp6.h. */
#include <sys/socket.h>

#include "core/dp.h"
#include "icmp/icmp4.h"
#include "icmp/icmp6.h"
#include "ip6/ip6.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

/*
 * Follows the chain by structure only (next header and length, whatever
 * the options say: the error may be about them) to the upper layer. True
 * when that is not an ICMPv6 error message; false when it is one or the
 * chain cannot be followed within len (bounded by IP6_EXT_MAX headers).
 */
static bool upper_is_not_error(const uint8_t *b, uint32_t len)
{
	uint8_t nh = b[6];
	uint32_t off = IP6_HLEN;
	for (int n = 0; n <= IP6_EXT_MAX; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_AH_:
		{
			if (off + 2 > len)
				return false;
			uint32_t hl = nh == IPPROTO_AH_ ? (b[off + 1] + 2u) * 4 : (b[off + 1] + 1u) * 8;
			nh = b[off];
			off += hl;
			break;
		}
		default:
			goto upper;
		}
	}
	return false;
upper:
	if (nh == IPPROTO_FRAGMENT_) {
		if (off + IP6_FRAG_HLEN > len)
			return false;
		/* a non-first fragment: its upper layer is unknown; the
		 * error is about the fragment, which is no ICMPv6 error */
		if (ip6_frag_offset(b + off) != 0)
			return true;
		nh = b[off];
		off += IP6_FRAG_HLEN;
		if (nh != IPPROTO_ICMPV6_)
			return true;
	}
	if (nh != IPPROTO_ICMPV6_)
		return true;
	return off < len && !icmp6_type_is_error(b[off]);
}

struct rte_mbuf *icmp6_error_build(struct rs_worker *w, struct rte_mbuf *orig, uint8_t type,
				   uint8_t code, uint32_t info, bool mcast_ok)
{
	const uint8_t *b = rte_pktmbuf_mtod(orig, const uint8_t *);
	struct rs_priv *op = rs_priv(orig);
	if (orig->data_len < IP6_HLEN)
		return NULL;
	const uint8_t *src = ip6_src(b), *dst = ip6_dst(b);
	/* (e.3), (e.4): not to multicast, link-layer multicast either */
	if (!mcast_ok && (ip6_is_mcast(dst) || (op->flags & RS_PF_L2_BCAST)))
		return NULL;
	/* (e.6): a source that does not identify one node */
	if (ip6_is_unspec(src) || ip6_is_mcast(src))
		return NULL;
	/* (e.1): never about an ICMPv6 error (a chain we cannot follow
	 * counts as one: we cannot tell) */
	if (!upper_is_not_error(b, orig->data_len))
		return NULL;
	bool loop = (op->flags & RS_PF_LOOPBACK) != 0;
	if (!loop && type != ICMP6_PKT_TOO_BIG && !icmp_ratelimit_ok(w, AF_INET6, src, 16))
		return NULL;

	/* source: the address the original was sent to when it is ours,
	 * else our address on the link it came in on (§2.2) */
	const uint8_t *from = NULL;
	uint32_t nh = ip6_is_mcast(dst) ? FIB6_NH_NONE : fib6_lookup(dst);
	if (nh != FIB6_NH_NONE && fib6_nh(nh)->type == RT_LOCAL)
		from = dst;
	else if (op->iface < RS_MAX_IFACES)
		from = ip6_iface_src(&w->cfg->ifaces[op->iface], src);
	if (from == NULL)
		return NULL;

	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return NULL;
	uint32_t qlen = orig->pkt_len;
	if (qlen > IP6_MIN_MTU - IP6_HLEN - ICMP6_HLEN)
		qlen = IP6_MIN_MTU - IP6_HLEN - ICMP6_HLEN;
	uint16_t len = (uint16_t)(ICMP6_HLEN + qlen);
	uint8_t *h = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(IP6_HLEN + len));
	if (h == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	uint8_t *ic = h + IP6_HLEN;
	const void *q = rte_pktmbuf_read(orig, 0, qlen, ic + ICMP6_HLEN);
	if (q != ic + ICMP6_HLEN)
		memcpy(ic + ICMP6_HLEN, q, qlen);
	ic[0] = type;
	ic[1] = code;
	rs_st16(ic + 2, 0);
	rs_st32(ic + 4, type == ICMP6_PKT_TOO_BIG || type == ICMP6_PARAM_PROB ? info : 0);
	ip6_write(h, 0, 0, len, IPPROTO_ICMPV6_, IP6_DEFAULT_HLIM, from, src);
	uint32_t s = rs_csum_pseudo6(from, src, IPPROTO_ICMPV6_, len);
	rs_st16(ic + 2, rs_csum_fold(rs_csum_add(s, ic, len)));
	struct rs_priv *p = rs_priv(m);
	p->flags = RS_PF_IFACE_SET;
	p->iface = op->iface;
	p->nh = FIB6_NH_NONE;
	return m;
}
