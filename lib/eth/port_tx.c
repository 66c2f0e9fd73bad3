/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_tx: transmits complete frames (m->port = egress link) on this
 * worker's TX queue, one burst per run of packets for the same port. What
 * the TX ring does not take is dropped and counted (tx_full): a worker
 * never waits for a ring.
 */
#include <rte_ethdev.h>

#include "core/node.h"

enum {
	E_TX_FULL,
	E_LINK_DOWN,
	E_IMPAIR_OUT,
	E_NB,
};

static uint16_t port_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;

	for (uint16_t i = 0; i < nb;) {
		uint16_t port = pkts[i]->port;
		uint16_t j = (uint16_t)(i + 1);
		while (j < nb && pkts[j]->port == port)
			j++;
		uint16_t run = (uint16_t)(j - i);
		const struct rs_iface *ifc = port < RS_MAX_IFACES ? &c->ifaces[port] : NULL;
		if (ifc == NULL || !ifc->present || !ifc->up || ifc->loopback) {
			rte_node_enqueue(graph, node, E_LINK_DOWN, &objs[i], run);
		} else if (unlikely(ifc->impair[RS_IMPAIR_OUT].on)) {
			/* impair_out transmits what it lets through */
			rte_node_enqueue(graph, node, E_IMPAIR_OUT, &objs[i], run);
		} else {
			uint16_t sent = rte_eth_tx_burst(port, w->idx, &pkts[i], run);
			if (sent < run)
				rte_node_enqueue(graph, node, E_TX_FULL, &objs[i + sent],
						 (uint16_t)(run - sent));
		}
		i = j;
	}
	return nb;
}

static struct rte_node_register port_tx_node = {
	.name = "port_tx",
	.process = port_tx_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_TX_FULL] = RS_DROP_NODE(tx_full),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_IMPAIR_OUT] = "impair_out",
	},
};
RTE_NODE_REGISTER(port_tx_node);
