/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 FIB: a DIR-24-8 table (lib/route/dir24.h) mapping prefixes to
 * next-hop indices, and a next-hop table that workers read by index.
 *
 * Concurrency: the control thread is the only writer; lookups take no lock.
 * Next-hop entries are immutable once published; their indices, and tbl8
 * groups, are recycled only after an RCU grace period (rs_defer_free).
 *
 * Control side: every route is kept (several per prefix, by metric); the
 * best usable one is installed. A route through a link that is down is not
 * usable, so the next best takes over at once.
 */
#ifndef RS_FIB4_H
#define RS_FIB4_H

#include <stdbool.h>
#include <stdint.h>

#include "route/dir24.h"

enum rt_type {
	RT_UNICAST = 0,
	RT_LOCAL,       /* one of our addresses: deliver locally */
	RT_BROADCAST,   /* a subnet broadcast address of ours: deliver locally */
	RT_BLACKHOLE,   /* drop silently */
	RT_UNREACHABLE, /* drop, ICMP host unreachable */
	RT_PROHIBIT,    /* drop, ICMP administratively prohibited */
	RT_GROUP,       /* next hop only: an ECMP group of RT_UNICAST members */
};

enum rt_proto {
	RTPROT_KERNEL = 0, /* made from an address (connected, local, broadcast) */
	RTPROT_STATIC,     /* added by ringctl */
};

/* What a worker reads for a lookup result. Immutable once published. */
struct rs_nh {
	uint8_t type;   /* enum rt_type */
	uint8_t nmemb;  /* RT_GROUP: number of members */
	uint16_t iface;
	union {
		uint32_t gw;  /* RT_UNICAST: gateway, 0 when the destination is on-link */
		uint32_t grp; /* RT_GROUP: first member's slot in fib4_grp_tab */
	};
};

#define FIB4_NH_MAX (1u << 18)
#define FIB4_ECMP_MAX 16   /* members per ECMP group */
#define FIB4_GRP_MAX 4096  /* ECMP groups */
#define FIB4_NH_NONE UINT32_MAX
#define FIB4_ANY_IFACE 0xffff

extern struct rs_nh fib4_nh_tab[FIB4_NH_MAX];
extern uint32_t fib4_grp_tab[FIB4_GRP_MAX * FIB4_ECMP_MAX];

/* Fast path: next-hop index for dst (host order), or FIB4_NH_NONE. */
static inline uint32_t fib4_lookup(uint32_t dst)
{
	uint32_t e = dir24_lookup(dst);
	return (e & D24_VALID) ? (e & D24_VAL_MASK) : FIB4_NH_NONE;
}

static inline const struct rs_nh *fib4_nh(uint32_t idx)
{
	return &fib4_nh_tab[idx];
}

/* Resolves an ECMP group to the member for a flow hash (same hash, same
 * member, as long as the group is unchanged). */
static inline const struct rs_nh *fib4_nh_select(const struct rs_nh *nh, uint32_t hash)
{
	if (nh->type != RT_GROUP)
		return nh;
	return &fib4_nh_tab[fib4_grp_tab[nh->grp + hash % nh->nmemb]];
}

struct fib4_path {
	uint32_t gw;
	uint16_t iface;
};

/* 32 bytes (npaths beside proto, not in a hole of its own): the route
 * store holds a million of them, a prefix and its first route one cache
 * line (rib_impl.h) */
struct route4 {
	uint32_t prefix;  /* host order, masked */
	uint8_t plen;
	uint8_t type;     /* enum rt_type */
	uint8_t proto;    /* enum rt_proto */
	uint8_t npaths;   /* ECMP: > 1, paths[] holds every path (gw/iface unused) */
	uint16_t iface;
	uint32_t gw;
	uint32_t metric;
	uint32_t nh;      /* next-hop index (set by fib4) */
	struct fib4_path *paths; /* owned by fib4 once added (copied on add) */
};

struct rte_rcu_qsbr;
int fib4_init(uint32_t max_routes, uint32_t max_tbl8, struct rte_rcu_qsbr *rcu);
void fib4_fini(void);

/* Adds a route. -EEXIST when a route with the same prefix, length and metric
 * exists (unless replace: then it is replaced), -ENOSPC when tables are full.
 * Never exposes a half-made state: the next hop is written before the LPM
 * entry points to it. */
int fib4_route_add(const struct route4 *r, bool replace);
/* Deletes routes matching prefix/plen and the given fields (metric < 0,
 * type < 0, iface == FIB4_ANY_IFACE, gw == 0 match anything). Returns the
 * number deleted, or -ESRCH when nothing matched. */
int fib4_route_del(uint32_t prefix, uint8_t plen, int64_t metric, int type, uint16_t iface,
		   uint32_t gw);
/* Removes every route through iface (link removal). */
void fib4_iface_flush(uint16_t iface);
/* Link state changed: routes through iface become (un)usable. */
void fib4_iface_set_up(uint16_t iface, bool up);
/* A removed link's id is free again (after fib4_iface_flush). */
void fib4_iface_reset(uint16_t iface);

/* Visits every route, ordered by prefix then metric; installed is true for
 * the one in the LPM. */
void fib4_foreach(void (*fn)(void *arg, const struct route4 *r, bool installed), void *arg);
uint32_t fib4_count(void);
/* routes sharing a plain next hop (introspection, tests) */
uint32_t fib4_nh_refs(uint32_t nh);
/* next-hop slots free now (not counting those waiting for a grace period) */
uint32_t fib4_nh_free_count(void);
/* The installed route a packet to dst would use: 0 or -ENETUNREACH. */
int fib4_route_get(uint32_t dst, struct route4 *out);

#endif
