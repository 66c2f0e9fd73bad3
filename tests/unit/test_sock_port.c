/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for local port ownership (lib/sock/sock_port.c): the bind
 * rules as a table (sock_port_cases.h, checked against Linux by
 * sock_port_linux_check), ephemeral selection, unbind and set_flags.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sock_port_cases.h"

Test(sock_port, linux_bind_rules_table)
{
	unsigned int i;

	for (i = 0; i < N_PORT_CASES; i++) {
		const struct port_case *c = &port_cases[i];
		struct pc_result r;
		struct rs_ip a;

		cr_assert_eq(pc_addr(c->a_src != NULL ? c->a_src : c->a.addr, &a), 0);
		cr_assert_eq(pc_run_model(c, &a, 5000, &r), 0, "%s", c->what);
		cr_expect_eq(r.bind, c->bind, "%s: bind %d, Linux %d", c->what, r.bind, c->bind);
		cr_expect_eq(r.listen_b, c->listen_b, "%s: listen(B) %d, Linux %d", c->what,
			     r.listen_b, c->listen_b);
		cr_expect_eq(r.listen_a, c->listen_a, "%s: listen(A) %d, Linux %d", c->what,
			     r.listen_a, c->listen_a);
	}
}

static char sk[512];
#define S(i) ((void *)&sk[i])

static struct sock_binder
binder(uint8_t proto, const char *addr, uint16_t port, uint16_t flags, uint32_t uid, void *sock)
{
	struct sock_binder b;

	memset(&b, 0, sizeof(b));
	cr_assert_eq(pc_addr(addr, &b.laddr), 0);
	b.proto = proto;
	b.port = port;
	b.flags = flags;
	b.uid = uid;
	b.ifindex = -1;
	b.sock = sock;
	return b;
}

static int
bind_one(struct sock_ports *t, uint8_t proto, const char *addr, uint16_t port, uint16_t flags,
	 uint32_t uid, void *sock, uint16_t *got)
{
	struct sock_binder b = binder(proto, addr, port, flags, uid, sock);
	int rc = sock_ports_bind(t, &b, NULL, NULL);

	if (got != NULL)
		*got = b.port;
	return rc;
}

Test(sock_port, create_and_range)
{
	struct sock_ports *t;
	uint16_t p;

	errno = 0;
	cr_assert_null(sock_ports_create(0, 10));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(sock_ports_create(20, 10));
	t = sock_ports_create(65535, 65535);
	cr_assert_not_null(t);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(1), &p), 0);
	cr_assert_eq(p, 65535);
	/* An invalid range is ignored, as Linux's sysctl refuses it. */
	sock_ports_set_range(t, 0, 5);
	sock_ports_set_range(t, 9, 8);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(2), &p), -EADDRINUSE);
	cr_assert_eq(p, 0);
	sock_ports_set_range(t, 3000, 3001);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(2), &p), 0);
	cr_assert(p == 3000 || p == 3001);
	sock_ports_destroy(t);
	sock_ports_destroy(NULL);
}

