/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publication of the configuration (control thread only).
 *
 * rs_cfg_edit() hands out a private copy; rs_cfg_publish() publishes it with
 * a release store and queues the old version for reclamation. Reclamation
 * never waits: rs_rcu_reclaim() (the control loop) frees what every online
 * worker has reported a quiescent state for since it was queued. Workers
 * sleeping while idle are offline and hold nothing up.
 *
 * rs_cfg_commit() and rs_sync() keep the blocking form: they wait for a
 * grace period, so when they return every worker uses the new state and
 * everything deferred before is freed. Callers that free a port or reuse a
 * table entry next rely on that; a batch of route changes does not (the
 * FIB's own stores are visible as they are made).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dp.h"
#include "util/rs_log.h"
#include "wire/wire.h"

/*
 * Deferred frees wait in a FIFO, pending[head, npending). Entries
 * [head, nstamp) carry the QSBR token of a grace period that began after
 * they were deferred; [nstamp, npending) get one at the next publication or
 * reclaim (one rte_rcu_qsbr_start per batch, not one per entry, and always
 * after the command that unlinked them finished). Tokens only grow, so the
 * queue is freed in order and stops at the first entry still in use.
 */
struct deferred {
	void (*fn)(void *);
	void *arg;
	uint64_t token;
};

static struct deferred *pending;
static size_t head, nstamp, npending, cappending;
static size_t maxpending = RS_DEFER_MAX;
static struct rs_defer_stats dstats;

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
			c->local_bloom[h] = 1;
			h = rs_local_bloom_hash(ip4_bcast_of(ip, ifc->addrs[i].plen));
			c->local_bloom[h] = 1;
		}
	}
}

/* Gives the entries deferred since the last call a grace period that
 * starts now. Only between commands (publication, the control loop): an
 * entry a command deferred may still be linked until the command ends. */
static void defer_stamp(void)
{
	if (nstamp == npending)
		return;
	uint64_t t = rte_rcu_qsbr_start(rs_dp.rcu);
	for (size_t i = nstamp; i < npending; i++)
		pending[i].token = t;
	nstamp = npending;
}

/* Room for one more entry; past the bound only when over is set. */
static bool defer_room(bool over)
{
	if (npending < cappending)
		return true;
	if (head > 0) {
		/* what was reclaimed left room at the front */
		memmove(pending, pending + head, (npending - head) * sizeof(*pending));
		npending -= head;
		nstamp -= head;
		head = 0;
		return true;
	}
	if (cappending >= maxpending && !over)
		return false;
	size_t cap = cappending ? cappending * 2 : 64;
	if (cap > maxpending && !over)
		cap = maxpending;
	struct deferred *d = realloc(pending, cap * sizeof(*d));
	if (d == NULL)
		return false;
	pending = d;
	cappending = cap;
	return true;
}

static bool in_callbacks;

/* Runs the stamped entries whose grace period is over; with wait, first
 * waits for one that covers them all. Entries deferred meanwhile (by the
 * command under way or by a callback) stay queued. */
static size_t run_stamped(bool wait)
{
	if (in_callbacks || head == nstamp)
		return 0;
	if (wait) {
		rte_rcu_qsbr_synchronize(rs_dp.rcu, RTE_QSBR_THRID_INVALID);
		dstats.syncs++;
	}
	size_t done = 0;
	in_callbacks = true;
	/* indexes read again after each callback: it may defer more */
	while (head < nstamp &&
	       (wait || rte_rcu_qsbr_check(rs_dp.rcu, pending[head].token, false) == 1)) {
		struct deferred d = pending[head++];
		d.fn(d.arg);
		done++;
	}
	in_callbacks = false;
	if (head == npending)
		head = nstamp = npending = 0;
	dstats.freed += done;
	return done;
}

void rs_defer_free(void (*fn)(void *), void *arg)
{
	if (!defer_room(false)) {
		/* At the bound: free what readers have left, else wait for
		 * them; what this command deferred is left alone (it may
		 * still be linked), so past that the queue grows. */
		run_stamped(false);
		if (!defer_room(false) && head < nstamp) {
			dstats.syncs_full++;
			run_stamped(true);
		}
		if (!defer_room(true)) {
			/* out of memory: wait now, as before there was a queue */
			rte_rcu_qsbr_synchronize(rs_dp.rcu, RTE_QSBR_THRID_INVALID);
			fn(arg);
			dstats.freed++;
			return;
		}
	}
	pending[npending].fn = fn;
	pending[npending].arg = arg;
	pending[npending].token = 0;
	npending++;
	dstats.deferred++;
}

size_t rs_rcu_reclaim(void)
{
	defer_stamp();
	return run_stamped(false);
}

size_t rs_rcu_reclaim_wait(void)
{
	return run_stamped(true);
}

size_t rs_defer_pending(void)
{
	return npending - head;
}

size_t rs_defer_set_max(size_t max)
{
	size_t old = maxpending;
	maxpending = max < 1 ? 1 : max;
	return old;
}

void rs_defer_get_stats(struct rs_defer_stats *st)
{
	*st = dstats;
	st->pending = npending - head;
}

void rs_sync(void)
{
	rte_rcu_qsbr_synchronize(rs_dp.rcu, RTE_QSBR_THRID_INVALID);
	dstats.syncs++;
	/* Everything queued was deferred before this grace period began. A
	 * callback may defer more (a second grace period): take the list out
	 * first, so what it adds waits for the next sync or reclaim and the
	 * array being walked is never reallocated under us. */
	struct deferred *run = pending;
	size_t h = head, n = npending;
	pending = NULL;
	head = nstamp = npending = cappending = 0;
	for (size_t i = h; i < n; i++)
		run[i].fn(run[i].arg);
	dstats.freed += n - h;
	free(run);
}

bool rs_cfg_publish(void)
{
	struct rs_cfg *c = rs_dp.staging;
	if (c == NULL) {
		defer_stamp();
		return false;
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
	defer_stamp();
	return true;
}

void rs_cfg_commit(void)
{
	rs_cfg_publish();
	rs_sync();
}

int rs_iface_by_name(const struct rs_cfg *c, const char *name)
{
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		if (c->ifaces[i].present && strcmp(c->ifaces[i].name, name) == 0)
			return (int)i;
	return -ENODEV;
}
