/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 16 bytes of a frame as one value, for the fast paths (ip4_fastpath,
 * ip6_fastpath): an SSE register where SSE4.1 is there, two 64-bit words
 * otherwise. A header is checked as one compare under a mask and written
 * as one store.
 */
#ifndef RS_ETH_FP_V16_H
#define RS_ETH_FP_V16_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE4_1__)
#include <smmintrin.h>
#define FP_SSE 1
typedef __m128i fp_v16;
static inline fp_v16 fp_v16_load(const void *p) { return _mm_loadu_si128((const __m128i *)p); }
/* true when x and y are equal where mask (16-byte aligned) has bits */
static inline bool fp_v16_eq_mask(fp_v16 x, fp_v16 y, const uint8_t *mask)
{
	return _mm_testz_si128(_mm_xor_si128(x, y), _mm_load_si128((const __m128i *)mask));
}
/* the same with the mask in a register */
static inline bool fp_v16_eq_maskv(fp_v16 x, fp_v16 y, fp_v16 mask)
{
	return _mm_testz_si128(_mm_xor_si128(x, y), mask);
}
#else
#define FP_SSE 0
typedef struct { uint64_t lo, hi; } fp_v16;
static inline fp_v16 fp_v16_load(const void *p)
{
	fp_v16 v;
	memcpy(&v, p, 16);
	return v;
}
static inline bool fp_v16_eq_maskv(fp_v16 x, fp_v16 y, fp_v16 mask)
{
	return (((x.lo ^ y.lo) & mask.lo) | ((x.hi ^ y.hi) & mask.hi)) == 0;
}
static inline bool fp_v16_eq_mask(fp_v16 x, fp_v16 y, const uint8_t *mask)
{
	return fp_v16_eq_maskv(x, y, fp_v16_load(mask));
}
#endif

#endif
