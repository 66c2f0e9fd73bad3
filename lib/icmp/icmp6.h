/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RS_ICMP6_H
#define RS_ICMP6_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "core/dp.h"

/*
 * Builds an ICMPv6 error about orig (data at its IPv6 header, validated by
 * ip6_input) in a new mbuf ready for ip6_output. Borrows orig. Returns NULL
 * when RFC 4443 §2.4 (e) forbids it: orig is an ICMPv6 error (or its type
 * cannot be read), it was sent to a multicast address or as link-layer
 * multicast (unless mcast_ok: Packet Too Big, and Parameter Problem code 2
 * for an option whose action bits say so), its source is :: or multicast;
 * when the rate limits say no (every error type but Packet Too Big, as
 * Linux's icmpv6 ratemask "0-1,3-127", shared with ICMPv4's buckets); or
 * when no mbuf is free. The error quotes as much of orig as fits in the
 * minimum MTU, 1280 (§2.4 (c)). info: MTU (Packet Too Big) or pointer
 * (Parameter Problem).
 */
struct rte_mbuf *icmp6_error_build(struct rs_worker *w, struct rte_mbuf *orig, uint8_t type,
				   uint8_t code, uint32_t info, bool mcast_ok);

#endif
