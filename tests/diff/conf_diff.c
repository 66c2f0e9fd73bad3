/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential conformance cases, many small ones: one source, built twice
 * as udp_diff.c and tcp_diff.c (the same output format and topology):
 * conf_diff_linux on kernel sockets, conf_diff_rs (USE_RS) on libringsock.
 *
 *   opt_*      option defaults, round trips, clamping and invalid values,
 *              one case per (socket kind, option, value);
 *   optlen_*   getsockopt/setsockopt with short and odd lengths;
 *   state_*    the errno of calls in wrong states (UDP and TCP);
 *   name_*     getsockname/getpeername in each state;
 *   eph_*      ephemeral ports, bind to port 0, port sharing;
 *   msg_*      MSG_PEEK/WAITALL/DONTWAIT/TRUNC on TCP and UDP;
 *   ready_*    poll and epoll (level and edge) after each event: connect
 *              done, data, FIN, RST, shutdown;
 *   udp6_*     AF_INET6 datagram sockets over ::1 and v4-mapped addresses;
 *   select_*   select/pselect readiness (ringstack's side: this group of the
 *              Linux build under the LD_PRELOAD shim, see c_select);
 *   tcp6_*     AF_INET6 stream sockets.
 *
 * Connections to our own listener use the local address 10.0.0.1 (Linux's
 * dl namespace loops them through lo, ringstack through its loopback path),
 * IPv6 ones ::1; the Linux peer at 10.0.0.2 runs peer.py (see tcp_diff.c).
 * Nothing printed depends on descriptor numbers, chosen ports (only
 * whether they are in 32768..60999), MSS or timing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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

static char csbuf[96];

static void setcase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void setcase(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(csbuf, sizeof(csbuf), fmt, ap);
	va_end(ap);
	cs = csbuf;
}

static const char *portname(unsigned p, char *b, size_t n)
{
	if (p >= EPH_LO && p <= EPH_HI)
		snprintf(b, n, "ephemeral-in-range");
	else
		snprintf(b, n, "%u", p);
	return b;
}

/* any address (v4 or v6) symbolically, with its length */
static const char *aname(const struct sockaddr_storage *ss, socklen_t len)
{
	static char b[4][96];
	static int k;
	char ip[INET6_ADDRSTRLEN], pb[24];
	k = (k + 1) % 4;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		const char *n = !strcmp(ip, LOCAL_IP) ? "local" : !strcmp(ip, PEER_IP) ? "peer" :
				!strcmp(ip, "0.0.0.0") ? "any" : ip;
		snprintf(b[k], sizeof(b[k]), "%s:%s/len%u", n,
			 portname(ntohs(a->sin_port), pb, sizeof(pb)), (unsigned)len);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(b[k], sizeof(b[k]), "[%s]:%s/len%u/scope%u", ip,
			 portname(ntohs(a->sin6_port), pb, sizeof(pb)), (unsigned)len,
			 a->sin6_scope_id);
	} else {
		snprintf(b[k], sizeof(b[k]), "family%d/len%u", ss->ss_family, (unsigned)len);
	}
	return b[k];
}

static const char *revname(unsigned r)
{
	static char b[160];
	static const struct {
		unsigned bit;
		const char *n;
	} bits[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" },
		{ POLLHUP, "HUP" }, { POLLNVAL, "NVAL" }, { POLLRDHUP, "RDHUP" },
		{ POLLRDNORM, "RDNORM" }, { POLLWRNORM, "WRNORM" },
	};
	b[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (r & bits[i].bit) {
			if (b[0])
				strcat(b, "|");
			strcat(b, bits[i].n);
			r &= ~bits[i].bit;
		}
	if (r)
		sprintf(b + strlen(b), "%s0x%x", b[0] ? "|" : "", r);
	if (!b[0])
		strcpy(b, "0");
	return b;
}

static void rep_poll(int fd, short events, int timeout, const char *step)
{
	struct pollfd p = { .fd = fd, .events = events };
	DO(S(poll)(&p, 1, timeout));
	rep(step, "revents=%s", revname((unsigned short)p.revents));
}

/* wait (bounded) until fd reports one of events; prints nothing */
static void settle(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	S(poll)(&p, 1, ms);
}

static int mksock(int domain, int type)
{
	int fd = S(socket)(domain, type, 0);
	if (fd < 0) {
		printf("%s setup: socket(%d, %d) failed: %s\n", cs, domain, type, ename(errno));
		return -1;
	}
	return fd;
}

static void rep_name(int fd, const char *step, int peer)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (peer)
		DO(S(getpeername)(fd, SA(&ss), &l));
	else
		DO(S(getsockname)(fd, SA(&ss), &l));
	if (g_r < 0)
		rep(step, NULL);
	else
		rep(step, "addr=%s", aname(&ss, l));
}

/* A listener on the local address (port 0 or port), backlog 8. */
static int listener(int domain, int port)
{
	int ls = mksock(domain, SOCK_STREAM), one = 1;
	if (ls < 0)
		return -1;
	S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (domain == AF_INET) {
		struct sockaddr_in a = sin4(LOCAL_IP, port);
		if (S(bind)(ls, SA(&a), sizeof(a)) < 0)
			goto bad;
	} else {
		struct sockaddr_in6 a = sin6("::1", port);
		if (S(bind)(ls, SA(&a), sizeof(a)) < 0)
			goto bad;
	}
	if (S(listen)(ls, 8) < 0)
		goto bad;
	return ls;
bad:
	printf("%s setup: listener failed: %s\n", cs, ename(errno));
	xclose(ls);
	return -1;
}

/* A connected pair over the local address: *c the client, *s the
 * accepted side; both blocking. 0, or -1 (reported). */
static int tcp_pair(int domain, int *c, int *s)
{
	struct sockaddr_storage n;
	socklen_t nl = sizeof(n);
	*c = *s = -1;
	int ls = listener(domain, 0);
	if (ls < 0)
		return -1;
	S(getsockname)(ls, SA(&n), &nl);
	*c = mksock(domain, SOCK_STREAM);
	if (*c < 0 || S(connect)(*c, SA(&n), nl) < 0) {
		printf("%s setup: connect failed: %s\n", cs, ename(errno));
		goto bad;
	}
	*s = S(accept)(ls, NULL, NULL);
	if (*s < 0) {
		printf("%s setup: accept failed: %s\n", cs, ename(errno));
		goto bad;
	}
	xclose(ls);
	return 0;
bad:
	xclose(*c);
	xclose(ls);
	*c = -1;
	return -1;
}

static int connect_peer(int port)
{
	struct sockaddr_in a = sin4(PEER_IP, port);
	int fd = mksock(AF_INET, SOCK_STREAM);
	if (fd >= 0 && S(connect)(fd, SA(&a), sizeof(a)) < 0) {
		printf("%s setup: connect to the peer failed: %s\n", cs, ename(errno));
		xclose(fd);
		return -1;
	}
	return fd;
}

/* wait until fd's FIONREAD reaches n (bounded) */
static void wait_bytes(int fd, int n)
{
	for (int i = 0; i < 300; i++) {
		int v = 0;
		if (S(ioctl)(fd, FIONREAD, &v) < 0 || v >= n)
			return;
		usleep(5000);
	}
}

static unsigned ep_once(int fd, unsigned events, int timeout, const char *step);

/* ---- options ---- */

enum kind { K_UDP4, K_TCP4, K_UDP6, K_TCP6 };
static const char *const kname[] = { "udp4", "tcp4", "udp6", "tcp6" };

static int kind_sock(enum kind k)
{
	int d = (k == K_UDP6 || k == K_TCP6) ? AF_INET6 : AF_INET;
	int t = (k == K_TCP4 || k == K_TCP6) ? SOCK_STREAM : SOCK_DGRAM;
	return mksock(d, t);
}

struct opt {
	const char *name;
	int level, opt;
	unsigned kinds;	/* bit per enum kind */
};

#define KU4 (1u << K_UDP4)
#define KT4 (1u << K_TCP4)
#define KU6 (1u << K_UDP6)
#define KALL (KU4 | KT4 | KU6)

