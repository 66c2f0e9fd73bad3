/* SPDX-License-Identifier: BSD-3-Clause */
/* The module registry (module.h). */
#include <errno.h>
#include <string.h>

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

void rs_modules_tick(uint64_t now_ns)
{
	for (unsigned i = 0; i < ninited; i++)
		if (inited[i]->tick != NULL)
			inited[i]->tick(now_ns);
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

/* ---- inject targets ---- */

static const char *inject_names[RS_INJECT_MAX];
static uint8_t ninject;

uint8_t rs_inject_target_register(const char *node_name)
{
	for (uint8_t i = 0; i < ninject; i++)
		if (strcmp(inject_names[i], node_name) == 0)
			return i;
	if (ninject == RS_INJECT_MAX)
		rte_panic("too many inject targets (%s)\n", node_name);
	inject_names[ninject] = node_name;
	return ninject++;
}

unsigned rs_inject_targets(const char **names, unsigned max)
{
	unsigned n = ninject < max ? ninject : max;
	for (unsigned i = 0; i < n; i++)
		names[i] = inject_names[i];
	return n;
}
