/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_output: routes what we originate (echo replies, ICMP errors,
 * sockets) with the one route-and-source function (route/rt4_out.h): ECMP
 * groups resolved by the packet's flow hash, route types, the link a
 * sender bound to. A packet to one of our own addresses (127.0.0.0/8, or
 * any address of ours) is looped back to ip4_local: two applications on
 * ringstack talk to each other as on Linux. Otherwise: fragmentation when
 * it exceeds the link MTU, header checksum (hardware when the port has it),
 * then eth_output.
 * Input: data at a complete IPv4 header (checksum not yet valid); with
 * RS_PF_IFACE_SET, priv->iface is the link the sender chose.
 * Consumes every packet.
 */
#include "core/node.h"
#include "route/rt4_out.h"
#include "wire/wire.h"

enum {
	E_ETH,
	E_FRAG,
	E_LOCAL,
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
		int bind = (p->flags & RS_PF_IFACE_SET) ? p->iface : -1;
		struct rt4_out r;
		rte_edge_t next;

		int rc;
		if (ip4_is_mcast(dst) && bind >= 0) {
			/* a group, on the link its sender chose (IP_MULTICAST_IF,
			 * the bound device, the group's route): no route of its
			 * own, sent to the group's link-layer address */
			rc = c->ifaces[bind].present && c->ifaces[bind].up ? 0 : -ENETUNREACH;
			r = (struct rt4_out){ .type = RT_BROADCAST, .l2_bcast = true,
					      .iface = (uint16_t)bind, .nh_ip = dst };
		} else {
			rc = rt4_output(c, dst, rt4_flow_hash_pkt(b, m->data_len), bind, &r);
		}
		if (rc < 0) {
			next = rc == -EHOSTUNREACH ? E_UNREACH
			     : rc == -EACCES ? E_PROHIBIT
			     : rc == -EINVAL ? E_BLACKHOLE
			     : E_NO_ROUTE;
			goto out;
		}
		if (r.type == RT_LOCAL) {
			/* to ourselves: the packet never leaves, and arrives
			 * on the link the address belongs to */
			ip4_set_csum(b, hlen);
			p->iface = r.iface;
			p->flags = RS_PF_LOOPBACK;
			next = E_LOCAL;
			goto out;
		}
		const struct rs_iface *ifc = &c->ifaces[r.iface];
		p->iface = r.iface;
		p->nh_ip = r.nh_ip;
		if (r.l2_bcast)
			p->flags |= RS_PF_OUT_BCAST;
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
		[E_LOCAL] = "ip4_local",
		[E_NO_ROUTE] = RS_DROP_NODE(no_route),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_BLACKHOLE] = RS_DROP_NODE(blackhole),
		[E_UNREACH] = RS_DROP_NODE(route_unreachable),
		[E_PROHIBIT] = RS_DROP_NODE(route_prohibit),
	},
};
RTE_NODE_REGISTER(ip4_output_node);
