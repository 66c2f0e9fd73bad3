/* SPDX-License-Identifier: BSD-3-Clause */
/* The reassembly table's graph glue, shared by IPv4 and IPv6 (reass_graph.h). */
#include <errno.h>

#include <rte_graph_worker.h>

#include "ip4/reass.h"
#include "ip4/reass_graph.h"
#include "util/rs_log.h"

/* a 65535-byte datagram in 1500-byte fragments is 45, a 65535-byte IPv6
 * payload in 1280-byte ones 53 */
#define REASS_FRAGS_PER_DGRAM 64
#define REASS_SCAN_NS 100000000ull

static void free_buf(void *ctx, void *buf)
{
	struct reass_graph *g = ctx;
	if (g->node == NULL)
		rte_pktmbuf_free(buf);
	else if (g->nstash < RTE_DIM(g->stash))
		g->stash[g->nstash++] = buf;
	else
		rte_node_enqueue_x1(rs_dp.workers[g->widx].graph, g->node, g->drop_edge, buf);
}

int reass_graph_init(struct reass_graph *g, uint16_t widx, uint32_t max_payload)
{
	const struct rs_dp_params *p = &rs_dp.params;
	/* Fragments pin whole packet buffers, however small: all workers
	 * together hold at most an eighth of the pool per family (at least
	 * one largest datagram each), one source at most a quarter of a
	 * worker's share (reass.h). */
	uint32_t bufs = p->reass_max_frags;
	if (bufs == 0)
		bufs = rs_pool_size() / 8 / rs_dp.nb_workers;
	if (bufs < REASS_FRAGS_PER_DGRAM)
		bufs = REASS_FRAGS_PER_DGRAM;
	uint32_t src_bufs = bufs / 4 > REASS_FRAGS_PER_DGRAM ? bufs / 4 : REASS_FRAGS_PER_DGRAM;
	struct reass_params rp = {
		.max_datagrams = p->reass_max_datagrams,
		.max_bytes = p->reass_max_bytes,
		.max_frags = REASS_FRAGS_PER_DGRAM,
		.max_bufs = bufs,
		.max_src_bufs = src_bufs,
		/* both families share --reass-timeout (RFC 8200 §4.5 and
		 * Linux's ip6frag_time: 60 s, as IPv4's default) */
		.timeout_ns = (uint64_t)p->reass_timeout_ms * 1000000ull,
		.max_payload = max_payload,
	};
	g->node = NULL;
	g->nstash = 0;
	g->widx = widx;
	g->next_scan_ns = 0;
	g->reass = reass_create(&rp, free_buf, g);
	if (g->reass == NULL) {
		rs_err_set("cannot create the reassembly table");
		return -ENOMEM;
	}
	return 0;
}

void reass_graph_fini(struct reass_graph *g)
{
	g->node = NULL;
	if (g->reass != NULL)
		reass_destroy(g->reass);
	g->reass = NULL;
}

void reass_graph_flush(struct reass_graph *g, struct rte_graph *graph, struct rte_node *node,
		       rte_edge_t edge)
{
	if (g->nstash)
		rte_node_enqueue(graph, node, edge, (void **)g->stash, g->nstash);
	g->nstash = 0;
	g->node = NULL;
}

struct expire_ctx {
	struct rs_worker *w;
	struct rte_graph *graph;
	struct rte_node *node;
	rte_edge_t out_edge;
	reass_expired_fn *err;
};

static void on_expired(void *arg, const struct reass_key *k, void *frag0)
{
	struct expire_ctx *x = arg;
	(void)k;
	if (frag0 == NULL)
		return;
	struct rte_mbuf *e = x->err(x->w, frag0);
	if (e != NULL)
		rte_node_enqueue_x1(x->graph, x->node, x->out_edge, e);
}

uint16_t reass_graph_expire(struct reass_graph *g, struct rs_worker *w, struct rte_graph *graph,
			    struct rte_node *node, rte_edge_t out_edge, rte_edge_t timeout_edge,
			    reass_expired_fn *err)
{
	if (w->now_ns < g->next_scan_ns)
		return 0;
	g->next_scan_ns = w->now_ns + REASS_SCAN_NS;
	struct expire_ctx x = { w, graph, node, out_edge, err };
	reass_graph_enter(g, node, timeout_edge);
	uint32_t n = reass_expire(g->reass, w->now_ns, on_expired, &x);
	reass_graph_flush(g, graph, node, timeout_edge);
	return (uint16_t)n;
}
