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

static uint16_t ip4_forward_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
		uint32_t src = rs_ld32(b + 12), dst = rs_ld32(b + 16);
		rte_edge_t next;

		/* RFC 1812 §5.3.4: link-layer broadcasts are not forwarded */
		if (p->flags & RS_PF_L2_BCAST) {
			next = E_NOT_FOR_US;
			goto out;
		}
		/* RFC 3927 §2.7: 169.254/16 never leaves its link */
		if ((src >> 16) == 0xa9fe || (dst >> 16) == 0xa9fe) {
			next = E_MARTIAN;
			goto out;
		}
		uint32_t snh = fib4_lookup(src);
		if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_LOCAL) {
			next = E_SRC_LOCAL;
			goto out;
		}
		if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_BROADCAST) {
			next = E_MARTIAN; /* RFC 1812 §5.3.7 */
			goto out;
		}
		/* RFC 1812 §5.3.1: TTL expires here rather than being sent on
		 * with zero */
		if (b[8] <= 1) {
			icmp_err(graph, node, w, m, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0);
			next = E_TTL;
			goto out;
		}
		uint32_t nhi = p->nh; /* ip4_input's lookup, same walk, same FIB */
		if (nhi == FIB4_NH_NONE) {
			icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NET, 0);
			next = E_NO_ROUTE;
			goto out;
		}
		const struct rs_nh *nh = fib4_nh(nhi);
		if (nh->type == RT_GROUP)
			nh = fib4_nh_select(nh, flow_hash(b, hlen, m->pkt_len));
		switch (nh->type) {
		case RT_UNICAST:
			break;
		case RT_BLACKHOLE:
			next = E_BLACKHOLE;
			goto out;
		case RT_UNREACHABLE:
			icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0);
			next = E_UNREACH;
			goto out;
		case RT_PROHIBIT:
			icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_ADMIN, 0);
			next = E_PROHIBIT;
			goto out;
		default:
			next = E_NOT_FOR_US;
			goto out;
		}
		const struct rs_iface *out_if = &c->ifaces[nh->iface];
		if (!out_if->present || !out_if->up) {
			icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NET, 0);
			next = E_LINK_DOWN;
			goto out;
		}
		if (m->pkt_len > out_if->mtu && (rs_ld16(b + 6) & IP4_DF)) {
			/* RFC 1191 §4: say which MTU the next hop takes */
			icmp_err(graph, node, w, m, ICMP4_DEST_UNREACH, ICMP4_UNREACH_FRAG_NEEDED,
				 out_if->mtu);
			next = E_FRAG_NEEDED;
			goto out;
		}
		/* RFC 1812 §5.3.1 + RFC 1624 eqn. 3: TTL-1, checksum adjusted */
		uint16_t old = (uint16_t)(b[8] << 8 | b[9]);
		b[8]--;
		rs_st16(b + 10, rs_csum_update16(rs_ld16(b + 10), old, (uint16_t)(b[8] << 8 | b[9])));
		p->iface = nh->iface;
		p->nh_ip = nh->gw ? nh->gw : dst;
		p->flags = 0;
		next = m->pkt_len > out_if->mtu || (m->nb_segs > 1 && !out_if->tx_multiseg)
			       ? E_FRAG : E_ETH;
out:
		nexts[i] = next;
	}
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
