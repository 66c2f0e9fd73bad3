/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential UDP socket tests: one source, built twice. udp_diff_linux
 * calls the kernel's socket API, udp_diff_rs (USE_RS) the same calls renamed
 * rs_* (libringsock). Each case prints one line per observable result:
 *
 *   case_name step: ret=<value> errno=<NAME or 0> [key=value ...]
 *
 * Output depends only on the behaviour under test: descriptors print as
 * "fd", addresses symbolically (local, peer, any, bcast), kernel-chosen
 * ports as "ephemeral-in-range" once checked against 32768..60999.
 *
 * Topology (set up by tests/diff/run.sh, the same for both runs): this
 * program on 10.0.0.1, a Linux peer at 10.0.0.2/24 that runs peer.py:
 * UDP echo on port 7, an "info" service on port 8 that answers
 * "ttl=T tos=S len=N" about the datagram it received (its replies leave with
 * TTL 33 and TOS 0x20), nothing on port 9999 (ICMP port unreachable).
 *
 * Cases without an rs_* counterpart print "unsupported" in the rs build, so
 * they appear as divergences (docs/divergences.md) instead of vanishing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "diff_common.h"

#define BCAST_IP "10.0.0.255"
#define NONLOCAL_IP "10.0.0.77"

static const char *ipname(struct in_addr in)
{
	static char b[4][INET_ADDRSTRLEN];
	static int k;
	char t[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &in, t, sizeof(t));
	if (in.s_addr == 0)
		return "any";
	if (!strcmp(t, LOCAL_IP))
		return "local";
	if (!strcmp(t, PEER_IP))
		return "peer";
	if (!strcmp(t, BCAST_IP))
		return "bcast";
	k = (k + 1) % 4;
	memcpy(b[k], t, sizeof(t));
	return b[k];
}

/* an address as ip:port, symbolically */
static const char *aname(const struct sockaddr_in *a, socklen_t len)
{
	static char b[4][64];
	static int k;
	k = (k + 1) % 4;
	if (len < sizeof(struct sockaddr_in) && len != 0) {
		snprintf(b[k], sizeof(b[k]), "short(%u)", (unsigned)len);
		return b[k];
	}
	if (a->sin_family != AF_INET) {
		snprintf(b[k], sizeof(b[k]), "family(%d)", a->sin_family);
		return b[k];
	}
	unsigned p = ntohs(a->sin_port);
	if (p >= EPH_LO && p <= EPH_HI)
		snprintf(b[k], sizeof(b[k]), "%s:ephemeral-in-range", ipname(a->sin_addr));
	else
		snprintf(b[k], sizeof(b[k]), "%s:%u", ipname(a->sin_addr), p);
	return b[k];
}

/* data: hex up to 32 bytes, else length and FNV-1a hash */
static const char *dname(const void *p, long n)
{
	static char b[128];
	const unsigned char *d = p;
	if (n < 0)
		return "none";
	if (n <= 32) {
		char *o = b;
		if (n == 0)
			return "empty";
		for (long i = 0; i < n; i++)
			o += sprintf(o, "%02x", d[i]);
		return b;
	}
	uint32_t h = 2166136261u;
	for (long i = 0; i < n; i++)
		h = (h ^ d[i]) * 16777619u;
	snprintf(b, sizeof(b), "len:%ld,fnv:%08x", n, h);
	return b;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* a socket for talking to the peer: blocking, 2 s receive timeout */
static int peer_sock(int typeflags)
{
	int fd = S(socket)(AF_INET, SOCK_DGRAM | typeflags, 0);
	struct timeval tv = { 2, 0 };
	if (fd >= 0)
		S(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return S(poll)(&p, 1, ms);
}

static char big[70000], rbig[70000];

/* ---- cases ---- */

static void c_socket(void)
{
	cs = "socket_basic";
	int fd;
	DO(fd = S(socket)(AF_INET, SOCK_DGRAM, 0)); rep_fd("dgram");
	xclose(fd);
	DO(fd = S(socket)(AF_INET, SOCK_DGRAM, IPPROTO_UDP)); rep_fd("dgram_udp");
	xclose(fd);
	DO(fd = S(socket)(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)); rep_fd("flags");
	xclose(fd);
	DO(S(close)(fd)); rep("close_again", NULL);

	cs = "socket_badtype";
	DO(fd = S(socket)(AF_INET, 77, 0)); rep_fd("type77");
	xclose(fd);

	cs = "eprotonosupport";
	DO(fd = S(socket)(AF_INET, SOCK_DGRAM, IPPROTO_TCP)); rep_fd("dgram_tcp");
	xclose(fd);

	cs = "eafnosupport_socket";
	DO(fd = S(socket)(250, SOCK_DGRAM, 0)); rep_fd("family250");
	xclose(fd);

	cs = "socket_inet6";
	DO(fd = S(socket)(AF_INET6, SOCK_DGRAM, 0)); rep_fd("inet6");
	xclose(fd);

	cs = "socket_stream";
	DO(fd = S(socket)(AF_INET, SOCK_STREAM, 0)); rep_fd("stream");
	xclose(fd);
}

static void c_ebadf(void)
{
	cs = "ebadf";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	S(close)(fd);
	struct sockaddr_in a = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	socklen_t al = sizeof(a);
	int v = 1;
	socklen_t vl = sizeof(v);
	char b[4] = "abc";
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("bind", NULL);
	DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
	DO(S(sendto)(fd, b, 3, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv", NULL);
	DO(S(getsockname)(fd, SA(&a), &al)); rep("getsockname", NULL);
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v))); rep("setsockopt", NULL);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &v, &vl)); rep("getsockopt", NULL);
	DO(S(fcntl)(fd, F_GETFL)); rep("fcntl", NULL);
	DO(S(close)(fd)); rep("close", NULL);
	DO(S(bind)(-1, SA(&a), sizeof(a))); rep("bind_minus1", NULL);
}

