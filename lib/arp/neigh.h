/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbor table of both families (ARP for IPv4, Neighbor Discovery for
 * IPv6): one state machine, pure and DPDK-free. Entries are keyed by
 * (link, struct rs_ip): an IPv4 neighbour in its IPv4-mapped form, so the
 * family is in the key and nothing here depends on it (STYLE.md: one NUD
 * engine for ARP and NDP, as Linux's neighbour.c).
 *
 * States and transitions follow Linux's neighbour subsystem (RFC 1122 §2.3.2.1
 * for the ARP cache requirements, RFC 4861 §7.3 for the state names):
 *
 *   NONE --resolve--> INCOMPLETE --reply--> REACHABLE --reachable_ns--> STALE
 *   STALE --used--> DELAY --delay_probe_ns, unconfirmed--> PROBE --reply--> REACHABLE
 *   INCOMPLETE/PROBE --probes exhausted--> FAILED --failed_hold_ns--> removed
 *   request-for-us from an unknown sender: NONE --> STALE
 *
 * The table is owned by one thread (the control thread); nothing here is
 * thread-safe. Time is always passed in (nanoseconds, any epoch), never read,
 * so the tests drive the clock. Side effects go through struct neigh_ops.
 *
 * Bounds: at most params.max_entries entries (creating one when full first
 * evicts the oldest FAILED, then the least recently used unreferenced STALE
 * entry; if neither exists creation fails with -ENOSPC); at most
 * params.queue_len packets wait per unresolved entry (the oldest is dropped
 * when a new one arrives, as Linux does), and at most params.max_queued
 * across all entries: queued packets pin packet buffers, and 4096 entries
 * x 101 packets is more than a pool holds. When that total is reached
 * a new packet takes the place of the oldest packet of the entry with the
 * longest queue (its own, when no queue is longer than the one it joins):
 * a flood toward many unresolvable addresses cannot starve resolution of
 * the others, every entry keeps a fair share.
 */
#ifndef RS_NEIGH_H
#define RS_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rs_addr.h"

enum neigh_state {
	NEIGH_NONE = 0,
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
	NEIGH_DELAY,
	NEIGH_PROBE,
	NEIGH_FAILED,
	NEIGH_PERMANENT,
};

/* Where a (neighbour ip, link-layer address) pair came from. */
enum neigh_src {
	/* an ARP reply addressed to us (answer to one of our requests); a
	 * solicited Neighbor Advertisement (RFC 4861 §7.2.5) */
	NEIGH_SRC_REPLY,
	/* an ARP request whose target is one of our addresses on that link;
	 * a Neighbor Solicitation for one of ours with a source link-layer
	 * address option (RFC 4861 §7.2.3: the entry becomes STALE) */
	NEIGH_SRC_REQUEST_FOR_US,
	/* any other ARP packet, an unsolicited NA: may only refresh an
	 * existing entry (RFC 826; RFC 4861 §7.2.5 with the override flag) */
	NEIGH_SRC_OTHER,
};

#define NEIGH_QUEUE_MAX 128

struct neigh_params {
	uint64_t reachable_ns;   /* REACHABLE lifetime after confirmation (30 s) */
	uint64_t retrans_ns;     /* between requests for one destination (1 s) */
	uint64_t delay_probe_ns; /* DELAY before PROBE (5 s) */
	uint32_t mcast_probes;   /* broadcast requests while INCOMPLETE (3) */
	uint32_t ucast_probes;   /* unicast requests while PROBE (3) */
	uint64_t gc_stale_ns;    /* unused STALE entries are removed after (60 s) */
	uint64_t failed_hold_ns; /* FAILED entries are removed after (3 s) */
	uint32_t max_entries;    /* hard bound on entries, static ones included */
	uint32_t queue_len;      /* packets queued per unresolved entry (<= NEIGH_QUEUE_MAX) */
	uint32_t max_queued;     /* packets queued, all entries (0: max_entries * queue_len) */
};

/* Linux's defaults (net.ipv4.neigh.default.*), with max_entries 4096 and
 * max_queued 1024 (Linux has no global bound). */
void neigh_params_default(struct neigh_params *p);

