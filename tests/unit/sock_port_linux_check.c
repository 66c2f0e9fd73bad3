/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compares lib/sock/sock_port.c with the kernel it runs on: the same bind
 * cases against real Linux sockets, in a private network namespace.
 *
 *   sock_port_linux_check          the rows of sock_port_cases.h: Linux
 *                                  must answer what each row says, and so
 *                                  must sock_ports
 *   sock_port_linux_check --grid   every combination of addresses (IPv4,
 *                                  IPv6, mapped, V6ONLY), SO_REUSEADDR and
 *                                  SO_REUSEPORT on both sides, same or
 *                                  other uid, devices, and A bound,
 *                                  listening, connected or in TIME-WAIT,
 *                                  UDP and TCP: Linux against sock_ports
 *   sock_port_linux_check --connected   the part of the grid where A is
 *                                  connected or in TIME-WAIT
 *   -v                             print every disagreement
 *
 * Needs root (unshare, veth, seteuid, SO_BINDTODEVICE). Exit status 0 when
 * everything agrees, 1 when not, 77 when it cannot run here.
 *
 * A in TIME-WAIT: A binds, connects to a listener in the namespace, closes
 * first, the accepted end closes, and the check waits until the kernel
 * lists A's port in TIME-WAIT. After a connect() from a wildcard, A's
 * address is the source the kernel chose (getsockname), and that is what
 * the model's binder holds, as the daemon's would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sock_port_cases.h"

#define SERVER_PORT 7

static int ifidx[3];
static int server4 = -1, server6 = -1;
static bool verbose;
static uint16_t next_port = 10000, next_conn_port = 40000;

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "sock_port_linux_check: '%s' failed (%d)\n", cmd, rc);
	return rc;
}

static int
setup_netns(void)
{
	FILE *f;

	if (unshare(CLONE_NEWNET) != 0) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	if (sh("ip link set lo up") || sh("ip link add rsd0 type veth peer name rsd1") ||
	    sh("ip link set rsd0 up") || sh("ip link set rsd1 up") ||
	    sh("ip addr add 10.0.0.1/24 dev rsd0") || sh("ip addr add 10.0.0.2/24 dev rsd0") ||
	    sh("ip -6 addr add fd00::1/64 dev rsd0 nodad") ||
	    sh("ip -6 addr add fd00::2/64 dev rsd0 nodad"))
		return -1;
	ifidx[1] = (int)if_nametoindex("rsd0");
	ifidx[2] = (int)if_nametoindex("rsd1");
	if (ifidx[1] == 0 || ifidx[2] == 0)
		return -1;
	/* Keep the kernel's own ephemeral ports (accept, nothing else) away
	 * from the ports the cases use. */
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");
	if (f == NULL || fprintf(f, "61000 65000\n") < 0 || fclose(f) != 0)
		return -1;
	return 0;
}

static int
sa_of(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -1;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -1;
		*len = sizeof(*s4);
	}
	return 0;
}

static int
listener(int family, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || sa_of(addr, SERVER_PORT, &ss, &len) != 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket with a side's options, created under its uid; -errno. */
static int
open_side(const struct pc_side *s, uint8_t proto)
{
	int family = strchr(s->addr, ':') != NULL ? AF_INET6 : AF_INET;
	int fd, one = 1, v6only = !!(s->flags & V6);

	/* sk_uid is the creator's fsuid, fixed at socket(). */
	if (s->uid != 0 && seteuid(s->uid) != 0)
		return -errno;
	fd = socket(family, proto == TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s->uid != 0 && seteuid(0) != 0)
		abort();
	if (fd < 0)
		return -errno;
	if ((s->flags & RA && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    (s->flags & RP && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (s->dev != 0) {
		char name[IF_NAMESIZE];

		if (if_indextoname((unsigned int)ifidx[s->dev], name) == NULL ||
		    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name))) {
			int e = errno;

			close(fd);
			return -e;
		}
	}
	return fd;
}

static int
bind_to(int fd, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (sa_of(addr, port, &ss, &len) != 0)
		return -EINVAL;
	return bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : -errno;
}

/* Is a TCP socket on local port `port` in TIME-WAIT (state 06)? */
static bool
in_timewait(uint16_t port)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512], want[16];
	unsigned int i;
	bool found = false;

	snprintf(want, sizeof(want), ":%04X ", port);
	for (i = 0; i < 2 && !found; i++) {
		FILE *f = fopen(files[i], "r");

		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			char *local = strchr(line, ':'), *st;

			/* "  sl  local_address rem_address   st ..." */
			if (local == NULL)
				continue;
			local = strchr(local + 1, ':'); /* the local port's ':' */
			if (local == NULL || strncmp(local, want, strlen(want)) != 0)
				continue;
			st = local + strlen(want);
			st = strchr(st, ' '); /* after rem_address */
			if (st != NULL && strncmp(st + 1, "06", 2) == 0) {
				found = true;
				break;
			}
		}
		fclose(f);
	}
	return found;
}

