/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The timer wheel (lib/util/rs_wheel.c): exact expiry at every level,
 * never early, cancel and re-arm, re-arming from the callback, and a
 * randomized comparison against a plain list of deadlines.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>

#include "util/rs_wheel.h"

#define MS 1000000ull

struct item {
	struct rs_timer t;
	uint64_t deadline;
	uint64_t fired_at;
	int fired;
	int rearm; /* re-arm this many ms later from the callback, once */
};

static struct rs_wheel W;
static uint64_t now;
static unsigned nfired;

static void
on_fire(void *ctx, struct rs_timer *t)
{
	struct item *it = (struct item *)((char *)t - offsetof(struct item, t));
	cr_assert_not(rs_timer_armed(t), "disarmed before its callback");
	it->fired++;
	it->fired_at = now;
	nfired++;
	cr_assert_geq(now, it->deadline, "fired early: now %lu deadline %lu", (unsigned long)now,
		      (unsigned long)it->deadline);
	if (it->rearm) {
		it->deadline = now + (uint64_t)it->rearm * MS;
		it->rearm = 0;
		rs_wheel_arm(&W, t, it->deadline);
	}
}

static void
advance_to(uint64_t t)
{
	now = t;
	rs_wheel_advance(&W, now, on_fire, NULL);
}

Test(wheel, fires_at_the_tick_at_each_level)
{
	uint64_t delays[] = { 0, 1, 5, 63, 64, 65, 100, 4095, 4096, 4097, 300000, 262144, 16777216,
			      1000000007ull, 68719476736ull /* beyond the range */ };
	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		rs_wheel_init(&W, MS, 5 * MS);
		now = 5 * MS;
		struct item it = { 0 };
		rs_timer_init(&it.t);
		it.deadline = now + delays[i] * MS;
		rs_wheel_arm(&W, &it.t, it.deadline);
		cr_assert(rs_timer_armed(&it.t));
		if (delays[i] > 0) {
			advance_to(it.deadline - MS);
			cr_assert_eq(it.fired, 0, "delay %lu ms fired early", (unsigned long)delays[i]);
			cr_assert_leq(rs_wheel_next_ns(&W), it.deadline, "next_ns is a lower bound");
		}
		advance_to(it.deadline);
		cr_assert_eq(it.fired, 1, "delay %lu ms did not fire on time", (unsigned long)delays[i]);
		cr_assert_eq(W.count, 0);
		cr_assert_eq(rs_wheel_next_ns(&W), UINT64_MAX);
	}
}

Test(wheel, rounds_up_to_a_tick)
{
	rs_wheel_init(&W, MS, 0);
	now = 0;
	struct item it = { .deadline = 1500000 };
	rs_timer_init(&it.t);
	rs_wheel_arm(&W, &it.t, it.deadline);
	advance_to(1499999);
	cr_assert_eq(it.fired, 0);
	advance_to(1999999);
	cr_assert_eq(it.fired, 0, "not before its tick");
	advance_to(2 * MS);
	cr_assert_eq(it.fired, 1);
}

Test(wheel, past_deadline_fires_next_advance)
{
	rs_wheel_init(&W, MS, 100 * MS);
	now = 100 * MS;
	struct item it = { .deadline = 0 };
	rs_timer_init(&it.t);
	rs_wheel_arm(&W, &it.t, 3 * MS);
	advance_to(100 * MS);
	cr_assert_eq(it.fired, 1);
}

Test(wheel, cancel_and_move)
{
	rs_wheel_init(&W, MS, 0);
	now = 0;
	struct item a = { .deadline = 10 * MS }, b = { .deadline = 5000 * MS };
	rs_timer_init(&a.t);
	rs_timer_init(&b.t);
	rs_wheel_arm(&W, &a.t, a.deadline);
	rs_wheel_arm(&W, &b.t, b.deadline);
	cr_assert_eq(W.count, 2);
	rs_wheel_cancel(&W, &a.t);
	rs_wheel_cancel(&W, &a.t); /* twice: harmless */
	cr_assert_eq(W.count, 1);
	b.deadline = 20 * MS;
	rs_wheel_arm(&W, &b.t, b.deadline); /* moved nearer */
	cr_assert_eq(W.count, 1);
	advance_to(100 * MS);
	cr_assert_eq(a.fired, 0);
	cr_assert_eq(b.fired, 1);
	cr_assert_eq(b.fired_at, 100 * MS);
}

Test(wheel, rearm_from_callback)
{
	rs_wheel_init(&W, MS, 0);
	now = 0;
	struct item it = { .deadline = 10 * MS, .rearm = 100 };
	rs_timer_init(&it.t);
	rs_wheel_arm(&W, &it.t, it.deadline);
	advance_to(10 * MS);
	cr_assert_eq(it.fired, 1);
	cr_assert(rs_timer_armed(&it.t));
	advance_to(109 * MS);
	cr_assert_eq(it.fired, 1);
	advance_to(110 * MS);
	cr_assert_eq(it.fired, 2);
}

/* Random arms, cancels and advances, checked against the deadlines
 * themselves: each timer fires exactly once, in the first advance whose
 * time reaches its (tick-rounded) deadline. */
Test(wheel, random_against_model)
{
	enum { N = 3000 };
	static struct item it[N];
	rs_wheel_init(&W, MS, 7 * MS);
	now = 7 * MS;
	nfired = 0;
	uint64_t r = 88172645463325252ull;
	unsigned armed = 0;
	for (int i = 0; i < N; i++)
		rs_timer_init(&it[i].t);
	for (int step = 0; step < 200000; step++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		int i = (int)(r % N);
		unsigned op = (unsigned)(r >> 32) % 10;
		if (op < 5) {
			/* arm at a spread of distances, all levels */
			unsigned shift = (unsigned)(r >> 40) % 28;
			uint64_t d = ((r >> 8) & ((1ull << shift) - 1)) + ((r >> 3) & 1);
			it[i].deadline = now + d * MS;
			it[i].fired = 0;
			if (!rs_timer_armed(&it[i].t))
				armed++;
			rs_wheel_arm(&W, &it[i].t, it[i].deadline);
		} else if (op < 6) {
			if (rs_timer_armed(&it[i].t))
				armed--;
			rs_wheel_cancel(&W, &it[i].t);
		} else {
			uint64_t step_ms = (r >> 20) % ((op == 9) ? 100000 : 50);
			uint64_t before = nfired;
			advance_to(now + step_ms * MS);
			armed -= (unsigned)(nfired - before);
			/* nothing due may remain armed */
			for (int k = 0; k < N; k += 97)
				if (rs_timer_armed(&it[k].t))
					cr_assert_gt(it[k].deadline, now, "timer %d overdue", k);
		}
		cr_assert_eq(W.count, armed);
	}
	for (int k = 0; k < N; k++)
		if (rs_timer_armed(&it[k].t))
			cr_assert_gt(it[k].deadline, now);
}
