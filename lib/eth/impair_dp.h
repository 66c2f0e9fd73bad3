/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link impairment in the dataplane (util/impair.h has the logic). Off by
 * default; `ringctl link set NAME impair ...` publishes the parameters in
 * struct rs_iface.impair[] with the rest of the configuration. Then:
 *  - port_rx hands an impaired link's frames to impair_in instead of
 *    ip4_fastpath / eth_input;
 *  - port_tx hands frames for a link impaired on output to impair_out,
 *    which transmits what it does not drop or hold;
 *  - impair_release (source) takes held packets whose time has come off
 *    this worker's heap and sends them where they were going.
 * Per worker: a fixed-size heap (no allocation per packet, no syscalls),
 * a PRNG per link and direction seeded from the configured seed, and the
 * counters `ringctl link show` and `stats` print.
 */
#ifndef RS_IMPAIR_DP_H
#define RS_IMPAIR_DP_H

#include <rte_ethdev.h>

#include "core/dp.h"
#include "core/node.h"
#include "util/impair.h"

struct impair_worker {
	struct rs_impair_heap heap;
	struct rs_impair_rng rng[RS_MAX_IFACES][RS_IMPAIR_NDIR];
	uint32_t gen[RS_MAX_IFACES][RS_IMPAIR_NDIR]; /* configuration the rng was seeded for */
	struct rs_impair_stats st[RS_MAX_IFACES][RS_IMPAIR_NDIR];
} __rte_cache_aligned;

extern struct impair_worker *impair_workers[RS_MAX_WORKERS];

/* The PRNG of link/dir on worker iw, reseeded when the configuration changed. */
static inline struct rs_impair_rng *impair_rng(struct impair_worker *iw, uint16_t wid,
					       const struct rs_impair *p, uint16_t link, unsigned dir)
{
	if (unlikely(iw->gen[link][dir] != p->gen)) {
		iw->gen[link][dir] = p->gen;
		rs_impair_rng_seed(&iw->rng[link][dir], p->seed, wid, link, dir);
	}
	return &iw->rng[link][dir];
}

/* Flips the verdict's bit, past the Ethernet header when there is more. */
static inline void impair_corrupt(struct rte_mbuf *m, const struct rs_impair_verdict *v)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	if (len == 0)
		return;
	uint32_t at = len > RTE_ETHER_HDR_LEN
			      ? RTE_ETHER_HDR_LEN + v->corrupt_at % (len - RTE_ETHER_HDR_LEN)
			      : v->corrupt_at % len;
	rte_pktmbuf_mtod(m, uint8_t *)[at] ^= (uint8_t)(1u << v->corrupt_bit);
}

/* Control thread, workers stopped or polled by the caller (fuzzing): packets
 * held on every worker's heap. */
static inline uint32_t impair_held(void)
{
	uint32_t n = 0;
	for (unsigned w = 0; w < RS_MAX_WORKERS; w++)
		if (impair_workers[w] != NULL)
			n += impair_workers[w]->heap.n;
	return n;
}

/* Control thread: the counters of link/dir summed over the workers. */
void impair_stats_sum(uint16_t link, unsigned dir, struct rs_impair_stats *out);
enum impair_fate { IMPAIR_PASS, IMPAIR_LOSS, IMPAIR_HELD, IMPAIR_FULL };

/*
 * Decides one packet's fate and counts it. Borrows m unless it returns
 * IMPAIR_HELD (then the heap has it). *dup is a copy to send along with m
 * when the fate is IMPAIR_PASS (the caller's), else NULL (a held copy is
 * on the heap, a copy of a packet that found the heap full is freed).
 */
static inline enum impair_fate impair_one(struct impair_worker *iw, const struct rs_impair *p,
					  struct rs_impair_rng *rng, struct rte_mbuf *m,
					  uint16_t link, unsigned dir, uint64_t now,
					  struct rte_mbuf **dup)
{
	struct rs_impair_stats *st = &iw->st[link][dir];
	struct rs_impair_verdict v;
	rs_impair_decide(p, rng, &v);
	*dup = NULL;
	if (v.drop) {
		st->dropped++;
		return IMPAIR_LOSS;
	}
	if (v.corrupt) {
		impair_corrupt(m, &v);
		st->corrupted++;
	}
	if (v.dup) {
		/* an mbuf from the pool, as any received packet: no malloc */
		*dup = rte_pktmbuf_copy(m, rs_dp.pool, 0, UINT32_MAX);
		if (*dup != NULL)
			st->duplicated++;
	}
	if (v.reorder)
		st->reordered++;
	if (v.hold_ns == 0)
		return IMPAIR_PASS;
	if (rs_impair_heap_push(&iw->heap, now + v.hold_ns, m, link, (uint8_t)dir) < 0) {
		st->queue_full++;
		if (*dup != NULL)
			rte_pktmbuf_free(*dup);
		*dup = NULL;
		return IMPAIR_FULL;
	}
	st->delayed++;
	if (*dup != NULL) {
		if (rs_impair_heap_push(&iw->heap, now + v.hold_ns, *dup, link, (uint8_t)dir) < 0) {
			st->queue_full++;
			rte_pktmbuf_free(*dup);
		}
		*dup = NULL;
	}
	return IMPAIR_HELD;
}

/*
 * Transmits pkts[0..n) (m->port = egress link) on this worker's TX queues,
 * one burst per run of one port, as port_tx does; what the ring refuses
 * goes to edge e_full, what is for a link gone or down to e_down.
 * Consumes the packets.
 */
static inline void impair_tx(struct rte_graph *graph, struct rte_node *node,
			     const struct rs_worker *w, const struct rs_cfg *c,
			     struct rte_mbuf **pkts, uint16_t n, rte_edge_t e_full,
			     rte_edge_t e_down)
{
	for (uint16_t i = 0; i < n;) {
		uint16_t port = pkts[i]->port;
		uint16_t j = (uint16_t)(i + 1);
		while (j < n && pkts[j]->port == port)
			j++;
		uint16_t run = (uint16_t)(j - i);
		const struct rs_iface *ifc = port < RS_MAX_IFACES ? &c->ifaces[port] : NULL;
		if (ifc == NULL || !ifc->present || !ifc->up || ifc->loopback) {
			rte_node_enqueue(graph, node, e_down, (void **)&pkts[i], run);
		} else {
			uint16_t sent = rte_eth_tx_burst(port, w->idx, &pkts[i], run);
			if (sent < run)
				rte_node_enqueue(graph, node, e_full, (void **)&pkts[i + sent],
						 (uint16_t)(run - sent));
		}
		i = j;
	}
}

#endif
