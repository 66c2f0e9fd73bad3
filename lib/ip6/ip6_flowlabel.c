/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow labels for the IPv6 packets we originate (RFC 6437 §3): a keyed
 * hash of the flow's 5-tuple, so one flow always carries one label, labels
 * of different flows look independent, and nobody outside can predict
 * them (§6.1). As Linux's net.ipv6.auto_flowlabels=1, on by default.
 * Pure, DPDK-free; the key is drawn once at start.
 */
#include <string.h>
#include <sys/random.h>

#include "ip6/ip6_flowlabel.h"
#include "util/rs_siphash.h"

static struct rs_siphash_key fl_key;

__attribute__((constructor)) static void fl_key_init(void)
{
	uint8_t b[16] = { 0 };
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* no entropy yet: labels stay stable per flow, only guessable */
		for (unsigned i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(i * 0x9d + 0x3b);
	}
	rs_siphash_key_load(&fl_key, b);
}

uint32_t ip6_flowlabel(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		       uint16_t sport, uint16_t dport)
{
	uint8_t in[40];
	memcpy(in, src, 16);
	memcpy(in + 16, dst, 16);
	in[32] = proto;
	in[33] = (uint8_t)(sport >> 8);
	in[34] = (uint8_t)sport;
	in[35] = (uint8_t)(dport >> 8);
	in[36] = (uint8_t)dport;
	uint64_t h = rs_siphash24(&fl_key, in, 37);
	uint32_t fl = (uint32_t)(h ^ (h >> 32)) & 0xfffff;
	return fl != 0 ? fl : 1; /* 0 means "not labelled" (RFC 6437 §2) */
}
