/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What udp_diff.c, tcp_diff.c and conf_diff.c share: each is built twice,
 * on kernel sockets and (USE_RS) on libringsock, in the same topology, and
 * prints one line per step, "CASE STEP: ret=R errno=E [details]", which
 * tests/diff/run.sh compares case by case.
 */
#ifndef RS_DIFF_COMMON_H
#define RS_DIFF_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#ifdef USE_RS
#include <ringstack/socket.h>
#define S(x) rs_##x
#else
#define S(x) x
#endif

#define LOCAL_IP "10.0.0.1"  /* the program's side */
#define PEER_IP "10.0.0.2"   /* the Linux peer (peer.py) */
#define ECHO_PORT 7          /* peer.py: echo (UDP and TCP) */
#define INFO_PORT 8          /* peer.py: reports what it received */
#define RST_PORT 9           /* peer.py: accepts, then resets */
#define CLOSED_PORT 9999     /* nothing listens */
#define EPH_LO 32768         /* the ephemeral range both sides use */
#define EPH_HI 60999

static const char *cs; /* current case */
static long g_r;       /* last call's return value */
static int g_e;        /* errno after the last call */

#define DO(expr) ((void)(errno = 0, g_r = (long)(expr), g_e = errno))
#define SA(a) ((struct sockaddr *)(a))

static inline const char *ename(int e)
{
	static char b[16];
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(b, sizeof(b), "%d", e);
	return b;
}

static inline void vrep(const char *step, const char *fmt, va_list ap)
{
	printf("%s %s: ret=%ld errno=%s", cs, step, g_r, g_r < 0 ? ename(g_e) : "0");
	if (fmt) {
		putchar(' ');
		vprintf(fmt, ap);
	}
	putchar('\n');
	fflush(stdout);
}

/* rep(step, fmt, ...): report the last DO() */
static inline void rep(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void rep(const char *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vrep(step, fmt, ap);
	va_end(ap);
}

/* rep_fd: as rep(), a descriptor prints as "fd" */
static inline void rep_fd(const char *step)
{
	if (g_r >= 0)
		printf("%s %s: ret=fd errno=0\n", cs, step);
	else
		rep(step, NULL);
}

/* a line that reports no call */
static inline void note(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void note(const char *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %s: ", cs, step);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

static inline struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static inline struct sockaddr_in6 sin6(const char *ip, int port)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

static inline void getint(int fd, int level, int name, const char *step)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	DO(S(getsockopt)(fd, level, name, &v, &l));
	rep(step, "val=%d len=%u", v, (unsigned)l);
}

static inline void setint(int fd, int level, int name, int v, const char *step)
{
	DO(S(setsockopt)(fd, level, name, &v, sizeof(v)));
	rep(step, NULL);
}

static inline void xclose(int fd)
{
	if (fd >= 0)
		S(close)(fd);
}

#endif
