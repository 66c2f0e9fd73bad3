/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the socket demultiplexing table (lib/sock/sock_demux.c):
 * the lookup order, SO_REUSEPORT groups, a randomized comparison with a
 * plain reference model, and one writer racing two lock-free readers with
 * an epoch-based deferred free (under ASan, a reader touching a freed
 * entry is reported).
 *
 * Sockets are opaque to the table: the tests use addresses of bytes in a
 * static array, or integers cast to pointers that encode which key they
 * were added under.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sock/sock_demux.h"

static char sk[256]; /* sockets: &sk[i] */
#define S(i) ((void *)&sk[i])

static struct rs_ip
ip(const char *s)
{
	struct rs_ip a;

	if (strchr(s, ':') != NULL) {
		cr_assert_eq(inet_pton(AF_INET6, s, a.b), 1, "%s", s);
	} else {
		struct in_addr v4;

		cr_assert_eq(inet_pton(AF_INET, s, &v4), 1, "%s", s);
		a = rs_ip_from4(ntohl(v4.s_addr));
	}
	return a;
}

static struct sock_demux_key
key(uint8_t proto, const char *laddr, uint16_t lport, const char *raddr, uint16_t rport)
{
	struct sock_demux_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.laddr = ip(laddr);
	k.lport = lport;
	k.raddr = raddr != NULL ? ip(raddr) : (struct rs_ip){ { { 0 } } };
	k.rport = rport;
	return k;
}

/* The socket a packet src:sport -> dst:dport goes to. */
static void *
rx(const struct sock_demux *d, uint8_t proto, const char *src, uint16_t sport, const char *dst,
   uint16_t dport, uint32_t flow_hash)
{
	struct rs_ip s = ip(src), t = ip(dst);

	return sock_demux_lookup(d, proto, &t, dport, &s, sport, flow_hash);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static struct sock_demux *
mk(uint32_t capacity)
{
	struct sock_demux *d = sock_demux_create(capacity, 0x5eed, NULL);

	cr_assert_not_null(d);
	return d;
}

/*
 * Lookup order.
 */

Test(sock_demux, lookup_order_ipv4)
{
	struct sock_demux *d = mk(64);
	struct sock_demux_key conn = key(IPPROTO_UDP, "10.0.0.1", 80, "10.0.0.9", 1234);
	struct sock_demux_key bound = key(IPPROTO_UDP, "10.0.0.1", 80, NULL, 0);
	struct sock_demux_key wild = key(IPPROTO_UDP, "0.0.0.0", 80, NULL, 0);
	struct sock_demux_key dual = key(IPPROTO_UDP, "::", 80, NULL, 0);

	cr_assert_eq(sock_demux_add(d, &dual, S(4), 0, 0), 0);
	cr_assert_eq(sock_demux_add(d, &wild, S(3), 0, 0), 0);
	cr_assert_eq(sock_demux_add(d, &bound, S(2), 0, 0), 0);
	cr_assert_eq(sock_demux_add(d, &conn, S(1), 0, 0), 0);
	cr_assert_eq(sock_demux_count(d), 4);
	cr_assert_eq(sock_demux_keys(d), 4);

	/* 1: the exact 4-tuple wins over everything. */
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(1));
	/* 2: another peer (address or port) goes to the bound socket. */
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1235, "10.0.0.1", 80, 7), S(2));
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.8", 1234, "10.0.0.1", 80, 7), S(2));
	/* 3: another local address goes to the IPv4 wildcard. */
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.2", 80, 7), S(3));
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "255.255.255.255", 80, 7), S(3));
	/* Not another port or protocol. */
	cr_assert_null(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 81, 7));
	cr_assert_null(rx(d, IPPROTO_TCP, "10.0.0.9", 1234, "10.0.0.1", 80, 7));

	/* 4: without the IPv4 wildcard, the dual-stack :: socket. */
	cr_assert_eq(sock_demux_del(d, &wild, S(3)), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.2", 80, 7), S(4));
	cr_assert_eq(sock_demux_del(d, &bound, S(2)), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1235, "10.0.0.1", 80, 7), S(4));
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(1));
	cr_assert_eq(sock_demux_del(d, &conn, S(1)), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(4));
	cr_assert_eq(sock_demux_count(d), 1);
	cr_assert_eq(sock_demux_keys(d), 1);
	sock_demux_destroy(d);
}

/* A lookup skips the steps no key of the port could answer (per-port
 * counts): the counts follow keys, not members, and are shared by the
 * protocols, so every key stays found through group changes, removals
 * and re-adds, on one port and beside keys of other ports. */
