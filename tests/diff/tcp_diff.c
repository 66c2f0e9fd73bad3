/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential TCP socket tests: one source, built twice, as udp_diff.c
 * (its output format and topology): tcp_diff_linux on kernel sockets,
 * tcp_diff_rs (USE_RS) on libringsock. The program is at 10.0.0.1; the
 * Linux peer at 10.0.0.2 runs peer.py, which also serves TCP: port 7
 * echoes until the client's FIN and then closes, port 9 closes a
 * connection as soon as data arrives without reading it (so it resets),
 * nothing listens on port 9999 (RST: ECONNREFUSED).
 *
 * The tcp_v6_* cases use AF_INET6 sockets over the same IPv4 topology
 * (dual stack: v4-mapped peers, IPV6_V6ONLY, a listener on :: taking an
 * AF_INET client). Every case name starts with "tcp_"; differences must be listed in
 * docs/divergences.md as for udp_diff.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "diff_common.h"

static const char *addrname(const struct sockaddr_in *a)
{
	static char b[64];
	char ip[INET_ADDRSTRLEN];
	const char *n = ip;
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	if (strcmp(ip, LOCAL_IP) == 0)
		n = "local";
	else if (strcmp(ip, PEER_IP) == 0)
		n = "peer";
	else if (strcmp(ip, "0.0.0.0") == 0)
		n = "any";
	unsigned p = ntohs(a->sin_port);
	if (p >= EPH_LO && p <= EPH_HI)
		snprintf(b, sizeof(b), "%s:ephemeral-in-range", n);
	else
		snprintf(b, sizeof(b), "%s:%u", n, p);
	return b;
}

