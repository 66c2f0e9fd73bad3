/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast membership (lib/sock/sock_mcast.c) and the path MTU cache
 * (lib/ip6/pmtu.c), on the control thread with RCU reclamation and no
 * worker:
 *  - a socket's joins and leaves, their errno (EADDRINUSE, EADDRNOTAVAIL,
 *    ENOBUFS at the per-socket bound), leave by "any link";
 *  - the host's groups are counted over sockets: the family hook hears
 *    the first join and the last leave only, and workers' lookups follow;
 *  - dropping a closing socket's memberships leaves them all;
 *  - IPV6_MULTICAST_ALL decides for groups the socket did not join;
 *  - the path MTU only shrinks while its entry lives, never below 1280
 *    (576-ish 552 for IPv4), expires, and a full bucket evicts the oldest.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/dp.h"
#include "ip6/pmtu.h"
#include "sock/sock.h"
#include "sock/sock_mcast.h"

#include "dp_eal.h"

static struct rte_rcu_qsbr *ut_rcu;

static void setup(void)
{
	ut_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	ut_rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	cr_assert_not_null(ut_rcu);
	cr_assert_eq(rte_rcu_qsbr_init(ut_rcu, 1), 0);
	rs_dp.rcu = ut_rcu;
	rs_dp.nb_workers = 0;
	struct rs_cfg *c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	atomic_store(&rs_dp.cfg, c);
}

static void teardown(void)
{
	rs_sync();
	free(atomic_load(&rs_dp.cfg));
	atomic_store(&rs_dp.cfg, NULL);
	rte_free(ut_rcu);
	ut_eal_fini();
}

