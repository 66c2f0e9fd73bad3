/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drop:<reason> nodes. Each reason is its own node so the graph's per-node
 * object counters are the per-reason drop counters (no extra work per packet).
 * Consumes every packet.
 */
#include "core/node.h"

static uint16_t drop_process(struct rte_graph *graph, struct rte_node *node, void **objs,
			     uint16_t nb)
{
	rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, nb);
	return nb;
}

#define RS_DROP(r)                                                  \
	static struct rte_node_register drop_##r##_node = {         \
		.name = "drop:" #r,                                 \
		.process = drop_process,                            \
	};                                                          \
	RTE_NODE_REGISTER(drop_##r##_node);
#include "core/drop_reasons.def"
#undef RS_DROP
