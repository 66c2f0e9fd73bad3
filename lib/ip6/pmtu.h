/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The path MTU cache (RFC 8201; RFC 1191 for IPv4): what Packet Too Big
 * taught us about a destination, shared by every socket and connection
 * that sends to it (Linux keeps it as a route exception), forgotten after
 * PMTU_EXPIRE_NS so that a path that grew is found again (§4: "at least 5
 * minutes"; Linux's ip6_rt_mtu_expires is 10). Keys are struct rs_ip, so
 * either family can use it.
 *
 * Threads. Workers post what they learn (pmtu_learn, a message to the
 * control thread); the control thread is the only writer of the table.
 * Readers (workers, control thread) look up lock-free: each slot holds a
 * pointer to an immutable entry, replaced whole, the old one freed after
 * a grace period.
 */
#ifndef RS_PMTU_H
#define RS_PMTU_H

#include <stdint.h>
#include <string.h>

#include "core/dp.h"

#include "util/rs_addr.h"

#define PMTU_EXPIRE_NS (600ull * 1000000000ull)
#define PMTU_BUCKETS 1024  /* x PMTU_WAYS entries: the oldest is evicted */
#define PMTU_WAYS 4

struct rs_worker;
struct rs_iface;

/* Reader: the path MTU learnt for dst and still valid at now, or 0. */
uint32_t pmtu_get(const struct rs_ip *dst, uint64_t now);
/* Worker: a Packet Too Big (or Fragmentation Needed) said mtu for dst.
 * Posted to the control thread; never blocks (lost when its ring is full). */
void pmtu_learn(struct rs_worker *w, const struct rs_ip *dst, uint32_t mtu);
/* Control thread: the update itself (tests call it directly). The path
 * MTU only shrinks while an entry lives; IPv6 never goes below 1280
 * (RFC 8201 §4), IPv4 below 552 (Linux's min_pmtu). */
void pmtu_update(const struct rs_ip *dst, uint32_t mtu, uint64_t now);
/* Control thread: forget everything (link or address changes need not
 * call it: entries only lower an MTU and expire). */
void pmtu_flush(void);

/* Worker: the MTU an IPv6 packet we originate to dst leaves ifc with:
 * the link's, lowered by the path's when Packet Too Big taught one
 * (never for a group: RFC 8201 §5.1 lets hosts keep them apart; Linux
 * does not cache them). */
static inline uint32_t pmtu_for6(const struct rs_iface *ifc, const uint8_t *dst, uint64_t now)
{
	uint32_t m = ifc->mtu;
	if (dst[0] == 0xff)
		return m;
	struct rs_ip d;
	memcpy(d.b, dst, 16);
	uint32_t pm = pmtu_get(&d, now);
	return pm != 0 && pm < m ? pm : m;
}

#endif
