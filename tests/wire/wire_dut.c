/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device under test's socket calls for the wire tests (tests/wire/):
 * gVisor packetimpact's "posix server", as a line protocol on stdin/stdout.
 * One source built twice: wire_dut_rs (every call is its rs_* namesake on
 * libringsock) and wire_dut_linux (kernel sockets). The test script (scapy,
 * on the other end of the veth) writes one command a line and reads one
 * answer line: "ok VALUE" or "err ERRNO_NAME".
 *
 *   listen PORT BACKLOG [RCVBUF]   a listener on 0.0.0.0:PORT -> fd
 *   connect IP PORT [RCVBUF]       non-blocking connect -> fd (the SYN is out)
 *   connwait FD MS                 poll for POLLOUT up to MS, then SO_ERROR -> 0
 *   accept FD MS                   poll up to MS, accept4 (non-blocking) -> fd
 *   send FD N [oob]                N bytes "abc..." (MSG_DONTWAIT) -> sent
 *   recv FD N MS [oob|peek]        poll up to MS, recv (MSG_DONTWAIT) ->
 *                                  "LEN DATA" (DATA: printable, "-" if empty)
 *   shutdown FD rd|wr|rdwr
 *   close FD
 *   set FD OPTION VALUE            rcvbuf sndbuf nodelay maxseg linger0
 *                                  oobinline -> 0
 *   get FD OPTION                  error maxseg -> value
 *   poll FD MS                     poll(POLLIN|POLLOUT|POLLRDHUP) -> revents
 *                                  as letters (i o r h e)
 *   quit
 *
 * Errors are answered, never fatal: the script compares them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef USE_RS
#include <ringstack/socket.h>
#define S(x) rs_##x
#else
#define S(x) x
#endif

static void
answer_err(void)
{
	const char *n = strerrorname_np(errno);

	printf("err %s\n", n ? n : "EUNKNOWN");
}

static void
answer(long v)
{
	if (v < 0)
		answer_err();
	else
		printf("ok %ld\n", v);
}

static int
waitfor(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n = S(poll)(&p, 1, ms);

	if (n < 0)
		return -1;
	return n == 0 ? 0 : p.revents;
}

static struct sockaddr_in
sin_of(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int
opt_of(const char *name, int *level, int *opt)
{
	static const struct {
		const char *name;
		int level, opt;
	} t[] = {
		{ "rcvbuf", SOL_SOCKET, SO_RCVBUF }, { "sndbuf", SOL_SOCKET, SO_SNDBUF },
		{ "nodelay", IPPROTO_TCP, TCP_NODELAY }, { "maxseg", IPPROTO_TCP, TCP_MAXSEG },
		{ "oobinline", SOL_SOCKET, SO_OOBINLINE }, { "error", SOL_SOCKET, SO_ERROR },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, name) == 0) {
			*level = t[i].level;
			*opt = t[i].opt;
			return 0;
		}
	return -1;
}

static int
set_int(int fd, const char *name, int v)
{
	int level, opt;

	if (strcmp(name, "linger0") == 0) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };
		return S(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	if (opt_of(name, &level, &opt) != 0) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return S(setsockopt)(fd, level, opt, &v, sizeof(v));
}

