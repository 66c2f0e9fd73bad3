/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbor table as the dataplane sees it.
 *
 * The state machine (neigh.c) lives on the control thread. Workers see, per
 * entry, one 64-bit word published with a single atomic store: so a worker
 * never reads a MAC of one version with the state of another. Entries are
 * found through an rte_hash in lock-free reader mode (single writer: the
 * control thread) with RCU-deferred reclamation of key slots; the published
 * words live in a fixed array whose slots are recycled only after a grace
 * period.
 */
#ifndef RS_NEIGH_CTL_H
#define RS_NEIGH_CTL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>

#include "arp/neigh.h"
#include "util/rs_json.h"

struct rs_msg;
struct rte_rcu_qsbr;

/* word: bit 63 valid, bits 48..55 state, bits 0..47 the MAC (mac[0] highest) */
#define NEIGH_PUB_VALID (1ull << 63)

struct neigh_pub {
	_Atomic uint64_t word;
	/* set by a worker that sent through a STALE entry; read and cleared by
	 * the control thread (a lost update only delays DELAY by a tick) */
	volatile uint8_t used;
	/* set by a worker that sent a packet whose upper layer saw forward
	 * progress (RS_PF_CONFIRM); read and cleared by the control thread */
	volatile uint8_t confirmed;
	struct neigh_entry *e; /* control thread only */
};

struct neigh_key {
	struct rs_ip ip; /* IPv4-mapped for ARP */
	uint16_t iface;
	uint16_t zero;
};

extern struct rte_hash *neigh_hash;

/* Fast path: the usable published word for (iface, ip), or 0 when the
 * neighbor must be resolved first. */
static inline uint64_t neigh_pub_lookup(uint16_t iface, const struct rs_ip *ip,
					struct neigh_pub **pp)
{
	struct neigh_key k = { .ip = *ip, .iface = iface, .zero = 0 };
	void *d;
	if (rte_hash_lookup_data(neigh_hash, &k, &d) < 0)
		return 0;
	struct neigh_pub *p = d;
	uint64_t w = atomic_load_explicit(&p->word, memory_order_acquire);
	*pp = p;
	return w;
}

static inline uint8_t neigh_word_state(uint64_t w) { return (uint8_t)(w >> 48); }
static inline void neigh_word_mac(uint64_t w, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (40 - 8 * i));
}
/* States in which a worker may send directly. */
static inline bool neigh_word_usable(uint64_t w)
{
	if (!(w & NEIGH_PUB_VALID))
		return false;
	uint8_t s = neigh_word_state(w);
	return s == NEIGH_REACHABLE || s == NEIGH_STALE || s == NEIGH_DELAY ||
	       s == NEIGH_PROBE || s == NEIGH_PERMANENT;
}

/* ---- control thread ---- */
/* max_queued: packets waiting for resolution, all entries (0: neigh.h's default) */
int neigh_ctl_init(uint32_t max_entries, uint32_t max_queued, struct rte_rcu_qsbr *rcu);
void neigh_ctl_fini(void);
void neigh_ctl_tick(uint64_t now);
/* Gratuitous ARP (RFC 5227 §3 announcement) for ip on iface. */
void neigh_ctl_announce(uint16_t iface, uint32_t ip);
int neigh_ctl_add(uint16_t iface, struct rs_ip ip, const uint8_t mac[6]);
int neigh_ctl_del(uint16_t iface, struct rs_ip ip);
uint32_t neigh_ctl_flush(uint16_t iface, bool include_static);
void neigh_ctl_show(struct rs_buf *out, bool json, int iface);
uint32_t neigh_ctl_count(void);
uint32_t neigh_ctl_queued(void); /* packets waiting for resolution now */
/* packets dropped on the control thread: pushed out of a full resolution
 * queue or no room for an entry (failed resolutions are counted by a
 * worker as neigh_failed, after its ICMP host unreachable) */
extern uint64_t neigh_ctl_drop_queue;
/* Worker -> control message types (core/module.h):
 *  neigh_msg_resolve: .iface, .u32 = next hop (host order), .m = the packet
 *    waiting for it (ownership passes);
 *  neigh_msg_arp: an ARP sender seen: .iface, .u32 = its address, data[0..6)
 *    its MAC, data[6] an enum neigh_src;
 *  neigh_msg_resolve6: as neigh_msg_resolve, the IPv6 next hop in data[0..16);
 *  neigh_msg_nd: a Neighbor Discovery sender or target: .iface, the IPv6
 *    address in data[0..16), its MAC in data[16..22), data[22] an enum
 *    neigh_src. */
extern uint16_t neigh_msg_resolve, neigh_msg_arp, neigh_msg_resolve6, neigh_msg_nd;

#endif
