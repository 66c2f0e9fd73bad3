/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_reass: reassembly of fragments addressed to us (per-worker table,
 * lib/ip4/reass.c), and ip4_reass_timer (source): expiry, with Time Exceeded
 * (fragment reassembly) only when fragment 0 arrived (RFC 1122 §3.3.2).
 * Every fragment the table drops is counted under the reason of the call
 * that dropped it. Input: data at the IPv4 header. Consumes every packet.
 */
#include <rte_ip.h>

#include "core/node.h"
#include "icmp/icmp4.h"
#include "ip4/ip4.h"
#include "ip4/reass.h"
#include "wire/wire.h"

enum {
	E_LOCAL,
	E_OVERLAP,
	E_DUP,
	E_BAD,
	E_NOMEM,
	E_TOO_MANY,
	E_NB,
};

/* struct reass_done is large: one per lcore, not on the stack */
static RTE_DEFINE_PER_LCORE(struct reass_done, reass_done);

/* Chains the fragments behind fragment 0 and fixes its header. */
static struct rte_mbuf *reass_chain(const struct reass_done *d)
{
	struct rte_mbuf *first = d->frags[0].buf;
	uint8_t *h = rte_pktmbuf_mtod(first, uint8_t *);
	uint16_t hlen = (uint16_t)((h[0] & 0xf) * 4);
	uint32_t tot = (uint32_t)hlen + d->total_len;
	bool ok = tot <= IP4_MAX_LEN;

	for (uint32_t i = 1; i < d->n; i++) {
		struct rte_mbuf *m = d->frags[i].buf;
		const uint8_t *fh = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t fhl = (uint16_t)((fh[0] & 0xf) * 4);
		rte_pktmbuf_adj(m, fhl);
		if (ok && rte_pktmbuf_chain(first, m) == 0)
			continue;
		ok = false;
		rte_pktmbuf_free(m);
	}
	if (!ok) {
		rte_pktmbuf_free(first);
		return NULL;
	}
	rs_st16(h + 2, (uint16_t)tot);
	rs_st16(h + 6, rs_ld16(h + 6) & IP4_DF);
	ip4_set_csum(h, hlen);
	return first;
}

/* Enqueues what the table freed during the last call under one reason. */
static const rte_edge_t result_edge[] = {
	[REASS_HELD] = E_NOMEM, /* evictions of older datagrams */
	[REASS_COMPLETE] = E_NOMEM,
	[REASS_DUP] = E_DUP,
	[REASS_OVERLAP] = E_OVERLAP,
	[REASS_BAD] = E_BAD,
	[REASS_NOMEM] = E_NOMEM,
	[REASS_TOO_MANY] = E_TOO_MANY,
};

static uint16_t ip4_reass_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct ip4_worker *iw = ip4_worker(w);
	struct reass_done *d = &RTE_PER_LCORE(reass_done);

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
		uint16_t frag = rs_ld16(b + 6);
		struct reass_key k = {
			.src = rs_ip_from4(rs_ld32(b + 12)),
			.dst = rs_ip_from4(rs_ld32(b + 16)),
			.id = rs_ld16(b + 4),
			.proto = b[9],
		};
		struct reass_frag f = {
			.off = (uint32_t)(frag & IP4_OFFMASK) * 8,
			.len = m->pkt_len - hlen,
			.more = (frag & IP4_MF) != 0,
			.buf = m,
		};
		/* Buffers the table frees during this call (duplicates,
		 * overlapping datagrams, evictions) are counted by the result;
		 * evictions of other datagrams count as reass_nomem. */
		reass_graph_enter(&iw->rg, node, E_NOMEM);
		enum reass_result r = reass_add(iw->rg.reass, &k, &f, w->now_ns, d);
		reass_graph_flush(&iw->rg, graph, node, result_edge[r]);
		if (r == REASS_COMPLETE) {
			struct rte_mbuf *whole = reass_chain(d);
			if (whole != NULL)
				rte_node_enqueue_x1(graph, node, E_LOCAL, whole);
		}
	}
	return nb;
}

static struct rte_node_register ip4_reass_node = {
	.name = "ip4_reass",
	.process = ip4_reass_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_LOCAL] = "ip4_local",
		[E_OVERLAP] = RS_DROP_NODE(reass_overlap),
		[E_DUP] = RS_DROP_NODE(reass_dup),
		[E_BAD] = RS_DROP_NODE(reass_bad),
		[E_NOMEM] = RS_DROP_NODE(reass_nomem),
		[E_TOO_MANY] = RS_DROP_NODE(reass_too_many),
	},
};
RTE_NODE_REGISTER(ip4_reass_node);

/* ---- expiry ---- */

enum {
	T_OUTPUT,
	T_TIMEOUT,
	T_NB,
};

/* Time Exceeded, fragment reassembly time exceeded (RFC 792) */
static struct rte_mbuf *expired(struct rs_worker *w, struct rte_mbuf *frag0)
{
	int why;
	return icmp4_error_build(w, frag0, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_REASS, 0, &why);
}

static uint16_t ip4_reass_timer_process(struct rte_graph *graph, struct rte_node *node,
					void **objs, uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	(void)objs;
	(void)nb;
	return reass_graph_expire(&ip4_worker(w)->rg, w, graph, node, T_OUTPUT, T_TIMEOUT, expired);
}

static struct rte_node_register ip4_reass_timer_node = {
	.name = "ip4_reass_timer",
	.flags = RTE_NODE_SOURCE_F,
	.process = ip4_reass_timer_process,
	.init = rs_node_init,
	.nb_edges = T_NB,
	.next_nodes = {
		[T_OUTPUT] = "ip4_output",
		[T_TIMEOUT] = RS_DROP_NODE(reass_timeout),
	},
};
RTE_NODE_REGISTER(ip4_reass_timer_node);
