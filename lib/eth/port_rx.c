/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_rx (source): polls this worker's RX queue on every link that is up,
 * as listed in the published configuration. Frames go to ip4_fastpath,
 * which forwards the common case itself and hands the rest to eth_input
 * unchanged, with their ingress links in rs_rx_runs (eth/rx_runs.h), not
 * in each frame; with --no-fastpath (rs_dp_params.no_fastpath) straight
 * to eth_input, with rs_priv set. A link impaired on input (impair_dp.h) goes to impair_in.
 */
#include <rte_ethdev.h>

#include "core/node.h"
#include "eth/rx_runs.h"

struct rs_rx_runs rs_rx_runs[RS_MAX_WORKERS];

enum { E_FASTPATH, E_ETH_INPUT, E_IMPAIR_IN };

/* A link impaired on input: its frames go to impair_in, which sends them
 * on (now or later) as below; it reads both m->port and rs_priv. */
static uint16_t rx_impaired(struct rte_graph *graph, struct rte_node *node,
			    const struct rs_rxq *q, int off)
{
	struct rte_mbuf **to = (struct rte_mbuf **)rte_node_next_stream_get(graph, node,
									      E_IMPAIR_IN,
									      RS_RX_BURST);
	uint16_t n = rte_eth_rx_burst(q->port, q->queue, to, RS_RX_BURST);
	for (uint16_t j = 0; j < n; j++) {
		struct rs_priv *p = rs_priv_at(to[j], off);
		to[j]->port = q->port;
		p->iface = q->port;
		p->flags = 0;
	}
	rte_node_next_stream_put(graph, node, E_IMPAIR_IN, n);
	return n;
}

static uint16_t port_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	const int off = rs_priv_offset;
	uint16_t total = 0;
	const rte_edge_t next = rs_dp.params.no_fastpath ? 1 : 0;
	struct rs_rx_runs *runs = &rs_rx_runs[w->idx];
	runs->walk = w->loops;
	runs->n = 0;

	for (unsigned i = 0; i < c->nrxq[w->idx]; i++) {
		const struct rs_rxq *q = &c->rxq[w->idx][i];
		if (unlikely(c->ifaces[q->port].impair[RS_IMPAIR_IN].on)) {
			total = (uint16_t)(total + rx_impaired(graph, node, q, off));
			continue;
		}
		struct rte_mbuf **to = (struct rte_mbuf **)rte_node_next_stream_get(graph, node, next,
										      RS_RX_BURST);
		uint16_t n = rte_eth_rx_burst(q->port, q->queue, to, RS_RX_BURST);
		if (next == 0) {
			/* ip4_fastpath takes the ingress link from the run (and
			 * sets rs_priv for what it hands to eth_input) */
			if (n != 0) {
				struct rs_rx_run *r = &runs->run[runs->n++];
				r->start = __rte_node_next_node_get(node, next)->idx;
				r->count = n;
				r->port = q->port;
			}
		} else {
			for (uint16_t j = 0; j < n; j++) {
				struct rs_priv *p = rs_priv_at(to[j], off);
				p->iface = q->port;
				p->flags = 0;
			}
		}
		rte_node_next_stream_put(graph, node, next, n);
		total = (uint16_t)(total + n);
	}
	w->rx_pkts += total;
	return total;
}

static struct rte_node_register port_rx_node = {
	.name = "port_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = port_rx_process,
	.init = rs_node_init,
	.nb_edges = 3,
	.next_nodes = {
		[E_FASTPATH] = "ip4_fastpath",
		[E_ETH_INPUT] = "eth_input",
		[E_IMPAIR_IN] = "impair_in",
	},
};
RTE_NODE_REGISTER(port_rx_node);