static const char *revname(short r)
{
	static char b[128];
	static const struct {
		short bit;
		const char *n;
	} bits[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" },
		{ POLLHUP, "HUP" }, { POLLNVAL, "NVAL" }, { POLLRDHUP, "RDHUP" },
	};
	b[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (r & bits[i].bit) {
			if (b[0])
				strcat(b, "|");
			strcat(b, bits[i].n);
		}
	if (!b[0])
		strcpy(b, "0");
	return b;
}

/* poll one socket for events (timeout ms) and report revents */
static void rep_poll(int fd, short events, int timeout, const char *step)
{
	struct pollfd p = { .fd = fd, .events = events };
	DO(S(poll)(&p, 1, timeout));
	rep(step, "revents=%s", revname(p.revents));
}

static int tcp_sock(int flags)
{
	return S(socket)(AF_INET, SOCK_STREAM | flags, 0);
}

static int connect_echo(void)
{
	struct sockaddr_in a = sin4(PEER_IP, ECHO_PORT);
	int fd = tcp_sock(0);
	if (S(connect)(fd, SA(&a), sizeof(a)) < 0) {
		printf("%s setup: connect to the echo service failed: %s\n", cs, ename(errno));
		exit(1);
	}
	return fd;
}

/* ---- cases ---- */

static void c_socket(void)
{
	cs = "tcp_socket";
	int fd;
	DO(fd = tcp_sock(0));
	rep_fd("socket");
	getint(fd, SOL_SOCKET, SO_TYPE, "so_type");
	getint(fd, SOL_SOCKET, SO_PROTOCOL, "so_protocol");
	getint(fd, SOL_SOCKET, SO_ACCEPTCONN, "so_acceptconn");
	getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
	getint(fd, SOL_SOCKET, SO_KEEPALIVE, "so_keepalive");
	getint(fd, SOL_SOCKET, SO_SNDBUF, "so_sndbuf");
	getint(fd, SOL_SOCKET, SO_RCVBUF, "so_rcvbuf");
	getint(fd, IPPROTO_TCP, TCP_NODELAY, "tcp_nodelay");
	getint(fd, IPPROTO_TCP, TCP_CORK, "tcp_cork");
	getint(fd, IPPROTO_TCP, TCP_MAXSEG, "tcp_maxseg");
	getint(fd, IPPROTO_TCP, TCP_KEEPIDLE, "tcp_keepidle");
	getint(fd, IPPROTO_TCP, TCP_KEEPINTVL, "tcp_keepintvl");
	getint(fd, IPPROTO_TCP, TCP_KEEPCNT, "tcp_keepcnt");
	getint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "tcp_user_timeout");
	xclose(fd);
	cs = "tcp_socket_proto";
	DO(fd = S(socket)(AF_INET, SOCK_STREAM, IPPROTO_TCP));
	rep_fd("ipproto_tcp");
	xclose(fd);
	DO(fd = S(socket)(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	rep_fd("ipproto_udp");
	xclose(fd);
}

static void c_options(void)
{
	cs = "tcp_options";
	int fd = tcp_sock(0);
	setint(fd, IPPROTO_TCP, TCP_NODELAY, 1, "set_nodelay");
	getint(fd, IPPROTO_TCP, TCP_NODELAY, "nodelay");
	setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 30, "set_keepidle");
	getint(fd, IPPROTO_TCP, TCP_KEEPIDLE, "keepidle");
	setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0, "set_keepidle_0");
	setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 40000, "set_keepidle_40000");
	setint(fd, IPPROTO_TCP, TCP_KEEPCNT, 200, "set_keepcnt_200");
	setint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1, "set_user_timeout_neg");
	setint(fd, IPPROTO_TCP, TCP_MAXSEG, 1000, "set_maxseg_1000");
	getint(fd, IPPROTO_TCP, TCP_MAXSEG, "maxseg");
	setint(fd, IPPROTO_TCP, TCP_MAXSEG, 10, "set_maxseg_10");
	setint(fd, SOL_SOCKET, SO_SNDBUF, 100000, "set_sndbuf");
	getint(fd, SOL_SOCKET, SO_SNDBUF, "sndbuf");
	setint(fd, SOL_SOCKET, SO_RCVBUF, 100000, "set_rcvbuf");
	getint(fd, SOL_SOCKET, SO_RCVBUF, "rcvbuf");
	char cc[16] = "";
	socklen_t l = sizeof(cc);
	DO(S(setsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	rep("set_congestion_reno", NULL);
	DO(S(getsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &l));
	rep("congestion", "val=%s", cc);
	DO(S(setsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, "nosuch", 6));
	rep("set_congestion_nosuch", NULL);
	struct linger lg = { 1, 0 }, lg2 = { -1, -1 };
	socklen_t ll = sizeof(lg2);
	DO(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	rep("set_linger", NULL);
	DO(S(getsockopt)(fd, SOL_SOCKET, SO_LINGER, &lg2, &ll));
	rep("linger", "onoff=%d linger=%d", lg2.l_onoff, lg2.l_linger);
	xclose(fd);
}

static void c_unconnected(void)
{
	cs = "tcp_unconnected";
	int fd = tcp_sock(SOCK_NONBLOCK), v = -1;
	char b[8];
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv", NULL);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL));
	rep("send", NULL);
	DO(S(getpeername)(fd, SA(&a), &al));
	rep("getpeername", NULL);
	al = sizeof(a);
	DO(S(getsockname)(fd, SA(&a), &al));
	rep("getsockname", "addr=%s", addrname(&a));
	DO(S(shutdown)(fd, SHUT_WR));
	rep("shutdown", NULL);
	DO(S(ioctl)(fd, FIONREAD, &v));
	rep("fionread", "val=%d", v);
	rep_poll(fd, POLLIN | POLLOUT, 0, "poll");
	xclose(fd);
}

/* A listener bound to a port stops on shutdown(SHUT_RD): the connection
 * it had not handed over is reset, and it keeps the port to listen on
 * again (Linux: inet_csk_listen_stop; SOCK_BINDPORT_LOCK). */
static void c_listen_shut_bound(void)
{
	cs = "tcp_listen_shut_bound";
	struct sockaddr_in a = sin4(LOCAL_IP, 47123), n;
	socklen_t nl = sizeof(n);
	struct timeval tv = { .tv_sec = 3 };
	char b[4];
	int ls = tcp_sock(0), cl = tcp_sock(0);
	DO(S(bind)(ls, SA(&a), sizeof(a)));
	rep("bind", NULL);
	DO(S(listen)(ls, 4));
	rep("listen", NULL);
	S(setsockopt)(cl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	DO(S(connect)(cl, SA(&a), sizeof(a)));
	rep("connect", NULL);
	DO(S(shutdown)(ls, SHUT_RD));
	rep("shutdown_rd", NULL);
	DO(S(accept)(ls, NULL, NULL));
	rep("accept", NULL);
	rep_poll(ls, POLLIN | POLLOUT, 0, "poll");
	DO(S(recv)(cl, b, sizeof(b), 0));
	rep("client_recv", NULL);
	xclose(cl);
	int other = tcp_sock(0);
	DO(S(bind)(other, SA(&a), sizeof(a)));
	rep("bind_other", NULL);
	xclose(other);
	DO(S(listen)(ls, 4));
	rep("listen_again", NULL);
	DO(S(getsockname)(ls, SA(&n), &nl));
	rep("getsockname", "port=%u", ntohs(n.sin_port));
	getint(ls, SOL_SOCKET, SO_ACCEPTCONN, "so_acceptconn");
	cl = tcp_sock(0);
	S(setsockopt)(cl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	DO(S(connect)(cl, SA(&a), sizeof(a)));
	rep("connect_again", NULL);
	int c;
	DO(c = S(accept)(ls, NULL, NULL));
	if (g_r > 0)
		g_r = 0; /* a descriptor: which one differs */
	rep("accept_again", NULL);
	DO(S(send)(c, "hi", 2, MSG_NOSIGNAL));
	rep("send", NULL);
	DO(S(recv)(cl, b, sizeof(b), 0));
	rep("client_recv_again", NULL);
	if (c >= 0)
		xclose(c);
	xclose(cl);
	xclose(ls);
}

static void *accept_thread(void *arg)
{
	int *fd = arg; /* in: the listener; out: accept's errno (0: it took one) */
	int c = S(accept)(*fd, NULL, NULL);
	*fd = c < 0 ? errno : 0; /* not DO: g_r and g_e are the main thread's */
	if (c >= 0)
		xclose(c);
	return NULL;
}

/* An accept blocked on a listener wakes with EINVAL when another thread
 * shuts the listener down. (The pause lets the accept go to sleep first;
 * if it has not, it fails the same way without sleeping.) */
static void c_listen_shut_wake(void)
{
	cs = "tcp_listen_shut_wake";
	int ls = tcp_sock(0), arg;
	pthread_t th;
	S(listen)(ls, 4);
	arg = ls;
	if (pthread_create(&th, NULL, accept_thread, &arg) != 0) {
		printf("%s setup: pthread_create failed\n", cs);
		xclose(ls);
		return;
	}
	usleep(100000);
	DO(S(shutdown)(ls, SHUT_RDWR));
	rep("shutdown_rdwr", NULL);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	if (pthread_timedjoin_np(th, NULL, &ts) != 0) {
		printf("%s accept: still blocked after 3 s\n", cs);
		fflush(stdout);
		_exit(1); /* the thread holds the socket: no clean way on */
	}
	printf("%s accept: errno=%s\n", cs, ename(arg));
	xclose(ls);
}

static void c_listen(void)
{
	cs = "tcp_listen";
	int fd = tcp_sock(SOCK_NONBLOCK), v = -1;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	char b[8];
	DO(S(listen)(fd, 4));
	rep("listen_unbound", NULL);
	DO(S(getsockname)(fd, SA(&a), &al));
	rep("getsockname", "addr=%s", addrname(&a));
	getint(fd, SOL_SOCKET, SO_ACCEPTCONN, "so_acceptconn");
	DO(S(listen)(fd, 8));
	rep("listen_again", NULL);
	DO(S(accept)(fd, NULL, NULL));
	rep("accept_nonblock", NULL);
	DO(S(accept4)(fd, NULL, NULL, 0x1234));
	rep("accept4_badflags", NULL);
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv", NULL);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL));
	rep("send", NULL);
	DO(S(ioctl)(fd, FIONREAD, &v));
	rep("fionread", NULL);
	struct sockaddr_in p = sin4(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&p), sizeof(p)));
	rep("connect", NULL);
	rep_poll(fd, POLLIN | POLLOUT, 0, "poll");
	DO(S(shutdown)(fd, SHUT_WR));
	rep("shutdown_wr", NULL);
	xclose(fd);
	cs = "tcp_listen_shut_rd";
	fd = tcp_sock(0);
	S(listen)(fd, 4);
	DO(S(shutdown)(fd, SHUT_RD));
	rep("shutdown_rd", NULL);
	/* stopped: a closed socket again (its implicit port given up) */
	rep_poll(fd, POLLIN | POLLOUT, 0, "poll");
	getint(fd, SOL_SOCKET, SO_ACCEPTCONN, "so_acceptconn");
	DO(S(accept)(fd, NULL, NULL));
	rep("accept", NULL);
	DO(S(shutdown)(fd, SHUT_RD));
	rep("shutdown_again", NULL);
	DO(S(listen)(fd, 4));
	rep("listen_again", NULL);
	DO(S(shutdown)(fd, SHUT_RDWR));
	rep("shutdown_rdwr", NULL);
	/* but not connect (Linux: EINVAL) */
	struct sockaddr_in e = sin4(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&e), sizeof(e)));
	rep("connect", NULL);
	xclose(fd);
	c_listen_shut_bound();
	c_listen_shut_wake();
	cs = "tcp_listen_udp";
	fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	DO(S(listen)(fd, 4));
	rep("listen", NULL);
	DO(S(accept)(fd, NULL, NULL));
	rep("accept", NULL);
	xclose(fd);
}