static const struct opt opts[] = {
	{ "SO_TYPE", SOL_SOCKET, SO_TYPE, KALL },
	{ "SO_PROTOCOL", SOL_SOCKET, SO_PROTOCOL, KALL },
	{ "SO_DOMAIN", SOL_SOCKET, SO_DOMAIN, KALL },
	{ "SO_ERROR", SOL_SOCKET, SO_ERROR, KALL },
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, KALL },
	{ "SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT, KALL },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, KALL },
	{ "SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, KALL },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, KU4 | KT4 },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, KU4 | KT4 },
	{ "SO_ACCEPTCONN", SOL_SOCKET, SO_ACCEPTCONN, KALL },
	{ "SO_RCVLOWAT", SOL_SOCKET, SO_RCVLOWAT, KU4 | KT4 },
	{ "IP_TTL", IPPROTO_IP, IP_TTL, KU4 | KT4 },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, KU4 | KT4 },
	{ "IP_RECVTTL", IPPROTO_IP, IP_RECVTTL, KU4 },
	{ "IP_RECVTOS", IPPROTO_IP, IP_RECVTOS, KU4 },
	{ "IP_PKTINFO", IPPROTO_IP, IP_PKTINFO, KU4 },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, KT4 },
	{ "TCP_CORK", IPPROTO_TCP, TCP_CORK, KT4 },
	{ "TCP_MAXSEG", IPPROTO_TCP, TCP_MAXSEG, KT4 },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE, KT4 },
	{ "TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL, KT4 },
	{ "TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT, KT4 },
	{ "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, KT4 },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, KU6 },
	{ "IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS, KU6 },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, KU6 },
	{ "IPV6_RECVPKTINFO", IPPROTO_IPV6, IPV6_RECVPKTINFO, KU6 },
	{ "IPV6_RECVHOPLIMIT", IPPROTO_IPV6, IPV6_RECVHOPLIMIT, KU6 },
	{ "IPV6_RECVTCLASS", IPPROTO_IPV6, IPV6_RECVTCLASS, KU6 },
	{ "IPV6_MULTICAST_HOPS", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, KU6 },
	{ "IPV6_MULTICAST_IF", IPPROTO_IPV6, IPV6_MULTICAST_IF, KU6 },
	{ "IPV6_MULTICAST_LOOP", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, KU6 },
	{ "IPV6_MULTICAST_ALL", IPPROTO_IPV6, IPV6_MULTICAST_ALL, KU6 },
	{ "IPV6_MTU_DISCOVER", IPPROTO_IPV6, IPV6_MTU_DISCOVER, KU6 },
	{ "IPV6_DONTFRAG", IPPROTO_IPV6, IPV6_DONTFRAG, KU6 },
	{ "IPV6_MTU", IPPROTO_IPV6, IPV6_MTU, KU6 },
	{ "IPV6_FLOWINFO", IPPROTO_IPV6, 11 /* <linux/in6.h> */, KU6 },
};

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

/* a value as it goes into a case name */
static const char *vtag(int v)
{
	static char b[24];
	if (v < 0)
		snprintf(b, sizeof(b), "m%d", -v);
	else
		snprintf(b, sizeof(b), "%d", v);
	return b;
}

/* opt_KIND_NAME_VALUE: set VALUE on a fresh socket, read it back */
static void opt_set(enum kind k, const char *name, int v)
{
	const struct opt *o = find_opt(name);
	setcase("opt_%s_%s_%s", kname[k], name, vtag(v));
	int fd = kind_sock(k);
	if (fd < 0)
		return;
	setint(fd, o->level, o->opt, v, "set");
	getint(fd, o->level, o->opt, "get");
	xclose(fd);
}

static void c_opt_defaults(void)
{
	for (int k = K_UDP4; k <= K_UDP6; k++)
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			if (!(opts[i].kinds & (1u << k)))
				continue;
			setcase("opt_%s_%s_default", kname[k], opts[i].name);
			int fd = kind_sock(k);
			if (fd < 0)
				continue;
			getint(fd, opts[i].level, opts[i].opt, "get");
			xclose(fd);
		}
}

static void c_opt_values(void)
{
	static const int bufv[] = { 0, 1000, 5000, 100000 };
	for (size_t i = 0; i < sizeof(bufv) / sizeof(bufv[0]); i++) {
		opt_set(K_UDP4, "SO_RCVBUF", bufv[i]);
		opt_set(K_UDP4, "SO_SNDBUF", bufv[i]);
		opt_set(K_TCP4, "SO_RCVBUF", bufv[i]);
		opt_set(K_TCP4, "SO_SNDBUF", bufv[i]);
	}
	/* a negative size asks for the most (compared unsigned): whatever
	 * {r,w}mem_max is on this host, the same as 1 << 30 gives */
	for (int k = K_UDP4; k <= K_TCP4; k++)
		for (int w = 0; w < 2; w++) {
			int name = w ? SO_SNDBUF : SO_RCVBUF, big = 1 << 30, neg = -1, vb = 0, vn = 1;
			socklen_t l = sizeof(int);
			setcase("opt_%s_%s_m1", kname[k], w ? "SO_SNDBUF" : "SO_RCVBUF");
			int fd = kind_sock((enum kind)k);
			S(setsockopt)(fd, SOL_SOCKET, name, &big, sizeof(big));
			S(getsockopt)(fd, SOL_SOCKET, name, &vb, &l);
			DO(S(setsockopt)(fd, SOL_SOCKET, name, &neg, sizeof(neg)));
			l = sizeof(int);
			S(getsockopt)(fd, SOL_SOCKET, name, &vn, &l);
			rep("set", "same_as_1g=%d", vn == vb);
			xclose(fd);
		}
	opt_set(K_UDP4, "SO_REUSEADDR", 7);
	opt_set(K_TCP4, "SO_REUSEADDR", 1);
	opt_set(K_UDP4, "SO_REUSEPORT", 1);
	opt_set(K_TCP4, "SO_REUSEPORT", 3);
	opt_set(K_UDP4, "SO_KEEPALIVE", 1);
	opt_set(K_TCP4, "SO_KEEPALIVE", 5);
	opt_set(K_TCP4, "SO_BROADCAST", 1);
	opt_set(K_UDP4, "SO_BROADCAST", -1);
	opt_set(K_UDP6, "SO_REUSEADDR", 1);
	opt_set(K_UDP4, "SO_RCVLOWAT", 0);
	opt_set(K_UDP4, "SO_RCVLOWAT", 100);
	opt_set(K_TCP4, "SO_RCVLOWAT", 100);
	opt_set(K_UDP4, "SO_RCVLOWAT", -1);
	{
		/* TCP bounds a negative (INT_MAX) mark by half its receive
		 * buffer: how much depends on the host (tcp_rmem) */
		setcase("opt_tcp4_SO_RCVLOWAT_m1");
		int fd = kind_sock(K_TCP4), v = -1;
		socklen_t l = sizeof(v);
		setint(fd, SOL_SOCKET, SO_RCVLOWAT, -1, "set");
		DO(S(getsockopt)(fd, SOL_SOCKET, SO_RCVLOWAT, &v, &l));
		rep("get", "bounded=%d", v >= 65536 && v < INT32_MAX);
		v = 4000;
		S(setsockopt)(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		setint(fd, SOL_SOCKET, SO_RCVLOWAT, 100000, "set_after_rcvbuf");
		getint(fd, SOL_SOCKET, SO_RCVLOWAT, "get_after_rcvbuf");
		xclose(fd);
	}

	static const int ttlv[] = { 1, 64, 255, 0, 256, -1, -2 };
	for (size_t i = 0; i < sizeof(ttlv) / sizeof(ttlv[0]); i++)
		opt_set(K_UDP4, "IP_TTL", ttlv[i]);
	opt_set(K_TCP4, "IP_TTL", 17);
	opt_set(K_TCP4, "IP_TTL", 0);
	static const int tosv[] = { 0x10, 0x13, 0xff, 256, -1 };
	for (size_t i = 0; i < sizeof(tosv) / sizeof(tosv[0]); i++)
		opt_set(K_UDP4, "IP_TOS", tosv[i]);
	opt_set(K_TCP4, "IP_TOS", 0x10);
	opt_set(K_TCP4, "IP_TOS", 0x13);
	opt_set(K_UDP4, "IP_RECVTTL", 2);
	opt_set(K_UDP4, "IP_PKTINFO", 0);

	opt_set(K_TCP4, "TCP_NODELAY", 1);
	opt_set(K_TCP4, "TCP_NODELAY", 9);
	opt_set(K_TCP4, "TCP_CORK", 1);
	opt_set(K_TCP4, "TCP_CORK", 0);
	static const int mssv[] = { 88, 87, 536, 1400, 32767, 32768, 0, -1 };
	for (size_t i = 0; i < sizeof(mssv) / sizeof(mssv[0]); i++)
		opt_set(K_TCP4, "TCP_MAXSEG", mssv[i]);
	static const int kav[] = { 1, 32767, 32768, 0, -1 };
	for (size_t i = 0; i < sizeof(kav) / sizeof(kav[0]); i++) {
		opt_set(K_TCP4, "TCP_KEEPIDLE", kav[i]);
		opt_set(K_TCP4, "TCP_KEEPINTVL", kav[i]);
	}
	static const int kcv[] = { 1, 127, 128, 0 };
	for (size_t i = 0; i < sizeof(kcv) / sizeof(kcv[0]); i++)
		opt_set(K_TCP4, "TCP_KEEPCNT", kcv[i]);
	opt_set(K_TCP4, "TCP_USER_TIMEOUT", 1500);
	opt_set(K_TCP4, "TCP_USER_TIMEOUT", 0);
	opt_set(K_TCP4, "TCP_USER_TIMEOUT", -5);

	opt_set(K_UDP6, "IPV6_V6ONLY", 1);
	opt_set(K_UDP6, "IPV6_V6ONLY", 4);
	static const int hopv[] = { -1, 0, 1, 255, 256, -2 };
	for (size_t i = 0; i < sizeof(hopv) / sizeof(hopv[0]); i++)
		opt_set(K_UDP6, "IPV6_UNICAST_HOPS", hopv[i]);
	static const int tcv[] = { 0x28, 255, 256, -1, -2 };
	for (size_t i = 0; i < sizeof(tcv) / sizeof(tcv[0]); i++)
		opt_set(K_UDP6, "IPV6_TCLASS", tcv[i]);
	opt_set(K_UDP6, "IPV6_RECVPKTINFO", 1);
	opt_set(K_UDP6, "IPV6_RECVHOPLIMIT", 1);
	opt_set(K_UDP6, "IPV6_RECVTCLASS", 1);
	static const int mhv[] = { -1, 0, 5, 255, 256, -2 };
	for (size_t i = 0; i < sizeof(mhv) / sizeof(mhv[0]); i++)
		opt_set(K_UDP6, "IPV6_MULTICAST_HOPS", mhv[i]);
	static const int mlv[] = { 0, 1, 2, -1 };
	for (size_t i = 0; i < sizeof(mlv) / sizeof(mlv[0]); i++)
		opt_set(K_UDP6, "IPV6_MULTICAST_LOOP", mlv[i]);
	opt_set(K_UDP6, "IPV6_MULTICAST_IF", 0);
	opt_set(K_UDP6, "IPV6_MULTICAST_IF", 77);
	opt_set(K_UDP6, "IPV6_MULTICAST_IF", -3);
	opt_set(K_UDP6, "IPV6_MULTICAST_ALL", 0);
	static const int pdv[] = { 0, 2, 3, 5, 6, -1 };
	for (size_t i = 0; i < sizeof(pdv) / sizeof(pdv[0]); i++)
		opt_set(K_UDP6, "IPV6_MTU_DISCOVER", pdv[i]);
	opt_set(K_UDP6, "IPV6_DONTFRAG", 1);
	opt_set(K_UDP6, "IPV6_FLOWINFO", 1);
	static const int mtv[] = { 1279, 1280, 9000, 0 };
	for (size_t i = 0; i < sizeof(mtv) / sizeof(mtv[0]); i++)
		opt_set(K_UDP6, "IPV6_MTU", mtv[i]);
	/* a stream socket has no multicast sending options */
	setcase("opt_tcp6_IPV6_MULTICAST_HOPS_3");
	int tfd = kind_sock(K_TCP6);
	setint(tfd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 3, "set");
	setint(tfd, IPPROTO_IPV6, IPV6_MULTICAST_IF, 1, "set_if");
	xclose(tfd);
	/* SOL_IP options on an AF_INET6 socket (its v4-mapped traffic) */
	setcase("opt_udp6_IP_TTL_9");
	int fd = kind_sock(K_UDP6);
	setint(fd, IPPROTO_IP, IP_TTL, 9, "set");
	getint(fd, IPPROTO_IP, IP_TTL, "get");
	xclose(fd);
	/* IPV6 options on an AF_INET socket */
	setcase("opt_udp4_IPV6_V6ONLY_1");
	fd = kind_sock(K_UDP4);
	setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "set");
	getint(fd, IPPROTO_IPV6, IPV6_V6ONLY, "get");
	xclose(fd);
}

static void rep_linger(int fd, const char *step)
{
	struct linger l = { -7, -7 };
	socklen_t ll = sizeof(l);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_LINGER, &l, &ll));
	rep(step, "onoff=%d linger=%d len=%u", l.l_onoff, l.l_linger, (unsigned)ll);
}