static void c_enotsock(void)
{
	cs = "enotsock";
	int pf[2];
	if (pipe(pf) < 0) {
		note("pipe", "setup failed");
		return;
	}
	struct sockaddr_in a = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	socklen_t al = sizeof(a);
	int v = 1;
	socklen_t vl = sizeof(v);
	char b[4] = "abc";
	DO(S(bind)(pf[0], SA(&a), sizeof(a))); rep("bind", NULL);
	DO(S(connect)(pf[0], SA(&p), sizeof(p))); rep("connect", NULL);
	DO(S(sendto)(pf[1], b, 3, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
	DO(S(recvfrom)(pf[0], b, sizeof(b), MSG_DONTWAIT, NULL, NULL)); rep("recvfrom", NULL);
	DO(S(getsockname)(pf[0], SA(&a), &al)); rep("getsockname", NULL);
	DO(S(getpeername)(pf[0], SA(&a), &al)); rep("getpeername", NULL);
	DO(S(setsockopt)(pf[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v))); rep("setsockopt", NULL);
	DO(S(getsockopt)(pf[0], SOL_SOCKET, SO_TYPE, &v, &vl)); rep("getsockopt", NULL);
	close(pf[0]);
	close(pf[1]);

	cs = "enotsock_close";
	if (pipe(pf) < 0)
		return;
	DO(S(close)(pf[0])); rep("close_pipe", NULL);
	close(pf[0]);
	close(pf[1]);
}

static void c_einval(void)
{
	cs = "einval";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	socklen_t al;
	DO(S(bind)(fd, SA(&a), sizeof(a) - 1)); rep("bind_short_addrlen", NULL);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("bind", NULL);
	struct sockaddr_in b2 = sin4("0.0.0.0", 5090);
	DO(S(bind)(fd, SA(&b2), sizeof(b2))); rep("bind_again", NULL);
	DO(S(connect)(fd, SA(&p), sizeof(p) - 1)); rep("connect_short_addrlen", NULL);
	DO(S(sendto)(fd, "x", 1, 0, SA(&p), sizeof(p) - 1)); rep("sendto_short_addrlen", NULL);
	struct sockaddr_in p0 = sin4(PEER_IP, 0);
	DO(S(sendto)(fd, "x", 1, 0, SA(&p0), sizeof(p0))); rep("sendto_port0", NULL);
	al = (socklen_t)-1;
	DO(S(getsockname)(fd, SA(&a), &al)); rep("getsockname_neg_len", NULL);
	short sh = 1;
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_RCVBUF, &sh, sizeof(sh))); rep("setsockopt_short", NULL);
	DO(S(fcntl)(fd, 1234)); rep("fcntl_unknown_cmd", NULL);
	xclose(fd);

	/* Linux binds an ephemeral port before it looks at the destination */
	cs = "autobind_on_failed_sendto";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	DO(S(sendto)(fd, "x", 1, 0, SA(&p0), sizeof(p0))); rep("sendto_port0", NULL);
	struct sockaddr_in g;
	al = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &al)); rep("getsockname", "addr=%s", aname(&g, al));
	xclose(fd);
}

static void c_eaddrinuse(void)
{
	cs = "eaddrinuse";
	int a = S(socket)(AF_INET, SOCK_DGRAM, 0), b = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in x = sin4("0.0.0.0", 5001), l = sin4(LOCAL_IP, 5001);
	DO(S(bind)(a, SA(&x), sizeof(x))); rep("bind_first", NULL);
	DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_same", NULL);
	DO(S(bind)(b, SA(&l), sizeof(l))); rep("bind_specific_under_wildcard", NULL);
	S(close)(a);
	DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_after_close", NULL);
	xclose(b);

	cs = "eaddrinuse_specific_then_wildcard";
	a = S(socket)(AF_INET, SOCK_DGRAM, 0);
	b = S(socket)(AF_INET, SOCK_DGRAM, 0);
	x = sin4("0.0.0.0", 5002);
	l = sin4(LOCAL_IP, 5002);
	DO(S(bind)(a, SA(&l), sizeof(l))); rep("bind_specific", NULL);
	DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_wildcard", NULL);
	xclose(a);
	xclose(b);

	cs = "reuseaddr";
	int one = 1;
	a = S(socket)(AF_INET, SOCK_DGRAM, 0);
	b = S(socket)(AF_INET, SOCK_DGRAM, 0);
	int c = S(socket)(AF_INET, SOCK_DGRAM, 0);
	x = sin4("0.0.0.0", 5003);
	DO(S(setsockopt)(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))); rep("set_a", NULL);
	DO(S(setsockopt)(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))); rep("set_b", NULL);
	int v = -1;
	socklen_t vl = sizeof(v);
	DO(S(getsockopt)(b, SOL_SOCKET, SO_REUSEADDR, &v, &vl)); rep("get_b", "val=%d len=%u", v, (unsigned)vl);
	DO(S(bind)(a, SA(&x), sizeof(x))); rep("bind_a", NULL);
	DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_b_both_reuse", NULL);
	DO(S(bind)(c, SA(&x), sizeof(x))); rep("bind_c_without_reuse", NULL);
	xclose(a);
	xclose(b);
	xclose(c);
}

static void c_reuseport(void)
{
	cs = "reuseport";
	int one = 1;
	int a = S(socket)(AF_INET, SOCK_DGRAM, 0), b = S(socket)(AF_INET, SOCK_DGRAM, 0);
	int c = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in x = sin4("0.0.0.0", 5007);
	DO(S(setsockopt)(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))); rep("set_a", NULL);
	DO(S(setsockopt)(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))); rep("set_b", NULL);
	DO(S(bind)(a, SA(&x), sizeof(x))); rep("bind_a", NULL);
	DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_b_both_reuseport", NULL);
	DO(S(bind)(c, SA(&x), sizeof(x))); rep("bind_c_without", NULL);
	xclose(a);
	xclose(b);
	xclose(c);

	cs = "so_bindtodevice";
	a = S(socket)(AF_INET, SOCK_DGRAM, 0);
	DO(S(setsockopt)(a, SOL_SOCKET, SO_BINDTODEVICE, "nosuchdev0", 11)); rep("unknown_dev", NULL);
	DO(S(setsockopt)(a, SOL_SOCKET, SO_BINDTODEVICE, "", 1)); rep("empty_unbinds", NULL);
	xclose(a);
}

static void c_eaddrnotavail(void)
{
	cs = "eaddrnotavail";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in n = sin4(NONLOCAL_IP, 5004), l = sin4(LOCAL_IP, 0);
	DO(S(bind)(fd, SA(&n), sizeof(n))); rep("bind_nonlocal", NULL);
	struct sockaddr_in o = sin4("192.0.2.1", 5004);
	DO(S(bind)(fd, SA(&o), sizeof(o))); rep("bind_offlink", NULL);
	DO(S(bind)(fd, SA(&l), sizeof(l))); rep("bind_local", NULL);
	struct sockaddr_in g;
	socklen_t gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s", aname(&g, gl));
	xclose(fd);
}

