/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPv4 module: its nodes and per-worker state (core/module.h). */
#include <errno.h>

#include <rte_graph_worker.h>

#include "core/module.h"
#include "ip4/ip4.h"
#include "ip4/reass.h"
#include "util/rs_log.h"

struct ip4_worker ip4_workers[RS_MAX_WORKERS];

/* a 65535-byte datagram in 1500-byte fragments is 45 */
#define REASS_FRAGS_PER_DGRAM 64

static void reass_free_mbuf(void *ctx, void *buf)
{
	struct ip4_worker *iw = ctx;
	/* Stashed, then counted under the drop reason the calling node picks
	 * from the call's result (see ip4_reass_node.c). */
	if (iw->reass_node == NULL)
		rte_pktmbuf_free(buf);
	else if (iw->reass_nstash < RTE_DIM(iw->reass_stash))
		iw->reass_stash[iw->reass_nstash++] = buf;
	else
		rte_node_enqueue_x1(rs_dp.workers[iw - ip4_workers].graph, iw->reass_node,
				    iw->reass_drop_edge, buf);
}

static int ip4_worker_init(struct rs_worker *w)
{
	const struct rs_dp_params *p = &rs_dp.params;
	struct ip4_worker *iw = ip4_worker(w);
	/* Fragments pin whole packet buffers, however small: all workers
	 * together hold at most an eighth of the pool (at least one largest
	 * datagram each), one source at most a quarter of a worker's share
	 * (lib/ip4/reass.h). */
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
		.timeout_ns = (uint64_t)p->reass_timeout_ms * 1000000ull,
	};
	iw->reass = reass_create(&rp, reass_free_mbuf, iw);
	if (iw->reass == NULL) {
		rs_err_set("cannot create the reassembly table");
		return -ENOMEM;
	}
	return 0;
}

static void ip4_worker_fini(struct rs_worker *w)
{
	struct ip4_worker *iw = ip4_worker(w);
	iw->reass_node = NULL;
	if (iw->reass != NULL)
		reass_destroy(iw->reass);
	iw->reass = NULL;
}

static const char *const ip4_nodes[] = {
	"ip4_input", "ip4_local", "ip4_reass", "ip4_reass_timer", "ip4_forward",
	"ip4_output", "ip4_fragment", "ip4_fastpath", NULL,
};

static struct rs_module ip4_module = {
	.name = "ip4",
	.order = 30,
	.worker_init = ip4_worker_init,
	.worker_fini = ip4_worker_fini,
	.nodes = ip4_nodes,
};
RS_MODULE_REGISTER(ip4_module);