enum outcome { RUN_OK, RUN_SKIP };

/*
 * The case against Linux. *a_laddr: A's address as the kernel holds it.
 * RUN_SKIP when the case cannot be set up (A's bind or connect fails).
 */
static enum outcome
run_linux(const struct port_case *c, uint16_t port, struct pc_result *r, struct rs_ip *a_laddr,
	  const char **why)
{
	int a, b, s = -1, rc;
	enum outcome out = RUN_OK;

	r->bind = r->listen_b = r->listen_a = NA;
	a = open_side(&c->a, c->proto);
	if (a < 0) {
		*why = "A: socket";
		return RUN_SKIP;
	}
	if (bind_to(a, c->a.addr, port) != 0) {
		*why = "A: bind";
		close(a);
		return RUN_SKIP;
	}
	if (pc_addr(c->a.addr, a_laddr) != 0)
		abort();
	if (c->a.st == PC_LISTEN && listen(a, 8) != 0)
		abort();
	if (c->a.st == PC_CONNECTED || c->a.st == PC_TIMEWAIT) {
		/* TCP: the accepted end closes first, so that A's port is
		 * not left in TIME-WAIT (unless that is the point). */
		struct sockaddr_storage ss;
		socklen_t len;
		uint16_t p;
		uint32_t scope;
		const char *dst;
		int tries;

		if (strchr(c->a.addr, ':') == NULL)
			dst = "10.0.0.1";
		else if (strncmp(c->a.addr, "::ffff:", 7) == 0 ||
			 (c->a_src != NULL && strncmp(c->a_src, "::ffff:", 7) == 0))
			dst = "::ffff:10.0.0.1";
		else
			dst = "fd00::1";
		if (sa_of(dst, SERVER_PORT, &ss, &len) != 0 ||
		    connect(a, (struct sockaddr *)&ss, len) != 0) {
			*why = "A: connect";
			close(a);
			return RUN_SKIP;
		}
		/* Mapped destinations are IPv4 connections: server4's. */
		if (c->proto == TCP)
			s = accept(strcmp(dst, "fd00::1") == 0 ? server6 : server4, NULL, NULL);
		len = sizeof(ss);
		if ((c->proto == TCP && s < 0) || getsockname(a, (struct sockaddr *)&ss, &len) != 0 ||
		    rs_ip_from_sa((struct sockaddr *)&ss, len, a_laddr, &p, &scope) != 0)
			abort();
		if (c->a.st == PC_TIMEWAIT) {
			/* A closes first: FIN_WAIT; the peer's FIN puts it in
			 * TIME-WAIT. */
			close(a);
			a = -1;
			close(s);
			s = -1;
			for (tries = 0; tries < 2000 && !in_timewait(port); tries++)
				nanosleep(&(struct timespec){ 0, 500000 }, NULL);
			if (!in_timewait(port)) {
				*why = "A: never reached TIME-WAIT";
				return RUN_SKIP;
			}
		}
	}
	b = open_side(&c->b, c->proto);
	if (b < 0)
		abort();
	r->bind = bind_to(b, c->b.addr, port);
	if (r->bind == 0 && c->proto == TCP) {
		r->listen_b = listen(b, 8) == 0 ? 0 : -errno;
		if (r->listen_b == 0 && c->a.st == PC_BOUND) {
			rc = listen(a, 8);
			r->listen_a = rc == 0 ? 0 : -errno;
		}
	}
	close(b);
	if (s >= 0)
		close(s);
	if (a >= 0)
		close(a);
	return out;
}