static void c_eafnosupport(void)
{
	cs = "eafnosupport_bind";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = sin4("0.0.0.0", 5005);
	a.sin_family = AF_INET6;
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("bind_family6", NULL);
	a.sin_family = AF_UNSPEC;
	a.sin_addr.s_addr = htonl(0x0a000001);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("bind_unspec_nonany", NULL);
	cs = "eafnosupport_sendto";
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
	p.sin_family = AF_INET6;
	DO(S(sendto)(fd, "x", 1, 0, SA(&p), sizeof(p))); rep("sendto_family6", NULL);
	p.sin_family = AF_UNIX;
	DO(S(sendto)(fd, "x", 1, 0, SA(&p), sizeof(p))); rep("sendto_family_unix", NULL);
	xclose(fd);
}

/* AF_INET6 sockets: options, names, and dual stack over IPv4 (the
 * topology is IPv4-only: IPv6 peers are tested by ip6_sock_test.sh) */
static void rep6(const char *step, const struct sockaddr_in6 *a)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &a->sin6_addr, t, sizeof(t));
	rep(step, "family=%d addr=%s port=%u scope=%u", a->sin6_family, t,
	    ntohs(a->sin6_port), a->sin6_scope_id);
}

static struct sockaddr_in6 sin6_of(const char *ip, int port)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

static void c_inet6(void)
{
	int v;
	socklen_t vl;
	cs = "inet6_opts";
	int fd = S(socket)(AF_INET6, SOCK_DGRAM, 0);
	static const int names[] = { IPV6_V6ONLY, IPV6_UNICAST_HOPS, IPV6_TCLASS,
				     IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = -5;
		vl = sizeof(v);
		DO(S(getsockopt)(fd, IPPROTO_IPV6, names[i], &v, &vl));
		rep("get", "name=%d v=%d", names[i], v);
	}
	vl = sizeof(v);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl)); rep("domain", "v=%d", v);
	v = 300;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v))); rep("hops300", NULL);
	v = 7;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v))); rep("hops7", NULL);
	vl = sizeof(v);
	DO(S(getsockopt)(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &vl)); rep("hops_get", "v=%d", v);
	v = -1;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v))); rep("tclass_default", NULL);
	v = 256;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v))); rep("tclass256", NULL);
	xclose(fd);

	cs = "inet6_bind";
	fd = S(socket)(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = sin6_of("::", 5010), n;
	DO(S(bind)(fd, SA(&a), 16)); rep("short_len", NULL);
	struct sockaddr_in a4 = sin4("0.0.0.0", 5010);
	DO(S(bind)(fd, SA(&a4), sizeof(a4))); rep("family4", NULL);
	a = sin6_of("fe80::1", 5010);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("linklocal_noscope", NULL);
	a = sin6_of("2001:db8::99", 5010);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("not_ours", NULL);
	a = sin6_of("::", 5010);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("any", NULL);
	socklen_t nl = sizeof(n);
	memset(&n, 0, sizeof(n));
	DO(S(getsockname)(fd, SA(&n), &nl)); rep6("name", &n);
	v = 1;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v))); rep("v6only_after_bind", NULL);
	xclose(fd);

	cs = "inet6_bind_mapped";
	fd = S(socket)(AF_INET6, SOCK_DGRAM, 0);
	v = 1;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v))); rep("v6only", NULL);
	a = sin6_of("::ffff:" LOCAL_IP, 5011);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("v6only_mapped", NULL);
	xclose(fd);
	fd = S(socket)(AF_INET6, SOCK_DGRAM, 0);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("mapped", NULL);
	nl = sizeof(n);
	memset(&n, 0, sizeof(n));
	DO(S(getsockname)(fd, SA(&n), &nl)); rep6("name", &n);
	xclose(fd);

	cs = "inet6_dualstack";
	fd = S(socket)(AF_INET6, SOCK_DGRAM, 0);
	struct timeval tv = { 2, 0 };
	S(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	a = sin6_of("::ffff:" PEER_IP, ECHO_PORT);
	DO(S(sendto)(fd, "dual", 4, 0, SA(&a), sizeof(a))); rep("sendto_mapped", NULL);
	char buf[16];
	nl = sizeof(n);
	memset(&n, 0, sizeof(n));
	DO(S(recvfrom)(fd, buf, sizeof(buf), 0, SA(&n), &nl)); rep6("recvfrom", &n);
	DO(S(sendto)(fd, "four", 4, 0, SA(&a4), sizeof(a4))); rep("sendto_family4_any", NULL);
	DO(S(connect)(fd, SA(&a), sizeof(a))); rep("connect_mapped", NULL);
	nl = sizeof(n);
	memset(&n, 0, sizeof(n));
	DO(S(getpeername)(fd, SA(&n), &nl)); rep6("peer", &n);
	nl = sizeof(n);
	memset(&n, 0, sizeof(n));
	DO(S(getsockname)(fd, SA(&n), &nl));
	if (n.sin6_port != 0)
		n.sin6_port = htons(1); /* an ephemeral port: which one is not compared */
	rep6("name", &n);
	xclose(fd);
	fd = S(socket)(AF_INET6, SOCK_DGRAM, 0);
	v = 1;
	S(setsockopt)(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
	DO(S(sendto)(fd, "x", 1, 0, SA(&a), sizeof(a))); rep("v6only_sendto_mapped", NULL);
	DO(S(connect)(fd, SA(&a), sizeof(a))); rep("v6only_connect_mapped", NULL);
	xclose(fd);
}

static void c_edestaddrreq(void)
{
	cs = "edestaddrreq";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	DO(S(send)(fd, "x", 1, 0)); rep("send_unbound", NULL);
	DO(S(sendto)(fd, "x", 1, 0, NULL, 0)); rep("sendto_null", NULL);
	struct sockaddr_in a = sin4("0.0.0.0", 0);
	S(bind)(fd, SA(&a), sizeof(a));
	DO(S(send)(fd, "x", 1, 0)); rep("send_bound", NULL);
	xclose(fd);
}

static void c_emsgsize(void)
{
	cs = "emsgsize";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
	DO(S(sendto)(fd, big, 65508, 0, SA(&p), sizeof(p))); rep("sendto_65508", NULL);
	DO(S(sendto)(fd, big, 70000, 0, SA(&p), sizeof(p))); rep("sendto_70000", NULL);
	xclose(fd);
}

static void c_enotconn(void)
{
	cs = "enotconn";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	DO(S(getpeername)(fd, SA(&a), &al)); rep("getpeername_fresh", NULL);
	struct sockaddr_in b = sin4("0.0.0.0", 0);
	S(bind)(fd, SA(&b), sizeof(b));
	al = sizeof(a);
	DO(S(getpeername)(fd, SA(&a), &al)); rep("getpeername_bound", NULL);
	xclose(fd);
}

static void c_eagain(void)
{
	char b[16];
	cs = "eagain_sock_nonblock";
	int fd = S(socket)(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = sin4("0.0.0.0", 0);
	S(bind)(fd, SA(&a), sizeof(a));
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv", NULL);
	DO(S(recvfrom)(fd, b, sizeof(b), 0, NULL, NULL)); rep("recvfrom", NULL);
	DO(S(fcntl)(fd, F_GETFL)); rep("getfl", NULL);
	xclose(fd);

	cs = "eagain_msg_dontwait";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	S(bind)(fd, SA(&a), sizeof(a));
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv", NULL);
	struct msghdr m;
	struct iovec iv = { b, sizeof(b) };
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iv;
	m.msg_iovlen = 1;
	DO(S(recvmsg)(fd, &m, MSG_DONTWAIT)); rep("recvmsg", NULL);
	xclose(fd);

	cs = "o_nonblock_fcntl";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	S(bind)(fd, SA(&a), sizeof(a));
	int fl;
	DO(fl = S(fcntl)(fd, F_GETFL)); rep("getfl", "flags=0x%x", fl);
	DO(S(fcntl)(fd, F_SETFL, fl | O_NONBLOCK)); rep("setfl_nonblock", NULL);
	DO(fl = S(fcntl)(fd, F_GETFL)); rep("getfl_after", "flags=0x%x", fl);
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv", NULL);
	DO(S(fcntl)(fd, F_SETFL, fl & ~O_NONBLOCK)); rep("setfl_clear", NULL);
	DO(fl = S(fcntl)(fd, F_GETFL)); rep("getfl_cleared", "flags=0x%x", fl);
	int on = 1;
	DO(S(ioctl)(fd, FIONBIO, &on)); rep("fionbio_on", NULL);
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv_fionbio", NULL);
	xclose(fd);

	cs = "fcntl_getfd_cloexec";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	DO(S(fcntl)(fd, F_GETFD)); rep("plain", NULL);
	xclose(fd);
	fd = S(socket)(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	DO(S(fcntl)(fd, F_GETFD)); rep("sock_cloexec", NULL);
	DO(S(fcntl)(fd, F_SETFD, 0)); rep("setfd_0", NULL);
	DO(S(fcntl)(fd, F_GETFD)); rep("after_setfd_0", NULL);
	xclose(fd);

	cs = "eagain_rcvtimeo";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	S(bind)(fd, SA(&a), sizeof(a));
	struct timeval tv = { 0, 200000 }, tg;
	socklen_t tl = sizeof(tg);
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))); rep("set", NULL);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tg, &tl));
	rep("get", "tv=%ld.%06ld len=%u", (long)tg.tv_sec, (long)tg.tv_usec, (unsigned)tl);
	double t0 = now_ms();
	DO(S(recv)(fd, b, sizeof(b), 0));
	double el = now_ms() - t0;
	rep("recv", "elapsed=%s", el >= 180 && el < 1500 ? "ok" : "wrong");
	struct timeval bad = { 0, 2000000 };
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof(bad))); rep("set_bad_usec", NULL);
	xclose(fd);
}

