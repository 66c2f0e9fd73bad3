/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers: one rte_graph instance per worker lcore, all made from one node
 * list. The loop: load the published configuration, walk the graph once,
 * report an RCU quiescent state. Optionally sleep when idle so the daemon can
 * share a small machine with its peers.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_graph_worker.h>
#include <rte_launch.h>

#include "core/dp.h"
#include "core/module.h"
#include "util/rs_log.h"

int rs_workers_create(void)
{
	static const char *node_patterns[256];
	unsigned nb_patterns = rs_modules_nodes(node_patterns, RTE_DIM(node_patterns));
	/* drop:<reason> nodes join through the edges that lead to them; a
	 * reason no node can reach would be an isolated node and fail creation */
	int rc = rs_dyn_edges_apply();
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < rs_dp.nb_workers; i++) {
		struct rs_worker *w = &rs_dp.workers[i];
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "rs_to_ctl_%u", i);
		w->to_ctl = rte_ring_create_elem(name, sizeof(struct rs_msg), 4096,
						 (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "rs_from_ctl_%u", i);
		w->from_ctl = rte_ring_create(name, 4096, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->to_ctl == NULL || w->from_ctl == NULL) {
			rs_err_set("cannot create worker rings: %s", rte_strerror(rte_errno));
			return -ENOMEM;
		}
		rc = rs_modules_worker_init(w);
		if (rc < 0)
			return rc;

		struct rte_graph_param gp = {
			.socket_id = (int)rte_lcore_to_socket_id(w->lcore),
			.nb_node_patterns = nb_patterns,
			.node_patterns = node_patterns,
		};
		char gname[RTE_GRAPH_NAMESIZE];
		snprintf(gname, sizeof(gname), "worker%u", i);
		rte_graph_t id = rte_graph_create(gname, &gp);
		if (id == RTE_GRAPH_ID_INVALID) {
			rs_err_set("cannot create graph %s: %s", gname, rte_strerror(rte_errno));
			return -EINVAL;
		}
		w->graph_id = id;
		w->graph = rte_graph_lookup(gname);
	}
	return 0;
}

/*
 * rte_graph_walk, DPDK 22.11's, whose per-node statistics are built in
 * (RTE_LIBRTE_GRAPH_STATS): two TSC reads around every node visit, about
 * 20 a walk with the eight source nodes polled each time. A TSC read costs
 * this machine's cores about 11 ns of issue (measured back to back), and
 * the twenty about a fifth of a 128-frame walk's time at ~55 Mpps: what
 * kept the forwarding rate under l3fwd's, which reads the TSC once per
 * loop. Here calls and objects are counted at every visit as there; the
 * cycles only in one walk of RS_NODE_CYCLES_EVERY (timed), each visit's
 * from the read after the node before it (the walk's start, t, for the
 * first) to the read after it, scaled by RS_NODE_CYCLES_EVERY: an
 * estimate of total_cycles from a fixed sample, where the other walks
 * read the TSC once (the clock, rs_worker_poll_once).
 */
static inline void rs_graph_walk(struct rte_graph *graph, uint64_t t, bool timed)
{
	const rte_graph_off_t *cir_start = graph->cir_start;
	const rte_node_t mask = graph->cir_mask;
	uint32_t head = graph->head;

	while (likely(head != graph->tail)) {
		struct rte_node *node =
			(struct rte_node *)RTE_PTR_ADD(graph, cir_start[(int32_t)head++]);
		void **objs = node->objs;
		rte_prefetch0(objs);
		uint16_t rc = node->process(graph, node, objs, node->idx);
		if (unlikely(timed)) {
			uint64_t t2 = rte_rdtsc();
			node->total_cycles += (t2 - t) * RS_NODE_CYCLES_EVERY;
			t = t2;
		}
		node->total_calls++;
		node->total_objs += rc;
		node->idx = 0;
		head = likely((int32_t)head > 0) ? head & mask : head;
	}
	graph->tail = 0;
}

void rs_worker_poll_once(struct rs_worker *w)
{
	w->cfg = atomic_load_explicit(&rs_dp.cfg, memory_order_acquire);
	uint64_t t = rte_get_tsc_cycles();
	w->now_ns = rs_tsc_to_ns(t);
	w->rx_pkts = 0;
	rs_graph_walk(w->graph, t, (w->loops & (RS_NODE_CYCLES_EVERY - 1)) == 0);
	w->loops++;
}

static int worker_main(void *arg)
{
	struct rs_worker *w = arg;
	const uint32_t sleep_us = rs_dp.params.idle_sleep_us;
	const uint32_t idle_polls = rs_dp.params.idle_polls;
	uint32_t empty = 0;

	rte_rcu_qsbr_thread_register(rs_dp.rcu, w->idx);
	rte_rcu_qsbr_thread_online(rs_dp.rcu, w->idx);
	while (!rs_dp.stop) {
		rs_worker_poll_once(w);
		/* Outside the walk nothing of the configuration is held. */
		rte_rcu_qsbr_quiescent(rs_dp.rcu, w->idx);
		if (sleep_us == 0)
			continue;
		if (w->rx_pkts) {
			empty = 0;
		} else if (++empty >= idle_polls) {
			/* Only when idle: a syscall here costs no packet anything.
			 * Offline while asleep: nothing of the configuration is
			 * held, so no grace period waits for this worker; online
			 * again before the next walk loads it. */
			struct timespec ts = { 0, (long)sleep_us * 1000 };
			rte_rcu_qsbr_thread_offline(rs_dp.rcu, w->idx);
			nanosleep(&ts, NULL);
			rte_rcu_qsbr_thread_online(rs_dp.rcu, w->idx);
			w->idle_sleeps++;
		}
	}
	rte_rcu_qsbr_thread_offline(rs_dp.rcu, w->idx);
	rte_rcu_qsbr_thread_unregister(rs_dp.rcu, w->idx);
	return 0;
}

int rs_workers_launch(void)
{
	for (unsigned i = 0; i < rs_dp.nb_workers; i++) {
		int rc = rte_eal_remote_launch(worker_main, &rs_dp.workers[i],
					       rs_dp.workers[i].lcore);
		if (rc < 0) {
			rs_err_set("cannot launch worker on lcore %u", rs_dp.workers[i].lcore);
			return rc;
		}
	}
	return 0;
}

void rs_workers_stop(void)
{
	rs_dp.stop = true;
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < rs_dp.nb_workers; i++) {
		struct rs_worker *w = &rs_dp.workers[i];
		if (w->graph_id != RTE_GRAPH_ID_INVALID && w->graph != NULL)
			rte_graph_destroy(w->graph_id);
		w->graph = NULL;
		rs_modules_worker_fini(w);
		struct rte_mbuf *m;
		while (w->from_ctl && rte_ring_sc_dequeue(w->from_ctl, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		struct rs_msg msg;
		while (w->to_ctl && rte_ring_dequeue_elem(w->to_ctl, &msg, sizeof(msg)) == 0)
			if (msg.m)
				rte_pktmbuf_free(msg.m);
		rte_ring_free(w->from_ctl);
		rte_ring_free(w->to_ctl);
		w->from_ctl = w->to_ctl = NULL;
	}
}