static void c_opt_misc(void)
{
	static const struct linger lv[] = { { 1, 5 }, { 0, 9 }, { 1, 0 }, { 1, 65535 }, { 7, 2 } };
	for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
		setcase("opt_tcp4_SO_LINGER_%d_%s", lv[i].l_onoff, vtag(lv[i].l_linger));
		int fd = kind_sock(K_TCP4);
		DO(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &lv[i], sizeof(lv[i])));
		rep("set", NULL);
		rep_linger(fd, "get");
		xclose(fd);
	}
	setcase("opt_tcp4_SO_LINGER_default");
	int fd = kind_sock(K_TCP4);
	rep_linger(fd, "get");
	xclose(fd);
	setcase("opt_udp4_SO_LINGER_1_5");
	fd = kind_sock(K_UDP4);
	struct linger l15 = { 1, 5 };
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &l15, sizeof(l15)));
	rep("set", NULL);
	rep_linger(fd, "get");
	xclose(fd);
	setcase("opt_tcp4_SO_LINGER_short");
	fd = kind_sock(K_TCP4);
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &l15, sizeof(int)));
	rep("set", NULL);
	rep_linger(fd, "get");
	xclose(fd);

	/* SO_RCVTIMEO/SO_SNDTIMEO round trips */
	setcase("opt_tcp4_SO_SNDTIMEO");
	fd = kind_sock(K_TCP4);
	struct timeval tv = { 1, 500000 }, tg = { -1, -1 };
	socklen_t tl = sizeof(tg);
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	rep("set", NULL);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_SNDTIMEO, &tg, &tl));
	rep("get", "tv=%ld.%06ld len=%u", (long)tg.tv_sec, (long)tg.tv_usec, (unsigned)tl);
	tv.tv_usec = -1;
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	rep("set_bad_usec", NULL);
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, 4));
	rep("set_short", NULL);
	xclose(fd);

	/* TCP_CONGESTION */
	setcase("opt_tcp4_TCP_CONGESTION_cubic");
	fd = kind_sock(K_TCP4);
	char cc[16] = "";
	socklen_t cl = sizeof(cc);
	DO(S(setsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5));
	rep("set", NULL);
	DO(S(getsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cl));
	rep("get", "val=%s len=%u", cc, (unsigned)cl);
	xclose(fd);

	/* options of the other protocol */
	setcase("opt_udp4_TCP_NODELAY");
	fd = kind_sock(K_UDP4);
	setint(fd, IPPROTO_TCP, TCP_NODELAY, 1, "set");
	getint(fd, IPPROTO_TCP, TCP_NODELAY, "get");
	xclose(fd);
	setcase("opt_tcp4_UDP_CORK");
	fd = kind_sock(K_TCP4);
	setint(fd, IPPROTO_UDP, 1 /* UDP_CORK */, 1, "set");
	getint(fd, IPPROTO_UDP, 1, "get");
	xclose(fd);

	/* accepted sockets inherit the listener's options: set before
	 * listen(), and set on a listener that already listens */
	for (int after = 0; after < 2; after++) {
		setcase("opt_tcp4_inherit_%s_listen", after ? "after" : "before");
		struct sockaddr_storage n;
		socklen_t nl = sizeof(n);
		struct sockaddr_in l0 = sin4(LOCAL_IP, 0);
		int ls = kind_sock(K_TCP4), v = 20000, one = 1, ttl = 33;
		struct linger lg = { 1, 7 };
		S(bind)(ls, SA(&l0), sizeof(l0));
		if (after)
			S(listen)(ls, 8);
		S(setsockopt)(ls, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		S(setsockopt)(ls, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		S(setsockopt)(ls, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		S(setsockopt)(ls, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		S(setsockopt)(ls, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (!after)
			S(listen)(ls, 8);
		S(getsockname)(ls, SA(&n), &nl);
		int c = kind_sock(K_TCP4);
		S(connect)(c, SA(&n), nl);
		int s = S(accept)(ls, NULL, NULL);
		getint(s, SOL_SOCKET, SO_RCVBUF, "accepted_rcvbuf");
		getint(s, IPPROTO_TCP, TCP_NODELAY, "accepted_nodelay");
		getint(s, SOL_SOCKET, SO_KEEPALIVE, "accepted_keepalive");
		getint(s, IPPROTO_IP, IP_TTL, "accepted_ttl");
		rep_linger(s, "accepted_linger");
		getint(s, SOL_SOCKET, SO_ACCEPTCONN, "accepted_acceptconn");
		getint(ls, SOL_SOCKET, SO_ACCEPTCONN, "listener_acceptconn");
		xclose(s);
		xclose(c);
		xclose(ls);
	}
}

/* ---- option lengths ---- */

static void getlen(int fd, int level, int name, int len, const char *step)
{
	unsigned char b[8];
	memset(b, 0xee, sizeof(b));
	socklen_t l = (socklen_t)len;
	DO(S(getsockopt)(fd, level, name, b, &l));
	rep(step, "len=%d bytes=%02x%02x%02x%02x%02x", (int)l, b[0], b[1], b[2], b[3], b[4]);
}

static void setlen(int fd, int level, int name, int v, int len, const char *step)
{
	unsigned char b[8];
	memset(b, 0, sizeof(b));
	memcpy(b, &v, sizeof(v));
	DO(S(setsockopt)(fd, level, name, b, (socklen_t)len));
	rep(step, NULL);
}

static void c_optlen(void)
{
	static const struct {
		const char *n;
		enum kind k;
		int level, opt;
	} g[] = {
		{ "SO_REUSEADDR", K_UDP4, SOL_SOCKET, SO_REUSEADDR },
		{ "SO_TYPE", K_TCP4, SOL_SOCKET, SO_TYPE },
		{ "IP_TTL", K_UDP4, IPPROTO_IP, IP_TTL },
		{ "IP_TOS", K_UDP4, IPPROTO_IP, IP_TOS },
		{ "TCP_NODELAY", K_TCP4, IPPROTO_TCP, TCP_NODELAY },
		{ "TCP_KEEPIDLE", K_TCP4, IPPROTO_TCP, TCP_KEEPIDLE },
		{ "IPV6_UNICAST_HOPS", K_UDP6, IPPROTO_IPV6, IPV6_UNICAST_HOPS },
		{ "IPV6_V6ONLY", K_UDP6, IPPROTO_IPV6, IPV6_V6ONLY },
	};
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		setcase("optlen_get_%s_%s", kname[g[i].k], g[i].n);
		int fd = kind_sock(g[i].k);
		getlen(fd, g[i].level, g[i].opt, 0, "len0");
		getlen(fd, g[i].level, g[i].opt, 1, "len1");
		getlen(fd, g[i].level, g[i].opt, 2, "len2");
		getlen(fd, g[i].level, g[i].opt, 8, "len8");
		getlen(fd, g[i].level, g[i].opt, -1, "len_neg");
		xclose(fd);
		setcase("optlen_set_%s_%s", kname[g[i].k], g[i].n);
		fd = kind_sock(g[i].k);
		int val = g[i].opt == IP_TOS ? 0x20 : g[i].opt == SO_TYPE ? 1 : 7;
		setlen(fd, g[i].level, g[i].opt, val, 0, "len0");
		setlen(fd, g[i].level, g[i].opt, val, 1, "len1");
		setlen(fd, g[i].level, g[i].opt, val, 3, "len3");
		setlen(fd, g[i].level, g[i].opt, val, 8, "len8");
		getint(fd, g[i].level, g[i].opt, "get");
		xclose(fd);
	}
}

/* ---- wrong states ---- */

static void c_state_udp(void)
{
	struct sockaddr_in any0 = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	struct sockaddr_in pi = sin4(PEER_IP, INFO_PORT);
	char b[16];

	setcase("state_udp_bind_twice");
	int fd = kind_sock(K_UDP4);
	DO(S(bind)(fd, SA(&any0), sizeof(any0))); rep("bind", NULL);
	DO(S(bind)(fd, SA(&any0), sizeof(any0))); rep("bind_again", NULL);
	xclose(fd);

	setcase("state_udp_bind_after_connect");
	fd = kind_sock(K_UDP4);
	DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
	DO(S(bind)(fd, SA(&any0), sizeof(any0))); rep("bind", NULL);
	xclose(fd);

	setcase("state_udp_connect_twice");
	fd = kind_sock(K_UDP4);
	DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
	DO(S(connect)(fd, SA(&pi), sizeof(pi))); rep("connect_other", NULL);
	rep_name(fd, "peer", 1);
	xclose(fd);

	setcase("state_udp_listen");
	fd = kind_sock(K_UDP4);
	DO(S(listen)(fd, 1)); rep("listen", NULL);
	S(bind)(fd, SA(&any0), sizeof(any0));
	DO(S(listen)(fd, 1)); rep("listen_bound", NULL);
	xclose(fd);

	setcase("state_udp_accept");
	fd = kind_sock(K_UDP4);
	DO(S(accept4)(fd, NULL, NULL, SOCK_NONBLOCK)); rep("accept4", NULL);
	xclose(fd);

	setcase("state_udp_send_unconnected");
	fd = kind_sock(K_UDP4);
	DO(S(write)(fd, "x", 1)); rep("write", NULL);
	struct iovec iv = { "x", 1 };
	DO(S(writev)(fd, &iv, 1)); rep("writev", NULL);
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iv;
	m.msg_iovlen = 1;
	DO(S(sendmsg)(fd, &m, 0)); rep("sendmsg", NULL);
	xclose(fd);

	setcase("state_udp_shutdown_unconnected");
	fd = kind_sock(K_UDP4);
	DO(S(shutdown)(fd, SHUT_RD)); rep("rd", NULL);
	DO(S(shutdown)(fd, SHUT_RDWR)); rep("rdwr", NULL);
	DO(S(shutdown)(fd, -1)); rep("minus1", NULL);
	xclose(fd);

	setcase("state_udp_shutdown_rdwr_connected");
	fd = kind_sock(K_UDP4);
	S(connect)(fd, SA(&p), sizeof(p));
	DO(S(shutdown)(fd, SHUT_RDWR)); rep("rdwr", NULL);
	DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv", NULL);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL)); rep("send", NULL);
	rep_poll(fd, POLLIN | POLLOUT | POLLRDHUP, 0, "poll");
	DO(S(shutdown)(fd, SHUT_RDWR)); rep("rdwr_again", NULL);
	xclose(fd);

	setcase("state_udp_recv_zero_len");
	fd = kind_sock(K_UDP4);
	S(bind)(fd, SA(&any0), sizeof(any0));
	DO(S(recv)(fd, b, 0, MSG_DONTWAIT)); rep("recv0", NULL);
	DO(S(sendto)(fd, b, 0, 0, SA(&p), sizeof(p))); rep("sendto0", NULL);
	settle(fd, POLLIN, 5000);
	DO(S(recv)(fd, b, 0, 0)); rep("recv0_datagram", NULL);
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT)); rep("recv_after", NULL);
	xclose(fd);

	setcase("state_udp_bad_flags");
	fd = kind_sock(K_UDP4);
	S(bind)(fd, SA(&any0), sizeof(any0));
	DO(S(recv)(fd, b, sizeof(b), MSG_OOB | MSG_DONTWAIT)); rep("recv_oob", NULL);
	DO(S(recv)(fd, b, sizeof(b), MSG_ERRQUEUE)); rep("recv_errqueue", NULL);
	{
		struct sockaddr_in l0 = sin4(LOCAL_IP, 0);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		int a = kind_sock(K_UDP4);
		S(bind)(a, SA(&l0), sizeof(l0));
		S(getsockname)(a, SA(&n), &nn);
		S(sendto)(fd, "oob", 3, 0, SA(&n), nn);
		settle(a, POLLIN, 5000);
		DO(S(recv)(a, b, sizeof(b), MSG_OOB)); rep("recv_oob_data", NULL);
		xclose(a);
	}
	xclose(fd);

	setcase("state_udp_bind_wrong_family");
	fd = kind_sock(K_UDP4);
	struct sockaddr_in6 a6 = sin6("::", 0);
	DO(S(bind)(fd, SA(&a6), sizeof(a6))); rep("bind_in6", NULL);
	DO(S(connect)(fd, SA(&a6), sizeof(a6))); rep("connect_in6", NULL);
	xclose(fd);

	setcase("state_udp_connect_unspec_fresh");
	fd = kind_sock(K_UDP4);
	struct sockaddr_in u;
	memset(&u, 0, sizeof(u));
	u.sin_family = AF_UNSPEC;
	DO(S(connect)(fd, SA(&u), sizeof(u))); rep("connect_unspec", NULL);
	rep_name(fd, "name", 0);
	xclose(fd);

	/* __udp_disconnect: a port bind() was given as 0 is not locked and
	 * goes; one bind() named stays, and so does a bound address */
	static const struct { const char *name, *ip; int port; } ub[] = {
		{ "state_udp_disconnect_bind_local0", LOCAL_IP, 0 },
		{ "state_udp_disconnect_bind_any0", "0.0.0.0", 0 },
		{ "state_udp_disconnect_bind_port", LOCAL_IP, 5013 },
	};
	for (size_t i = 0; i < sizeof(ub) / sizeof(ub[0]); i++) {
		setcase("%s", ub[i].name);
		fd = kind_sock(K_UDP4);
		struct sockaddr_in ba = sin4(ub[i].ip, ub[i].port), pe = sin4(PEER_IP, ECHO_PORT);
		DO(S(bind)(fd, SA(&ba), sizeof(ba))); rep("bind", NULL);
		DO(S(connect)(fd, SA(&pe), sizeof(pe))); rep("connect", NULL);
		rep_name(fd, "connected", 0);
		DO(S(connect)(fd, SA(&u), sizeof(u))); rep("connect_unspec", NULL);
		rep_name(fd, "after", 0);
		xclose(fd);
	}
}

static void c_state_tcp(void)
{
	struct sockaddr_in any0 = sin4("0.0.0.0", 0), l0 = sin4(LOCAL_IP, 0);
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
	char b[16];
	int fd, c, s;

	setcase("state_tcp_bind_twice");
	fd = kind_sock(K_TCP4);
	DO(S(bind)(fd, SA(&any0), sizeof(any0))); rep("bind", NULL);
	DO(S(bind)(fd, SA(&l0), sizeof(l0))); rep("bind_again", NULL);
	xclose(fd);

	setcase("state_tcp_bind_after_connect");
	fd = connect_peer(ECHO_PORT);
	DO(S(bind)(fd, SA(&any0), sizeof(any0))); rep("bind", NULL);
	xclose(fd);

	setcase("state_tcp_bind_short");
	fd = kind_sock(K_TCP4);
	DO(S(bind)(fd, SA(&any0), sizeof(any0) - 1)); rep("bind_short", NULL);
	struct sockaddr_in6 a6 = sin6("::", 0);
	DO(S(bind)(fd, SA(&a6), sizeof(a6))); rep("bind_in6", NULL);
	struct sockaddr_in nl = sin4("10.0.0.77", 0);
	DO(S(bind)(fd, SA(&nl), sizeof(nl))); rep("bind_nonlocal", NULL);
	xclose(fd);

	setcase("state_tcp_connect_bad_addr");
	fd = kind_sock(K_TCP4);
	DO(S(connect)(fd, SA(&p), sizeof(p) - 1)); rep("connect_short", NULL);
	DO(S(connect)(fd, SA(&a6), sizeof(a6))); rep("connect_in6", NULL);
	DO(S(connect)(fd, NULL, 0)); rep("connect_null", NULL);
	xclose(fd);

	setcase("state_tcp_connect_twice");
	fd = connect_peer(ECHO_PORT);
	DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect_same", NULL);
	struct sockaddr_in p2 = sin4(PEER_IP, RST_PORT);
	DO(S(connect)(fd, SA(&p2), sizeof(p2))); rep("connect_other", NULL);
	xclose(fd);

	setcase("state_tcp_accept_unlistening");
	fd = kind_sock(K_TCP4);
	DO(S(accept)(fd, NULL, NULL)); rep("accept_fresh", NULL);
	S(bind)(fd, SA(&l0), sizeof(l0));
	DO(S(accept)(fd, NULL, NULL)); rep("accept_bound", NULL);
	xclose(fd);

	setcase("state_tcp_accept_connected");
	fd = connect_peer(ECHO_PORT);
	DO(S(accept)(fd, NULL, NULL)); rep("accept", NULL);
	DO(S(listen)(fd, 4)); rep("listen", NULL);
	xclose(fd);

	setcase("state_tcp_listen_backlog");
	fd = kind_sock(K_TCP4);
	S(bind)(fd, SA(&l0), sizeof(l0));
	DO(S(listen)(fd, -1)); rep("listen_neg", NULL);
	DO(S(listen)(fd, 0)); rep("listen_0", NULL);
	DO(S(listen)(fd, 100000)); rep("listen_big", NULL);
	getint(fd, SOL_SOCKET, SO_ACCEPTCONN, "acceptconn");
	xclose(fd);

	setcase("state_tcp_send_unconnected");
	fd = kind_sock(K_TCP4);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL)); rep("send", NULL);
	DO(S(sendto)(fd, "x", 1, MSG_NOSIGNAL, SA(&p), sizeof(p))); rep("sendto_addr", NULL);
	DO(S(write)(fd, "x", 1)); rep("write", NULL);
	DO(S(read)(fd, b, sizeof(b))); rep("read", NULL);
	xclose(fd);

	setcase("state_tcp_shutdown_how");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		DO(S(shutdown)(c, 3)); rep("how3", NULL);
		DO(S(shutdown)(c, -1)); rep("how_neg", NULL);
		DO(S(shutdown)(c, SHUT_WR)); rep("wr", NULL);
		DO(S(shutdown)(c, SHUT_WR)); rep("wr_again", NULL);
		DO(S(shutdown)(c, SHUT_RD)); rep("rd", NULL);
		DO(S(shutdown)(c, SHUT_RDWR)); rep("rdwr", NULL);
		xclose(c);
		xclose(s);
	}

	setcase("state_tcp_shut_wr_send");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		DO(S(shutdown)(c, SHUT_WR)); rep("shutdown", NULL);
		DO(S(send)(c, "x", 1, MSG_NOSIGNAL)); rep("send", NULL);
		DO(S(write)(c, "x", 1)); rep("write_sigpipe_ignored", NULL);
		DO(S(recv)(s, b, sizeof(b), 0)); rep("peer_recv_eof", NULL);
		DO(S(send)(s, "back", 4, 0)); rep("peer_send", NULL);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, 4, MSG_WAITALL)); rep("recv_still", "data=%.4s", b);
		xclose(c);
		xclose(s);
	}

	setcase("state_tcp_shut_rd_recv");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		DO(S(shutdown)(c, SHUT_RD)); rep("shutdown", NULL);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv", NULL);
		DO(S(recv)(c, b, sizeof(b), MSG_DONTWAIT)); rep("recv_dontwait", NULL);
		DO(S(send)(c, "ok", 2, 0)); rep("send", NULL);
		memset(b, 0, sizeof(b));
		DO(S(recv)(s, b, 2, MSG_WAITALL)); rep("peer_recv", "data=%.2s", b);
		xclose(c);
		xclose(s);
	}

	setcase("state_tcp_shut_rdwr");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		DO(S(shutdown)(c, SHUT_RDWR)); rep("shutdown", NULL);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv", NULL);
		DO(S(send)(c, "x", 1, MSG_NOSIGNAL)); rep("send", NULL);
		DO(S(recv)(s, b, sizeof(b), 0)); rep("peer_recv_eof", NULL);
		rep_name(c, "peer_name", 1);
		xclose(c);
		xclose(s);
	}

	setcase("state_tcp_after_peer_close");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		xclose(s);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv_eof", NULL);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv_eof_again", NULL);
		rep_name(c, "peer_name", 1);
		DO(S(send)(c, "x", 1, MSG_NOSIGNAL)); rep("send_first", NULL);
		xclose(c);
	}

	/* tcp_disconnect of a listener bound to port 0: the port is not
	 * locked and goes with listening (another socket may bind it), and
	 * listen takes a fresh one; a port bind() named stays */
	for (int named = 0; named < 2; named++) {
		setcase(named ? "state_tcp_relisten_bind_port" : "state_tcp_relisten_bind0");
		fd = kind_sock(K_TCP4);
		struct sockaddr_in ba = sin4(LOCAL_IP, named ? 5014 : 0);
		DO(S(bind)(fd, SA(&ba), sizeof(ba))); rep("bind", NULL);
		DO(S(listen)(fd, 4)); rep("listen", NULL);
		struct sockaddr_in n;
		socklen_t nn = sizeof(n);
		S(getsockname)(fd, SA(&n), &nn);
		DO(S(shutdown)(fd, SHUT_RD)); rep("stop", NULL);
		int t = kind_sock(K_TCP4);
		DO(S(bind)(t, SA(&n), nn)); rep("bind_its_port", NULL);
		xclose(t);
		DO(S(listen)(fd, 4)); rep("listen_again", NULL);
		rep_name(fd, "name", 0);
		xclose(fd);
	}

	setcase("state_tcp_listen_closed_port_reuse");
	{
		int ls = listener(AF_INET, 0);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(getsockname)(ls, SA(&n), &nn);
		int t = kind_sock(K_TCP4);
		DO(S(bind)(t, SA(&n), nn)); rep("bind_listening_port", NULL);
		int one = 1;
		S(setsockopt)(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		DO(S(bind)(t, SA(&n), nn)); rep("bind_listening_port_reuseaddr", NULL);
		xclose(t);
		xclose(ls);
		t = kind_sock(K_TCP4);
		DO(S(bind)(t, SA(&n), nn)); rep("bind_after_close", NULL);
		xclose(t);
	}
}

