/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_byteorder.h>
#include <rte_thash.h>

#include "core/rss.h"

/* The 40-byte key from Microsoft's RSS verification suite, which most
 * NICs and DPDK drivers use by default. */
const uint8_t rs_rss_key[RS_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb3, 0xbb, 0x3b, 0xea, 0x01, 0xfa,
};

uint32_t rs_rss_hash4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	uint32_t t[3] = { src, dst, (uint32_t)sport << 16 | dport };
	return rte_softrss(t, 3, rs_rss_key);
}

uint32_t rs_rss_hash6(const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
		      uint16_t dport)
{
	uint32_t t[9];
	for (int i = 0; i < 4; i++) {
		t[i] = (uint32_t)src[4 * i] << 24 | (uint32_t)src[4 * i + 1] << 16 |
		       (uint32_t)src[4 * i + 2] << 8 | src[4 * i + 3];
		t[4 + i] = (uint32_t)dst[4 * i] << 24 | (uint32_t)dst[4 * i + 1] << 16 |
			   (uint32_t)dst[4 * i + 2] << 8 | dst[4 * i + 3];
	}
	t[8] = (uint32_t)sport << 16 | dport;
	return rte_softrss(t, 9, rs_rss_key);
}
