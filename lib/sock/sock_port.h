/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Local port ownership and Linux's bind rules, per protocol. Pure and
 * DPDK-free; one thread (the control thread).
 *
 * Every socket that holds a local port is a binder: (protocol, port, local
 * address, bound device, uid, flags, opaque socket). Whether a new binder
 * may take a port that others hold is decided exactly as Linux 6.1 does:
 *  - UDP (udp_lib_lport_inuse): a conflict with each other binder of the
 *    port whose address overlaps (equal, or either one the wildcard of a
 *    family that accepts the other: an IPv6 :: socket without V6ONLY
 *    overlaps every IPv4 address), whose device does not differ (either
 *    unbound or the same), unless both set SO_REUSEADDR, or both set
 *    SO_REUSEPORT with the same uid.
 *  - TCP (inet_csk_bind_conflict, with relax as bind() calls it): the same
 *    overlap and device tests; SO_REUSEADDR on both excuses the conflict
 *    only when the other is not listening; SO_REUSEPORT on both with the
 *    same uid excuses it (and with any uid when the other is in
 *    TIME-WAIT). Making a binder listen (sock_ports_set_flags with
 *    SOCK_PORT_LISTEN) re-checks, so two SO_REUSEADDR sockets may bind one
 *    address and port but only one may listen (EADDRINUSE), as on Linux.
 *    Connected TCP sockets that took their port through connect() share it
 *    with others as long as their 4-tuples differ: that check is the
 *    caller's (it owns the connection table), through the filter of
 *    sock_ports_pick.
 *
 * Ephemeral ports come from [lo, hi] (Linux's ip_local_port_range).
 */
#ifndef RS_SOCK_PORT_H
#define RS_SOCK_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rs_addr.h"

#define SOCK_PORT_REUSEADDR 0x01
#define SOCK_PORT_REUSEPORT 0x02
#define SOCK_PORT_V6ONLY 0x04   /* IPv6 socket with IPV6_V6ONLY: its :: excludes IPv4;
				 * bind() sets it for a specific IPv6 address */
#define SOCK_PORT_LISTEN 0x08   /* TCP listener */
#define SOCK_PORT_TIMEWAIT 0x10 /* TCP connection in TIME-WAIT */
#define SOCK_PORT_CONNECT 0x20  /* port taken by connect()'s autobind (TCP: shareable by 4-tuple) */

struct sock_binder {
	struct rs_ip laddr;  /* rs_ip_any(AF_INET) or :: for the wildcard */
	uint32_t uid;
	int32_t ifindex;     /* SO_BINDTODEVICE, -1 none */
	uint16_t flags;      /* SOCK_PORT_* */
	uint16_t port;       /* host order */
	uint8_t proto;
	void *sock;          /* opaque */
};

struct sock_ports;

/* NULL + errno. lo..hi: the ephemeral range (1 <= lo <= hi <= 65535). */
struct sock_ports *sock_ports_create(uint16_t lo, uint16_t hi);
void sock_ports_destroy(struct sock_ports *t);
void sock_ports_set_range(struct sock_ports *t, uint16_t lo, uint16_t hi);

/*
 * Would b (b->port != 0) conflict with a binder already there? Returns the
 * first conflicting binder's socket, or NULL.
 */
void *sock_ports_conflict(const struct sock_ports *t, const struct sock_binder *b);

/*
 * Takes b->port for b (0, -EADDRINUSE on a conflict, -ENOMEM). With
 * b->port == 0 picks an ephemeral port with no conflict for which
 * filter(arg, port) returns true (filter may be NULL), scanning from a
 * rotating start as Linux does, and stores it in b->port; -EADDRINUSE
 * when the range has none (Linux: EADDRINUSE for bind(0), EADDRNOTAVAIL
 * for connect's autobind — the caller maps). A binder is identified by
 * (proto, port, sock); binding one twice on a port is -EINVAL, as is a
 * NULL sock. As Linux's inet6_bind, a binder given a specific IPv6 address
 * gets SOCK_PORT_V6ONLY (in b->flags too: its IPV6_V6ONLY now reads 1).
 */
int sock_ports_bind(struct sock_ports *t, struct sock_binder *b,
		    bool (*filter)(void *arg, uint16_t port), void *arg);
/* Releases the port b holds. 0 or -ENOENT. */
int sock_ports_unbind(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock);
/*
 * Changes a binder's flags (e.g. SOCK_PORT_LISTEN at listen(),
 * SOCK_PORT_TIMEWAIT). Setting SOCK_PORT_LISTEN re-checks conflicts as
 * listen() does: -EADDRINUSE and nothing changed. 0 or -ENOENT.
 */
int sock_ports_set_flags(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock,
			 uint16_t flags);
/*
 * connect() gave a socket bound to a wildcard its source address: the
 * binder's address becomes laddr without a conflict check, as Linux
 * rehashes it. This matters: a dual-stack :: socket connected to an IPv6
 * peer keeps its IPv4 side only for a new 0.0.0.0 (inet_rcv_saddr_equal
 * sees LOOPBACK4_IPV6). 0 or -ENOENT.
 */
int sock_ports_set_addr(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock,
			const struct rs_ip *laddr);
/* The binding of sock passes to `to` (an opaque holder, e.g. a TIME-WAIT
 * placeholder that outlives the socket), with new flags; no conflict
 * check. 0 or -ENOENT. */
int sock_ports_rehome(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock, void *to,
		      uint16_t flags);
/*
 * A passively opened TCP connection in TIME-WAIT holds its listener's port
 * as Linux's TIME-WAIT bucket does (bind() without SO_REUSEADDR fails
 * until it ends), but has no socket of its own to bind. A server closing
 * first can have tens of thousands on one port, so they share a counted
 * holder per distinct (port, address, device, uid, flags): get adds one
 * (b->sock is ignored; SOCK_PORT_TIMEWAIT is added to b->flags) and
 * returns the holder, or NULL on ENOMEM; put removes one, and the binding
 * with the last.
 */
void *sock_ports_tw_get(struct sock_ports *t, const struct sock_binder *b);
void sock_ports_tw_put(struct sock_ports *t, void *holder);
/* Binders of (proto, port), for introspection: calls fn for each. */
void sock_ports_foreach(const struct sock_ports *t, uint8_t proto, uint16_t port,
			void (*fn)(void *arg, const struct sock_binder *b), void *arg);
uint32_t sock_ports_count(const struct sock_ports *t);

#endif
