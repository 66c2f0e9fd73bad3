/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * impair_in: frames port_rx received on a link impaired on input
 * (impair_dp.h). Each is lost, held on this worker's heap for its delay,
 * or passed on at once to where port_rx would have sent it; some are
 * corrupted or duplicated on the way. Consumes the held ones.
 */
#include "eth/impair_dp.h"

enum {
	E_FASTPATH, /* port_rx's edges, same ids */
	E_ETH_INPUT,
	E_LOSS,
	E_QUEUE_FULL,
	E_NB,
};

static uint16_t impair_in_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	struct impair_worker *iw = impair_workers[w->idx];
	const rte_edge_t pass = rs_dp.params.no_fastpath ? E_ETH_INPUT : E_FASTPATH;
	rte_edge_t nexts[nb];
	void *dups[nb];
	uint16_t ndup = 0;

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i], *dup;
		uint16_t link = m->port; /* port_rx set it: < RS_MAX_IFACES */
		const struct rs_impair *p = &c->ifaces[link].impair[RS_IMPAIR_IN];
		if (!p->on) {
			nexts[i] = pass;
			continue;
		}
		struct rs_impair_rng *rng = impair_rng(iw, w->idx, p, link, RS_IMPAIR_IN);
		switch (impair_one(iw, p, rng, m, link, RS_IMPAIR_IN, w->now_ns, &dup)) {
		case IMPAIR_PASS:
			nexts[i] = pass;
			if (dup != NULL)
				dups[ndup++] = dup;
			break;
		case IMPAIR_LOSS:
			nexts[i] = E_LOSS;
			break;
		case IMPAIR_HELD:
			nexts[i] = RS_EDGE_CONSUMED;
			break;
		default:
			nexts[i] = E_QUEUE_FULL;
			break;
		}
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	if (ndup != 0)
		rte_node_enqueue(graph, node, pass, dups, ndup);
	return nb;
}

static struct rte_node_register impair_in_node = {
	.name = "impair_in",
	.process = impair_in_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_FASTPATH] = "ip4_fastpath",
		[E_ETH_INPUT] = "eth_input",
		[E_LOSS] = RS_DROP_NODE(impair_loss),
		[E_QUEUE_FULL] = RS_DROP_NODE(impair_queue_full),
	},
};
RTE_NODE_REGISTER(impair_in_node);