/* an asynchronous error left by the last send (read after 100 ms) */
static void so_error_after(int fd)
{
	int v = -1;
	socklen_t vl = sizeof(v);
	usleep(100000);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &v, &vl));
	rep("so_error_after", "val=%s", ename(v));
}

/* send to the closed port; wait for the error to be pending */
static int poll_err(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	DO(S(poll)(&p, 1, ms));
	rep("poll", "revents=0x%x", p.revents);
	return (int)g_r;
}

static void c_econnrefused(void)
{
	char b[16];
	struct sockaddr_in c = sin4(PEER_IP, CLOSED_PORT);
	cs = "econnrefused_recv";
	int fd = peer_sock(0);
	DO(S(connect)(fd, SA(&c), sizeof(c))); rep("connect", NULL);
	DO(S(send)(fd, "x", 1, 0)); rep("send", NULL);
	poll_err(fd, 5000);
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv", NULL);
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv_again", NULL);
	xclose(fd);

	cs = "econnrefused_send";
	fd = peer_sock(0);
	S(connect)(fd, SA(&c), sizeof(c));
	DO(S(send)(fd, "x", 1, 0)); rep("send", NULL);
	poll_err(fd, 5000);
	DO(S(send)(fd, "x", 1, 0)); rep("send_after_icmp", NULL);
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv_after", NULL);
	xclose(fd);

	cs = "so_error_pending";
	fd = peer_sock(0);
	S(connect)(fd, SA(&c), sizeof(c));
	DO(S(send)(fd, "x", 1, 0)); rep("send", NULL);
	poll_err(fd, 5000);
	int v = -1;
	socklen_t vl = sizeof(v);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &v, &vl)); rep("so_error", "val=%s", ename(v));
	v = -1;
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &v, &vl)); rep("so_error_again", "val=%s", ename(v));
	xclose(fd);

	cs = "icmp_unconnected_ignored";
	fd = peer_sock(0);
	DO(S(sendto)(fd, "x", 1, 0, SA(&c), sizeof(c))); rep("sendto", NULL);
	poll_err(fd, 300);
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv", NULL);
	xclose(fd);
}

static void c_enoprotoopt(void)
{
	cs = "enoprotoopt";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	int v = 1;
	socklen_t vl = sizeof(v);
	DO(S(setsockopt)(fd, SOL_SOCKET, 9999, &v, sizeof(v))); rep("set_sol_socket_9999", NULL);
	DO(S(getsockopt)(fd, SOL_SOCKET, 9999, &v, &vl)); rep("get_sol_socket_9999", NULL);
	DO(S(setsockopt)(fd, IPPROTO_IP, 9999, &v, sizeof(v))); rep("set_ip_9999", NULL);
	vl = sizeof(v);
	DO(S(getsockopt)(fd, IPPROTO_IP, 9999, &v, &vl)); rep("get_ip_9999", NULL);
	DO(S(setsockopt)(fd, 12345, 1, &v, sizeof(v))); rep("set_level_12345", NULL);
	vl = sizeof(v);
	DO(S(getsockopt)(fd, 12345, 1, &v, &vl)); rep("get_level_12345", NULL);
	xclose(fd);
}