Test(sock_port, ephemeral_range_exhaustion_rotation)
{
	struct sock_ports *t = sock_ports_create(40000, 40009);
	bool seen[10] = { false };
	uint16_t p, prev;
	unsigned int i;

	cr_assert_not_null(t);
	for (i = 0; i < 10; i++) {
		cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(i), &p), 0);
		cr_assert(p >= 40000 && p <= 40009, "port %u", p);
		cr_assert(!seen[p - 40000]);
		seen[p - 40000] = true;
	}
	/* Exhausted for a wildcard... */
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(10), &p), -EADDRINUSE);
	cr_assert_eq(p, 0);
	cr_assert_eq(bind_one(t, UDP, "fd00::1", 0, 0, 0, S(10), &p), 0); /* ...not for IPv6 */
	cr_assert_eq(bind_one(t, TCP, "0.0.0.0", 0, 0, 0, S(11), &p), 0); /* nor TCP */
	/* Explicit ports outside the range are not the range's business. */
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 80, 0, 0, S(12), NULL), 0);
	cr_assert_eq(sock_ports_count(t), 13);

	/* Rotation: a released port is not the next one handed out. */
	cr_assert_eq(sock_ports_unbind(t, UDP, 40003, S(3)), 0);
	cr_assert_eq(sock_ports_unbind(t, UDP, 40004, S(4)), 0);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(20), &prev), 0);
	cr_assert_eq(sock_ports_unbind(t, UDP, prev, S(20)), 0);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(21), &p), 0);
	cr_assert_neq(p, prev);
	cr_assert(p == 40003 || p == 40004);
	sock_ports_destroy(t);

	/* Successive picks walk the range and wrap. */
	t = sock_ports_create(100, 104);
	cr_assert_not_null(t);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(1), &prev), 0);
	for (i = 0; i < 12; i++) {
		cr_assert_eq(sock_ports_unbind(t, UDP, prev, S(1)), 0);
		cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(1), &p), 0);
		cr_assert_eq(p, prev == 104 ? 100 : prev + 1);
		prev = p;
	}
	sock_ports_destroy(t);
}

struct filt {
	unsigned int calls, out_of_range;
	uint16_t lo, hi, mod;
};

static bool
filter_mod(void *arg, uint16_t port)
{
	struct filt *f = arg;

	f->calls++;
	if (port < f->lo || port > f->hi)
		f->out_of_range++;
	return f->mod != 0 && port % f->mod == 0;
}

Test(sock_port, ephemeral_filter)
{
	struct sock_ports *t = sock_ports_create(2000, 2099);
	struct filt f = { 0, 0, 2000, 2099, 7 };
	unsigned int i;

	cr_assert_not_null(t);
	/* Only multiples of 7: 2002, 2009, ..., 2093: 14 ports. */
	for (i = 0; i < 14; i++) {
		struct sock_binder b = binder(UDP, "10.0.0.1", 0, 0, 0, S(i));

		cr_assert_eq(sock_ports_bind(t, &b, filter_mod, &f), 0);
		cr_assert_eq(b.port % 7, 0, "port %u", b.port);
	}
	{
		struct sock_binder b = binder(UDP, "10.0.0.1", 0, 0, 0, S(20));

		cr_assert_eq(sock_ports_bind(t, &b, filter_mod, &f), -EADDRINUSE);
		cr_assert_eq(b.port, 0);
		/* A filter that refuses everything. */
		f.mod = 0;
		b = binder(UDP, "10.0.0.2", 0, 0, 0, S(20));
		cr_assert_eq(sock_ports_bind(t, &b, filter_mod, &f), -EADDRINUSE);
	}
	cr_assert_gt(f.calls, 100);
	cr_assert_eq(f.out_of_range, 0);
	sock_ports_destroy(t);
}

static bool
filter_no(void *arg, uint16_t port)
{
	(void)arg;
	(void)port;
	return false;
}

