/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the non-blocking reclamation in lib/core/config.c:
 *  - a deferred free runs only once every online reader has reported a
 *    quiescent state after the grace period began (not one reported before);
 *  - an offline reader (a worker asleep) holds nothing up;
 *  - what the command under way deferred is never freed before it ends,
 *    even with the queue at its bound (the queue grows instead);
 *  - at the bound, earlier entries are freed through a blocking grace
 *    period (counted in syncs_full);
 *  - a reader thread walking the published configuration and an object
 *    freed through rs_defer_free, while the control thread publishes and
 *    reclaims as fast as it can, never sees freed memory (the free
 *    callback poisons first; the asan build also checks every access).
 * Readers are qsbr thread ids driven by hand (from this thread) or by a
 * pthread standing for a worker.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/dp.h"

#include "dp_eal.h"

#define NREADERS 2

static struct rte_rcu_qsbr *ut_rcu;
static unsigned freed;

static void count_free(void *arg)
{
	(void)arg;
	freed++;
}

static void setup(void)
{
	ut_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(NREADERS);
	ut_rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	cr_assert_not_null(ut_rcu);
	cr_assert_eq(rte_rcu_qsbr_init(ut_rcu, NREADERS), 0);
	rs_dp.rcu = ut_rcu;
	rs_dp.nb_workers = 0;
	struct rs_cfg *c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	atomic_store(&rs_dp.cfg, c);
	freed = 0;
}

static void teardown(void)
{
	for (unsigned i = 0; i < NREADERS; i++) {
		rte_rcu_qsbr_thread_offline(ut_rcu, i);
		rte_rcu_qsbr_thread_unregister(ut_rcu, i);
	}
	rs_sync();
	free(atomic_load(&rs_dp.cfg));
	atomic_store(&rs_dp.cfg, NULL);
	rte_free(ut_rcu);
	ut_eal_fini();
}

TestSuite(rcu_defer, .init = setup, .fini = teardown, .timeout = 120);

static void reader_on(unsigned id)
{
	cr_assert_eq(rte_rcu_qsbr_thread_register(ut_rcu, id), 0);
	rte_rcu_qsbr_thread_online(ut_rcu, id);
}

Test(rcu_defer, waits_for_every_online_reader)
{
	reader_on(0);
	reader_on(1);
	rs_defer_free(count_free, NULL);
	/* a quiescent state before the grace period began does not count */
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	rte_rcu_qsbr_quiescent(ut_rcu, 1);
	cr_assert_eq(rs_rcu_reclaim(), 0);
	cr_assert_eq(freed, 0);
	cr_assert_eq(rs_defer_pending(), 1);
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	cr_assert_eq(rs_rcu_reclaim(), 0, "reader 1 has not moved on");
	cr_assert_eq(freed, 0);
	/* a later entry waits for its own, later grace period */
	rs_defer_free(count_free, NULL);
	rte_rcu_qsbr_quiescent(ut_rcu, 1);
	cr_assert_eq(rs_rcu_reclaim(), 1, "the first entry, not the second");
	cr_assert_eq(freed, 1);
	cr_assert_eq(rs_defer_pending(), 1);
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	rte_rcu_qsbr_quiescent(ut_rcu, 1);
	cr_assert_eq(rs_rcu_reclaim(), 1);
	cr_assert_eq(freed, 2);
	cr_assert_eq(rs_defer_pending(), 0);
}

Test(rcu_defer, publish_frees_old_version_after_readers)
{
	reader_on(0);
	const struct rs_cfg *old = rs_cfg_current();
	uint64_t gen = old->gen;
	cr_assert_not_null(rs_cfg_edit());
	cr_assert(rs_cfg_publish());
	cr_assert_eq(rs_cfg_current()->gen, gen + 1);
	cr_assert_neq(rs_cfg_current(), old);
	cr_assert_eq(rs_defer_pending(), 1, "the old version is queued");
	cr_assert_eq(rs_rcu_reclaim(), 0, "reader 0 may still hold it");
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	cr_assert_eq(rs_rcu_reclaim(), 1);
	/* nothing staged: no new version */
	cr_assert_not(rs_cfg_publish());
	cr_assert_eq(rs_cfg_current()->gen, gen + 1);
}

