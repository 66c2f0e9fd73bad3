/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rs_many N BASEPORT [SECONDS]: opens N UDP sockets on ringstack, binds
 * socket i to BASEPORT + i, prints "ready N", then echoes every datagram
 * that reaches any of them (rs_poll over all N) for SECONDS (default 10),
 * and prints "echoed K". Exits 1 with the failing call's errno on stderr,
 * after printing how many sockets it had ("opened I").
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <ringstack/socket.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[1]), base = atoi(argv[2]);
	int secs = argc > 3 ? atoi(argv[3]) : 10;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	if (p == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		int fd = rs_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(base + i)) };
		if (fd < 0 || rs_bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			fprintf(stderr, "opened %d: %s\n", i, strerror(errno));
			printf("opened %d\n", i);
			return 1;
		}
		p[i].fd = fd;
		p[i].events = POLLIN;
	}
	printf("ready %d\n", n);
	fflush(stdout);
	long echoed = 0;
	time_t end = time(NULL) + secs;
	while (time(NULL) < end) {
		int r = rs_poll(p, (nfds_t)n, 200);
		if (r < 0) {
			perror("rs_poll");
			return 1;
		}
		for (int i = 0; i < n && r > 0; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			r--;
			char buf[2048];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t k;
			while ((k = rs_recvfrom(p[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) >= 0) {
				rs_sendto(p[i].fd, buf, (size_t)k, 0, (struct sockaddr *)&from, fl);
				echoed++;
				fl = sizeof(from);
			}
		}
	}
	printf("echoed %ld\n", echoed);
	for (int i = 0; i < n; i++)
		rs_close(p[i].fd);
	return 0;
}
