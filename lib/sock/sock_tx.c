/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sock_tx (source, every worker): sends what applications queued on the
 * sockets this worker owns. For each published application, in a rotating
 * order: the sockets left over from the last walk, then the doorbells in
 * the application's ring for this worker; each socket goes to its
 * protocol's tx operation. A byte budget per application per walk keeps one
 * application from monopolising the worker (defect 10 of the socket layer
 * issue): once spent, its remaining doorbells wait in its ring for the next
 * walk. A socket with data left goes to the application's retry list for
 * this worker; a doorbell is taken only while that list has room, so no
 * socket is ever forgotten.
 *
 * Everything read from the segment is validated; a doorbell for a socket
 * this worker does not own (moved, closed, or a lie) is ignored.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "core/module.h"
#include "core/node.h"
#include "sock/sock_int.h"

/* Commands from the control thread (struct sock_cmd), SP/SC. Drained
 * whole at the start of every walk, so a command posted before a socket's
 * release runs before the second grace period of that release ends. */
static struct rte_ring *cmd_rings[RS_MAX_WORKERS];
#define CMD_RING 8192

static struct {
	uint32_t rr; /* rotating start in the app list */
} __rte_cache_aligned tx_state[RS_MAX_WORKERS];

#define BELLS_PER_APP 256

/* Sends from s if this worker owns it. Returns false when it still has
 * data (to retry). */
static bool serve(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		  struct rs_sock *s, uint32_t *budget, uint16_t *pkts)
{
	if (atomic_load_explicit(&s->worker, memory_order_acquire) != w->idx ||
	    s->proto->tx == NULL)
		return true;
	bool more = false;
	uint32_t took = s->proto->tx(w, g, node, s, *budget, &more);
	*budget = took >= *budget ? 0 : *budget - took;
	*pkts = (uint16_t)(*pkts + (took ? 1 : 0));
	return !more;
}

static uint16_t serve_app(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
			  struct rs_app *a)
{
	struct sock_txq *q = &a->txq[w->idx];
	uint32_t budget = sock_limits.app_budget_bytes;
	uint16_t pkts = 0;

	/* what the last walk left */
	uint16_t n = q->n, keep = 0;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t sd = q->sd[i];
		struct rs_sock *s = sock_slot(a, sd);
		if (s == NULL)
			continue;
		if (budget == 0 || !serve(w, g, node, s, &budget, &pkts))
			q->sd[keep++] = sd;
	}
	q->n = keep;
	/* new doorbells, while there is budget and room to remember one */
	struct shm_ring *bell = &a->bell[w->idx];
	for (int k = 0; k < BELLS_PER_APP && budget > 0 && q->n < SOCK_TXQ; k++) {
		struct rs_doorbell db;
		struct iovec iov = { &db, sizeof(db) };
		struct shm_rec rec;
		ssize_t got = shm_rec_read(bell, NULL, 0, &iov, 1, &rec);
		if (got == -EAGAIN)
			break;
		if (got != (ssize_t)sizeof(db) || rec.len != sizeof(db) || rec.meta_len != 0) {
			atomic_store(&a->corrupt, 1);
			break;
		}
		struct rs_sock *s = sock_slot(a, db.sd);
		if (s == NULL)
			continue; /* a stale or bogus doorbell: nothing to do */
		if (!serve(w, g, node, s, &budget, &pkts))
			q->sd[q->n++] = db.sd;
	}
	return pkts;
}

static struct rs_app *app_by_id(const struct rs_apps_pub *pub, uint32_t id)
{
	for (uint32_t i = 0; i < pub->n; i++)
		if (pub->apps[i]->id == id)
			return pub->apps[i];
	return NULL;
}

static uint16_t sock_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_apps_pub *pub = atomic_load_explicit(&sock_apps_pub, memory_order_acquire);
	uint16_t total = 0;
	(void)objs;
	(void)nb;
	if (pub == NULL)
		return 0;

	/* the control thread's commands */
	struct sock_cmd c;
	while (cmd_rings[w->idx] != NULL &&
	       rte_ring_sc_dequeue_elem(cmd_rings[w->idx], &c, sizeof(c)) == 0) {
		struct rs_sock *s = c.s;
		if (c.op != SOCK_CMD_KICK) {
			if (s->proto->cmd != NULL)
				s->proto->cmd(w, graph, node, s, &c);
			continue;
		}
		/* a kick: the socket moved here; its app must still be published */
		struct rs_app *a = app_by_id(pub, c.a0);
		if (a == NULL || sock_slot(a, (uint32_t)c.a1) != s ||
		    atomic_load_explicit(&a->corrupt, memory_order_relaxed) != 0)
			continue;
		uint32_t budget = sock_limits.app_budget_bytes;
		struct sock_txq *q = &a->txq[w->idx];
		if (!serve(w, graph, node, s, &budget, &total) && q->n < SOCK_TXQ)
			q->sd[q->n++] = (uint32_t)c.a1;
	}

	if (pub->n == 0) {
		w->rx_pkts += total;
		return total;
	}
	uint32_t start = tx_state[w->idx].rr++ % pub->n;
	for (uint32_t i = 0; i < pub->n; i++) {
		struct rs_app *a = pub->apps[(start + i) % pub->n];
		if (atomic_load_explicit(&a->corrupt, memory_order_relaxed))
			continue;
		total = (uint16_t)(total + serve_app(w, graph, node, a));
	}
	w->rx_pkts += total;
	return total;
}

int sock_cmd_post(uint16_t w, const struct sock_cmd *c)
{
	if (w >= RS_MAX_WORKERS || cmd_rings[w] == NULL ||
	    rte_ring_sp_enqueue_elem(cmd_rings[w], (void *)(uintptr_t)c, sizeof(*c)) != 0)
		return -ENOBUFS;
	return 0;
}

void sock_tx_kick(struct rs_sock *s)
{
	uint16_t w = atomic_load_explicit(&s->worker, memory_order_relaxed);
	struct sock_cmd c = { .s = s, .op = SOCK_CMD_KICK, .a0 = s->app->id, .a1 = s->sd };
	if (sock_cmd_post(w, &c) != 0)
		/* a full ring: the application's next send rings the right
		 * worker; say so rather than lose it silently */
		rs_dp.workers[w].msg_drops++;
}

int sock_tx_worker_init(struct rs_worker *w)
{
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "rs_sock_cmd_%u", w->idx);
	cmd_rings[w->idx] = rte_ring_create_elem(name, sizeof(struct sock_cmd), CMD_RING,
						 (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	return cmd_rings[w->idx] != NULL ? 0 : -rte_errno;
}

void sock_tx_worker_fini(struct rs_worker *w)
{
	rte_ring_free(cmd_rings[w->idx]);
	cmd_rings[w->idx] = NULL;
}

/* Edges: what protocols' tx operations enqueue to. */
static struct rte_node_register sock_tx_node = {
	.name = "sock_tx",
	.flags = RTE_NODE_SOURCE_F,
	.process = sock_tx_process,
	.init = rs_node_init,
	.nb_edges = SOCK_TX_E_NB,
	.next_nodes = {
		[SOCK_TX_E_IP4] = "ip4_output",
		[SOCK_TX_E_BAD] = RS_DROP_NODE(sock_tx_bad),
		[SOCK_TX_E_IP6] = "ip6_output",
		[SOCK_TX_E_IP6_LOCAL] = "ip6_local",
		[SOCK_TX_E_IP4_LOCAL] = "ip4_local",
	},
};
RTE_NODE_REGISTER(sock_tx_node);
