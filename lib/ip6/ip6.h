/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 module: address helpers over the published configuration
 * (worker or control thread, no lock) and its control-thread API.
 */
#ifndef RS_IP6_H
#define RS_IP6_H

#include <stdbool.h>
#include <stdint.h>

#include "core/dp.h"
#include "wire/ip6_wire.h"

#include "ip4/reass_graph.h"

/* The IPv6 module's per-worker state (core/module.h): the reassembly table
 * (lib/ip4/reass.c and reass_graph.c, shared with IPv4), written by its
 * worker only. */
struct ip6_worker {
	struct reass_graph rg; /* ip6_reass.c */
} __rte_cache_aligned;

extern struct ip6_worker ip6_workers[RS_MAX_WORKERS];

/* The IPv6 fast path's counters (ip6_fastpath.c, counted by the fast-path
 * node ip4_fastpath): IPv6 frames it forwarded itself, and the frames
 * handed on to eth_input (everything neither fast path took). Per worker,
 * on its own cache lines, written once per vector. */
struct ip6_fp_stats {
	uint64_t fast;
	uint64_t slow;
} __rte_cache_aligned;

extern struct ip6_fp_stats ip6_fp_stats[RS_MAX_WORKERS];

static inline struct ip6_worker *ip6_worker(const struct rs_worker *w)
{
	return &ip6_workers[w->idx];
}

/*
 * A Bloom filter (one hash) of every IPv6 address ever given to a link
 * since start: the fast path asks the FIB whether a source is one of ours
 * only when its bit is set. The control thread sets a bit before the
 * address's local route exists (ip6_addr_add) and never clears one: a
 * superset only costs a lookup. Bits are 64-bit words stored whole.
 */
#define IP6_LOCAL_BLOOM_LOG2 12
extern uint64_t ip6_local_bloom[1u << (IP6_LOCAL_BLOOM_LOG2 - 6)];
/* Fibonacci hashing of the two halves (as they lie in the header) xored:
 * a load, a xor, a multiply and a shift a packet on the fast path. */
static inline uint32_t ip6_local_bloom_hash(const uint8_t *a)
{
	uint64_t w[2];
	memcpy(w, a, 16);
	return (uint32_t)(((w[0] ^ w[1]) * 0x9e3779b97f4a7c15ull) >> (64 - IP6_LOCAL_BLOOM_LOG2));
}
static inline bool ip6_maybe_local(const uint8_t *a)
{
	uint32_t h = ip6_local_bloom_hash(a);
	return (__atomic_load_n(&ip6_local_bloom[h >> 6], __ATOMIC_RELAXED) >> (h & 63)) & 1;
}

/* The default Hop Limit of what we originate (Linux's hop_limit 64). */
#define IP6_DEFAULT_HLIM 64

/* An address of ifc that is usable (not tentative, not a duplicate)
 * and equal to a; NULL otherwise. */
static inline const struct rs_addr6 *ip6_iface_addr(const struct rs_iface *ifc, const uint8_t *a)
{
	for (unsigned i = 0; i < ifc->naddrs6 && i < RS_MAX_ADDRS6; i++)
		if (memcmp(ifc->addrs6[i].ip, a, 16) == 0)
			return &ifc->addrs6[i];
	return NULL;
}

static inline bool ip6_addr_usable(const struct rs_addr6 *a)
{
	return a != NULL && !(a->flags & (RS_A6_TENTATIVE | RS_A6_DADFAILED));
}

/* true when a (a multicast group) is one we listen to on ifc: all-nodes,
 * the solicited-node group of any of its addresses (tentative ones too,
 * RFC 4862 §5.4.2), all-routers when the link forwards. */
static inline bool ip6_iface_in_group(const struct rs_iface *ifc, const uint8_t *a)
{
	if (ip6_is_all_nodes(a))
		return true;
	if (ip6_is_all_routers(a))
		return ifc->forwarding;
	if (!ip6_is_solicited_node(a))
		return false;
	for (unsigned i = 0; i < ifc->naddrs6 && i < RS_MAX_ADDRS6; i++)
		if (memcmp(ifc->addrs6[i].ip + 13, a + 13, 3) == 0)
			return true;
	return false;
}

/*
 * Source address for dst out of ifc (RFC 6724 §5, the rules that matter
 * with few addresses): a link-local or link-scope multicast destination
 * gets the link-local address; otherwise the usable global address
 * sharing the longest prefix with dst, else any usable address. NULL when
 * the link has no usable address.
 */
static inline const uint8_t *ip6_iface_src(const struct rs_iface *ifc, const uint8_t *dst)
{
	bool ll = ip6_is_linklocal(dst) || (ip6_is_mcast(dst) && ip6_mcast_scope(dst) <= 2);
	const uint8_t *best = NULL, *lla = NULL;
	int best_len = -1;
	for (unsigned i = 0; i < ifc->naddrs6 && i < RS_MAX_ADDRS6; i++) {
		const struct rs_addr6 *a = &ifc->addrs6[i];
		if (!ip6_addr_usable(a))
			continue;
		if (ip6_is_linklocal(a->ip)) {
			if (lla == NULL)
				lla = a->ip;
			continue;
		}
		int l = 0;
		while (l < 128 && ((a->ip[l / 8] ^ dst[l / 8]) & (0x80 >> (l % 8))) == 0)
			l++;
		if (l > best_len) {
			best_len = l;
			best = a->ip;
		}
	}
	if (ll)
		return lla != NULL ? lla : best;
	return best != NULL ? best : lla;
}

/* ---- control thread (nd_ctl.c) ---- */
/* Adds addr/plen to iface (tentative until DAD ends) with its routes.
 * flags: RS_A6_LINKLOCAL for the stack's own. 0 or -errno (rs_err_set). */
int ip6_addr_add(uint16_t iface, const uint8_t addr[16], uint8_t plen, uint8_t flags);
int ip6_addr_del(uint16_t iface, const uint8_t addr[16], uint8_t plen);
/* Removes every IPv6 address of iface but, unless all, the ones the stack
 * made (the link-local address, ::1 on lo). */
void ip6_addr_flush(uint16_t iface, bool all);
/* A link came into existence (or up): gives it its link-local address
 * (RFC 4862 §5.3, stable per RFC 7217). */
void ip6_iface_added(uint16_t iface);
/* RFC 7217 §5: the stable address in prefix (a /64) for a link with mac:
 * SipHash-2-4 of (prefix, mac, dad_counter) under a machine-stable secret. */
void ip6_stable_addr(uint8_t a[16], const uint8_t prefix[8], const uint8_t mac[6],
		     uint8_t dad_counter);

#endif
