/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_input: Ethernet II demultiplexing. Accepts frames to the link's MAC
 * and broadcast; we join no multicast group yet, so every other destination
 * is another host's (RFC 1122 §2.4: a host silently discards those).
 * Consumes every packet; strips the Ethernet header of accepted ones.
 */
#include "core/node.h"
#include "wire/wire.h"

enum {
	E_ARP,
	E_IP4,
	E_TRUNC,
	E_OTHER_HOST,
	E_VLAN,
	E_UNKNOWN,
	E_LINK_DOWN,
	E_NB,
};

static uint16_t eth_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		const struct rs_iface *ifc = &c->ifaces[p->iface];
		struct eth_view e;
		rte_edge_t next;

		if (!ifc->up) {
			next = E_LINK_DOWN;
			goto out;
		}
		if (eth_check(&e, rte_pktmbuf_mtod(m, void *), m->data_len) < 0) {
			next = E_TRUNC;
			goto out;
		}
		if (eth_is_bcast(eth_dst(&e)) || eth_is_mcast(eth_dst(&e))) {
			if (!eth_is_bcast(eth_dst(&e))) {
				next = E_OTHER_HOST; /* no multicast group joined */
				goto out;
			}
			p->flags |= RS_PF_L2_BCAST;
		} else if (!eth_addr_eq(eth_dst(&e), ifc->mac.addr_bytes)) {
			next = E_OTHER_HOST;
			goto out;
		}
		switch (eth_type(&e)) {
		case ETH_P_IP:
			next = E_IP4;
			break;
		case ETH_P_ARP:
			next = E_ARP;
			break;
		case ETH_P_VLAN:
		case ETH_P_QINQ:
			next = E_VLAN; /* until VLAN interfaces exist */
			goto out;
		default:
			next = E_UNKNOWN;
			goto out;
		}
		rte_pktmbuf_adj(m, ETH_HLEN);
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register eth_input_node = {
	.name = "eth_input",
	.process = eth_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ARP] = "arp_input",
		[E_IP4] = "ip4_input",
		[E_TRUNC] = RS_DROP_NODE(eth_truncated),
		[E_OTHER_HOST] = RS_DROP_NODE(other_host),
		[E_VLAN] = RS_DROP_NODE(vlan_unsupported),
		[E_UNKNOWN] = RS_DROP_NODE(unknown_ethertype),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
	},
};
RTE_NODE_REGISTER(eth_input_node);