static void c_refused(void)
{
	cs = "tcp_refused";
	struct sockaddr_in a = sin4(PEER_IP, CLOSED_PORT);
	int fd = tcp_sock(0);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect", NULL);
	getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
	rep_poll(fd, POLLIN | POLLOUT, 0, "poll");
	xclose(fd);

	cs = "tcp_refused_nonblock";
	fd = tcp_sock(SOCK_NONBLOCK);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect", NULL);
	rep_poll(fd, POLLOUT, 5000, "poll");
	getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
	getint(fd, SOL_SOCKET, SO_ERROR, "so_error_again");
	char b[4];
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv", NULL);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL));
	rep("send", NULL);
	xclose(fd);

	cs = "tcp_refused_retry";
	fd = tcp_sock(0);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect", NULL);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect_again", NULL);
	xclose(fd);

	/* the same socket, refused, then connected to a listening port:
	 * a new handshake, and the connection carries data */
	cs = "tcp_refused_then_connect";
	struct sockaddr_in e = sin4(PEER_IP, ECHO_PORT);
	char eb[8];
	fd = tcp_sock(0);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("refused", NULL);
	DO(S(connect)(fd, SA(&e), sizeof(e)));
	rep("connect", NULL);
	DO(S(send)(fd, "again", 5, 0));
	rep("send", NULL);
	memset(eb, 0, sizeof(eb));
	DO(S(recv)(fd, eb, 5, MSG_WAITALL));
	rep("recv", "data=%.5s", eb);
	xclose(fd);
}

static void c_nbconnect(void)
{
	cs = "tcp_nbconnect";
	struct sockaddr_in a = sin4(PEER_IP, ECHO_PORT), n;
	socklen_t nl = sizeof(n);
	int fd = tcp_sock(SOCK_NONBLOCK);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect", NULL);
	rep_poll(fd, POLLOUT, 5000, "poll");
	getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect_again", NULL);
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect_third", NULL);
	DO(S(getpeername)(fd, SA(&n), &nl));
	rep("getpeername", "addr=%s", addrname(&n));
	nl = sizeof(n);
	DO(S(getsockname)(fd, SA(&n), &nl));
	rep("getsockname", "addr=%s", addrname(&n));
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	DO(S(getsockopt)(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl));
	rep("tcp_info", "state=%u", ti.tcpi_state);
	getint(fd, IPPROTO_TCP, TCP_MAXSEG, "tcp_maxseg");
	xclose(fd);
}

static void c_data(void)
{
	cs = "tcp_data";
	int fd = connect_echo(), v = -1;
	char b[64];
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT));
	rep("recv_empty", NULL);
	DO(S(send)(fd, "hello", 5, 0));
	rep("send", NULL);
	rep_poll(fd, POLLIN, 5000, "poll");
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, 3, MSG_PEEK));
	rep("peek", "data=%.3s", b);
	DO(S(ioctl)(fd, FIONREAD, &v));
	rep("fionread", "val=%d", v);
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv", "data=%.5s", b);
	DO(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT));
	rep("recv_empty_again", NULL);
	static char big[200000], back[200000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	DO(S(send)(fd, big, sizeof(big), 0));
	rep("send_big", NULL);
	DO(S(recv)(fd, back, sizeof(back), MSG_WAITALL));
	rep("recv_waitall", "equal=%d", memcmp(big, back, sizeof(big)) == 0);
	/* everything acknowledged: nothing left in the send queue */
	for (int i = 0; i < 500; i++) {
		DO(S(ioctl)(fd, TIOCOUTQ, &v));
		if (g_r < 0 || v == 0)
			break;
		usleep(10000);
	}
	rep("siocoutq", "val=%d", v);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	DO(S(send)(fd, "abc", 3, 0));
	DO(S(recvfrom)(fd, b, 3, MSG_WAITALL, SA(&from), &fl));
	rep("recvfrom", "addrlen=%u", (unsigned)fl);
	xclose(fd);
}

static void c_halfclose(void)
{
	cs = "tcp_halfclose";
	int fd = connect_echo();
	char b[16];
	DO(S(send)(fd, "tail", 4, 0));
	rep("send", NULL);
	DO(S(shutdown)(fd, SHUT_WR));
	rep("shutdown_wr", NULL);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL));
	rep("send_after", NULL);
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, 4, MSG_WAITALL));
	rep("recv", "data=%.4s", b);
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv_eof", NULL);
	rep_poll(fd, POLLIN | POLLOUT | POLLRDHUP, 5000, "poll");
	DO(S(shutdown)(fd, SHUT_RD));
	rep("shutdown_rd", NULL);
	xclose(fd);
}