/* ---- names ---- */

static void c_names(void)
{
	int c, s;
	setcase("name_tcp_fresh");
	int fd = kind_sock(K_TCP4);
	rep_name(fd, "sock", 0);
	rep_name(fd, "peer", 1);
	xclose(fd);

	setcase("name_tcp_bound");
	fd = kind_sock(K_TCP4);
	struct sockaddr_in l0 = sin4(LOCAL_IP, 0);
	S(bind)(fd, SA(&l0), sizeof(l0));
	rep_name(fd, "sock", 0);
	rep_name(fd, "peer", 1);
	xclose(fd);

	setcase("name_tcp_listening");
	fd = listener(AF_INET, 0);
	rep_name(fd, "sock", 0);
	rep_name(fd, "peer", 1);
	xclose(fd);

	setcase("name_tcp_pair");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		rep_name(c, "client_sock", 0);
		rep_name(c, "client_peer", 1);
		rep_name(s, "server_sock", 0);
		rep_name(s, "server_peer", 1);
		xclose(c);
		xclose(s);
	}

	setcase("name_tcp_accept_addr");
	{
		int ls = listener(AF_INET, 0);
		struct sockaddr_storage n, f;
		socklen_t nn = sizeof(n), fl;
		S(getsockname)(ls, SA(&n), &nn);
		int cl = kind_sock(K_TCP4);
		S(connect)(cl, SA(&n), nn);
		fl = 4;
		memset(&f, 0, sizeof(f));
		DO(s = S(accept)(ls, SA(&f), &fl));
		printf("%s accept_short: ret=%s addrlen=%u family=%d\n", cs, s >= 0 ? "fd" : "-1",
		       (unsigned)fl, f.ss_family);
		xclose(s);
		xclose(cl);
		cl = kind_sock(K_TCP4);
		S(connect)(cl, SA(&n), nn);
		fl = sizeof(f);
		DO(s = S(accept)(ls, SA(&f), &fl));
		printf("%s accept: ret=%s addr=%s\n", cs, s >= 0 ? "fd" : "-1", aname(&f, fl));
		xclose(s);
		xclose(cl);
		xclose(ls);
	}

	setcase("name_tcp_peer");
	fd = connect_peer(ECHO_PORT);
	rep_name(fd, "sock", 0);
	rep_name(fd, "peer", 1);
	S(shutdown)(fd, SHUT_WR);
	{
		char b[8];
		/* the echo service closes after our FIN: TIME-WAIT */
		DO(S(recv)(fd, b, sizeof(b), 0)); rep("recv_eof", NULL);
		settle(fd, 0, 5000);
	}
	rep_name(fd, "peer_time_wait", 1);
	rep_name(fd, "sock_time_wait", 0);
	xclose(fd);

	setcase("name_tcp_half_closed");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(shutdown)(c, SHUT_WR);
		settle(s, POLLRDHUP, 5000);
		rep_name(c, "shut_wr_peer", 1);
		rep_name(s, "fin_received_peer", 1);
		S(shutdown)(s, SHUT_WR);
		settle(c, POLLRDHUP, 5000);
		rep_name(s, "last_ack_peer_sock", 0);
		xclose(c);
		xclose(s);
	}

	setcase("name_udp_connected_any_bound");
	fd = kind_sock(K_UDP4);
	struct sockaddr_in a0 = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	S(bind)(fd, SA(&a0), sizeof(a0));
	rep_name(fd, "sock_bound", 0);
	S(connect)(fd, SA(&p), sizeof(p));
	rep_name(fd, "sock_connected", 0);
	rep_name(fd, "peer", 1);
	xclose(fd);

	setcase("name_udp_local_loop");
	{
		int a = kind_sock(K_UDP4), bb = kind_sock(K_UDP4);
		S(bind)(a, SA(&l0), sizeof(l0));
		struct sockaddr_storage n, f;
		socklen_t nn = sizeof(n), fl = sizeof(f);
		S(getsockname)(a, SA(&n), &nn);
		DO(S(sendto)(bb, "loop", 4, 0, SA(&n), nn)); rep("sendto", NULL);
		settle(a, POLLIN, 5000);
		char b[8];
		memset(&f, 0, sizeof(f));
		DO(S(recvfrom)(a, b, sizeof(b), 0, SA(&f), &fl));
		rep("recvfrom", "from=%s", aname(&f, fl));
		rep_name(bb, "sender_sock", 0);
		xclose(a);
		xclose(bb);
	}
}

/* ---- ports ---- */

static void c_eph(void)
{
	struct sockaddr_in a0 = sin4("0.0.0.0", 0), p = sin4(PEER_IP, ECHO_PORT);
	setcase("eph_tcp_bind0");
	int fd = kind_sock(K_TCP4);
	DO(S(bind)(fd, SA(&a0), sizeof(a0))); rep("bind", NULL);
	rep_name(fd, "sock", 0);
	xclose(fd);

	setcase("eph_tcp_listen_autobind");
	fd = kind_sock(K_TCP4);
	DO(S(listen)(fd, 2)); rep("listen", NULL);
	rep_name(fd, "sock", 0);
	xclose(fd);

	setcase("eph_tcp_connect_autobind");
	fd = connect_peer(ECHO_PORT);
	rep_name(fd, "sock", 0);
	xclose(fd);

	setcase("eph_udp_connect_autobind");
	fd = kind_sock(K_UDP4);
	DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
	rep_name(fd, "sock", 0);
	xclose(fd);

	setcase("eph_udp_sendto_autobind");
	fd = kind_sock(K_UDP4);
	DO(S(sendto)(fd, "x", 1, 0, SA(&p), sizeof(p))); rep("sendto", NULL);
	rep_name(fd, "sock", 0);
	xclose(fd);

	setcase("eph_distinct");
	{
		int s[8], same = 0, inr = 0;
		unsigned ports[8];
		for (int i = 0; i < 8; i++) {
			struct sockaddr_in n;
			socklen_t nl = sizeof(n);
			s[i] = kind_sock(i % 2 ? K_TCP4 : K_UDP4);
			S(bind)(s[i], SA(&a0), sizeof(a0));
			S(getsockname)(s[i], SA(&n), &nl);
			ports[i] = ntohs(n.sin_port);
			inr += ports[i] >= EPH_LO && ports[i] <= EPH_HI;
		}
		for (int i = 0; i < 8; i++)
			for (int j = i + 1; j < 8; j++)
				same += ports[i] == ports[j] && (i % 2) == (j % 2);
		printf("%s ports: in_range=%d same_proto_duplicates=%d\n", cs, inr, same);
		for (int i = 0; i < 8; i++)
			xclose(s[i]);
	}

	setcase("eph_tcp_udp_same_port");
	{
		struct sockaddr_in x = sin4("0.0.0.0", 5101);
		int u = kind_sock(K_UDP4), t = kind_sock(K_TCP4);
		DO(S(bind)(u, SA(&x), sizeof(x))); rep("bind_udp", NULL);
		DO(S(bind)(t, SA(&x), sizeof(x))); rep("bind_tcp", NULL);
		xclose(u);
		xclose(t);
	}

	setcase("eph_tcp_reuseaddr_bound");
	{
		struct sockaddr_in x = sin4(LOCAL_IP, 5102);
		int one = 1, a = kind_sock(K_TCP4), b = kind_sock(K_TCP4), c = kind_sock(K_TCP4);
		S(setsockopt)(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		S(setsockopt)(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		DO(S(bind)(a, SA(&x), sizeof(x))); rep("bind_a", NULL);
		DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_b_reuseaddr", NULL);
		DO(S(bind)(c, SA(&x), sizeof(x))); rep("bind_c_plain", NULL);
		DO(S(listen)(a, 4)); rep("listen_a", NULL);
		DO(S(listen)(b, 4)); rep("listen_b", NULL);
		xclose(a);
		xclose(b);
		xclose(c);
	}

	setcase("eph_tcp_reuseport_listen");
	{
		struct sockaddr_in x = sin4(LOCAL_IP, 5103);
		int one = 1, a = kind_sock(K_TCP4), b = kind_sock(K_TCP4), c = kind_sock(K_TCP4);
		S(setsockopt)(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		S(setsockopt)(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		DO(S(bind)(a, SA(&x), sizeof(x))); rep("bind_a", NULL);
		DO(S(listen)(a, 4)); rep("listen_a", NULL);
		DO(S(bind)(b, SA(&x), sizeof(x))); rep("bind_b", NULL);
		DO(S(listen)(b, 4)); rep("listen_b", NULL);
		DO(S(bind)(c, SA(&x), sizeof(x))); rep("bind_c_plain", NULL);
		xclose(a);
		xclose(b);
		xclose(c);
	}

	setcase("eph_tcp_wildcard_vs_specific");
	{
		struct sockaddr_in w = sin4("0.0.0.0", 5104), l = sin4(LOCAL_IP, 5104);
		int a = kind_sock(K_TCP4), b = kind_sock(K_TCP4);
		DO(S(bind)(a, SA(&w), sizeof(w))); rep("bind_wildcard", NULL);
		DO(S(bind)(b, SA(&l), sizeof(l))); rep("bind_specific", NULL);
		xclose(a);
		xclose(b);
	}
}

/* ---- message flags ---- */

static void c_msg(void)
{
	int c, s;
	char b[64];

	setcase("msg_tcp_peek");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "abcdef", 6, 0);
		wait_bytes(c, 6);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, 3, MSG_PEEK)); rep("peek3", "data=%.3s", b);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, sizeof(b), MSG_PEEK)); rep("peek_all", "data=%.6s", b);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, 2, 0)); rep("recv2", "data=%.2s", b);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT)); rep("peek_rest", "data=%.4s", b);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv_rest", NULL);
		DO(S(recv)(c, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT)); rep("peek_empty", NULL);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_waitall");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "ab", 2, 0);
		S(send)(s, "cd", 2, 0);
		S(send)(s, "ef", 2, 0);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, 6, MSG_WAITALL)); rep("waitall6", "data=%.6s", b);
		S(send)(s, "gh", 2, 0);
		S(shutdown)(s, SHUT_WR);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, 10, MSG_WAITALL)); rep("waitall_eof", "data=%.2s", b);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_waitall_nonblock");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "xyz", 3, 0);
		wait_bytes(c, 3);
		DO(S(recv)(c, b, 10, MSG_WAITALL | MSG_DONTWAIT)); rep("recv", NULL);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_dontwait");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		DO(S(recv)(c, b, sizeof(b), MSG_DONTWAIT)); rep("empty", NULL);
		DO(S(send)(c, "d", 1, MSG_DONTWAIT)); rep("send", NULL);
		wait_bytes(s, 1);
		DO(S(recv)(s, b, sizeof(b), MSG_DONTWAIT)); rep("recv", NULL);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_trunc");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "0123456789", 10, 0);
		wait_bytes(c, 10);
		DO(S(recv)(c, b, 4, MSG_TRUNC)); rep("trunc4", NULL);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, sizeof(b), 0)); rep("rest", "data=%.6s", b);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_zero_len");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		DO(S(send)(c, b, 0, 0)); rep("send0", NULL);
		DO(S(recv)(s, b, 0, MSG_DONTWAIT)); rep("recv0_dontwait", NULL);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_readv_writev");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		struct iovec w[3] = { { "one", 3 }, { "", 0 }, { "two", 3 } };
		DO(S(writev)(c, w, 3)); rep("writev", NULL);
		char x[2], y[8];
		memset(y, 0, sizeof(y));
		struct iovec r[2] = { { x, 2 }, { y, 4 } };
		wait_bytes(s, 6);
		DO(S(readv)(s, r, 2)); rep("readv", "data=%.2s%.4s", x, y);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_fionread_siocoutq");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int v = -1;
		DO(S(ioctl)(s, FIONREAD, &v)); rep("fionread_empty", "val=%d", v);
		S(send)(c, "12345678", 8, 0);
		wait_bytes(s, 8);
		DO(S(ioctl)(s, FIONREAD, &v)); rep("fionread_8", "val=%d", v);
		S(recv)(s, b, 3, 0);
		DO(S(ioctl)(s, FIONREAD, &v)); rep("fionread_5", "val=%d", v);
		for (int i = 0; i < 300; i++) {
			DO(S(ioctl)(c, TIOCOUTQ, &v));
			if (g_r < 0 || v == 0)
				break;
			usleep(5000);
		}
		rep("siocoutq_acked", "val=%d", v);
		S(shutdown)(c, SHUT_WR);
		settle(s, POLLRDHUP, 5000);
		DO(S(ioctl)(s, FIONREAD, &v)); rep("fionread_after_fin", "val=%d", v);
		xclose(c);
		xclose(s);
	}

	setcase("msg_udp_peek_trunc");
	{
		struct sockaddr_in a0 = sin4(LOCAL_IP, 0);
		int a = kind_sock(K_UDP4), bb = kind_sock(K_UDP4);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(bind)(a, SA(&a0), sizeof(a0));
		S(getsockname)(a, SA(&n), &nn);
		S(sendto)(bb, "0123456789", 10, 0, SA(&n), nn);
		S(sendto)(bb, "second", 6, 0, SA(&n), nn);
		settle(a, POLLIN, 5000);
		wait_bytes(a, 10);
		DO(S(recv)(a, b, 4, MSG_PEEK | MSG_TRUNC)); rep("peek_trunc", NULL);
		DO(S(recv)(a, b, 4, MSG_PEEK)); rep("peek_short", NULL);
		struct msghdr m;
		struct iovec iv = { b, 4 };
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iv;
		m.msg_iovlen = 1;
		DO(S(recvmsg)(a, &m, MSG_PEEK)); rep("recvmsg_peek", "msg_flags=0x%x", m.msg_flags);
		DO(S(recv)(a, b, 4, MSG_TRUNC)); rep("trunc", NULL);
		for (int i = 0; i < 300; i++) {
			struct pollfd q = { .fd = a, .events = POLLIN };
			if (S(poll)(&q, 1, 10) == 1)
				break;
		}
		DO(S(recv)(a, b, 0, MSG_TRUNC | MSG_DONTWAIT)); rep("trunc_len0", NULL);
		DO(S(recv)(a, b, sizeof(b), MSG_DONTWAIT)); rep("empty", NULL);
		int v = -1;
		DO(S(ioctl)(bb, TIOCOUTQ, &v)); rep("siocoutq_udp", "val=%d", v);
		xclose(a);
		xclose(bb);
	}

	setcase("msg_tcp_rcvlowat");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int v = 5;
		DO(S(setsockopt)(c, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v))); rep("set", NULL);
		S(send)(s, "abc", 3, 0);
		wait_bytes(c, 3);
		rep_poll(c, POLLIN | POLLOUT, 0, "poll_below_mark");
		ep_once(c, EPOLLIN | EPOLLOUT, 0, "epoll_below_mark");
		S(send)(s, "de", 2, 0);
		settle(c, POLLIN, 5000);
		rep_poll(c, POLLIN | POLLOUT, 0, "poll_at_mark");
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, 2, 0)); rep("recv_2", "data=%.2s", b);
		rep_poll(c, POLLIN, 0, "poll_below_again");
		DO(S(recv)(c, b, sizeof(b), MSG_DONTWAIT)); rep("recv_dontwait_below", NULL);
		S(send)(s, "fghij", 5, 0);
		S(send)(s, "k", 1, 0);
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv_blocking", "ge5=%d", g_r >= 5);
		S(send)(s, "xy", 2, 0);
		S(shutdown)(s, SHUT_WR);
		settle(c, POLLRDHUP, 5000);
		rep_poll(c, POLLIN | POLLRDHUP, 0, "poll_fin_below_mark");
		memset(b, 0, sizeof(b));
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv_fin", NULL);
		xclose(c);
		xclose(s);
	}

	setcase("msg_tcp_rcvlowat_inherit");
	{
		int ls = listener(AF_INET, 0), v = 7;
		S(setsockopt)(ls, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v));
		getint(ls, SOL_SOCKET, SO_RCVLOWAT, "listener");
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(getsockname)(ls, SA(&n), &nn);
		int cl = kind_sock(K_TCP4);
		S(connect)(cl, SA(&n), nn);
		int a = S(accept)(ls, NULL, NULL);
		getint(a, SOL_SOCKET, SO_RCVLOWAT, "accepted");
		xclose(a);
		xclose(cl);
		xclose(ls);
	}

	setcase("msg_udp_rcvlowat_ignored");
	{
		struct sockaddr_in a0 = sin4(LOCAL_IP, 0);
		int a = kind_sock(K_UDP4), bb = kind_sock(K_UDP4), v = 100;
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(bind)(a, SA(&a0), sizeof(a0));
		S(getsockname)(a, SA(&n), &nn);
		S(setsockopt)(a, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v));
		S(sendto)(bb, "tiny", 4, 0, SA(&n), nn);
		settle(a, POLLIN, 5000);
		rep_poll(a, POLLIN, 0, "poll");
		DO(S(recv)(a, b, sizeof(b), MSG_DONTWAIT)); rep("recv", NULL);
		xclose(a);
		xclose(bb);
	}
}