int
main(void)
{
	char line[512];
	static char buf[1 << 20];

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char cmd[32] = "", a1[64] = "", a2[64] = "", a3[64] = "", a4[64] = "";
		int n = sscanf(line, "%31s %63s %63s %63s %63s", cmd, a1, a2, a3, a4);
		errno = 0;
		if (n < 1)
			continue;
		if (strcmp(cmd, "quit") == 0) {
			printf("ok 0\n");
			break;
		} else if (strcmp(cmd, "listen") == 0) {
			struct sockaddr_in a = sin_of("0.0.0.0", atoi(a1));
			int one = 1, fd = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (fd < 0 || S(setsockopt)(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			    (n >= 4 && set_int(fd, "rcvbuf", atoi(a3)) < 0) ||
			    S(bind)(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
			    S(listen)(fd, atoi(a2)) < 0)
				answer_err();
			else
				answer(fd);
		} else if (strcmp(cmd, "connect") == 0) {
			struct sockaddr_in a = sin_of(a1, atoi(a2));
			int fd = S(socket)(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (fd < 0 || (n >= 4 && set_int(fd, "rcvbuf", atoi(a3)) < 0)) {
				answer_err();
				continue;
			}
			if (S(connect)(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
				answer_err();
			else
				answer(fd);
		} else if (strcmp(cmd, "connwait") == 0) {
			int fd = atoi(a1), err = 0;
			socklen_t l = sizeof(err);
			int r = waitfor(fd, POLLOUT, atoi(a2));
			if (r == 0) {
				errno = ETIMEDOUT;
				answer_err();
			} else if (r < 0 || S(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) {
				answer_err();
			} else {
				errno = err;
				answer(err ? -1 : 0);
			}
		} else if (strcmp(cmd, "accept") == 0) {
			int fd = atoi(a1);
			int r = waitfor(fd, POLLIN, atoi(a2));
			if (r == 0) {
				errno = EAGAIN;
				answer_err();
				continue;
			}
			answer(S(accept4)(fd, NULL, NULL, SOCK_NONBLOCK));
		} else if (strcmp(cmd, "send") == 0) {
			size_t len = (size_t)atol(a2);
			int fl = MSG_DONTWAIT | (strcmp(a3, "oob") == 0 ? MSG_OOB : 0);
			if (len > sizeof(buf))
				len = sizeof(buf);
			answer(S(send)(atoi(a1), buf, len, fl));
		} else if (strcmp(cmd, "recv") == 0) {
			int fd = atoi(a1);
			size_t len = (size_t)atol(a2);
			int fl = MSG_DONTWAIT;
			if (strcmp(a4, "oob") == 0)
				fl |= MSG_OOB;
			else if (strcmp(a4, "peek") == 0)
				fl |= MSG_PEEK;
			if (len > sizeof(buf) - 1)
				len = sizeof(buf) - 1;
			if (!(fl & MSG_OOB) && waitfor(fd, POLLIN, atoi(a3)) < 0) {
				answer_err();
				continue;
			}
			static char rb[1 << 20];
			ssize_t r = S(recv)(fd, rb, len, fl);
			if (r < 0) {
				answer_err();
				continue;
			}
			printf("ok %zd ", r);
			for (ssize_t i = 0; i < r && i < 64; i++)
				putchar(rb[i] > ' ' && rb[i] < 127 ? rb[i] : '.');
			printf("%s\n", r == 0 ? "-" : (r > 64 ? "..." : ""));
		} else if (strcmp(cmd, "shutdown") == 0) {
			int how = strcmp(a2, "rd") == 0 ? SHUT_RD : strcmp(a2, "wr") == 0 ? SHUT_WR : SHUT_RDWR;
			answer(S(shutdown)(atoi(a1), how));
		} else if (strcmp(cmd, "close") == 0) {
#ifdef USE_RS
			answer(rs_close(atoi(a1)));
#else
			answer(close(atoi(a1)));
#endif
		} else if (strcmp(cmd, "set") == 0) {
			answer(set_int(atoi(a1), a2, atoi(a3)));
		} else if (strcmp(cmd, "get") == 0) {
			int level, opt, v = 0;
			socklen_t l = sizeof(v);
			if (opt_of(a2, &level, &opt) != 0) {
				errno = ENOPROTOOPT;
				answer_err();
			} else if (S(getsockopt)(atoi(a1), level, opt, &v, &l) < 0) {
				answer_err();
			} else {
				answer(v);
			}
		} else if (strcmp(cmd, "poll") == 0) {
			int r = waitfor(atoi(a1), POLLIN | POLLOUT | POLLRDHUP, atoi(a2));
			if (r < 0) {
				answer_err();
				continue;
			}
			printf("ok %s%s%s%s%s%s\n", r & POLLIN ? "i" : "", r & POLLOUT ? "o" : "",
			       r & POLLRDHUP ? "r" : "", r & POLLHUP ? "h" : "", r & POLLERR ? "e" : "",
			       r == 0 ? "-" : "");
		} else {
			errno = EINVAL;
			answer_err();
		}
	}
	return 0;
}
