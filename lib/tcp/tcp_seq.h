/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP sequence numbers as their own type (RFC 9293 §3.4): 32-bit values
 * compared modulo 2^32, so that a sequence number cannot be mixed up with a
 * length or compared with a plain '<'. Two numbers compare correctly while
 * they are less than 2^31 apart, which the window bounds (RFC 7323 §2.3:
 * windows below 2^30) guarantee.
 */
#ifndef RS_TCP_SEQ_H
#define RS_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

struct seq {
	uint32_t v;
};

static inline struct seq seq_make(uint32_t v) { return (struct seq){ v }; }
static inline struct seq seq_add(struct seq a, uint32_t n) { return (struct seq){ a.v + n }; }
static inline struct seq seq_sub(struct seq a, uint32_t n) { return (struct seq){ a.v - n }; }
/* a - b as a signed distance */
static inline int32_t seq_sdiff(struct seq a, struct seq b) { return (int32_t)(a.v - b.v); }
/* a - b for a >= b: the bytes from b up to a */
static inline uint32_t seq_diff(struct seq a, struct seq b) { return a.v - b.v; }
static inline bool seq_eq(struct seq a, struct seq b) { return a.v == b.v; }
static inline bool seq_lt(struct seq a, struct seq b) { return seq_sdiff(a, b) < 0; }
static inline bool seq_le(struct seq a, struct seq b) { return seq_sdiff(a, b) <= 0; }
static inline bool seq_gt(struct seq a, struct seq b) { return seq_sdiff(a, b) > 0; }
static inline bool seq_ge(struct seq a, struct seq b) { return seq_sdiff(a, b) >= 0; }
static inline struct seq seq_max(struct seq a, struct seq b) { return seq_gt(a, b) ? a : b; }
static inline struct seq seq_min(struct seq a, struct seq b) { return seq_lt(a, b) ? a : b; }
/* lo <= s < hi */
static inline bool seq_in(struct seq s, struct seq lo, struct seq hi)
{
	return seq_ge(s, lo) && seq_lt(s, hi);
}

/* Timestamp values (RFC 7323 §5.2) wrap the same way. */
static inline bool ts_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

#endif