Test(sock_demux, per_port_counts_follow_keys)
{
	struct sock_demux *d = mk(64);
	struct sock_demux_key conn = key(IPPROTO_UDP, "10.0.0.1", 80, "10.0.0.9", 1234);
	struct sock_demux_key bound = key(IPPROTO_UDP, "10.0.0.1", 80, NULL, 0);
	struct sock_demux_key tcp = key(IPPROTO_TCP, "10.0.0.1", 81, "10.0.0.9", 1234);
	struct sock_demux_key wild81 = key(IPPROTO_UDP, "0.0.0.0", 81, NULL, 0);

	/* a group of two on each probed kind; removing one keeps the key */
	cr_assert_eq(sock_demux_add(d, &conn, S(1), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_add(d, &conn, S(2), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_add(d, &bound, S(3), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_add(d, &bound, S(4), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_del(d, &conn, S(1)), 0);
	cr_assert_eq(sock_demux_del(d, &bound, S(3)), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(2));
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.8", 1234, "10.0.0.1", 80, 7), S(4));
	/* the last member goes: the key, and its count, go */
	cr_assert_eq(sock_demux_del(d, &conn, S(2)), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(4));
	cr_assert_eq(sock_demux_del(d, &bound, S(4)), 0);
	cr_assert_null(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7));
	/* and come back */
	cr_assert_eq(sock_demux_add(d, &conn, S(5), 0, 0), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(5));
	cr_assert_null(rx(d, IPPROTO_UDP, "10.0.0.8", 1234, "10.0.0.1", 80, 7));
	cr_assert_eq(sock_demux_add(d, &bound, S(6), 0, 0), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.8", 1234, "10.0.0.1", 80, 7), S(6));
	/* another protocol's key on port 81 makes UDP probe, and find, the
	 * wildcard there; UDP on 81 never finds the TCP key */
	cr_assert_eq(sock_demux_add(d, &tcp, S(7), 0, 0), 0);
	cr_assert_eq(sock_demux_add(d, &wild81, S(8), 0, 0), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 81, 7), S(8));
	cr_assert_eq(rx(d, IPPROTO_TCP, "10.0.0.9", 1234, "10.0.0.1", 81, 7), S(7));
	/* a failed add (a socket without SO_REUSEPORT on a taken key)
	 * changes no count: the key is still found after its one member goes */
	cr_assert_eq(sock_demux_add(d, &conn, S(9), 0, 0), -EADDRINUSE);
	cr_assert_eq(sock_demux_del(d, &conn, S(5)), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1234, "10.0.0.1", 80, 7), S(6));
	sock_demux_destroy(d);
}

Test(sock_demux, lookup_order_ipv6_and_v6only)
{
	struct sock_demux *d = mk(64);
	struct sock_demux_key conn = key(IPPROTO_TCP, "fd00::1", 443, "fd00::9", 5000);
	struct sock_demux_key bound = key(IPPROTO_TCP, "fd00::1", 443, NULL, 0);
	struct sock_demux_key wild6 = key(IPPROTO_TCP, "::", 443, NULL, 0);
	struct sock_demux_key wild4 = key(IPPROTO_TCP, "0.0.0.0", 443, NULL, 0);

	cr_assert_eq(sock_demux_add(d, &wild4, S(4), 0, 0), 0);
	/* An IPv6 packet never goes to an IPv4 socket. */
	cr_assert_null(rx(d, IPPROTO_TCP, "fd00::9", 5000, "fd00::1", 443, 0));
	cr_assert_eq(sock_demux_add(d, &wild6, S(3), 0, SOCK_DEMUX_V6ONLY), 0);
	cr_assert_eq(sock_demux_add(d, &bound, S(2), 0, 0), 0);
	cr_assert_eq(sock_demux_add(d, &conn, S(1), 0, 0), 0);

	cr_assert_eq(rx(d, IPPROTO_TCP, "fd00::9", 5000, "fd00::1", 443, 0), S(1));
	cr_assert_eq(rx(d, IPPROTO_TCP, "fd00::9", 5001, "fd00::1", 443, 0), S(2));
	cr_assert_eq(rx(d, IPPROTO_TCP, "fd00::9", 5000, "fd00::2", 443, 0), S(3));
	/* An IPv4 packet: the IPv4 wildcard... */
	cr_assert_eq(rx(d, IPPROTO_TCP, "10.0.0.9", 5000, "10.0.0.1", 443, 0), S(4));
	/* ...and without it, never the IPV6_V6ONLY :: socket. */
	cr_assert_eq(sock_demux_del(d, &wild4, S(4)), 0);
	cr_assert_null(rx(d, IPPROTO_TCP, "10.0.0.9", 5000, "10.0.0.1", 443, 0));
	/* A dual-stack one takes it. */
	cr_assert_eq(sock_demux_del(d, &wild6, S(3)), 0);
	cr_assert_eq(sock_demux_add(d, &wild6, S(5), 0, 0), 0);
	cr_assert_eq(rx(d, IPPROTO_TCP, "10.0.0.9", 5000, "10.0.0.1", 443, 0), S(5));
	cr_assert_eq(rx(d, IPPROTO_TCP, "fd00::9", 5000, "fd00::2", 443, 0), S(5));
	sock_demux_destroy(d);
}

Test(sock_demux, mapped_addresses)
{
	struct sock_demux *d = mk(0);
	/* A dual-stack socket bound to ::ffff:10.0.0.1, and one connected to
	 * an IPv4 peer: their keys are the IPv4 (mapped) addresses, so IPv4
	 * packets find them in steps 1 and 2. */
	struct sock_demux_key bound = key(IPPROTO_UDP, "::ffff:10.0.0.1", 53, NULL, 0);
	struct sock_demux_key conn = key(IPPROTO_UDP, "::ffff:10.0.0.1", 53, "::ffff:10.0.0.9", 9);

	cr_assert_eq(sock_demux_add(d, &bound, S(1), 0, 0), 0);
	cr_assert_eq(sock_demux_add(d, &conn, S(2), 0, 0), 0);
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 9, "10.0.0.1", 53, 0), S(2));
	cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 10, "10.0.0.1", 53, 0), S(1));
	cr_assert_null(rx(d, IPPROTO_UDP, "10.0.0.9", 10, "10.0.0.2", 53, 0));
	/* 0.0.0.0 and :: are different keys. */
	{
		struct sock_demux_key w4 = key(IPPROTO_UDP, "0.0.0.0", 53, NULL, 0);
		struct sock_demux_key w6 = key(IPPROTO_UDP, "::", 53, NULL, 0);

		cr_assert_eq(sock_demux_add(d, &w4, S(3), 0, 0), 0);
		cr_assert_eq(sock_demux_add(d, &w6, S(4), 0, 0), 0);
		cr_assert_eq(sock_demux_lookup_key(d, &w4, 0), S(3));
		cr_assert_eq(sock_demux_lookup_key(d, &w6, 0), S(4));
	}
	sock_demux_destroy(d);
}

