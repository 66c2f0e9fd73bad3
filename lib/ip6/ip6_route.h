/* SPDX-License-Identifier: BSD-3-Clause */
/* The ECMP flow hash of an IPv6 packet (RFC 6438: addresses and flow label;
 * the next header keeps flows of different protocols apart). */
#ifndef RS_IP6_ROUTE_H
#define RS_IP6_ROUTE_H

#include <stdint.h>
#include <string.h>

#include "util/rs_bytes.h"

static inline uint32_t ip6_flow_hash(const uint8_t *h)
{
	uint32_t x = (rs_ld32(h) & 0xfffff) ^ ((uint32_t)h[6] << 20);
	for (int i = 8; i < 40; i += 4) {
		x ^= rs_ld32(h + i);
		x *= 0x9e3779b1u;
		x ^= x >> 15;
	}
	return x ^ (x >> 12);
}

#endif
