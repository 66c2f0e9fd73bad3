/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv4 module's per-worker state (core/module.h): the reassembly table
 * and the identification counter for datagrams we originate. Each entry is
 * written by its worker only.
 */
#ifndef RS_IP4_H
#define RS_IP4_H

#include <stdint.h>

#include <rte_graph.h>
#include <rte_mbuf.h>

#include "core/dp.h"

#include "ip4/reass_graph.h"

struct ip4_worker {
	uint16_t ip_id; /* IPv4 identification for what we originate */
	struct reass_graph rg; /* ip4_reass_node.c */
} __rte_cache_aligned;

extern struct ip4_worker ip4_workers[RS_MAX_WORKERS];

/* ip4_fastpath's counters: frames it forwarded itself and frames it handed
 * to the general path (eth_input). Per worker, each on its own cache lines,
 * written by that worker only, once per vector. */
struct ip4_fp_stats {
	uint64_t fast;
	uint64_t slow;
} __rte_cache_aligned;

extern struct ip4_fp_stats ip4_fp_stats[RS_MAX_WORKERS];

static inline struct ip4_worker *ip4_worker(const struct rs_worker *w)
{
	return &ip4_workers[w->idx];
}

/* The identification field for a datagram this worker originates. IDs are
 * per worker; RFC 6864 only asks uniqueness per (src, dst, proto) within a
 * reassembly lifetime for datagrams that may be fragmented. */
static inline uint16_t ip4_next_id(struct rs_worker *w)
{
	return ip4_workers[w->idx].ip_id++;
}

#endif
