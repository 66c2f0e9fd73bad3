/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hierarchical timer wheel (Varghese and Lauck, "Hashed and hierarchical
 * timing wheels", 1987, scheme 7), DPDK-free, one per worker.
 *
 * Time is counted in ticks of tick_ns (e.g. 1 ms); every deadline is given
 * in nanoseconds and rounded up to a tick, so a timer never fires early.
 * RS_WHEEL_LEVELS levels of 64 slots each: a timer sits in the level of the
 * highest 6-bit group of its tick number that differs from the wheel's
 * current tick, so level 0 holds the current block of 64 ticks exactly and
 * higher levels are cascaded down one level when their slot comes due.
 * Expiry is exact to the tick, not rounded to a level's granularity.
 *
 * Costs: arm and cancel O(1); advance O(timers fired + timers cascaded +
 * levels per step): 64-bit occupancy masks let it jump over empty slots
 * and empty blocks, so an idle hour costs a handful of steps, not 3.6
 * million ticks. Each timer is cascaded at most once per level. Range
 * 2^36 ticks (795 days at 1 ms); a farther deadline waits on an overflow
 * list that is re-filed when the top level wraps, so it still fires on
 * time.
 *
 * No allocation: the caller embeds a struct rs_timer in its object (a TCP
 * connection, say) and finds the object back with container_of in the fire
 * callback. Not thread-safe: one wheel, one thread (a worker owns its
 * wheel and every timer armed on it).
 */
#ifndef RS_WHEEL_H
#define RS_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define RS_WHEEL_BITS 6
#define RS_WHEEL_SLOTS (1u << RS_WHEEL_BITS)
#define RS_WHEEL_LEVELS 6
#define RS_WHEEL_OVERFLOW 0xffff

struct rs_timer {
	struct rs_timer *next;
	struct rs_timer *prev;
	uint64_t expires; /* tick */
	uint16_t slot;    /* level * 64 + slot + 1; RS_WHEEL_OVERFLOW; 0 when not armed */
};

struct rs_wheel {
	uint64_t now;      /* next tick to process: every timer due before it has fired */
	uint64_t tick_ns;
	uint32_t count;    /* armed timers */
	uint64_t occupied[RS_WHEEL_LEVELS];
	struct rs_timer *slots[RS_WHEEL_LEVELS][RS_WHEEL_SLOTS];
	struct rs_timer *overflow; /* beyond the range */
};

/*
 * Initializes an empty wheel whose clock reads now_ns.
 * @tick_ns  granularity (> 0; 0 is taken as 1)
 */
void rs_wheel_init(struct rs_wheel *w, uint64_t tick_ns, uint64_t now_ns);

/* Marks a timer not armed; call once before its first use. */
static inline void rs_timer_init(struct rs_timer *t)
{
	t->next = t->prev = 0;
	t->expires = 0;
	t->slot = 0;
}

static inline bool rs_timer_armed(const struct rs_timer *t) { return t->slot != 0; }

/*
 * Arms t to fire at the first advance whose now_ns >= deadline_ns (rounded
 * up to a tick). A timer already armed is moved. A deadline in the past
 * fires at the next advance. O(1).
 */
void rs_wheel_arm(struct rs_wheel *w, struct rs_timer *t, uint64_t deadline_ns);

/* Disarms t; a timer not armed is left alone. O(1). */
void rs_wheel_cancel(struct rs_wheel *w, struct rs_timer *t);

/*
 * Moves the wheel's clock to now_ns and calls fire(ctx, t) for every timer
 * due, in deadline order across ticks (the order within one tick is
 * unspecified). Each timer is disarmed before its call, so fire may re-arm
 * it, arm or cancel any other timer (a timer armed for a tick already
 * processed fires within this same call). A clock that goes backwards is
 * ignored. Returns the number of timers fired.
 */
uint32_t rs_wheel_advance(struct rs_wheel *w, uint64_t now_ns,
			  void (*fire)(void *ctx, struct rs_timer *t), void *ctx);

/*
 * A lower bound of the next deadline in nanoseconds (exact when it falls in
 * the current block of 64 ticks; otherwise the tick at which the next
 * non-empty slot comes down a level), UINT64_MAX when no timer is armed:
 * how long a worker may sleep.
 */
uint64_t rs_wheel_next_ns(const struct rs_wheel *w);

#endif
