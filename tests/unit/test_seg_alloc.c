/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the buddy allocator of segment offsets
 * (lib/util/seg_alloc.c), mostly against a reference model: a map of the
 * arena in min_block units that says which allocation owns each unit. The
 * model knows nothing of trees; it only knows what a correct buddy
 * allocator must guarantee: blocks are disjoint, aligned to their size,
 * and (because buddies merge eagerly) a request fails exactly when no
 * aligned run of free units of the rounded size exists.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/seg_alloc.h"

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

Test(seg_alloc, create_checks_geometry)
{
	struct seg_alloc *a;

	errno = 0;
	cr_assert_null(seg_alloc_create(0, 4096, 32));          /* min_block < 64 */
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(seg_alloc_create(0, 4096, 96));          /* not a power of two */
	cr_assert_null(seg_alloc_create(0, 4096 + 64, 64));     /* size not a power of two */
	cr_assert_null(seg_alloc_create(0, 64, 128));           /* smaller than a block */
	cr_assert_null(seg_alloc_create(0, 0, 64));
	cr_assert_null(seg_alloc_create(UINT64_MAX - 4095, 4096, 64)); /* would end past 2^64-1 */
	errno = 0;
	cr_assert_null(seg_alloc_create(0, 1ull << 40, 64));    /* 2^34 leaves of bookkeeping */
	cr_assert_eq(errno, ENOMEM);

	a = seg_alloc_create(UINT64_MAX - 4096, 4096, 64);      /* last offset UINT64_MAX-1 */
	cr_assert_not_null(a);
	cr_assert_eq(seg_alloc_get(a, 4096), UINT64_MAX - 4096);
	seg_alloc_destroy(a);
	a = seg_alloc_create(0, 64, 64);                        /* one block */
	cr_assert_not_null(a);
	cr_assert_eq(seg_alloc_get(a, 1), 0);
	cr_assert_eq(seg_alloc_get(a, 1), UINT64_MAX);
	cr_assert_eq(seg_alloc_put(a, 0, 64), 0);
	seg_alloc_destroy(a);
	seg_alloc_destroy(NULL);
}

Test(seg_alloc, rounding)
{
	struct seg_alloc *a = seg_alloc_create(1 << 20, 1 << 16, 256);

	cr_assert_not_null(a);
	cr_assert_eq(seg_alloc_block_size(a, 0), 0);
	cr_assert_eq(seg_alloc_block_size(a, 1), 256);
	cr_assert_eq(seg_alloc_block_size(a, 256), 256);
	cr_assert_eq(seg_alloc_block_size(a, 257), 512);
	cr_assert_eq(seg_alloc_block_size(a, 4096), 4096);
	cr_assert_eq(seg_alloc_block_size(a, 4097), 8192);
	cr_assert_eq(seg_alloc_block_size(a, 1 << 16), 1 << 16);
	cr_assert_eq(seg_alloc_block_size(a, (1 << 16) + 1), 0);
	cr_assert_eq(seg_alloc_block_size(a, UINT64_MAX), 0);
	cr_assert_eq(seg_alloc_get(a, 0), UINT64_MAX);
	cr_assert_eq(seg_alloc_get(a, (1 << 16) + 1), UINT64_MAX);
	cr_assert_eq(seg_alloc_get(a, UINT64_MAX), UINT64_MAX);
	cr_assert_eq(seg_alloc_used(a), 0);
	seg_alloc_destroy(a);
}

Test(seg_alloc, alignment_relative_to_base)
{
	/* base is only 64-aligned: blocks align to their size from base. */
	const uint64_t base = 64 * 7;
	struct seg_alloc *a = seg_alloc_create(base, 1 << 14, 64);
	uint64_t o1, o2, o3;

	cr_assert_not_null(a);
	o1 = seg_alloc_get(a, 100);  /* 128 */
	o2 = seg_alloc_get(a, 3000); /* 4096 */
	o3 = seg_alloc_get(a, 64);
	cr_assert_eq((o1 - base) % 128, 0);
	cr_assert_eq((o2 - base) % 4096, 0);
	cr_assert_eq((o3 - base) % 64, 0);
	cr_assert_eq(seg_alloc_used(a), 128 + 4096 + 64);
	/* Best fit: the 64-byte block comes from the 128 block's buddy, not
	 * from splitting another large block. */
	cr_assert_eq(o3, o1 + 128);
	seg_alloc_destroy(a);
}