/* ---- readiness ---- */

static unsigned ep_once(int fd, unsigned events, int timeout, const char *step)
{
	int ep = S(epoll_create1)(0);
	struct epoll_event ev = { .events = events, .data.u32 = 77 }, out;
	memset(&out, 0, sizeof(out));
	S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &ev);
	DO(S(epoll_wait)(ep, &out, 1, timeout));
	rep(step, "events=%s data=%u", revname(g_r > 0 ? out.events : 0), g_r > 0 ? out.data.u32 : 0);
	xclose(ep);
	return out.events;
}

#define ALLPOLL (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)
#define ALLEP (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI)

/* poll and level-triggered epoll on one socket, now */
static void ready_both(int fd, const char *what)
{
	char st[64];
	snprintf(st, sizeof(st), "poll_%s", what);
	rep_poll(fd, ALLPOLL, 0, st);
	snprintf(st, sizeof(st), "epoll_%s", what);
	ep_once(fd, ALLEP, 0, st);
	snprintf(st, sizeof(st), "poll_none_%s", what);
	rep_poll(fd, 0, 0, st);
}

static void c_ready(void)
{
	int c, s;
	char b[64];

	setcase("ready_tcp_fresh");
	int fd = kind_sock(K_TCP4);
	ready_both(fd, "fresh");
	xclose(fd);

	setcase("ready_tcp_listener_idle");
	int ls = listener(AF_INET, 0);
	ready_both(ls, "idle");

	setcase("ready_tcp_listener_pending");
	{
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(getsockname)(ls, SA(&n), &nn);
		int cl = kind_sock(K_TCP4);
		S(connect)(cl, SA(&n), nn);
		settle(ls, POLLIN, 5000);
		ready_both(ls, "pending");
		int a = S(accept)(ls, NULL, NULL);
		ready_both(ls, "accepted");
		xclose(a);
		xclose(cl);
	}
	xclose(ls);

	setcase("ready_tcp_connected_idle");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		ready_both(c, "client");
		ready_both(s, "server");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_data");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "data", 4, 0);
		settle(c, POLLIN, 5000);
		ready_both(c, "data");
		S(recv)(c, b, sizeof(b), 0);
		ready_both(c, "drained");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_peer_shut_wr");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(shutdown)(s, SHUT_WR);
		settle(c, POLLRDHUP, 5000);
		ready_both(c, "fin");
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv", NULL);
		ready_both(c, "fin_read");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_peer_fin_with_data");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "last", 4, 0);
		S(shutdown)(s, SHUT_WR);
		settle(c, POLLRDHUP, 5000);
		ready_both(c, "fin_data");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_peer_close");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		xclose(s);
		settle(c, POLLRDHUP, 5000);
		ready_both(c, "closed");
		xclose(c);
	}

	setcase("ready_tcp_local_shut_wr");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(shutdown)(c, SHUT_WR);
		ready_both(c, "shut_wr");
		settle(s, POLLRDHUP, 5000);
		ready_both(s, "peer_of_shut_wr");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_local_shut_rd");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(shutdown)(c, SHUT_RD);
		ready_both(c, "shut_rd");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_both_shut");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(shutdown)(c, SHUT_WR);
		S(shutdown)(s, SHUT_WR);
		settle(c, POLLRDHUP, 5000);
		settle(s, POLLRDHUP, 5000);
		/* both FINs in and both sides shut: hung up, whatever the
		 * last ACK's progress */
		settle(c, 0, 5000);
		settle(s, 0, 5000);
		ready_both(c, "client");
		ready_both(s, "server");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_local_shut_rdwr");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(shutdown)(c, SHUT_RDWR);
		ready_both(c, "shut_rdwr");
		xclose(c);
		xclose(s);
	}

	setcase("ready_tcp_rst");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		struct linger l = { 1, 0 };
		S(setsockopt)(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		xclose(s);
		settle(c, 0, 5000);
		ready_both(c, "rst");
		getint(c, SOL_SOCKET, SO_ERROR, "so_error");
		ready_both(c, "rst_error_read");
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv", NULL);
		xclose(c);
	}

	setcase("ready_tcp_rst_recv_first");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		struct linger l = { 1, 0 };
		S(setsockopt)(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		xclose(s);
		settle(c, 0, 5000);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv", NULL);
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv_again", NULL);
		ready_both(c, "after_recv");
		xclose(c);
	}

	setcase("ready_tcp_close_unread");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(c, "unread", 6, 0);
		wait_bytes(s, 6);
		xclose(s); /* unread data: RST */
		settle(c, 0, 5000);
		ready_both(c, "rst");
		DO(S(send)(c, "x", 1, MSG_NOSIGNAL)); rep("send", NULL);
		xclose(c);
	}

	setcase("ready_tcp_nbconnect");
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
		fd = kind_sock(K_TCP4);
		int fl = S(fcntl)(fd, F_GETFL);
		S(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
		DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
		settle(fd, POLLOUT, 3000);
		ready_both(fd, "done");
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect_again", NULL);
		xclose(fd);
	}

	setcase("ready_tcp_nbconnect_refused");
	{
		struct sockaddr_in p = sin4(PEER_IP, CLOSED_PORT);
		fd = kind_sock(K_TCP4);
		int fl = S(fcntl)(fd, F_GETFL);
		S(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
		DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
		settle(fd, POLLOUT, 3000);
		ready_both(fd, "refused");
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		ready_both(fd, "error_read");
		DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect_again", NULL);
		xclose(fd);
	}

	setcase("ready_tcp_nbconnect_local");
	{
		int l2 = listener(AF_INET, 0);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(getsockname)(l2, SA(&n), &nn);
		fd = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		DO(S(connect)(fd, SA(&n), nn)); rep("connect", NULL);
		settle(fd, POLLOUT, 3000);
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		ready_both(fd, "done");
		DO(S(connect)(fd, SA(&n), nn)); rep("connect_again", NULL);
		xclose(fd);
		xclose(l2);
	}

	/* readiness of UDP sockets */
	setcase("ready_udp_fresh");
	fd = kind_sock(K_UDP4);
	ready_both(fd, "fresh");
	xclose(fd);

	setcase("ready_udp_data");
	{
		struct sockaddr_in a0 = sin4(LOCAL_IP, 0);
		int a = kind_sock(K_UDP4), bb = kind_sock(K_UDP4);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(bind)(a, SA(&a0), sizeof(a0));
		S(getsockname)(a, SA(&n), &nn);
		S(sendto)(bb, "u", 1, 0, SA(&n), nn);
		settle(a, POLLIN, 5000);
		ready_both(a, "data");
		S(recv)(a, b, sizeof(b), 0);
		ready_both(a, "drained");
		S(shutdown)(a, SHUT_RD);
		ready_both(a, "shut_rd");
		xclose(a);
		xclose(bb);
	}

	setcase("ready_udp_refused");
	{
		struct sockaddr_in p = sin4(PEER_IP, CLOSED_PORT);
		fd = kind_sock(K_UDP4);
		S(connect)(fd, SA(&p), sizeof(p));
		S(send)(fd, "x", 1, 0);
		settle(fd, 0, 5000);
		ready_both(fd, "icmp");
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		ready_both(fd, "error_read");
		xclose(fd);
	}

	setcase("ready_udp_refused_local");
	{
		struct sockaddr_in p = sin4(LOCAL_IP, 9998);
		char bb[8];
		fd = kind_sock(K_UDP4);
		S(connect)(fd, SA(&p), sizeof(p));
		DO(S(send)(fd, "x", 1, 0)); rep("send", NULL);
		settle(fd, 0, 5000);
		DO(S(recv)(fd, bb, sizeof(bb), MSG_DONTWAIT)); rep("recv", NULL);
		DO(S(recv)(fd, bb, sizeof(bb), MSG_DONTWAIT)); rep("recv_again", NULL);
		xclose(fd);
	}
}