Test(sock_demux, lookup_key_is_exact)
{
	struct sock_demux *d = mk(8);
	struct sock_demux_key a = key(IPPROTO_UDP, "10.0.0.1", 80, NULL, 0);
	struct sock_demux_key b = key(IPPROTO_UDP, "10.0.0.1", 80, "10.0.0.2", 80);
	struct sock_demux_key w = key(IPPROTO_UDP, "0.0.0.0", 80, NULL, 0);

	cr_assert_eq(sock_demux_add(d, &a, S(1), 0, 0), 0);
	cr_assert_eq(sock_demux_lookup_key(d, &a, 0), S(1));
	/* No fallback in an exact lookup. */
	cr_assert_null(sock_demux_lookup_key(d, &b, 0));
	cr_assert_null(sock_demux_lookup_key(d, &w, 0));
	b.pad[0] = 0; /* the padding takes no part, but callers zero it */
	cr_assert_eq(sock_demux_add(d, &b, S(2), 0, 0), 0);
	cr_assert_eq(sock_demux_lookup_key(d, &b, 0), S(2));
	sock_demux_destroy(d);
}

/*
 * SO_REUSEPORT groups.
 */

static void
collect(void *arg, void *sock)
{
	void **out = arg;
	unsigned int i = 0;

	while (out[i] != NULL)
		i++;
	out[i] = sock;
}

