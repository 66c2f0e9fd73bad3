/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 FIB: a multibit trie (lib/route/dir6.h, DIR-24-8 carried down to
 * /128) mapping prefixes /0-/128 to next-hop indices, and a next-hop table
 * that workers read by index; the same contract as fib4.h (route types,
 * ECMP groups, several routes per prefix ranked by metric, the best usable
 * one installed, plain next hops shared by every route with the same
 * type, link and gateway and reference-counted).
 *
 * Concurrency: the control thread is the only writer; lookups take no lock.
 * A next hop is written before the trie points to it and never written
 * again while published; next-hop indices and trie groups are reused only
 * after an RCU grace period (rs_defer_free).
 */
#ifndef RS_FIB6_H
#define RS_FIB6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "route/dir6.h"
#include "route/fib4.h" /* enum rt_type, enum rt_proto */

struct rs_nh6 {
	uint8_t type;   /* enum rt_type */
	uint8_t nmemb;  /* RT_GROUP: members */
	uint16_t iface;
	uint32_t grp;   /* RT_GROUP: first member's slot in fib6_grp_tab */
	uint8_t gw[16]; /* RT_UNICAST: gateway, all zero when on-link */
};

#define FIB6_NH_MAX (1u << 18)
#define FIB6_ECMP_MAX 16
#define FIB6_GRP_MAX 4096
#define FIB6_NH_NONE UINT32_MAX
#define FIB6_ANY_IFACE 0xffff

extern struct rs_nh6 fib6_nh_tab[FIB6_NH_MAX];
extern uint32_t fib6_grp_tab[FIB6_GRP_MAX * FIB6_ECMP_MAX];

/* Fast path: next-hop index for dst (network order), or FIB6_NH_NONE. */
static inline uint32_t fib6_lookup(const uint8_t dst[16])
{
	uint32_t e = dir6_lookup(dst);
	return (e & D6_VALID) ? (e & D6_VAL_MASK) : FIB6_NH_NONE;
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
/* routes sharing a plain next hop (introspection, tests) */
uint32_t fib6_nh_refs(uint32_t nh);
/* next-hop slots free now (not counting those waiting for a grace period) */
uint32_t fib6_nh_free_count(void);
/* trie groups (1 KiB each) in use, and reserved */
uint32_t fib6_tbl8_used(void);
uint32_t fib6_tbl8_total(void);

#endif
