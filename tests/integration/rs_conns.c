/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Many concurrent TCP connections, for tests/integration/conns_test.sh. One
 * source built twice: rs_conns (USE_RS: libringsock's rs_* calls) and
 * rs_conns_linux (kernel sockets), so either side can be ringstack.
 *
 *   srv PORT N [srvclose]  epoll server: accepts N connections and echoes
 *                          what each sends; prints "peak P" when P = N are
 *                          open at once; with srvclose it closes every one
 *                          (first FIN from this side) once all N have
 *                          echoed a message, otherwise it closes each on the
 *                          peer's EOF. Exits 0 after N connections ended.
 *   cli IP PORT N [srvclose]
 *                          opens N connections (non-blocking connects, at
 *                          most 512 in flight), holds them all open, sends a
 *                          32-byte message naming the connection on each
 *                          and reads it back; prints "open N echoed N";
 *                          then closes every one (first FIN from this side),
 *                          or with srvclose waits for the server's EOF on
 *                          each before closing. Exits 0 when all are done.
 *
 * Every step is bounded by RS_CONNS_TIMEOUT seconds (default 120); errors
 * print "FAIL ..." and exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef USE_RS
#include <ringstack/socket.h>
#define S(x) rs_##x
#else
#define S(x) x
#endif

#define MSG 32
#define INFLIGHT 512

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			int e_ = errno;					\
			printf("FAIL %s:%d: ", __func__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf(" (errno %s)\n", strerror(e_));		\
			fflush(stdout);					\
			exit(1);					\
		}							\
	} while (0)

enum { C_FREE, C_CONNECTING, C_OPEN, C_ECHOED, C_EOF, C_DONE };

struct conn {
	int fd;
	int state;
	unsigned got;		/* bytes of the echo (client) */
	uint8_t buf[MSG];
};

static double deadline;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
raise_nofile(int n)
{
	struct rlimit rl = { .rlim_cur = (rlim_t)n * 2 + 256, .rlim_max = (rlim_t)n * 2 + 256 };
	struct rlimit cur;

	getrlimit(RLIMIT_NOFILE, &cur);
	if (cur.rlim_cur >= rl.rlim_cur)
		return;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && cur.rlim_max > cur.rlim_cur) {
		cur.rlim_cur = cur.rlim_max;
		setrlimit(RLIMIT_NOFILE, &cur);
	}
}

static void
msg_of(unsigned i, uint8_t *m)
{
	memset(m, 0, MSG);
	snprintf((char *)m, MSG, "connection %u of many", i);
}

static void
ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	CHECK(S(epoll_ctl)(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl add %d", fd);
}

static void
ep_mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	CHECK(S(epoll_ctl)(ep, EPOLL_CTL_MOD, fd, &ev) == 0, "epoll_ctl mod %d", fd);
}

/* ---- server ---- */

#define LISTENER UINT64_MAX

static int
server(int port, int n, bool srvclose)
{
	struct conn *c = calloc((size_t)n, sizeof(*c));
	struct epoll_event evs[256];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, accepted = 0, open = 0, peak = 0, ended = 0, echoed = 0;
	int ls = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int ep = S(epoll_create1)(0);

	CHECK(c != NULL && ls >= 0 && ep >= 0, "setup");
	CHECK(S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0, "SO_REUSEADDR");
	CHECK(S(bind)(ls, (struct sockaddr *)&a, sizeof(a)) == 0, "bind %d", port);
	CHECK(S(listen)(ls, 4096) == 0, "listen");
	ep_add(ep, ls, EPOLLIN, LISTENER);
	printf("listening %d\n", port);
	fflush(stdout);
	while (ended < n) {
		CHECK(now_s() < deadline, "server timed out: accepted %d open %d echoed %d ended %d",
		      accepted, open, echoed, ended);
		int k = S(epoll_wait)(ep, evs, 256, 1000);
		CHECK(k >= 0 || errno == EINTR, "epoll_wait");
		for (int e = 0; e < k; e++) {
			if (evs[e].data.u64 == LISTENER) {
				for (;;) {
					int fd = S(accept4)(ls, NULL, NULL, SOCK_NONBLOCK);
					if (fd < 0) {
						CHECK(errno == EAGAIN || errno == EWOULDBLOCK ||
						      errno == ECONNABORTED, "accept4 after %d", accepted);
						break;
					}
					CHECK(accepted < n, "more than %d connections", n);
					c[accepted].fd = fd;
					c[accepted].state = C_OPEN;
					ep_add(ep, fd, EPOLLIN | EPOLLRDHUP, (uint64_t)accepted);
					accepted++;
					if (++open > peak) {
						peak = open;
						if (peak == n) {
							printf("peak %d\n", peak);
							fflush(stdout);
						}
					}
				}
				continue;
			}
			struct conn *x = &c[evs[e].data.u64];
			if (x->state == C_DONE)
				continue;
			for (;;) {
				ssize_t r = S(recv)(x->fd, x->buf, sizeof(x->buf), 0);
				if (r > 0) {
					/* the reply is tiny: it fits the send buffer whole */
					CHECK(S(send)(x->fd, x->buf, (size_t)r, MSG_NOSIGNAL) == r,
					      "echo send");
					x->got += (unsigned)r;
					if (x->got == MSG && x->state == C_OPEN) {
						x->state = C_ECHOED;
						echoed++;
					}
					continue;
				}
				if (r == 0) {
					CHECK(!srvclose, "EOF before the server closed");
					CHECK(x->state == C_ECHOED, "EOF before the message");
					CHECK(S(close)(x->fd) == 0, "close");
					x->state = C_DONE;
					open--;
					ended++;
				} else {
					CHECK(errno == EAGAIN || errno == EWOULDBLOCK, "recv");
				}
				break;
			}
		}
		if (srvclose && echoed == n && ended < n) {
			CHECK(peak == n, "only %d of %d open at once", peak, n);
			for (int i = 0; i < n; i++) {
				CHECK(S(close)(c[i].fd) == 0, "close");
				c[i].state = C_DONE;
			}
			ended = n;
			open = 0;
		}
	}
	CHECK(peak == n, "only %d of %d open at once", peak, n);
	S(close)(ls);
	S(close)(ep);
	printf("served %d peak %d\n", n, peak);
	fflush(stdout);
	return 0;
}

