/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_forward (RFC 1812 §5.2-5.3): datagrams for other hosts, received on a
 * link with forwarding on. Route lookup (ECMP member chosen by a flow hash so
 * one flow keeps one path), TTL decrement with the RFC 1624 incremental
 * checksum update, and the ICMP errors a router owes: Time Exceeded,
 * Destination Unreachable (net, host, administratively prohibited) and
 * Fragmentation Needed with the next-hop MTU (RFC 1191). Never forwards
 * link-local (RFC 3927 §2.7) or link-layer broadcast datagrams, or datagrams
 * claiming one of our addresses as source.
 * Input: data at a validated IPv4 header. Consumes every packet.
 */
#include <rte_hash_crc.h>

#include "core/node.h"
#include "icmp/icmp4.h"
#include "route/fib4.h"
#include "wire/wire.h"

enum {
	E_ETH,
	E_FRAG,
	E_ICMP,
	E_TTL,
	E_NO_ROUTE,
	E_BLACKHOLE,
	E_UNREACH,
	E_PROHIBIT,
	E_FRAG_NEEDED,
	E_MARTIAN,
	E_SRC_LOCAL,
	E_LINK_DOWN,
	E_NOT_FOR_US,
	E_NB,
};

/* A flow's hash: 5-tuple when the ports are present (not a fragment),
 * else the addresses and protocol, so every fragment of a datagram and
 * every packet of a flow take the same path. */
static inline uint32_t flow_hash(const uint8_t *b, uint16_t hlen, uint32_t len)
{
	uint32_t h = rte_hash_crc_4byte(rs_ld32(b + 12), b[9]);
	h = rte_hash_crc_4byte(rs_ld32(b + 16), h);
	if (!(rs_ld16(b + 6) & (IP4_MF | IP4_OFFMASK)) && len >= (uint32_t)hlen + 4 &&
	    (b[9] == IPPROTO_UDP_ || b[9] == IPPROTO_TCP_))
		h = rte_hash_crc_4byte(rs_ld32(b + hlen), h);
	return h;
}

/* Sends an ICMP error about m (borrowed) when allowed. */
static inline void icmp_err(struct rte_graph *graph, struct rte_node *node, struct rs_worker *w,
			    struct rte_mbuf *m, uint8_t type, uint8_t code, uint32_t info)
{
	int why;
	struct rte_mbuf *e = icmp4_error_build(w, m, type, code, info, &why);
	if (e != NULL)
		rte_node_enqueue_x1(graph, node, E_ICMP, e);
}

/* The general case, for one packet: every check and ICMP error. The fast
 * path in ip4_forward_process must agree with it. */
static __rte_noinline rte_edge_t ip4_forward_one(struct rte_graph *graph, struct rte_node *node,
				  struct rs_worker *w, const struct rs_cfg *c, struct rte_mbuf *m,
				  struct rs_priv *p)
{
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
	uint32_t src = rs_ld32(b + 12), dst = rs_ld32(b + 16);

	/* RFC 1812 §5.3.4: link-layer broadcasts are not forwarded */
	if (p->flags & RS_PF_L2_BCAST)
		return E_NOT_FOR_US;
	/* RFC 3927 §2.7: 169.254/16 never leaves its link */
	if ((src >> 16) == 0xa9fe || (dst >> 16) == 0xa9fe)
		return E_MARTIAN;
	uint32_t snh = fib4_lookup(src);
	if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_LOCAL)
		return E_SRC_LOCAL;
	if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_BROADCAST)
		return E_MARTIAN; /* RFC 1812 §5.3.7 */
	/* RFC 1812 §5.3.1: TTL expires here rather than being sent on
	 * with zero */
	if (b[8] <= 1) {
		icmp_err(graph, node, w, m, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0);
		return E_TTL;
	}
	uint32_t nhi = p->nh; /* ip4_input's lookup, same walk, same FIB */
	if (nhi == FIB4_NH_NONE) {
		icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NET, 0);
		return E_NO_ROUTE;
	}
	const struct rs_nh *nh = fib4_nh(nhi);
	if (nh->type == RT_GROUP)
		nh = fib4_nh_select(nh, flow_hash(b, hlen, m->pkt_len));
	switch (nh->type) {
	case RT_UNICAST:
		break;
	case RT_BLACKHOLE:
		return E_BLACKHOLE;
	case RT_UNREACHABLE:
		icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0);
		return E_UNREACH;
	case RT_PROHIBIT:
		icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_ADMIN, 0);
		return E_PROHIBIT;
	default:
		return E_NOT_FOR_US;
	}
	const struct rs_iface *out_if = &c->ifaces[nh->iface];
	if (!out_if->present || !out_if->up) {
		icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NET, 0);
		return E_LINK_DOWN;
	}
	if (m->pkt_len > out_if->mtu && (rs_ld16(b + 6) & IP4_DF)) {
		/* RFC 1191 §4: say which MTU the next hop takes */
		icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_FRAG_NEEDED,
			 out_if->mtu);
		return E_FRAG_NEEDED;
	}
	/* RFC 1812 §5.3.1 + RFC 1624 eqn. 3: TTL-1, checksum adjusted */
	uint16_t old = (uint16_t)(b[8] << 8 | b[9]);
	b[8]--;
	rs_st16(b + 10, rs_csum_update16(rs_ld16(b + 10), old, (uint16_t)(b[8] << 8 | b[9])));
	p->iface = nh->iface;
	p->nh_ip = nh->gw ? nh->gw : dst;
	p->flags = 0;
	return m->pkt_len > out_if->mtu || (m->nb_segs > 1 && !out_if->tx_multiseg) ? E_FRAG
										       : E_ETH;
}

