/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP echo server on ringstack: every datagram goes back to its sender.
 *
 *   udp_echo_server PORT [ADDR]
 *
 * Silent per packet (it is used for throughput and by the tests); exits 0
 * on SIGTERM or SIGINT, 1 on an error it cannot go on from.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringstack/socket.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sigaction sa;
	char *end;
	long port;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s PORT [ADDR]\n", argv[0]);
		return 2;
	}
	port = strtol(argv[1], &end, 10);
	if (*end != '\0' || port < 0 || port > 65535) {
		fprintf(stderr, "udp_echo_server: bad port '%s'\n", argv[1]);
		return 2;
	}
	sin.sin_port = htons((uint16_t)port);
	if (argc == 3 && inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "udp_echo_server: bad address '%s'\n", argv[2]);
		return 2;
	}
	/* No SA_RESTART: a blocked receive returns EINTR and we leave. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = rs_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "udp_echo_server: socket: %s\n", strerror(errno));
		return 1;
	}
	/* ECHO_REUSEPORT=1: several servers share the port (SO_REUSEPORT) */
	const char *rp = getenv("ECHO_REUSEPORT");
	int one = 1;
	if (rp != NULL && strcmp(rp, "1") == 0 &&
	    rs_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		fprintf(stderr, "udp_echo_server: SO_REUSEPORT: %s\n", strerror(errno));
		rs_close(fd);
		return 1;
	}
	if (rs_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "udp_echo_server: bind: %s\n", strerror(errno));
		rs_close(fd);
		return 1;
	}
	long echoed = 0;
	while (!stop) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		n = rs_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* An ICMP error from an earlier peer is that peer's
			 * problem, not the server's. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH)
				continue;
			fprintf(stderr, "udp_echo_server: recvfrom: %s\n", strerror(errno));
			rs_close(fd);
			return 1;
		}
		if (rs_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fromlen) < 0 &&
		    errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR &&
		    errno != EHOSTUNREACH && errno != ENETUNREACH) {
			fprintf(stderr, "udp_echo_server: sendto: %s\n", strerror(errno));
			rs_close(fd);
			return 1;
		}
		echoed++;
	}
	rs_close(fd);
	printf("echoed %ld\n", echoed);
	return 0;
}