/* epoll semantics: edge/level, oneshot, modify, delete */
static void c_epoll(void)
{
	int c, s;
	char b[64];
	struct epoll_event ev, out[4];

	setcase("epoll_et_data");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(EPOLL_CLOEXEC);
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u32 = 1;
		DO(S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev)); rep("add", NULL);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_idle", NULL);
		S(send)(s, "a", 1, 0);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_data", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_again_edge", NULL);
		S(send)(s, "b", 1, 0);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_more_data", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		S(recv)(c, b, 1, 0);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_partial_read", NULL);
		xclose(ep);
		xclose(c);
		xclose(s);
	}

	setcase("epoll_lt_data");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(0);
		ev.events = EPOLLIN;
		ev.data.u32 = 2;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev);
		S(send)(s, "ab", 2, 0);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_data", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_again_level", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		S(recv)(c, b, 1, 0);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_partial", NULL);
		S(recv)(c, b, 1, 0);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_drained", NULL);
		xclose(ep);
		xclose(c);
		xclose(s);
	}

	setcase("epoll_et_out");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(0);
		ev.events = EPOLLOUT | EPOLLET;
		ev.data.u32 = 3;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_first", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_again", NULL);
		xclose(ep);
		xclose(c);
		xclose(s);
	}

	setcase("epoll_et_rdhup");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(0);
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.u32 = 4;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev);
		S(shutdown)(s, SHUT_WR);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_fin", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_again", NULL);
		xclose(ep);
		xclose(c);
		xclose(s);
	}

	setcase("epoll_hup_err_always");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(0);
		ev.events = 0;
		ev.data.u32 = 5;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_idle", NULL);
		struct linger l = { 1, 0 };
		S(setsockopt)(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		xclose(s);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_rst", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		xclose(ep);
		xclose(c);
	}

	setcase("epoll_oneshot");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(0);
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.u32 = 6;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev);
		S(send)(s, "o", 1, 0);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_first", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_disarmed", NULL);
		ev.events = EPOLLIN | EPOLLONESHOT;
		DO(S(epoll_ctl)(ep, EPOLL_CTL_MOD, c, &ev)); rep("rearm", NULL);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_rearmed", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		xclose(ep);
		xclose(c);
		xclose(s);
	}

	setcase("epoll_ctl_errors");
	{
		int ep = S(epoll_create1)(0), u = kind_sock(K_UDP4);
		ev.events = EPOLLIN;
		ev.data.u32 = 7;
		DO(S(epoll_ctl)(ep, EPOLL_CTL_MOD, u, &ev)); rep("mod_absent", NULL);
		DO(S(epoll_ctl)(ep, EPOLL_CTL_DEL, u, &ev)); rep("del_absent", NULL);
		DO(S(epoll_ctl)(ep, EPOLL_CTL_ADD, u, &ev)); rep("add", NULL);
		DO(S(epoll_ctl)(ep, EPOLL_CTL_ADD, u, &ev)); rep("add_again", NULL);
		DO(S(epoll_ctl)(ep, 99, u, &ev)); rep("bad_op", NULL);
		DO(S(epoll_ctl)(ep, EPOLL_CTL_ADD, ep, &ev)); rep("add_self", NULL);
		DO(S(epoll_ctl)(ep, EPOLL_CTL_DEL, u, NULL)); rep("del", NULL);
		DO(S(epoll_wait)(ep, out, 0, 0)); rep("wait_maxevents0", NULL);
		DO(S(epoll_wait)(u, out, 4, 0)); rep("wait_on_socket", NULL);
		DO(S(epoll_create1)(12345)); rep("create_badflags", NULL);
		xclose(u);
		xclose(ep);
	}

	setcase("epoll_mod_events");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		int ep = S(epoll_create1)(0);
		ev.events = EPOLLIN;
		ev.data.u32 = 8;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, c, &ev);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_in_only", NULL);
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.u32 = 9;
		DO(S(epoll_ctl)(ep, EPOLL_CTL_MOD, c, &ev)); rep("mod", NULL);
		DO(S(epoll_wait)(ep, out, 4, 0));
		rep("wait_out", "events=%s data=%u", revname(g_r > 0 ? out[0].events : 0), g_r > 0 ? out[0].data.u32 : 0);
		S(epoll_ctl)(ep, EPOLL_CTL_DEL, c, NULL);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_deleted", NULL);
		xclose(ep);
		xclose(c);
		xclose(s);
	}

	setcase("epoll_close_removes");
	{
		int ep = S(epoll_create1)(0), u = kind_sock(K_UDP4);
		ev.events = EPOLLOUT;
		ev.data.u32 = 10;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, u, &ev);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_open", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		xclose(u);
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_closed", NULL);
		xclose(ep);
	}

	setcase("epoll_listener_et");
	{
		int l2 = listener(AF_INET, 0), ep = S(epoll_create1)(0);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(getsockname)(l2, SA(&n), &nn);
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u32 = 11;
		S(epoll_ctl)(ep, EPOLL_CTL_ADD, l2, &ev);
		int c1 = kind_sock(K_TCP4), c2 = kind_sock(K_TCP4);
		S(connect)(c1, SA(&n), nn);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_first", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		DO(S(epoll_wait)(ep, out, 4, 0)); rep("wait_edge", NULL);
		S(connect)(c2, SA(&n), nn);
		DO(S(epoll_wait)(ep, out, 4, 2000)); rep("wait_second", "events=%s", revname(g_r > 0 ? out[0].events : 0));
		xclose(c1);
		xclose(c2);
		xclose(ep);
		xclose(l2);
	}
}

/* ---- UDP over IPv6 ---- */

/* IPv6 group membership (ipv6_sock_mc_join / _drop): the errno of each
 * refusal; joins on link 1 (Linux: lo; ringstack: port0) and their
 * duplicates, leaves and the leave of what is gone. */
static void mreq_op(int fd, int name, const char *group, unsigned ifindex, socklen_t len,
		    const char *step)
{
	struct ipv6_mreq mr;
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET6, group, &mr.ipv6mr_multiaddr);
	mr.ipv6mr_interface = ifindex;
	DO(S(setsockopt)(fd, IPPROTO_IPV6, name, &mr, len));
	rep(step, NULL);
}

static void greq_op(int fd, int name, int family, const char *group, unsigned ifindex,
		    socklen_t len, const char *step)
{
	struct group_req gr;
	memset(&gr, 0, sizeof(gr));
	gr.gr_interface = ifindex;
	struct sockaddr_in6 s6;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = (sa_family_t)family;
	inet_pton(AF_INET6, group, &s6.sin6_addr);
	memcpy(&gr.gr_group, &s6, sizeof(s6));
	DO(S(setsockopt)(fd, IPPROTO_IPV6, name, &gr, len));
	rep(step, NULL);
}

static void c_mcast6(void)
{
	int fd;
	setcase("mcast6_join_unicast");
	fd = kind_sock(K_UDP6);
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "2001:db8::1", 1, sizeof(struct ipv6_mreq), "join");
	xclose(fd);
	setcase("mcast6_join_short");
	fd = kind_sock(K_UDP6);
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "ff0e::1:2", 1, sizeof(struct ipv6_mreq) - 1, "join");
	xclose(fd);
	setcase("mcast6_join_no_link");
	fd = kind_sock(K_UDP6);
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "ff0e::1:2", 77, sizeof(struct ipv6_mreq), "join");
	xclose(fd);
	setcase("mcast6_leave_not_joined");
	fd = kind_sock(K_UDP6);
	mreq_op(fd, IPV6_DROP_MEMBERSHIP, "ff0e::1:2", 0, sizeof(struct ipv6_mreq), "leave");
	mreq_op(fd, IPV6_DROP_MEMBERSHIP, "2001:db8::1", 0, sizeof(struct ipv6_mreq), "leave_ucast");
	xclose(fd);
	setcase("mcast6_join_tcp");
	fd = kind_sock(K_TCP6);
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "ff0e::1:2", 1, sizeof(struct ipv6_mreq), "join");
	xclose(fd);
	setcase("mcast6_join_twice");
	fd = kind_sock(K_UDP6);
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "ff0e::1:2", 1, sizeof(struct ipv6_mreq), "join");
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "ff0e::1:2", 1, sizeof(struct ipv6_mreq), "again");
	mreq_op(fd, IPV6_ADD_MEMBERSHIP, "ff0e::1:2", 0, sizeof(struct ipv6_mreq), "again_any");
	mreq_op(fd, IPV6_DROP_MEMBERSHIP, "ff0e::1:2", 0, sizeof(struct ipv6_mreq), "leave_any");
	mreq_op(fd, IPV6_DROP_MEMBERSHIP, "ff0e::1:2", 1, sizeof(struct ipv6_mreq), "leave_gone");
	xclose(fd);
	setcase("mcast6_group_req");
	fd = kind_sock(K_UDP6);
	greq_op(fd, MCAST_JOIN_GROUP, AF_INET, "ff0e::1:3", 1, sizeof(struct group_req), "join_inet");
	greq_op(fd, MCAST_JOIN_GROUP, AF_INET6, "ff0e::1:3", 1, sizeof(struct group_req) - 1, "join_short");
	greq_op(fd, MCAST_JOIN_GROUP, AF_INET6, "ff0e::1:3", 1, sizeof(struct group_req), "join");
	greq_op(fd, MCAST_JOIN_GROUP, AF_INET6, "ff0e::1:3", 1, sizeof(struct group_req), "again");
	greq_op(fd, MCAST_LEAVE_GROUP, AF_INET6, "ff0e::1:3", 1, sizeof(struct group_req), "leave");
	greq_op(fd, MCAST_LEAVE_GROUP, AF_INET6, "ff0e::1:3", 1, sizeof(struct group_req), "leave_gone");
	xclose(fd);
	setcase("mcast6_mtu_unconnected");
	fd = kind_sock(K_UDP6);
	int v = 0;
	socklen_t l = sizeof(v);
	DO(S(getsockopt)(fd, IPPROTO_IPV6, IPV6_MTU, &v, &l));
	rep("get", NULL);
	xclose(fd);
}

/* IPv4 group membership (ip_mc_join_group / ip_mc_leave_group) and the
 * IP_MULTICAST_* options: link 1 is Linux's lo and ringstack's port0,
 * 10.0.0.1 is a link's address on both; neither side has a route for
 * groups (naming no link is ENODEV). */
static void mreqn_op(int fd, int name, const char *group, const char *addr, int ifindex,
		     socklen_t len, const char *step)
{
	struct ip_mreqn mr;
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET, group, &mr.imr_multiaddr);
	inet_pton(AF_INET, addr, &mr.imr_address);
	mr.imr_ifindex = ifindex;
	DO(S(setsockopt)(fd, IPPROTO_IP, name, &mr, len));
	rep(step, NULL);
}

static void greq4_op(int fd, int name, int family, const char *group, unsigned ifindex,
		     socklen_t len, const char *step)
{
	struct group_req gr;
	memset(&gr, 0, sizeof(gr));
	gr.gr_interface = ifindex;
	struct sockaddr_in s4;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = (sa_family_t)family;
	inet_pton(AF_INET, group, &s4.sin_addr);
	memcpy(&gr.gr_group, &s4, sizeof(s4));
	DO(S(setsockopt)(fd, IPPROTO_IP, name, &gr, len));
	rep(step, NULL);
}

static void get_mcif(int fd, socklen_t len, const char *step)
{
	unsigned char b[16];
	memset(b, 0xee, sizeof(b));
	socklen_t l = len;
	DO(S(getsockopt)(fd, IPPROTO_IP, IP_MULTICAST_IF, b, &l));
	rep(step, "len=%u addr=%u.%u.%u.%u", (unsigned)l, b[0], b[1], b[2], b[3]);
}