/* Per-vector state of ip4_forward_step. */
struct ip4_fwd_ctx {
	struct rte_graph *graph;
	struct rte_node *node;
	struct rs_worker *w;
	const struct rs_cfg *c;
	int off; /* rs_priv_offset */
	/* The next hop of the previous packet and what the fast path needs of
	 * it. Next-hop entries are immutable while their index is in use and
	 * the configuration is fixed for the walk, so this holds for the
	 * vector. A next hop the fast path cannot take gets mtu 0, which
	 * every packet exceeds (pkt_len >= 20 here); FIB4_NH_NONE starts so. */
	uint32_t nhi;
	uint32_t mtu;
	uint32_t gw;
	uint16_t iface;
	uint16_t max_segs; /* 1, or any when the port sends chains */
};

static __rte_always_inline rte_edge_t ip4_forward_step(struct ip4_fwd_ctx *x, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv_at(m, x->off);
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);

	/*
	 * Fast path: the checks of ip4_forward_one in its order, for a
	 * datagram that passes them all and leaves through a plain (non-ECMP)
	 * unicast next hop on a link that is up, fits its MTU and needs no
	 * fragmentation or linearisation. Anything else goes to
	 * ip4_forward_one from the start: nothing is changed before the
	 * decision, and every ICMP error is sent from there.
	 */
	if (unlikely(p->flags & RS_PF_L2_BCAST))
		goto slow;
	uint32_t src = rs_ld32(b + 12), dst = rs_ld32(b + 16);
	if (unlikely((src >> 16) == 0xa9fe || (dst >> 16) == 0xa9fe))
		goto slow;
	/* a source of ours or a subnet broadcast of ours: the FIB lookup is
	 * needed only when the source may be one of the addresses such
	 * routes are made from */
	if (unlikely(rs_cfg_maybe_local_src(x->c, src))) {
		uint32_t snh = fib4_lookup(src);
		if (snh != FIB4_NH_NONE &&
		    (fib4_nh(snh)->type == RT_LOCAL || fib4_nh(snh)->type == RT_BROADCAST))
			goto slow;
	}
	if (unlikely(b[8] <= 1))
		goto slow;
	uint32_t nhi = p->nh;
	if (unlikely(nhi != x->nhi)) {
		x->nhi = nhi;
		x->mtu = 0;
		if (nhi != FIB4_NH_NONE) {
			const struct rs_nh *nh = fib4_nh(nhi);
			const struct rs_iface *out_if = &x->c->ifaces[nh->iface];
			if (nh->type == RT_UNICAST && out_if->present && out_if->up)
				x->mtu = out_if->mtu;
			x->iface = nh->iface;
			x->gw = nh->gw;
			x->max_segs = out_if->tx_multiseg ? UINT16_MAX : 1;
		}
	}
	/* a fast next hop, within its MTU (so no fragmentation and no
	 * Fragmentation Needed), no chain the port cannot send */
	if (unlikely(m->pkt_len > x->mtu || m->nb_segs > x->max_segs))
		goto slow;
	/* RFC 1812 §5.3.1 + RFC 1624 eqn. 3: TTL-1, checksum adjusted */
	ip4_ttl_dec(b);
	p->iface = x->iface;
	p->nh_ip = x->gw ? x->gw : dst;
	p->flags = 0;
	return E_ETH;
slow:
	return ip4_forward_one(x->graph, x->node, x->w, x->c, m, p);
}

static uint16_t ip4_forward_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct ip4_fwd_ctx x = {
		.graph = graph, .node = node, .w = w, .c = w->cfg, .off = rs_priv_offset,
		.nhi = FIB4_NH_NONE, .mtu = 0, .max_segs = 1,
	};

	/* speculative dispatch (core/node.h), common edge E_ETH */
	uint16_t i = 0;
	rte_edge_t next = E_ETH;
	while (i < nb && (next = ip4_forward_step(&x, objs[i])) == E_ETH)
		i++;
	if (likely(i == nb))
		return rs_node_move_all(graph, node, nb, E_ETH);
	rte_edge_t nexts[nb];
	rs_edges_fill(nexts, i, E_ETH);
	nexts[i] = next;
	while (++i < nb)
		nexts[i] = ip4_forward_step(&x, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip4_forward_node = {
	.name = "ip4_forward",
	.process = ip4_forward_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ETH] = "eth_output",
		[E_FRAG] = "ip4_fragment",
		[E_ICMP] = "ip4_output",
		[E_TTL] = RS_DROP_NODE(ttl_expired),
		[E_NO_ROUTE] = RS_DROP_NODE(no_route),
		[E_BLACKHOLE] = RS_DROP_NODE(blackhole),
		[E_UNREACH] = RS_DROP_NODE(route_unreachable),
		[E_PROHIBIT] = RS_DROP_NODE(route_prohibit),
		[E_FRAG_NEEDED] = RS_DROP_NODE(frag_needed),
		[E_MARTIAN] = RS_DROP_NODE(ip4_martian_src),
		[E_SRC_LOCAL] = RS_DROP_NODE(ip4_src_is_local),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_NOT_FOR_US] = RS_DROP_NODE(not_for_us),
	},
};
RTE_NODE_REGISTER(ip4_forward_node);
