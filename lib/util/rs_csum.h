/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum (RFC 1071) and its incremental update (RFC 1624), DPDK-free.
 * Sums are over big-endian 16-bit words; results are host-order values to be
 * stored with rs_st16().
 */
#ifndef RS_CSUM_H
#define RS_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Adds buf to a 32-bit running sum. An odd trailing byte is padded with zero;
 * callers summing several pieces must keep all but the last even-sized. */
static inline uint32_t rs_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
	while (len >= 2) {
		s += (uint32_t)((p[0] << 8) | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)(p[0] << 8);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/* Folds to 16 bits and complements: the value to put in a checksum field. */
static inline uint16_t rs_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint16_t rs_csum(const void *buf, size_t len)
{
	return rs_csum_fold(rs_csum_add(0, buf, len));
}

/*
 * True when a header of hlen bytes (a multiple of 4, as IPv4's) sums to
 * 0xffff, i.e. its checksum verifies. Sums 32-bit words in native byte
 * order: the folded one's-complement sum is the same in either byte order
 * up to a swap, and 0xffff is its own swap (RFC 1071 §2(B)). A few
 * instructions per word instead of a loop per byte pair.
 */
static inline int rs_csum_hdr_ok(const void *buf, size_t hlen)
{
	const uint8_t *p = buf;
	uint64_t s = 0;
	for (size_t i = 0; i < hlen; i += 4) {
		uint32_t w;
		memcpy(&w, p + i, 4);
		s += w;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/*
 * The 16-bit one's complement sum of buf in native byte order, folded, not
 * complemented: what DPDK's rte_raw_cksum returns (an odd trailing byte is
 * the low-address byte of a zero-padded word), with sum (a previous result
 * of this function, or 0) added in. RFC 1071 §2(C): the sum is taken over
 * 64-bit words with end-around carry, then folded (the result is the same as
 * over 16-bit words); on x86-64 an add-with-carry chain over 64 bytes a turn,
 * a few instructions per 64 bytes where a 16-bit loop takes hundreds: a TCP
 * segment is checked on receipt and summed when it is built, per segment.
 */
static inline uint64_t rs_csum_add64_(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? r + 1 : r;
}

static inline uint16_t rs_csum_raw(const void *buf, size_t len, uint16_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
#if defined(__x86_64__)
	while (len >= 64) {
		__asm__("addq 0(%[p]), %[s]\n\t"
			"adcq 8(%[p]), %[s]\n\t"
			"adcq 16(%[p]), %[s]\n\t"
			"adcq 24(%[p]), %[s]\n\t"
			"adcq 32(%[p]), %[s]\n\t"
			"adcq 40(%[p]), %[s]\n\t"
			"adcq 48(%[p]), %[s]\n\t"
			"adcq 56(%[p]), %[s]\n\t"
			"adcq $0, %[s]"
			: [s] "+r"(s)
			: [p] "r"(p), "m"(*(const uint8_t(*)[64])p)
			: "cc");
		p += 64;
		len -= 64;
	}
#endif
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		s = rs_csum_add64_(s, w);
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t w = 0;
		memcpy(&w, p, len);
		s = rs_csum_add64_(s, w);
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit field m -> m'. */
static inline uint16_t rs_csum_update16(uint16_t hc, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~hc;
	s += (uint16_t)~old;
	s += new_;
	return rs_csum_fold(s);
}

static inline uint16_t rs_csum_update32(uint16_t hc, uint32_t old, uint32_t new_)
{
	hc = rs_csum_update16(hc, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
	return rs_csum_update16(hc, (uint16_t)old, (uint16_t)new_);
}

/* Pseudo-header sum for UDP/TCP over IPv4 (RFC 768, RFC 793). */
static inline uint32_t rs_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4len)
{
	uint64_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + l4len;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}
#endif