Test(sock_demux, reuseport_group_rules)
{
	struct sock_demux *d = mk(16);
	struct sock_demux_key k = key(IPPROTO_UDP, "0.0.0.0", 5000, NULL, 0);
	struct sock_demux_key plain = key(IPPROTO_UDP, "0.0.0.0", 5001, NULL, 0);
	void *m[SOCK_DEMUX_GROUP_MAX + 2];
	unsigned int i;

	/* Join: same uid, both SO_REUSEPORT. */
	cr_assert_eq(sock_demux_add(d, &k, S(1), 1000, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_add(d, &k, S(2), 1000, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_count(d), 2);
	cr_assert_eq(sock_demux_keys(d), 1);
	memset(m, 0, sizeof(m));
	sock_demux_members(d, &k, collect, m);
	cr_assert_eq(m[0], S(1));
	cr_assert_eq(m[1], S(2));
	cr_assert_null(m[2]);
	/* Already a member. */
	cr_assert_eq(sock_demux_add(d, &k, S(2), 1000, SOCK_DEMUX_REUSEPORT), -EEXIST);
	/* Another user cannot take a share of the flows. */
	cr_assert_eq(sock_demux_add(d, &k, S(3), 1001, SOCK_DEMUX_REUSEPORT), -EADDRINUSE);
	/* Nor can a socket without SO_REUSEPORT. */
	cr_assert_eq(sock_demux_add(d, &k, S(3), 1000, 0), -EADDRINUSE);
	cr_assert_eq(sock_demux_add(d, &k, S(3), 1000, SOCK_DEMUX_V6ONLY), -EADDRINUSE);
	/* A socket without SO_REUSEPORT shares with nobody. */
	cr_assert_eq(sock_demux_add(d, &plain, S(4), 1000, 0), 0);
	cr_assert_eq(sock_demux_add(d, &plain, S(5), 1000, SOCK_DEMUX_REUSEPORT), -EADDRINUSE);
	cr_assert_eq(sock_demux_add(d, &plain, S(5), 1000, 0), -EADDRINUSE);
	cr_assert_eq(sock_demux_count(d), 3);

	/* Leave: a group of one is a plain socket again for lookups... */
	cr_assert_eq(sock_demux_del(d, &k, S(1)), 0);
	for (i = 0; i < 16; i++)
		cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 5000, i), S(2));
	memset(m, 0, sizeof(m));
	sock_demux_members(d, &k, collect, m);
	cr_assert_eq(m[0], S(2));
	cr_assert_null(m[1]);
	/* ...which still admits same-uid SO_REUSEPORT sockets. */
	cr_assert_eq(sock_demux_add(d, &k, S(6), 1000, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_del(d, &k, S(2)), 0);
	cr_assert_eq(sock_demux_del(d, &k, S(6)), 0);
	/* The key is gone with its last member, and anyone may take it. */
	cr_assert_null(rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 5000, 0));
	cr_assert_eq(sock_demux_keys(d), 1);
	cr_assert_eq(sock_demux_add(d, &k, S(7), 1001, 0), 0);
	cr_assert_eq(sock_demux_del(d, &k, S(7)), 0);

	/* A full group refuses one more. */
	for (i = 0; i < SOCK_DEMUX_GROUP_MAX; i++)
		cr_assert_eq(sock_demux_add(d, &k, S(10 + i), 7, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_add(d, &k, S(10 + i), 7, SOCK_DEMUX_REUSEPORT), -EADDRINUSE);
	memset(m, 0, sizeof(m));
	sock_demux_members(d, &k, collect, m);
	for (i = 0; i < SOCK_DEMUX_GROUP_MAX; i++)
		cr_assert_eq(m[i], S(10 + i));
	cr_assert_null(m[i]);
	/* One leaves from the middle: room for one again. */
	cr_assert_eq(sock_demux_del(d, &k, S(20)), 0);
	cr_assert_eq(sock_demux_add(d, &k, S(10 + i), 7, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_count(d), SOCK_DEMUX_GROUP_MAX + 1);
	sock_demux_destroy(d);
}

Test(sock_demux, flow_hash_picks_and_sticks)
{
	struct sock_demux *d = mk(16);
	struct sock_demux_key k = key(IPPROTO_UDP, "10.0.0.1", 7, NULL, 0);
	uint64_t s = 99;
	unsigned int i, hits[5] = { 0 };

	for (i = 0; i < 5; i++)
		cr_assert_eq(sock_demux_add(d, &k, S(i), 0, SOCK_DEMUX_REUSEPORT), 0);
	/* member flow_hash % n, in join order */
	for (i = 0; i < 1000; i++) {
		uint32_t h = (uint32_t)rnd(&s);
		void *a = rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 7, h);

		cr_assert_eq(a, S(h % 5));
		cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 7, h), a);
		cr_assert_eq(sock_demux_lookup_key(d, &k, h), a);
		hits[h % 5]++;
	}
	for (i = 0; i < 5; i++)
		cr_assert_gt(hits[i], 100);
	/* Member 2 leaves: the others keep their order. */
	cr_assert_eq(sock_demux_del(d, &k, S(2)), 0);
	for (i = 0; i < 100; i++) {
		static const int left[4] = { 0, 1, 3, 4 };
		uint32_t h = (uint32_t)rnd(&s);

		cr_assert_eq(sock_demux_lookup_key(d, &k, h), S(left[h % 4]));
	}
	sock_demux_destroy(d);
}

