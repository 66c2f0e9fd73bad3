/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_perf: the same UDP program on Linux sockets (udp_perf_linux) and on
 * libringsock (udp_perf_rs), for perf/udp_bench.sh.
 *   udp_perf echo PORT                      echo server until SIGTERM
 *   udp_perf rr HOST PORT SIZE COUNT        request/response: p50/p99 in us
 *   udp_perf flood HOST PORT SIZE SECONDS WINDOW
 *                                           echoes per second with WINDOW
 *                                           datagrams outstanding
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#ifdef USE_RS
#include <ringstack/socket.h>
#define S(f) rs_##f
#else
#include <unistd.h>
#define S(f) f
#endif

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int open_to(const char *host, int port, int timeout_ms)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		return -1;
	int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	if (fd < 0 || S(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    S(connect)(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	/* without SA_RESTART (signal() sets it): a blocked recvfrom returns
	 * EINTR and the loop sees stop, or the server outlives the benchmark */
	struct sigaction sa = { .sa_handler = on_sig };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc == 3 && strcmp(argv[1], "echo") == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
		int fd = S(socket)(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || S(bind)(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("udp_perf: bind");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		while (!stop) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = S(recvfrom)(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n >= 0)
				S(sendto)(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
		S(close)(fd);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "rr") == 0) {
		int size = atoi(argv[4]), count = atoi(argv[5]);
		int fd = open_to(argv[2], atoi(argv[3]), 1000);
		double *lat = calloc((size_t)count, sizeof(double));
		if (fd < 0 || lat == NULL || size < 0 || size > 65507)
			return 1;
		for (int i = 0; i < count; i++) {
			double t0 = now_us();
			if (S(send)(fd, buf, (size_t)size, 0) < 0 || S(recv)(fd, buf, sizeof(buf), 0) < 0) {
				fprintf(stderr, "udp_perf: rr %d: %s\n", i, strerror(errno));
				return 1;
			}
			lat[i] = now_us() - t0;
		}
		qsort(lat, (size_t)count, sizeof(double), cmp_d);
		printf("p50_us %.1f p99_us %.1f\n", lat[count / 2], lat[count * 99 / 100]);
		return 0;
	}
	if (argc == 7 && strcmp(argv[1], "flood") == 0) {
		int size = atoi(argv[4]), secs = atoi(argv[5]), window = atoi(argv[6]);
		int fd = open_to(argv[2], atoi(argv[3]), 50);
		if (fd < 0 || size < 0 || size > 65507 || window < 1)
			return 1;
		long got = 0;
		int outstanding = 0;
		double end = now_us() + secs * 1e6;
		while (now_us() < end) {
			while (outstanding < window && S(send)(fd, buf, (size_t)size, 0) >= 0)
				outstanding++;
			if (S(recv)(fd, buf, sizeof(buf), 0) >= 0) {
				got++;
				outstanding--;
			} else {
				outstanding = 0; /* lost ones: refill the window */
			}
		}
		printf("echoes_per_s %ld\n", got / secs);
		return 0;
	}
	fprintf(stderr, "usage: udp_perf echo PORT | rr HOST PORT SIZE COUNT | flood HOST PORT SIZE SECONDS WINDOW\n");
	return 2;
}
