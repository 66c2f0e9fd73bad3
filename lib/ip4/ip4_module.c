/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPv4 module: its nodes and per-worker state (core/module.h). */
#include <errno.h>

#include <rte_graph_worker.h>

#include "core/module.h"
#include "ip4/ip4.h"
#include "ip4/reass.h"
#include "util/rs_log.h"

struct ip4_worker ip4_workers[RS_MAX_WORKERS];

static int ip4_worker_init(struct rs_worker *w)
{
	/* IPv4: 65515 bytes of payload at most (reass.h) */
	return reass_graph_init(&ip4_worker(w)->rg, w->idx, 0);
}

static void ip4_worker_fini(struct rs_worker *w)
{
	reass_graph_fini(&ip4_worker(w)->rg);
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
