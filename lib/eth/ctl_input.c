/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_input (source): packets the control thread hands to this worker
 * (resolved neighbour queues, ARP requests, gratuitous ARP, packets whose
 * next hop failed) enter the graph here, at the node priv->inject names.
 * Its edges are the inject targets modules registered (core/module.h),
 * added by core before the graphs are made, so the id is the edge.
 */
#include "core/module.h"
#include "core/node.h"

static uint16_t ctl_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct rte_mbuf *pkts[RS_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->from_ctl, (void **)pkts, RS_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		uint8_t where = rs_priv(pkts[i])->inject;
		/* the control thread set it: a bad id is our bug, not input */
		RTE_ASSERT(where < node->nb_edges);
		if (unlikely(where >= node->nb_edges)) {
			rte_pktmbuf_free(pkts[i]);
			continue;
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
	.nb_edges = 0,
};
RTE_NODE_REGISTER(ctl_input_node);
