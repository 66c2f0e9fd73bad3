/* SPDX-License-Identifier: BSD-3-Clause */
/* Link impairment: per-worker state and the module (impair_dp.h). */
#include <string.h>

#include <rte_malloc.h>

#include "core/module.h"
#include "eth/impair_dp.h"
#include "util/rs_log.h"

struct impair_worker *impair_workers[RS_MAX_WORKERS];

static int impair_worker_init(struct rs_worker *w)
{
	struct impair_worker *iw = rte_zmalloc_socket("impair_worker", sizeof(*iw),
						      RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (iw == NULL)
		return -ENOMEM;
	iw->heap.cap = rs_impair_heap_cap(rs_pool_size(), rs_dp.nb_workers);
	iw->heap.e = rte_zmalloc_socket("impair_heap", sizeof(*iw->heap.e) * iw->heap.cap,
					RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (iw->heap.e == NULL) {
		rte_free(iw);
		rs_err_set("cannot allocate the impairment queue of worker %u", w->idx);
		return -ENOMEM;
	}
	impair_workers[w->idx] = iw;
	return 0;
}

static void impair_worker_fini(struct rs_worker *w)
{
	struct impair_worker *iw = impair_workers[w->idx];
	if (iw == NULL)
		return;
	struct rs_impair_held h;
	while (rs_impair_heap_pop_due(&iw->heap, UINT64_MAX, &h))
		rte_pktmbuf_free(h.pkt);
	rte_free(iw->heap.e);
	rte_free(iw);
	impair_workers[w->idx] = NULL;
}

void impair_stats_sum(uint16_t link, unsigned dir, struct rs_impair_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (link >= RS_MAX_IFACES || dir >= RS_IMPAIR_NDIR)
		return;
	for (unsigned w = 0; w < RS_MAX_WORKERS; w++) {
		const struct impair_worker *iw = impair_workers[w];
		if (iw == NULL)
			continue;
		/* worker-written 64-bit counters: a read may be one packet old */
		const volatile struct rs_impair_stats *s = &iw->st[link][dir];
		out->dropped += s->dropped;
		out->delayed += s->delayed;
		out->reordered += s->reordered;
		out->duplicated += s->duplicated;
		out->corrupted += s->corrupted;
		out->queue_full += s->queue_full;
	}
}

static const char *const impair_nodes[] = {
	"impair_in", "impair_out", "impair_release", NULL,
};

static struct rs_module impair_module = {
	.name = "impair",
	.order = 11,
	.worker_init = impair_worker_init,
	.worker_fini = impair_worker_fini,
	.nodes = impair_nodes,
};
RS_MODULE_REGISTER(impair_module);
