/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_output: route-and-source for IPv6 packets we originate (ICMPv6
 * replies and errors, ND): a multicast or link-local destination leaves on
 * the link the caller chose (RS_PF_IFACE_SET, e.g. the one the request came
 * in on; RFC 4291 §2.5.6: link-local is never routed), anything else by the
 * FIB6, ECMP groups resolved by the flow hash. Sets priv->iface and
 * priv->nh for eth_output6. A packet to one of our own addresses (::1, or
 * any address of ours) is looped back to ip6_local. Input: a complete IPv6 packet. Consumes every
 * packet.
 */
#include "core/node.h"
#include "ip6/ip6.h"
#include "ip6/ip6_route.h"
#include "ip6/pmtu.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

enum {
	E_ETH,
	E_NO_ROUTE,
	E_BLACKHOLE,
	E_UNREACH,
	E_PROHIBIT,
	E_LINK_DOWN,
	E_FRAG,
	E_LOCAL,
	E_NB,
};

static rte_edge_t ip6_output_one(struct rs_worker *w, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv(m);
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *dst = ip6_dst(b);
	if (ip6_is_mcast(dst) || ip6_is_linklocal(dst)) {
		if (!(p->flags & RS_PF_IFACE_SET) || p->iface >= RS_MAX_IFACES)
			return E_NO_ROUTE;
		p->nh = FIB6_NH_NONE;
		if (!ip6_is_mcast(dst) &&
		    ip6_addr_usable(ip6_iface_addr(&w->cfg->ifaces[p->iface], dst)))
			goto local;
	} else {
		uint32_t nh = fib6_lookup(dst);
		if (nh == FIB6_NH_NONE)
			return E_NO_ROUTE;
		if (fib6_nh(nh)->type == RT_GROUP)
			nh = fib6_nh_select(nh, ip6_flow_hash(b));
		const struct rs_nh6 *n = fib6_nh(nh);
		switch (n->type) {
		case RT_UNICAST:
			break;
		case RT_BLACKHOLE:
			return E_BLACKHOLE;
		case RT_UNREACHABLE:
			return E_UNREACH;
		case RT_PROHIBIT:
			return E_PROHIBIT;
		case RT_LOCAL:
			p->iface = n->iface;
			goto local;
		default:
			return E_NO_ROUTE;
		}
		p->iface = n->iface;
		p->nh = ip6_is_unspec(n->gw) ? FIB6_NH_NONE : nh;
	}
	const struct rs_iface *ifc = &w->cfg->ifaces[p->iface];
	if (!ifc->present || !ifc->up)
		return E_LINK_DOWN;
	/* we fragment what we originate (RFC 8200 §4.5); a chain the port
	 * cannot send is copied into one segment there too */
	uint32_t mtu = p->flags & RS_PF_NO_PMTU ? ifc->mtu : pmtu_for6(ifc, dst, w->now_ns);
	if (m->pkt_len > mtu || (m->nb_segs > 1 && !ifc->tx_multiseg))
		return E_FRAG;
	return E_ETH;
local:
	/* to ourselves (::1, or any address of ours): the packet never
	 * leaves, and arrives on the link the address belongs to */
	if (p->iface >= RS_MAX_IFACES || !w->cfg->ifaces[p->iface].present)
		return E_NO_ROUTE;
	p->flags = RS_PF_LOOPBACK;
	return E_LOCAL;
}

static uint16_t ip6_output_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				   uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = ip6_output_one(w, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip6_output_node = {
	.name = "ip6_output",
	.process = ip6_output_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ETH] = "eth_output6",
		[E_NO_ROUTE] = RS_DROP_NODE(no_route),
		[E_BLACKHOLE] = RS_DROP_NODE(blackhole),
		[E_UNREACH] = RS_DROP_NODE(route_unreachable),
		[E_PROHIBIT] = RS_DROP_NODE(route_prohibit),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_FRAG] = "ip6_fragment",
		[E_LOCAL] = "ip6_local",
	},
};
RTE_NODE_REGISTER(ip6_output_node);