static void c_reset(void)
{
	cs = "tcp_reset";
	struct sockaddr_in a = sin4(PEER_IP, RST_PORT);
	int fd = tcp_sock(0);
	char b[8];
	DO(S(connect)(fd, SA(&a), sizeof(a)));
	rep("connect", NULL);
	DO(S(send)(fd, "unread", 6, 0));
	rep("send", NULL);
	rep_poll(fd, POLLIN, 5000, "poll_in");
	rep_poll(fd, POLLIN | POLLOUT | POLLRDHUP, 0, "poll");
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv", NULL);
	DO(S(recv)(fd, b, sizeof(b), 0));
	rep("recv_again", NULL);
	DO(S(send)(fd, "x", 1, MSG_NOSIGNAL));
	rep("send_after", NULL);
	getint(fd, SOL_SOCKET, SO_ERROR, "so_error");
	struct sockaddr_in n;
	socklen_t nl = sizeof(n);
	DO(S(getpeername)(fd, SA(&n), &nl));
	rep("getpeername", NULL);
	xclose(fd);
}

/* Connections to our own listener (over the local address): Linux's dl
 * namespace loops them through lo, ringstack through its loopback path. */
static void c_backlog(void)
{
	cs = "tcp_backlog";
	struct sockaddr_in a = sin4(LOCAL_IP, 0), n;
	socklen_t nl = sizeof(n);
	int ls = tcp_sock(SOCK_NONBLOCK), cl[4], done = 0, acc = 0;
	DO(S(bind)(ls, SA(&a), sizeof(a)));
	rep("bind", NULL);
	DO(S(listen)(ls, 1));
	rep("listen_1", NULL);
	S(getsockname)(ls, SA(&n), &nl);
	/* One at a time: the handshakes the accept queue takes (backlog + 1)
	 * complete; the others wait, their SYNs dropped while the queue is
	 * full (the 700 ms bound is below the first SYN retransmission). Four
	 * SYNs at once would instead overflow the request queue into SYN
	 * cookies, and how many of those complete depends on timing, on
	 * either stack. */
	for (int i = 0; i < 4; i++) {
		cl[i] = tcp_sock(SOCK_NONBLOCK);
		S(connect)(cl[i], SA(&n), sizeof(n));
		struct pollfd p = { .fd = cl[i], .events = POLLOUT };
		if (S(poll)(&p, 1, 700) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLERR))
			done++;
	}
	printf("%s connected_before_accept: %d\n", cs, done);
	for (int i = 0; i < 4; i++) {
		int c = S(accept)(ls, NULL, NULL);
		if (c < 0)
			break;
		acc++;
		xclose(c);
	}
	printf("%s accepted: %d\n", cs, acc);
	for (int i = 0; i < 4; i++)
		xclose(cl[i]);
	xclose(ls);
}