struct neigh_entry {
	struct rs_ip ip;      /* the neighbour (IPv4-mapped for ARP) */
	uint16_t iface;       /* link index */
	uint8_t state;        /* enum neigh_state */
	uint8_t mac[6];       /* valid unless INCOMPLETE/FAILED/NONE */
	uint32_t probes;      /* requests sent in the current INCOMPLETE/PROBE phase */
	uint64_t confirmed_ns;/* last reachability confirmation */
	uint64_t updated_ns;  /* last state change */
	uint64_t used_ns;     /* last time a packet used the entry */
	uint64_t timer_ns;    /* next timer deadline for this entry, 0 if none */
	uint32_t qlen;        /* queued packets */
	void *queue[NEIGH_QUEUE_MAX];
	void *priv;           /* owner's per-entry data (e.g. the worker-visible copy) */
};

struct neigh_ops {
	/* Send a request (ARP request, Neighbor Solicitation) for e->ip on
	 * e->iface: broadcast/multicast, or unicast to e->mac. */
	void (*send_request)(void *ctx, const struct neigh_entry *e, bool unicast);
	/* A queued packet can go now: e->mac is valid. Ownership of pkt passes. */
	void (*tx_queued)(void *ctx, const struct neigh_entry *e, void *pkt);
	/* A queued (or newly offered) packet is dropped; ownership of pkt passes. */
	void (*drop_queued)(void *ctx, const struct neigh_entry *e, void *pkt);
	/* e's state or mac changed (also right after creation). */
	void (*publish)(void *ctx, struct neigh_entry *e);
	/* e is about to be freed; its queue is already empty. */
	void (*removed)(void *ctx, struct neigh_entry *e);
};

struct neigh_table;

/* Returns NULL and sets errno on failure. params is copied. */
struct neigh_table *neigh_table_create(const struct neigh_params *params,
				       const struct neigh_ops *ops, void *ctx);
/* Drops every queued packet (drop_queued) and removes every entry (removed). */
void neigh_table_destroy(struct neigh_table *t);

struct neigh_entry *neigh_lookup(struct neigh_table *t, uint16_t iface, struct rs_ip ip);
uint32_t neigh_count(const struct neigh_table *t);
/* packets queued now, all entries */
uint32_t neigh_queued(const struct neigh_table *t);

/*
 * A packet for (iface, ip) needs a link-layer address. Consumes pkt:
 * sent now via tx_queued when the entry is usable, queued while resolving,
 * or dropped via drop_queued (then returns -ENOSPC when the table is full).
 * Starts resolution (INCOMPLETE, broadcast request) for unknown or FAILED
 * destinations, never sending more than one request per retrans_ns.
 * A STALE entry moves to DELAY. Returns 0 when sent or queued.
 */
int neigh_resolve(struct neigh_table *t, uint16_t iface, struct rs_ip ip, void *pkt,
		  uint64_t now);

/* A packet was sent through e (reported by a worker): STALE -> DELAY. */
void neigh_used(struct neigh_table *t, struct neigh_entry *e, uint64_t now);

/* Upper-layer reachability confirmation through e (RFC 4861 §7.3.1: TCP
 * saw new data acknowledged; Linux's dst_confirm), reported by a worker:
 * any state with an address (not INCOMPLETE/FAILED/PERMANENT) becomes
 * REACHABLE, and a REACHABLE one stays so without probing. A bulk
 * transfer then never stops to probe, and cannot lose its neighbour to
 * probes that congestion dropped. */
void neigh_confirm(struct neigh_table *t, struct neigh_entry *e, uint64_t now);

/* ARP or ND input: (ip, mac) seen on iface. See enum neigh_src for rules. */
void neigh_on_arp(struct neigh_table *t, uint16_t iface, struct rs_ip ip,
		  const uint8_t mac[6], enum neigh_src src, uint64_t now);

/* Runs every due timer. Call at least every 100 ms. */
void neigh_timer(struct neigh_table *t, uint64_t now);

/* Static (PERMANENT) entry: created or overwritten; flushes any queue. */
int neigh_add_static(struct neigh_table *t, uint16_t iface, struct rs_ip ip,
		     const uint8_t mac[6], uint64_t now);
/* Returns 0 or -ENOENT. */
int neigh_del(struct neigh_table *t, uint16_t iface, struct rs_ip ip);
/* Removes dynamic entries (all links when iface == NEIGH_ANY_IFACE);
 * with include_static, PERMANENT ones too (link removal). Returns count. */
#define NEIGH_ANY_IFACE 0xffff
uint32_t neigh_flush(struct neigh_table *t, uint16_t iface, bool include_static);

/* Calls fn for every entry in unspecified order; fn must not modify t. */
void neigh_foreach(struct neigh_table *t,
		   void (*fn)(void *arg, const struct neigh_entry *e), void *arg);

const char *neigh_state_name(uint8_t state);

#endif
