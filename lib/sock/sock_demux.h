/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket demultiplexing table: (protocol, local address, local port,
 * remote address, remote port) -> a socket, or an SO_REUSEPORT group of
 * sockets from which a flow hash picks one. Pure and DPDK-free.
 *
 * Concurrency (the same contract as every table the control thread
 * publishes): one writer thread (the control thread) adds and removes;
 * any number of reader threads (workers) look up concurrently without a
 * lock or an atomic read-modify-write. A reader sees either the table
 * before or after each add/del, never a half-made entry. Memory a reader
 * may still hold (a removed entry, a replaced group) is handed to the
 * defer_free callback given at creation, which must free it only after
 * every reader has passed a quiescent point (RCU grace period; the daemon
 * passes rs_defer_free).
 *
 * Keys. Addresses are struct rs_ip (lib/util/rs_addr.h: IPv4 mapped into
 * 16 bytes). A socket not connected to a peer is keyed with raddr all
 * zeroes (::) and rport 0 ("no peer"): a real peer is never ::. A socket
 * bound to the wildcard is keyed with laddr = the family's unspecified
 * address: rs_ip_any(AF_INET) for 0.0.0.0, :: for an IPv6 socket.
 *
 * Lookup order for an arriving packet (Linux's, for UDP and for TCP
 * listeners alike): the exact 4-tuple (a connected socket / an established
 * connection); then (dst, dport) with no peer; then (family wildcard, dport)
 * with no peer; then, for an IPv4 destination only, (::, dport) entries
 * whose member sockets accept IPv4 (added without SOCK_DEMUX_V6ONLY: a
 * dual-stack IPv6 socket). The first key that exists wins.
 *
 * Groups (SO_REUSEPORT): several sockets may share one key only when every
 * one of them was added with SOCK_DEMUX_REUSEPORT and the same uid (Linux:
 * a reuseport group belongs to one effective uid, so no other user can
 * join it and take a share of its flows). A lookup picks member
 * flow_hash % n, so one flow stays on one socket while the group is
 * unchanged.
 */
#ifndef RS_SOCK_DEMUX_H
#define RS_SOCK_DEMUX_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rs_addr.h"

#define SOCK_DEMUX_REUSEPORT 0x1 /* may share its key with a group (same uid) */
#define SOCK_DEMUX_V6ONLY 0x2    /* an IPv6 wildcard socket that refuses IPv4 */

#define SOCK_DEMUX_GROUP_MAX 64  /* members of one SO_REUSEPORT group */

struct sock_demux_key {
	struct rs_ip laddr;
	struct rs_ip raddr;
	uint16_t lport;  /* host order */
	uint16_t rport;  /* host order; 0 with raddr :: for "no peer" */
	uint8_t proto;   /* IPPROTO_UDP, IPPROTO_TCP, ... */
	uint8_t pad[3];  /* zero */
};

struct sock_demux;

typedef void sock_demux_defer_fn(void (*fn)(void *), void *arg);

/*
 * Creates a table sized for about `capacity` keys (buckets are a power of
 * two at least as many; chains grow beyond it, nothing is refused for
 * size). defer_free: see above; NULL frees at once (single-threaded users
 * such as unit tests). hash_seed keys the bucket hash (random in the
 * daemon, so that remote peers cannot aim at one chain). NULL + errno on
 * failure.
 */
struct sock_demux *sock_demux_create(uint32_t capacity, uint32_t hash_seed,
				     sock_demux_defer_fn *defer_free);
/* Frees everything at once: no reader may run any more. */
void sock_demux_destroy(struct sock_demux *d);

/*
 * Adds sock (opaque, never dereferenced) under k. Returns 0; -EADDRINUSE
 * when k exists and sharing it is not allowed (see Groups) or the group is
 * full; -EEXIST when sock is already a member of k; -ENOMEM.
 * Writer only.
 */
int sock_demux_add(struct sock_demux *d, const struct sock_demux_key *k, void *sock,
		   uint32_t uid, uint32_t flags);
/* Removes sock from k. 0, or -ENOENT; -ENOMEM when a group that loses a
 * member cannot be rebuilt (nothing changed). Writer only. */
int sock_demux_del(struct sock_demux *d, const struct sock_demux_key *k, void *sock);

/* Readers. The socket for the exact key k (with k->raddr/rport maybe the
 * "no peer" value), or NULL. flow_hash picks a group member. */
void *sock_demux_lookup_key(const struct sock_demux *d, const struct sock_demux_key *k,
			    uint32_t flow_hash);
/* The socket an arriving packet (src:sport -> dst:dport) goes to, in the
 * lookup order above, or NULL. */
void *sock_demux_lookup(const struct sock_demux *d, uint8_t proto, const struct rs_ip *dst,
			uint16_t dport, const struct rs_ip *src, uint16_t sport,
			uint32_t flow_hash);

/* Writer (or a quiescent table): number of memberships (sockets added and
 * not removed, counting each group member), and number of keys. */
uint32_t sock_demux_count(const struct sock_demux *d);
uint32_t sock_demux_keys(const struct sock_demux *d);
/* Calls fn for every member of k (no call when absent). The writer, or a
 * reader (a worker delivering a multicast datagram to every socket on its
 * port): the walk is the lock-free lookup's. */
void sock_demux_members(const struct sock_demux *d, const struct sock_demux_key *k,
			void (*fn)(void *arg, void *sock), void *arg);

#endif
