/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the daemon's socket table (lib/sock/sock_ctl.c): the port
 * allocator, Linux's bind rules, and UDP demultiplexing precedence (a
 * connected 4-tuple, then the bound address, then the wildcard), driven the
 * way an application drives them: requests written into its segment's
 * request ring, answers read from the completion ring.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "dp_eal.h"
#include "route/fib4.h"
#include "sock/sock.h"
#include "sock/sock_int.h"
#include "sock/sock_mcast.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define LOCAL IP(10, 0, 0, 1)

struct fake_app {
	struct rs_app *a;
	int kfd;               /* the app's end of its unix socket: kicks come here */
	struct shm_ring req, cpl;
	uint32_t seq;
	bool keep;             /* keep the next kick's descriptor in kept */
	int kept;
};

/* UDP demultiplexing as udp_input asks it (host order addresses). */
static struct rs_sock *sock_lookup(uint32_t dst, uint16_t dport, uint32_t src, uint16_t sport)
{
	struct rs_ip d = rs_ip_from4(dst), s = rs_ip_from4(src);
	uint32_t h = (src ^ ((uint32_t)sport << 16 | dport)) * 0x9e3779b1u;
	return sock_demux_lookup(sock_demux_tbl, IPPROTO_UDP, &d, dport, &s, sport, h ^ (h >> 15));
}

#define SOCK(f, sd) ((f).a->own[(sd)])

static void setup(void)
{
	ut_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	rs_dp.rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	cr_assert_eq(rte_rcu_qsbr_init(rs_dp.rcu, 1), 0);
	struct rs_cfg *c = calloc(1, sizeof(*c));
	c->ifaces[0].present = c->ifaces[0].up = true;
	c->ifaces[0].naddrs = 1;
	c->ifaces[0].addrs[0].ip = LOCAL;
	c->ifaces[0].addrs[0].plen = 24;
	atomic_store(&rs_dp.cfg, c);
	cr_assert_eq(fib4_init(1024, 64, rs_dp.rcu), 0);
	struct route4 r = { .prefix = LOCAL, .plen = 32, .type = RT_LOCAL };
	cr_assert_eq(fib4_route_add(&r, false), 0);
	r = (struct route4){ .prefix = IP(10, 0, 0, 0), .plen = 24, .type = RT_UNICAST };
	cr_assert_eq(fib4_route_add(&r, false), 0);
	cr_assert_eq(sock_init(), 0);
}

static void teardown(void)
{
	sock_fini();
	fib4_fini();
	ut_eal_fini();
}

TestSuite(sock, .init = setup, .fini = teardown, .timeout = 60);

static void app_new(struct fake_app *f)
{
	struct rs_attach_req req = { .version = RS_SHM_VERSION, .pid = 1 };
	strcpy(req.name, "ut");
	memset(f, 0, sizeof(*f));
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->kfd = sv[1];
	f->a = sock_app_attach(sv[0], &req, sizeof(req), 1, 0, 0);
	cr_assert_not_null(f->a);
	const struct rs_shm_hdr *h = (const void *)f->a->base;
	cr_assert_eq(shm_ring_init(&f->req, (void *)(f->a->base + h->req.hdr_off),
				   f->a->base + h->req.data_off, h->req.size, SHM_RING_PROD), 0);
	cr_assert_eq(shm_ring_init(&f->cpl, (void *)(f->a->base + h->cpl.hdr_off),
				   f->a->base + h->cpl.data_off, h->cpl.size, SHM_RING_CONS), 0);
}

/* The completion's kick byte (and the wake descriptor of a new socket,
 * closed: the tests drive the rings directly). */
static void take_kick(struct fake_app *f)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	cr_assert_eq(recvmsg(f->kfd, &mh, MSG_DONTWAIT), 1, "no kick for a completion");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_type == SCM_RIGHTS)
			for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				if (f->keep) {
					f->kept = fd;
					f->keep = false;
				} else {
					close(fd);
				}
			}
}