Test(sock_port, ephemeral_rules_per_protocol)
{
	struct sock_ports *t = sock_ports_create(5000, 5000);
	struct sock_binder b;
	uint16_t p;

	cr_assert_not_null(t);
	/* UDP's bind(0) may land on a port that an SO_REUSEPORT group of
	 * the same user holds (udp_lib_get_port with its bitmap). */
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 5000, RP, 7, S(1), NULL), 0);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, RP, 7, S(2), &p), 0);
	cr_assert_eq(p, 5000);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, RP, 8, S(3), &p), -EADDRINUSE);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 7, S(3), &p), -EADDRINUSE);

	/* TCP's bind(0) takes no port that anyone overlapping holds, even
	 * when bind() to it would be excused (inet_csk_find_open_port calls
	 * the conflict check with relax = false). */
	cr_assert_eq(bind_one(t, TCP, "0.0.0.0", 5000, RA | RP, 7, S(10), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 0, RA | RP, 7, S(11), &p), -EADDRINUSE);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 5000, RA | RP, 7, S(11), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "fd00::1", 0, 0, 7, S(12), &p), 0); /* no overlap */
	cr_assert_eq(sock_ports_unbind(t, TCP, 5000, S(12)), 0);
	sock_ports_destroy(t);

	/* TCP connect()'s autobind: ports held by connect() alone are
	 * shared, the 4-tuple being the filter's; a port with a bind()
	 * owner is not used, whatever its address. */
	t = sock_ports_create(6000, 6001);
	cr_assert_not_null(t);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(20), &p), 0);
	cr_assert_eq(p, 6000);
	cr_assert_eq(bind_one(t, TCP, "fd00::9", 6001, 0, 0, S(21), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(22), &p), 0);
	cr_assert_eq(p, 6000);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 0, SOCK_PORT_CONNECT | SOCK_PORT_TIMEWAIT, 5,
			      S(23), &p), 0);
	cr_assert_eq(p, 6000);
	b = binder(TCP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(24));
	cr_assert_eq(sock_ports_bind(t, &b, filter_no, NULL), -EADDRINUSE);
	/* Once bind() takes 6000 too, connect() stops using it. */
	cr_assert_eq(bind_one(t, TCP, "10.0.0.2", 6000, 0, 0, S(25), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(26), &p),
		     -EADDRINUSE);
	/* A bind() onto connect()'s port is judged by the bind rules. */
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 6000, 0, 0, S(27), NULL), -EADDRINUSE);
	/* For UDP the flag changes nothing: connect()'s autobind is bind(0). */
	cr_assert_eq(bind_one(t, UDP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(30), &p), 0);
	cr_assert_eq(bind_one(t, UDP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(31), &p), 0);
	cr_assert_eq(bind_one(t, UDP, "10.0.0.1", 0, SOCK_PORT_CONNECT, 0, S(32), &p),
		     -EADDRINUSE);
	sock_ports_destroy(t);
}

struct seen {
	unsigned int n;
	void *sock[8];
	uint16_t flags[8];
};

static void
record(void *arg, const struct sock_binder *b)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 8);
	s->sock[s->n] = b->sock;
	s->flags[s->n] = b->flags;
	s->n++;
}

