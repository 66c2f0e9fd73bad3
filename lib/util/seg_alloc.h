/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A buddy allocator of offsets inside a shared segment (an application's
 * memfd): the daemon carves socket rings out of it on demand and gives
 * them back on close. Pure, DPDK-free, one thread (the control thread).
 * The allocator's own bookkeeping lives in private memory, never in the
 * segment (which the application can write).
 *
 * Blocks are powers of two from min_block (>= 64) to the arena size, each
 * aligned to its own size relative to the arena's start. Allocation and
 * free are O(log(arena / min_block)).
 */
#ifndef RS_SEG_ALLOC_H
#define RS_SEG_ALLOC_H

#include <stdint.h>

struct seg_alloc;

/*
 * The arena is [base, base + size) in segment offsets; size is a power of
 * two multiple of min_block (a power of two >= 64). NULL + errno.
 */
struct seg_alloc *seg_alloc_create(uint64_t base, uint64_t size, uint64_t min_block);
void seg_alloc_destroy(struct seg_alloc *a);
/* An offset of a block of at least len bytes (rounded up to a power of two,
 * at least min_block), aligned to that block size; or UINT64_MAX when no
 * block is free (or len is 0 or larger than the arena). */
uint64_t seg_alloc_get(struct seg_alloc *a, uint64_t len);
/* Returns a block: off and len as given to / returned by seg_alloc_get.
 * 0, or -EINVAL when (off, len) is not an allocated block (checked: a
 * double free or a wrong length is refused, never corrupts). */
int seg_alloc_put(struct seg_alloc *a, uint64_t off, uint64_t len);
/* Bytes in allocated blocks (after rounding). */
uint64_t seg_alloc_used(const struct seg_alloc *a);
/* The rounded size a request of len bytes takes (0 if impossible). */
uint64_t seg_alloc_block_size(const struct seg_alloc *a, uint64_t len);

#endif