/* One request, as libringsock sends it; returns the completion's ret. */
static int op(struct fake_app *f, uint16_t opc, int32_t sd, const int32_t *a, uint32_t ip,
	      uint16_t port, int fd, struct rs_scpl *out)
{
	struct rs_sreq r;
	memset(&r, 0, sizeof(r));
	r.seq = ++f->seq;
	r.op = opc;
	r.sd = sd;
	if (a)
		memcpy(r.a, a, sizeof(r.a));
	r.addr.family = ip == 0xfffffffe ? AF_UNSPEC : AF_INET;
	struct rs_ip x = rs_ip_from4(ip == 0xfffffffe ? 0 : ip);
	memcpy(r.addr.addr, x.b, 16);
	r.addr.port = port;
	struct iovec iov = { &r, sizeof(r) };
	cr_assert_eq(shm_rec_write(&f->req, NULL, 0, &iov, 1, 0), 0);
	(void)fd;
	sock_app_kicks(f->a, 1);
	take_kick(f);
	struct rs_scpl c;
	struct iovec ci = { &c, sizeof(c) };
	struct shm_rec rec;
	cr_assert_eq(shm_rec_read(&f->cpl, NULL, 0, &ci, 1, &rec), (ssize_t)sizeof(c));
	cr_assert_eq(c.seq, r.seq);
	if (out)
		*out = c;
	return c.ret;
}

static int t_sock_new(struct fake_app *f)
{
	int32_t a[3] = { AF_INET, SOCK_DGRAM, 0 };
	int sd = op(f, RS_SOP_SOCKET, 0, a, 0, 0, -1, NULL);
	cr_assert_geq(sd, 0, "socket: %d", sd);
	return sd;
}

static int set_int(struct fake_app *f, int sd, int level, int name, int v)
{
	struct rs_sreq r;
	memset(&r, 0, sizeof(r));
	r.seq = ++f->seq;
	r.op = RS_SOP_SETSOCKOPT;
	r.sd = sd;
	r.a[0] = level;
	r.a[1] = name;
	r.optlen = sizeof(int);
	memcpy(r.opt, &v, sizeof(v));
	struct iovec iov = { &r, sizeof(r) };
	cr_assert_eq(shm_rec_write(&f->req, NULL, 0, &iov, 1, 0), 0);
	sock_app_kicks(f->a, 1);
	take_kick(f);
	struct rs_scpl c;
	struct iovec ci = { &c, sizeof(c) };
	cr_assert_eq(shm_rec_read(&f->cpl, NULL, 0, &ci, 1, NULL), (ssize_t)sizeof(c));
	return c.ret;
}

static uint16_t local_port(struct fake_app *f, int sd)
{
	struct rs_scpl c;
	cr_assert_eq(op(f, RS_SOP_GETSOCKNAME, sd, NULL, 0, 0, -1, &c), 0);
	return c.addr.port;
}

Test(sock, socket_argument_errors)
{
	struct fake_app f;
	app_new(&f);
	/* AF_INET6: UDP and TCP served; other families not */
	int32_t a6[3] = { AF_INET6, SOCK_STREAM, 0 }, u6[3] = { AF_INET6, SOCK_DGRAM, 0 }, st[3] = { AF_INET, SOCK_STREAM, 0 },
		tcp[3] = { AF_INET, SOCK_DGRAM, IPPROTO_TCP }, ok[3] = { AF_INET, SOCK_DGRAM, 0 },
		pk[3] = { AF_PACKET, SOCK_DGRAM, 0 };
	cr_assert_geq(op(&f, RS_SOP_SOCKET, 0, a6, 0, 0, -1, NULL), 0, "TCP over IPv6");
	cr_assert_eq(op(&f, RS_SOP_SOCKET, 0, pk, 0, 0, -1, NULL), -EAFNOSUPPORT);
	cr_assert_geq(op(&f, RS_SOP_SOCKET, 0, u6, 0, 0, -1, NULL), 0, "UDP over IPv6");
	cr_assert_geq(op(&f, RS_SOP_SOCKET, 0, st, 0, 0, -1, NULL), 0, "TCP");
	cr_assert_eq(op(&f, RS_SOP_SOCKET, 0, tcp, 0, 0, -1, NULL), -EPROTONOSUPPORT);
	cr_assert_geq(op(&f, RS_SOP_SOCKET, 0, ok, 0, 0, -1, NULL), 0);
	cr_assert_eq(op(&f, RS_SOP_BIND, 63, NULL, 0, 0, -1, NULL), -EBADF);
	cr_assert_eq(op(&f, RS_SOP_BIND, -5, NULL, 0, 0, -1, NULL), -EBADF);
}

