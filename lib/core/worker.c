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
#include "icmp/icmp_rl.h"
#include "ip4/reass.h"
#include "util/rs_log.h"

static const char *node_patterns[] = {
	"port_rx", "ctl_input", "ip4_reass_timer", "sock_tx", "udp_handoff_rx",
	"eth_input", "arp_input", "ip4_input", "ip4_local", "ip4_reass",
	"icmp4_input", "udp_input", "ip4_forward", "ip4_output", "ip4_fragment",
	"eth_output", "port_tx",
	/* drop:<reason> nodes join through the edges that lead to them; a
	 * reason no node can reach would be an isolated node and fail creation */
};

/* a 65535-byte datagram in 1500-byte fragments is 45 */
#define REASS_FRAGS_PER_DGRAM 64

static void reass_free_mbuf(void *ctx, void *buf)
{
	struct rs_worker *w = ctx;
	/* Stashed, then counted under the drop reason the calling node picks
	 * from the call's result (see ip4_reass_node.c). */
	if (w->reass_node == NULL)
		rte_pktmbuf_free(buf);
	else if (w->reass_nstash < RTE_DIM(w->reass_stash))
		w->reass_stash[w->reass_nstash++] = buf;
	else
		rte_node_enqueue_x1(w->graph, w->reass_node, w->reass_drop_edge, buf);
}

int rs_workers_create(void)
{
	const struct rs_dp_params *p = &rs_dp.params;
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
		/* Fragments pin whole packet buffers, however small: all
		 * workers together hold at most an eighth of the pool (at
		 * least one largest datagram each), one source at most a
		 * quarter of a worker's share (lib/ip4/reass.h). */
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
			.timeout_ns = (uint64_t)p->reass_timeout_ms * 1000000ull,
		};
		w->reass = reass_create(&rp, reass_free_mbuf, w);
		if (w->reass == NULL) {
			rs_err_set("cannot create the reassembly table");
			return -ENOMEM;
		}
		w->icmp_tokens_ns = 0;
		w->icmp_last_ns = 0;
		if (p->icmp_ratelimit_ms != 0) {
			struct icmp_rl_params ip;
			icmp_rl_params_default(&ip);
			ip.entries = p->icmp_dests;
			ip.interval_ns = (uint64_t)p->icmp_ratelimit_ms * 1000000ull;
			w->icmp_rl = icmp_rl_create(&ip);
			if (w->icmp_rl == NULL) {
				rs_err_set("cannot create the ICMP rate limit table");
				return -ENOMEM;
			}
		}

		struct rte_graph_param gp = {
			.socket_id = (int)rte_lcore_to_socket_id(w->lcore),
			.nb_node_patterns = RTE_DIM(node_patterns),
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

void rs_worker_poll_once(struct rs_worker *w)
{
	w->cfg = atomic_load_explicit(&rs_dp.cfg, memory_order_acquire);
	w->now_ns = rs_now_ns();
	w->rx_pkts = 0;
	rte_graph_walk(w->graph);
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
			/* Only when idle: a syscall here costs no packet anything. */
			struct timespec ts = { 0, (long)sleep_us * 1000 };
			nanosleep(&ts, NULL);
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
		w->reass_node = NULL;
		if (w->reass)
			reass_destroy(w->reass);
		w->reass = NULL;
		icmp_rl_destroy(w->icmp_rl);
		w->icmp_rl = NULL;
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