static void c_sockopts(void)
{
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	int v;
	socklen_t vl;
#define GET(step, lvl, name) (v = -1, vl = sizeof(v), DO(S(getsockopt)(fd, lvl, name, &v, &vl)), \
	rep(step, "val=%d len=%u", v, (unsigned)vl))
#define SET(step, lvl, name, val) (v = (val), DO(S(setsockopt)(fd, lvl, name, &v, sizeof(v))), rep(step, NULL))
	cs = "so_type";
	GET("type", SOL_SOCKET, SO_TYPE);
	GET("domain", SOL_SOCKET, SO_DOMAIN);
	GET("protocol", SOL_SOCKET, SO_PROTOCOL);
	cs = "so_error";
	GET("fresh", SOL_SOCKET, SO_ERROR);
	cs = "so_broadcast_opt";
	GET("default", SOL_SOCKET, SO_BROADCAST);
	SET("set", SOL_SOCKET, SO_BROADCAST, 1);
	GET("after", SOL_SOCKET, SO_BROADCAST);
	cs = "so_rcvbuf";
	SET("set_65536", SOL_SOCKET, SO_RCVBUF, 65536);
	GET("get_65536", SOL_SOCKET, SO_RCVBUF);
	SET("set_1", SOL_SOCKET, SO_RCVBUF, 1);
	GET("get_1", SOL_SOCKET, SO_RCVBUF);
	cs = "so_rcvbuf_150000";
	SET("set", SOL_SOCKET, SO_RCVBUF, 150000);
	GET("get", SOL_SOCKET, SO_RCVBUF);
	cs = "so_sndbuf";
	SET("set_65536", SOL_SOCKET, SO_SNDBUF, 65536);
	GET("get_65536", SOL_SOCKET, SO_SNDBUF);
	SET("set_1", SOL_SOCKET, SO_SNDBUF, 1);
	GET("get_1", SOL_SOCKET, SO_SNDBUF);
	cs = "ip_ttl_opt";
	GET("default", IPPROTO_IP, IP_TTL);
	SET("set_5", IPPROTO_IP, IP_TTL, 5);
	GET("get_5", IPPROTO_IP, IP_TTL);
	SET("set_0", IPPROTO_IP, IP_TTL, 0);
	SET("set_256", IPPROTO_IP, IP_TTL, 256);
	SET("set_minus1", IPPROTO_IP, IP_TTL, -1);
	GET("get_reset", IPPROTO_IP, IP_TTL);
	cs = "ip_tos_opt";
	GET("default", IPPROTO_IP, IP_TOS);
	SET("set_0x10", IPPROTO_IP, IP_TOS, 0x10);
	GET("get_0x10", IPPROTO_IP, IP_TOS);
	SET("set_0x13", IPPROTO_IP, IP_TOS, 0x13);
	GET("get_0x13", IPPROTO_IP, IP_TOS);
	cs = "ip_recvttl_opt";
	SET("set", IPPROTO_IP, IP_RECVTTL, 1);
	GET("get", IPPROTO_IP, IP_RECVTTL);
	cs = "ip_recvtos_opt";
	SET("set", IPPROTO_IP, IP_RECVTOS, 1);
	GET("get", IPPROTO_IP, IP_RECVTOS);
	cs = "ip_pktinfo_opt";
	SET("set", IPPROTO_IP, IP_PKTINFO, 1);
	GET("get", IPPROTO_IP, IP_PKTINFO);
#undef GET
#undef SET
	xclose(fd);
}

/* send to the echo service and read the answer back */
static void echo_roundtrip(int fd, const void *d, size_t n, size_t rlen, int rflags)
{
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT), f;
	socklen_t fl = sizeof(f);
	DO(S(sendto)(fd, d, n, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
	memset(&f, 0, sizeof(f));
	wait_in(fd, 10000); /* the echo, late under load: beyond SO_RCVTIMEO's 2 s */
	DO(S(recvfrom)(fd, rbig, rlen, rflags, SA(&f), &fl));
	rep("recvfrom", "data=%s addr=%s", dname(rbig, g_r < (long)rlen ? g_r : (long)rlen),
	    g_r >= 0 ? aname(&f, fl) : "none");
}

static void c_data(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + (i >> 8));
	cs = "zero_length";
	int fd = peer_sock(0);
	echo_roundtrip(fd, "", 0, 100, 0);
	xclose(fd);

	cs = "max_65507";
	fd = peer_sock(0);
	echo_roundtrip(fd, big, 65507, sizeof(rbig), 0);
	xclose(fd);

	cs = "size_1473_fragmented";
	fd = peer_sock(0);
	echo_roundtrip(fd, big, 1473, sizeof(rbig), 0);
	xclose(fd);

	cs = "msg_trunc_plain";
	fd = peer_sock(0);
	echo_roundtrip(fd, big, 100, 10, 0);
	xclose(fd);

	cs = "msg_trunc_flag";
	fd = peer_sock(0);
	echo_roundtrip(fd, big, 100, 10, MSG_TRUNC);
	xclose(fd);

	cs = "msg_trunc_recvmsg";
	fd = peer_sock(0);
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
		DO(S(sendto)(fd, big, 100, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
		char b1[4], b2[6];
		struct iovec iv[2] = { { b1, sizeof(b1) }, { b2, sizeof(b2) } };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_iov = iv;
		m.msg_iovlen = 2;
		DO(S(recvmsg)(fd, &m, 0));
		char all[10];
		memcpy(all, b1, 4);
		memcpy(all + 4, b2, 6);
		rep("recvmsg", "data=%s msg_flags=0x%x", dname(all, g_r > 10 ? 10 : g_r), m.msg_flags);
	}
	xclose(fd);

	cs = "msg_peek";
	fd = peer_sock(0);
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT), f;
		socklen_t fl = sizeof(f);
		DO(S(sendto)(fd, "peekaboo", 8, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
		wait_in(fd, 5000);
		char b[16];
		DO(S(recvfrom)(fd, b, sizeof(b), MSG_PEEK, SA(&f), &fl));
		rep("peek", "data=%s", dname(b, g_r));
		DO(S(recvfrom)(fd, b, sizeof(b), MSG_DONTWAIT, SA(&f), &fl));
		rep("recv", "data=%s", dname(b, g_r));
		DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv_empty", NULL);
	}
	xclose(fd);

	cs = "msg_dontwait_data";
	fd = peer_sock(0);
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
		char b[16];
		DO(S(sendto)(fd, "dw", 2, MSG_DONTWAIT, SA(&p), sizeof(p))); rep("sendto", NULL);
		DO(wait_in(fd, 5000)); rep("poll", NULL);
		DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv", "data=%s", dname(b, g_r));
	}
	xclose(fd);

	cs = "msg_oob";
	fd = peer_sock(0);
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
		DO(S(sendto)(fd, "o", 1, MSG_OOB, SA(&p), sizeof(p))); rep("sendto", NULL);
	}
	xclose(fd);

	cs = "sendmsg_gather";
	fd = peer_sock(0);
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT), f;
		struct iovec iv[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_name = &p;
		m.msg_namelen = sizeof(p);
		m.msg_iov = iv;
		m.msg_iovlen = 3;
		DO(S(sendmsg)(fd, &m, 0)); rep("sendmsg", NULL);
		char b[16];
		socklen_t fl = sizeof(f);
		DO(S(recvfrom)(fd, b, sizeof(b), 0, SA(&f), &fl));
		rep("recvfrom", "data=%s addr=%s", dname(b, g_r), aname(&f, fl));
	}
	xclose(fd);

	cs = "recvfrom_addr";
	fd = peer_sock(0);
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
		struct sockaddr_in f;
		char b[16];
		socklen_t fl = 4;
		S(sendto)(fd, "a", 1, 0, SA(&p), sizeof(p));
		memset(&f, 0, sizeof(f));
		DO(S(recvfrom)(fd, b, sizeof(b), 0, SA(&f), &fl));
		rep("recvfrom_short_len", "addrlen=%u family=%d port=%u", (unsigned)fl, f.sin_family,
		    ntohs(f.sin_port));
		S(sendto)(fd, "b", 1, 0, SA(&p), sizeof(p));
		memset(&f, 0, sizeof(f));
		fl = 64;
		DO(S(recvfrom)(fd, b, sizeof(b), 0, SA(&f), &fl));
		rep("recvfrom_long_len", "addrlen=%u addr=%s", (unsigned)fl, aname(&f, sizeof(f)));
	}
	xclose(fd);
}