Test(sock_demux, mixed_v6only_group)
{
	struct sock_demux *d = mk(16);
	struct sock_demux_key k = key(IPPROTO_UDP, "::", 9, NULL, 0);
	unsigned int i;

	/* Members 1 and 3 are IPV6_V6ONLY: IPv4 packets share among 0, 2, 4. */
	for (i = 0; i < 5; i++)
		cr_assert_eq(sock_demux_add(d, &k, S(i), 0,
					    SOCK_DEMUX_REUSEPORT | (i % 2 ? SOCK_DEMUX_V6ONLY : 0)),
			     0);
	for (i = 0; i < 30; i++) {
		cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 9, i), S((i % 3) * 2));
		cr_assert_eq(rx(d, IPPROTO_UDP, "fd00::9", 1, "fd00::1", 9, i), S(i % 5));
	}
	cr_assert_eq(sock_demux_del(d, &k, S(2)), 0);
	for (i = 0; i < 30; i++) {
		static const int left[4] = { 0, 1, 3, 4 };

		cr_assert_eq(rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 9, i), S((i % 2) * 4));
		cr_assert_eq(rx(d, IPPROTO_UDP, "fd00::9", 1, "fd00::1", 9, i), S(left[i % 4]));
	}
	/* With only V6ONLY members left, IPv4 finds nothing. */
	cr_assert_eq(sock_demux_del(d, &k, S(0)), 0);
	cr_assert_eq(sock_demux_del(d, &k, S(4)), 0);
	cr_assert_null(rx(d, IPPROTO_UDP, "10.0.0.9", 1, "10.0.0.1", 9, 0));
	cr_assert_eq(rx(d, IPPROTO_UDP, "fd00::9", 1, "fd00::1", 9, 1), S(3));
	sock_demux_destroy(d);
}

