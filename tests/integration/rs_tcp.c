/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP through libringsock, for tests/integration/ringsock_tcp_test.sh. One
 * source built twice: rs_tcp (USE_RS: every socket call is its rs_*
 * namesake) and rs_tcp_linux (the kernel's calls), so the same program is
 * the ringstack side and the Linux peer.
 *
 *   echo PORT N            epoll echo server (non-blocking, edge-triggered
 *                          accept and reads); exits after N connections ended
 *                          (N = 0: never); RS_TCP_REUSEPORT=1 sets
 *                          SO_REUSEPORT on its listener
 *   srv PORT BYTES         accepts one connection; sends BYTES of the test
 *                          stream then shuts down for writing (half-close),
 *                          while reading until the peer's FIN; checks what
 *                          it read is the test stream (length and hash)
 *   cli IP PORT BYTES      the same as a client (blocking connect)
 *   etsink PORT BYTES      accepts one connection and reads it to EOF the
 *                          way an edge-triggered epoll server does
 *                          (non-blocking reads until EAGAIN, then
 *                          epoll_wait with a 10 s limit); checks length and
 *                          hash of the test stream
 *   push IP PORT BYTES     connects, sends BYTES of the test stream, shuts
 *                          down for writing and waits for the peer's FIN
 *   rstsrv PORT            accepts one connection, waits until data is
 *                          readable, closes without reading it (=> RST)
 *   lingersrv PORT         accepts one connection, reads, sets SO_LINGER
 *                          {1, 0} and closes (=> RST)
 *   rstcli IP PORT         connects, sends, expects ECONNRESET from a peer
 *                          that closes with our data unread (or lingersrv)
 *   refused IP PORT        blocking connect to a closed port: ECONNREFUSED;
 *                          non-blocking: EINPROGRESS, then epoll reports
 *                          EPOLLOUT|EPOLLERR|EPOLLHUP and SO_ERROR ECONNREFUSED
 *   timeout IP PORT        TCP_USER_TIMEOUT 1.5 s, then connect to where
 *                          SYNs go unanswered: ETIMEDOUT (blocking, and
 *                          through poll and SO_ERROR)
 *   cases IP PORT          against an echo server: non-blocking connect with
 *                          epoll, MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT,
 *                          FIONREAD, options, half-close readiness
 *                          (EPOLLRDHUP, EPOLLHUP), EPIPE and SIGPIPE
 *
 * RS_TCP_FAMILY=6 makes every socket AF_INET6 (the listeners on ::, dual
 * stack): IP may then be IPv6 (fe80::1%N: scope id N) or IPv4, which is
 * used v4-mapped.
 *
 * The test stream is xorshift64 output from a fixed seed; the hash is
 * FNV-1a 64 over the bytes. Every check prints "ok <what>" or "FAIL <what>"
 * and a failure exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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

#ifdef USE_RS
#include <ringstack/socket.h>
#define S(x) rs_##x
#define CLOSE rs_close
#else
#define S(x) x
#define CLOSE close
#endif

static void
die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("FAIL %s:%d: ", __func__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf(" (errno %s)\n", strerror(errno));	\
			fflush(stdout);					\
			if (getenv("RS_TCP_HOLD") != NULL)		\
				sleep(5); /* for a look with ringctl */	\
			exit(1);					\
		}							\
	} while (0)

static void
ok(const char *what)
{
	printf("ok %s\n", what);
	fflush(stdout);
}

/* ---- the test stream ---- */

struct gen {
	uint64_t x;
	uint8_t buf[8];
	unsigned have;
};

static void
gen_init(struct gen *g)
{
	g->x = 0x9e3779b97f4a7c15ull;
	g->have = 0;
}

static void
gen_fill(struct gen *g, uint8_t *p, size_t n)
{
	while (n > 0) {
		if (g->have == 0) {
			g->x ^= g->x << 13;
			g->x ^= g->x >> 7;
			g->x ^= g->x << 17;
			memcpy(g->buf, &g->x, 8);
			g->have = 8;
		}
		size_t k = n < g->have ? n : g->have;
		memcpy(p, g->buf + 8 - g->have, k);
		g->have -= (unsigned)k;
		p += k;
		n -= k;
	}
}

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV0 0xcbf29ce484222325ull

