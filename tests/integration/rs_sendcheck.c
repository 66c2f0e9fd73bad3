/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rs_sendcheck: one ringstack UDP socket, driven line by line from stdin,
 * for tests of what a send decides synchronously. Each line is answered
 * with one line, "ok" or the errno's name:
 *   pktinfo SRC DST PORT   sendmsg with an IP_PKTINFO source
 *   send DST PORT          sendto
 *   broadcast 0|1          setsockopt SO_BROADCAST
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <ringstack/socket.h>

static void answer(long r)
{
	if (r < 0)
		printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	else
		printf("ok\n");
	fflush(stdout);
}

int main(void)
{
	char line[256], a[64], b[64];
	int port, v;
	int fd = rs_socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0) {
		perror("rs_socket");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct sockaddr_in to = { .sin_family = AF_INET };

		if (sscanf(line, "pktinfo %63s %63s %d", a, b, &port) == 3) {
			union {
				struct cmsghdr h;
				char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
			} c;
			struct in_pktinfo pi = { 0 };
			struct iovec iov = { "pk", 2 };
			struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to),
					    .msg_iov = &iov, .msg_iovlen = 1,
					    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

			memset(&c, 0, sizeof(c));
			inet_pton(AF_INET, a, &pi.ipi_spec_dst);
			inet_pton(AF_INET, b, &to.sin_addr);
			to.sin_port = htons((uint16_t)port);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
			answer(rs_sendmsg(fd, &m, 0));
		} else if (sscanf(line, "send %63s %d", b, &port) == 2) {
			inet_pton(AF_INET, b, &to.sin_addr);
			to.sin_port = htons((uint16_t)port);
			answer(rs_sendto(fd, "sd", 2, 0, (struct sockaddr *)&to, sizeof(to)));
		} else if (sscanf(line, "broadcast %d", &v) == 1) {
			answer(rs_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)));
		} else {
			printf("bad command\n");
			fflush(stdout);
		}
	}
	rs_close(fd);
	return 0;
}
