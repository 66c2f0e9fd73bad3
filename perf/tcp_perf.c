/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP benchmark for perf/tcp_bench.sh. One source built twice: tcp_perf_rs
 * (USE_RS: every socket call is its rs_* namesake) and tcp_perf_linux, so the
 * server is the same program on both stacks; the client is always Linux.
 *
 *   srv PORT                 serves until killed; the first byte of a
 *                            connection says what it is: 'B' bulk (read to
 *                            EOF, answer the byte count, 8 bytes), 'R'
 *                            64-byte request/response until EOF, 'C' close
 *                            at once, 'I' idle (held, never read). Prints
 *                            "ready", and on SIGUSR1 "cpu USER_S SYS_S" (its
 *                            own CPU time) and "idle N" (idle connections)
 *   bulk IP PORT SECS        one connection sending 64 KB writes for SECS:
 *                            prints "bulk BYTES_PER_S"
 *   rr IP PORT SECS          64-byte request/response on one connection:
 *                            prints "rr PER_S P50_US P99_US"
 *   cps IP PORT SECS         connect, 'C', wait for the server's FIN, close,
 *                            again: prints "cps PER_S"
 *   idle IP PORT N           opens N idle connections, prints "idle N",
 *                            then holds them until stdin closes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "tcp_perf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
readn(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = S(recv)(fd, (char *)p + got, n - got, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static int
writen(int fd, const void *p, size_t n)
{
	return S(send)(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* ---- server ---- */

static volatile sig_atomic_t report;
static volatile long nidle;

static void
on_usr1(int sig)
{
	(void)sig;
	report = 1;
}

static void *
serve(void *arg)
{
	int fd = (int)((intptr_t)arg >> 8);
	char mode = (char)((intptr_t)arg & 0xff);
	static __thread char b[1 << 16];

	if (mode == 'B') {
		uint64_t n = 0;
		for (;;) {
			ssize_t k = S(recv)(fd, b, sizeof(b), 0);
			if (k <= 0)
				break;
			n += (uint64_t)k;
		}
		writen(fd, &n, sizeof(n));
	} else if (mode == 'R') {
		while (readn(fd, b, 64) == 0 && writen(fd, b, 64) == 0)
			;
	}
	CLOSE(fd);
	return NULL;
}

static void
print_report(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("cpu %.3f %.3f\nidle %ld\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, nidle);
	fflush(stdout);
}

static int
cmd_srv(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sigaction sa = { .sa_handler = on_usr1 };
	int one = 1, ls = S(socket)(AF_INET, SOCK_STREAM, 0);

	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: accept returns EINTR */
	if (ls < 0 || S(setsockopt)(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    S(bind)(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || S(listen)(ls, 4096) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = S(accept)(ls, NULL, NULL);
		if (report) {
			report = 0;
			print_report();
		}
		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		char mode;
		if (S(recv)(fd, &mode, 1, 0) != 1) {
			CLOSE(fd);
			continue;
		}
		if (mode == 'C') {
			CLOSE(fd);
			continue;
		}
		if (mode == 'I') {
			nidle++;
			continue; /* held open, never read */
		}
		pthread_t t;
		S(setsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, NULL, serve, (void *)((intptr_t)fd << 8 | (uint8_t)mode)) != 0)
			die("pthread_create");
		pthread_detach(t);
	}
	return 0;
}

/* ---- clients (Linux) ---- */

static int
dial(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int
cmd_bulk(const char *ip, int port, double secs)
{
	static char b[1 << 16];
	int fd = dial(ip, port);
	uint64_t n = 0;

	memset(b, 'x', sizeof(b));
	if (send(fd, "B", 1, 0) != 1)
		die("send");
	double t0 = now_s(), end = t0 + secs;
	while (now_s() < end) {
		if (send(fd, b, sizeof(b), MSG_NOSIGNAL) != (ssize_t)sizeof(b))
			die("send");
	}
	shutdown(fd, SHUT_WR);
	if (recv(fd, &n, sizeof(n), MSG_WAITALL) != (ssize_t)sizeof(n))
		die("recv count");
	printf("bulk %.0f\n", n / (now_s() - t0));
	close(fd);
	return 0;
}

static int
cmd_rr(const char *ip, int port, double secs)
{
	char b[64] = "R";
	int fd = dial(ip, port);
	size_t cap = 1 << 20, n = 0;
	double *lat = malloc(cap * sizeof(*lat));

	if (send(fd, "R", 1, 0) != 1)
		die("send");
	double t0 = now_s(), end = t0 + secs, t;
	while ((t = now_s()) < end) {
		if (send(fd, b, 64, 0) != 64 || recv(fd, b, 64, MSG_WAITALL) != 64)
			die("rr");
		double d = now_s() - t;
		if (n == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof(*lat));
		}
		lat[n++] = d;
	}
	double dt = now_s() - t0;
	qsort(lat, n, sizeof(*lat), cmp_d);
	printf("rr %.0f %.1f %.1f\n", n / dt, lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6);
	close(fd);
	return 0;
}

static int
cmd_cps(const char *ip, int port, double secs)
{
	double t0 = now_s(), end = t0 + secs;
	uint64_t n = 0;
	char c;

	while (now_s() < end) {
		int fd = dial(ip, port);
		if (send(fd, "C", 1, 0) != 1)
			die("send");
		if (recv(fd, &c, 1, 0) != 0)
			die("want EOF");
		/* the server closes first: no TIME-WAIT here to run out of ports */
		close(fd);
		n++;
	}
	printf("cps %.0f\n", n / (now_s() - t0));
	return 0;
}

static int
cmd_idle(const char *ip, int port, int n)
{
	int *fds = calloc((size_t)n, sizeof(int));
	char c;

	for (int i = 0; i < n; i++) {
		fds[i] = dial(ip, port);
		if (send(fds[i], "I", 1, 0) != 1)
			die("send");
	}
	printf("idle %d\n", n);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "srv") == 0)
		return cmd_srv(atoi(argv[2]));
	if (argc >= 5 && strcmp(argv[1], "bulk") == 0)
		return cmd_bulk(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "rr") == 0)
		return cmd_rr(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "cps") == 0)
		return cmd_cps(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "idle") == 0)
		return cmd_idle(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of tcp_perf.c\n");
	return 2;
}