static void c_mcast4(void)
{
	int fd;
	const socklen_t MREQ = sizeof(struct ip_mreq), MREQN = sizeof(struct ip_mreqn);
	setcase("mcast4_join_unicast");
	fd = kind_sock(K_UDP4);
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "10.0.0.9", "0.0.0.0", 1, MREQN, "join");
	xclose(fd);
	setcase("mcast4_join_short");
	fd = kind_sock(K_UDP4);
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQ - 1, "join");
	xclose(fd);
	setcase("mcast4_join_no_link");
	fd = kind_sock(K_UDP4);
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 77, MREQN, "join_index");
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "10.0.0.77", 0, MREQ, "join_addr");
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 0, MREQ, "join_no_route");
	xclose(fd);
	setcase("mcast4_leave_not_joined");
	fd = kind_sock(K_UDP4);
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQN, "leave");
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "10.0.0.9", "0.0.0.0", 1, MREQN, "leave_ucast");
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 0, MREQ, "leave_no_route");
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 77, MREQN, "leave_no_link");
	xclose(fd);
	setcase("mcast4_join_tcp");
	fd = kind_sock(K_TCP4);
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQN, "join");
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, 2, "join_short");
	xclose(fd);
	setcase("mcast4_join_twice");
	fd = kind_sock(K_UDP4);
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQN, "join");
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQN, "again");
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.4", "10.0.0.1", 0, MREQ, "join_addr");
	mreqn_op(fd, IP_ADD_MEMBERSHIP, "239.1.2.4", "10.0.0.1", 0, MREQ, "again_addr");
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "239.1.2.4", "10.0.0.1", 0, MREQ, "leave_addr");
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQN, "leave");
	mreqn_op(fd, IP_DROP_MEMBERSHIP, "239.1.2.3", "0.0.0.0", 1, MREQN, "leave_gone");
	xclose(fd);
	setcase("mcast4_group_req");
	fd = kind_sock(K_UDP4);
	greq4_op(fd, MCAST_JOIN_GROUP, AF_INET6, "239.1.2.5", 1, sizeof(struct group_req), "join_inet6");
	greq4_op(fd, MCAST_JOIN_GROUP, AF_INET, "239.1.2.5", 1, sizeof(struct group_req) - 1,
		 "join_short");
	greq4_op(fd, MCAST_JOIN_GROUP, AF_INET, "10.0.0.9", 1, sizeof(struct group_req), "join_ucast");
	greq4_op(fd, MCAST_JOIN_GROUP, AF_INET, "239.1.2.5", 1, sizeof(struct group_req), "join");
	greq4_op(fd, MCAST_JOIN_GROUP, AF_INET, "239.1.2.5", 1, sizeof(struct group_req), "again");
	greq4_op(fd, MCAST_LEAVE_GROUP, AF_INET, "239.1.2.5", 1, sizeof(struct group_req), "leave");
	greq4_op(fd, MCAST_LEAVE_GROUP, AF_INET, "239.1.2.5", 1, sizeof(struct group_req), "leave_gone");
	xclose(fd);
	setcase("mcast4_opts");
	fd = kind_sock(K_UDP4);
	getint(fd, IPPROTO_IP, IP_MULTICAST_TTL, "ttl");
	getint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, "loop");
	getint(fd, IPPROTO_IP, IP_MULTICAST_ALL, "all");
	get_mcif(fd, 4, "if");
	setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, 256, "ttl_256");
	setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, -2, "ttl_m2");
	setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, 0, "ttl_0");
	getint(fd, IPPROTO_IP, IP_MULTICAST_TTL, "ttl_got0");
	setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, -1, "ttl_m1");
	getint(fd, IPPROTO_IP, IP_MULTICAST_TTL, "ttl_got1");
	{
		unsigned char c = 9;
		DO(S(setsockopt)(fd, IPPROTO_IP, IP_MULTICAST_TTL, &c, 1));
		rep("ttl_byte", NULL);
		c = 0;
		socklen_t l = 1;
		DO(S(getsockopt)(fd, IPPROTO_IP, IP_MULTICAST_TTL, &c, &l));
		rep("ttl_get_byte", "len=%u v=%u", (unsigned)l, c);
	}
	setint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 5, "loop_5");
	getint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, "loop_got");
	setint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "loop_0");
	getint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, "loop_got0");
	setint(fd, IPPROTO_IP, IP_MULTICAST_ALL, 2, "all_2");
	setint(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "all_0");
	getint(fd, IPPROTO_IP, IP_MULTICAST_ALL, "all_got0");
	{
		struct in_addr a;
		inet_pton(AF_INET, "10.0.0.1", &a);
		DO(S(setsockopt)(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof(a)));
		rep("if_addr", NULL);
		get_mcif(fd, 4, "if_got_addr");
		get_mcif(fd, 8, "if_got_long");
		get_mcif(fd, 2, "if_got_short");
		DO(S(setsockopt)(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, 3));
		rep("if_short", NULL);
		inet_pton(AF_INET, "10.0.0.77", &a);
		DO(S(setsockopt)(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof(a)));
		rep("if_not_ours", NULL);
	}
	mreqn_op(fd, IP_MULTICAST_IF, "0.0.0.0", "0.0.0.0", 77, MREQN, "if_no_link");
	mreqn_op(fd, IP_MULTICAST_IF, "0.0.0.0", "0.0.0.0", 1, MREQN, "if_index");
	get_mcif(fd, 4, "if_got_index");
	mreqn_op(fd, IP_MULTICAST_IF, "0.0.0.0", "10.0.0.1", 0, MREQ, "if_mreq");
	get_mcif(fd, 4, "if_got_mreq");
	mreqn_op(fd, IP_MULTICAST_IF, "0.0.0.0", "0.0.0.0", 0, MREQN, "if_none");
	get_mcif(fd, 4, "if_got_none");
	xclose(fd);
	setcase("mcast4_tcp_opts");
	fd = kind_sock(K_TCP4);
	setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, 3, "ttl");
	mreqn_op(fd, IP_MULTICAST_IF, "0.0.0.0", "0.0.0.0", 1, MREQN, "if");
	setint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "loop");
	getint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, "loop_got");
	setint(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "all");
	xclose(fd);
}

