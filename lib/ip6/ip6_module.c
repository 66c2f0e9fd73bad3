/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPv6 module: its graph nodes and per-worker state (core/module.h). */
#include <errno.h>

#include <rte_graph_worker.h>

#include "core/module.h"
#include "ip4/reass.h"
#include "ip6/ip6.h"
#include "util/rs_log.h"

struct ip6_worker ip6_workers[RS_MAX_WORKERS];

/* a 65535-byte payload in 1280-byte fragments is 53 */
#define REASS_FRAGS_PER_DGRAM 64

static void reass_free_mbuf(void *ctx, void *buf)
{
	struct ip6_worker *iw = ctx;
	/* stashed, then counted under the reason the calling node picks */
	if (iw->reass_node == NULL)
		rte_pktmbuf_free(buf);
	else if (iw->reass_nstash < RTE_DIM(iw->reass_stash))
		iw->reass_stash[iw->reass_nstash++] = buf;
	else
		rte_node_enqueue_x1(rs_dp.workers[iw - ip6_workers].graph, iw->reass_node,
				    iw->reass_drop_edge, buf);
}

static int ip6_worker_init(struct rs_worker *w)
{
	const struct rs_dp_params *p = &rs_dp.params;
	struct ip6_worker *iw = ip6_worker(w);
	/* The same bounds as IPv4's table (ip4_module.c): an eighth of the
	 * pool over the workers, a quarter of that per source. The two
	 * families together hold at most a quarter of the pool. */
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
		/* RFC 8200 §4.5: 60 s; Linux's ip6frag_time is 60 s too, we
		 * share IPv4's --reass-timeout */
		.timeout_ns = (uint64_t)p->reass_timeout_ms * 1000000ull,
		.max_payload = 65535,
	};
	iw->reass = reass_create(&rp, reass_free_mbuf, iw);
	if (iw->reass == NULL) {
		rs_err_set("cannot create the IPv6 reassembly table");
		return -ENOMEM;
	}
	return 0;
}

static void ip6_worker_fini(struct rs_worker *w)
{
	struct ip6_worker *iw = ip6_worker(w);
	iw->reass_node = NULL;
	if (iw->reass != NULL)
		reass_destroy(iw->reass);
	iw->reass = NULL;
}

static const char *const ip6_nodes[] = {
	"ip6_input", "ip6_local", "ip6_reass", "ip6_reass_timer", "ip6_forward", "ip6_output",
	"ip6_fragment", "eth_output6", "icmp6_input", NULL,
};

static struct rs_module ip6_module = {
	.name = "ip6",
	.order = 31,
	.worker_init = ip6_worker_init,
	.worker_fini = ip6_worker_fini,
	.nodes = ip6_nodes,
};
RS_MODULE_REGISTER(ip6_module);
