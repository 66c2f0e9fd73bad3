/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 FIB: DPDK's rte_fib6 (a trie) mapping prefixes /0-/128 to next-hop
 * indices, and a next-hop table that workers read by index; the same
 * contract as fib4.h (route types, ECMP groups, several routes per prefix
 * ranked by metric, the best usable one installed).
 *
 * Concurrency: the control thread is the only writer; lookups take no lock.
 * A next hop is written before the trie points to it and never written
 * again while published; indices are reused only after an RCU grace period
 * (rs_defer_free). rte_fib6 (DPDK 22.11) has no RCU hook of its own: a
 * trie entry is a single 8-byte store (docs/divergences.md, "FIB6"). Its
 * trie also loses groups to route churn (adds fail with -ENOSPC with the
 * table nearly empty, tests/unit/dp/test_fib6.c): when an add finds no
 * room, the installed routes are loaded into a fresh trie, published with
 * one pointer store, and the old trie is freed after a grace period.
 */
#ifndef RS_FIB6_H
#define RS_FIB6_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_fib6.h>

#include "route/fib4.h" /* enum rt_type, enum rt_proto */

struct rs_nh6 {
	uint8_t type;   /* enum rt_type */
	uint8_t nmemb;  /* RT_GROUP: members */
	uint16_t iface;
	uint32_t grp;   /* RT_GROUP: first member's slot in fib6_grp_tab */
	uint8_t gw[16]; /* RT_UNICAST: gateway, all zero when on-link */
};

#define FIB6_NH_MAX (1u << 15) /* 2-byte trie entries: 15 bits of next hop */
#define FIB6_ECMP_MAX 16
#define FIB6_GRP_MAX 1024
#define FIB6_NH_NONE UINT32_MAX
#define FIB6_NH_DEFAULT 0 /* rte_fib6's "no route" value; index 0 is never used */
#define FIB6_ANY_IFACE 0xffff

extern struct rs_nh6 fib6_nh_tab[FIB6_NH_MAX];
extern uint32_t fib6_grp_tab[FIB6_GRP_MAX * FIB6_ECMP_MAX];
/* The trie in use: replaced whole (fib6.c, fib6_rebuild) when churn has
 * used up its groups; the old one is freed after a grace period. */
extern struct rte_fib6 *_Atomic fib6_fib;
/* fresh tries built because churn used up a trie's groups (control thread) */
extern uint64_t fib6_rebuilds;

/* Fast path: next-hop index for dst (network order), or FIB6_NH_NONE. */
static inline uint32_t fib6_lookup(const uint8_t dst[16])
{
	uint8_t ip[1][16];
	uint64_t nh;
	memcpy(ip[0], dst, 16);
	rte_fib6_lookup_bulk(atomic_load_explicit(&fib6_fib, memory_order_acquire), ip, &nh, 1);
	return nh == FIB6_NH_DEFAULT ? FIB6_NH_NONE : (uint32_t)nh;
}

static inline const struct rs_nh6 *fib6_nh(uint32_t idx) { return &fib6_nh_tab[idx]; }

/* The member index of an ECMP group for a flow hash (idx itself otherwise). */
static inline uint32_t fib6_nh_select(uint32_t idx, uint32_t hash)
{
	const struct rs_nh6 *nh = &fib6_nh_tab[idx];
	if (nh->type != RT_GROUP)
		return idx;
	return fib6_grp_tab[nh->grp + hash % nh->nmemb];
}

struct fib6_path {
	uint8_t gw[16];
	uint16_t iface;
};

struct route6 {
	uint8_t prefix[16]; /* masked */
	uint8_t plen;
	uint8_t type;       /* enum rt_type */
	uint8_t proto;      /* enum rt_proto */
	uint8_t npaths;     /* ECMP: > 1, paths[] holds every path */
	uint16_t iface;
	uint8_t gw[16];
	uint32_t metric;
	uint32_t nh;        /* set by fib6 */
	struct fib6_path *paths;
};

int fib6_init(uint32_t max_routes, uint32_t max_tbl8);
void fib6_fini(void);
/* As fib4_route_add / fib4_route_del (gw NULL or all zero: any). */
int fib6_route_add(const struct route6 *r, bool replace);
int fib6_route_del(const uint8_t prefix[16], uint8_t plen, int64_t metric, int type,
		   uint16_t iface, const uint8_t *gw);
void fib6_iface_flush(uint16_t iface);
void fib6_iface_set_up(uint16_t iface, bool up);
void fib6_iface_reset(uint16_t iface);
void fib6_foreach(void (*fn)(void *arg, const struct route6 *r, bool installed), void *arg);
uint32_t fib6_count(void);
int fib6_route_get(const uint8_t dst[16], struct route6 *out);

#endif