/* ---- client ---- */

static int
client(const char *ip, int port, int n, bool srvclose)
{
	struct conn *c = calloc((size_t)n, sizeof(*c));
	struct epoll_event evs[256];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int ep = S(epoll_create1)(0);
	int started = 0, connecting = 0, open = 0, echoed = 0, eofs = 0;
	double t0 = now_s();

	CHECK(c != NULL && ep >= 0, "setup");
	CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1, "address %s", ip);
	/* open them all, at most INFLIGHT handshakes at a time */
	while (open < n) {
		CHECK(now_s() < deadline, "connect timed out: %d of %d open", open, n);
		while (started < n && connecting < INFLIGHT) {
			int fd = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			CHECK(fd >= 0, "socket %d", started);
			int r = S(connect)(fd, (struct sockaddr *)&a, sizeof(a));
			CHECK(r == 0 || errno == EINPROGRESS, "connect %d", started);
			c[started].fd = fd;
			c[started].state = C_CONNECTING;
			ep_add(ep, fd, EPOLLOUT, (uint64_t)started);
			started++;
			connecting++;
		}
		int k = S(epoll_wait)(ep, evs, 256, 1000);
		CHECK(k >= 0 || errno == EINTR, "epoll_wait");
		for (int e = 0; e < k; e++) {
			struct conn *x = &c[evs[e].data.u64];
			if (x->state != C_CONNECTING)
				continue;
			int err = -1;
			socklen_t l = sizeof(err);
			CHECK(S(getsockopt)(x->fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0, "SO_ERROR");
			errno = err;
			CHECK(err == 0, "connection %u failed", (unsigned)evs[e].data.u64);
			x->state = C_OPEN;
			ep_mod(ep, x->fd, EPOLLIN | EPOLLRDHUP, evs[e].data.u64);
			connecting--;
			open++;
		}
	}
	double t1 = now_s();
	/* all open: a message on each, read back */
	for (int i = 0; i < n; i++) {
		uint8_t m[MSG];
		msg_of((unsigned)i, m);
		CHECK(S(send)(c[i].fd, m, MSG, MSG_NOSIGNAL) == MSG, "send %d", i);
	}
	while (echoed < n || (srvclose && eofs < n)) {
		CHECK(now_s() < deadline, "echo timed out: %d of %d echoed, %d EOFs", echoed, n, eofs);
		int k = S(epoll_wait)(ep, evs, 256, 1000);
		CHECK(k >= 0 || errno == EINTR, "epoll_wait");
		for (int e = 0; e < k; e++) {
			unsigned i = (unsigned)evs[e].data.u64;
			struct conn *x = &c[i];
			for (;;) {
				if (x->state == C_EOF)
					break;
				ssize_t r = S(recv)(x->fd, x->buf + x->got, MSG - x->got, 0);
				if (r > 0) {
					x->got += (unsigned)r;
					if (x->got == MSG) {
						uint8_t m[MSG];
						msg_of(i, m);
						CHECK(memcmp(m, x->buf, MSG) == 0, "echo %u differs", i);
						CHECK(x->state == C_OPEN, "more data on %u", i);
						x->state = C_ECHOED;
						echoed++;
						if (!srvclose) {
							ep_mod(ep, x->fd, 0, i);
							break;
						}
					}
					continue;
				}
				if (r == 0) {
					CHECK(srvclose, "EOF on %u before we closed", i);
					CHECK(x->state == C_ECHOED, "EOF on %u before the echo", i);
					x->state = C_EOF;
					eofs++;
					ep_mod(ep, x->fd, 0, i);
				} else {
					CHECK(errno == EAGAIN || errno == EWOULDBLOCK, "recv %u", i);
				}
				break;
			}
		}
	}
	double t2 = now_s();
	printf("open %d echoed %d (connect %.2f s, echo %.2f s)\n", open, echoed, t1 - t0, t2 - t1);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		CHECK(S(close)(c[i].fd) == 0, "close %d", i);
	S(close)(ep);
	printf("closed %d\n", n);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *t = getenv("RS_CONNS_TIMEOUT");

	deadline = now_s() + (t != NULL ? atof(t) : 120.0);
	if (argc >= 4 && strcmp(argv[1], "srv") == 0) {
		int n = atoi(argv[3]);
		raise_nofile(n);
		return server(atoi(argv[2]), n, argc > 4 && strcmp(argv[4], "srvclose") == 0);
	}
	if (argc >= 5 && strcmp(argv[1], "cli") == 0) {
		int n = atoi(argv[4]);
		raise_nofile(n);
		return client(argv[2], atoi(argv[3]), n, argc > 5 && strcmp(argv[5], "srvclose") == 0);
	}
	fprintf(stderr, "usage: rs_conns srv PORT N [srvclose] | cli IP PORT N [srvclose]\n");
	return 2;
}
