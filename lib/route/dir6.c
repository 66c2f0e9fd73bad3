/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/dp.h"
#include "route/dir6.h"

uint32_t *dir6_tbl24;
uint32_t *dir6_tbl8;
uint32_t dir6_def;
static uint32_t ntbl8;
static uint32_t *free8; /* stack: the lowest groups first (touched pages stay few) */
static uint32_t nfree8;
static size_t sz24, sz8;

#define SZ24 ((size_t)sizeof(uint32_t) << 24)

/* Anonymous memory, zero, its pages made only when first written (huge
 * pages where the kernel has them): a table sized for the worst case costs
 * what the routes use. */
static void *map(size_t sz)
{
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, sz, MADV_HUGEPAGE);
	return p;
}

int dir6_init(uint32_t n)
{
	if (n == 0 || n > D6_TBL8_MAX)
		return -EINVAL;
	sz24 = SZ24;
	sz8 = (size_t)n * 256 * sizeof(uint32_t);
	dir6_tbl24 = map(sz24);
	dir6_tbl8 = map(sz8);
	free8 = malloc(n * sizeof(*free8));
	if (dir6_tbl24 == NULL || dir6_tbl8 == NULL || free8 == NULL) {
		dir6_fini();
		return -ENOMEM;
	}
	ntbl8 = n;
	nfree8 = 0;
	for (uint32_t g = n; g > 0; g--)
		free8[nfree8++] = g - 1;
	return 0;
}

void dir6_fini(void)
{
	if (dir6_tbl24)
		munmap(dir6_tbl24, sz24);
	if (dir6_tbl8)
		munmap(dir6_tbl8, sz8);
	free(free8);
	dir6_tbl24 = dir6_tbl8 = NULL;
	free8 = NULL;
	ntbl8 = nfree8 = 0;
	dir6_def = 0;
}

uint32_t dir6_tbl8_used(void) { return ntbl8 - nfree8; }
uint32_t dir6_tbl8_total(void) { return ntbl8; }

static inline uint32_t mk(uint8_t depth, uint32_t nh)
{
	return D6_VALID | ((uint32_t)depth << D6_DEPTH_SHIFT) | (nh & D6_VAL_MASK);
}

static inline uint8_t depth_of(uint32_t e) { return (uint8_t)((e & D6_DEPTH_MASK) >> D6_DEPTH_SHIFT); }

static inline uint32_t *group(uint32_t e) { return &dir6_tbl8[(size_t)(e & D6_VAL_MASK) << 8]; }

static inline void put(uint32_t *slot, uint32_t e) { __atomic_store_n(slot, e, __ATOMIC_RELEASE); }

static inline uint32_t idx24(const uint8_t a[16])
{
	return (uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2];
}

/* In slots[0..n) and the groups below them: entries not owned by a prefix
 * longer than len get e. */
static void set_range(uint32_t *slots, uint32_t n, uint8_t len, uint32_t e)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cur = slots[i];
		if (cur & D6_EXT)
			set_range(group(cur), 256, len, e);
		else if (!(cur & D6_VALID) || depth_of(cur) <= len)
			put(&slots[i], e);
	}
}

/* In slots[0..n) and the groups below them: entries owned by exactly len
 * get e. */
static void clear_range(uint32_t *slots, uint32_t n, uint8_t len, uint32_t e)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cur = slots[i];
		if (cur & D6_EXT)
			clear_range(group(cur), 256, len, e);
		else if ((cur & D6_VALID) && depth_of(cur) == len)
			put(&slots[i], e);
	}
}

int dir6_add(const uint8_t prefix[16], uint8_t len, uint32_t nh)
{
	uint32_t e = mk(len, nh);
	if (len == 0) {
		put(&dir6_def, e);
		return 0;
	}
	if (len <= 24) {
		set_range(&dir6_tbl24[idx24(prefix)], 1u << (24 - len), len, e);
		return 0;
	}
	/* the groups from byte 3 to the prefix's last byte: count the
	 * missing ones first, so that a full table changes nothing */
	unsigned last = (len - 1u) / 8, missing = 0;
	uint32_t *slot = &dir6_tbl24[idx24(prefix)];
	for (unsigned b = 3; b <= last; b++) {
		if (!(*slot & D6_EXT)) {
			missing = last - b + 1;
			break;
		}
		slot = &group(*slot)[prefix[b]];
	}
	if (missing > nfree8 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* groups still waiting for readers to move on */
	if (missing > nfree8)
		return -ENOSPC;
	slot = &dir6_tbl24[idx24(prefix)];
	for (unsigned b = 3;; b++) {
		uint32_t cur = *slot;
		if (!(cur & D6_EXT)) {
			uint32_t g = free8[--nfree8];
			uint32_t *grp = &dir6_tbl8[(size_t)g << 8];
			for (unsigned i = 0; i < 256; i++)
				grp[i] = cur; /* the group starts as the entry it splits */
			cur = D6_VALID | D6_EXT | g;
			put(slot, cur); /* after the group is filled */
		}
		uint32_t *grp = group(cur);
		if (b == last) {
			set_range(&grp[prefix[b]], 1u << ((b + 1) * 8 - len), len, e);
			return 0;
		}
		slot = &grp[prefix[b]];
	}
}

static void group_release(void *arg)
{
	free8[nfree8++] = (uint32_t)(uintptr_t)arg;
}

/* A group whose every entry comes from a prefix no longer than its first
 * bit holds the same entry everywhere: its parent can hold that instead. */
static bool foldable(const uint32_t *grp, unsigned first_bit)
{
	for (unsigned i = 0; i < 256; i++)
		if ((grp[i] & D6_EXT) || ((grp[i] & D6_VALID) && depth_of(grp[i]) > first_bit))
			return false;
	return true;
}

void dir6_del(const uint8_t prefix[16], uint8_t len, int repl_len, uint32_t repl_nh)
{
	if (len == 0) {
		put(&dir6_def, 0);
		return;
	}
	/* what ::/0 covers is entry 0 in the tables (dir6_def) */
	uint32_t e = repl_len <= 0 ? 0 : mk((uint8_t)repl_len, repl_nh);
	if (len <= 24) {
		clear_range(&dir6_tbl24[idx24(prefix)], 1u << (24 - len), len, e);
		return;
	}
	uint32_t *path[16]; /* path[k]: the entry naming the group of byte 3 + k */
	unsigned np = 0, last = (len - 1u) / 8;
	uint32_t *slot = &dir6_tbl24[idx24(prefix)];
	for (unsigned b = 3; b <= last; b++) {
		if (!(*slot & D6_EXT))
			return; /* not in the table */
		path[np++] = slot;
		uint32_t *grp = group(*slot);
		if (b == last)
			clear_range(&grp[prefix[b]], 1u << ((b + 1) * 8 - len), len, e);
		else
			slot = &grp[prefix[b]];
	}
	/* the groups that only this prefix needed fold back, deepest first */
	while (np > 0) {
		slot = path[--np];
		uint32_t cur = *slot, *grp = group(cur);
		if (!foldable(grp, (3 + np) * 8))
			break;
		put(slot, grp[0]);
		rs_defer_free(group_release, (void *)(uintptr_t)(cur & D6_VAL_MASK));
	}
}
