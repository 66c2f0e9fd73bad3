/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_timer (source): advances this worker's timer wheel to the walk's
 * clock and runs the engine's tcp_timer() for every connection whose
 * deadline passed (retransmission, delayed ACK, persist, keepalive,
 * TIME-WAIT, ...). One wheel per worker: O(1) arm and cancel, an advance
 * costs only the timers due (lib/util/rs_wheel.h).
 *
 * At most TCP_TIMER_BUDGET connections run per walk; the rest of the
 * timers due are moved to the next tick. Without that bound, thousands of
 * connections whose timers fell due together (a retransmission round after
 * a burst of closes, say) put thousands of segments into one walk: the TX
 * ring drops what it cannot take and the peer's answers overflow the RX
 * ring while the walk lasts, and the timers, backed off in lockstep, lose
 * the same way every round.
 */
#include <stddef.h>

#include <rte_graph_worker.h>

#include "core/node.h"
#include "tcp/tcp_dp.h"

#define TCP_TIMER_BUDGET 256

enum {
	E_OUTPUT,
	E_OUTPUT6,
	E_NB,
};

struct fire_ctx {
	struct tcp_worker *tw;
	struct rs_worker *w;
	uint32_t n;
	uint32_t deferred;
};

static void fire(void *arg, struct rs_timer *t)
{
	struct fire_ctx *x = arg;
	struct tcp_sconn *sc = (struct tcp_sconn *)((char *)t - offsetof(struct tcp_sconn, timer));
	if (x->n >= TCP_TIMER_BUDGET) {
		/* a later tick: a deadline already passed would fire again
		 * within this same advance */
		rs_wheel_arm(&x->tw->wheel, t, x->w->now_ns + x->tw->wheel.tick_ns);
		x->deferred++;
		return;
	}
	struct tcp_io io;
	tcp_io_fill(x->tw, x->w, sc, &io);
	tcp_timer(&x->tw->ctx, &sc->c, &io, &x->tw->act);
	tcp_act_run(x->tw, x->w, sc);
	x->n++;
}

static uint16_t tcp_timer_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct tcp_worker *tw = tcp_workers[w->idx];
	(void)objs;
	(void)nb;
	if (tw == NULL || tw->wheel.count == 0)
		return 0; /* an idle wheel jumps over the empty time when next advanced */
	tw->g = graph;
	tw->node = node;
	tw->out_edge = E_OUTPUT;
	tw->out_edge6 = E_OUTPUT6;
	struct fire_ctx x = { .tw = tw, .w = w };
	rs_wheel_advance(&tw->wheel, w->now_ns, fire, &x);
	w->rx_pkts += x.n;
	return (uint16_t)(x.n > 0xffff ? 0xffff : x.n);
}

static struct rte_node_register tcp_timer_node = {
	.name = "tcp_timer",
	.flags = RTE_NODE_SOURCE_F,
	.process = tcp_timer_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_OUTPUT6] = "ip6_output",
	},
};
RTE_NODE_REGISTER(tcp_timer_node);
