/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RS_ICMP4_H
#define RS_ICMP4_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "core/dp.h"

/* Per-worker ICMP state (the global token bucket), written by its worker. */
struct icmp_rl;
struct icmp_worker {
	uint64_t tokens_ns;  /* time credit (see icmp4_error.c) */
	uint64_t last_ns;
	struct icmp_rl *rl;  /* per-destination limit (icmp_rl.h), or NULL */
	uint64_t global_limited; /* errors the per-worker bucket held back */
} __rte_cache_aligned;
extern struct icmp_worker icmp_workers[RS_MAX_WORKERS];

/*
 * Builds an ICMP error about `orig` (an mbuf whose data starts at its IPv4
 * header, which ip4_input validated) in a new mbuf ready for ip4_output.
 * Borrows orig. Returns NULL when RFC 1122 §3.2.2 forbids an error (orig is
 * an ICMP error, a non-first fragment, to or from a broadcast/multicast
 * address, or from an address that does not name one host), when a rate
 * limit says no (types in Linux's icmp_ratemask, fragmentation needed
 * excepted: the per-worker token bucket, Linux's icmp_msgs_per_sec /
 * icmp_msgs_burst, and the per-destination one of w->icmp_rl, Linux's
 * icmp_ratelimit), or when no mbuf is free; *why says which (0: sent,
 * 1: not allowed, 2: rate limited, 3: no mbuf).
 * The error quotes as much of orig as fits in 576 bytes (RFC 1812 §4.3.2.3).
 * info: next-hop MTU for fragmentation needed, pointer for parameter problem.
 */
/* Both ICMP rate limits of either family (the worker's token bucket, then
 * the destination's, icmp_rl.h): true when one more error may go to addr
 * (alen bytes); takes the tokens then. */
bool icmp_ratelimit_ok(struct rs_worker *w, uint8_t family, const void *addr, uint8_t alen);

struct rte_mbuf *icmp4_error_build(struct rs_worker *w, struct rte_mbuf *orig, uint8_t type,
				   uint8_t code, uint32_t info, int *why);

#endif