static void c_names(void)
{
	struct sockaddr_in a, g;
	socklen_t gl;
	cs = "getsockname_unbound";
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	gl = sizeof(g);
	memset(&g, 0xff, sizeof(g));
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s len=%u", aname(&g, gl), (unsigned)gl);
	xclose(fd);

	cs = "getsockname_port0";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	a = sin4("0.0.0.0", 0);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("bind", NULL);
	gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s len=%u", aname(&g, gl), (unsigned)gl);
	gl = 2;
	memset(&g, 0, sizeof(g));
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname_short", "len=%u family=%d", (unsigned)gl, g.sin_family);
	xclose(fd);

	cs = "getsockname_local_port0";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	a = sin4(LOCAL_IP, 0);
	DO(S(bind)(fd, SA(&a), sizeof(a))); rep("bind", NULL);
	gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s", aname(&g, gl));
	xclose(fd);

	cs = "connect_getpeername";
	fd = peer_sock(0);
	a = sin4(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&a), sizeof(a))); rep("connect", NULL);
	gl = sizeof(g);
	DO(S(getpeername)(fd, SA(&g), &gl)); rep("getpeername", "addr=%s len=%u", aname(&g, gl), (unsigned)gl);
	gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s", aname(&g, gl));
	char b[16];
	DO(S(send)(fd, "conn", 4, 0)); rep("send", NULL);
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv", "data=%s", dname(b, g_r));
	struct sockaddr_in p2 = sin4(PEER_IP, INFO_PORT);
	DO(S(sendto)(fd, "x", 1, 0, SA(&p2), sizeof(p2))); rep("sendto_other_dest", NULL);
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv_from_other_filtered", NULL);
	xclose(fd);

	cs = "connect_disconnect";
	fd = peer_sock(0);
	a = sin4(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&a), sizeof(a))); rep("connect", NULL);
	struct sockaddr_in u;
	memset(&u, 0, sizeof(u));
	u.sin_family = AF_UNSPEC;
	DO(S(connect)(fd, SA(&u), sizeof(u))); rep("disconnect", NULL);
	gl = sizeof(g);
	DO(S(getpeername)(fd, SA(&g), &gl)); rep("getpeername", NULL);
	gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s", aname(&g, gl));
	DO(S(send)(fd, "x", 1, 0)); rep("send", NULL);
	xclose(fd);

	cs = "connect_disconnect_bound";
	fd = peer_sock(0);
	a = sin4("0.0.0.0", 5006);
	S(bind)(fd, SA(&a), sizeof(a));
	a = sin4(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&a), sizeof(a))); rep("connect", NULL);
	gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname_connected", "addr=%s", aname(&g, gl));
	DO(S(connect)(fd, SA(&u), sizeof(u))); rep("disconnect", NULL);
	gl = sizeof(g);
	DO(S(getsockname)(fd, SA(&g), &gl)); rep("getsockname", "addr=%s", aname(&g, gl));
	xclose(fd);
}

