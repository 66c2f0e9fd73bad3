/* SPDX-License-Identifier: BSD-3-Clause */
/* The module registry (module.h). */
#include <errno.h>
#include <string.h>

#include <rte_graph.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "core/dp.h"
#include "core/module.h"
#include "util/rs_log.h"

static STAILQ_HEAD(, rs_module) modules = STAILQ_HEAD_INITIALIZER(modules);

/* Registration keeps the list sorted by order (stable for equal orders). */
void rs_module_register(struct rs_module *m)
{
	struct rs_module *prev = NULL, *it;
	STAILQ_FOREACH(it, &modules, link) {
		if (it->order > m->order)
			break;
		prev = it;
	}
	if (prev == NULL)
		STAILQ_INSERT_HEAD(&modules, m, link);
	else
		STAILQ_INSERT_AFTER(&modules, prev, m, link);
}

/* Modules whose init ran, so fini undoes exactly those, in reverse. */
static struct rs_module *inited[64];
static unsigned ninited;

int rs_modules_init(void)
{
	struct rs_module *m;
	STAILQ_FOREACH(m, &modules, link) {
		if (ninited == RTE_DIM(inited)) {
			rs_err_set("too many modules");
			return -ENOSPC;
		}
		if (m->init != NULL) {
			int rc = m->init();
			if (rc < 0)
				return rc;
		}
		inited[ninited++] = m;
	}
	return 0;
}

void rs_modules_fini(void)
{
	while (ninited > 0) {
		struct rs_module *m = inited[--ninited];
		if (m->fini != NULL)
			m->fini();
	}
}

int rs_modules_worker_init(struct rs_worker *w)
{
	struct rs_module *m;
	STAILQ_FOREACH(m, &modules, link) {
		if (m->worker_init != NULL) {
			int rc = m->worker_init(w);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Safe on a worker whose worker_init failed part way: each module's
 * worker_fini must accept state it never made (NULL pointers). */
void rs_modules_worker_fini(struct rs_worker *w)
{
	struct rs_module *m;
	STAILQ_FOREACH(m, &modules, link)
		if (m->worker_fini != NULL)
			m->worker_fini(w);
}

uint64_t rs_modules_tick_cfg_changes;

void rs_modules_tick(uint64_t now_ns)
{
	uint64_t gen = rs_cfg_current()->gen;
	for (unsigned i = 0; i < ninited; i++)
		if (inited[i]->tick != NULL)
			inited[i]->tick(now_ns);
	rs_modules_tick_cfg_changes += rs_cfg_current()->gen - gen;
}

unsigned rs_modules_nodes(const char **names, unsigned max)
{
	unsigned n = 0;
	struct rs_module *m;
	STAILQ_FOREACH(m, &modules, link) {
		for (const char *const *p = m->nodes; p != NULL && *p != NULL; p++)
			if (n < max)
				names[n++] = *p;
	}
	return n;
}

/* ---- messages ---- */

static struct {
	const char *name;
	rs_msg_fn *fn;
} msg_types[RS_MSG_TYPES_MAX];
static uint16_t nmsg_types = 1; /* 0 is never a valid type */

uint16_t rs_msg_type_register(const char *name, rs_msg_fn *fn)
{
	if (nmsg_types == RS_MSG_TYPES_MAX)
		rte_panic("too many worker message types (%s)\n", name);
	msg_types[nmsg_types].name = name;
	msg_types[nmsg_types].fn = fn;
	return nmsg_types++;
}

void rs_msgs_drain(uint64_t now_ns)
{
	for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
		struct rte_ring *r = rs_dp.workers[w].to_ctl;
		struct rs_msg msgs[32];
		unsigned n;
		int rounds = 32; /* bounded: the control thread has other work */
		if (r == NULL)
			continue;
		while (rounds-- > 0 &&
		       (n = rte_ring_sc_dequeue_burst_elem(r, msgs, sizeof(msgs[0]), RTE_DIM(msgs),
							   NULL)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				uint16_t t = msgs[i].type;
				if (t > 0 && t < nmsg_types)
					msg_types[t].fn(&msgs[i], now_ns);
				else if (msgs[i].m != NULL)
					rte_pktmbuf_free(msgs[i].m);
			}
		}
	}
}

/* ---- edges added at run time ---- */

static struct {
	const char *src, *dst;
	uint8_t id;
} dyn_edges[RS_DYN_EDGES_MAX];
static unsigned ndyn;

uint8_t rs_dyn_edge_register(const char *src, const char *dst)
{
	uint8_t next = 0;
	for (unsigned i = 0; i < ndyn; i++) {
		if (strcmp(dyn_edges[i].src, src) != 0)
			continue;
		if (strcmp(dyn_edges[i].dst, dst) == 0)
			return dyn_edges[i].id;
		next++;
	}
	if (ndyn == RS_DYN_EDGES_MAX)
		rte_panic("too many run-time edges (%s -> %s)\n", src, dst);
	dyn_edges[ndyn].src = src;
	dyn_edges[ndyn].dst = dst;
	dyn_edges[ndyn].id = next;
	ndyn++;
	return next;
}

int rs_dyn_edges_apply(void)
{
	static bool done;
	if (done)
		return 0;
	for (unsigned i = 0; i < ndyn; i++) {
		bool first = true;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(dyn_edges[j].src, dyn_edges[i].src) == 0)
				first = false;
		if (!first)
			continue;
		const char *names[RS_DYN_EDGES_MAX];
		unsigned n = 0;
		for (unsigned j = i; j < ndyn; j++)
			if (strcmp(dyn_edges[j].src, dyn_edges[i].src) == 0)
				names[dyn_edges[j].id] = dyn_edges[j].dst, n++;
		rte_node_t id = rte_node_from_name(dyn_edges[i].src);
		if (id == RTE_NODE_ID_INVALID)
			continue; /* not linked in (unit tests) */
		if (rte_node_edge_count(id) != 0) {
			rs_err_set("node %s must have no static edges", dyn_edges[i].src);
			return -EINVAL;
		}
		if (rte_node_edge_update(id, 0, names, (uint16_t)n) != n) {
			rs_err_set("cannot add the edges of %s", dyn_edges[i].src);
			return -EINVAL;
		}
	}
	done = true;
	return 0;
}
