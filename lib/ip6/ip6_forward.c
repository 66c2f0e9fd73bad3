/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_forward: routing of packets not for us (RFC 8200, RFC 4443): Hop
 * Limit (Time Exceeded when it would reach 0), scope (link-local sources
 * are never forwarded: Destination Unreachable "beyond scope", RFC 4443
 * §3.1 code 2), route types, and the MTU: IPv6 routers never fragment
 * (RFC 8200 §5), a packet larger than the next link's MTU gets Packet Too
 * Big with that MTU. ECMP members are chosen by the flow hash. There is no
 * checksum to update. Input: data at the IPv6 header, priv->nh the FIB6
 * result of ip6_input. Consumes every packet.
 */
#include "core/node.h"
#include "icmp/icmp6.h"
#include "ip6/ip6_route.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

enum {
	E_ETH,
	E_OUTPUT,
	E_HLIM,
	E_SCOPE,
	E_NO_ROUTE,
	E_BLACKHOLE,
	E_UNREACH,
	E_PROHIBIT,
	E_LINK_DOWN,
	E_TOO_BIG,
	E_NB,
};

static rte_edge_t err(struct rs_worker *w, struct rte_graph *graph, struct rte_node *node,
		      struct rte_mbuf *m, uint8_t type, uint8_t code, uint32_t info,
		      rte_edge_t drop)
{
	struct rte_mbuf *e = icmp6_error_build(w, m, type, code, info, type == ICMP6_PKT_TOO_BIG);
	if (e != NULL)
		rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
	return drop;
}

static rte_edge_t ip6_forward_one(struct rs_worker *w, struct rte_graph *graph,
				  struct rte_node *node, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv(m);
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	if (ip6_is_linklocal(ip6_src(b)))
		return err(w, graph, node, m, ICMP6_DST_UNREACH, 2, 0, E_SCOPE);
	/* RFC 8200 §3: decremented by each node that forwards it; a router
	 * discards it when it would reach zero (RFC 4443 §3.3) */
	if (ip6_hop_limit(b) <= 1)
		return err(w, graph, node, m, ICMP6_TIME_EXCEEDED, ICMP6_TIMEX_HOPS, 0, E_HLIM);
	if (p->nh == FIB6_NH_NONE)
		return err(w, graph, node, m, ICMP6_DST_UNREACH, ICMP6_UNREACH_NOROUTE, 0,
			   E_NO_ROUTE);
	uint32_t nh = p->nh;
	if (fib6_nh(nh)->type == RT_GROUP) /* the flow hash only for ECMP */
		nh = fib6_nh_select(nh, ip6_flow_hash(b));
	const struct rs_nh6 *n = fib6_nh(nh);
	switch (n->type) {
	case RT_UNICAST:
		break;
	case RT_BLACKHOLE:
		return E_BLACKHOLE;
	case RT_UNREACHABLE:
		return err(w, graph, node, m, ICMP6_DST_UNREACH, ICMP6_UNREACH_NOROUTE, 0,
			   E_UNREACH);
	case RT_PROHIBIT:
		return err(w, graph, node, m, ICMP6_DST_UNREACH, ICMP6_UNREACH_ADMIN, 0,
			   E_PROHIBIT);
	default:
		return E_NO_ROUTE;
	}
	const struct rs_iface *out = &w->cfg->ifaces[n->iface];
	if (!out->present || !out->up)
		return err(w, graph, node, m, ICMP6_DST_UNREACH, ICMP6_UNREACH_ADDR, 0,
			   E_LINK_DOWN);
	if (m->pkt_len > out->mtu) {
		uint32_t mtu = out->mtu < IP6_MIN_MTU ? IP6_MIN_MTU : out->mtu;
		return err(w, graph, node, m, ICMP6_PKT_TOO_BIG, 0, mtu, E_TOO_BIG);
	}
	b[7]--;
	p->iface = n->iface;
	p->nh = ip6_is_unspec(n->gw) ? FIB6_NH_NONE : nh;
	return E_ETH;
}

static uint16_t ip6_forward_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = ip6_forward_one(w, graph, node, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip6_forward_node = {
	.name = "ip6_forward",
	.process = ip6_forward_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ETH] = "eth_output6",
		[E_OUTPUT] = "ip6_output",
		[E_HLIM] = RS_DROP_NODE(ip6_hlim_exceeded),
		[E_SCOPE] = RS_DROP_NODE(ip6_beyond_scope),
		[E_NO_ROUTE] = RS_DROP_NODE(no_route),
		[E_BLACKHOLE] = RS_DROP_NODE(blackhole),
		[E_UNREACH] = RS_DROP_NODE(route_unreachable),
		[E_PROHIBIT] = RS_DROP_NODE(route_prohibit),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_TOO_BIG] = RS_DROP_NODE(packet_too_big),
	},
};
RTE_NODE_REGISTER(ip6_forward_node);