static void c_ttl_tos(void)
{
	struct sockaddr_in info = sin4(PEER_IP, INFO_PORT);
	char b[64];
	int v;
	cs = "ip_ttl_effect";
	int fd = peer_sock(0);
	v = 5;
	DO(S(setsockopt)(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v))); rep("set", NULL);
	DO(S(sendto)(fd, "t", 1, 0, SA(&info), sizeof(info))); rep("sendto", NULL);
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, sizeof(b) - 1, 0)); rep("info", "peer_saw=%s", g_r > 0 ? b : "none");
	xclose(fd);

	cs = "ip_tos_effect";
	fd = peer_sock(0);
	v = 0x10;
	DO(S(setsockopt)(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v))); rep("set", NULL);
	DO(S(sendto)(fd, "t", 1, 0, SA(&info), sizeof(info))); rep("sendto", NULL);
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, sizeof(b) - 1, 0)); rep("info", "peer_saw=%s", g_r > 0 ? b : "none");
	xclose(fd);

	cs = "default_ttl_tos_effect";
	fd = peer_sock(0);
	DO(S(sendto)(fd, "t", 1, 0, SA(&info), sizeof(info))); rep("sendto", NULL);
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, sizeof(b) - 1, 0)); rep("info", "peer_saw=%s", g_r > 0 ? b : "none");
	xclose(fd);

	cs = "cmsg_ttl_tos_send";
	fd = peer_sock(0);
	{
		union { char c[CMSG_SPACE(sizeof(int)) * 2]; struct cmsghdr a; } cb;
		memset(&cb, 0, sizeof(cb));
		struct iovec iv = { "c", 1 };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_name = &info;
		m.msg_namelen = sizeof(info);
		m.msg_iov = &iv;
		m.msg_iovlen = 1;
		m.msg_control = cb.c;
		m.msg_controllen = sizeof(cb.c);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TTL;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		v = 9;
		memcpy(CMSG_DATA(c), &v, sizeof(v));
		c = CMSG_NXTHDR(&m, c);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TOS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		v = 0x28;
		memcpy(CMSG_DATA(c), &v, sizeof(v));
		DO(S(sendmsg)(fd, &m, 0)); rep("sendmsg", NULL);
		memset(b, 0, sizeof(b));
		DO(S(recv)(fd, b, sizeof(b) - 1, 0)); rep("info", "peer_saw=%s", g_r > 0 ? b : "none");
	}
	xclose(fd);

	cs = "recv_ttl_tos_cmsg";
	fd = peer_sock(0);
	v = 1;
	DO(S(setsockopt)(fd, IPPROTO_IP, IP_RECVTTL, &v, sizeof(v))); rep("set_recvttl", NULL);
	DO(S(setsockopt)(fd, IPPROTO_IP, IP_RECVTOS, &v, sizeof(v))); rep("set_recvtos", NULL);
	DO(S(sendto)(fd, "t", 1, 0, SA(&info), sizeof(info))); rep("sendto", NULL);
	{
		union { char c[256]; struct cmsghdr a; } cb;
		struct iovec iv = { b, sizeof(b) };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iv;
		m.msg_iovlen = 1;
		m.msg_control = cb.c;
		m.msg_controllen = sizeof(cb.c);
		DO(S(recvmsg)(fd, &m, 0));
		char o[128] = "";
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); g_r >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
			size_t l = strlen(o);
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
				int t;
				memcpy(&t, CMSG_DATA(c), sizeof(t));
				snprintf(o + l, sizeof(o) - l, "ttl:%d,", t);
			} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
				snprintf(o + l, sizeof(o) - l, "tos:0x%x,", *(unsigned char *)CMSG_DATA(c));
			} else {
				snprintf(o + l, sizeof(o) - l, "other:%d/%d,", c->cmsg_level, c->cmsg_type);
			}
		}
		rep("recvmsg", "cmsg=%s msg_flags=0x%x", o[0] ? o : "none", g_r >= 0 ? m.msg_flags : 0);
	}
	xclose(fd);
}

static void c_broadcast(void)
{
	struct sockaddr_in bc = sin4(BCAST_IP, ECHO_PORT), f;
	socklen_t fl = sizeof(f);
	char b[16];
	cs = "broadcast_without_so_broadcast";
	int fd = peer_sock(0);
	DO(S(sendto)(fd, "bc", 2, 0, SA(&bc), sizeof(bc))); rep("sendto", NULL);
	so_error_after(fd);
	xclose(fd);

	cs = "broadcast_with_so_broadcast";
	fd = peer_sock(0);
	int v = 1;
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v))); rep("set", NULL);
	DO(S(sendto)(fd, "bc", 2, 0, SA(&bc), sizeof(bc))); rep("sendto", NULL);
	DO(S(recvfrom)(fd, b, sizeof(b), 0, SA(&f), &fl));
	rep("recvfrom", "data=%s addr=%s", dname(b, g_r), g_r >= 0 ? aname(&f, fl) : "none");
	xclose(fd);

	cs = "broadcast_connect";
	fd = peer_sock(0);
	DO(S(connect)(fd, SA(&bc), sizeof(bc))); rep("connect", NULL);
	DO(S(send)(fd, "bc", 2, 0)); rep("send", NULL);
	so_error_after(fd);
	xclose(fd);
}

static void c_fionread(void)
{
	cs = "fionread";
	int fd = peer_sock(0);
	int n = -1;
	struct sockaddr_in a = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	S(bind)(fd, SA(&a), sizeof(a));
	DO(S(ioctl)(fd, FIONREAD, &n)); rep("empty", "val=%d", n);
	S(sendto)(fd, big, 37, 0, SA(&p), sizeof(p));
	S(sendto)(fd, big, 5, 0, SA(&p), sizeof(p));
	DO(wait_in(fd, 5000)); rep("poll", NULL);
	/* the first datagram's length, whether or not the second has come */
	n = -1;
	DO(S(ioctl)(fd, FIONREAD, &n)); rep("queued_37_5", "val=%d", n);
	char b[64];
	S(recv)(fd, b, sizeof(b), 0);
	wait_in(fd, 5000); /* the second echo (a fixed 100 ms was too short under load) */
	n = -1;
	DO(S(ioctl)(fd, FIONREAD, &n)); rep("queued_5", "val=%d", n);
	S(recv)(fd, b, sizeof(b), 0);
	S(sendto)(fd, "", 0, 0, SA(&p), sizeof(p));
	wait_in(fd, 5000);
	n = -1;
	DO(S(ioctl)(fd, FIONREAD, &n)); rep("queued_0", "val=%d", n);
	DO(S(ioctl)(fd, 0x5401 /* TCGETS */, &n)); rep("tcgets", NULL);
	xclose(fd);
}

