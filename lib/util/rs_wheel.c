/* SPDX-License-Identifier: BSD-3-Clause */
/* Hierarchical timer wheel: see rs_wheel.h for the contract. */
#include "rs_wheel.h"

#include <stddef.h>

#define MASK (RS_WHEEL_SLOTS - 1)
#define RANGE_BITS (RS_WHEEL_BITS * RS_WHEEL_LEVELS)
#define GROUP(t, l) ((unsigned)((t) >> (RS_WHEEL_BITS * (l))) & MASK)

void
rs_wheel_init(struct rs_wheel *w, uint64_t tick_ns, uint64_t now_ns)
{
	if (tick_ns == 0)
		tick_ns = 1;
	w->tick_ns = tick_ns;
	w->now = now_ns / tick_ns;
	w->count = 0;
	w->overflow = NULL;
	for (unsigned l = 0; l < RS_WHEEL_LEVELS; l++) {
		w->occupied[l] = 0;
		for (unsigned s = 0; s < RS_WHEEL_SLOTS; s++)
			w->slots[l][s] = NULL;
	}
}

static struct rs_timer **
head_of(struct rs_wheel *w, uint16_t code)
{
	if (code == RS_WHEEL_OVERFLOW)
		return &w->overflow;
	return &w->slots[(code - 1u) / RS_WHEEL_SLOTS][(code - 1u) % RS_WHEEL_SLOTS];
}

static void
push(struct rs_wheel *w, struct rs_timer *t, uint16_t code)
{
	struct rs_timer **head = head_of(w, code);

	t->prev = NULL;
	t->next = *head;
	if (*head)
		(*head)->prev = t;
	*head = t;
	t->slot = code;
	if (code != RS_WHEEL_OVERFLOW) {
		unsigned l = (code - 1u) / RS_WHEEL_SLOTS, s = (code - 1u) % RS_WHEEL_SLOTS;
		w->occupied[l] |= 1ull << s;
	}
}

static void
unlink_timer(struct rs_wheel *w, struct rs_timer *t)
{
	struct rs_timer **head = head_of(w, t->slot);

	if (t->prev)
		t->prev->next = t->next;
	else
		*head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	if (*head == NULL && t->slot != RS_WHEEL_OVERFLOW) {
		unsigned l = (t->slot - 1u) / RS_WHEEL_SLOTS, s = (t->slot - 1u) % RS_WHEEL_SLOTS;
		w->occupied[l] &= ~(1ull << s);
	}
	t->next = t->prev = NULL;
	t->slot = 0;
}

/*
 * Files t by its expiry relative to w->now: the level is that of the
 * highest 6-bit group in which the two tick numbers differ, so the slot
 * comes due (its lower groups all zero) at or before the expiry and after
 * now. So at level L every occupied slot lies after the current tick's
 * group L, within the current rotation of level L + 1. Past deadlines go
 * to the slot of the current tick.
 */
static void
file(struct rs_wheel *w, struct rs_timer *t)
{
	uint64_t e = t->expires < w->now ? w->now : t->expires;
	uint64_t diff = e ^ w->now;

	if (diff >> RANGE_BITS) {
		push(w, t, RS_WHEEL_OVERFLOW);
		return;
	}
	unsigned level = 0;
	while (diff >> (RS_WHEEL_BITS * (level + 1)))
		level++;
	push(w, t, (uint16_t)(level * RS_WHEEL_SLOTS + GROUP(e, level) + 1));
}

void
rs_wheel_arm(struct rs_wheel *w, struct rs_timer *t, uint64_t deadline_ns)
{
	if (t->slot)
		unlink_timer(w, t);
	else
		w->count++;
	/* round up: never early */
	t->expires = deadline_ns / w->tick_ns + (deadline_ns % w->tick_ns != 0);
	file(w, t);
}

void
rs_wheel_cancel(struct rs_wheel *w, struct rs_timer *t)
{
	if (!t->slot)
		return;
	unlink_timer(w, t);
	w->count--;
}

