/* SPDX-License-Identifier: BSD-3-Clause */
/* Hierarchical timer wheel: see rs_wheel.h for the contract. */
#include "rs_wheel.h"

#include <stddef.h>

#define MASK (RS_WHEEL_SLOTS - 1)
#define RANGE_BITS (RS_WHEEL_BITS * RS_WHEEL_LEVELS)

void
rs_wheel_init(struct rs_wheel *w, uint64_t tick_ns, uint64_t now_ns)
{
	if (tick_ns == 0)
		tick_ns = 1;
	w->tick_ns = tick_ns;
	w->now = now_ns / tick_ns;
	w->count = 0;
	for (unsigned l = 0; l < RS_WHEEL_LEVELS; l++) {
		w->occupied[l] = 0;
		for (unsigned s = 0; s < RS_WHEEL_SLOTS; s++)
			w->slots[l][s] = NULL;
	}
}

static void
link_slot(struct rs_wheel *w, struct rs_timer *t, unsigned level, unsigned slot)
{
	struct rs_timer **head = &w->slots[level][slot];

	t->prev = NULL;
	t->next = *head;
	if (*head)
		(*head)->prev = t;
	*head = t;
	w->occupied[level] |= 1ull << slot;
	t->slot = (uint16_t)(level * RS_WHEEL_SLOTS + slot + 1);
}

static void
unlink_slot(struct rs_wheel *w, struct rs_timer *t)
{
	unsigned level = (t->slot - 1u) / RS_WHEEL_SLOTS;
	unsigned slot = (t->slot - 1u) % RS_WHEEL_SLOTS;

	if (t->prev)
		t->prev->next = t->next;
	else
		w->slots[level][slot] = t->next;
	if (t->next)
		t->next->prev = t->prev;
	if (w->slots[level][slot] == NULL)
		w->occupied[level] &= ~(1ull << slot);
	t->next = t->prev = NULL;
	t->slot = 0;
}

/*
 * Files t by its expiry relative to w->now: the level is that of the
 * highest 6-bit group in which the two tick numbers differ, so the slot
 * comes due (its lower groups all zero) at or before the expiry and after
 * now. Past deadlines go to the slot of the current tick.
 */
static void
file(struct rs_wheel *w, struct rs_timer *t)
{
	uint64_t e = t->expires;

	if (e < w->now)
		e = w->now;
	uint64_t diff = e ^ w->now;
	if (diff >> RANGE_BITS) {
		/* beyond the wheel: park in the farthest slot of the top
		 * level; re-filed from there when it comes due */
		unsigned top = RS_WHEEL_LEVELS - 1;
		unsigned cur = (unsigned)(w->now >> (RS_WHEEL_BITS * top)) & MASK;
		link_slot(w, t, top, (cur + MASK) & MASK);
		return;
	}
	unsigned level = 0;
	while (diff >> (RS_WHEEL_BITS * (level + 1)))
		level++;
	link_slot(w, t, level, (unsigned)(e >> (RS_WHEEL_BITS * level)) & MASK);
}

void
rs_wheel_arm(struct rs_wheel *w, struct rs_timer *t, uint64_t deadline_ns)
{
	if (t->slot)
		unlink_slot(w, t);
	else
		w->count++;
	/* round up: never early */
	uint64_t tick = deadline_ns / w->tick_ns + (deadline_ns % w->tick_ns != 0);
	t->expires = tick;
	file(w, t);
}

void
rs_wheel_cancel(struct rs_wheel *w, struct rs_timer *t)
{
	if (!t->slot)
		return;
	unlink_slot(w, t);
	w->count--;
}

/* Re-files every timer of one slot against the current tick. */
static void
cascade(struct rs_wheel *w, unsigned level, unsigned slot)
{
	struct rs_timer *t = w->slots[level][slot];

	w->slots[level][slot] = NULL;
	w->occupied[level] &= ~(1ull << slot);
	while (t) {
		struct rs_timer *next = t->next;
		file(w, t);
		t = next;
	}
}

uint32_t
rs_wheel_advance(struct rs_wheel *w, uint64_t now_ns,
		 void (*fire)(void *ctx, struct rs_timer *t), void *ctx)
{
	uint64_t target = now_ns / w->tick_ns;
	uint32_t fired = 0;

	while (w->now <= target) {
		unsigned idx = (unsigned)w->now & MASK;

		if (idx == 0) {
			/* a block boundary: bring down the slots now due,
			 * highest level first, so each lands where it
			 * belongs relative to this tick */
			unsigned top = 1;
			while (top < RS_WHEEL_LEVELS - 1 &&
			       ((w->now >> (RS_WHEEL_BITS * top)) & MASK) == 0)
				top++;
			for (unsigned l = top; l >= 1; l--)
				cascade(w, l, (unsigned)(w->now >> (RS_WHEEL_BITS * l)) & MASK);
		}
		/* fire the current slot; fire() may add to it (a deadline
		 * in the past), so take the list head each time */
		while (w->slots[0][idx]) {
			struct rs_timer *t = w->slots[0][idx];
			unlink_slot(w, t);
			w->count--;
			fired++;
			fire(ctx, t);
		}
		/* next tick with work in this block, else the next block */
		uint64_t later = idx == MASK ? 0 : w->occupied[0] & (~0ull << (idx + 1));
		uint64_t next;
		if (later)
			next = (w->now & ~(uint64_t)MASK) + (unsigned)__builtin_ctzll(later);
		else
			next = (w->now | MASK) + 1;
		if (next > target + 1)
			next = target + 1;
		w->now = next;
	}
	return fired;
}

uint64_t
rs_wheel_next_ns(const struct rs_wheel *w)
{
	if (w->count == 0)
		return UINT64_MAX;
	unsigned idx = (unsigned)w->now & MASK;
	uint64_t l0 = w->occupied[0] & (~0ull << idx);
	if (l0)
		return ((w->now & ~(uint64_t)MASK) + (unsigned)__builtin_ctzll(l0)) * w->tick_ns;
	/* nothing left in this block: the next boundary is the earliest a
	 * higher level can bring anything down */
	return ((w->now | MASK) + 1) * w->tick_ns;
}
