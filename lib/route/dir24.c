/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "core/dp.h"
#include "route/dir24.h"

uint32_t *dir24_tbl24;
uint32_t *dir24_tbl8;
static uint32_t ntbl8;
static uint32_t *free8;
static uint32_t nfree8;

int dir24_init(uint32_t n)
{
	dir24_tbl24 = rte_zmalloc("rs_dir24_tbl24", sizeof(uint32_t) << 24, RTE_CACHE_LINE_SIZE);
	dir24_tbl8 = rte_zmalloc("rs_dir24_tbl8", (size_t)n * 256 * sizeof(uint32_t),
				 RTE_CACHE_LINE_SIZE);
	free8 = malloc(n * sizeof(*free8));
	if (dir24_tbl24 == NULL || dir24_tbl8 == NULL || free8 == NULL) {
		dir24_fini();
		return -ENOMEM;
	}
	ntbl8 = n;
	nfree8 = 0;
	for (uint32_t g = n; g > 0; g--)
		free8[nfree8++] = g - 1;
	return 0;
}

void dir24_fini(void)
{
	rte_free(dir24_tbl24);
	rte_free(dir24_tbl8);
	free(free8);
	dir24_tbl24 = dir24_tbl8 = NULL;
	free8 = NULL;
	ntbl8 = nfree8 = 0;
}

uint32_t dir24_tbl8_free(void) { return nfree8; }

static inline uint32_t mk(uint8_t depth, uint32_t nh)
{
	return D24_VALID | ((uint32_t)depth << D24_DEPTH_SHIFT) | (nh & D24_VAL_MASK);
}

static inline uint8_t depth_of(uint32_t e) { return (uint8_t)((e & D24_DEPTH_MASK) >> D24_DEPTH_SHIFT); }

static inline void put(uint32_t *slot, uint32_t e)
{
	__atomic_store_n(slot, e, __ATOMIC_RELEASE);
}

/* In slots[0..n): entries not owned by a prefix longer than len get e. */
static void set_range(uint32_t *slots, uint32_t n, uint8_t len, uint32_t e)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cur = slots[i];
		if (!(cur & D24_VALID) || depth_of(cur) <= len)
			put(&slots[i], e);
	}
}

/* In slots[0..n): entries owned by exactly len get e. */
static void clear_range(uint32_t *slots, uint32_t n, uint8_t len, uint32_t e)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cur = slots[i];
		if ((cur & D24_VALID) && depth_of(cur) == len)
			put(&slots[i], e);
	}
}

int dir24_add(uint32_t prefix, uint8_t len, uint32_t nh)
{
	uint32_t e = mk(len, nh);
	if (len <= 24) {
		uint32_t first = prefix >> 8, n = 1u << (24 - len);
		for (uint32_t i = first; i < first + n; i++) {
			uint32_t cur = dir24_tbl24[i];
			if (cur & D24_EXT)
				set_range(&dir24_tbl8[(cur & D24_VAL_MASK) << 8], 256, len, e);
			else if (!(cur & D24_VALID) || depth_of(cur) <= len)
				put(&dir24_tbl24[i], e);
		}
		return 0;
	}
	uint32_t *t24 = &dir24_tbl24[prefix >> 8];
	uint32_t cur = *t24;
	if (!(cur & D24_EXT)) {
		if (nfree8 == 0 && rs_defer_pending() > 0)
			rs_rcu_reclaim_wait(); /* groups still waiting for readers to move on */
		if (nfree8 == 0)
			return -ENOSPC;
		uint32_t g = free8[--nfree8];
		uint32_t *grp = &dir24_tbl8[g << 8];
		for (unsigned i = 0; i < 256; i++)
			grp[i] = cur; /* the group starts as the /24 it splits */
		cur = D24_VALID | D24_EXT | g;
		put(t24, cur); /* after the group is filled */
	}
	uint32_t *grp = &dir24_tbl8[(cur & D24_VAL_MASK) << 8];
	set_range(&grp[prefix & 0xff], 1u << (32 - len), len, e);
	return 0;
}

static void group_release(void *arg)
{
	free8[nfree8++] = (uint32_t)(uintptr_t)arg;
}

void dir24_del(uint32_t prefix, uint8_t len, int repl_len, uint32_t repl_nh)
{
	uint32_t e = repl_len < 0 ? 0 : mk((uint8_t)repl_len, repl_nh);
	if (len <= 24) {
		uint32_t first = prefix >> 8, n = 1u << (24 - len);
		for (uint32_t i = first; i < first + n; i++) {
			uint32_t cur = dir24_tbl24[i];
			if (cur & D24_EXT)
				clear_range(&dir24_tbl8[(cur & D24_VAL_MASK) << 8], 256, len, e);
			else if ((cur & D24_VALID) && depth_of(cur) == len)
				put(&dir24_tbl24[i], e);
		}
		return;
	}
	uint32_t *t24 = &dir24_tbl24[prefix >> 8];
	uint32_t cur = *t24;
	if (!(cur & D24_EXT))
		return;
	uint32_t g = cur & D24_VAL_MASK;
	uint32_t *grp = &dir24_tbl8[g << 8];
	clear_range(&grp[prefix & 0xff], 1u << (32 - len), len, e);
	/* no prefix longer than /24 left in the group: every entry comes
	 * from the same covering route, so the group folds back into tbl24 */
	for (unsigned i = 0; i < 256; i++)
		if ((grp[i] & D24_VALID) && depth_of(grp[i]) > 24)
			return;
	put(t24, grp[0]);
	rs_defer_free(group_release, (void *)(uintptr_t)g);
}