/* Re-files every timer of one list against the current tick. */
static void
refile(struct rs_wheel *w, struct rs_timer **head, int level, unsigned slot)
{
	struct rs_timer *t = *head;

	*head = NULL;
	if (level >= 0)
		w->occupied[level] &= ~(1ull << slot);
	while (t) {
		struct rs_timer *next = t->next;
		file(w, t);
		t = next;
	}
}

/* At a block boundary: bring down the slots now due, highest level first,
 * so each lands where it belongs relative to this tick. */
static void
cascade_at(struct rs_wheel *w)
{
	uint64_t t = w->now;
	unsigned top = 1;

	while (top < RS_WHEEL_LEVELS - 1 && GROUP(t, top) == 0)
		top++;
	if (top == RS_WHEEL_LEVELS - 1 && GROUP(t, top) == 0 && w->overflow)
		refile(w, &w->overflow, -1, 0); /* the whole range wrapped */
	for (unsigned l = top; l >= 1; l--)
		refile(w, &w->slots[l][GROUP(t, l)], (int)l, GROUP(t, l));
}

/*
 * The first block boundary at or after b (a multiple of 64) at which a
 * non-empty slot comes down, UINT64_MAX if none. For each level, the
 * candidates are the boundaries of its occupied slots in the current
 * rotation (see file()); the overflow list comes due when the range wraps.
 */
static uint64_t
next_cascade(const struct rs_wheel *w, uint64_t b)
{
	uint64_t best = UINT64_MAX;

	for (unsigned l = 1; l < RS_WHEEL_LEVELS; l++) {
		unsigned sh = RS_WHEEL_BITS * l;
		uint64_t low = b & ((1ull << sh) - 1);
		unsigned jmin = GROUP(b, l) + (low != 0);
		if (jmin > MASK)
			continue;
		uint64_t m = w->occupied[l] & (~0ull << jmin);
		if (!m)
			continue;
		uint64_t base = b & ~((1ull << (sh + RS_WHEEL_BITS)) - 1);
		uint64_t cand = base + ((uint64_t)__builtin_ctzll(m) << sh);
		if (cand < best)
			best = cand;
	}
	if (w->overflow) {
		uint64_t wrap = (b | ((1ull << RANGE_BITS) - 1)) + 1;
		if ((b & ((1ull << RANGE_BITS) - 1)) == 0)
			wrap = b;
		if (wrap < best)
			best = wrap;
	}
	return best;
}

uint32_t
rs_wheel_advance(struct rs_wheel *w, uint64_t now_ns,
		 void (*fire)(void *ctx, struct rs_timer *t), void *ctx)
{
	uint64_t target = now_ns / w->tick_ns;
	uint32_t fired = 0;

	while (w->now <= target) {
		if (w->count == 0) {
			w->now = target + 1;
			break;
		}
		unsigned idx = (unsigned)w->now & MASK;
		if (idx == 0)
			cascade_at(w);
		/* fire the current slot; fire() may add to it (a deadline
		 * in the past), so take the list head each time */
		while (w->slots[0][idx]) {
			struct rs_timer *t = w->slots[0][idx];
			unlink_timer(w, t);
			w->count--;
			fired++;
			fire(ctx, t);
		}
		/* the next tick with work: a later slot of this block, or
		 * the next boundary that brings something down */
		uint64_t later = idx == MASK ? 0 : w->occupied[0] & (~0ull << (idx + 1));
		uint64_t next;
		if (later)
			next = (w->now & ~(uint64_t)MASK) + (unsigned)__builtin_ctzll(later);
		else
			next = next_cascade(w, (w->now | MASK) + 1);
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
	uint64_t t;
	if (l0)
		t = (w->now & ~(uint64_t)MASK) + (unsigned)__builtin_ctzll(l0);
	else
		t = next_cascade(w, idx == 0 ? w->now : (w->now | MASK) + 1);
	if (t == UINT64_MAX || t > UINT64_MAX / w->tick_ns)
		return UINT64_MAX;
	return t * w->tick_ns;
}