static const char *
st_name(enum pc_state st)
{
	static const char *const n[] = { "bound", "listening", "connected", "TIME-WAIT" };

	return n[st];
}

static void
describe(const struct port_case *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s A{%s%s%s%s dev%d uid%u %s} B{%s%s%s%s dev%d uid%u}",
		 c->proto == TCP ? "tcp" : "udp", c->a.addr, c->a.flags & RA ? " RA" : "",
		 c->a.flags & RP ? " RP" : "", c->a.flags & V6 ? " V6ONLY" : "", c->a.dev,
		 c->a.uid, st_name(c->a.st), c->b.addr, c->b.flags & RA ? " RA" : "",
		 c->b.flags & RP ? " RP" : "", c->b.flags & V6 ? " V6ONLY" : "", c->b.dev,
		 c->b.uid);
}

static bool
same(const struct pc_result *x, const struct pc_result *y)
{
	return x->bind == y->bind && x->listen_b == y->listen_b && x->listen_a == y->listen_a;
}

struct tally {
	unsigned int run, skipped, linux_vs_model, linux_vs_table, model_vs_table;
};

static void
check_one(const struct port_case *c, bool with_table, struct tally *t)
{
	struct pc_result lr, mr, tr = { c->bind, c->listen_b, c->listen_a };
	struct rs_ip a_laddr;
	const char *why = "";
	char desc[256];
	/* A TCP connection leaves its port in TIME-WAIT for a minute: each
	 * gets a port of its own. */
	bool conn = c->proto == TCP && (c->a.st == PC_CONNECTED || c->a.st == PC_TIMEWAIT);
	uint16_t port;

	if (conn) {
		port = next_conn_port++;
		if (next_conn_port > 60999) {
			fprintf(stderr, "out of ports for connections\n");
			exit(77);
		}
	} else {
		port = next_port++;
		if (next_port >= 40000)
			next_port = 10000;
	}
	describe(c, desc, sizeof(desc));
	if (run_linux(c, port, &lr, &a_laddr, &why) == RUN_SKIP) {
		t->skipped++;
		if (verbose || with_table)
			printf("skip  %s: %s\n", desc, why);
		return;
	}
	t->run++;
	if (with_table && c->a_src != NULL) {
		struct rs_ip want;
		char got[INET6_ADDRSTRLEN];

		if (pc_addr(c->a_src, &want) != 0)
			abort();
		if (!rs_ip_eq(&want, &a_laddr)) {
			t->linux_vs_table++;
			printf("TABLE %s (\"%s\"): A's source is %s\n", desc, c->what,
			       rs_ip_str(&a_laddr, got, sizeof(got)));
		}
	}
	if (pc_run_model(c, &a_laddr, port, &mr) != 0)
		abort();
	if (!same(&lr, &mr)) {
		t->linux_vs_model++;
		if (verbose || t->linux_vs_model <= 200)
			printf("DIFF  %s: Linux %d/%d/%d, sock_ports %d/%d/%d\n", desc, lr.bind,
			       lr.listen_b, lr.listen_a, mr.bind, mr.listen_b, mr.listen_a);
	}
	if (with_table && !same(&lr, &tr)) {
		t->linux_vs_table++;
		printf("TABLE %s (\"%s\"): Linux %d/%d/%d, table %d/%d/%d\n", desc, c->what,
		       lr.bind, lr.listen_b, lr.listen_a, tr.bind, tr.listen_b, tr.listen_a);
	}
	if (with_table && !same(&mr, &tr))
		t->model_vs_table++;
}