TestSuite(mcast, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(pmtu, .init = setup, .fini = teardown, .timeout = 60);

static struct rs_ip grp(uint16_t last)
{
	struct rs_ip g = { .b = { 0xff, 0x0e } };
	g.b[14] = (uint8_t)(last >> 8);
	g.b[15] = (uint8_t)last;
	return g;
}

static int joins, leaves;
static void hook(uint16_t iface, const struct rs_ip *group, bool join)
{
	(void)iface;
	(void)group;
	if (join)
		joins++;
	else
		leaves++;
}

static struct rs_sock *mksock(void)
{
	struct rs_sock *s = calloc(1, sizeof(*s));
	cr_assert_not_null(s);
	s->mc_all = true;
	return s;
}

Test(mcast, join_leave_errno_and_host_counts)
{
	sock_mc_set_change_hook(AF_INET6, hook);
	joins = leaves = 0;
	struct rs_sock *a = mksock(), *b = mksock();
	struct rs_ip g = grp(1);
	cr_assert(!sock_mc_host_joined(0, &g));
	cr_assert_eq(sock_mc_join(a, &g, 0), 0);
	cr_assert_eq(sock_mc_join(a, &g, 0), -EADDRINUSE);
	cr_assert_eq(sock_mc_join(a, &g, 1), 0, "the same group on another link");
	cr_assert_eq(sock_mc_join(b, &g, 0), 0);
	cr_assert_eq(joins, 2, "first member per (link, group) only");
	cr_assert(sock_mc_host_joined(0, &g) && sock_mc_host_joined(1, &g));
	cr_assert(!sock_mc_host_joined(2, &g));
	struct rs_ip out[8];
	cr_assert_eq(sock_mc_host_groups(AF_INET6, 0, out, 8), 1);
	cr_assert(rs_ip_eq(&out[0], &g));
	cr_assert_eq(sock_mc_leave(a, &g, 0), 0);
	cr_assert_eq(leaves, 0, "b still listens on link 0");
	cr_assert(sock_mc_host_joined(0, &g));
	cr_assert_eq(sock_mc_leave(a, &g, 0), -EADDRNOTAVAIL);
	cr_assert_eq(sock_mc_leave(a, &g, -1), 0, "any link: the one on link 1");
	cr_assert_eq(leaves, 1);
	cr_assert(!sock_mc_host_joined(1, &g));
	sock_mc_drop_all(b);
	cr_assert_eq(leaves, 2);
	cr_assert(!sock_mc_host_joined(0, &g));
	cr_assert_null(atomic_load(&b->mc));
	rs_sync();
	free(a);
	free(b);
}

Test(mcast, per_socket_bound_and_drop_all)
{
	sock_mc_set_change_hook(AF_INET6, hook);
	joins = leaves = 0;
	struct rs_sock *a = mksock();
	for (uint16_t i = 0; i < SOCK_MC_MAX_PER_SOCK; i++) {
		struct rs_ip g = grp(i);
		cr_assert_eq(sock_mc_join(a, &g, 0), 0);
	}
	struct rs_ip extra = grp(9999);
	cr_assert_eq(sock_mc_join(a, &extra, 0), -ENOBUFS);
	cr_assert(!sock_mc_host_joined(0, &extra));
	struct rs_ip mid = grp(100);
	cr_assert(sock_mc_host_joined(0, &mid));
	sock_mc_drop_all(a);
	cr_assert_eq(joins, SOCK_MC_MAX_PER_SOCK);
	cr_assert_eq(leaves, SOCK_MC_MAX_PER_SOCK);
	cr_assert(!sock_mc_host_joined(0, &mid));
	rs_sync();
	free(a);
}

Test(mcast, accepts_joined_or_multicast_all)
{
	struct rs_sock *a = mksock();
	struct rs_ip g = grp(7), other = grp(8);
	cr_assert_eq(sock_mc_join(a, &g, 3), 0);
	cr_assert(sock_mc_accepts(a, &g, 0));
	cr_assert(sock_mc_accepts(a, &other, 0), "IPV6_MULTICAST_ALL: any group the host joined");
	a->mc_all = false;
	cr_assert(sock_mc_accepts(a, &g, 0), "joined on another link still counts (inet6_mc_check)");
	cr_assert(!sock_mc_accepts(a, &other, 0));
	sock_mc_drop_all(a);
	rs_sync();
	free(a);
}

static struct rs_ip dst6(uint16_t last)
{
	struct rs_ip d = { .b = { 0x20, 0x01, 0x0d, 0xb8 } };
	d.b[14] = (uint8_t)(last >> 8);
	d.b[15] = (uint8_t)last;
	return d;
}

Test(pmtu, shrinks_floors_expires)
{
	pmtu_flush();
	struct rs_ip d = dst6(1);
	uint64_t t = 1000;
	cr_assert_eq(pmtu_get(&d, t), 0);
	pmtu_update(&d, 1400, t);
	cr_assert_eq(pmtu_get(&d, t), 1400);
	pmtu_update(&d, 1450, t + 1);
	cr_assert_eq(pmtu_get(&d, t + 1), 1400, "RFC 8201 §4: no increase while it lives");
	pmtu_update(&d, 1000, t + 2);
	cr_assert_eq(pmtu_get(&d, t + 2), 1280, "never below the IPv6 minimum");
	cr_assert_eq(pmtu_get(&d, t + 2 + PMTU_EXPIRE_NS), 0, "expired");
	pmtu_update(&d, 1450, t + 2 + PMTU_EXPIRE_NS);
	cr_assert_eq(pmtu_get(&d, t + 3 + PMTU_EXPIRE_NS), 1450, "a new one after expiry");
	struct rs_ip d4 = rs_ip_from4(0x0a000002);
	pmtu_update(&d4, 100, t);
	cr_assert_eq(pmtu_get(&d4, t), 552);
	pmtu_flush();
	cr_assert_eq(pmtu_get(&d, t + 3 + PMTU_EXPIRE_NS), 0);
	rs_sync();
}

Test(pmtu, many_destinations_keep_the_newest)
{
	pmtu_flush();
	/* more destinations than the table holds: every lookup gives either
	 * nothing or what was set for that destination, and the newest
	 * PMTU_BUCKETS are mostly still there */
	unsigned n = PMTU_BUCKETS * PMTU_WAYS * 2, kept = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rs_ip d = dst6((uint16_t)i);
		pmtu_update(&d, 1300 + i % 100, 1000 + i);
	}
	for (unsigned i = 0; i < n; i++) {
		struct rs_ip d = dst6((uint16_t)i);
		uint32_t m = pmtu_get(&d, 1000 + n);
		cr_assert(m == 0 || m == 1300 + i % 100, "dst %u: %u", i, m);
		kept += m != 0 && i >= n - PMTU_BUCKETS;
	}
	cr_assert_gt(kept, PMTU_BUCKETS * 9 / 10, "%u of the newest %u kept", kept, PMTU_BUCKETS);
	pmtu_flush();
	rs_sync();
}
