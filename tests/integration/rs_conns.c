/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Many concurrent TCP connections, for tests/integration/conns_test.sh. One
 * source built twice: rs_conns (USE_RS: libringsock's rs_* calls) and
 * rs_conns_linux (kernel sockets), so either side can be ringstack.
 *
 *   srv PORT N [srvclose]  epoll server: accepts N connections, echoes the
 *                          32-byte message each brings; checks all N were
 *                          open at once; closes each on the peer's EOF, or
 *                          with srvclose, once all N have echoed, shuts them
 *                          down first (FIN from this side), 512 at a time,
 *                          closing each on the peer's FIN. Prints
 *                          "served N peak N"; exits 0 after N ended.
 *   cli IP PORT N [srvclose]
 *                          opens N connections (non-blocking connects, at
 *                          most 512 handshakes in flight) and holds them all
 *                          open; sends a message naming the connection on
 *                          each (512 unanswered at most) and checks the
 *                          echo; once all N echoed, shuts them down first
 *                          (512 at a time) and closes each on the server's
 *                          FIN, or with srvclose closes each on the server's
 *                          FIN. Prints "open N echoed N", then "closed N".
 *
 * The windows keep either side from putting thousands of segments on the
 * link at once (a receiver that cannot take the burst drops it, and the
 * retransmissions come back in the same lockstep).
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
/* RS_CONNS_WINDOW: handshakes, messages and shutdowns in flight (512) */
static int inflight = 512;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			int e_ = errno;					\
			printf("FAIL %s:%d: ", __func__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf(" (errno %s)\n", strerror(e_));		\
			fflush(stdout);					\
			if (getenv("RS_CONNS_HOLD") != NULL)		\
				sleep(20); /* for a look with ringctl */	\
			exit(1);					\
		}							\
	} while (0)

/* C_EOF: this side has shut down for writing and waits for the peer's FIN */
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

/*
 * One connection's events, either side. A message is echoed by the server and checked by the
 * client; EOF closes: the server's after its echo (or, with srvclose,
 * after its own shutdown), the client's after the echo.
 */
struct side {
	bool server, srvclose;
	int n, echoed, ended, closing;
};

static void
on_event(struct side *sd, struct conn *c, unsigned i)
{
	for (;;) {
		if (c->state == C_DONE)
			return;
		uint8_t b[MSG];
		ssize_t r = S(recv)(c->fd, b, sizeof(b), 0);
		if (r > 0) {
			CHECK(c->state == C_OPEN && c->got + (size_t)r <= MSG,
			      "more than a message on %u", i);
			memcpy(c->buf + c->got, b, (size_t)r);
			c->got += (unsigned)r;
			/* tiny: the echo fits the send buffer whole */
			if (sd->server)
				CHECK(S(send)(c->fd, b, (size_t)r, MSG_NOSIGNAL) == r, "echo send %u", i);
			if (c->got == MSG) {
				if (!sd->server) {
					uint8_t m[MSG];
					msg_of(i, m);
					CHECK(memcmp(m, c->buf, MSG) == 0, "echo %u differs", i);
				}
				c->state = C_ECHOED;
				sd->echoed++;
			}
			continue;
		}
		if (r == 0) {
			/* the first FIN comes from the side that shuts down */
			bool we_shut = c->state == C_EOF;
			CHECK(c->state == C_ECHOED || we_shut, "EOF on %u before its message", i);
			CHECK(we_shut || sd->srvclose != sd->server,
			      "EOF on %u before this side shut down", i);
			CHECK(S(close)(c->fd) == 0, "close %u", i);
			c->state = C_DONE;
			sd->ended++;
			if (we_shut)
				sd->closing--;
			return;
		}
		CHECK(errno == EAGAIN || errno == EWOULDBLOCK, "recv %u", i);
		return;
	}
}

/* the side that closes first: shut down for writing, inflight at a time,
 * each then waits for the peer's FIN (state C_EOF: "we sent ours") */
static void
shut_some(struct side *sd, struct conn *c, int *next)
{
	while (sd->closing < inflight && *next < sd->n) {
		struct conn *x = &c[(*next)++];
		CHECK(x->state == C_ECHOED, "shutting down a connection in state %d", x->state);
		CHECK(S(shutdown)(x->fd, SHUT_WR) == 0, "shutdown %d", *next - 1);
		x->state = C_EOF;
		sd->closing++;
	}
}