static void c_timewait_reuse(void)
{
	cs = "tcp_timewait_reuse";
	struct sockaddr_in a = sin4(LOCAL_IP, 0), n;
	socklen_t nl = sizeof(n);
	int ls = tcp_sock(0), one = 1;
	S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	S(bind)(ls, SA(&a), sizeof(a));
	S(listen)(ls, 4);
	S(getsockname)(ls, SA(&n), &nl);
	int cl = tcp_sock(0);
	DO(S(connect)(cl, SA(&n), sizeof(n)));
	rep("connect", NULL);
	int c = S(accept)(ls, NULL, NULL);
	char b[4];
	/* the server closes first: its side of the connection (on the
	 * listener's port) goes to TIME-WAIT once the client closes too */
	xclose(c);
	DO(S(recv)(cl, b, sizeof(b), 0));
	rep("client_eof", NULL);
	xclose(cl);
	usleep(200000);
	xclose(ls);
	int s2 = tcp_sock(0);
	DO(S(bind)(s2, SA(&n), sizeof(n)));
	rep("bind_without_reuseaddr", NULL);
	xclose(s2);
	s2 = tcp_sock(0);
	S(setsockopt)(s2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	DO(S(bind)(s2, SA(&n), sizeof(n)));
	rep("bind_with_reuseaddr", NULL);
	DO(S(listen)(s2, 4));
	rep("listen", NULL);
	xclose(s2);
}

/* ---- AF_INET6 sockets, dual stack: the topology is IPv4, so they reach
 * the peer and each other through IPv4-mapped addresses ---- */

static struct sockaddr_in6 sin6m(const char *ip4, int port)
{
	struct sockaddr_in6 a;
	char m[64];
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons((uint16_t)port);
	snprintf(m, sizeof(m), "::ffff:%s", ip4);
	inet_pton(AF_INET6, m, &a.sin6_addr);
	return a;
}

static const char *addr6name(const struct sockaddr_in6 *a, socklen_t len)
{
	static char b[96];
	char ip[INET6_ADDRSTRLEN];
	const char *n = ip;
	if (len != sizeof(*a) || a->sin6_family != AF_INET6) {
		snprintf(b, sizeof(b), "family=%u len=%u", a->sin6_family, (unsigned)len);
		return b;
	}
	inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
	if (strcmp(ip, "::ffff:" LOCAL_IP) == 0)
		n = "mapped-local";
	else if (strcmp(ip, "::ffff:" PEER_IP) == 0)
		n = "mapped-peer";
	unsigned p = ntohs(a->sin6_port);
	if (p >= EPH_LO && p <= EPH_HI)
		snprintf(b, sizeof(b), "%s:ephemeral-in-range scope=%u", n, a->sin6_scope_id);
	else
		snprintf(b, sizeof(b), "%s:%u scope=%u", n, p, a->sin6_scope_id);
	return b;
}

static void names6(int fd, const char *step)
{
	struct sockaddr_in6 a;
	socklen_t al = sizeof(a);
	char st[64];
	memset(&a, 0, sizeof(a));
	DO(S(getsockname)(fd, SA(&a), &al));
	snprintf(st, sizeof(st), "%s_sockname", step);
	rep(st, "addr=%s", addr6name(&a, al));
	memset(&a, 0, sizeof(a));
	al = sizeof(a);
	DO(S(getpeername)(fd, SA(&a), &al));
	snprintf(st, sizeof(st), "%s_peername", step);
	rep(st, "addr=%s", g_r == 0 ? addr6name(&a, al) : "-");
}

static void c_v6(void)
{
	cs = "tcp_v6_socket";
	int fd, one = 1;
	char b[16];
	DO(fd = S(socket)(AF_INET6, SOCK_STREAM, 0));
	rep_fd("socket");
	getint(fd, IPPROTO_IPV6, IPV6_V6ONLY, "v6only");
	getint(fd, IPPROTO_TCP, TCP_MAXSEG, "tcp_maxseg");
	names6(fd, "unbound");
	struct sockaddr_in a4 = sin4(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&a4), sizeof(a4)));
	rep("connect_sockaddr_in", NULL);
	xclose(fd);

	cs = "tcp_v6_mapped_echo";
	fd = S(socket)(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 e = sin6m(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&e), sizeof(e)));
	rep("connect", NULL);
	names6(fd, "connected");
	DO(S(send)(fd, "hello6", 6, 0));
	rep("send", NULL);
	memset(b, 0, sizeof(b));
	DO(S(recv)(fd, b, 6, MSG_WAITALL));
	rep("recv_echo", "got=%s", b);
	DO(S(shutdown)(fd, SHUT_WR));
	rep("shutdown_wr", NULL);
	DO(S(recv)(fd, b + 6, sizeof(b) - 6, 0));
	rep("eof", "got=%s", b);
	xclose(fd);

	cs = "tcp_v6_mapped_refused";
	fd = S(socket)(AF_INET6, SOCK_STREAM, 0);
	e = sin6m(PEER_IP, CLOSED_PORT);
	DO(S(connect)(fd, SA(&e), sizeof(e)));
	rep("connect", NULL);
	xclose(fd);

	cs = "tcp_v6_v6only";
	fd = S(socket)(AF_INET6, SOCK_STREAM, 0);
	setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "set_v6only");
	e = sin6m(PEER_IP, ECHO_PORT);
	DO(S(connect)(fd, SA(&e), sizeof(e)));
	rep("connect_mapped", NULL);
	e = sin6m(LOCAL_IP, 0);
	DO(S(bind)(fd, SA(&e), sizeof(e)));
	rep("bind_mapped", NULL);
	xclose(fd);

	cs = "tcp_v6_bind";
	fd = S(socket)(AF_INET6, SOCK_STREAM, 0);
	e = sin6m("10.0.0.99", 0);
	DO(S(bind)(fd, SA(&e), sizeof(e)));
	rep("bind_mapped_not_ours", NULL);
	e = sin6m(LOCAL_IP, 0);
	DO(S(bind)(fd, SA(&e), sizeof(e)));
	rep("bind_mapped_local", NULL);
	names6(fd, "bound");
	xclose(fd);

	/* a dual-stack listener on :: accepts an AF_INET client of this
	 * host; the child's names are AF_INET6, the peer v4-mapped */
	cs = "tcp_v6_dual_listener";
	int ls = S(socket)(AF_INET6, SOCK_STREAM, 0);
	S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 any;
	memset(&any, 0, sizeof(any));
	any.sin6_family = AF_INET6;
	DO(S(bind)(ls, SA(&any), sizeof(any)));
	rep("bind_any", NULL);
	DO(S(listen)(ls, 4));
	rep("listen", NULL);
	struct sockaddr_in6 ln;
	socklen_t lnl = sizeof(ln);
	S(getsockname)(ls, SA(&ln), &lnl);
	int cl = tcp_sock(0);
	struct sockaddr_in to = sin4(LOCAL_IP, ntohs(ln.sin6_port));
	DO(S(connect)(cl, SA(&to), sizeof(to)));
	rep("connect_ipv4", NULL);
	struct sockaddr_in6 pa;
	socklen_t pal = sizeof(pa);
	memset(&pa, 0, sizeof(pa));
	int c;
	DO(c = S(accept)(ls, SA(&pa), &pal));
	rep_fd("accept");
	if (c >= 0)
		printf("%s accept_peer: addr=%s\n", cs, addr6name(&pa, pal));
	struct sockaddr_in ca;
	socklen_t cal = sizeof(ca);
	DO(S(getsockname)(cl, SA(&ca), &cal));
	rep("client_sockname", "addr=%s", addrname(&ca));
	xclose(c);
	xclose(cl);
	xclose(ls);
}

/* ---- urgent data (Linux: tcp_check_urg, tcp_recv_urg, SIOCATMARK) ---- */

/* a connected pair on this host: *cl the client (TCP_NODELAY), *sv the
 * accepted server side; the listener is closed */