Test(sock_demux, del_absent)
{
	struct sock_demux *d = mk(4);
	struct sock_demux_key k = key(IPPROTO_UDP, "10.0.0.1", 7, NULL, 0);
	struct sock_demux_key k2 = key(IPPROTO_UDP, "10.0.0.1", 8, NULL, 0);

	cr_assert_eq(sock_demux_del(d, &k, S(1)), -ENOENT);
	cr_assert_eq(sock_demux_add(d, &k, S(1), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(sock_demux_del(d, &k, S(2)), -ENOENT); /* not a member */
	cr_assert_eq(sock_demux_del(d, &k2, S(1)), -ENOENT); /* another key */
	cr_assert_eq(sock_demux_count(d), 1);
	cr_assert_eq(sock_demux_del(d, &k, S(1)), 0);
	cr_assert_eq(sock_demux_del(d, &k, S(1)), -ENOENT);
	cr_assert_eq(sock_demux_count(d), 0);
	cr_assert_eq(sock_demux_keys(d), 0);
	/* Bad arguments. */
	cr_assert_eq(sock_demux_add(d, &k, NULL, 0, 0), -EINVAL);
	cr_assert_eq(sock_demux_add(NULL, &k, S(1), 0, 0), -EINVAL);
	sock_demux_destroy(d);
	sock_demux_destroy(NULL);
}

/* A deferred free runs only when the caller says so. */
struct pending {
	void (*fn)(void *);
	void *arg;
};
static struct pending pend[64];
static unsigned int npend;

static void
defer_record(void (*fn)(void *), void *arg)
{
	cr_assert_lt(npend, 64);
	pend[npend++] = (struct pending){ fn, arg };
}

Test(sock_demux, replaced_memory_is_deferred)
{
	struct sock_demux *d = sock_demux_create(4, 1, defer_record);
	struct sock_demux_key k = key(IPPROTO_UDP, "10.0.0.1", 7, NULL, 0);
	unsigned int i;

	cr_assert_not_null(d);
	npend = 0;
	cr_assert_eq(sock_demux_add(d, &k, S(1), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(npend, 0);
	cr_assert_eq(sock_demux_add(d, &k, S(2), 0, SOCK_DEMUX_REUSEPORT), 0);
	cr_assert_eq(npend, 1); /* the one-member entry */
	cr_assert_eq(sock_demux_del(d, &k, S(1)), 0);
	cr_assert_eq(npend, 2); /* the two-member entry */
	cr_assert_eq(sock_demux_del(d, &k, S(2)), 0);
	cr_assert_eq(npend, 3); /* the last one */
	cr_assert_eq(sock_demux_add(d, &k, S(3), 0, 0), 0);
	/* Refused changes retire nothing. */
	cr_assert_eq(sock_demux_add(d, &k, S(4), 0, 0), -EADDRINUSE);
	cr_assert_eq(sock_demux_del(d, &k, S(4)), -ENOENT);
	cr_assert_eq(npend, 3);
	for (i = 0; i < npend; i++)
		pend[i].fn(pend[i].arg);
	sock_demux_destroy(d);
}

/*
 * Randomized comparison with a reference: a flat list of keys, each with
 * its members, searched linearly, and the header's rules written out.
 */
#define R_MAXKEYS 512

struct ref_member {
	void *sock;
	uint32_t flags;
};

struct ref_key {
	bool used;
	struct sock_demux_key k;
	uint32_t uid;
	unsigned int n;
	struct ref_member m[SOCK_DEMUX_GROUP_MAX];
};

static struct ref_key ref[R_MAXKEYS];

static bool
key_eq(const struct sock_demux_key *a, const struct sock_demux_key *b)
{
	return a->proto == b->proto && a->lport == b->lport && a->rport == b->rport &&
	       rs_ip_eq(&a->laddr, &b->laddr) && rs_ip_eq(&a->raddr, &b->raddr);
}

static struct ref_key *
ref_find(const struct sock_demux_key *k)
{
	unsigned int i;

	for (i = 0; i < R_MAXKEYS; i++)
		if (ref[i].used && key_eq(&ref[i].k, k))
			return &ref[i];
	return NULL;
}

static int
ref_add(const struct sock_demux_key *k, void *sock, uint32_t uid, uint32_t flags)
{
	struct ref_key *r = ref_find(k);
	unsigned int i;

	if (r == NULL) {
		for (i = 0; ref[i].used; i++)
			;
		r = &ref[i];
		memset(r, 0, sizeof(*r));
		r->used = true;
		r->k = *k;
		r->uid = uid;
		r->m[0] = (struct ref_member){ sock, flags };
		r->n = 1;
		return 0;
	}
	for (i = 0; i < r->n; i++)
		if (r->m[i].sock == sock)
			return -EEXIST;
	for (i = 0; i < r->n; i++)
		if (!(r->m[i].flags & SOCK_DEMUX_REUSEPORT))
			return -EADDRINUSE;
	if (!(flags & SOCK_DEMUX_REUSEPORT) || uid != r->uid || r->n == SOCK_DEMUX_GROUP_MAX)
		return -EADDRINUSE;
	r->m[r->n++] = (struct ref_member){ sock, flags };
	return 0;
}

static int
ref_del(const struct sock_demux_key *k, void *sock)
{
	struct ref_key *r = ref_find(k);
	unsigned int i;

	if (r == NULL)
		return -ENOENT;
	for (i = 0; i < r->n; i++)
		if (r->m[i].sock == sock)
			break;
	if (i == r->n)
		return -ENOENT;
	memmove(&r->m[i], &r->m[i + 1], (r->n - i - 1) * sizeof(r->m[0]));
	if (--r->n == 0)
		r->used = false;
	return 0;
}

static void *
ref_pick(const struct ref_key *r, bool v4_only, uint32_t h)
{
	void *cand[SOCK_DEMUX_GROUP_MAX];
	unsigned int i, n = 0;

	for (i = 0; i < r->n; i++)
		if (!v4_only || !(r->m[i].flags & SOCK_DEMUX_V6ONLY))
			cand[n++] = r->m[i].sock;
	return n == 0 ? NULL : cand[h % n];
}

/* Which step of the lookup order answered (0: none). */
static unsigned int ref_step;

static void *
ref_lookup(uint8_t proto, const struct rs_ip *dst, uint16_t dport, const struct rs_ip *src,
	   uint16_t sport, uint32_t h)
{
	struct sock_demux_key k;
	struct ref_key *r;
	bool is4 = rs_ip_is4(dst);

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.lport = dport;
	k.laddr = *dst;
	k.raddr = *src;
	k.rport = sport;
	ref_step = 1;
	if ((r = ref_find(&k)) != NULL)
		return ref_pick(r, false, h);
	ref_step = 2;
	memset(&k.raddr, 0, sizeof(k.raddr));
	k.rport = 0;
	if ((r = ref_find(&k)) != NULL)
		return ref_pick(r, false, h);
	ref_step = 3;
	k.laddr = rs_ip_any(is4 ? AF_INET : AF_INET6);
	if ((r = ref_find(&k)) != NULL)
		return ref_pick(r, false, h);
	ref_step = 0;
	if (!is4)
		return NULL;
	ref_step = 4;
	k.laddr = rs_ip_any(AF_INET6);
	if ((r = ref_find(&k)) != NULL)
		return ref_pick(r, true, h);
	ref_step = 0;
	return NULL;
}

static const char *const r_laddr[] = { "0.0.0.0", "10.0.0.1", "10.0.0.2", "::", "fd00::1",
				       "fd00::2" };
static const char *const r_peer[] = { "10.0.0.9", "10.0.0.8", "fd00::9", "::ffff:10.0.0.7" };

/* One rnd() per statement: the order of evaluation of arguments is
 * unspecified, and the test must draw the same keys with any compiler. */
static struct sock_demux_key
r_key(uint64_t *s)
{
	bool has_peer = rnd(s) % 2 == 0;
	const char *peer = r_peer[rnd(s) % 4];
	uint8_t proto = rnd(s) % 2 ? IPPROTO_UDP : IPPROTO_TCP;
	const char *laddr = r_laddr[rnd(s) % 6];
	uint16_t lport = (uint16_t)(80 + rnd(s) % 12);
	uint16_t rport = (uint16_t)(1000 + rnd(s) % 2);

	return key(proto, laddr, lport, has_peer ? peer : NULL, has_peer ? rport : 0);
}

Test(sock_demux, model_random)
{
	/* 8 buckets for hundreds of keys: long chains, removals mid-chain. */
	struct sock_demux *d = mk(8);
	uint64_t s = 0xfeedbeef;
	unsigned int step, adds = 0, groups = 0, refused = 0, hits = 0, lookups = 0;
	unsigned int by_step[5] = { 0 };
	uint32_t members = 0, nkeys = 0, i;

	memset(ref, 0, sizeof(ref));
	for (step = 0; step < 20000; step++) {
		struct sock_demux_key k = r_key(&s);
		void *sock = S(rnd(&s) % 48);
		unsigned int op = (unsigned int)(rnd(&s) % 10);

		if (op < 4) {
			/* Each socket has its own uid (sockets 0-2 uid 0, ...) so
			 * that uid refusals happen, and mostly SO_REUSEPORT. */
			uint32_t uid = (uint32_t)((char *)sock - sk) / 3 % 4;
			uint32_t flags = rnd(&s) % 5 ? SOCK_DEMUX_REUSEPORT : 0;
			int want;

			if (rnd(&s) % 3 == 0)
				flags |= SOCK_DEMUX_V6ONLY;
			want = ref_add(&k, sock, uid, flags);

			cr_assert_eq(sock_demux_add(d, &k, sock, uid, flags), want, "step %u", step);
			if (want == 0) {
				adds++;
				groups += ref_find(&k)->n > 1;
			} else {
				refused++;
			}
		} else if (op < 9) {
			/* Delete: mostly something that exists. */
			struct ref_key *r = &ref[rnd(&s) % R_MAXKEYS];

			if (r->used && rnd(&s) % 4) {
				k = r->k;
				sock = r->m[rnd(&s) % r->n].sock;
			}
			cr_assert_eq(sock_demux_del(d, &k, sock), ref_del(&k, sock), "step %u", step);
		}
		for (i = 0; i < 4; i++) {
			struct sock_demux_key p = r_key(&s);
			uint32_t h = (uint32_t)rnd(&s);
			void *want, *got;

			/* A packet to a wildcard address does not exist; a
			 * wildcard key picks a real destination instead. */
			if (rs_ip_is_any(&p.laddr))
				p.laddr = ip(rs_ip_is4(&p.laddr) ? "10.0.0.3" : "fd00::3");
			if (rs_ip_is_any(&p.raddr))
				p.raddr = ip(rs_ip_is4(&p.laddr) ? "10.0.0.9" : "fd00::9");
			want = ref_lookup(p.proto, &p.laddr, p.lport, &p.raddr, p.rport, h);
			got = sock_demux_lookup(d, p.proto, &p.laddr, p.lport, &p.raddr, p.rport, h);
			cr_assert_eq(got, want, "step %u", step);
			lookups++;
			hits += got != NULL;
			by_step[want != NULL ? ref_step : 0]++;
			p = r_key(&s);
			want = ref_find(&p) ? ref_pick(ref_find(&p), false, h) : NULL;
			cr_assert_eq(sock_demux_lookup_key(d, &p, h), want, "step %u", step);
		}
	}
	members = 0;
	nkeys = 0;
	for (i = 0; i < R_MAXKEYS; i++)
		if (ref[i].used) {
			nkeys++;
			members += ref[i].n;
		}
	cr_assert_eq(sock_demux_count(d), members);
	cr_assert_eq(sock_demux_keys(d), nkeys);
	cr_log_info("adds %u groups %u refused %u hits %u/%u by step %u %u %u %u", adds, groups,
		    refused, hits, lookups, by_step[1], by_step[2], by_step[3], by_step[4]);
	/* The run exercised what it claims to. */
	cr_assert_gt(adds, 3000);
	cr_assert_gt(groups, 300);
	cr_assert_gt(refused, 1000);
	cr_assert_gt(hits, lookups / 10);
	cr_assert_lt(hits, lookups - lookups / 20);
	for (i = 1; i <= 4; i++)
		cr_assert_gt(by_step[i], 500, "lookup step %u answered %u times", i, by_step[i]);
	sock_demux_destroy(d);
}

/*
 * One writer, two lock-free readers. The test's defer_free is a minimal
 * QSBR: every retired block is stamped with a new global epoch; each
 * reader, between two lookups (its quiescent point), publishes the epoch
 * it has seen; a block is freed once every reader has seen its stamp, at
 * which point no reader can still hold it.
 */
#define C_KEYS 256
#define C_READERS 2

static _Atomic uint64_t c_epoch;
static _Atomic uint64_t c_seen[C_READERS];
static _Atomic bool c_stop;

struct retired {
	void (*fn)(void *);
	void *arg;
	uint64_t epoch;
};
static struct retired *c_retired;
static size_t c_nretired, c_capretired;
static uint64_t c_freed;

static void
c_defer(void (*fn)(void *), void *arg)
{
	/* Writer thread only. */
	if (c_nretired == c_capretired) {
		c_capretired = c_capretired ? c_capretired * 2 : 1024;
		c_retired = realloc(c_retired, c_capretired * sizeof(*c_retired));
		cr_assert_not_null(c_retired);
	}
	c_retired[c_nretired++] = (struct retired){ fn, arg, atomic_fetch_add(&c_epoch, 1) + 1 };
}

static void
c_reclaim(void)
{
	uint64_t min = UINT64_MAX;
	size_t i, j = 0;

	for (i = 0; i < C_READERS; i++) {
		uint64_t e = atomic_load(&c_seen[i]);

		if (e < min)
			min = e;
	}
	for (i = 0; i < c_nretired; i++) {
		if (c_retired[i].epoch <= min) {
			c_retired[i].fn(c_retired[i].arg);
			c_freed++;
		} else {
			c_retired[j++] = c_retired[i];
		}
	}
	c_nretired = j;
}

/* Socket values name their key and member: key * 256 + member + 1. */
static void *
c_sock(unsigned int key_i, unsigned int member)
{
	return (void *)(uintptr_t)((key_i << 8) + member + 1);
}

static struct rs_ip
c_addr(unsigned int key_i)
{
	return rs_ip_from4(0x0a000000u + key_i);
}

struct c_reader {
	struct sock_demux *d;
	unsigned int id;
	uint64_t lookups, hits, wrong;
};

static void *
c_read(void *arg)
{
	struct c_reader *r = arg;
	uint64_t s = 0x1000 + r->id;
	struct rs_ip src = rs_ip_from4(0xc0a80001u);

	while (!atomic_load_explicit(&c_stop, memory_order_relaxed)) {
		unsigned int i = (unsigned int)(rnd(&s) % C_KEYS);
		struct rs_ip dst = c_addr(i);
		void *sock = sock_demux_lookup(r->d, IPPROTO_UDP, &dst, 4000, &src, 1,
					       (uint32_t)rnd(&s));
		uintptr_t v = (uintptr_t)sock;

		r->lookups++;
		if (sock != NULL) {
			r->hits++;
			/* A member of exactly this key, never of another one. */
			if (v >> 8 != i || (v & 0xff) == 0 || (v & 0xff) > SOCK_DEMUX_GROUP_MAX)
				r->wrong++;
		}
		/* Quiescent point. */
		atomic_store(&c_seen[r->id], atomic_load(&c_epoch));
	}
	return NULL;
}

Test(sock_demux, concurrent_readers, .timeout = 60)
{
	struct sock_demux *d = sock_demux_create(64, 7, c_defer);
	unsigned int members[C_KEYS] = { 0 };
	struct c_reader rd[C_READERS];
	pthread_t th[C_READERS];
	uint64_t s = 3, ops = 0;
	unsigned int i;

	cr_assert_not_null(d);
	atomic_store(&c_epoch, 0);
	atomic_store(&c_stop, false);
	for (i = 0; i < C_READERS; i++) {
		atomic_store(&c_seen[i], 0);
		rd[i] = (struct c_reader){ .d = d, .id = i };
		cr_assert_eq(pthread_create(&th[i], NULL, c_read, &rd[i]), 0);
	}
	/* Groups grow to a few members and shrink back, keys come and go. */
	for (ops = 0; ops < 200000; ops++) {
		unsigned int k = (unsigned int)(rnd(&s) % C_KEYS);
		struct sock_demux_key key;

		memset(&key, 0, sizeof(key));
		key.proto = IPPROTO_UDP;
		key.laddr = c_addr(k);
		key.lport = 4000;
		if (members[k] < 6 && (members[k] == 0 || rnd(&s) % 2)) {
			cr_assert_eq(sock_demux_add(d, &key, c_sock(k, members[k]), 0,
						    SOCK_DEMUX_REUSEPORT), 0);
			members[k]++;
		} else {
			members[k]--;
			cr_assert_eq(sock_demux_del(d, &key, c_sock(k, members[k])), 0);
		}
		if (ops % 64 == 0)
			c_reclaim();
	}
	atomic_store(&c_stop, true);
	for (i = 0; i < C_READERS; i++) {
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		cr_assert_eq(rd[i].wrong, 0, "reader %u saw %llu wrong sockets", i,
			     (unsigned long long)rd[i].wrong);
		cr_assert_gt(rd[i].lookups, 1000);
		cr_assert_gt(rd[i].hits, 100);
	}
	/* Readers are gone: everything retired may go. */
	atomic_store(&c_seen[0], UINT64_MAX);
	atomic_store(&c_seen[1], UINT64_MAX);
	c_reclaim();
	cr_assert_eq(c_nretired, 0);
	cr_assert_gt(c_freed, 100000);
	free(c_retired);
	c_retired = NULL;
	c_nretired = c_capretired = 0;
	sock_demux_destroy(d);
}
