/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP echo client on ringstack: sends COUNT datagrams of SIZE bytes to
 * HOST:PORT one at a time, waits for each echo and checks its content.
 *
 *   udp_echo_client HOST PORT [COUNT [SIZE [TIMEOUT_MS]]]
 *
 * Prints "ok COUNT" and exits 0, or prints the first problem to stderr and
 * exits 1. Defaults: 10 datagrams, 64 bytes, 1000 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringstack/socket.h>

/* Distinct per datagram and per byte, so that a stale or mixed-up echo is
 * noticed. */
static void
fill(unsigned char *p, size_t len, unsigned long seq)
{
	size_t j;

	for (j = 0; j < len; j++)
		p[j] = (unsigned char)(seq * 131 + j * 7 + (j >> 8));
}

static int
arg_num(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && *out >= lo && *out <= hi ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static unsigned char out[65507], in[65536];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	long port, count = 10, size = 64, tmo = 1000;
	struct timeval tv;
	long i;
	int fd;

	if (argc < 3 || argc > 6 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 ||
	    arg_num(argv[2], 1, 65535, &port) < 0 ||
	    (argc > 3 && arg_num(argv[3], 0, 1L << 30, &count) < 0) ||
	    (argc > 4 && arg_num(argv[4], 0, 65507, &size) < 0) ||
	    (argc > 5 && arg_num(argv[5], 1, 3600000, &tmo) < 0)) {
		fprintf(stderr, "usage: %s HOST PORT [COUNT [SIZE [TIMEOUT_MS]]]\n", argv[0]);
		return 1;
	}
	dst.sin_port = htons((uint16_t)port);

	fd = rs_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "udp_echo_client: socket: %s\n", strerror(errno));
		return 1;
	}
	tv.tv_sec = tmo / 1000;
	tv.tv_usec = (tmo % 1000) * 1000;
	/* connect: only the server's datagrams are received, and an ICMP
	 * port unreachable comes back as ECONNREFUSED. */
	if (rs_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    rs_connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		fprintf(stderr, "udp_echo_client: setup: %s\n", strerror(errno));
		goto fail;
	}
	for (i = 0; i < count; i++) {
		ssize_t n;

		fill(out, (size_t)size, (unsigned long)i);
		if (rs_send(fd, out, (size_t)size, 0) != size) {
			fprintf(stderr, "udp_echo_client: send %ld: %s\n", i, strerror(errno));
			goto fail;
		}
		n = rs_recv(fd, in, sizeof(in), 0);
		if (n < 0) {
			fprintf(stderr, "udp_echo_client: datagram %ld: %s\n", i,
				errno == EAGAIN ? "no echo before the timeout" : strerror(errno));
			goto fail;
		}
		if (n != size || memcmp(in, out, (size_t)size) != 0) {
			fprintf(stderr, "udp_echo_client: datagram %ld: echo differs (%zd bytes, sent %ld)\n",
				i, n, size);
			goto fail;
		}
	}
	rs_close(fd);
	printf("ok %ld\n", count);
	return 0;
fail:
	rs_close(fd);
	return 1;
}
