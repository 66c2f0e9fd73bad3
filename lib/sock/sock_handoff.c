/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sock_handoff, sock_handoff_rx: a socket (or TCP connection) has one owner
 * worker, the only producer of its receive ring. A packet for it that
 * arrives on another worker's queue (a port without RSS, a NIC whose RSS
 * disagrees, an unconnected socket receiving from many flows) is handed to
 * the owner over a ring that belongs to the (from, to) pair of workers:
 * one producer, one consumer, no lock, no CAS; a full ring is a counted
 * drop (sock_handoff_full), never a wait. The owner's sock_handoff_rx
 * puts it back into the graph at the node the protocol registered
 * (sock_handoff_target), which then finds itself the owner.
 *
 * Input of sock_handoff: packets whose priv->owner is the worker to hand
 * to and priv->inject the re-entry target id. Consumes every packet.
 */
#include <stdio.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "core/module.h"
#include "core/node.h"
#include "sock/sock.h"

/* rings[from][to]: made on the control thread before workers run, freed
 * after they stopped. */
static struct rte_ring *rings[RS_MAX_WORKERS][RS_MAX_WORKERS];

uint8_t sock_handoff_target(const char *node)
{
	return rs_dyn_edge_register("sock_handoff_rx", node);
}

static int handoff_worker_init(struct rs_worker *w)
{
	for (unsigned to = 0; to < rs_dp.nb_workers; to++) {
		if (to == w->idx || rings[w->idx][to] != NULL)
			continue;
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "rs_hoff_%u_%u", w->idx, to);
		rings[w->idx][to] = rte_ring_create(name, 4096, (int)rte_socket_id(),
						    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[w->idx][to] == NULL)
			return -rte_errno;
	}
	return 0;
}

static void handoff_worker_fini(struct rs_worker *w)
{
	for (unsigned to = 0; to < RS_MAX_WORKERS; to++) {
		struct rte_ring *r = rings[w->idx][to];
		struct rte_mbuf *m;
		if (r == NULL)
			continue;
		while (rte_ring_sc_dequeue(r, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(r);
		rings[w->idx][to] = NULL;
	}
}

enum { H_FULL, H_NB };

static uint16_t sock_handoff_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const int off = rs_priv_offset;
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		uint16_t to = rs_priv_at(m, off)->owner;
		struct rte_ring *r = to < RS_MAX_WORKERS ? rings[w->idx][to] : NULL;
		if (r == NULL || rte_ring_sp_enqueue(r, m) != 0)
			rte_node_enqueue_x1(graph, node, H_FULL, m);
	}
	return nb;
}

static struct rte_node_register sock_handoff_node = {
	.name = "sock_handoff",
	.process = sock_handoff_process,
	.init = rs_node_init,
	.nb_edges = H_NB,
	.next_nodes = {
		[H_FULL] = RS_DROP_NODE(sock_handoff_full),
	},
};
RTE_NODE_REGISTER(sock_handoff_node);

/* Source node: what the other workers handed to this one. */
static uint16_t sock_handoff_rx_process(struct rte_graph *graph, struct rte_node *node,
					void **objs, uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const int off = rs_priv_offset;
	uint16_t total = 0;
	(void)objs;
	(void)nb;
	for (unsigned from = 0; from < rs_dp.nb_workers; from++) {
		struct rte_ring *r = rings[from][w->idx];
		struct rte_mbuf *pkts[RS_BURST];
		if (r == NULL)
			continue;
		unsigned n = rte_ring_sc_dequeue_burst(r, (void **)pkts, RS_BURST, NULL);
		for (unsigned i = 0; i < n; i++) {
			uint8_t e = rs_priv_at(pkts[i], off)->inject;
			if (likely(e < node->nb_edges))
				rte_node_enqueue_x1(graph, node, e, pkts[i]);
			else
				rte_pktmbuf_free(pkts[i]); /* our bug: a target never registered */
		}
		total = (uint16_t)(total + n);
	}
	w->rx_pkts += total;
	return total;
}

static struct rte_node_register sock_handoff_rx_node = {
	.name = "sock_handoff_rx",
	.process = sock_handoff_rx_process,
	.init = rs_node_init,
	.flags = RTE_NODE_SOURCE_F,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(sock_handoff_rx_node);

static struct rs_module handoff_module = {
	.name = "sock_handoff",
	.order = 61,
	.worker_init = handoff_worker_init,
	.worker_fini = handoff_worker_fini,
};
RS_MODULE_REGISTER(handoff_module);