static uint64_t
stream_hash(uint64_t bytes)
{
	static uint8_t b[1 << 16];
	struct gen g;
	uint64_t h = FNV0;

	gen_init(&g);
	while (bytes > 0) {
		size_t k = bytes < sizeof(b) ? bytes : sizeof(b);
		gen_fill(&g, b, k);
		h = fnv(h, b, k);
		bytes -= k;
	}
	return h;
}

/* An address of the sockets' family (RS_TCP_FAMILY). */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
	socklen_t len;
};

static int
family(void)
{
	const char *f = getenv("RS_TCP_FAMILY");

	return f != NULL && strcmp(f, "6") == 0 ? AF_INET6 : AF_INET;
}

static struct addr
addr_of(const char *ip, int port)
{
	struct addr a;
	char b[80];
	int good;

	memset(&a, 0, sizeof(a));
	if (family() == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)port);
		a.len = sizeof(a.in);
		good = inet_pton(AF_INET, ip, &a.in.sin_addr) == 1;
	} else {
		char *pct;

		snprintf(b, sizeof(b), strchr(ip, ':') ? "%s" : "::ffff:%s", ip);
		if ((pct = strchr(b, '%')) != NULL) {
			*pct = 0;
			a.in6.sin6_scope_id = (uint32_t)atoi(pct + 1);
		}
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)port);
		a.len = sizeof(a.in6);
		good = inet_pton(AF_INET6, b, &a.in6.sin6_addr) == 1;
	}
	if (!good) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return a;
}

static uint16_t
port_of(const struct addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port);
}

/* a and b name the same address and port (b as a call returned it) */
static bool
same_addr(const struct addr *a, const struct addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family || a->len != b->len || port_of(a) != port_of(b))
		return false;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

