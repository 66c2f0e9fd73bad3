/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_input (source): packets the control thread hands to this worker
 * (resolved neighbor queues, ARP requests, gratuitous ARP) enter the graph
 * here, at the node priv->inject names. Packets whose next hop failed to
 * resolve get Destination Unreachable (host) here, where the ICMP rate
 * limit lives (RFC 1812 §4.3.3.1), and are counted as neigh_failed.
 */
#include "core/node.h"
#include "icmp/icmp4.h"
#include "wire/wire.h"

enum {
	E_NEIGH_FAILED = RS_INJ_NEIGH_FAILED,
	E_NB,
};

static uint16_t ctl_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct rte_mbuf *pkts[RS_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->from_ctl, (void **)pkts, RS_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		uint8_t where = rs_priv(pkts[i])->inject;
		if (where == RS_INJ_NEIGH_FAILED) {
			int why;
			struct rte_mbuf *e = icmp4_error_build(w, pkts[i], ICMP4_DEST_UNREACH,
							       ICMP4_UNREACH_HOST, 0, &why);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, RS_INJ_IP4_OUTPUT, e);
		} else if (where > RS_INJ_NEIGH_FAILED) {
			where = RS_INJ_PORT_TX;
		}
		rte_node_enqueue_x1(graph, node, where, pkts[i]);
	}
	w->rx_pkts += n;
	return (uint16_t)n;
}

static struct rte_node_register ctl_input_node = {
	.name = "ctl_input",
	.flags = RTE_NODE_SOURCE_F,
	.process = ctl_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[RS_INJ_PORT_TX] = "port_tx",
		[RS_INJ_ETH_OUTPUT] = "eth_output",
		[RS_INJ_IP4_OUTPUT] = "ip4_output",
		[E_NEIGH_FAILED] = RS_DROP_NODE(neigh_failed),
	},
};
RTE_NODE_REGISTER(ctl_input_node);
