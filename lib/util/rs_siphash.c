/* SPDX-License-Identifier: BSD-3-Clause */
/* SipHash-2-4, written from the paper's description (§2). */
#include "rs_siphash.h"

#include <string.h>

static inline uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
ld64le(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                                                   \
	do {                                                       \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;             \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;             \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
	} while (0)

void
rs_siphash_key_load(struct rs_siphash_key *k, const uint8_t bytes[16])
{
	k->k0 = ld64le(bytes);
	k->k1 = ld64le(bytes + 8);
}

uint64_t
rs_siphash24(const struct rs_siphash_key *k, const void *in, size_t len)
{
	const uint8_t *p = in;
	uint64_t v0 = 0x736f6d6570736575ull ^ k->k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k->k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k->k0;
	uint64_t v3 = 0x7465646279746573ull ^ k->k1;
	size_t full = len & ~(size_t)7;

	/* compression: c = 2 rounds per 8-byte word */
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = ld64le(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	/* last word: the remaining bytes, and len mod 256 in the top byte */
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	/* finalization: d = 4 rounds */
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