Test(seg_alloc, exhaustion_and_coalescing)
{
	enum { N = 256 };
	struct seg_alloc *a = seg_alloc_create(4096, N * 64, 64);
	uint64_t off[N], s = 42;
	unsigned int i, perm[N];

	cr_assert_not_null(a);
	for (i = 0; i < N; i++) {
		off[i] = seg_alloc_get(a, 1 + i % 64);
		cr_assert_neq(off[i], UINT64_MAX, "block %u", i);
		perm[i] = i;
	}
	cr_assert_eq(seg_alloc_used(a), N * 64);
	cr_assert_eq(seg_alloc_get(a, 1), UINT64_MAX);
	/* Free in a random order: the buddies merge back into one block. */
	for (i = N - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(rnd(&s) % (i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < N; i++) {
		cr_assert_eq(seg_alloc_get(a, N * 64), UINT64_MAX);
		cr_assert_eq(seg_alloc_put(a, off[perm[i]], 1 + perm[i] % 64), 0);
	}
	cr_assert_eq(seg_alloc_used(a), 0);
	cr_assert_eq(seg_alloc_get(a, N * 64), 4096);
	cr_assert_eq(seg_alloc_get(a, 1), UINT64_MAX);
	cr_assert_eq(seg_alloc_put(a, 4096, N * 64), 0);
	seg_alloc_destroy(a);
}

Test(seg_alloc, refuses_bad_frees)
{
	struct seg_alloc *a = seg_alloc_create(1 << 16, 1 << 16, 64);
	uint64_t big, small, used;

	cr_assert_not_null(a);
	big = seg_alloc_get(a, 4096);
	small = seg_alloc_get(a, 200); /* 256 */
	cr_assert_neq(big, UINT64_MAX);
	cr_assert_neq(small, UINT64_MAX);
	used = seg_alloc_used(a);

	/* Wrong lengths: smaller (a block inside), larger (its parent). */
	cr_assert_eq(seg_alloc_put(a, big, 2048), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, big, 64), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, big, 8192), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, small, 128), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, small, 512), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, big, 0), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, big, UINT64_MAX), -EINVAL);
	/* Offsets that are no block's start. */
	cr_assert_eq(seg_alloc_put(a, big + 64, 64), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, big + 1, 4096), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, 0, 4096), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, (1 << 16) - 4096, 4096), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, 2 << 16, 64), -EINVAL);
	cr_assert_eq(seg_alloc_put(a, UINT64_MAX, 64), -EINVAL);
	/* A free block (never allocated) is not freed. */
	cr_assert_eq(seg_alloc_put(a, (1 << 16) + (1 << 15), 64), -EINVAL);
	cr_assert_eq(seg_alloc_used(a), used);

	/* Any length with the same rounding is the same block. */
	cr_assert_eq(seg_alloc_put(a, small, 129), 0);
	cr_assert_eq(seg_alloc_put(a, small, 256), -EINVAL); /* double free */
	cr_assert_eq(seg_alloc_put(a, big, 4000), 0);
	cr_assert_eq(seg_alloc_put(a, big, 4096), -EINVAL);
	cr_assert_eq(seg_alloc_used(a), 0);
	/* And the refused calls left the tree whole. */
	cr_assert_eq(seg_alloc_get(a, 1 << 16), 1 << 16);
	seg_alloc_destroy(a);
}

/*
 * The model test.
 */
#define M_UNITS 1024u  /* arena = 1024 blocks of 64 bytes */
#define M_MIN 64u
#define M_BASE 0x100000ull
#define M_MAXLIVE 600

struct live {
	uint64_t off;
	uint64_t len;  /* as requested */
	uint64_t size; /* rounded */
};

struct model {
	int owner[M_UNITS]; /* index into live[] + 1, 0 free */
	struct live live[M_MAXLIVE];
	unsigned int n;
	uint64_t used;
};

static uint64_t
m_round(uint64_t len)
{
	uint64_t s = M_MIN;

	while (s < len)
		s <<= 1;
	return s;
}

/* An aligned run of free units of the given size exists. */
static bool
m_fits(const struct model *m, uint64_t size)
{
	uint64_t units = size / M_MIN, u, k;

	for (u = 0; u + units <= M_UNITS; u += units) {
		for (k = 0; k < units; k++)
			if (m->owner[u + k] != 0)
				break;
		if (k == units)
			return true;
	}
	return false;
}

static void
m_check_tree(struct seg_alloc *a, const struct model *m)
{
	cr_assert_eq(seg_alloc_used(a), m->used);
}

