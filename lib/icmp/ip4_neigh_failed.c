/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_neigh_failed: IPv4 packets whose next hop did not resolve, handed
 * over by the neighbour module through ctl_input. Each gets Destination
 * Unreachable (host) here, on a worker, where the ICMP rate limit lives
 * (RFC 1812 §4.3.3.1), and is counted as neigh_failed.
 * Input: data at the IPv4 header. Consumes every packet.
 */
#include <errno.h>

#include "core/module.h"
#include "core/node.h"
#include "icmp/icmp4.h"
#include "icmp/icmp_rl.h"
#include "util/rs_log.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_DROP,
	E_NB,
};

static uint16_t ip4_neigh_failed_process(struct rte_graph *graph, struct rte_node *node,
					 void **objs, uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);

	for (uint16_t i = 0; i < nb; i++) {
		int why;
		struct rte_mbuf *e = icmp4_error_build(w, objs[i], ICMP4_DEST_UNREACH,
						       ICMP4_UNREACH_HOST, 0, &why);
		if (e != NULL)
			rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
	}
	rte_node_next_stream_move(graph, node, E_DROP);
	return nb;
}

static struct rte_node_register ip4_neigh_failed_node = {
	.name = "ip4_neigh_failed",
	.process = ip4_neigh_failed_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_DROP] = RS_DROP_NODE(neigh_failed),
	},
};
RTE_NODE_REGISTER(ip4_neigh_failed_node);

static int icmp_worker_init(struct rs_worker *w)
{
	const struct rs_dp_params *p = &rs_dp.params;
	struct icmp_worker *iw = &icmp_workers[w->idx];
	iw->tokens_ns = iw->last_ns = 0;
	if (p->icmp_ratelimit_ms == 0)
		return 0;
	struct icmp_rl_params ip;
	icmp_rl_params_default(&ip);
	ip.entries = p->icmp_dests;
	ip.interval_ns = (uint64_t)p->icmp_ratelimit_ms * 1000000ull;
	iw->rl = icmp_rl_create(&ip);
	if (iw->rl == NULL) {
		rs_err_set("cannot create the ICMP rate limit table");
		return -ENOMEM;
	}
	return 0;
}

static void icmp_worker_fini(struct rs_worker *w)
{
	icmp_rl_destroy(icmp_workers[w->idx].rl);
	icmp_workers[w->idx].rl = NULL;
}

static const char *const icmp_nodes[] = { "icmp4_input", "ip4_neigh_failed", NULL };

static struct rs_module icmp_module = {
	.name = "icmp",
	.order = 40,
	.worker_init = icmp_worker_init,
	.worker_fini = icmp_worker_fini,
	.nodes = icmp_nodes,
};
RS_MODULE_REGISTER(icmp_module);
