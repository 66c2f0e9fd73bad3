/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Buddy allocator of offsets (see seg_alloc.h).
 *
 * The bookkeeping is a complete binary tree over the arena, one byte per
 * node, in private memory: node 1 is the whole arena (order K, where the
 * arena is min_block << K), nodes 2i and 2i+1 are the halves of node i,
 * and the leaves are the min_block blocks. A node's byte is
 *  - NODE_ALLOC: the block is allocated as a whole;
 *  - otherwise the largest free order in its subtree plus one (0: nothing
 *    free), which equals the node's own order plus one exactly when the
 *    whole block is free.
 * Allocation descends from the root towards the fullest subtree that still
 * fits (best fit: large blocks stay whole), free climbs back up merging
 * buddies; both touch one node per level. Bytes below an allocated or a
 * free node are stale and never read: a free node's children are reset
 * when it is split, and a free verifies the whole path from the root.
 *
 * Memory: 2 bytes per min_block of arena (a 64 MiB arena of 4 KiB blocks
 * takes 32 KiB).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/seg_alloc.h"

#define NODE_ALLOC 0x80
/* 2^26 leaves: 128 MiB of bookkeeping, far beyond any segment we map. */
#define MAX_ORDER 26

struct seg_alloc {
	uint64_t base;
	uint64_t size;
	uint64_t used;
	unsigned int min_shift; /* log2(min_block) */
	unsigned int order;     /* K: the root's order */
	uint8_t *node;          /* 2^(K+1) bytes, node[0] unused */
};

static bool
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static unsigned int
log2_u64(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

static uint8_t
free_val(unsigned int order)
{
	return (uint8_t)(order + 1);
}

/* Largest free order plus one under a node's byte. */
static uint8_t
avail(uint8_t v)
{
	return v & NODE_ALLOC ? 0 : v;
}

struct seg_alloc *
seg_alloc_create(uint64_t base, uint64_t size, uint64_t min_block)
{
	struct seg_alloc *a;
	unsigned int order;

	if (!is_pow2(min_block) || min_block < 64 || !is_pow2(size) || size < min_block) {
		errno = EINVAL;
		return NULL;
	}
	/* No block may end past UINT64_MAX, the "none" value. */
	if (base > UINT64_MAX - size) {
		errno = EINVAL;
		return NULL;
	}
	order = log2_u64(size) - log2_u64(min_block);
	if (order > MAX_ORDER) {
		errno = ENOMEM;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->node = calloc((size_t)2 << order, 1);
	if (a->node == NULL) {
		free(a);
		return NULL;
	}
	a->base = base;
	a->size = size;
	a->min_shift = log2_u64(min_block);
	a->order = order;
	a->node[1] = free_val(order);
	return a;
}

void
seg_alloc_destroy(struct seg_alloc *a)
{
	if (a == NULL)
		return;
	free(a->node);
	free(a);
}

/* The order of a request, or -1 when it cannot be served at all. */
static int
req_order(const struct seg_alloc *a, uint64_t len)
{
	unsigned int o;

	if (len == 0 || len > a->size)
		return -1;
	if (len <= (uint64_t)1 << a->min_shift)
		return 0;
	o = log2_u64(len - 1) + 1; /* ceil(log2(len)) */
	return (int)(o - a->min_shift);
}

uint64_t
seg_alloc_block_size(const struct seg_alloc *a, uint64_t len)
{
	int o = req_order(a, len);

	return o < 0 ? 0 : (uint64_t)1 << (a->min_shift + (unsigned int)o);
}

/* Recomputes the ancestors of node i after its byte changed. */
static void
update_up(struct seg_alloc *a, size_t i, unsigned int order)
{
	while (i > 1) {
		uint8_t l, r;

		i >>= 1;
		order++;
		l = a->node[2 * i];
		r = a->node[2 * i + 1];
		/* Two whole free buddies merge into their parent. */
		if (l == free_val(order - 1) && r == free_val(order - 1))
			a->node[i] = free_val(order);
		else
			a->node[i] = avail(l) > avail(r) ? avail(l) : avail(r);
	}
}

uint64_t
seg_alloc_get(struct seg_alloc *a, uint64_t len)
{
	int want = req_order(a, len);
	unsigned int order = a->order;
	size_t i = 1;
	uint64_t rel;

	if (want < 0 || avail(a->node[1]) < free_val((unsigned int)want))
		return UINT64_MAX;
	while (order > (unsigned int)want) {
		uint8_t l, r, need = free_val((unsigned int)want);

		if (a->node[i] == free_val(order)) {
			/* Splitting a whole free block: its children's bytes are stale. */
			a->node[2 * i] = free_val(order - 1);
			a->node[2 * i + 1] = free_val(order - 1);
		}
		l = avail(a->node[2 * i]);
		r = avail(a->node[2 * i + 1]);
		/* Best fit: the child whose largest free block is the smaller
		 * one that still fits, so that larger blocks stay whole; the
		 * lower half on a tie. */
		if (l >= need && (r < need || l <= r))
			i = 2 * i;
		else
			i = 2 * i + 1;
		order--;
	}
	a->node[i] = NODE_ALLOC;
	update_up(a, i, order);
	a->used += (uint64_t)1 << (a->min_shift + order);
	rel = ((uint64_t)i - ((uint64_t)1 << (a->order - order))) << (a->min_shift + order);
	return a->base + rel;
}

int
seg_alloc_put(struct seg_alloc *a, uint64_t off, uint64_t len)
{
	int o = req_order(a, len);
	unsigned int order, depth, d;
	uint64_t rel, idx;
	size_t i;

	if (o < 0 || off < a->base || off - a->base >= a->size)
		return -EINVAL;
	order = (unsigned int)o;
	rel = off - a->base;
	if (rel & (((uint64_t)1 << (a->min_shift + order)) - 1))
		return -EINVAL;
	depth = a->order - order;
	idx = rel >> (a->min_shift + order);
	/* Every ancestor must be split (neither allocated as a whole, which
	 * would mean a wrong, smaller length, nor wholly free, which would
	 * mean a double free); only then is the node's own byte current. */
	for (d = 0; d < depth; d++) {
		uint8_t v = a->node[((size_t)1 << d) + (size_t)(idx >> (depth - d))];

		if (v & NODE_ALLOC || v == free_val(a->order - d))
			return -EINVAL;
	}
	i = ((size_t)1 << depth) + (size_t)idx;
	if (a->node[i] != NODE_ALLOC)
		return -EINVAL;
	a->node[i] = free_val(order);
	update_up(a, i, order);
	a->used -= (uint64_t)1 << (a->min_shift + order);
	return 0;
}

uint64_t
seg_alloc_used(const struct seg_alloc *a)
{
	return a->used;
}
