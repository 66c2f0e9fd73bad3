/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPv6 module: its graph nodes and per-worker state (core/module.h). */
#include <errno.h>

#include <rte_graph_worker.h>

#include "core/module.h"
#include "ip4/reass.h"
#include "ip6/ip6.h"
#include "util/rs_log.h"

struct ip6_worker ip6_workers[RS_MAX_WORKERS];

static int ip6_worker_init(struct rs_worker *w)
{
	/* RFC 8200 §4.5: a 65535-byte payload */
	return reass_graph_init(&ip6_worker(w)->rg, w->idx, 65535);
}

static void ip6_worker_fini(struct rs_worker *w)
{
	reass_graph_fini(&ip6_worker(w)->rg);
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