Test(seg_alloc, model_random)
{
	struct seg_alloc *a = seg_alloc_create(M_BASE, M_UNITS * M_MIN, M_MIN);
	struct model *m = calloc(1, sizeof(*m));
	uint64_t s = 0x1234567;
	unsigned int step, gets = 0, fails = 0, bad = 0;

	cr_assert_not_null(a);
	cr_assert_not_null(m);
	for (step = 0; step < 60000; step++) {
		unsigned int op = (unsigned int)(rnd(&s) % 100);

		if (op < 50 && m->n < M_MAXLIVE) {
			/* Sizes skewed small, sometimes large. */
			unsigned int shift = (unsigned int)(rnd(&s) % 100 < 85 ? rnd(&s) % 5
										: rnd(&s) % 11);
			uint64_t len = 1 + rnd(&s) % ((uint64_t)M_MIN << shift);
			uint64_t size = m_round(len);
			uint64_t off = seg_alloc_get(a, len);
			uint64_t u, k;

			gets++;
			if (off == UINT64_MAX) {
				fails++;
				cr_assert(!m_fits(m, size), "step %u: refused %llu bytes with room",
					  step, (unsigned long long)len);
				continue;
			}
			cr_assert(off >= M_BASE && off - M_BASE + size <= M_UNITS * M_MIN);
			cr_assert_eq((off - M_BASE) % size, 0, "step %u: misaligned", step);
			u = (off - M_BASE) / M_MIN;
			for (k = 0; k < size / M_MIN; k++)
				cr_assert_eq(m->owner[u + k], 0, "step %u: overlap at unit %llu",
					     step, (unsigned long long)(u + k));
			m->live[m->n] = (struct live){ off, len, size };
			m->n++;
			for (k = 0; k < size / M_MIN; k++)
				m->owner[u + k] = (int)m->n;
			m->used += size;
		} else if (op < 90 && m->n > 0) {
			unsigned int i = (unsigned int)(rnd(&s) % m->n), j;
			struct live l = m->live[i];
			uint64_t u = (l.off - M_BASE) / M_MIN, k;
			/* Any length with the same rounding frees it. */
			uint64_t len = l.size / 2 + 1 + rnd(&s) % (l.size / 2);

			if (l.size == M_MIN)
				len = 1 + rnd(&s) % M_MIN;
			cr_assert_eq(seg_alloc_put(a, l.off, len), 0, "step %u", step);
			for (k = 0; k < l.size / M_MIN; k++)
				m->owner[u + k] = 0;
			m->used -= l.size;
			/* Keep live[] dense: move the last entry into the hole. */
			m->n--;
			if (i != m->n) {
				m->live[i] = m->live[m->n];
				u = (m->live[i].off - M_BASE) / M_MIN;
				for (j = 0; j < m->live[i].size / M_MIN; j++)
					m->owner[u + j] = (int)i + 1;
			}
			/* A second free of the same block is refused. */
			if (rnd(&s) % 4 == 0)
				cr_assert_eq(seg_alloc_put(a, l.off, l.len), -EINVAL);
		} else {
			/* Hostile frees: random offsets and lengths that are not a
			 * live block; refused, and nothing changes. */
			uint64_t off = M_BASE - 4096 + rnd(&s) % (M_UNITS * M_MIN + 8192);
			uint64_t len = 1 + rnd(&s) % (M_UNITS * M_MIN * 2);
			unsigned int i;
			bool is_block = false;

			if (rnd(&s) % 2)
				off &= ~(uint64_t)(M_MIN - 1);
			for (i = 0; i < m->n; i++)
				if (m->live[i].off == off && m->live[i].size == m_round(len))
					is_block = true;
			if (is_block)
				continue;
			bad++;
			cr_assert_eq(seg_alloc_put(a, off, len), -EINVAL, "step %u", step);
		}
		m_check_tree(a, m);
	}
	cr_assert_gt(fails, 10, "the test never filled the arena");
	cr_assert_gt(gets - fails, 1000);
	cr_assert_gt(bad, 1000);
	/* Free everything: one whole block again. */
	while (m->n > 0) {
		m->n--;
		cr_assert_eq(seg_alloc_put(a, m->live[m->n].off, m->live[m->n].len), 0);
	}
	cr_assert_eq(seg_alloc_used(a), 0);
	cr_assert_eq(seg_alloc_get(a, M_UNITS * M_MIN), M_BASE);
	seg_alloc_destroy(a);
	free(m);
}