static int
listener(int port, int backlog)
{
	struct addr a = addr_of(family() == AF_INET6 ? "::" : "0.0.0.0", port);
	int one = 1, fd = S(socket)(family(), SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (S(setsockopt)(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR");
	/* RS_TCP_REUSEPORT: share the port with other listeners */
	if (getenv("RS_TCP_REUSEPORT") != NULL &&
	    S(setsockopt)(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		die("SO_REUSEPORT");
	if (S(bind)(fd, &a.sa, a.len) < 0)
		die("bind");
	if (S(listen)(fd, backlog) < 0)
		die("listen");
	printf("listening %d\n", port);
	fflush(stdout);
	return fd;
}

static int
connect_to(const char *ip, int port)
{
	struct addr a = addr_of(ip, port);
	int fd = S(socket)(family(), SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (S(connect)(fd, &a.sa, a.len) < 0)
		die("connect");
	return fd;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- bulk both ways, half-close ---- */

struct sender {
	int fd;
	uint64_t bytes;
	int err;
};

static void *
send_thread(void *arg)
{
	struct sender *sd = arg;
	static uint8_t b[1 << 16];
	struct gen g;
	uint64_t left = sd->bytes;

	gen_init(&g);
	while (left > 0) {
		size_t k = left < sizeof(b) ? left : sizeof(b);
		gen_fill(&g, b, k);
		/* a blocking send writes everything (or fails) */
		ssize_t n = S(send)(sd->fd, b, k, MSG_NOSIGNAL);
		if (n != (ssize_t)k) {
			sd->err = n < 0 ? errno : EIO;
			return NULL;
		}
		left -= k;
	}
	if (S(shutdown)(sd->fd, SHUT_WR) < 0)
		sd->err = errno;
	return NULL;
}

/* RS_TCP_WATCH=S: after S seconds, print the connection's TCP_INFO (to
 * see where a transfer that should have ended stands). */
static void *
watch_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	/* Linux 6.1's struct tcp_info is longer than glibc's: raw fields */
	uint8_t ti[232];
	socklen_t tl = sizeof(ti);
	uint32_t u[58];

	sleep((unsigned)atoi(getenv("RS_TCP_WATCH")));
	memset(ti, 0, sizeof(ti));
	if (S(getsockopt)(fd, IPPROTO_TCP, TCP_INFO, ti, &tl) == 0) {
		memcpy(u, ti, sizeof(u));
		printf("watch: state %u snd_mss %u rcv_mss %u unacked %u cwnd %u total_retrans %u "
		       "notsent %u snd_wnd %u probes %u backoff %u\n",
		       ti[0], u[4], u[5], u[6], u[21], u[25], u[36], u[57], ti[3], ti[4]);
	}
	fflush(stdout);
	return NULL;
}

static int
bulk(int fd, uint64_t bytes, const char *who)
{
	if (getenv("RS_TCP_WATCH") != NULL) {
		pthread_t w;
		pthread_create(&w, NULL, watch_thread, (void *)(intptr_t)fd);
		pthread_detach(w);
	}
	struct sender sd = { .fd = fd, .bytes = bytes };
	static uint8_t b[1 << 17];
	uint64_t got = 0, h = FNV0;
	pthread_t t;
	double t0 = now_s();

	pthread_create(&t, NULL, send_thread, &sd);
	for (;;) {
		ssize_t n = S(recv)(fd, b, sizeof(b), 0);
		if (n < 0)
			die("recv");
		if (n == 0)
			break;
		h = fnv(h, b, (size_t)n);
		got += (uint64_t)n;
	}
	pthread_join(t, NULL);
	double dt = now_s() - t0;
	if (sd.err != 0) {
		errno = sd.err;
		die("send");
	}
	CHECK(got == bytes, "%s received %" PRIu64 " bytes, want %" PRIu64, who, got, bytes);
	CHECK(h == stream_hash(bytes), "%s: hash differs", who);
	printf("ok %s: %" PRIu64 " bytes each way, hash %016" PRIx64 ", %.2f s (%.1f MB/s each way)\n",
	       who, bytes, h, dt, bytes / dt / 1e6);
	fflush(stdout);
	if (CLOSE(fd) < 0)
		die("close");
	return 0;
}

static int
cmd_srv(int port, uint64_t bytes)
{
	struct addr peer, want = addr_of(family() == AF_INET6 ? "::" : "0.0.0.0", 0);
	socklen_t pl = sizeof(peer);
	int ls = listener(port, 4);
	int fd = S(accept)(ls, &peer.sa, &pl);

	if (fd < 0)
		die("accept");
	CHECK(pl == want.len && peer.sa.sa_family == family() && port_of(&peer) != 0,
	      "accept's peer address");
	CLOSE(ls);
	return bulk(fd, bytes, "srv");
}

static int
cmd_cli(const char *ip, int port, uint64_t bytes)
{
	return bulk(connect_to(ip, port), bytes, "cli");
}

/* ---- RST on close with unread data ---- */

static int
cmd_rstsrv(int port)
{
	int ls = listener(port, 4);
	int fd = S(accept)(ls, NULL, NULL);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = 0;

	if (fd < 0)
		die("accept");
	CHECK(S(poll)(&p, 1, 10000) == 1 && (p.revents & POLLIN), "data readable");
	CHECK(S(ioctl)(fd, FIONREAD, &n) == 0 && n > 0, "FIONREAD %d", n);
	CLOSE(fd); /* unread data: RST, as Linux */
	CLOSE(ls);
	ok("closed with unread data");
	return 0;
}

/* SO_LINGER {1, 0}: close resets even with everything read */
static int
cmd_lingersrv(int port)
{
	int ls = listener(port, 4);
	int fd = S(accept)(ls, NULL, NULL);
	struct linger lg = { 1, 0 };
	char b[64];

	if (fd < 0)
		die("accept");
	CHECK(S(recv)(fd, b, sizeof(b), 0) > 0, "recv");
	CHECK(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER");
	CLOSE(fd);
	CLOSE(ls);
	ok("closed with SO_LINGER {1, 0}");
	return 0;
}

static int
cmd_rstcli(const char *ip, int port)
{
	int fd = connect_to(ip, port);
	char b[64];

	CHECK(S(send)(fd, "unread", 6, 0) == 6, "send");
	ssize_t n = S(recv)(fd, b, sizeof(b), 0);
	CHECK(n < 0 && errno == ECONNRESET, "recv after the peer closed with our data unread: %zd", n);
	n = S(send)(fd, "x", 1, MSG_NOSIGNAL);
	CHECK(n < 0 && errno == EPIPE, "send after a reset: %zd", n);
	CLOSE(fd);
	ok("ECONNRESET, then EPIPE");
	return 0;
}

/* ---- close in TIME-WAIT ---- */

/* Accepts one connection, closes its listener, sends its FIN (SHUT_WR),
 * reads to the peer's FIN (TIME-WAIT then) and closes; then stays
 * attached (the daemon closes a departed application's sockets anyway)
 * until killed, so the test can see whether the socket is gone. */
static int
cmd_twsrv(int port)
{
	int ls = listener(port, 4);
	int fd = S(accept)(ls, NULL, NULL);
	char c;

	if (fd < 0)
		die("accept");
	CLOSE(ls);
	CHECK(S(shutdown)(fd, SHUT_WR) == 0, "shutdown");
	CHECK(S(recv)(fd, &c, 1, 0) == 0, "the peer's FIN");
	CLOSE(fd);
	ok("closed in TIME-WAIT");
	for (;;)
		pause();
}

/* Connects, reads to the peer's FIN, closes. */
static int
cmd_eofcli(const char *ip, int port)
{
	int fd = connect_to(ip, port);
	char c;

	CHECK(S(recv)(fd, &c, 1, 0) == 0, "the peer's FIN");
	CLOSE(fd);
	ok("eof");
	return 0;
}

/* ---- refused ---- */

static int
cmd_refused(const char *ip, int port)
{
	struct addr a = addr_of(ip, port);
	int fd = S(socket)(family(), SOCK_STREAM, 0), err = 0;
	socklen_t el = sizeof(err);

	CHECK(S(connect)(fd, &a.sa, a.len) < 0 && errno == ECONNREFUSED,
	      "blocking connect to a closed port");
	CLOSE(fd);
	ok("blocking connect: ECONNREFUSED");

	fd = S(socket)(family(), SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0, "socket");
	CHECK(S(connect)(fd, &a.sa, a.len) < 0 && errno == EINPROGRESS,
	      "non-blocking connect");
	int ep = S(epoll_create1)(0);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLRDHUP, .data.fd = fd }, out;
	CHECK(S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	CHECK(S(epoll_wait)(ep, &out, 1, 10000) == 1, "epoll_wait");
	printf("refused events %#x\n", out.events);
	CHECK((out.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == (EPOLLOUT | EPOLLERR | EPOLLHUP),
	      "events %#x, want EPOLLOUT|EPOLLERR|EPOLLHUP", out.events);
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == ECONNREFUSED,
	      "SO_ERROR %d", err);
	err = -1;
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0,
	      "SO_ERROR is cleared by reading: %d", err);
	CLOSE(ep);
	CLOSE(fd);
	ok("non-blocking connect: EINPROGRESS, EPOLLOUT|EPOLLERR|EPOLLHUP, SO_ERROR ECONNREFUSED");
	return 0;
}

/* ---- timed out: SYNs that nobody answers ---- */

static int
cmd_timeout(const char *ip, int port)
{
	struct addr a = addr_of(ip, port);
	int fd = S(socket)(family(), SOCK_STREAM, 0), ut = 1500, err = 0;
	socklen_t el = sizeof(err);
	double t0 = now_s();

	/* TCP_USER_TIMEOUT bounds the SYN retransmissions as well */
	CHECK(S(setsockopt)(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)) == 0,
	      "TCP_USER_TIMEOUT");
	CHECK(S(connect)(fd, &a.sa, a.len) < 0 && errno == ETIMEDOUT,
	      "blocking connect to a black hole");
	double dt = now_s() - t0;
	CHECK(dt > 1.0 && dt < 30, "timed out after %.2f s", dt);
	CLOSE(fd);
	printf("ok blocking connect: ETIMEDOUT after %.2f s\n", dt);

	fd = S(socket)(family(), SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(S(setsockopt)(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)) == 0,
	      "TCP_USER_TIMEOUT");
	CHECK(S(connect)(fd, &a.sa, a.len) < 0 && errno == EINPROGRESS,
	      "non-blocking connect");
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	CHECK(S(poll)(&p, 1, 30000) == 1 && (p.revents & POLLERR), "poll: revents %#x", p.revents);
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == ETIMEDOUT,
	      "SO_ERROR %d", err);
	CLOSE(fd);
	ok("non-blocking connect: POLLERR, SO_ERROR ETIMEDOUT");
	return 0;
}

/* ---- echo server ---- */

struct conn {
	int fd;
	uint8_t buf[1 << 16];
	size_t len, off;
	bool eof;
};

static int
cmd_echo(int port, int nconns)
{
	int ls = listener(port, 64), ep = S(epoll_create1)(0), done = 0;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = NULL };
	int fl = S(fcntl)(ls, F_GETFL);

	CHECK(fl >= 0 && S(fcntl)(ls, F_SETFL, fl | O_NONBLOCK) == 0, "O_NONBLOCK");
	CHECK(S(epoll_ctl)(ep, EPOLL_CTL_ADD, ls, &ev) == 0, "epoll_ctl listener");
	while (nconns == 0 || done < nconns) {
		struct epoll_event evs[16];
		int n = S(epoll_wait)(ep, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, "epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				for (;;) {
					int fd = S(accept4)(ls, NULL, NULL, SOCK_NONBLOCK);
					if (fd < 0) {
						CHECK(errno == EAGAIN, "accept4");
						break;
					}
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					struct epoll_event e = {
						.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						.data.ptr = c,
					};
					CHECK(S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &e) == 0, "epoll add");
				}
				continue;
			}
			/* edge-triggered: drain both ways until EAGAIN */
			bool progress = true, dead = false;
			while (progress && !dead) {
				progress = false;
				if (c->len > c->off) {
					ssize_t k = S(send)(c->fd, c->buf + c->off, c->len - c->off,
							    MSG_NOSIGNAL);
					if (k > 0) {
						c->off += (size_t)k;
						progress = true;
					} else if (k < 0 && errno != EAGAIN) {
						dead = true;
					}
				}
				if (c->off == c->len) {
					c->off = c->len = 0;
					if (!c->eof) {
						ssize_t k = S(recv)(c->fd, c->buf, sizeof(c->buf), 0);
						if (k > 0) {
							c->len = (size_t)k;
							progress = true;
						} else if (k == 0) {
							c->eof = true;
						} else if (errno != EAGAIN) {
							dead = true;
						}
					}
				}
			}
			if (dead || (c->eof && c->off == c->len)) {
				S(epoll_ctl)(ep, EPOLL_CTL_DEL, c->fd, NULL);
				CLOSE(c->fd);
				free(c);
				done++;
				printf("served %d\n", done);
			}
		}
	}
	CLOSE(ep);
	CLOSE(ls);
	ok("echo server done");
	return 0;
}