Test(sock_port, unbind_set_flags_foreach)
{
	struct sock_ports *t = sock_ports_create(30000, 30100);
	struct sock_binder b;
	struct seen s;

	cr_assert_not_null(t);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, RA, 0, S(1), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, RA, 0, S(2), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "0.0.0.0", 80, RA, 0, S(3), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, RA, 0, S(2), NULL), -EINVAL); /* twice */
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, RA, 0, NULL, NULL), -EINVAL);
	cr_assert_eq(sock_ports_count(t), 3);

	/* Bind order, and the oldest conflicting binder is named. */
	memset(&s, 0, sizeof(s));
	sock_ports_foreach(t, TCP, 80, record, &s);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.sock[0], S(1));
	cr_assert_eq(s.sock[2], S(3));
	b = binder(TCP, "10.0.0.1", 80, 0, 0, S(9));
	cr_assert_eq(sock_ports_conflict(t, &b), S(1));
	b.port = 0;
	cr_assert_null(sock_ports_conflict(t, &b));
	b = binder(UDP, "10.0.0.1", 80, 0, 0, S(9));
	cr_assert_null(sock_ports_conflict(t, &b));

	/* listen(): the first succeeds, the others are refused and keep
	 * their flags. */
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(2), RA | SOCK_PORT_LISTEN), 0);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(1), RA | SOCK_PORT_LISTEN), -EADDRINUSE);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(3), RA | SOCK_PORT_LISTEN), -EADDRINUSE);
	memset(&s, 0, sizeof(s));
	sock_ports_foreach(t, TCP, 80, record, &s);
	cr_assert_eq(s.flags[0], RA);
	cr_assert_eq(s.flags[1], RA | SOCK_PORT_LISTEN);
	cr_assert_eq(s.flags[2], RA);
	/* Listening again is no new listen(): no re-check. */
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(2), RA | SOCK_PORT_LISTEN), 0);
	/* Other flag changes are not checked (setsockopt after bind), even
	 * one that would not have been allowed at bind(). */
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(1), 0), 0);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(1), RA), 0);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(7), 0), -ENOENT);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 81, S(1), 0), -ENOENT);
	cr_assert_eq(sock_ports_set_flags(t, UDP, 80, S(1), 0), -ENOENT);

	/* The listener closes: another may listen. */
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(2)), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(2)), -ENOENT);
	cr_assert_eq(sock_ports_unbind(t, UDP, 80, S(1)), -ENOENT);
	cr_assert_eq(sock_ports_unbind(t, TCP, 9, S(1)), -ENOENT);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(3), RA | SOCK_PORT_LISTEN), 0);
	cr_assert_eq(sock_ports_count(t), 2);

	/* TIME-WAIT: SO_REUSEPORT of any uid may bind over it. */
	cr_assert_eq(bind_one(t, TCP, "10.0.0.5", 443, RP, 1, S(40), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.5", 443, RP, 2, S(41), NULL), -EADDRINUSE);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 443, S(40), RP | SOCK_PORT_TIMEWAIT), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.5", 443, RP, 2, S(41), NULL), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 443, S(40)), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 443, S(41)), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(1)), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(3)), 0);
	cr_assert_eq(sock_ports_count(t), 0);
	memset(&s, 0, sizeof(s));
	sock_ports_foreach(t, TCP, 80, record, &s);
	sock_ports_foreach(t, 200, 80, record, &s); /* a protocol never used */
	cr_assert_eq(s.n, 0);
	sock_ports_destroy(t);
}

/* Passive TIME-WAIT connections hold their listener's port through one
 * counted holder per (address, device, uid, flags), not an entry each. */
Test(sock_port, timewait_holders_counted)
{
	struct sock_ports *t = sock_ports_create(30000, 30100);
	struct sock_binder b;
	void *h[3], *h2;
	struct seen s;

	cr_assert_not_null(t);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, RA | SOCK_PORT_LISTEN, 0, S(1), NULL), 0);
	b = binder(TCP, "10.0.0.1", 80, RA, 0, NULL);
	for (int i = 0; i < 3; i++) {
		h[i] = sock_ports_tw_get(t, &b);
		cr_assert_not_null(h[i]);
	}
	cr_assert_eq(h[0], h[1]);
	cr_assert_eq(h[1], h[2]);
	b = binder(TCP, "10.0.0.2", 80, RA, 0, NULL);
	h2 = sock_ports_tw_get(t, &b); /* another address: another holder */
	cr_assert_not_null(h2);
	cr_assert_neq(h2, h[0]);
	cr_assert_eq(sock_ports_count(t), 3);
	memset(&s, 0, sizeof(s));
	sock_ports_foreach(t, TCP, 80, record, &s);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.flags[1], RA | SOCK_PORT_TIMEWAIT);

	/* The listener closes; while the TIME-WAITs last, bind() without
	 * SO_REUSEADDR fails, with it succeeds (Linux). */
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(1)), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, 0, 0, S(2), NULL), -EADDRINUSE);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, RA, 0, S(2), NULL), 0);
	cr_assert_eq(sock_ports_set_flags(t, TCP, 80, S(2), RA | SOCK_PORT_LISTEN), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(2)), 0);

	/* Two of three end: the port is still held; the last frees it. */
	sock_ports_tw_put(t, h[0]);
	sock_ports_tw_put(t, h[1]);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, 0, 0, S(3), NULL), -EADDRINUSE);
	sock_ports_tw_put(t, h[2]);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 80, 0, 0, S(3), NULL), 0);
	cr_assert_eq(sock_ports_unbind(t, TCP, 80, S(3)), 0);
	sock_ports_tw_put(t, h2);
	sock_ports_tw_put(t, NULL);
	cr_assert_eq(sock_ports_count(t), 0);
	sock_ports_destroy(t);
}

