/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * impair_out: frames port_tx was given for a link impaired on output
 * (impair_dp.h). Each is lost, held on this worker's heap for its delay
 * (impair_release transmits it), or transmitted at once, here, as port_tx
 * would; some are corrupted or duplicated on the way. Consumes them all.
 */
#include "eth/impair_dp.h"

enum {
	E_LOSS,
	E_QUEUE_FULL,
	E_TX_FULL,
	E_LINK_DOWN,
	E_NB,
};

static uint16_t impair_out_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				   uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	struct impair_worker *iw = impair_workers[w->idx];
	rte_edge_t nexts[nb];
	struct rte_mbuf *tx[2 * (unsigned)nb];
	uint16_t ntx = 0;

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i], *dup;
		uint16_t link = m->port; /* port_tx checked it: < RS_MAX_IFACES */
		const struct rs_impair *p = &c->ifaces[link].impair[RS_IMPAIR_OUT];
		nexts[i] = RS_EDGE_CONSUMED;
		if (!p->on) {
			tx[ntx++] = m;
			continue;
		}
		struct rs_impair_rng *rng = impair_rng(iw, w->idx, p, link, RS_IMPAIR_OUT);
		switch (impair_one(iw, p, rng, m, link, RS_IMPAIR_OUT, w->now_ns, &dup)) {
		case IMPAIR_PASS:
			tx[ntx++] = m;
			if (dup != NULL)
				tx[ntx++] = dup;
			break;
		case IMPAIR_LOSS:
			nexts[i] = E_LOSS;
			break;
		case IMPAIR_HELD:
			break;
		default:
			nexts[i] = E_QUEUE_FULL;
			break;
		}
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	impair_tx(graph, node, w, c, tx, ntx, E_TX_FULL, E_LINK_DOWN);
	return nb;
}

static struct rte_node_register impair_out_node = {
	.name = "impair_out",
	.process = impair_out_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_LOSS] = RS_DROP_NODE(impair_loss),
		[E_QUEUE_FULL] = RS_DROP_NODE(impair_queue_full),
		[E_TX_FULL] = RS_DROP_NODE(tx_full),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
	},
};
RTE_NODE_REGISTER(impair_out_node);
