/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-destination ICMP rate limit, DPDK-free and family-neutral.
 *
 * Linux limits the ICMP errors it sends twice: a global token bucket
 * (icmp_msgs_per_sec / icmp_msgs_burst, lib/icmp/icmp4_error.c has ours)
 * and one bucket per destination host (inet_peer_xrlim_allow: at most one
 * message per icmp_ratelimit, default 1000 ms, with a burst of
 * XRLIM_BURST_FACTOR = 6). The second is what keeps a burst of probes from
 * one peer (a port scan, a traceroute flood) from getting hundreds of
 * answers. Linux keeps those buckets in its inet_peer tree; this is a fixed
 * table instead: set-associative (ICMP_RL_WAYS entries per set), keyed by
 * (family, address bytes) through a seeded hash, the least recently used
 * entry of a set replaced by a new destination. Nothing is allocated after
 * icmp_rl_create().
 *
 * A destination whose entry was replaced starts again with a full burst:
 * a flood of spoofed sources can buy a victim a few more errors than the
 * per-destination limit, never more than the global bucket allows.
 *
 * One owner thread (a worker); time is passed in, in nanoseconds.
 */
#ifndef RS_ICMP_RL_H
#define RS_ICMP_RL_H

#include <stdbool.h>
#include <stdint.h>

#define ICMP_RL_WAYS 4
#define ICMP_RL_ADDR_MAX 16 /* IPv6 */

struct icmp_rl_params {
	uint32_t entries;     /* destinations remembered (rounded up to a power of two) */
	uint64_t interval_ns; /* one message per interval per destination (1 s) */
	uint32_t burst;       /* messages a quiet destination may get at once (6) */
};

/* Linux's defaults: icmp_ratelimit 1000 ms, XRLIM_BURST_FACTOR 6; 4096 entries. */
void icmp_rl_params_default(struct icmp_rl_params *p);

struct icmp_rl;

/* NULL and errno (EINVAL, ENOMEM) on failure. */
struct icmp_rl *icmp_rl_create(const struct icmp_rl_params *p);
void icmp_rl_destroy(struct icmp_rl *t);

/*
 * Whether one more ICMP message may go to addr (alen bytes: 4 for AF_INET,
 * 16 for AF_INET6; family is the AF_ constant, part of the key). Takes the
 * message's token when it returns true.
 */
bool icmp_rl_allow(struct icmp_rl *t, uint8_t family, const void *addr, uint8_t alen,
		   uint64_t now);

struct icmp_rl_stats {
	uint64_t allowed;
	uint64_t limited;   /* refused by the per-destination limit */
	uint64_t replaced;  /* a destination's entry taken by another */
	uint32_t entries;   /* table size */
};
void icmp_rl_get_stats(const struct icmp_rl *t, struct icmp_rl_stats *s);

#endif