Test(sock, ephemeral_ports_are_unique_and_in_range)
{
	struct fake_app f;
	app_new(&f);
	uint16_t seen[40];
	for (int i = 0; i < 40; i++) {
		int sd = t_sock_new(&f);
		cr_assert_eq(op(&f, RS_SOP_BIND, sd, NULL, 0, 0, -1, NULL), 0);
		seen[i] = local_port(&f, sd);
		cr_assert(seen[i] >= RS_EPHEMERAL_LO && seen[i] <= RS_EPHEMERAL_HI, "%u", seen[i]);
		for (int j = 0; j < i; j++)
			cr_assert_neq(seen[i], seen[j], "port %u given twice", seen[i]);
	}
}

Test(sock, port_range_is_configurable_and_exhausts_with_eagain)
{
	struct fake_app f;
	app_new(&f);
	sock_ports_set_range(sock_ports_tbl, 40000, 40002);
	for (int i = 0; i < 3; i++) {
		int sd = t_sock_new(&f);
		cr_assert_eq(op(&f, RS_SOP_BIND, sd, NULL, 0, 0, -1, NULL), 0);
		uint16_t p = local_port(&f, sd);
		cr_assert(p >= 40000 && p <= 40002, "%u", p);
	}
	int sd = t_sock_new(&f);
	/* Linux's udp_lib_get_port: EADDRINUSE when no port is left */
	cr_assert_eq(op(&f, RS_SOP_BIND, sd, NULL, 0, 0, -1, NULL), -EADDRINUSE, "range exhausted");
}