static void c_pktinfo(void)
{
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT), f;
	char b[64];
	cs = "pktinfo_send";
	int fd = peer_sock(0);
	for (int k = 0; k < 2; k++) {
		union { char c[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr a; } cb;
		memset(&cb, 0, sizeof(cb));
		struct iovec iv = { "pi", 2 };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_name = &p;
		m.msg_namelen = sizeof(p);
		m.msg_iov = &iv;
		m.msg_iovlen = 1;
		m.msg_control = cb.c;
		m.msg_controllen = sizeof(cb.c);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		inet_pton(AF_INET, k == 0 ? LOCAL_IP : NONLOCAL_IP, &pi.ipi_spec_dst);
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		DO(S(sendmsg)(fd, &m, 0)); rep(k == 0 ? "sendmsg_local_src" : "sendmsg_nonlocal_src", NULL);
		if (k == 0) {
			socklen_t fl = sizeof(f);
			DO(S(recvfrom)(fd, b, sizeof(b), 0, SA(&f), &fl));
			rep("recvfrom", "data=%s addr=%s", dname(b, g_r), g_r >= 0 ? aname(&f, fl) : "none");
		} else {
			so_error_after(fd);
		}
	}
	xclose(fd);

	cs = "pktinfo_recv";
	fd = peer_sock(0);
	int v = 1;
	DO(S(setsockopt)(fd, IPPROTO_IP, IP_PKTINFO, &v, sizeof(v))); rep("set", NULL);
	DO(S(sendto)(fd, "pr", 2, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
	{
		union { char c[256]; struct cmsghdr a; } cb;
		struct iovec iv = { b, sizeof(b) };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iv;
		m.msg_iovlen = 1;
		m.msg_control = cb.c;
		m.msg_controllen = sizeof(cb.c);
		DO(S(recvmsg)(fd, &m, 0));
		char o[160] = "";
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); g_r >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
			size_t l = strlen(o);
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				snprintf(o + l, sizeof(o) - l, "pktinfo:ifindex=%s/spec_dst=%s/addr=%s,",
					 pi.ipi_ifindex > 0 ? "set" : "0", ipname(pi.ipi_spec_dst),
					 ipname(pi.ipi_addr));
			} else {
				snprintf(o + l, sizeof(o) - l, "other:%d/%d,", c->cmsg_level, c->cmsg_type);
			}
		}
		rep("recvmsg", "cmsg=%s", o[0] ? o : "none");
	}
	xclose(fd);
}

static void c_poll(void)
{
	cs = "poll_readiness";
	int fd = peer_sock(0);
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };
	DO(S(poll)(&pf, 1, 0)); rep("fresh", "revents=0x%x", pf.revents);
	S(sendto)(fd, "p", 1, 0, SA(&p), sizeof(p));
	pf.events = POLLIN;
	pf.revents = 0;
	DO(S(poll)(&pf, 1, 2000)); rep("echo", "revents=0x%x", pf.revents);
	char b[8];
	S(recv)(fd, b, sizeof(b), 0);
	pf.revents = 0;
	DO(S(poll)(&pf, 1, 50)); rep("drained", "revents=0x%x", pf.revents);
	xclose(fd);
}

/* epoll, read/write, shutdown: calls beyond the socket basics */
static void c_unsupported(void)
{
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
	char b[16];
	(void)p;
	(void)b;
	cs = "epoll_readiness";
#if defined(USE_RS) && !defined(HAVE_RS_EPOLL)
	note("all", "unsupported (no rs_epoll_create1/ctl/wait)");
#else
	{
		int fd = peer_sock(0), ep = S(epoll_create1)(0);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 }, out;
		memset(&out, 0, sizeof(out));
		DO(S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &ev)); rep("ctl_add", NULL);
		DO(S(epoll_wait)(ep, &out, 1, 0)); rep("wait_empty", NULL);
		S(sendto)(fd, "e", 1, 0, SA(&p), sizeof(p));
		DO(S(epoll_wait)(ep, &out, 1, 2000)); rep("wait", "events=0x%x data=%u", out.events, out.data.u32);
		S(close)(ep);
		S(close)(fd);
	}
#endif
	cs = "read_write";
	{
		int fd = peer_sock(0);
		DO(S(write)(fd, "rw", 2)); rep("write_unconnected", NULL);
		S(connect)(fd, SA(&p), sizeof(p));
		DO(S(write)(fd, "rw", 2)); rep("write", NULL);
		memset(b, 0, sizeof(b));
		DO(S(read)(fd, b, sizeof(b))); rep("read", "data=%s", dname(b, g_r));
		xclose(fd);
	}
	cs = "shutdown";
	{
		int fd = S(socket)(AF_INET, SOCK_DGRAM, 0), n = 0;
		DO(S(shutdown)(fd, 7)); rep("bad_how", NULL);
		DO(S(shutdown)(fd, SHUT_WR)); rep("unconnected_wr", NULL);
		DO(S(sendto)(fd, "x", 1, 0, SA(&p), sizeof(p))); rep("sendto_after_wr", NULL);
		xclose(fd);
		fd = peer_sock(0);
		S(connect)(fd, SA(&p), sizeof(p));
		struct pollfd q = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
		DO(S(shutdown)(fd, SHUT_RD)); rep("connected_rd", NULL);
		DO(S(poll)(&q, 1, 0)); rep("poll_after_rd", "revents=0x%x", q.revents);
		DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv_nonblocking_after_rd", NULL);
		DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv_blocking_after_rd", NULL);
		/* still sends, and what arrives is still queued and read */
		DO(S(send)(fd, "sd", 2, 0)); rep("send_after_rd", NULL);
		for (int k = 0; k < 200 && n == 0; k++) {
			S(ioctl)(fd, FIONREAD, &n);
			if (n == 0)
				usleep(10000);
		}
		memset(b, 0, sizeof(b));
		DO(S(recv)(fd, b, sizeof(b), 0)); rep("queued_after_rd", "data=%s", dname(b, g_r));
		DO(S(shutdown)(fd, SHUT_WR)); rep("connected_wr", NULL);
		q.revents = 0;
		DO(S(poll)(&q, 1, 0)); rep("poll_after_rdwr", "revents=0x%x", q.revents);
		DO(S(send)(fd, "x", 1, 0)); rep("send_after_wr", NULL);
		DO(S(write)(fd, "x", 1)); rep("write_after_wr", NULL);
		xclose(fd);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} groups[] = {
		{ "socket", c_socket }, { "ebadf", c_ebadf }, { "enotsock", c_enotsock },
		{ "einval", c_einval }, { "eaddrinuse", c_eaddrinuse }, { "reuseport", c_reuseport },
		{ "eaddrnotavail", c_eaddrnotavail }, { "eafnosupport", c_eafnosupport },
		{ "edestaddrreq", c_edestaddrreq }, { "emsgsize", c_emsgsize },
		{ "enotconn", c_enotconn }, { "eagain", c_eagain }, { "inet6", c_inet6 },
		{ "enoprotoopt", c_enoprotoopt }, { "sockopts", c_sockopts },
		{ "data", c_data }, { "names", c_names }, { "ttl_tos", c_ttl_tos },
		{ "broadcast", c_broadcast }, { "fionread", c_fionread },
		{ "pktinfo", c_pktinfo }, { "poll", c_poll },
		{ "econnrefused", c_econnrefused }, { "unsupported", c_unsupported },
	};
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int run = argc < 2;
		for (int k = 1; k < argc; k++)
			run |= !strcmp(argv[k], groups[i].name);
		if (run)
			groups[i].fn();
	}
	return 0;
}