static const struct {
	const char *addr;
	uint16_t flags;
} grid_addrs[] = {
	{ "0.0.0.0", 0 },         { "10.0.0.1", 0 },        { "10.0.0.2", 0 },
	{ "127.0.0.6", 0 },       { "::", 0 },              { "::", V6 },
	{ "fd00::1", 0 },         { "fd00::1", V6 },        { "fd00::2", 0 },
	{ "::ffff:10.0.0.1", 0 }, { "::ffff:10.0.0.2", 0 }, { "::ffff:0.0.0.0", 0 },
};
#define N_GRID_ADDRS (sizeof(grid_addrs) / sizeof(grid_addrs[0]))

/* A's address for connections: one of each kind that can connect. */
static bool
conn_addr(unsigned int i)
{
	return i == 0 || i == 1 || i == 4 || i == 5 || i == 6 || i == 9 || i == 11;
}

static void
run_grid(struct tally *t, bool conn_only)
{
	static const int devs[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 1, 1 }, { 1, 2 } };
	static const uint16_t opts[] = { 0, RA, RP, RA | RP };
	static const struct {
		uint8_t proto;
		enum pc_state st;
	} kinds[] = {
		{ UDP, PC_BOUND },     { UDP, PC_CONNECTED }, { TCP, PC_BOUND },
		{ TCP, PC_LISTEN },    { TCP, PC_CONNECTED }, { TCP, PC_TIMEWAIT },
	};
	const unsigned int n = N_GRID_ADDRS;
	unsigned int k, i;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		bool conn = kinds[k].st == PC_CONNECTED || kinds[k].st == PC_TIMEWAIT;

		if (conn_only && !conn)
			continue;
		/* index = ((((ai * n + bi) * 4 + ao) * 4 + bo) * 2 + uid) * 5 + dv */
		for (i = 0; i < n * n * 4 * 4 * 2 * 5; i++) {
			unsigned int dv = i % 5, uid = i / 5 % 2, bo = i / 10 % 4, ao = i / 40 % 4;
			unsigned int bi = i / 160 % n, ai = i / 160 / n;
			struct port_case c;

			/* Connections: fewer addresses and device pairs, so
			 * that their ports (held in TIME-WAIT) last. */
			if (conn && (!conn_addr(ai) || dv == 2 || dv == 3))
				continue;
			memset(&c, 0, sizeof(c));
			c.what = "grid";
			c.proto = kinds[k].proto;
			c.a = (struct pc_side){ grid_addrs[ai].addr,
						(uint16_t)(grid_addrs[ai].flags | opts[ao]),
						devs[dv][0], uid ? 1000 : 0, kinds[k].st };
			c.b = (struct pc_side){ grid_addrs[bi].addr,
						(uint16_t)(grid_addrs[bi].flags | opts[bo]),
						devs[dv][1], 0, PC_BOUND };
			check_one(&c, false, t);
		}
	}
}

int
main(int argc, char **argv)
{
	struct tally t = { 0 };
	bool grid = false, conn_only = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--grid") == 0)
			grid = true;
		else if (strcmp(argv[i], "--connected") == 0)
			grid = conn_only = true;
		else if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--grid | --connected] [-v]\n", argv[0]);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "sock_port_linux_check: needs root, skipped\n");
		return 77;
	}
	if (setup_netns() != 0)
		return 77;
	server4 = listener(AF_INET, "0.0.0.0");
	server6 = listener(AF_INET6, "::");
	if (server4 < 0 || server6 < 0) {
		perror("listener");
		return 77;
	}
	if (grid) {
		run_grid(&t, conn_only);
	} else {
		for (i = 0; i < (int)N_PORT_CASES; i++)
			check_one(&port_cases[i], true, &t);
	}
	printf("%s: %u cases run, %u skipped; Linux vs sock_ports: %u differ", grid ? "grid" : "table",
	       t.run, t.skipped, t.linux_vs_model);
	if (!grid)
		printf("; Linux vs table: %u differ; sock_ports vs table: %u differ",
		       t.linux_vs_table, t.model_vs_table);
	printf("\n");
	return t.linux_vs_model || t.linux_vs_table || t.model_vs_table ? 1 : 0;
}
