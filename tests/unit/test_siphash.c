/* SPDX-License-Identifier: BSD-3-Clause */
/* SipHash-2-4 against the reference vectors (key 00..0f, message 00..n-1). */
#include <criterion/criterion.h>

#include "util/rs_siphash.h"

/* the first 16 of the authors' vectors.h, read as little-endian words */
static const uint64_t vec[16] = {
	0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
	0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
	0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
	0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
};

Test(siphash, reference_vectors)
{
	uint8_t k[16], m[16];
	struct rs_siphash_key key;
	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	rs_siphash_key_load(&key, k);
	for (int n = 0; n < 16; n++) {
		m[n] = (uint8_t)n;
		cr_assert_eq(rs_siphash24(&key, m, (size_t)n), vec[n], "length %d", n);
	}
}

Test(siphash, key_matters)
{
	uint8_t k[16] = { 0 };
	struct rs_siphash_key a, b;
	rs_siphash_key_load(&a, k);
	k[15] = 1;
	rs_siphash_key_load(&b, k);
	cr_assert_neq(rs_siphash24(&a, "x", 1), rs_siphash24(&b, "x", 1));
}
