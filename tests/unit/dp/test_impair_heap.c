/* SPDX-License-Identifier: BSD-3-Clause */
/* The impairment holding heap (util/impair.h): release order and bound. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "util/impair.h"

static struct rs_impair_held store[4096];

static struct rs_impair_heap mk(uint32_t cap)
{
	struct rs_impair_heap h = { .cap = cap, .e = store };
	return h;
}

Test(impair_heap, releases_in_due_order_fifo_on_ties)
{
	struct rs_impair_heap h = mk(4096);
	struct rs_impair_held out, prev = { 0 };
	uint64_t x = 88172645463325252ull;
	for (uintptr_t i = 0; i < 3000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		cr_assert_eq(rs_impair_heap_push(&h, 1 + x % 500, (void *)(i + 1), 1, 0), 0);
	}
	cr_assert_not(rs_impair_heap_pop_due(&h, 0, &out), "released before its time");
	unsigned n = 0;
	/* nothing before its time */
	while (rs_impair_heap_pop_due(&h, 249, &out))
		cr_assert_leq(out.due_ns, 249);
	while (rs_impair_heap_pop_due(&h, UINT64_MAX, &out)) {
		if (n++ > 0 && out.due_ns == prev.due_ns)
			cr_assert_gt((uintptr_t)out.pkt, (uintptr_t)prev.pkt, "ties leave in order");
		cr_assert_geq(out.due_ns, prev.due_ns);
		prev = out;
	}
	cr_assert_eq(h.n, 0);
}

Test(impair_heap, bounded)
{
	struct rs_impair_heap h = mk(16);
	for (uintptr_t i = 0; i < 16; i++)
		cr_assert_eq(rs_impair_heap_push(&h, 100 - i, (void *)i, 2, 1), 0);
	cr_assert_eq(rs_impair_heap_push(&h, 1, (void *)99, 2, 1), -ENOSPC);
	struct rs_impair_held out;
	cr_assert(rs_impair_heap_pop_due(&h, 1000, &out));
	cr_assert_eq(out.due_ns, 85);
	cr_assert_eq(out.link, 2);
	cr_assert_eq(out.dir, 1);
	cr_assert_eq(rs_impair_heap_push(&h, 1, (void *)99, 2, 1), 0, "room again after a release");
	/* the bound: a quarter of the pool per worker share, at most 4096 */
	cr_assert_eq(rs_impair_heap_cap(8192, 1), 2048);
	cr_assert_eq(rs_impair_heap_cap(8192, 2), 1024);
	cr_assert_eq(rs_impair_heap_cap(1u << 20, 1), 4096);
	cr_assert_leq(rs_impair_heap_cap(100, 1), 100u);
}
