/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * impair_release (source): packets impair_in / impair_out held whose time
 * has come leave this worker's heap, earliest first: received ones go on
 * to where port_rx would have sent them, ones for output are transmitted.
 * A link that went away or down in the meantime drops them (link_down).
 */
#include "eth/impair_dp.h"

enum {
	E_FASTPATH,
	E_ETH_INPUT,
	E_TX_FULL,
	E_LINK_DOWN,
	E_NB,
};

#define RELEASE_BURST RS_BURST

static uint16_t impair_release_process(struct rte_graph *graph, struct rte_node *node,
				       void **objs, uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	struct impair_worker *iw = impair_workers[w->idx];
	const rte_edge_t pass = rs_dp.params.no_fastpath ? E_ETH_INPUT : E_FASTPATH;
	struct rte_mbuf *tx[RELEASE_BURST];
	uint16_t ntx = 0, n = 0;
	struct rs_impair_held h;
	(void)objs;
	(void)nb;

	if (likely(iw->heap.n == 0))
		return 0;
	while (n < RELEASE_BURST && rs_impair_heap_pop_due(&iw->heap, w->now_ns, &h)) {
		struct rte_mbuf *m = h.pkt;
		n++;
		if (h.dir == RS_IMPAIR_OUT) {
			tx[ntx++] = m;
			continue;
		}
		const struct rs_iface *ifc = &c->ifaces[h.link];
		rte_node_enqueue_x1(graph, node, ifc->present && ifc->up ? pass : E_LINK_DOWN, m);
	}
	impair_tx(graph, node, w, c, tx, ntx, E_TX_FULL, E_LINK_DOWN);
	w->rx_pkts += n;
	return n;
}

static struct rte_node_register impair_release_node = {
	.name = "impair_release",
	.flags = RTE_NODE_SOURCE_F,
	.process = impair_release_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_FASTPATH] = "ip4_fastpath",
		[E_ETH_INPUT] = "eth_input",
		[E_TX_FULL] = RS_DROP_NODE(tx_full),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
	},
};
RTE_NODE_REGISTER(impair_release_node);
