/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Automatic IPv6 flow labels (RFC 6437 §3). Pure, DPDK-free.
 */
#ifndef RS_IP6_FLOWLABEL_H
#define RS_IP6_FLOWLABEL_H

#include <stdint.h>

/* The 20-bit, never zero, flow label of (src, dst, proto, sport, dport)
 * (ports in host order; 0 for a protocol without them): the same for
 * every packet of the flow, keyed with a secret drawn at start. */
uint32_t ip6_flowlabel(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		       uint16_t sport, uint16_t dport);

#endif
