/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_handoff, udp_handoff_rx: sockets are served by worker 0 alone. It runs
 * sock_tx, and each socket's rx ring (lib/util/shm_ring.h) has exactly one
 * producer, so two workers must never deliver to one socket. A UDP datagram
 * for us that arrives on another worker's queue (RSS, af_packet fanout) is
 * handed to worker 0 over that worker's own single-producer single-consumer
 * ring: no lock, no CAS, one enqueue per vector. A full ring is a counted
 * drop (udp_handoff_full), never a wait. With one worker nothing here runs.
 *
 * The software RSS of DESIGN.md ("Multi-core": sockets owned by any worker,
 * packets steered to their owner) would spread sockets over workers; this
 * is its single-owner case, correct for any number of workers.
 */
#include <stdio.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "core/node.h"

/* rings[w]: worker w (w > 0) -> worker 0. Made once at graph creation on
 * the control thread, before workers run; never freed while they do. */
static struct rte_ring *rings[RS_MAX_WORKERS];

static int udp_handoff_init(const struct rte_graph *graph, struct rte_node *node)
{
	int rc = rs_node_init(graph, node);
	if (rc != 0)
		return rc;
	struct rs_worker *w = rs_node_worker(node);
	if (w->idx == 0 || rings[w->idx] != NULL)
		return 0;
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "rs_udp_handoff_%u", w->idx);
	rings[w->idx] = rte_ring_create(name, 4096, (int)rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	return rings[w->idx] != NULL ? 0 : -rte_errno;
}

enum { H_UDP, H_FULL, H_NB };

/* On workers other than 0: datagrams go to worker 0's udp_input. */
static uint16_t udp_handoff_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	if (w->idx == 0 || rings[w->idx] == NULL) {
		rte_node_next_stream_move(graph, node, H_UDP);
		return nb;
	}
	unsigned n = rte_ring_sp_enqueue_burst(rings[w->idx], objs, nb, NULL);
	if (n < nb)
		rte_node_enqueue(graph, node, H_FULL, &objs[n], (uint16_t)(nb - n));
	return nb;
}

static struct rte_node_register udp_handoff_node = {
	.name = "udp_handoff",
	.process = udp_handoff_process,
	.init = udp_handoff_init,
	.nb_edges = H_NB,
	.next_nodes = {
		[H_UDP] = "udp_input",
		[H_FULL] = RS_DROP_NODE(udp_handoff_full),
	},
};
RTE_NODE_REGISTER(udp_handoff_node);

/* Source node, on worker 0: what the other workers handed over. */
static uint16_t udp_handoff_rx_process(struct rte_graph *graph, struct rte_node *node,
				       void **objs, uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	uint16_t total = 0;
	(void)objs;
	(void)nb;
	if (w->idx != 0)
		return 0;
	for (unsigned i = 1; i < rs_dp.nb_workers; i++) {
		struct rte_ring *r = rings[i];
		if (r == NULL || rte_ring_count(r) == 0)
			continue;
		void **to = rte_node_next_stream_get(graph, node, 0, RS_BURST);
		unsigned n = rte_ring_sc_dequeue_burst(r, to, RS_BURST, NULL);
		rte_node_next_stream_put(graph, node, 0, (uint16_t)n);
		total = (uint16_t)(total + n);
	}
	return total;
}

static struct rte_node_register udp_handoff_rx_node = {
	.name = "udp_handoff_rx",
	.process = udp_handoff_rx_process,
	.init = rs_node_init,
	.flags = RTE_NODE_SOURCE_F,
	.nb_edges = 1,
	.next_nodes = { "udp_input" },
};
RTE_NODE_REGISTER(udp_handoff_rx_node);
