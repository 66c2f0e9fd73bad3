/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast group membership, either family (Linux's ipv6_mc_socklist /
 * ifmcaddr6 and ip_mc_socklist / ip_mc_list, written once): each socket's
 * list of (group, link) it joined, and the host's per-link groups, counted
 * over every socket that joined them. The family is told when a link's
 * group gains its first member or loses its last (IPv6: MLDv2 state-change
 * reports, RFC 3810 §6.1), and lists a link's groups for the reports it
 * sends in answer to queries.
 *
 * Threads. The control thread is the only writer: it joins, leaves and
 * drops a closing socket's memberships. Workers read both the socket's
 * list and the host's groups lock-free: each is an immutable snapshot
 * replaced under RCU (the old one freed with rs_defer_free).
 */
#ifndef RS_SOCK_MCAST_H
#define RS_SOCK_MCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rs_addr.h"

struct rs_sock;

/* Groups one socket may join (Linux bounds them by optmem_max: about 400
 * for IPv6, 20 for IPv4's igmp_max_memberships; docs/divergences.md). */
#define SOCK_MC_MAX_PER_SOCK 256
/* Distinct (link, group) pairs the host joins. */
#define SOCK_MC_MAX_HOST 4096

struct sock_mc_ent {
	struct rs_ip group;
	uint16_t iface;
};

/* A socket's memberships (s->mc), immutable once published. */
struct sock_mclist {
	uint32_t n;
	struct sock_mc_ent e[];
};

/* ---- control thread ---- */

/* s's addressing or memberships changed: a bound, unconnected socket with
 * memberships, or an SO_REUSEADDR twin the socket demux holds no key for
 * (it holds one of them), is published under its address and port in a
 * table of its own where every twin finds a place, so that each gets the
 * groups it accepts, as on Linux. sock_rekey calls it; so do join and
 * leave. */
void sock_mc_rekey(struct rs_sock *s);
/* Workers: the sockets of that table bound to (addr, port). */
void sock_mc_members(const struct rs_ip *addr, uint16_t port, uint8_t proto,
		     void (*fn)(void *arg, void *sock), void *arg);

/* Joins group on link iface (an index, already resolved by the caller).
 * 0, -EADDRINUSE (already joined there), -ENOBUFS (too many), -ENOMEM. */
int sock_mc_join(struct rs_sock *s, const struct rs_ip *group, uint16_t iface);
/* Leaves group on iface, or on whichever link it was joined when iface is
 * -1 (Linux: ifindex 0 matches any). 0 or -EADDRNOTAVAIL. */
int sock_mc_leave(struct rs_sock *s, const struct rs_ip *group, int iface);
/* Leaves every group s joined (close, or its application died). */
void sock_mc_drop_all(struct rs_sock *s);
/* Up to max groups of the family joined on iface, for reports. Returns
 * how many were written. */
unsigned sock_mc_host_groups(int family, uint16_t iface, struct rs_ip *out, unsigned max);
/* Set by a family (from a constructor): called when (iface, group) gains
 * its first member (join) or loses its last. */
typedef void sock_mc_change_fn(uint16_t iface, const struct rs_ip *group, bool join);
void sock_mc_set_change_hook(int family, sock_mc_change_fn *fn);

struct rs_cfg;
/* The link a multicast group is joined on or sent to when the application
 * named none (Linux's ff00::/8 routes: the first link up, not lo), or -1. */
int sock_mc_default_iface(const struct rs_cfg *c);

/* ---- workers (or the control thread) ---- */

/* Whether the host listens to group on iface (some socket joined it). */
bool sock_mc_host_joined(uint16_t iface, const struct rs_ip *group);
/* Whether s takes a datagram to group that came in on link iface (the
 * host listens to it there: the caller checked): an IPv6 group if s
 * joined it on any link or has IPV6_MULTICAST_ALL (on by default), as
 * Linux's inet6_mc_check; an IPv4 group if s joined it on iface or has
 * IP_MULTICAST_ALL (on by default), as ip_mc_sf_allow. */
bool sock_mc_accepts(const struct rs_sock *s, const struct rs_ip *group, uint16_t iface);

#endif
