/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the LD_PRELOAD shim costs per call, for perf/apps_bench.sh. One
 * source built twice: shim_cost_rs (USE_RS: every socket call is its rs_*
 * namesake, libringsock linked directly) and shim_cost_plain (plain libc
 * names), which runs once on Linux kernel sockets and once under
 * LD_PRELOAD=libringsock_preload.so on ringstack. The difference between
 * the shim run and the rs run is what the shim adds to a call.
 *
 *   shim_cost DST_IP PORT ITERS
 *
 * Times ITERS calls of each, in 5 rounds of ITERS / 5 after ITERS / 10 of
 * warm-up, and prints one line "OP NS_PER_CALL" each, from the fastest
 * round (on a shared machine the others include time the process was not
 * running):
 *   recv_eagain  recv(MSG_DONTWAIT) on an empty UDP socket (EAGAIN)
 *   poll0        poll() of that socket, timeout 0, nothing ready
 *   getsockopt   getsockopt(SOL_SOCKET, SO_TYPE)
 *   send64       send() of 64 bytes on a UDP socket connected to
 *                DST_IP:PORT (a receiver that never reads: the datagrams
 *                go out on the wire and are dropped there)
 *   kernel_write write() of 1 byte to /dev/null: a kernel descriptor,
 *                which the shim only looks up and passes to libc
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef USE_RS
#include <ringstack/socket.h>
#define S(x) rs_##x
#else
#define S(x) x
#endif

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "shim_cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

enum op { RECV, POLL0, GETSOCKOPT, SEND64, KWRITE };

static int
one(enum op op, int u, int c, int dn)
{
	char buf[64] = { 0 };
	struct pollfd p = { .fd = u, .events = POLLIN };
	int v;
	socklen_t l = sizeof(v);

	switch (op) {
	case RECV:
		return S(recv)(u, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN ? 0 : -1;
	case POLL0:
		return S(poll)(&p, 1, 0) == 0 ? 0 : -1;
	case GETSOCKOPT:
		return S(getsockopt)(u, SOL_SOCKET, SO_TYPE, &v, &l) == 0 && v == SOCK_DGRAM ? 0 : -1;
	case SEND64:
		return S(send)(c, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) ? 0 : -1;
	case KWRITE:
		return write(dn, buf, 1) == 1 ? 0 : -1;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "recv_eagain", "poll0", "getsockopt", "send64",
					     "kernel_write" };
	struct sockaddr_in a = { .sin_family = AF_INET };
	long iters;
	int u, c, dn;

	if (argc != 4) {
		fprintf(stderr, "usage: shim_cost DST_IP PORT ITERS\n");
		return 2;
	}
	iters = atol(argv[3]);
	if (iters < 10 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1)
		return 2;
	a.sin_port = htons((unsigned short)atoi(argv[2]));
	u = S(socket)(AF_INET, SOCK_DGRAM, 0);
	c = S(socket)(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || c < 0)
		die("socket");
	{
		struct sockaddr_in any = { .sin_family = AF_INET };

		if (S(bind)(u, (struct sockaddr *)&any, sizeof(any)) < 0)
			die("bind");
	}
	if (S(connect)(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	dn = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (dn < 0)
		die("/dev/null");
	for (int op = RECV; op <= KWRITE; op++) {
		long per = iters / 5;
		double best = 0;

		for (long i = 0; i < iters / 10; i++)
			if (one((enum op)op, u, c, dn) < 0)
				die(names[op]);
		for (int r = 0; r < 5; r++) {
			double t0 = now_ns(), t;

			for (long i = 0; i < per; i++)
				if (one((enum op)op, u, c, dn) < 0)
					die(names[op]);
			t = (now_ns() - t0) / (double)per;
			if (r == 0 || t < best)
				best = t;
		}
		printf("%s %.1f\n", names[op], best);
		fflush(stdout);
	}
	S(close)(u);
	S(close)(c);
	close(dn);
	return 0;
}
