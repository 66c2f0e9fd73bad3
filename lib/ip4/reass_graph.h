/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's reassembly table (reass.h) in the graph, for either family:
 * the buffers the table frees are stashed and counted under the drop node
 * the calling node picks from the call's result, and a source node scans
 * for expired datagrams every 100 ms, answering each that had its first
 * fragment with the family's Time Exceeded. Written by its worker only.
 */
#ifndef RS_REASS_GRAPH_H
#define RS_REASS_GRAPH_H

#include <stdint.h>

#include <rte_graph.h>
#include <rte_mbuf.h>

#include "core/dp.h"

struct reass_table;

struct reass_graph {
	struct reass_table *reass;
	/* the node calling into the table, NULL outside a call: freed
	 * buffers are stashed for it and enqueued on drop_edge */
	struct rte_node *node;
	rte_edge_t drop_edge;
	uint16_t nstash;
	uint16_t widx; /* the worker, for a stash that overflows */
	uint64_t next_scan_ns;
	struct rte_mbuf *stash[256];
};

/* Creates the table within the bounds of rs_dp.params (an eighth of the
 * packet pool over the workers, a quarter of that per source); max_payload
 * as struct reass_params. 0, or -ENOMEM with rs_err set. */
int reass_graph_init(struct reass_graph *g, uint16_t widx, uint32_t max_payload);
void reass_graph_fini(struct reass_graph *g);

/* Before a call into the table from node: what it frees goes to edge. */
static inline void reass_graph_enter(struct reass_graph *g, struct rte_node *node, rte_edge_t edge)
{
	g->node = node;
	g->drop_edge = edge;
}

/* After the call: the stashed buffers go to edge (the call's verdict). */
void reass_graph_flush(struct reass_graph *g, struct rte_graph *graph, struct rte_node *node,
		       rte_edge_t edge);

/* The family's error for an expired datagram (its first fragment), or
 * NULL. */
typedef struct rte_mbuf *reass_expired_fn(struct rs_worker *w, struct rte_mbuf *frag0);

/* The expiry scan of a timer node: at most every 100 ms; errors go to
 * out_edge, the expired fragments to timeout_edge. Returns how many
 * datagrams expired. */
uint16_t reass_graph_expire(struct reass_graph *g, struct rs_worker *w, struct rte_graph *graph,
			    struct rte_node *node, rte_edge_t out_edge, rte_edge_t timeout_edge,
			    reass_expired_fn *err);

#endif