static int local_pair(int *cl, int *sv)
{
	int ls = tcp_sock(0), one = 1;
	struct sockaddr_in a = sin4(LOCAL_IP, 0);
	socklen_t al = sizeof(a);
	S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (S(bind)(ls, SA(&a), sizeof(a)) < 0 || S(listen)(ls, 4) < 0 ||
	    S(getsockname)(ls, SA(&a), &al) < 0) {
		printf("%s setup: listener failed: %s\n", cs, ename(errno));
		xclose(ls);
		return -1;
	}
	*cl = tcp_sock(0);
	S(setsockopt)(*cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (S(connect)(*cl, SA(&a), sizeof(a)) < 0 || (*sv = S(accept)(ls, NULL, NULL)) < 0) {
		printf("%s setup: connect/accept failed: %s\n", cs, ename(errno));
		xclose(*cl);
		xclose(ls);
		return -1;
	}
	xclose(ls);
	return 0;
}

/* waits (bounded) for an event (FIONREAD is no measure: it stops at the
 * urgent mark) */
static void wait_ev(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	if (S(poll)(&p, 1, 3000) != 1 || !(p.revents & ev))
		printf("%s setup: event %#x never came\n", cs, ev);
}

static void inq(int fd, const char *step)
{
	int q = -1;
	DO(S(ioctl)(fd, FIONREAD, &q));
	rep(step, "val=%d", q);
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* waits (3 s at most) until the out-of-band byte is c (POLLPRI may be
 * set already by the previous one: the clock bounds it, not a count) */
static void wait_oob(int fd, char c)
{
	for (uint64_t end = now_ms() + 3000; now_ms() < end;) {
		char b = 0;
		if (S(recv)(fd, &b, 1, MSG_OOB | MSG_PEEK) == 1 && b == c)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	printf("%s setup: out-of-band byte %c never came\n", cs, c);
}

static void atmark(int fd, const char *step)
{
	int v = -1;
	DO(S(ioctl)(fd, SIOCATMARK, &v));
	rep(step, "val=%d", v);
}

static void revents(int fd, const char *step)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI | POLLOUT };
	DO(S(poll)(&p, 1, 0));
	rep(step, "in=%d pri=%d", !!(p.revents & POLLIN), !!(p.revents & POLLPRI));
}

static void recv_str(int fd, int flags, const char *step)
{
	char b[64];
	struct iovec v = { b, sizeof(b) - 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	DO(S(recvmsg)(fd, &m, flags | MSG_DONTWAIT));
	b[g_r > 0 ? g_r : 0] = 0;
	rep(step, "got=%s oob=%d", g_r >= 0 ? b : "-", g_r >= 0 && (m.msg_flags & MSG_OOB) != 0);
}

static volatile sig_atomic_t n_sigurg;
static void on_sigurg(int sig)
{
	(void)sig;
	n_sigurg++;
}

/* F_SETOWN, then urgent data: SIGURG reaches the owner (waits 5 s at most
 * for it: the daemon sends it from its control thread). fc is fcntl as
 * the case calls it (rs_fcntl, or libc's under the shim). */
static void sigurg_case(int (*fc)(int, int, ...), ssize_t (*sendf)(int, const void *, size_t, int))
{
	int cl, sv;
	struct sigaction sa = { .sa_handler = on_sigurg }, old;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGURG, &sa, &old);
	n_sigurg = 0;
	if (local_pair(&cl, &sv) < 0)
		return;
	DO(fc(sv, F_GETOWN));
	rep("getown_default", NULL);
	DO(fc(sv, F_SETOWN, getpid()));
	rep("setown", NULL);
	DO(fc(sv, F_GETOWN));
	g_r = g_r == getpid();
	rep("getown_is_self", NULL);
	DO(sendf(cl, "U", 1, MSG_OOB));
	rep("send_oob", NULL);
	for (uint64_t end = now_ms() + 5000; n_sigurg == 0 && now_ms() < end;) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	g_r = 0;
	rep("sigurg", "got=%d", n_sigurg > 0);
	recv_str(sv, MSG_OOB, "recv_oob");
	xclose(cl);
	xclose(sv);
	sigaction(SIGURG, &old, NULL);
}

static void c_urgent(void)
{
	int cl, sv, ls;

	cs = "tcp_urgent";
	if (local_pair(&cl, &sv) < 0)
		return;
	getint(sv, SOL_SOCKET, SO_OOBINLINE, "oobinline_default");
	recv_str(sv, MSG_OOB, "recv_oob_none");
	DO(S(send)(cl, "abc", 3, 0));
	rep("send", NULL);
	DO(S(send)(cl, "X", 1, MSG_OOB));
	rep("send_oob", NULL);
	wait_ev(sv, POLLPRI);
	inq(sv, "fionread_before");
	revents(sv, "poll_before");
	atmark(sv, "atmark_before");
	recv_str(sv, 0, "recv_to_mark");
	atmark(sv, "atmark_at");
	revents(sv, "poll_at");
	inq(sv, "fionread_at");
	recv_str(sv, MSG_PEEK, "peek_at_mark");
	recv_str(sv, MSG_OOB | MSG_PEEK, "peek_oob");
	recv_str(sv, MSG_OOB, "recv_oob");
	recv_str(sv, MSG_OOB, "recv_oob_again");
	atmark(sv, "atmark_after_oob");
	revents(sv, "poll_after_oob");
	DO(S(send)(cl, "de", 2, 0));
	rep("send_more", NULL);
	wait_ev(sv, POLLIN);
	inq(sv, "fionread_more");
	recv_str(sv, 0, "recv_past_mark");
	atmark(sv, "atmark_past");
	recv_str(sv, MSG_OOB, "recv_oob_past");
	DO(S(send)(cl, "", 0, MSG_OOB));
	rep("send_oob_empty", NULL);
	xclose(cl);
	xclose(sv);

	/* a read past the out-of-band byte without MSG_OOB loses it */
	cs = "tcp_urgent_unread";
	if (local_pair(&cl, &sv) < 0)
		return;
	S(send)(cl, "ab", 2, 0);
	S(send)(cl, "Z", 1, MSG_OOB);
	S(send)(cl, "cd", 2, 0);
	S(shutdown)(cl, SHUT_WR);
	wait_ev(sv, POLLRDHUP);
	inq(sv, "fionread");
	recv_str(sv, 0, "recv_to_mark");
	recv_str(sv, 0, "recv_past");
	recv_str(sv, MSG_OOB, "recv_oob");
	recv_str(sv, 0, "recv_eof");
	xclose(cl);
	xclose(sv);

	/* a second mark while reads sit at the first steps over its byte */
	cs = "tcp_urgent_twice";
	if (local_pair(&cl, &sv) < 0)
		return;
	S(send)(cl, "A", 1, MSG_OOB);
	wait_oob(sv, 'A');
	atmark(sv, "atmark_first");
	S(send)(cl, "B", 1, MSG_OOB);
	wait_oob(sv, 'B');
	atmark(sv, "atmark_second");
	inq(sv, "fionread");
	recv_str(sv, MSG_OOB, "recv_oob");
	recv_str(sv, 0, "recv");
	xclose(cl);
	xclose(sv);

	cs = "tcp_urgent_inline";
	if (local_pair(&cl, &sv) < 0)
		return;
	setint(sv, SOL_SOCKET, SO_OOBINLINE, 1, "set_oobinline");
	getint(sv, SOL_SOCKET, SO_OOBINLINE, "oobinline");
	S(send)(cl, "ab", 2, 0);
	S(send)(cl, "Y", 1, MSG_OOB);
	S(send)(cl, "cd", 2, 0);
	S(shutdown)(cl, SHUT_WR);
	wait_ev(sv, POLLRDHUP);
	inq(sv, "fionread");
	revents(sv, "poll_before");
	recv_str(sv, 0, "recv_to_mark");
	atmark(sv, "atmark_at");
	revents(sv, "poll_at");
	recv_str(sv, MSG_OOB, "recv_oob");
	recv_str(sv, 0, "recv_through");
	atmark(sv, "atmark_past");
	revents(sv, "poll_past");
	xclose(cl);
	xclose(sv);

	cs = "tcp_urgent_listener";
	ls = tcp_sock(0);
	struct sockaddr_in a = sin4(LOCAL_IP, 0);
	S(bind)(ls, SA(&a), sizeof(a));
	S(listen)(ls, 1);
	recv_str(ls, MSG_OOB, "recv_oob");
	atmark(ls, "atmark");
	setint(ls, SOL_SOCKET, SO_OOBINLINE, 1, "set_oobinline");
	DO(S(setsockopt)(ls, SOL_SOCKET, SO_OOBINLINE, "", 1));
	rep("set_oobinline_short", NULL);
	xclose(ls);
	ls = tcp_sock(0);
	atmark(ls, "atmark_unconnected");
	recv_str(ls, MSG_OOB, "recv_oob_unconnected");
	DO(S(send)(ls, "x", 1, MSG_OOB | MSG_NOSIGNAL));
	rep("send_oob_unconnected", NULL);
	xclose(ls);

	cs = "tcp_urgent_sigurg";
	sigurg_case(S(fcntl), S(send));
}

#ifndef USE_RS
/* libc's calls on whatever serves them: the kernel in the Linux run, the
 * LD_PRELOAD shim on ringstack (run.sh: tcp_diff_linux urgent_shim);
 * sockatmark(3) is glibc's, which the shim has to serve itself */
static void c_urgent_shim(void)
{
	int cl, sv;

	cs = "tcp_urgent_shim";
	if (local_pair(&cl, &sv) < 0)
		return;
	send(cl, "ab", 2, 0);
	DO(send(cl, "X", 1, MSG_OOB));
	rep("send_oob", NULL);
	wait_ev(sv, POLLPRI);
	DO(sockatmark(sv));
	rep("sockatmark_before", NULL);
	recv_str(sv, 0, "recv_to_mark");
	DO(sockatmark(sv));
	rep("sockatmark_at", NULL);
	revents(sv, "poll_at");
	recv_str(sv, MSG_OOB, "recv_oob");
	xclose(cl);
	xclose(sv);

	cs = "tcp_urgent_shim_sigurg";
	sigurg_case(fcntl, send);
}
#endif

/* SO_LINGER {1, l_linger}: close blocks (even non-blocking) until what
 * was sent is acknowledged, at most l_linger seconds, and returns 0; the
 * data still arrives after a timeout. A server that does not read (small
 * receive buffer) keeps the client's data unacknowledged. */
static void c_linger(void)
{
	cs = "tcp_linger_wait";
	struct sockaddr_in a = sin4(LOCAL_IP, 0), n;
	socklen_t nl = sizeof(n);
	int ls = tcp_sock(0), small = 4096;
	S(setsockopt)(ls, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	S(bind)(ls, SA(&a), sizeof(a));
	S(listen)(ls, 4);
	S(getsockname)(ls, SA(&n), &nl);
	int cl = tcp_sock(SOCK_NONBLOCK);
	S(connect)(cl, SA(&n), sizeof(n));
	struct pollfd p = { .fd = cl, .events = POLLOUT };
	S(poll)(&p, 1, 2000);
	int sv = S(accept)(ls, NULL, NULL);
	if (sv < 0) {
		printf("%s setup: accept failed: %s\n", cs, ename(errno));
		xclose(cl);
		xclose(ls);
		return;
	}
	static char buf[65536];
	long sent = 0;
	for (uint64_t end = now_ms() + 2000; now_ms() < end;) {
		ssize_t r = S(send)(cl, buf, sizeof(buf), MSG_NOSIGNAL);
		if (r > 0) {
			sent += r;
			continue;
		}
		/* full: wait a moment for more room, until none comes */
		p.events = POLLOUT;
		if (S(poll)(&p, 1, 100) != 1)
			break;
	}
	struct linger lg = { .l_onoff = 1, .l_linger = 1 };
	DO(S(setsockopt)(cl, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	rep("setsockopt", NULL);
	uint64_t t0 = now_ms();
	DO(S(close)(cl));
	uint64_t dt = now_ms() - t0;
	rep("close", "blocked=%d", dt >= 900 && dt < 3000);
	long got = 0;
	struct timeval tv = { .tv_sec = 5 };
	S(setsockopt)(sv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t r = S(recv)(sv, buf, sizeof(buf), 0);
		if (r <= 0) {
			DO(r);
			break;
		}
		got += r;
	}
	rep("server_end", "all_data=%d", got == sent && sent > 0);
	xclose(sv);

	cs = "tcp_linger_acked";
	cl = tcp_sock(0);
	S(connect)(cl, SA(&n), sizeof(n));
	sv = S(accept)(ls, NULL, NULL);
	lg.l_linger = 5;
	S(setsockopt)(cl, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	DO(S(send)(cl, "hello", 5, MSG_NOSIGNAL));
	rep("send", NULL);
	t0 = now_ms();
	DO(S(close)(cl));
	dt = now_ms() - t0;
	rep("close", "quick=%d", dt < 2000);
	char b[8];
	S(setsockopt)(sv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	DO(S(recv)(sv, b, sizeof(b), MSG_WAITALL));
	rep("server_recv", NULL);
	if (sv >= 0)
		xclose(sv);
	xclose(ls);
}

/* SIOCOUTQNSD (tcp_ioctl): bytes written but not yet sent; SIOCOUTQ
 * counts the unacknowledged ones too. A receiver that does not read
 * closes its window, so the sender holds unsent bytes. */
static void c_outqnsd(void)
{
	cs = "tcp_outqnsd";
	int v = -1, q = -1, cl, sv;
	int ls = tcp_sock(0);
	struct sockaddr_in a = sin4(LOCAL_IP, 0);
	socklen_t al = sizeof(a);
	S(bind)(ls, SA(&a), sizeof(a));
	S(getsockname)(ls, SA(&a), &al);
	DO(S(ioctl)(ls, SIOCOUTQNSD, &v));
	rep("unconnected", "val=%d", v);
	S(listen)(ls, 4);
	DO(S(ioctl)(ls, SIOCOUTQNSD, &v));
	rep("listener", NULL);
	xclose(ls);
	int u = S(socket)(AF_INET, SOCK_DGRAM, 0);
	DO(S(ioctl)(u, SIOCOUTQNSD, &v));
	rep("udp", NULL);
	xclose(u);
	if (local_pair(&cl, &sv) < 0)
		return;
	DO(S(ioctl)(cl, SIOCOUTQNSD, &v));
	rep("idle", "val=%d", v);
	static char buf[65536];
	int fl = S(fcntl)(cl, F_GETFL);
	S(fcntl)(cl, F_SETFL, fl | O_NONBLOCK);
	long sent = 0;
	struct pollfd p = { .fd = cl, .events = POLLOUT };
	for (uint64_t end = now_ms() + 3000; now_ms() < end;) {
		ssize_t r = S(send)(cl, buf, sizeof(buf), MSG_NOSIGNAL);
		if (r > 0) {
			sent += r;
			continue;
		}
		if (S(poll)(&p, 1, 200) != 1)
			break; /* no room came: the peer's window is shut */
	}
	/* SIOCOUTQ first: unacknowledged bytes only shrink meanwhile, so
	 * the unsent ones read after are within them on both stacks */
	v = q = -1;
	S(ioctl)(cl, TIOCOUTQ, &q);
	DO(S(ioctl)(cl, SIOCOUTQNSD, &v));
	rep("full", "unsent=%d within_outq=%d", v > 0, v > 0 && v <= q && q <= sent);
	/* the receiver reads it all: everything sent and acknowledged */
	long got = 0;
	struct timeval tv = { .tv_sec = 5 };
	S(setsockopt)(sv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sent) {
		ssize_t r = S(recv)(sv, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		got += r;
	}
	for (int i = 0; i < 500; i++) {
		S(ioctl)(cl, TIOCOUTQ, &q);
		if (q == 0)
			break;
		usleep(10000);
	}
	DO(S(ioctl)(cl, SIOCOUTQNSD, &v));
	rep("drained", "all=%d val=%d outq=%d", got == sent, v, q);
	xclose(cl);
	xclose(sv);
}

/* connect(AF_UNSPEC) on a connected socket (Linux's tcp_disconnect):
 * the connection is reset, unread and unsent data go, the socket reports
 * ECONNRESET once and may connect again. */
static void c_disconnect(void)
{
	cs = "tcp_disconnect";
	int cl, sv, v = -1;
	char b[16];
	struct sockaddr_in un = { .sin_family = AF_UNSPEC };
	if (local_pair(&cl, &sv) < 0)
		return;
	DO(S(send)(sv, "unread", 6, 0));
	wait_ev(cl, POLLIN);
	DO(S(connect)(cl, SA(&un), sizeof(un)));
	rep("connect_unspec", NULL);
	/* the peer is reset */
	wait_ev(sv, POLLIN);
	DO(S(recv)(sv, b, sizeof(b), MSG_DONTWAIT));
	rep("peer_recv", NULL);
	struct sockaddr_in pn;
	socklen_t pl = sizeof(pn);
	DO(S(getpeername)(cl, SA(&pn), &pl));
	rep("getpeername", NULL);
	socklen_t vl = sizeof(v);
	DO(S(getsockopt)(cl, SOL_SOCKET, SO_ERROR, &v, &vl));
	rep("so_error", "val=%s", v ? ename(v) : "0");
	rep_poll(cl, POLLIN | POLLOUT | POLLRDHUP, 0, "poll");
	DO(S(recv)(cl, b, sizeof(b), MSG_DONTWAIT));
	rep("recv", NULL);
	DO(S(send)(cl, "x", 1, MSG_NOSIGNAL));
	rep("send", NULL);
	DO(S(connect)(cl, SA(&un), sizeof(un)));
	rep("connect_unspec_again", NULL);
	xclose(sv);
	/* and it connects again, to a new listener */
	int ls = tcp_sock(0);
	struct sockaddr_in a = sin4(LOCAL_IP, 0);
	socklen_t al = sizeof(a);
	S(bind)(ls, SA(&a), sizeof(a));
	S(listen)(ls, 4);
	S(getsockname)(ls, SA(&a), &al);
	DO(S(connect)(cl, SA(&a), sizeof(a)));
	rep("reconnect", NULL);
	sv = S(accept)(ls, NULL, NULL);
	DO(S(send)(cl, "again", 5, 0));
	memset(b, 0, sizeof(b));
	DO(S(recv)(sv, b, 5, MSG_WAITALL));
	rep("data_after", "data=%.5s", b);
	xclose(sv);
	xclose(cl);
	/* a listener stops listening, and may listen again */
	DO(S(connect)(ls, SA(&un), sizeof(un)));
	rep("listener_unspec", NULL);
	int fl = S(fcntl)(ls, F_GETFL);
	S(fcntl)(ls, F_SETFL, fl | O_NONBLOCK);
	DO(S(accept)(ls, NULL, NULL));
	rep("listener_accept", NULL);
	DO(S(listen)(ls, 4));
	rep("listener_again", NULL);
	xclose(ls);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "urgent") == 0) {
		/* one group alone, for debugging */
		c_urgent();
		return 0;
	}
#ifndef USE_RS
	if (argc > 1 && strcmp(argv[1], "urgent_shim") == 0) {
		c_urgent_shim();
		return 0;
	}
#endif
	c_socket();
	c_options();
	c_unconnected();
	c_listen();
	c_refused();
	c_nbconnect();
	c_data();
	c_halfclose();
	c_reset();
	c_backlog();
	c_timewait_reuse();
	c_linger();
	c_outqnsd();
	c_disconnect();
	c_urgent();
#ifndef USE_RS
	c_urgent_shim();
#endif
	c_v6();
	return 0;
}
