/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publication of the configuration (control thread only).
 *
 * rs_cfg_edit() hands out a private copy; rs_cfg_commit() publishes it with
 * a release store, then waits for a grace period (every worker has finished
 * the walk that might have loaded the old pointer) before freeing the old
 * version. So when a ringctl command returns, every worker already uses the
 * new state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dp.h"
#include "util/rs_log.h"
#include "wire/wire.h"

struct deferred {
	void (*fn)(void *);
	void *arg;
};

static struct deferred *pending;
static size_t npending, cappending;

struct rs_cfg *rs_cfg_edit(void)
{
	if (rs_dp.staging == NULL) {
		struct rs_cfg *c = malloc(sizeof(*c));
		if (c == NULL)
			return NULL;
		memcpy(c, rs_cfg_current(), sizeof(*c));
		rs_dp.staging = c;
	}
	return rs_dp.staging;
}

const struct rs_cfg *rs_cfg_current(void)
{
	return atomic_load_explicit(&rs_dp.cfg, memory_order_acquire);
}

void rs_cfg_rebuild_rxqs(struct rs_cfg *c)
{
	/* forwarding "auto": a router when there is somewhere to route to */
	unsigned nlinks = 0;
	for (unsigned p = 0; p < RS_MAX_IFACES; p++)
		nlinks += c->ifaces[p].present && !c->ifaces[p].loopback;
	for (unsigned p = 0; p < RS_MAX_IFACES; p++) {
		struct rs_iface *ifc = &c->ifaces[p];
		ifc->forwarding = ifc->fwd_mode == RS_FWD_ON ||
				  (ifc->fwd_mode == RS_FWD_AUTO && nlinks > 1);
	}
	memset(c->nrxq, 0, sizeof(c->nrxq));
	for (unsigned p = 0; p < RS_MAX_IFACES; p++) {
		const struct rs_iface *ifc = &c->ifaces[p];
		if (!ifc->present || !ifc->up)
			continue;
		for (unsigned w = 0; w < rs_dp.nb_workers && w < ifc->nb_queues; w++) {
			c->rxq[w][c->nrxq[w]].port = (uint16_t)p;
			c->rxq[w][c->nrxq[w]].queue = (uint16_t)w;
			c->nrxq[w]++;
		}
	}
}

/*
 * The addresses the FIB can hold RT_LOCAL / RT_BROADCAST routes for: every
 * address of every link and, for prefixes shorter than /31, its subnet
 * broadcast address (lib/ctl/cmd_addr.c makes exactly those /32 routes,
 * and only from addresses). A superset is harmless: a hit only sends the
 * fast path to the FIB lookup it would otherwise skip.
 */
static void cfg_build_local_bloom(struct rs_cfg *c)
{
	memset(c->local_bloom, 0, sizeof(c->local_bloom));
	for (unsigned p = 0; p < RS_MAX_IFACES; p++) {
		/* every link, present or not: a superset is harmless */
		const struct rs_iface *ifc = &c->ifaces[p];
		for (unsigned i = 0; i < ifc->naddrs && i < RS_MAX_ADDRS; i++) {
			uint32_t ip = ifc->addrs[i].ip;
			uint32_t h = rs_local_bloom_hash(ip);
			c->local_bloom[h >> 6] |= 1ull << (h & 63);
			h = rs_local_bloom_hash(ip4_bcast_of(ip, ifc->addrs[i].plen));
			c->local_bloom[h >> 6] |= 1ull << (h & 63);
		}
	}
}

void rs_defer_free(void (*fn)(void *), void *arg)
{
	if (npending == cappending) {
		size_t cap = cappending ? cappending * 2 : 64;
		struct deferred *d = realloc(pending, cap * sizeof(*d));
		if (d == NULL) {
			/* Cannot defer: wait for a grace period now instead. */
			rte_rcu_qsbr_synchronize(rs_dp.rcu, RTE_QSBR_THRID_INVALID);
			fn(arg);
			return;
		}
		pending = d;
		cappending = cap;
	}
	pending[npending].fn = fn;
	pending[npending].arg = arg;
	npending++;
}

void rs_sync(void)
{
	rte_rcu_qsbr_synchronize(rs_dp.rcu, RTE_QSBR_THRID_INVALID);
	/* A callback may defer more (a second grace period): take the list
	 * out first, so what it adds waits for the next sync and the array
	 * being walked is never reallocated under us. */
	struct deferred *run = pending;
	size_t n = npending;
	pending = NULL;
	npending = cappending = 0;
	for (size_t i = 0; i < n; i++)
		run[i].fn(run[i].arg);
	free(run);
}

void rs_cfg_commit(void)
{
	struct rs_cfg *c = rs_dp.staging;
	if (c == NULL) {
		rs_sync();
		return;
	}
	rs_dp.staging = NULL;
	rs_cfg_rebuild_rxqs(c);
	/* Addresses reach the FIB before the configuration that lists them
	 * is published here: while an "addr add" is under way, a datagram
	 * from the new address may still be forwarded (ip4_forward's fast
	 * path), as it was just before the command. */
	cfg_build_local_bloom(c);
	struct rs_cfg *old = atomic_load_explicit(&rs_dp.cfg, memory_order_relaxed);
	c->gen = old->gen + 1;
	atomic_store_explicit(&rs_dp.cfg, c, memory_order_release);
	rs_defer_free(free, old);
	rs_sync();
}

int rs_iface_by_name(const struct rs_cfg *c, const char *name)
{
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		if (c->ifaces[i].present && strcmp(c->ifaces[i].name, name) == 0)
			return (int)i;
	return -ENODEV;
}
