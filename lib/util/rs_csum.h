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