/* ---- server ---- */

#define LISTENER UINT64_MAX

static int
server(int port, int n, bool srvclose)
{
	struct conn *c = calloc((size_t)n, sizeof(*c));
	struct epoll_event evs[256];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct side sd = { .server = true, .srvclose = srvclose, .n = n };
	int one = 1, accepted = 0, peak = 0, next_shut = 0;
	int ls = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int ep = S(epoll_create1)(0);

	CHECK(c != NULL && ls >= 0 && ep >= 0, "setup");
	CHECK(S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0, "SO_REUSEADDR");
	CHECK(S(bind)(ls, (struct sockaddr *)&a, sizeof(a)) == 0, "bind %d", port);
	CHECK(S(listen)(ls, 4096) == 0, "listen");
	ep_add(ep, ls, EPOLLIN, LISTENER);
	printf("listening %d\n", port);
	fflush(stdout);
	while (sd.ended < n) {
		CHECK(now_s() < deadline, "server timed out: accepted %d echoed %d ended %d",
		      accepted, sd.echoed, sd.ended);
		int k = S(epoll_wait)(ep, evs, 256, 1000);
		CHECK(k >= 0 || errno == EINTR, "epoll_wait");
		for (int e = 0; e < k; e++) {
			if (evs[e].data.u64 == LISTENER) {
				for (;;) {
					int fd = S(accept4)(ls, NULL, NULL, SOCK_NONBLOCK);
					if (fd < 0) {
						CHECK(errno == EAGAIN || errno == EWOULDBLOCK,
						      "accept4 after %d", accepted);
						break;
					}
					CHECK(accepted < n, "more than %d connections", n);
					c[accepted].fd = fd;
					c[accepted].state = C_OPEN;
					ep_add(ep, fd, EPOLLIN, (uint64_t)accepted);
					accepted++;
					int open = accepted - sd.ended;
					if (open > peak)
						peak = open;
				}
				continue;
			}
			on_event(&sd, &c[evs[e].data.u64], (unsigned)evs[e].data.u64);
		}
		if (srvclose && sd.echoed == n)
			shut_some(&sd, c, &next_shut);
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
	struct side sd = { .server = false, .srvclose = srvclose, .n = n };
	int ep = S(epoll_create1)(0);
	int started = 0, connecting = 0, open = 0, sent = 0, next_shut = 0;
	double t0 = now_s(), t1 = 0, t2 = 0;

	CHECK(c != NULL && ep >= 0, "setup");
	CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1, "address %s", ip);
	/* open them all, at most inflight handshakes at a time */
	while (open < n) {
		CHECK(now_s() < deadline, "connect timed out: %d of %d open", open, n);
		while (started < n && connecting < inflight) {
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
			ep_mod(ep, x->fd, EPOLLIN, evs[e].data.u64);
			connecting--;
			open++;
		}
	}
	t1 = now_s();
	/* all open: a message on each (inflight unanswered at most), read
	 * back; then the closes */
	while (sd.ended < n) {
		CHECK(now_s() < deadline, "timed out: %d of %d echoed, %d closed", sd.echoed, n,
		      sd.ended);
		while (sent < n && sent - sd.echoed < inflight) {
			uint8_t m[MSG];
			msg_of((unsigned)sent, m);
			CHECK(S(send)(c[sent].fd, m, MSG, MSG_NOSIGNAL) == MSG, "send %d", sent);
			sent++;
		}
		if (sd.echoed == n && t2 == 0) {
			t2 = now_s();
			printf("open %d echoed %d\n", open, sd.echoed);
			fflush(stdout);
		}
		if (!srvclose && sd.echoed == n)
			shut_some(&sd, c, &next_shut);
		int k = S(epoll_wait)(ep, evs, 256, 1000);
		CHECK(k >= 0 || errno == EINTR, "epoll_wait");
		for (int e = 0; e < k; e++)
			on_event(&sd, &c[evs[e].data.u64], (unsigned)evs[e].data.u64);
	}
	S(close)(ep);
	printf("closed %d (connect %.2f s, echo %.2f s, close %.2f s)\n", n, t1 - t0, t2 - t1,
	       now_s() - t2);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *t = getenv("RS_CONNS_TIMEOUT");
	const char *win = getenv("RS_CONNS_WINDOW");

	if (win != NULL && atoi(win) > 0)
		inflight = atoi(win);

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