Test(rcu_defer, offline_readers_do_not_block)
{
	reader_on(0);
	reader_on(1);
	rte_rcu_qsbr_thread_offline(ut_rcu, 1); /* asleep */
	rs_defer_free(count_free, NULL);
	cr_assert_eq(rs_rcu_reclaim(), 0);
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	cr_assert_eq(rs_rcu_reclaim(), 1, "the sleeping reader held it up");
	rte_rcu_qsbr_thread_offline(ut_rcu, 0);
	rs_defer_free(count_free, NULL);
	cr_assert_eq(rs_rcu_reclaim(), 1, "no reader online: at once");
	/* back online: it waits for that reader again */
	rte_rcu_qsbr_thread_online(ut_rcu, 1);
	rs_defer_free(count_free, NULL);
	cr_assert_eq(rs_rcu_reclaim(), 0);
	rte_rcu_qsbr_quiescent(ut_rcu, 1);
	cr_assert_eq(rs_rcu_reclaim(), 1);
	cr_assert_eq(freed, 3);
	/* rs_sync does not wait for an offline reader either */
	rte_rcu_qsbr_thread_offline(ut_rcu, 1);
	rs_defer_free(count_free, NULL);
	rs_sync();
	cr_assert_eq(freed, 4);
}

Test(rcu_defer, current_command_entries_are_left_alone)
{
	reader_on(0); /* never moves on: a blocking wait would hang */
	rs_defer_set_max(4);
	for (int i = 0; i < 6; i++)
		rs_defer_free(count_free, NULL);
	/* none was stamped (the command has not ended): the queue grew */
	cr_assert_eq(freed, 0);
	cr_assert_eq(rs_defer_pending(), 6);
	struct rs_defer_stats st;
	rs_defer_get_stats(&st);
	cr_assert_eq(st.syncs_full, 0);
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	cr_assert_eq(rs_rcu_reclaim(), 0, "stamped only now");
	rte_rcu_qsbr_quiescent(ut_rcu, 0);
	cr_assert_eq(rs_rcu_reclaim(), 6);
}

/* A reader that reports a quiescent state only once a grace period has
 * been started after the test said "go": the non-blocking check fails,
 * the blocking one succeeds. */
static atomic_bool ready, go, stop_reader;
static uint64_t stamp_token; /* the token after the entries were stamped */

static void *late_reader(void *arg)
{
	(void)arg;
	if (rte_rcu_qsbr_thread_register(ut_rcu, 1) != 0)
		abort();
	rte_rcu_qsbr_thread_online(ut_rcu, 1);
	rte_rcu_qsbr_quiescent(ut_rcu, 1);
	atomic_store(&ready, true);
	while (!atomic_load(&go))
		rte_pause();
	/* the blocking wait starts a newer grace period than the stamp's */
	while (__atomic_load_n(&ut_rcu->token, __ATOMIC_ACQUIRE) == stamp_token &&
	       !atomic_load(&stop_reader))
		rte_pause();
	rte_rcu_qsbr_quiescent(ut_rcu, 1);
	while (!atomic_load(&stop_reader)) {
		rte_rcu_qsbr_quiescent(ut_rcu, 1);
		rte_pause();
	}
	rte_rcu_qsbr_thread_offline(ut_rcu, 1);
	return NULL;
}

Test(rcu_defer, full_queue_falls_back_to_sync)
{
	pthread_t th;
	atomic_store(&ready, false);
	atomic_store(&go, false);
	atomic_store(&stop_reader, false);
	cr_assert_eq(pthread_create(&th, NULL, late_reader, NULL), 0);
	uint64_t t0 = rte_get_timer_cycles(), hz = rte_get_timer_hz();
	while (!atomic_load(&ready))
		cr_assert_lt(rte_get_timer_cycles() - t0, 10 * hz, "reader never came online");
	rs_defer_set_max(4);
	for (int i = 0; i < 4; i++)
		rs_defer_free(count_free, NULL);
	cr_assert_eq(rs_rcu_reclaim(), 0, "stamps them; the reader has not moved on");
	stamp_token = __atomic_load_n(&ut_rcu->token, __ATOMIC_ACQUIRE);
	atomic_store(&go, true);
	/* the fifth finds the queue full: the four earlier ones are freed
	 * after a blocking grace period, the fifth waits its turn */
	rs_defer_free(count_free, NULL);
	cr_assert_eq(freed, 4);
	cr_assert_eq(rs_defer_pending(), 1);
	struct rs_defer_stats st;
	rs_defer_get_stats(&st);
	cr_assert_eq(st.syncs_full, 1);
	atomic_store(&stop_reader, true);
	pthread_join(th, NULL);
	rs_sync();
	cr_assert_eq(freed, 5);
}

/* ---- a reader hammering what the control thread publishes ---- */

#define LIVE 0x11223344u
#define DEAD 0xdeadbeefu

struct obj {
	uint32_t magic;
	uint64_t seq;
	uint8_t pad[200];
};

