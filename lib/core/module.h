/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Modules: how a protocol (or any other part of the dataplane) plugs into
 * core without core knowing it (STYLE.md: grout's gr_register_module).
 *
 * A module registers itself from a constructor (RS_MODULE_REGISTER) with:
 *  - init/fini on the control thread (rs_dp_init / rs_dp_fini), in
 *    ascending / descending `order`;
 *  - worker_init/worker_fini for its per-worker state, on the control
 *    thread before the workers' graphs are created / after they stopped.
 *    A module keeps that state itself, indexed by rs_worker.idx (each entry
 *    cache-line aligned: no two workers write one line);
 *  - tick: control-thread housekeeping, about every millisecond;
 *  - the graph nodes it contributes to every worker's graph.
 *
 * Core also carries, without interpreting them:
 *  - worker -> control messages (struct rs_msg): a module registers a
 *    handler and gets a type id (rs_msg_type_register); workers post with
 *    rs_msg_post, which never blocks (a full ring is an error the caller
 *    counts); the control thread runs the handlers from rs_msgs_drain.
 *  - control -> worker packets (rs_inject): a module registers the graph
 *    node a packet enters at (rs_inject_target_register) and gets the
 *    edge id of the ctl_input source node to use with rs_inject.
 *
 * Registration happens in constructors, before main(); everything else on
 * the control thread.
 */
#ifndef RS_MODULE_H
#define RS_MODULE_H

#include <stdint.h>
#include <sys/queue.h>

#include <rte_common.h>

struct rs_worker;
struct rs_msg;

struct rs_module {
	const char *name;
	int order;                                /* init order, lower first */
	int (*init)(void);                        /* 0 or -errno (rs_err_set says why) */
	void (*fini)(void);
	int (*worker_init)(struct rs_worker *w);  /* 0 or -errno */
	void (*worker_fini)(struct rs_worker *w);
	void (*tick)(uint64_t now_ns);
	const char *const *nodes;                 /* NULL-terminated graph node names */
	STAILQ_ENTRY(rs_module) link;
};

void rs_module_register(struct rs_module *m);

#define RS_MODULE_REGISTER(mod)                                                                    \
	RTE_INIT(rs_module_ctor_##mod)                                                             \
	{                                                                                          \
		rs_module_register(&(mod));                                                        \
	}

/* Control thread. */
int rs_modules_init(void);
void rs_modules_fini(void);
int rs_modules_worker_init(struct rs_worker *w);
void rs_modules_worker_fini(struct rs_worker *w);
void rs_modules_tick(uint64_t now_ns);
/* Every module's node names, for rte_graph_create's patterns. Returns the
 * count written (at most max). */
unsigned rs_modules_nodes(const char **names, unsigned max);

/* ---- worker -> control messages ---- */
typedef void rs_msg_fn(const struct rs_msg *msg, uint64_t now_ns);
#define RS_MSG_TYPES_MAX 32
/* From a constructor or init: the type id handlers are called for. */
uint16_t rs_msg_type_register(const char *name, rs_msg_fn *fn);
/* Control thread: runs the handler of every message workers posted (up to
 * a bound per call). A message carrying an mbuf that no handler claims is
 * freed here. */
void rs_msgs_drain(uint64_t now_ns);

/* ---- control -> worker packets ---- */
#define RS_INJECT_MAX 16
/* From a constructor: the node a packet handed to rs_inject(m, id) enters
 * at. The same name twice gives the same id. */
uint8_t rs_inject_target_register(const char *node_name);
/* The registered targets (for ctl_input's edges): count, names in id order. */
unsigned rs_inject_targets(const char **names, unsigned max);

#endif
