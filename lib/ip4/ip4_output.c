/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_output: routes what we originate (echo replies, ICMP errors, later
 * sockets) and what we forward: next hop and egress link from the FIB, then
 * fragmentation when the packet exceeds the link MTU, header checksum
 * (hardware when the port has it), then eth_output.
 * Input: data at a complete IPv4 header (checksum not yet valid).
 * Consumes every packet.
 */
#include "core/node.h"
#include "route/fib4.h"
#include "wire/wire.h"

enum {
	E_ETH,
	E_FRAG,
	E_NO_ROUTE,
	E_LINK_DOWN,
	E_BLACKHOLE,
	E_UNREACH,
	E_PROHIBIT,
	E_NB,
};

static uint16_t ip4_output_process(struct rte_graph *graph, struct rte_node *node, void **objs,
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
		uint32_t dst = rs_ld32(b + 16);
		rte_edge_t next;
		uint16_t iface;

		if (ip4_is_bcast_all(dst)) {
			/* limited broadcast: only where the sender chose a link */
			if (!(p->flags & RS_PF_IFACE_SET)) {
				next = E_NO_ROUTE;
				goto out;
			}
			iface = p->iface;
			p->flags |= RS_PF_OUT_BCAST;
		} else {
			uint32_t nhi = fib4_lookup(dst);
			if (nhi == FIB4_NH_NONE) {
				next = E_NO_ROUTE;
				goto out;
			}
			const struct rs_nh *nh = fib4_nh(nhi);
			switch (nh->type) {
			case RT_UNICAST:
				p->nh_ip = nh->gw ? nh->gw : dst;
				break;
			case RT_BROADCAST:
				p->flags |= RS_PF_OUT_BCAST;
				break;
			case RT_BLACKHOLE:
				next = E_BLACKHOLE;
				goto out;
			case RT_UNREACHABLE:
				next = E_UNREACH;
				goto out;
			case RT_PROHIBIT:
				next = E_PROHIBIT;
				goto out;
			default:
				/* to ourselves: no loopback path yet */
				next = E_NO_ROUTE;
				goto out;
			}
			iface = nh->iface;
		}
		const struct rs_iface *ifc = &c->ifaces[iface];
		if (!ifc->present || !ifc->up) {
			next = E_LINK_DOWN;
			goto out;
		}
		p->iface = iface;
		if (m->pkt_len > ifc->mtu || (m->nb_segs > 1 && !ifc->tx_multiseg)) {
			next = E_FRAG;
			goto out;
		}
		if (ifc->tx_ip4_csum) {
			rs_st16(b + 10, 0);
			m->l2_len = ETH_HLEN;
			m->l3_len = hlen;
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		} else {
			ip4_set_csum(b, hlen);
		}
		next = E_ETH;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip4_output_node = {
	.name = "ip4_output",
	.process = ip4_output_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ETH] = "eth_output",
		[E_FRAG] = "ip4_fragment",
		[E_NO_ROUTE] = RS_DROP_NODE(no_route),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_BLACKHOLE] = RS_DROP_NODE(blackhole),
		[E_UNREACH] = RS_DROP_NODE(route_unreachable),
		[E_PROHIBIT] = RS_DROP_NODE(route_prohibit),
	},
};
RTE_NODE_REGISTER(ip4_output_node);
