/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Automatic flow labels (lib/ip6/ip6_flowlabel.c, RFC 6437 §3): 20 bits,
 * never zero, the same for every packet of a flow, different flows spread
 * over the label space.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "ip6/ip6_flowlabel.h"

static const uint8_t A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

Test(flowlabel, stable_per_flow_and_in_range)
{
	uint32_t a = ip6_flowlabel(A, B, 17, 1000, 2000);
	cr_assert_eq(a, ip6_flowlabel(A, B, 17, 1000, 2000));
	cr_assert(a != 0 && a <= 0xfffff);
	/* each field of the 5-tuple is part of the flow */
	cr_assert_neq(a, ip6_flowlabel(B, A, 17, 1000, 2000));
	cr_assert_neq(a, ip6_flowlabel(A, B, 6, 1000, 2000));
	cr_assert_neq(a, ip6_flowlabel(A, B, 17, 1001, 2000));
	cr_assert_neq(a, ip6_flowlabel(A, B, 17, 1000, 2001));
}

Test(flowlabel, flows_spread)
{
	/* 4096 flows by source port: labels never 0, rarely equal, and both
	 * halves of the label space used about equally */
	static uint8_t seen[1u << 20];
	unsigned dup = 0, high = 0;
	memset(seen, 0, sizeof(seen));
	for (uint32_t p = 0; p < 4096; p++) {
		uint32_t l = ip6_flowlabel(A, B, 17, (uint16_t)(40000 + p), 53);
		cr_assert(l != 0 && l <= 0xfffff);
		dup += seen[l];
		seen[l] = 1;
		high += l >> 19;
	}
	cr_assert_lt(dup, 64, "%u collisions among 4096 flows", dup);
	cr_assert(high > 1800 && high < 2300, "%u of 4096 in the upper half", high);
}
