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
/* Configuration versions the ticks published on their own (DAD completing,
 * a link-local address made for a new link), as opposed to commands: lets
 * a check tell "nobody changed anything" from "time passed". */
extern uint64_t rs_modules_tick_cfg_changes;
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

/* ---- edges added at run time ---- */
/*
 * From a constructor: an edge from node src to node dst, added to src
 * before the workers' graphs are made. src must register no static edges
 * of its own (its edges are exactly these, in id order). Returns the edge
 * id; the same pair twice gives the same id.
 */
#define RS_DYN_EDGES_MAX 32
uint8_t rs_dyn_edge_register(const char *src, const char *dst);
/* Control thread, before graphs are made: adds every registered edge. */
int rs_dyn_edges_apply(void);

/* ---- control -> worker packets ---- */
/* The node a packet handed to rs_inject(m, id) enters at: an edge of the
 * ctl_input source node (lib/eth). */
static inline uint8_t rs_inject_target_register(const char *node_name)
{
	return rs_dyn_edge_register("ctl_input", node_name);
}

#endif
