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

#endif