static struct obj *_Atomic shared_obj;
static atomic_uint_fast64_t bad, walks;

static void obj_free(void *p)
{
	struct obj *o = p;
	o->magic = DEAD; /* seen by a reader still on it: caught without asan too */
	free(o);
}

static void *hammer_reader(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	if (rte_rcu_qsbr_thread_register(ut_rcu, id) != 0)
		abort();
	rte_rcu_qsbr_thread_online(ut_rcu, id);
	uint64_t last_gen = 0, last_seq = 0, n = 0;
	while (!atomic_load(&stop_reader)) {
		/* one "walk": everything loaded here is held until the report */
		const struct rs_cfg *c = rs_cfg_current();
		const struct obj *o = atomic_load_explicit(&shared_obj, memory_order_acquire);
		uint64_t sum = 0, gen0 = c->gen, seq0 = o->seq;
		for (unsigned k = 0; k < 512; k++) {
			sum += c->gen + c->ifaces[k % RS_MAX_IFACES].mtu;
			sum += o->magic + o->pad[(k * 7) % sizeof(o->pad)];
			if (o->magic != LIVE || c->ifaces[0].mtu != (uint16_t)c->gen)
				atomic_fetch_add(&bad, 1);
		}
		/* published once, never written again: a change is reuse */
		if (c->gen != gen0 || o->seq != seq0 || c->gen < last_gen || o->seq < last_seq)
			atomic_fetch_add(&bad, 1);
		last_gen = c->gen;
		last_seq = o->seq;
		__asm__ volatile("" : : "r"(sum));
		rte_rcu_qsbr_quiescent(ut_rcu, id);
		/* now and then asleep, as an idle worker is */
		if ((++n & 63) == 0) {
			rte_rcu_qsbr_thread_offline(ut_rcu, id);
			sched_yield();
			rte_rcu_qsbr_thread_online(ut_rcu, id);
		}
		atomic_fetch_add(&walks, 1);
	}
	rte_rcu_qsbr_thread_offline(ut_rcu, id);
	return NULL;
}

static void hammer(size_t max)
{
	rs_defer_set_max(max);
	struct obj *o0 = calloc(1, sizeof(*o0));
	cr_assert_not_null(o0);
	o0->magic = LIVE;
	atomic_store(&shared_obj, o0);
	atomic_store(&stop_reader, false);
	atomic_store(&bad, 0);
	atomic_store(&walks, 0);
	pthread_t th[NREADERS];
	for (unsigned i = 0; i < NREADERS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, hammer_reader, (void *)(uintptr_t)i), 0);
	/* at least 20000 versions and 20000 reader walks alongside them */
	uint64_t t0 = rte_get_timer_cycles(), hz = rte_get_timer_hz();
	for (unsigned i = 1; i <= 20000 || atomic_load(&walks) < 20000; i++) {
		cr_assert_lt(rte_get_timer_cycles() - t0, 60 * hz, "readers never ran");
		/* a new version; the reader checks mtu == gen (low bits) */
		struct rs_cfg *c = rs_cfg_edit();
		cr_assert_not_null(c);
		c->ifaces[0].mtu = (uint16_t)(rs_cfg_current()->gen + 1);
		/* and an object replaced, the old one freed after readers */
		struct obj *o = malloc(sizeof(*o));
		cr_assert_not_null(o);
		memset(o, (int)i, sizeof(*o));
		o->magic = LIVE;
		o->seq = i;
		struct obj *old = atomic_exchange_explicit(&shared_obj, o, memory_order_acq_rel);
		rs_defer_free(obj_free, old);
		if (i % 1000 == 0)
			rs_cfg_commit(); /* the blocking form, mixed in */
		else
			rs_cfg_publish();
		rs_rcu_reclaim();
	}
	atomic_store(&stop_reader, true);
	for (unsigned i = 0; i < NREADERS; i++)
		pthread_join(th[i], NULL);
	rs_sync();
	cr_assert_eq(rs_defer_pending(), 0);
	cr_assert_eq(atomic_load(&bad), 0, "a reader saw a freed or torn version");
	struct rs_defer_stats st;
	rs_defer_get_stats(&st);
	cr_assert_eq(st.freed, st.deferred, "every deferred entry was freed once");
	free(atomic_load(&shared_obj));
	atomic_store(&shared_obj, NULL);
}

Test(rcu_defer, reader_hammer_no_use_after_free)
{
	hammer(RS_DEFER_MAX);
}

Test(rcu_defer, reader_hammer_small_queue)
{
	hammer(8); /* the full-queue path taken all the time */
}
