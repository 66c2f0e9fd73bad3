/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by graph nodes. */
#ifndef RS_NODE_H
#define RS_NODE_H

#include <rte_graph.h>
#include <rte_graph_worker.h>

#include "core/dp.h"

#define RS_DROP_NODE(r) "drop:" #r

/* Node context: the worker that owns the graph. Set by rs_node_init. */
static inline struct rs_worker *rs_node_worker(const struct rte_node *node)
{
	struct rs_worker *w;
	memcpy(&w, node->ctx, sizeof(w));
	return w;
}

int rs_node_init(const struct rte_graph *graph, struct rte_node *node);

/* Edge value for a packet the node consumed itself (handed elsewhere). */
#define RS_EDGE_CONSUMED ((rte_edge_t)0xffff)

/*
 * Sends the node's input objs[0..nb) on, packet i to edge nexts[i]. When
 * every packet takes the same edge the whole vector moves to it without a
 * copy (as DPDK's lib/node does); otherwise runs of packets with the same
 * edge are enqueued together. objs must be the node's own input vector.
 */
static inline void rs_node_dispatch(struct rte_graph *graph, struct rte_node *node, void **objs,
				    const rte_edge_t *nexts, uint16_t nb)
{
	uint16_t i = 1;
	if (nb == 0)
		return;
	while (i < nb && nexts[i] == nexts[0])
		i++;
	if (i == nb && nexts[0] != RS_EDGE_CONSUMED) {
		rte_node_next_stream_move(graph, node, nexts[0]);
		return;
	}
	uint16_t start = 0;
	for (i = 1; i <= nb; i++) {
		if (i < nb && nexts[i] == nexts[start])
			continue;
		if (nexts[start] != RS_EDGE_CONSUMED)
			rte_node_enqueue(graph, node, nexts[start], &objs[start],
					 (uint16_t)(i - start));
		start = i;
	}
}

/*
 * Speculative dispatch, as DPDK's lib/node does it: a node runs its
 * per-packet step over the vector while every packet takes the node's
 * common edge, recording nothing, then moves the whole vector to that edge.
 * At the first packet that takes another edge, it fills nexts[] for the
 * packets before, records every later packet's edge and dispatches with
 * rs_node_dispatch:
 *
 *	uint16_t i = 0;
 *	rte_edge_t next = FAST;
 *	while (i < nb && (next = step(&x, objs[i])) == FAST)
 *		i++;
 *	if (likely(i == nb))
 *		return rs_node_move_all(graph, node, nb, FAST);
 *	rte_edge_t nexts[nb];
 *	rs_edges_fill(nexts, i, FAST);
 *	nexts[i] = next;
 *	while (++i < nb)
 *		nexts[i] = step(&x, objs[i]);
 *	rs_node_dispatch(graph, node, objs, nexts, nb);
 *	return nb;
 */
static inline uint16_t rs_node_move_all(struct rte_graph *graph, struct rte_node *node,
					uint16_t nb, rte_edge_t edge)
{
	if (nb != 0)
		rte_node_next_stream_move(graph, node, edge);
	return nb;
}

static inline void rs_edges_fill(rte_edge_t *nexts, uint16_t n, rte_edge_t edge)
{
	for (uint16_t i = 0; i < n; i++)
		nexts[i] = edge;
}

#endif
