/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Local port ownership and Linux 6.1's bind rules (see sock_port.h).
 *
 * Storage: per protocol, an array of 65536 list heads indexed by port
 * (allocated on the protocol's first binder, 512 KiB), each list holding
 * that port's binders in bind order. A conflict check walks one port's
 * binders only. Control thread only: nothing here is read by workers.
 *
 * The rules, as Linux 6.1 decides them for two sockets sk (new) and sk2
 * (already holding the port), written once per question:
 *  - addrs_overlap(): inet_rcv_saddr_equal(sk, sk2, match_wildcard=true)
 *    with ipv4_rcv_saddr_equal / ipv6_rcv_saddr_equal. In our address
 *    form (IPv4 mapped into 16 bytes) that is: two IPv4 addresses overlap
 *    when equal or either is 0.0.0.0; two IPv6 addresses when equal or
 *    either is ::; an IPv4 and an IPv6 address when the IPv6 one is ::
 *    without IPV6_V6ONLY, and (one way only) when a new 0.0.0.0 meets a
 *    dual-stack socket that connect() gave a specific IPv6 address. An
 *    IPv6 socket bound to ::ffff:a.b.c.d behaves as an IPv4 socket bound
 *    to a.b.c.d, which is what its mapped address already says; the one
 *    case where Linux tells them apart (an AF_INET6 socket binding
 *    ::ffff:0.0.0.0 does not meet that connected dual-stack socket) we
 *    cannot, and answer as for AF_INET.
 *  - devs_overlap(): either socket unbound (SO_BINDTODEVICE) or the same
 *    device.
 *  - UDP, udp_lib_lport_inuse(): a conflict unless both SO_REUSEADDR, or
 *    both SO_REUSEPORT with the same uid.
 *  - TCP, inet_bind_conflict() with relax = reuseport_ok = true (bind()
 *    and listen()): SO_REUSEADDR on both excuses unless sk2 listens;
 *    otherwise SO_REUSEPORT on both excuses when the uids match or sk2 is
 *    in TIME-WAIT. bind(0)'s search (inet_csk_find_open_port) calls it
 *    with relax = reuseport_ok = false: then any overlapping binder is a
 *    conflict.
 *  - TCP connect()'s autobind (__inet_hash_connect) only takes a port
 *    whose binders all came from connect() (a bucket with fastreuse and
 *    fastreuseport at -1); whether the 4-tuple is free is the caller's
 *    filter.
 * Every binder of the port is checked. The shortcuts of Linux's UDP
 * code (udp_lib_lport_inuse answering on the first compatible
 * SO_REUSEPORT binder, the secondary hash past 10 binders of a port),
 * which could make an answer depend on hash-chain order, are not
 * reproduced; on Linux 6.18 the three- and thirteen-socket cases of those
 * shapes that we tried answered as the full check does.
 *
 * Checked against Linux 6.18 by tests/unit/sock_port_linux_check: the
 * rows of sock_port_cases.h, and with --grid 93,312 combinations, all
 * alike but the AF_INET6 ::ffff:0.0.0.0 case above. Linux 6.1.0's bhash2
 * regressions (a specific IPv4 bind missing a dual-stack [::] holder,
 * TIME-WAIT sockets missing from bhash2), fixed in later releases, are
 * not reproduced.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "sock/sock_port.h"

struct binder_node {
	struct binder_node *next;
	struct sock_binder b;
	uint32_t holds; /* a TIME-WAIT holder (sock_ports_tw_get): connections it counts */
};

struct sock_ports {
	struct binder_node **by_port[256]; /* [proto][port], lazily */
	uint32_t count;
	uint16_t lo, hi;
	uint16_t next; /* where the next ephemeral search starts */
};

enum rules {
	RULES_BIND,      /* bind() with a port, listen()'s re-check */
	RULES_EPHEMERAL, /* bind(0), and UDP's connect() autobind */
};

struct sock_ports *
sock_ports_create(uint16_t lo, uint16_t hi)
{
	struct sock_ports *t;

	if (lo == 0 || lo > hi) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->lo = lo;
	t->hi = hi;
	t->next = lo;
	return t;
}

void
sock_ports_destroy(struct sock_ports *t)
{
	unsigned int p, port;

	if (t == NULL)
		return;
	for (p = 0; p < 256; p++) {
		if (t->by_port[p] == NULL)
			continue;
		for (port = 0; port < 65536; port++) {
			struct binder_node *n = t->by_port[p][port];

			while (n != NULL) {
				struct binder_node *next = n->next;

				free(n);
				n = next;
			}
		}
		free(t->by_port[p]);
	}
	free(t);
}

void
sock_ports_set_range(struct sock_ports *t, uint16_t lo, uint16_t hi)
{
	/* Linux's sysctl refuses such a range and keeps the old one. */
	if (lo == 0 || lo > hi)
		return;
	t->lo = lo;
	t->hi = hi;
	if (t->next < lo || t->next > hi)
		t->next = lo;
}

static struct binder_node *
port_list(const struct sock_ports *t, uint8_t proto, uint16_t port)
{
	return t->by_port[proto] == NULL ? NULL : t->by_port[proto][port];
}

static bool
ip6_any(const struct rs_ip *a)
{
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

/*
 * inet_rcv_saddr_equal(b, o, true): may b, arriving, and o, holding the
 * port, receive for a common address? Not symmetric, as in Linux.
 */
static bool
addrs_overlap(const struct sock_binder *b, const struct sock_binder *o)
{
	/* LOOPBACK4_IPV6: the IPv4 receive address Linux gives an IPv6
	 * socket with a specific IPv6 address. */
	static const struct rs_ip loopback4_ipv6 = { .b = { [10] = 0xff, [11] = 0xff, [12] = 127,
							     [15] = 6 } };
	bool b4 = rs_ip_is4(&b->laddr), o4 = rs_ip_is4(&o->laddr);

	if (b4 == o4)
		return rs_ip_eq(&b->laddr, &o->laddr) || rs_ip_is_any(&b->laddr) ||
		       rs_ip_is_any(&o->laddr);
	if (!b4) /* ipv6_rcv_saddr_equal() against an IPv4 receive address */
		return ip6_any(&b->laddr) && !(b->flags & SOCK_PORT_V6ONLY);
	/*
	 * ipv4_rcv_saddr_equal() against an IPv6 socket: nothing if it is
	 * IPv6-only, else its IPv4 receive address: 0.0.0.0 for ::, which
	 * overlaps every IPv4 address; LOOPBACK4_IPV6 for a specific IPv6
	 * address, which a new 0.0.0.0 overlaps. A specific address without
	 * V6ONLY is a dual-stack :: socket that connect() gave a source
	 * address (bind() to a specific IPv6 address sets V6ONLY). A new
	 * 127.0.0.6 overlaps it too, but only for UDP: TCP looks a specific
	 * new address up in its bhash2 table by address and never asks.
	 */
	if (o->flags & SOCK_PORT_V6ONLY)
		return false;
	return ip6_any(&o->laddr) || rs_ip_is_any(&b->laddr) ||
	       (b->proto != IPPROTO_TCP && rs_ip_eq(&b->laddr, &loopback4_ipv6));
}

static bool
devs_overlap(const struct sock_binder *a, const struct sock_binder *b)
{
	return a->ifindex < 0 || b->ifindex < 0 || a->ifindex == b->ifindex;
}

/* Would b, arriving, conflict with o, already there? */
static bool
conflicts(const struct sock_binder *b, const struct sock_binder *o, enum rules rules)
{
	uint16_t bf = b->flags, of = o->flags;

	if (!devs_overlap(b, o) || !addrs_overlap(b, o))
		return false;
	if (b->proto != IPPROTO_TCP) {
		/* udp_lib_lport_inuse() */
		if (bf & of & SOCK_PORT_REUSEADDR)
			return false;
		return !(bf & of & SOCK_PORT_REUSEPORT) || b->uid != o->uid;
	}
	/* inet_bind_conflict() */
	if (rules == RULES_EPHEMERAL)
		return true;
	if (bf & of & SOCK_PORT_REUSEADDR && !(of & SOCK_PORT_LISTEN))
		return false;
	return !(bf & of & SOCK_PORT_REUSEPORT) ||
	       (!(of & SOCK_PORT_TIMEWAIT) && b->uid != o->uid);
}

static void *
first_conflict(const struct sock_ports *t, const struct sock_binder *b, enum rules rules)
{
	const struct binder_node *n;

	for (n = port_list(t, b->proto, b->port); n != NULL; n = n->next)
		if (n->b.sock != b->sock && conflicts(b, &n->b, rules))
			return n->b.sock;
	return NULL;
}

void *
sock_ports_conflict(const struct sock_ports *t, const struct sock_binder *b)
{
	if (t == NULL || b == NULL || b->port == 0)
		return NULL;
	return first_conflict(t, b, RULES_BIND);
}

/* May b take this port as an ephemeral one? */
static bool
ephemeral_ok(const struct sock_ports *t, const struct sock_binder *b)
{
	const struct binder_node *n = port_list(t, b->proto, b->port);

	if (b->proto == IPPROTO_TCP && b->flags & SOCK_PORT_CONNECT) {
		/* __inet_hash_connect(): only ports that connect() alone
		 * took; the 4-tuple is the filter's. */
		for (; n != NULL; n = n->next)
			if (!(n->b.flags & SOCK_PORT_CONNECT))
				return false;
		return true;
	}
	return first_conflict(t, b, RULES_EPHEMERAL) == NULL;
}

static int
insert(struct sock_ports *t, const struct sock_binder *b)
{
	struct binder_node **link, *n;

	if (t->by_port[b->proto] == NULL) {
		t->by_port[b->proto] = calloc(65536, sizeof(*t->by_port[b->proto]));
		if (t->by_port[b->proto] == NULL)
			return -ENOMEM;
	}
	for (link = &t->by_port[b->proto][b->port]; *link != NULL; link = &(*link)->next)
		if ((*link)->b.sock == b->sock)
			return -EINVAL; /* already bound there */
	n = malloc(sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->next = NULL;
	n->b = *b;
	n->holds = 0;
	*link = n; /* at the tail: the oldest binder is the first conflict */
	t->count++;
	return 0;
}

static int
bind_port(struct sock_ports *t, struct sock_binder *b,
	  bool (*filter)(void *arg, uint16_t port), void *arg)
{
	uint32_t range, i;

	if (b->port != 0) {
		if (first_conflict(t, b, RULES_BIND) != NULL)
			return -EADDRINUSE;
		return insert(t, b);
	}
	/*
	 * Ephemeral: scan the whole range once from a start that moves past
	 * every port handed out, so that a port just released (maybe with
	 * its peer still holding state for it) is the last one reused.
	 * Linux starts its scans at a random (bind) or hashed (connect)
	 * offset instead; both visit every port of the range before failing.
	 */
	range = (uint32_t)t->hi - t->lo + 1;
	for (i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(t->lo + ((uint32_t)t->next - t->lo + i) % range);
		int rc;

		b->port = port;
		if (!ephemeral_ok(t, b))
			continue;
		if (filter != NULL && !filter(arg, port))
			continue;
		rc = insert(t, b);
		if (rc != 0) {
			b->port = 0;
			return rc;
		}
		t->next = port == t->hi ? t->lo : (uint16_t)(port + 1);
		return 0;
	}
	b->port = 0;
	return -EADDRINUSE;
}

int
sock_ports_bind(struct sock_ports *t, struct sock_binder *b,
		bool (*filter)(void *arg, uint16_t port), void *arg)
{
	uint16_t flags;
	int rc;

	if (t == NULL || b == NULL || b->sock == NULL)
		return -EINVAL;
	/* inet6_bind(): a socket bound to a specific IPv6 address is
	 * IPv6-only from then on (its IPV6_V6ONLY reads 1); not if the bind
	 * fails. */
	flags = b->flags;
	if (!rs_ip_is4(&b->laddr) && !ip6_any(&b->laddr))
		b->flags |= SOCK_PORT_V6ONLY;
	rc = bind_port(t, b, filter, arg);
	if (rc != 0)
		b->flags = flags;
	return rc;
}

static struct binder_node **
find_link(struct sock_ports *t, uint8_t proto, uint16_t port, const void *sock)
{
	struct binder_node **link;

	if (t->by_port[proto] == NULL)
		return NULL;
	for (link = &t->by_port[proto][port]; *link != NULL; link = &(*link)->next)
		if ((*link)->b.sock == sock)
			return link;
	return NULL;
}

int
sock_ports_unbind(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock)
{
	struct binder_node **link = find_link(t, proto, port, sock), *n;

	if (link == NULL)
		return -ENOENT;
	n = *link;
	*link = n->next;
	free(n);
	t->count--;
	return 0;
}

int
sock_ports_set_flags(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock,
		     uint16_t flags)
{
	struct binder_node **link = find_link(t, proto, port, sock);
	struct sock_binder nb;

	if (link == NULL)
		return -ENOENT;
	nb = (*link)->b;
	nb.flags = flags;
	/* listen() calls get_port() again once the socket is in LISTEN
	 * (inet_csk_listen_start): the same rules, now that this socket's
	 * own options are what they are at listen() time. */
	if (flags & SOCK_PORT_LISTEN && !((*link)->b.flags & SOCK_PORT_LISTEN) &&
	    first_conflict(t, &nb, RULES_BIND) != NULL)
		return -EADDRINUSE;
	(*link)->b.flags = flags;
	return 0;
}

int
sock_ports_set_addr(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock,
		    const struct rs_ip *laddr)
{
	struct binder_node **link = find_link(t, proto, port, sock);

	if (link == NULL)
		return -ENOENT;
	/* No check: Linux rehashes a socket that connect() gave a source
	 * address (inet_bhash2_update_saddr, udp_lib_rehash) without
	 * asking whether another binder minds. */
	(*link)->b.laddr = *laddr;
	return 0;
}

int
sock_ports_rehome(struct sock_ports *t, uint8_t proto, uint16_t port, void *sock, void *to,
		  uint16_t flags)
{
	struct binder_node **link = find_link(t, proto, port, sock);

	if (link == NULL)
		return -ENOENT;
	/* No check: the binding exists; only who holds it and how changes
	 * (a connection that outlives its socket in TIME-WAIT) */
	(*link)->b.sock = to;
	(*link)->b.flags = flags;
	return 0;
}

static bool
same_holder(const struct binder_node *n, const struct sock_binder *b)
{
	return n->holds > 0 && n->b.sock == n && n->b.flags == b->flags &&
	       n->b.uid == b->uid && n->b.ifindex == b->ifindex &&
	       rs_ip_eq(&n->b.laddr, &b->laddr);
}

void *
sock_ports_tw_get(struct sock_ports *t, const struct sock_binder *b)
{
	struct binder_node *n;
	struct sock_binder nb;

	if (t == NULL || b == NULL)
		return NULL;
	nb = *b;
	nb.flags |= SOCK_PORT_TIMEWAIT;
	for (n = port_list(t, nb.proto, nb.port); n != NULL; n = n->next)
		if (same_holder(n, &nb)) {
			if (n->holds == UINT32_MAX)
				return NULL;
			n->holds++;
			return n;
		}
	/* No conflict check: the port is held already (by the listener the
	 * connection came through, or by what replaced it). The node is its
	 * own opaque socket, so unbinding it needs nothing else. */
	nb.sock = &nb; /* placeholder, replaced below: insert() refuses NULL */
	if (insert(t, &nb) != 0)
		return NULL;
	for (n = port_list(t, nb.proto, nb.port); n->next != NULL; n = n->next)
		;
	n->b.sock = n; /* insert() appends */
	n->holds = 1;
	return n;
}

void
sock_ports_tw_put(struct sock_ports *t, void *holder)
{
	struct binder_node *n = holder;

	if (t == NULL || n == NULL || n->holds == 0 || --n->holds > 0)
		return;
	sock_ports_unbind(t, n->b.proto, n->b.port, n);
}

void
sock_ports_foreach(const struct sock_ports *t, uint8_t proto, uint16_t port,
		   void (*fn)(void *arg, const struct sock_binder *b), void *arg)
{
	const struct binder_node *n;

	for (n = port_list(t, proto, port); n != NULL; n = n->next)
		fn(arg, &n->b);
}

uint32_t
sock_ports_count(const struct sock_ports *t)
{
	return t->count;
}