Test(sock, bind_rules_as_linux_udp)
{
	struct fake_app f, g;
	app_new(&f);
	app_new(&g);
	int s1 = t_sock_new(&f), s2 = t_sock_new(&g), s3 = t_sock_new(&g);
	cr_assert_eq(op(&f, RS_SOP_BIND, s1, NULL, LOCAL, 5000, -1, NULL), 0);
	cr_assert_eq(op(&f, RS_SOP_BIND, s1, NULL, LOCAL, 5001, -1, NULL), -EINVAL, "bound twice");
	/* same port: same address or either wildcard is taken, across apps */
	cr_assert_eq(op(&g, RS_SOP_BIND, s2, NULL, LOCAL, 5000, -1, NULL), -EADDRINUSE);
	cr_assert_eq(op(&g, RS_SOP_BIND, s2, NULL, 0, 5000, -1, NULL), -EADDRINUSE);
	/* not an address of ours */
	cr_assert_eq(op(&g, RS_SOP_BIND, s2, NULL, IP(10, 0, 0, 9), 6000, -1, NULL), -EADDRNOTAVAIL);
	/* SO_REUSEADDR on both: allowed */
	int s4 = t_sock_new(&f);
	cr_assert_eq(set_int(&f, s4, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	cr_assert_eq(set_int(&g, s3, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	cr_assert_eq(op(&f, RS_SOP_BIND, s4, NULL, 0, 7000, -1, NULL), 0);
	cr_assert_eq(op(&g, RS_SOP_BIND, s3, NULL, 0, 7000, -1, NULL), 0);
	/* closing frees the port at once */
	cr_assert_eq(op(&f, RS_SOP_CLOSE, s1, NULL, 0, 0, -1, NULL), 0);
	cr_assert_eq(op(&g, RS_SOP_BIND, s2, NULL, LOCAL, 5000, -1, NULL), 0);
}

Test(sock, demux_precedence_connected_then_bound_then_wildcard)
{
	struct fake_app f;
	app_new(&f);
	int wild = t_sock_new(&f), bound = t_sock_new(&f), conn = t_sock_new(&f);
	cr_assert_eq(op(&f, RS_SOP_BIND, wild, NULL, 0, 9000, -1, NULL), 0);
	cr_assert_null(sock_lookup(LOCAL, 9001, IP(10, 0, 0, 2), 1234));
	cr_assert_eq(sock_lookup(LOCAL, 9000, IP(10, 0, 0, 2), 1234), SOCK(f, wild));
	/* a socket bound to the address beats the wildcard (SO_REUSEADDR lets
	 * them share the port, as on Linux) */
	cr_assert_eq(set_int(&f, wild, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	cr_assert_eq(set_int(&f, bound, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	cr_assert_eq(op(&f, RS_SOP_BIND, bound, NULL, LOCAL, 9000, -1, NULL), 0);
	cr_assert_eq(sock_lookup(LOCAL, 9000, IP(10, 0, 0, 2), 1234), SOCK(f, bound));
	/* a connected socket takes exactly its peer's datagrams */
	cr_assert_eq(set_int(&f, conn, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	cr_assert_eq(op(&f, RS_SOP_BIND, conn, NULL, LOCAL, 9000, -1, NULL), 0);
	cr_assert_eq(op(&f, RS_SOP_CONNECT, conn, NULL, IP(10, 0, 0, 2), 1234, -1, NULL), 0);
	cr_assert_eq(sock_lookup(LOCAL, 9000, IP(10, 0, 0, 2), 1234), SOCK(f, conn));
	cr_assert_eq(sock_lookup(LOCAL, 9000, IP(10, 0, 0, 2), 1235), SOCK(f, bound));
	cr_assert_eq(sock_lookup(LOCAL, 9000, IP(10, 0, 0, 3), 1234), SOCK(f, bound));
	/* disconnect (AF_UNSPEC): back to the bound key */
	cr_assert_eq(op(&f, RS_SOP_CONNECT, conn, NULL, 0xfffffffe, 0, -1, NULL), 0);
	cr_assert_eq(op(&f, RS_SOP_CLOSE, bound, NULL, 0, 0, -1, NULL), 0);
	cr_assert_eq(sock_lookup(LOCAL, 9000, IP(10, 0, 0, 2), 1234), SOCK(f, conn));
}

Test(sock, connect_autobinds_with_the_route_source)
{
	struct fake_app f;
	app_new(&f);
	int sd = t_sock_new(&f);
	cr_assert_eq(op(&f, RS_SOP_CONNECT, sd, NULL, IP(192, 0, 2, 1), 7, -1, NULL), -ENETUNREACH);
	cr_assert_eq(op(&f, RS_SOP_CONNECT, sd, NULL, IP(10, 0, 0, 2), 0, -1, NULL), -ECONNREFUSED);
	cr_assert_eq(op(&f, RS_SOP_CONNECT, sd, NULL, IP(10, 0, 0, 2), 7, -1, NULL), 0);
	struct rs_scpl c;
	cr_assert_eq(op(&f, RS_SOP_GETSOCKNAME, sd, NULL, 0, 0, -1, &c), 0);
	struct rs_ip got;
	memcpy(got.b, c.addr.addr, 16);
	cr_assert_eq(rs_ip_v4(&got), LOCAL);
	cr_assert_geq(c.addr.port, RS_EPHEMERAL_LO);
	cr_assert_eq(op(&f, RS_SOP_GETPEERNAME, sd, NULL, 0, 0, -1, &c), 0);
	cr_assert_eq(c.addr.port, 7);
	/* broadcast peers need SO_BROADCAST */
	int b = t_sock_new(&f);
	cr_assert_eq(op(&f, RS_SOP_CONNECT, b, NULL, 0xffffffff, 7, -1, NULL), -EACCES);
}

Test(sock, reuseport_group_spreads_and_keeps_flows)
{
	struct fake_app f;
	app_new(&f);
	int s[3];
	for (int i = 0; i < 3; i++) {
		s[i] = t_sock_new(&f);
		cr_assert_eq(set_int(&f, s[i], SOL_SOCKET, SO_REUSEPORT, 1), 0);
		cr_assert_eq(op(&f, RS_SOP_BIND, s[i], NULL, LOCAL, 9100, -1, NULL), 0);
	}
	int other = t_sock_new(&f);
	cr_assert_eq(op(&f, RS_SOP_BIND, other, NULL, LOCAL, 9100, -1, NULL), -EADDRINUSE);
	int hits[3] = { 0 };
	for (uint16_t p = 1000; p < 1300; p++) {
		struct rs_sock *x = sock_lookup(LOCAL, 9100, IP(10, 0, 0, 2), p);
		cr_assert_eq(sock_lookup(LOCAL, 9100, IP(10, 0, 0, 2), p), x, "flow moved");
		for (int i = 0; i < 3; i++)
			hits[i] += x == SOCK(f, s[i]);
	}
	for (int i = 0; i < 3; i++)
		cr_assert_gt(hits[i], 50, "member %d got %d of 300 flows", i, hits[i]);
	/* a member leaves: the others take its flows */
	cr_assert_eq(op(&f, RS_SOP_CLOSE, s[1], NULL, 0, 0, -1, NULL), 0);
	for (uint16_t p = 1000; p < 1100; p++)
		cr_assert_neq(sock_lookup(LOCAL, 9100, IP(10, 0, 0, 2), p), SOCK(f, s[1]));
}

Test(sock, detach_frees_everything_of_an_app)
{
	struct fake_app f, g;
	app_new(&f);
	app_new(&g);
	int sd = t_sock_new(&f);
	cr_assert_eq(op(&f, RS_SOP_BIND, sd, NULL, 0, 9200, -1, NULL), 0);
	sock_app_detach(f.a);
	rs_sync();
	cr_assert_null(sock_lookup(LOCAL, 9200, IP(10, 0, 0, 2), 1));
	int s2 = t_sock_new(&g);
	cr_assert_eq(op(&g, RS_SOP_BIND, s2, NULL, 0, 9200, -1, NULL), 0, "port not freed");
}

/* Wake-up bytes waiting on the application's end of a wake pair, consumed. */
static int wakeups(int fd)
{
	char b[64];
	int n = 0;
	ssize_t k;
	while ((k = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		n += (int)k;
	return n;
}

/* sock_wake sends one byte per arming (sock_shm.h, app_woken): nothing
 * while nobody sleeps, one for any number of events while a sleeper is
 * armed, one more once the application armed again. A bulk receiver
 * asleep while a burst lands costs the worker one send(), not one per
 * segment. */
Test(sock, one_wakeup_per_arming)
{
	struct fake_app f;
	app_new(&f);
	f.keep = true;
	int sd = t_sock_new(&f), afd = f.kept;
	cr_assert_geq(afd, 0, "no wake descriptor came with the socket");
	struct rs_sock *s = SOCK(f, sd);
	cr_assert_not_null(s);
	for (int i = 0; i < 100; i++)
		sock_wake(s);
	cr_assert_eq(wakeups(afd), 0, "woken with nobody asleep");
	atomic_store(&s->shm->app_wait, 1);	/* a sleeper, armed */
	for (int i = 0; i < 100; i++)
		sock_wake(s);
	cr_assert_eq(wakeups(afd), 1, "100 events while armed once");
	for (int i = 0; i < 100; i++)
		sock_wake(s);
	cr_assert_eq(wakeups(afd), 0, "not armed again");
	atomic_store(&s->shm->app_woken, 0);	/* it armed again */
	sock_set_error(s, ECONNRESET);
	sock_wake(s);
	cr_assert_eq(wakeups(afd), 1);
	/* the application's word is hostile: any value costs it only its
	 * own wake-ups */
	atomic_store(&s->shm->app_woken, 0xffffffffu);
	sock_wake(s);
	cr_assert_eq(wakeups(afd), 0);
	close(afd);
}

/* ---- AF_INET6 (UDP): dual stack and IPV6_V6ONLY ---- */

static int op6(struct fake_app *f, uint16_t opc, int sd, const uint8_t ip[16], uint16_t port)
{
	struct rs_sreq r;
	memset(&r, 0, sizeof(r));
	r.seq = ++f->seq;
	r.op = opc;
	r.sd = sd;
	r.addr.family = AF_INET6;
	memcpy(r.addr.addr, ip, 16);
	r.addr.port = port;
	struct iovec iov = { &r, sizeof(r) };
	cr_assert_eq(shm_rec_write(&f->req, NULL, 0, &iov, 1, 0), 0);
	sock_app_kicks(f->a, 1);
	take_kick(f);
	struct rs_scpl c;
	struct iovec ci = { &c, sizeof(c) };
	cr_assert_eq(shm_rec_read(&f->cpl, NULL, 0, &ci, 1, NULL), (ssize_t)sizeof(c));
	return c.ret;
}

Test(sock, inet6_dual_stack_and_v6only)
{
	struct fake_app f;
	app_new(&f);
	int32_t a6[3] = { AF_INET6, SOCK_DGRAM, 0 };
	static const uint8_t any[16], g6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	int dual = op(&f, RS_SOP_SOCKET, 0, a6, 0, 0, -1, NULL);
	int only = op(&f, RS_SOP_SOCKET, 0, a6, 0, 0, -1, NULL);
	cr_assert_geq(dual, 0);
	cr_assert_geq(only, 0);
	cr_assert_eq(set_int(&f, dual, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 300), -EINVAL);
	cr_assert_eq(set_int(&f, dual, IPPROTO_IPV6, IPV6_TCLASS, 256), -EINVAL);
	cr_assert_eq(set_int(&f, dual, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9), 0);
	cr_assert_eq(SOCK(f, dual)->hops, 9);
	cr_assert_eq(set_int(&f, only, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
	/* an IPv4-mapped address on a V6ONLY socket: EINVAL (inet6_bind) */
	struct rs_ip m = rs_ip_from4(LOCAL);
	cr_assert_eq(op6(&f, RS_SOP_BIND, only, m.b, 5001), -EINVAL);
	cr_assert_eq(op6(&f, RS_SOP_BIND, dual, any, 5000), 0);
	cr_assert_eq(op6(&f, RS_SOP_BIND, only, any, 5001), 0);
	/* fixed once bound */
	cr_assert_eq(set_int(&f, dual, IPPROTO_IPV6, IPV6_V6ONLY, 1), -EINVAL);
	/* IPv4 reaches the dual-stack wildcard, not the V6ONLY one */
	cr_assert_eq(sock_lookup(LOCAL, 5000, IP(10, 0, 0, 2), 1234), SOCK(f, dual));
	cr_assert_null(sock_lookup(LOCAL, 5001, IP(10, 0, 0, 2), 1234));
	/* IPv6 reaches both */
	struct rs_ip d6 = rs_ip_from6(g6), s6 = d6;
	s6.b[15] = 2;
	cr_assert_eq(sock_demux_lookup(sock_demux_tbl, IPPROTO_UDP, &d6, 5000, &s6, 1, 0),
		     SOCK(f, dual));
	cr_assert_eq(sock_demux_lookup(sock_demux_tbl, IPPROTO_UDP, &d6, 5001, &s6, 1, 0),
		     SOCK(f, only));
	/* names come back as AF_INET6, the wildcard as :: */
	struct rs_scpl c;
	cr_assert_eq(op(&f, RS_SOP_GETSOCKNAME, dual, NULL, 0, 0, -1, &c), 0);
	cr_assert_eq(c.addr.family, AF_INET6);
	cr_assert_eq(c.addr.port, 5000);
	cr_assert_eq(memcmp(c.addr.addr, any, 16), 0);
	/* a link-local address without a scope id cannot be bound */
	int ll = op(&f, RS_SOP_SOCKET, 0, a6, 0, 0, -1, NULL);
	static const uint8_t lla[16] = { 0xfe, 0x80, [15] = 1 };
	cr_assert_eq(op6(&f, RS_SOP_BIND, ll, lla, 5002), -EINVAL);
}

/* SIGURG to an F_SETOWN owner goes only where Linux's sigio_perm lets it:
 * the application's effective uid is root or the target's real or saved
 * uid; a process group gets it process by process. */
static volatile sig_atomic_t n_urg;
static void on_urg(int sig)
{
	(void)sig;
	n_urg++;
}

static bool urg_seen(int want)
{
	for (int i = 0; i < 5000 && n_urg < want; i++)
		usleep(1000);
	return n_urg >= want;
}

Test(sock, sigurg_to_owner_with_permission_only)
{
	struct sigaction sa = { .sa_handler = on_urg }, old;
	uid_t me = getuid();

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGURG, &sa, &old), 0);
	n_urg = 0;
	/* another uid than ours (root's or a user's): refused, nothing sent */
	cr_assert_eq(sock_send_sigurg(getpid(), me == 12345 ? 12346 : 12345), 0);
	if (me != 0) {
		cr_assert_eq(sock_send_sigurg(getpid(), (uint32_t)me), 1);
	} else {
		cr_assert_eq(sock_send_sigurg(getpid(), 0), 1);
	}
	cr_assert(urg_seen(1));
	cr_assert_eq(n_urg, 1, "the refused one was sent too: %d", (int)n_urg);
	/* our process group: every member we may signal, we among them */
	cr_assert_geq(sock_send_sigurg(-(int32_t)getpgrp(), (uint32_t)me), 1);
	cr_assert(urg_seen(2));
	/* no owner, a process that does not exist, INT32_MIN */
	cr_assert_eq(sock_send_sigurg(0, 0), 0);
	cr_assert_eq(sock_send_sigurg(INT32_MAX, 0), 0);
	cr_assert_eq(sock_send_sigurg(INT32_MIN, 0), 0);
	sigaction(SIGURG, &old, NULL);
}

/* A setsockopt or getsockopt of len bytes at buf (getsockopt: len is the
 * caller's buffer, the answer in *out). */
static int sopt(struct fake_app *f, uint16_t opc, int sd, int level, int name, const void *buf,
		uint32_t len, struct rs_scpl *out)
{
	struct rs_sreq r;
	memset(&r, 0, sizeof(r));
	r.seq = ++f->seq;
	r.op = opc;
	r.sd = sd;
	r.a[0] = level;
	r.a[1] = name;
	r.a[2] = (int32_t)len;
	r.optlen = len;
	if (buf != NULL)
		memcpy(r.opt, buf, len);
	struct iovec iov = { &r, sizeof(r) };
	cr_assert_eq(shm_rec_write(&f->req, NULL, 0, &iov, 1, 0), 0);
	sock_app_kicks(f->a, 1);
	take_kick(f);
	struct rs_scpl c;
	struct iovec ci = { &c, sizeof(c) };
	cr_assert_eq(shm_rec_read(&f->cpl, NULL, 0, &ci, 1, NULL), (ssize_t)sizeof(c));
	if (out)
		*out = c;
	return c.ret;
}

static int mc4(struct fake_app *f, int sd, int name, uint32_t group, uint32_t addr, int ifindex,
	       uint32_t len)
{
	struct ip_mreqn m = { .imr_multiaddr.s_addr = htonl(group),
			      .imr_address.s_addr = htonl(addr), .imr_ifindex = ifindex };
	return sopt(f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, name, &m, len, NULL);
}

static int get_ip(struct fake_app *f, int sd, int name, uint32_t len)
{
	struct rs_scpl c;
	cr_assert_eq(sopt(f, RS_SOP_GETSOCKOPT, sd, IPPROTO_IP, name, NULL, len, &c), 0);
	int v = 0;
	memcpy(&v, c.opt, c.optlen < sizeof(v) ? c.optlen : sizeof(v));
	return v;
}

/* IPv4 multicast options as Linux's do_ip_setsockopt / ip_mc_join_group /
 * ip_mc_leave_group answer them (link 0 is ifindex 1, address LOCAL; the
 * FIB has no route for groups, so naming no link is ENODEV). */
Test(sock, ip4_multicast_options_as_linux)
{
	struct fake_app f;
	app_new(&f);
	int sd = t_sock_new(&f);
	const uint32_t g = IP(239, 1, 2, 3);
	struct rs_ip gi = rs_ip_from4(g);
	const uint32_t MREQ = sizeof(struct ip_mreq), MREQN = sizeof(struct ip_mreqn);
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, IP(10, 0, 0, 9), 0, 1, MREQN), -EINVAL);
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, 0, 1, MREQ - 1), -EINVAL);
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, 0, 77, MREQN), -ENODEV);
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, IP(10, 0, 0, 77), 0, MREQ), -ENODEV);
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, 0, 0, MREQ), -ENODEV, "no route to the group");
	cr_assert_eq(mc4(&f, sd, IP_DROP_MEMBERSHIP, g, 0, 1, MREQN), -EADDRNOTAVAIL);
	cr_assert(!sock_mc_host_joined(0, &gi));
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, 0, 1, MREQN), 0);
	cr_assert(sock_mc_host_joined(0, &gi));
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, LOCAL, 0, MREQ), -EADDRINUSE,
		     "the same link named by its address");
	cr_assert_eq(mc4(&f, sd, IP_DROP_MEMBERSHIP, g, 0, 5, MREQN), -EADDRNOTAVAIL);
	cr_assert_eq(mc4(&f, sd, IP_DROP_MEMBERSHIP, g, LOCAL, 0, MREQ), 0);
	cr_assert(!sock_mc_host_joined(0, &gi));
	/* MCAST_JOIN_GROUP with a group_req */
	struct group_req gr = { .gr_interface = 1 };
	struct sockaddr_in sin = { .sin_family = AF_INET6, .sin_addr.s_addr = htonl(g) };
	memcpy(&gr.gr_group, &sin, sizeof(sin));
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr),
			  NULL), -EINVAL, "not an AF_INET group");
	sin.sin_family = AF_INET;
	memcpy(&gr.gr_group, &sin, sizeof(sin));
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr),
			  NULL), 0);
	cr_assert(sock_mc_host_joined(0, &gi));
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr),
			  NULL), -EADDRINUSE);
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, MCAST_LEAVE_GROUP, &gr, sizeof(gr),
			  NULL), 0);
	cr_assert(!sock_mc_host_joined(0, &gi));
	/* defaults */
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_TTL, 4), 1);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_LOOP, 4), 1);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_ALL, 4), 1);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_IF, 4), 0);
	/* TTL: -1 is the default, 0..255, one byte is taken as one */
	cr_assert_eq(set_int(&f, sd, IPPROTO_IP, IP_MULTICAST_TTL, 256), -EINVAL);
	cr_assert_eq(set_int(&f, sd, IPPROTO_IP, IP_MULTICAST_TTL, 0), 0);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_TTL, 4), 0);
	cr_assert_eq(set_int(&f, sd, IPPROTO_IP, IP_MULTICAST_TTL, -1), 0);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_TTL, 4), 1);
	uint8_t one = 7;
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, IP_MULTICAST_TTL, &one, 1, NULL), 0);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_TTL, 4), 7);
	cr_assert_eq(set_int(&f, sd, IPPROTO_IP, IP_MULTICAST_ALL, 2), -EINVAL);
	cr_assert_eq(set_int(&f, sd, IPPROTO_IP, IP_MULTICAST_ALL, 0), 0);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_ALL, 4), 0);
	cr_assert_eq(set_int(&f, sd, IPPROTO_IP, IP_MULTICAST_LOOP, 5), 0);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_LOOP, 4), 1);
	/* IP_MULTICAST_IF: an in_addr, an ip_mreq's second field, an ip_mreqn */
	uint32_t a = htonl(LOCAL);
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, IP_MULTICAST_IF, &a, 4, NULL), 0);
	cr_assert_eq((uint32_t)get_ip(&f, sd, IP_MULTICAST_IF, 4), htonl(LOCAL));
	cr_assert_eq(mc4(&f, sd, IP_MULTICAST_IF, 0, 0, 1, MREQN), 0);
	cr_assert_eq(get_ip(&f, sd, IP_MULTICAST_IF, 4), 0, "set by index: no address");
	cr_assert_eq(mc4(&f, sd, IP_MULTICAST_IF, 0, 0, 77, MREQN), -EADDRNOTAVAIL);
	cr_assert_eq(mc4(&f, sd, IP_MULTICAST_IF, 0, IP(10, 0, 0, 77), 0, MREQ), -EADDRNOTAVAIL);
	cr_assert_eq(mc4(&f, sd, IP_MULTICAST_IF, 0, LOCAL, 0, MREQ), 0);
	cr_assert_eq((uint32_t)get_ip(&f, sd, IP_MULTICAST_IF, 4), htonl(LOCAL));
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, sd, IPPROTO_IP, IP_MULTICAST_IF, &a, 3, NULL), -EINVAL);
	/* a stream socket */
	int32_t ta[3] = { AF_INET, SOCK_STREAM, 0 };
	int t = op(&f, RS_SOP_SOCKET, 0, ta, 0, 0, -1, NULL);
	cr_assert_geq(t, 0);
	cr_assert_eq(mc4(&f, t, IP_ADD_MEMBERSHIP, g, 0, 1, MREQN), -EPROTO);
	cr_assert_eq(mc4(&f, t, IP_ADD_MEMBERSHIP, g, 0, 1, 2), -EPROTO, "before the length");
	cr_assert_eq(set_int(&f, t, IPPROTO_IP, IP_MULTICAST_TTL, 3), -EINVAL);
	cr_assert_eq(sopt(&f, RS_SOP_SETSOCKOPT, t, IPPROTO_IP, IP_MULTICAST_IF, &a, 4, NULL), -EINVAL);
	/* close leaves: a joined group goes with the socket */
	cr_assert_eq(mc4(&f, sd, IP_ADD_MEMBERSHIP, g, 0, 1, MREQN), 0);
	cr_assert(sock_mc_host_joined(0, &gi));
	cr_assert_eq(op(&f, RS_SOP_CLOSE, sd, NULL, 0, 0, -1, NULL), 0);
	cr_assert(!sock_mc_host_joined(0, &gi));
}