Test(sock_port, ipv6_only_and_connected_addresses)
{
	struct sock_ports *t = sock_ports_create(30000, 30100);
	struct sock_binder b;
	struct seen s;
	struct rs_ip a;

	cr_assert_not_null(t);
	/* bind() to a specific IPv6 address makes the socket IPv6-only... */
	b = binder(TCP, "fd00::1", 80, RA, 0, S(1));
	cr_assert_eq(sock_ports_bind(t, &b, NULL, NULL), 0);
	cr_assert_eq(b.flags, RA | V6);
	memset(&s, 0, sizeof(s));
	sock_ports_foreach(t, TCP, 80, record, &s);
	cr_assert_eq(s.flags[0], RA | V6);
	/* ...unless it fails. */
	b = binder(TCP, "fd00::1", 80, 0, 0, S(2));
	cr_assert_eq(sock_ports_bind(t, &b, NULL, NULL), -EADDRINUSE);
	cr_assert_eq(b.flags, 0);
	b = binder(TCP, "::", 81, 0, 0, S(3)); /* :: and mapped: no */
	cr_assert_eq(sock_ports_bind(t, &b, NULL, NULL), 0);
	cr_assert_eq(b.flags, 0);
	b = binder(TCP, "::ffff:10.0.0.1", 82, 0, 0, S(4));
	cr_assert_eq(sock_ports_bind(t, &b, NULL, NULL), 0);
	cr_assert_eq(b.flags, 0);

	/* A dual-stack :: socket connects to an IPv6 peer: its address
	 * changes without a check, and from then on only a new 0.0.0.0
	 * still meets its IPv4 side. */
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 81, 0, 0, S(5), NULL), -EADDRINUSE);
	cr_assert_eq(pc_addr("fd00::9", &a), 0);
	cr_assert_eq(sock_ports_set_addr(t, TCP, 81, S(3), &a), 0);
	cr_assert_eq(bind_one(t, TCP, "10.0.0.1", 81, 0, 0, S(5), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "0.0.0.0", 81, 0, 0, S(6), NULL), -EADDRINUSE);
	cr_assert_eq(bind_one(t, TCP, "fd00::8", 81, 0, 0, S(6), NULL), 0);
	cr_assert_eq(bind_one(t, TCP, "fd00::9", 81, 0, 0, S(7), NULL), -EADDRINUSE);
	cr_assert_eq(sock_ports_set_addr(t, TCP, 81, S(99), &a), -ENOENT);
	cr_assert_eq(sock_ports_set_addr(t, UDP, 81, S(3), &a), -ENOENT);
	sock_ports_destroy(t);
}

/* Many ports held: each check still only looks at its own port. */
Test(sock_port, many_ports)
{
	struct sock_ports *t = sock_ports_create(1, 65535);
	static char many[65536];
	unsigned int i;
	uint16_t p;

	cr_assert_not_null(t);
	for (i = 1; i < 65536; i++)
		cr_assert_eq(bind_one(t, UDP, "0.0.0.0", (uint16_t)i, 0, 0, &many[i], NULL), 0);
	cr_assert_eq(bind_one(t, UDP, "0.0.0.0", 0, 0, 0, S(1), &p), -EADDRINUSE);
	cr_assert_eq(bind_one(t, UDP, "::", 0, V6, 0, S(1), &p), 0);
	cr_assert_eq(sock_ports_unbind(t, UDP, 4242, &many[4242]), 0);
	cr_assert_eq(bind_one(t, UDP, "10.0.0.1", 0, 0, 0, S(2), &p), 0);
	cr_assert_eq(p, 4242);
	cr_assert_eq(sock_ports_count(t), 65536);
	sock_ports_destroy(t);
}