static void c_udp6(void)
{
	char b[64];
	struct sockaddr_storage n, f;
	socklen_t nn, fl;

	setcase("udp6_loop");
	{
		int a = kind_sock(K_UDP6), bb = kind_sock(K_UDP6);
		struct sockaddr_in6 l = sin6("::1", 0);
		DO(S(bind)(a, SA(&l), sizeof(l))); rep("bind", NULL);
		nn = sizeof(n);
		S(getsockname)(a, SA(&n), &nn);
		rep_name(a, "name", 0);
		DO(S(sendto)(bb, "six", 3, 0, SA(&n), nn)); rep("sendto", NULL);
		settle(a, POLLIN, 5000);
		fl = sizeof(f);
		memset(&f, 0, sizeof(f));
		DO(S(recvfrom)(a, b, sizeof(b), 0, SA(&f), &fl)); rep("recvfrom", "from=%s", aname(&f, fl));
		rep_name(bb, "sender", 0);
		xclose(a);
		xclose(bb);
	}

	setcase("udp6_connect_loop");
	{
		int a = kind_sock(K_UDP6), bb = kind_sock(K_UDP6);
		struct sockaddr_in6 l = sin6("::1", 0);
		S(bind)(a, SA(&l), sizeof(l));
		nn = sizeof(n);
		S(getsockname)(a, SA(&n), &nn);
		DO(S(connect)(bb, SA(&n), nn)); rep("connect", NULL);
		rep_name(bb, "peer", 1);
		rep_name(bb, "sock", 0);
		DO(S(send)(bb, "c6", 2, 0)); rep("send", NULL);
		settle(a, POLLIN, 5000);
		DO(S(recv)(a, b, sizeof(b), 0)); rep("recv", NULL);
		xclose(a);
		xclose(bb);
	}

	setcase("udp6_refused");
	{
		int a = kind_sock(K_UDP6);
		struct sockaddr_in6 d = sin6("::1", 9997);
		DO(S(connect)(a, SA(&d), sizeof(d))); rep("connect", NULL);
		DO(S(send)(a, "x", 1, 0)); rep("send", NULL);
		settle(a, 0, 5000);
		DO(S(recv)(a, b, sizeof(b), MSG_DONTWAIT)); rep("recv", NULL);
		DO(S(recv)(a, b, sizeof(b), MSG_DONTWAIT)); rep("recv_again", NULL);
		xclose(a);
	}

	setcase("udp6_dualstack_recv_v4");
	{
		int a = kind_sock(K_UDP6), v4 = kind_sock(K_UDP4);
		struct sockaddr_in6 any = sin6("::", 5201);
		DO(S(bind)(a, SA(&any), sizeof(any))); rep("bind6_any", NULL);
		struct sockaddr_in to = sin4(LOCAL_IP, 5201);
		DO(S(sendto)(v4, "v4", 2, 0, SA(&to), sizeof(to))); rep("sendto_v4", NULL);
		settle(a, POLLIN, 5000);
		fl = sizeof(f);
		memset(&f, 0, sizeof(f));
		DO(S(recvfrom)(a, b, sizeof(b), 0, SA(&f), &fl));
		struct sockaddr_in6 *f6 = (void *)&f;
		char ip[INET6_ADDRSTRLEN] = "";
		inet_ntop(AF_INET6, &f6->sin6_addr, ip, sizeof(ip));
		rep("recvfrom", "family=%d addr=%s len=%u", f.ss_family, ip, (unsigned)fl);
		/* and back to the mapped address */
		DO(S(sendto)(a, "re", 2, 0, SA(&f), fl)); rep("reply_mapped", NULL);
		settle(v4, POLLIN, 5000);
		fl = sizeof(f);
		DO(S(recvfrom)(v4, b, sizeof(b), 0, SA(&f), &fl)); rep("v4_recvfrom", "from=%s", aname(&f, fl));
		xclose(a);
		xclose(v4);
	}

	setcase("udp6_v6only_port_sharing");
	{
		int a = kind_sock(K_UDP6), v4 = kind_sock(K_UDP4), one = 1;
		S(setsockopt)(a, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		struct sockaddr_in6 any = sin6("::", 5202);
		struct sockaddr_in any4 = sin4("0.0.0.0", 5202);
		DO(S(bind)(a, SA(&any), sizeof(any))); rep("bind6_v6only", NULL);
		DO(S(bind)(v4, SA(&any4), sizeof(any4))); rep("bind4_same_port", NULL);
		xclose(a);
		xclose(v4);
		a = kind_sock(K_UDP6);
		v4 = kind_sock(K_UDP4);
		DO(S(bind)(a, SA(&any), sizeof(any))); rep("bind6_dual", NULL);
		DO(S(bind)(v4, SA(&any4), sizeof(any4))); rep("bind4_conflict", NULL);
		xclose(a);
		xclose(v4);
		v4 = kind_sock(K_UDP4);
		a = kind_sock(K_UDP6);
		DO(S(bind)(v4, SA(&any4), sizeof(any4))); rep("bind4_first", NULL);
		DO(S(bind)(a, SA(&any), sizeof(any))); rep("bind6_dual_after", NULL);
		xclose(a);
		xclose(v4);
	}

	setcase("udp6_v6only_no_v4");
	{
		int a = kind_sock(K_UDP6), v4 = kind_sock(K_UDP4), one = 1;
		S(setsockopt)(a, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		struct sockaddr_in6 any = sin6("::", 5203);
		S(bind)(a, SA(&any), sizeof(any));
		struct sockaddr_in to = sin4(LOCAL_IP, 5203);
		S(sendto)(v4, "v4", 2, 0, SA(&to), sizeof(to));
		rep_poll(a, POLLIN, 300, "poll");
		xclose(a);
		xclose(v4);
	}

	setcase("udp6_mapped_bind_send");
	{
		int a = kind_sock(K_UDP6);
		struct sockaddr_in6 m = sin6("::ffff:" LOCAL_IP, 0);
		DO(S(bind)(a, SA(&m), sizeof(m))); rep("bind", NULL);
		struct sockaddr_in6 d6 = sin6("::1", 5204);
		DO(S(sendto)(a, "x", 1, 0, SA(&d6), sizeof(d6))); rep("sendto_v6_from_mapped", NULL);
		struct sockaddr_in6 dm = sin6("::ffff:" PEER_IP, ECHO_PORT);
		DO(S(sendto)(a, "x", 1, 0, SA(&dm), sizeof(dm))); rep("sendto_mapped", NULL);
		DO(S(connect)(a, SA(&d6), sizeof(d6))); rep("connect_v6_from_mapped", NULL);
		xclose(a);
	}

	setcase("udp6_bound_v6_send_mapped");
	{
		int a = kind_sock(K_UDP6);
		struct sockaddr_in6 l = sin6("::1", 0);
		S(bind)(a, SA(&l), sizeof(l));
		struct sockaddr_in6 dm = sin6("::ffff:" PEER_IP, ECHO_PORT);
		DO(S(sendto)(a, "x", 1, 0, SA(&dm), sizeof(dm))); rep("sendto_mapped", NULL);
		DO(S(connect)(a, SA(&dm), sizeof(dm))); rep("connect_mapped", NULL);
		xclose(a);
	}

	setcase("udp6_hoplimit_tclass_cmsg");
	{
		int a = kind_sock(K_UDP6), bb = kind_sock(K_UDP6), one = 1, h = 9, tc = 0x28;
		struct sockaddr_in6 l = sin6("::1", 0);
		S(bind)(a, SA(&l), sizeof(l));
		S(setsockopt)(a, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
		S(setsockopt)(a, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
		S(setsockopt)(a, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		S(setsockopt)(bb, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &h, sizeof(h));
		S(setsockopt)(bb, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
		nn = sizeof(n);
		S(getsockname)(a, SA(&n), &nn);
		DO(S(sendto)(bb, "cm", 2, 0, SA(&n), nn)); rep("sendto", NULL);
		settle(a, POLLIN, 5000);
		union { char c[256]; struct cmsghdr a; } cb;
		struct iovec iv = { b, sizeof(b) };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iv;
		m.msg_iovlen = 1;
		m.msg_control = cb.c;
		m.msg_controllen = sizeof(cb.c);
		DO(S(recvmsg)(a, &m, 0));
		char o[200] = "";
		for (struct cmsghdr *c = g_r >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
			size_t ol = strlen(o);
			int x;
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
				memcpy(&x, CMSG_DATA(c), sizeof(x));
				snprintf(o + ol, sizeof(o) - ol, "hoplimit:%d,", x);
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
				memcpy(&x, CMSG_DATA(c), sizeof(x));
				snprintf(o + ol, sizeof(o) - ol, "tclass:0x%x,", x);
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				char ip[INET6_ADDRSTRLEN];
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				inet_ntop(AF_INET6, &pi.ipi6_addr, ip, sizeof(ip));
				snprintf(o + ol, sizeof(o) - ol, "pktinfo:%s/%s,", ip,
					 pi.ipi6_ifindex ? "ifindex" : "0");
			} else {
				snprintf(o + ol, sizeof(o) - ol, "other:%d/%d,", c->cmsg_level, c->cmsg_type);
			}
		}
		rep("recvmsg", "cmsg=%s", o[0] ? o : "none");
		xclose(a);
		xclose(bb);
	}

	setcase("udp6_names_fresh");
	{
		int a = kind_sock(K_UDP6);
		rep_name(a, "sock", 0);
		rep_name(a, "peer", 1);
		struct sockaddr_in6 any = sin6("::", 0);
		S(bind)(a, SA(&any), sizeof(any));
		rep_name(a, "sock_bound", 0);
		xclose(a);
	}

	setcase("udp6_disconnect");
	{
		int a = kind_sock(K_UDP6);
		struct sockaddr_in6 d = sin6("::1", 9996);
		S(connect)(a, SA(&d), sizeof(d));
		rep_name(a, "peer", 1);
		struct sockaddr_in6 u;
		memset(&u, 0, sizeof(u));
		u.sin6_family = AF_UNSPEC;
		DO(S(connect)(a, SA(&u), sizeof(u))); rep("disconnect", NULL);
		rep_name(a, "peer_after", 1);
		rep_name(a, "sock_after", 0);
		xclose(a);
	}

	setcase("udp6_wrong_addrs");
	{
		int a = kind_sock(K_UDP6);
		struct sockaddr_in6 d = sin6("::1", 5205);
		DO(S(sendto)(a, "x", 1, 0, SA(&d), sizeof(d) - 4)); rep("sendto_short", NULL);
		DO(S(sendto)(a, "x", 1, 0, SA(&d), 8)); rep("sendto_very_short", NULL);
		struct sockaddr_in6 z = sin6("::1", 0);
		DO(S(sendto)(a, "x", 1, 0, SA(&z), sizeof(z))); rep("sendto_port0", NULL);
		struct sockaddr_in6 mc = sin6("ff02::1", 5205);
		DO(S(bind)(a, SA(&mc), sizeof(mc))); rep("bind_multicast_noscope", NULL);
		DO(S(send)(a, "x", 1, 0)); rep("send_unconnected", NULL);
		xclose(a);
	}

	setcase("udp6_v4_socket_v6_addr");
	{
		int a = kind_sock(K_UDP4);
		struct sockaddr_in6 d = sin6("::1", 5206);
		DO(S(sendto)(a, "x", 1, 0, SA(&d), sizeof(d))); rep("sendto", NULL);
		xclose(a);
	}
}

/* ---- select ----
 * libringsock has no select of its own: run.sh runs this group of the
 * Linux build under the LD_PRELOAD shim for ringstack's side (the shim's
 * select, as unmodified programs use it), so it is compiled out of the
 * USE_RS build. */
#ifndef USE_RS
#include <sys/select.h>

/* select on one descriptor for read, write and exceptions */
static void rep_select(int fd, int ms, const char *step)
{
	fd_set r, w, e;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &e);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	DO(select(fd + 1, &r, &w, &e, &tv));
	rep(step, "r=%d w=%d e=%d", FD_ISSET(fd, &r) != 0, FD_ISSET(fd, &w) != 0, FD_ISSET(fd, &e) != 0);
}

/* wait (bounded) until fd is readable for select */
static void settle_read(int fd, int ms)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(fd, &r);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	select(fd + 1, &r, NULL, NULL, &tv);
}

static void c_select(void)
{
	int c, s;
	char b[16];

	setcase("select_udp_fresh");
	int fd = kind_sock(K_UDP4);
	rep_select(fd, 0, "select");
	xclose(fd);

	setcase("select_udp_data");
	{
		struct sockaddr_in l0 = sin4(LOCAL_IP, 0);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		int a = kind_sock(K_UDP4), bb = kind_sock(K_UDP4);
		S(bind)(a, SA(&l0), sizeof(l0));
		S(getsockname)(a, SA(&n), &nn);
		S(sendto)(bb, "s", 1, 0, SA(&n), nn);
		settle_read(a, 5000);
		rep_select(a, 0, "data");
		S(recv)(a, b, sizeof(b), 0);
		rep_select(a, 0, "drained");
		xclose(a);
		xclose(bb);
	}

	setcase("select_udp_refused");
	{
		struct sockaddr_in p = sin4(PEER_IP, CLOSED_PORT);
		fd = kind_sock(K_UDP4);
		S(connect)(fd, SA(&p), sizeof(p));
		S(send)(fd, "x", 1, 0);
		settle_read(fd, 5000);
		rep_select(fd, 0, "icmp");
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		rep_select(fd, 0, "error_read");
		xclose(fd);
	}

	setcase("select_tcp_fresh");
	fd = kind_sock(K_TCP4);
	rep_select(fd, 0, "select");
	xclose(fd);

	setcase("select_tcp_listener");
	{
		int ls = listener(AF_INET, 0);
		struct sockaddr_storage n;
		socklen_t nn = sizeof(n);
		S(getsockname)(ls, SA(&n), &nn);
		rep_select(ls, 0, "idle");
		int cl = kind_sock(K_TCP4);
		S(connect)(cl, SA(&n), nn);
		settle_read(ls, 5000);
		rep_select(ls, 0, "pending");
		xclose(cl);
		xclose(ls);
	}

	setcase("select_tcp_connected");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		rep_select(c, 0, "idle");
		S(send)(s, "d", 1, 0);
		settle_read(c, 5000);
		rep_select(c, 0, "data");
		S(recv)(c, b, sizeof(b), 0);
		rep_select(c, 0, "drained");
		S(shutdown)(s, SHUT_WR);
		settle_read(c, 5000);
		rep_select(c, 0, "fin");
		S(shutdown)(c, SHUT_WR);
		rep_select(c, 0, "both_shut");
		xclose(c);
		xclose(s);
	}

	setcase("select_tcp_rst");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		struct linger l = { 1, 0 };
		S(setsockopt)(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		xclose(s);
		settle_read(c, 5000);
		rep_select(c, 0, "rst");
		DO(S(recv)(c, b, sizeof(b), 0)); rep("recv", NULL);
		rep_select(c, 0, "after_recv");
		xclose(c);
	}

	setcase("select_tcp_nbconnect");
	{
		struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
		fd = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
		fd_set w;
		FD_ZERO(&w);
		FD_SET(fd, &w);
		struct timeval tv = { 3, 0 };
		DO(select(fd + 1, NULL, &w, NULL, &tv)); rep("wait_writable", "w=%d", FD_ISSET(fd, &w) != 0);
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		xclose(fd);
	}

	setcase("select_tcp_nbconnect_refused");
	{
		struct sockaddr_in p = sin4(PEER_IP, CLOSED_PORT);
		fd = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		DO(S(connect)(fd, SA(&p), sizeof(p))); rep("connect", NULL);
		fd_set w;
		FD_ZERO(&w);
		FD_SET(fd, &w);
		struct timeval tv = { 3, 0 };
		DO(select(fd + 1, NULL, &w, NULL, &tv)); rep("wait_writable", "w=%d", FD_ISSET(fd, &w) != 0);
		rep_select(fd, 0, "refused");
		getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
		xclose(fd);
	}

	setcase("select_timeout");
	{
		fd = kind_sock(K_UDP4);
		struct sockaddr_in a0 = sin4("0.0.0.0", 0);
		S(bind)(fd, SA(&a0), sizeof(a0));
		fd_set r;
		FD_ZERO(&r);
		FD_SET(fd, &r);
		struct timeval tv = { 0, 50000 };
		DO(select(fd + 1, &r, NULL, NULL, &tv));
		rep("select", "r=%d tv_left=%ld.%06ld", FD_ISSET(fd, &r) != 0, (long)tv.tv_sec, (long)tv.tv_usec);
		xclose(fd);
	}

	setcase("select_errors");
	{
		fd = kind_sock(K_UDP4);
		fd_set r;
		FD_ZERO(&r);
		FD_SET(fd, &r);
		struct timeval tv = { 0, 0 };
		DO(select(-1, &r, NULL, NULL, &tv)); rep("nfds_neg", NULL);
		/* tv_usec of a second or more is folded into tv_sec (the
		 * socket is writable: no wait) */
		fd_set w;
		FD_ZERO(&w);
		FD_SET(fd, &w);
		tv.tv_usec = 1000000;
		DO(select(fd + 1, NULL, &w, NULL, &tv)); rep("usec_1000000", NULL);
		tv.tv_usec = -1;
		DO(select(fd + 1, NULL, &w, NULL, &tv)); rep("usec_neg", NULL);
		tv.tv_usec = 0;
		tv.tv_usec = 0;
		tv.tv_sec = -1;
		DO(select(fd + 1, &r, NULL, NULL, &tv)); rep("neg_sec", NULL);
		int dead = kind_sock(K_UDP4);
		xclose(dead);
		FD_ZERO(&r);
		FD_SET(fd, &r);
		FD_SET(dead, &r);
		tv.tv_sec = 0;
		int hi = fd > dead ? fd : dead;
		DO(select(hi + 1, &r, NULL, NULL, &tv)); rep("closed_fd_in_set", NULL);
		xclose(fd);
	}

	setcase("select_mixed_pipe");
	{
		int pf[2];
		if (pipe(pf) == 0) {
			fd = kind_sock(K_UDP4);
			fd_set r, w;
			FD_ZERO(&r);
			FD_ZERO(&w);
			FD_SET(pf[0], &r);
			FD_SET(fd, &r);
			FD_SET(fd, &w);
			if (write(pf[1], "p", 1) != 1)
				printf("%s setup: pipe write failed\n", cs);
			struct timeval tv = { 1, 0 };
			int hi = fd > pf[0] ? fd : pf[0];
			DO(select(hi + 1, &r, &w, NULL, &tv));
			rep("select", "pipe_r=%d sock_r=%d sock_w=%d", FD_ISSET(pf[0], &r) != 0,
			    FD_ISSET(fd, &r) != 0, FD_ISSET(fd, &w) != 0);
			xclose(fd);
			close(pf[0]);
			close(pf[1]);
		}
	}

	setcase("select_pselect");
	if (tcp_pair(AF_INET, &c, &s) == 0) {
		S(send)(s, "p", 1, 0);
		settle_read(c, 5000);
		fd_set r;
		FD_ZERO(&r);
		FD_SET(c, &r);
		struct timespec ts = { 0, 0 };
		sigset_t m;
		sigemptyset(&m);
		DO(pselect(c + 1, &r, NULL, NULL, &ts, &m)); rep("pselect", "r=%d", FD_ISSET(c, &r) != 0);
		xclose(c);
		xclose(s);
	}
}
#endif

/* ---- TCP over IPv6 ---- */

static void c_tcp6(void)
{
	int c, s;
	char b[16];
	setcase("tcp6_socket");
	DO(c = S(socket)(AF_INET6, SOCK_STREAM, 0)); rep_fd("socket");
	xclose(c);

	setcase("tcp6_pair");
	if (tcp_pair(AF_INET6, &c, &s) == 0) {
		rep_name(c, "client_sock", 0);
		rep_name(c, "client_peer", 1);
		rep_name(s, "server_sock", 0);
		rep_name(s, "server_peer", 1);
		DO(S(send)(c, "v6", 2, 0)); rep("send", NULL);
		memset(b, 0, sizeof(b));
		DO(S(recv)(s, b, 2, MSG_WAITALL)); rep("recv", "data=%.2s", b);
		S(shutdown)(c, SHUT_WR);
		settle(s, POLLRDHUP, 5000);
		ready_both(s, "fin");
		xclose(c);
		xclose(s);
	}

	setcase("tcp6_dualstack_listener");
	{
		int ls = mksock(AF_INET6, SOCK_STREAM), one = 1;
		if (ls >= 0) {
			S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			struct sockaddr_in6 any = sin6("::", 5301);
			DO(S(bind)(ls, SA(&any), sizeof(any))); rep("bind", NULL);
			DO(S(listen)(ls, 4)); rep("listen", NULL);
			int v4 = kind_sock(K_TCP4);
			struct sockaddr_in to = sin4(LOCAL_IP, 5301);
			DO(S(connect)(v4, SA(&to), sizeof(to))); rep("connect_v4", NULL);
			struct sockaddr_storage f;
			socklen_t fl = sizeof(f);
			memset(&f, 0, sizeof(f));
			DO(s = S(accept)(ls, SA(&f), &fl));
			struct sockaddr_in6 *f6 = (void *)&f;
			char ip[INET6_ADDRSTRLEN] = "";
			inet_ntop(AF_INET6, &f6->sin6_addr, ip, sizeof(ip));
			if (g_r >= 0)
				g_r = 0; /* a descriptor: its number is not compared */
			rep("accept", "family=%d addr=%s len=%u", f.ss_family, ip, (unsigned)fl);
			xclose(s);
			xclose(v4);
			xclose(ls);
		}
	}

	setcase("tcp6_v6only_listener");
	{
		int ls = mksock(AF_INET6, SOCK_STREAM), one = 1;
		if (ls >= 0) {
			S(setsockopt)(ls, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
			S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			struct sockaddr_in6 any = sin6("::", 5302);
			DO(S(bind)(ls, SA(&any), sizeof(any))); rep("bind", NULL);
			DO(S(listen)(ls, 4)); rep("listen", NULL);
			int v4 = kind_sock(K_TCP4);
			struct sockaddr_in to = sin4(LOCAL_IP, 5302);
			DO(S(connect)(v4, SA(&to), sizeof(to))); rep("connect_v4", NULL);
			xclose(v4);
			xclose(ls);
		}
	}

	setcase("tcp6_refused");
	{
		c = mksock(AF_INET6, SOCK_STREAM);
		if (c >= 0) {
			struct sockaddr_in6 d = sin6("::1", 9995);
			DO(S(connect)(c, SA(&d), sizeof(d))); rep("connect", NULL);
			xclose(c);
		}
	}

	setcase("tcp6_mapped_peer");
	{
		c = mksock(AF_INET6, SOCK_STREAM);
		if (c >= 0) {
			struct sockaddr_in6 d = sin6("::ffff:" PEER_IP, ECHO_PORT);
			DO(S(connect)(c, SA(&d), sizeof(d))); rep("connect", NULL);
			rep_name(c, "peer", 1);
			DO(S(send)(c, "m", 1, 0)); rep("send", NULL);
			DO(S(recv)(c, b, 1, 0)); rep("recv", NULL);
			xclose(c);
		}
	}

	setcase("tcp6_opts");
	{
		c = mksock(AF_INET6, SOCK_STREAM);
		if (c >= 0) {
			getint(c, IPPROTO_IPV6, IPV6_V6ONLY, "v6only");
			getint(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "hops");
			getint(c, IPPROTO_TCP, TCP_NODELAY, "nodelay");
			getint(c, SOL_SOCKET, SO_DOMAIN, "domain");
			xclose(c);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} groups[] = {
		{ "opt_defaults", c_opt_defaults }, { "opt_values", c_opt_values },
		{ "opt_misc", c_opt_misc }, { "optlen", c_optlen },
		{ "state_udp", c_state_udp }, { "state_tcp", c_state_tcp },
		{ "names", c_names }, { "eph", c_eph }, { "msg", c_msg },
		{ "ready", c_ready }, { "epoll", c_epoll }, { "udp6", c_udp6 },
		{ "mcast6", c_mcast6 }, { "mcast4", c_mcast4 },
		{ "tcp6", c_tcp6 },
#ifndef USE_RS
		{ "select", c_select },
#endif
	};
	signal(SIGPIPE, SIG_IGN);
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