/* ---- the cases ---- */

static volatile sig_atomic_t got_sigpipe;

static void
on_sigpipe(int sig)
{
	(void)sig;
	got_sigpipe = 1;
}

static void
x_einval(int fd, int level, int name, int val, const char *what)
{
	CHECK(S(setsockopt)(fd, level, name, &val, sizeof(val)) < 0 && errno == EINVAL,
	      "%s: want EINVAL", what);
}

static uint32_t
wait_events(int ep, int timeout_ms)
{
	struct epoll_event out;
	int n = S(epoll_wait)(ep, &out, 1, timeout_ms);

	CHECK(n >= 0, "epoll_wait");
	return n == 0 ? 0 : out.events;
}

static int
cmd_cases(const char *ip, int port)
{
	struct addr a = addr_of(ip, port), me, peer;
	socklen_t l;
	char b[256];
	int v, fd, ep;
	socklen_t vl = sizeof(v);

	/* non-blocking connect and epoll */
	fd = S(socket)(family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "socket");
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM, "SO_TYPE");
	vl = sizeof(v);
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == IPPROTO_TCP,
	      "SO_PROTOCOL");
	l = sizeof(peer);
	CHECK(S(getpeername)(fd, &peer.sa, &l) < 0 && errno == ENOTCONN,
	      "getpeername before connect");
	CHECK(S(recv)(fd, b, 1, 0) < 0 && errno == ENOTCONN, "recv before connect");
	CHECK(S(send)(fd, b, 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "send before connect");
	CHECK(S(connect)(fd, &a.sa, a.len) < 0 && errno == EINPROGRESS,
	      "non-blocking connect");
	ep = S(epoll_create1)(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd };
	CHECK(S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	uint32_t e = wait_events(ep, 10000);
	CHECK(e == EPOLLOUT, "events after the handshake %#x, want EPOLLOUT", e);
	vl = sizeof(v);
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0, "SO_ERROR %d", v);
	CHECK(S(connect)(fd, &a.sa, a.len) == 0, "connect again reports success");
	CHECK(S(connect)(fd, &a.sa, a.len) < 0 && errno == EISCONN, "then EISCONN");
	l = sizeof(me);
	CHECK(S(getsockname)(fd, &me.sa, &l) == 0 && l == a.len && me.sa.sa_family == family() &&
		      port_of(&me) != 0,
	      "getsockname");
	l = sizeof(peer);
	peer.len = 0;
	CHECK(S(getpeername)(fd, &peer.sa, &l) == 0 && (peer.len = l, same_addr(&a, &peer)),
	      "getpeername");
	ok("non-blocking connect, epoll EPOLLOUT, SO_ERROR 0, names");

	/* options */
	v = 1;
	CHECK(S(setsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) == 0, "TCP_NODELAY");
	v = 0;
	vl = sizeof(v);
	CHECK(S(getsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1, "TCP_NODELAY get");
	vl = sizeof(v);
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 0, "SO_ACCEPTCONN");
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	CHECK(S(getsockopt)(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == 1 /* ESTABLISHED */,
	      "TCP_INFO state %u", ti.tcpi_state);
	char cc[16] = "";
	socklen_t ccl = sizeof(cc);
	/* the default differs between hosts (cubic here, often bbr) */
	CHECK(S(getsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &ccl) == 0 && cc[0] != 0,
	      "TCP_CONGESTION %s", cc);
	CHECK(S(setsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) == 0, "TCP_CONGESTION reno");
	ccl = sizeof(cc);
	CHECK(S(getsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &ccl) == 0 && strcmp(cc, "reno") == 0,
	      "TCP_CONGESTION %s after setting reno", cc);
	v = 0;
	vl = sizeof(v);
	CHECK(S(getsockopt)(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &vl) == 0 && v > 500 && v < 65536,
	      "TCP_MAXSEG %d", v);
	ok("TCP_NODELAY, SO_ACCEPTCONN, TCP_INFO, TCP_CONGESTION, TCP_MAXSEG");
	{
		/* set, then read back: what the program asked is what it sees */
		static const struct {
			int level, name, val, want;
			const char *what;
		} o[] = {
			{ SOL_SOCKET, SO_KEEPALIVE, 1, 1, "SO_KEEPALIVE" },
			{ IPPROTO_TCP, TCP_KEEPIDLE, 30, 30, "TCP_KEEPIDLE" },
			{ IPPROTO_TCP, TCP_KEEPINTVL, 5, 5, "TCP_KEEPINTVL" },
			{ IPPROTO_TCP, TCP_KEEPCNT, 4, 4, "TCP_KEEPCNT" },
			{ IPPROTO_TCP, TCP_USER_TIMEOUT, 20000, 20000, "TCP_USER_TIMEOUT" },
			{ IPPROTO_TCP, TCP_CORK, 1, 1, "TCP_CORK" },
			{ IPPROTO_TCP, TCP_CORK, 0, 0, "TCP_CORK off" },
			{ SOL_SOCKET, SO_REUSEADDR, 1, 1, "SO_REUSEADDR" },
			{ SOL_SOCKET, SO_REUSEPORT, 1, 1, "SO_REUSEPORT" },
			{ SOL_SOCKET, SO_SNDBUF, 65536, 131072, "SO_SNDBUF (doubled)" },
			{ SOL_SOCKET, SO_RCVBUF, 65536, 131072, "SO_RCVBUF (doubled)" },
		};
		for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
			int x = o[i].val, y = -1;
			socklen_t yl = sizeof(y);
			CHECK(S(setsockopt)(fd, o[i].level, o[i].name, &x, sizeof(x)) == 0, "set %s",
			      o[i].what);
			CHECK(S(getsockopt)(fd, o[i].level, o[i].name, &y, &yl) == 0 && y == o[i].want,
			      "%s reads %d, want %d", o[i].what, y, o[i].want);
		}
		x_einval(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0, "TCP_KEEPIDLE 0");
		x_einval(fd, IPPROTO_TCP, TCP_KEEPCNT, 1000, "TCP_KEEPCNT 1000");
		x_einval(fd, IPPROTO_TCP, TCP_MAXSEG, 10, "TCP_MAXSEG 10");
		struct linger lg = { 1, 5 }, lg2;
		socklen_t ll = sizeof(lg2);
		CHECK(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0 &&
			      S(getsockopt)(fd, SOL_SOCKET, SO_LINGER, &lg2, &ll) == 0 &&
			      lg2.l_onoff == 1 && lg2.l_linger == 5,
		      "SO_LINGER");
		lg.l_onoff = 0;
		CHECK(S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER off");
		CHECK(S(ioctl)(fd, TIOCOUTQ, &v) == 0 && v == 0, "SIOCOUTQ %d", v);
	}
	ok("SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT, TCP_CORK, SO_REUSEADDR/PORT, "
	   "SO_SNDBUF/RCVBUF, SO_LINGER, SIOCOUTQ");

	/* nothing yet: EAGAIN */
	CHECK(S(recv)(fd, b, sizeof(b), 0) < 0 && errno == EAGAIN, "empty non-blocking recv");
	int fl = S(fcntl)(fd, F_GETFL);
	CHECK(S(fcntl)(fd, F_SETFL, fl & ~O_NONBLOCK) == 0, "blocking again");
	CHECK(S(recv)(fd, b, sizeof(b), MSG_DONTWAIT) < 0 && errno == EAGAIN, "MSG_DONTWAIT");
	ok("EAGAIN when empty (O_NONBLOCK, MSG_DONTWAIT)");

	/* MSG_PEEK and FIONREAD */
	CHECK(S(send)(fd, "abcdefgh", 8, 0) == 8, "send");
	CHECK(S(recv)(fd, b, 8, MSG_PEEK | MSG_WAITALL) == 8 && memcmp(b, "abcdefgh", 8) == 0,
	      "peek");
	CHECK(S(ioctl)(fd, FIONREAD, &v) == 0 && v == 8, "FIONREAD %d", v);
	memset(b, 0, sizeof(b));
	CHECK(S(recv)(fd, b, 4, MSG_PEEK) == 4 && memcmp(b, "abcd", 4) == 0, "peek again");
	CHECK(S(recv)(fd, b, sizeof(b), 0) == 8 && memcmp(b, "abcdefgh", 8) == 0, "read");
	CHECK(S(ioctl)(fd, FIONREAD, &v) == 0 && v == 0, "FIONREAD after reading %d", v);
	ok("MSG_PEEK leaves data queued, FIONREAD counts it");

	/* MSG_WAITALL over many segments, scattered with readv/writev */
	{
		static uint8_t big[300000], back[300000];
		struct gen g;
		gen_init(&g);
		gen_fill(&g, big, sizeof(big));
		struct iovec wv[3] = { { big, 1000 }, { big + 1000, 99000 }, { big + 100000, 200000 } };
		CHECK(S(writev)(fd, wv, 3) == (ssize_t)sizeof(big), "writev");
		CHECK(S(recv)(fd, back, sizeof(back), MSG_WAITALL) == (ssize_t)sizeof(back),
		      "MSG_WAITALL");
		CHECK(memcmp(big, back, sizeof(big)) == 0, "echoed bytes");
		CHECK(S(send)(fd, big, 5000, 0) == 5000, "send");
		struct iovec rv[2] = { { back, 1 }, { back + 1, 4999 } };
		struct msghdr mh = { .msg_iov = rv, .msg_iovlen = 2 };
		CHECK(S(recvmsg)(fd, &mh, MSG_WAITALL) == 5000 && memcmp(big, back, 5000) == 0,
		      "recvmsg MSG_WAITALL");
	}
	ok("MSG_WAITALL gathers 300000 bytes; writev, recvmsg with iovecs");

	/* half-close: our FIN, the echo server's FIN after its echo */
	CHECK(S(send)(fd, "tail", 4, 0) == 4, "send");
	CHECK(S(shutdown)(fd, SHUT_WR) == 0, "shutdown SHUT_WR");
	CHECK(S(send)(fd, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "send after SHUT_WR");
	signal(SIGPIPE, on_sigpipe);
	CHECK(S(send)(fd, "x", 1, 0) < 0 && errno == EPIPE && got_sigpipe, "SIGPIPE");
	ok("EPIPE after SHUT_WR; SIGPIPE without MSG_NOSIGNAL");
	CHECK(S(recv)(fd, b, 4, MSG_WAITALL) == 4 && memcmp(b, "tail", 4) == 0,
	      "the rest after our FIN");
	/* the peer's FIN: EPOLLIN|EPOLLRDHUP, and HUP since both ways are shut */
	ev.events = EPOLLIN | EPOLLRDHUP; /* EPOLLOUT would make every wait return */
	CHECK(S(epoll_ctl)(ep, EPOLL_CTL_MOD, fd, &ev) == 0, "epoll_ctl MOD");
	e = wait_events(ep, 10000);
	CHECK((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) == (EPOLLIN | EPOLLRDHUP | EPOLLHUP),
	      "events after both FINs %#x", e);
	CHECK(S(recv)(fd, b, sizeof(b), 0) == 0, "end of stream");
	CHECK(S(recv)(fd, b, sizeof(b), 0) == 0, "end of stream again");
	ok("half-close: the rest read after SHUT_WR, then EOF; EPOLLIN|EPOLLRDHUP|EPOLLHUP");
	CLOSE(ep);
	CLOSE(fd);

	/* listener properties */
	fd = S(socket)(family(), SOCK_STREAM, 0);
	CHECK(S(listen)(fd, 8) == 0, "listen unbound");
	l = sizeof(me);
	CHECK(S(getsockname)(fd, &me.sa, &l) == 0 && port_of(&me) != 0, "ephemeral port for listen");
	vl = sizeof(v);
	CHECK(S(getsockopt)(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1,
	      "SO_ACCEPTCONN on a listener");
	fl = S(fcntl)(fd, F_GETFL);
	S(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
	CHECK(S(accept)(fd, NULL, NULL) < 0 && errno == EAGAIN, "accept: EAGAIN");
	CHECK(S(accept4)(fd, NULL, NULL, 0x1234) < 0 && errno == EINVAL, "accept4 bad flags");
	CHECK(S(recv)(fd, b, 1, 0) < 0 && errno == ENOTCONN, "recv on a listener");
	CHECK(S(ioctl)(fd, FIONREAD, &v) < 0 && errno == EINVAL, "FIONREAD on a listener");
	CLOSE(fd);
	ok("listen on an unbound socket, SO_ACCEPTCONN, accept EAGAIN/EINVAL, listener ENOTCONN");
	return 0;
}

/* ---- an edge-triggered epoll reader ---- */

static int
cmd_etsink(int port, uint64_t bytes)
{
	static uint8_t b[1 << 16];
	int ls = listener(port, 4);
	int fd = S(accept4)(ls, NULL, NULL, SOCK_NONBLOCK);
	int ep = S(epoll_create1)(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET }, out;
	uint64_t got = 0, h = FNV0, waits = 0;
	double t0 = now_s();

	CHECK(fd >= 0, "accept4");
	CHECK(ep >= 0 && S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	for (;;) {
		ssize_t n = S(recv)(fd, b, sizeof(b), 0);
		if (n > 0) {
			h = fnv(h, b, (size_t)n);
			got += (uint64_t)n;
			continue;
		}
		if (n == 0)
			break;
		CHECK(errno == EAGAIN, "recv");
		/* Drained: only a new edge wakes us. A stall is a lost edge. */
		int k = S(epoll_wait)(ep, &out, 1, 10000);
		CHECK(k == 1, "edge-triggered epoll_wait after %" PRIu64 " of %" PRIu64
		      " bytes (%" PRIu64 " waits): %d", got, bytes, waits, k);
		waits++;
	}
	double dt = now_s() - t0;
	CHECK(got == bytes, "received %" PRIu64 " bytes, want %" PRIu64, got, bytes);
	CHECK(h == stream_hash(bytes), "hash differs");
	printf("ok etsink: %" PRIu64 " bytes, %" PRIu64 " epoll waits, hash %016" PRIx64
	       ", %.2f s\n", bytes, waits, h, dt);
	CLOSE(ep);
	CLOSE(fd);
	CLOSE(ls);
	return 0;
}

static int
cmd_push(const char *ip, int port, uint64_t bytes)
{
	int fd = connect_to(ip, port);
	struct sender sd = { .fd = fd, .bytes = bytes };
	char c;

	send_thread(&sd);
	if (sd.err != 0) {
		errno = sd.err;
		die("send");
	}
	CHECK(S(recv)(fd, &c, 1, 0) == 0, "the peer's FIN");
	CLOSE(fd);
	ok("push");
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "echo") == 0)
		return cmd_echo(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "srv") == 0)
		return cmd_srv(atoi(argv[2]), strtoull(argv[3], NULL, 0));
	if (argc >= 5 && strcmp(argv[1], "cli") == 0)
		return cmd_cli(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc >= 4 && strcmp(argv[1], "etsink") == 0)
		return cmd_etsink(atoi(argv[2]), strtoull(argv[3], NULL, 0));
	if (argc >= 5 && strcmp(argv[1], "push") == 0)
		return cmd_push(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc >= 3 && strcmp(argv[1], "rstsrv") == 0)
		return cmd_rstsrv(atoi(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "lingersrv") == 0)
		return cmd_lingersrv(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "rstcli") == 0)
		return cmd_rstcli(argv[2], atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "twsrv") == 0)
		return cmd_twsrv(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "eofcli") == 0)
		return cmd_eofcli(argv[2], atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "refused") == 0)
		return cmd_refused(argv[2], atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "timeout") == 0)
		return cmd_timeout(argv[2], atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "cases") == 0)
		return cmd_cases(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of rs_tcp.c\n");
	return 2;
}
