/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linux's bind rules as a table: socket A holds a port (bound, listening,
 * connected or in TIME-WAIT), socket B binds the same port; what do bind(B),
 * then listen(B), then listen(A) answer? Each row was checked against
 * Linux sockets by sock_port_linux_check (which also runs every row here
 * against the kernel it runs on), and test_sock_port runs every row
 * against lib/sock/sock_port.c.
 *
 * Addresses are text: with a ':' the socket is AF_INET6 (::ffff:a.b.c.d is
 * an IPv6 socket bound to a mapped address), else AF_INET. Devices: 0
 * none, 1 and 2 two distinct interfaces. uid 0 or 1000.
 */
#ifndef RS_SOCK_PORT_CASES_H
#define RS_SOCK_PORT_CASES_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "sock/sock_port.h"

#define RA SOCK_PORT_REUSEADDR
#define RP SOCK_PORT_REUSEPORT
#define V6 SOCK_PORT_V6ONLY
#define INUSE (-EADDRINUSE)
#define NA 1 /* not tried: B's bind or listen failed, or A already listens */

enum pc_state { PC_BOUND, PC_LISTEN, PC_CONNECTED, PC_TIMEWAIT };

struct pc_side {
	const char *addr;
	uint16_t flags; /* RA, RP, V6 */
	int dev;
	uint32_t uid;
	enum pc_state st; /* A only */
};

struct port_case {
	const char *what;
	uint8_t proto;
	struct pc_side a, b;
	int bind;     /* bind(B) */
	int listen_b; /* TCP: listen(B) after it bound */
	int listen_a; /* TCP: listen(A) after B listens, when A was only bound */
	const char *a_src; /* A connected from a wildcard: the source chosen */
};

#define UDP IPPROTO_UDP
#define TCP IPPROTO_TCP

static const struct port_case port_cases[] = {
	/* UDP: udp_lib_lport_inuse(). */
	{ "udp same address", UDP, { "10.0.0.1" }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "udp SO_REUSEADDR both", UDP, { "10.0.0.1", RA }, { "10.0.0.1", RA }, 0, NA, NA },
	{ "udp SO_REUSEADDR on A only", UDP, { "10.0.0.1", RA }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "udp SO_REUSEADDR on B only", UDP, { "10.0.0.1" }, { "10.0.0.1", RA }, INUSE, NA, NA },
	{ "udp SO_REUSEADDR both, other users", UDP, { "10.0.0.1", RA, 0, 1000 },
	  { "10.0.0.1", RA }, 0, NA, NA },
	{ "udp SO_REUSEPORT both, same uid", UDP, { "0.0.0.0", RP, 0, 1000 },
	  { "0.0.0.0", RP, 0, 1000 }, 0, NA, NA },
	{ "udp SO_REUSEPORT both, other uid", UDP, { "0.0.0.0", RP, 0, 1000 },
	  { "0.0.0.0", RP, 0, 0 }, INUSE, NA, NA },
	{ "udp SO_REUSEPORT on A only", UDP, { "0.0.0.0", RP }, { "0.0.0.0" }, INUSE, NA, NA },
	{ "udp SO_REUSEPORT on B only", UDP, { "0.0.0.0" }, { "0.0.0.0", RP }, INUSE, NA, NA },
	{ "udp SO_REUSEADDR excuses where SO_REUSEPORT's uid does not", UDP,
	  { "0.0.0.0", RA | RP, 0, 1000 }, { "0.0.0.0", RA | RP }, 0, NA, NA },
	{ "udp SO_REUSEPORT with SO_REUSEADDR on one side only, other uid", UDP,
	  { "0.0.0.0", RP, 0, 1000 }, { "0.0.0.0", RA | RP }, INUSE, NA, NA },
	{ "udp different addresses", UDP, { "10.0.0.1" }, { "10.0.0.2" }, 0, NA, NA },
	{ "udp 0.0.0.0 then an address", UDP, { "0.0.0.0" }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "udp an address then 0.0.0.0", UDP, { "10.0.0.1" }, { "0.0.0.0" }, INUSE, NA, NA },
	{ "udp dual-stack :: then IPv4", UDP, { "::" }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "udp IPv4 then dual-stack ::", UDP, { "10.0.0.1" }, { "::" }, INUSE, NA, NA },
	{ "udp 0.0.0.0 then dual-stack ::", UDP, { "0.0.0.0" }, { "::" }, INUSE, NA, NA },
	{ "udp V6ONLY :: then IPv4", UDP, { "::", V6 }, { "10.0.0.1" }, 0, NA, NA },
	{ "udp 0.0.0.0 then V6ONLY ::", UDP, { "0.0.0.0" }, { "::", V6 }, 0, NA, NA },
	{ "udp :: and V6ONLY :: overlap", UDP, { "::" }, { "::", V6 }, INUSE, NA, NA },
	{ "udp V6ONLY :: then an IPv6 address", UDP, { "::", V6 }, { "fd00::1" }, INUSE, NA, NA },
	{ "udp an IPv6 address then ::", UDP, { "fd00::1" }, { "::" }, INUSE, NA, NA },
	{ "udp two IPv6 addresses", UDP, { "fd00::1" }, { "fd00::2" }, 0, NA, NA },
	{ "udp same IPv6 address", UDP, { "fd00::1" }, { "fd00::1", V6 }, INUSE, NA, NA },
	{ "udp an IPv6 address is IPv6-only", UDP, { "fd00::1" }, { "0.0.0.0" }, 0, NA, NA },
	{ "udp 0.0.0.0 then an IPv6 address", UDP, { "0.0.0.0" }, { "fd00::1" }, 0, NA, NA },
	{ "udp mapped address is the IPv4 one", UDP, { "::ffff:10.0.0.1" }, { "10.0.0.1" },
	  INUSE, NA, NA },
	{ "udp mapped address vs 0.0.0.0", UDP, { "0.0.0.0" }, { "::ffff:10.0.0.1" }, INUSE, NA,
	  NA },
	{ "udp mapped address vs another", UDP, { "::ffff:10.0.0.2" }, { "::ffff:10.0.0.1" }, 0,
	  NA, NA },
	{ "udp mapped address vs V6ONLY ::", UDP, { "::", V6 }, { "::ffff:10.0.0.1" }, 0, NA, NA },
	{ "udp mapped address vs dual-stack ::", UDP, { "::" }, { "::ffff:10.0.0.1" }, INUSE, NA,
	  NA },
	{ "udp mapped 0.0.0.0 vs IPv4", UDP, { "::ffff:0.0.0.0" }, { "10.0.0.2" }, INUSE, NA, NA },
	{ "udp devices differ", UDP, { "10.0.0.1", 0, 1 }, { "10.0.0.1", 0, 2 }, 0, NA, NA },
	{ "udp one device, one unbound", UDP, { "10.0.0.1", 0, 1 }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "udp unbound, then a device", UDP, { "0.0.0.0" }, { "0.0.0.0", 0, 2 }, INUSE, NA, NA },
	{ "udp same device", UDP, { "0.0.0.0", 0, 2 }, { "0.0.0.0", 0, 2 }, INUSE, NA, NA },
	{ "udp devices differ, wildcard and dual-stack", UDP, { "::", 0, 1 }, { "0.0.0.0", 0, 2 },
	  0, NA, NA },

	/* TCP: inet_csk_bind_conflict() at bind() and again at listen(). */
	{ "tcp same address", TCP, { "10.0.0.1" }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "tcp SO_REUSEADDR both: both bind, one listens", TCP, { "10.0.0.1", RA },
	  { "10.0.0.1", RA }, 0, 0, INUSE },
	{ "tcp SO_REUSEADDR both, A listening", TCP, { "10.0.0.1", RA, 0, 0, PC_LISTEN },
	  { "10.0.0.1", RA }, INUSE, NA, NA },
	{ "tcp SO_REUSEADDR on A only", TCP, { "10.0.0.1", RA }, { "10.0.0.1" }, INUSE, NA, NA },
	{ "tcp SO_REUSEADDR on B only", TCP, { "10.0.0.1" }, { "10.0.0.1", RA }, INUSE, NA, NA },
	{ "tcp SO_REUSEADDR both, other uid", TCP, { "0.0.0.0", RA, 0, 1000 },
	  { "0.0.0.0", RA }, 0, 0, INUSE },
	{ "tcp SO_REUSEADDR both, wildcard and address", TCP, { "0.0.0.0", RA },
	  { "10.0.0.1", RA }, 0, 0, INUSE },
	{ "tcp SO_REUSEADDR both, wildcard listening", TCP, { "0.0.0.0", RA, 0, 0, PC_LISTEN },
	  { "10.0.0.1", RA }, INUSE, NA, NA },
	{ "tcp SO_REUSEADDR both, dual-stack :: listening", TCP, { "::", RA, 0, 0, PC_LISTEN },
	  { "10.0.0.1", RA }, INUSE, NA, NA },
	{ "tcp SO_REUSEADDR both, V6ONLY :: listening", TCP, { "::", RA | V6, 0, 0, PC_LISTEN },
	  { "10.0.0.1", RA }, 0, 0, NA },
	{ "tcp SO_REUSEPORT both, same uid, listening", TCP,
	  { "0.0.0.0", RP, 0, 1000, PC_LISTEN }, { "0.0.0.0", RP, 0, 1000 }, 0, 0, NA },
	{ "tcp SO_REUSEPORT both, same uid, both listen", TCP, { "0.0.0.0", RP },
	  { "0.0.0.0", RP }, 0, 0, 0 },
	{ "tcp SO_REUSEPORT both, other uid", TCP, { "0.0.0.0", RP, 0, 1000 },
	  { "0.0.0.0", RP }, INUSE, NA, NA },
	{ "tcp SO_REUSEPORT both, other uid, listening", TCP,
	  { "0.0.0.0", RP, 0, 1000, PC_LISTEN }, { "0.0.0.0", RP }, INUSE, NA, NA },
	{ "tcp SO_REUSEPORT on A only", TCP, { "0.0.0.0", RP }, { "0.0.0.0" }, INUSE, NA, NA },
	{ "tcp both options, other uid: bind by SO_REUSEADDR, listen refused", TCP,
	  { "0.0.0.0", RA | RP, 0, 1000 }, { "0.0.0.0", RA | RP }, 0, 0, INUSE },
	{ "tcp both options, other uid, A listening", TCP,
	  { "0.0.0.0", RA | RP, 0, 1000, PC_LISTEN }, { "0.0.0.0", RA | RP }, INUSE, NA, NA },
	{ "tcp both options, same uid, A listening", TCP,
	  { "0.0.0.0", RA | RP, 0, 0, PC_LISTEN }, { "0.0.0.0", RA | RP }, 0, 0, NA },
	{ "tcp different addresses", TCP, { "10.0.0.1", 0, 0, 0, PC_LISTEN }, { "10.0.0.2" }, 0,
	  0, NA },
	{ "tcp V6ONLY :: and 0.0.0.0", TCP, { "::", V6, 0, 0, PC_LISTEN }, { "0.0.0.0" }, 0, 0,
	  NA },
	{ "tcp dual-stack :: and 0.0.0.0", TCP, { "::" }, { "0.0.0.0" }, INUSE, NA, NA },
	{ "tcp dual-stack :: and IPv4 address", TCP, { "10.0.0.2", 0, 0, 0, PC_LISTEN },
	  { "::" }, INUSE, NA, NA },
	{ "tcp IPv6 addresses", TCP, { "fd00::1", 0, 0, 0, PC_LISTEN }, { "fd00::2" }, 0, 0, NA },
	{ "tcp IPv6 address and ::", TCP, { "fd00::1" }, { "::", V6 }, INUSE, NA, NA },
	{ "tcp IPv6 address and 0.0.0.0", TCP, { "fd00::1" }, { "0.0.0.0" }, 0, 0, 0 },
	{ "tcp mapped address and IPv4", TCP, { "::ffff:10.0.0.1", 0, 0, 0, PC_LISTEN },
	  { "10.0.0.1" }, INUSE, NA, NA },
	{ "tcp mapped address and V6ONLY ::", TCP, { "::ffff:10.0.0.1", 0, 0, 0, PC_LISTEN },
	  { "::", V6 }, 0, 0, NA },
	{ "tcp devices differ", TCP, { "0.0.0.0", 0, 1, 0, PC_LISTEN }, { "0.0.0.0", 0, 2 }, 0, 0,
	  NA },
	{ "tcp device and unbound", TCP, { "0.0.0.0", 0, 1, 0, PC_LISTEN }, { "10.0.0.1" }, INUSE,
	  NA, NA },
	{ "tcp devices differ, SO_REUSEADDR both, both listen", TCP, { "10.0.0.1", RA, 1 },
	  { "10.0.0.1", RA, 2 }, 0, 0, 0 },

	/* TIME-WAIT (A connected from the address and closed first). */
	{ "tcp TIME-WAIT, no options", TCP, { "10.0.0.1", 0, 0, 0, PC_TIMEWAIT }, { "10.0.0.1" },
	  INUSE, NA, NA },
	{ "tcp TIME-WAIT, SO_REUSEADDR both", TCP, { "10.0.0.1", RA, 0, 0, PC_TIMEWAIT },
	  { "10.0.0.1", RA }, 0, 0, NA },
	{ "tcp TIME-WAIT, SO_REUSEADDR on B only", TCP, { "10.0.0.1", 0, 0, 0, PC_TIMEWAIT },
	  { "10.0.0.1", RA }, INUSE, NA, NA },
	{ "tcp TIME-WAIT, wildcard B", TCP, { "10.0.0.1", RA, 0, 0, PC_TIMEWAIT },
	  { "0.0.0.0", RA }, 0, 0, NA },
	{ "tcp TIME-WAIT, SO_REUSEPORT both, other uid", TCP,
	  { "10.0.0.1", RP, 0, 1000, PC_TIMEWAIT }, { "10.0.0.1", RP }, 0, 0, NA },
	{ "tcp TIME-WAIT, SO_REUSEPORT on B only", TCP, { "10.0.0.1", 0, 0, 0, PC_TIMEWAIT },
	  { "10.0.0.1", RP }, INUSE, NA, NA },
	{ "tcp TIME-WAIT, other address", TCP, { "10.0.0.1", 0, 0, 0, PC_TIMEWAIT },
	  { "10.0.0.2" }, 0, 0, NA },
	{ "tcp TIME-WAIT of IPv6, dual-stack ::", TCP, { "fd00::1", 0, 0, 0, PC_TIMEWAIT },
	  { "::" }, INUSE, NA, NA },
	{ "tcp TIME-WAIT of IPv6, 0.0.0.0", TCP, { "fd00::1", 0, 0, 0, PC_TIMEWAIT },
	  { "0.0.0.0" }, 0, 0, NA },

	/* A connected socket holds its port like a bound one that does not
	 * listen. */
	{ "tcp connected, SO_REUSEADDR both", TCP, { "10.0.0.1", RA, 0, 0, PC_CONNECTED },
	  { "10.0.0.1", RA }, 0, 0, NA },
	{ "tcp connected, no options", TCP, { "10.0.0.1", 0, 0, 0, PC_CONNECTED },
	  { "0.0.0.0" }, INUSE, NA, NA },
	{ "tcp connected, SO_REUSEPORT both, other uid", TCP,
	  { "10.0.0.1", RP, 0, 1000, PC_CONNECTED }, { "10.0.0.1", RP }, INUSE, NA, NA },
	{ "udp wildcard connected: its source address is what it holds", UDP,
	  { "0.0.0.0", 0, 0, 0, PC_CONNECTED }, { "10.0.0.2" }, 0, NA, NA, "10.0.0.1" },
	{ "tcp wildcard connected: its source address is what it holds", TCP,
	  { "0.0.0.0", 0, 0, 0, PC_CONNECTED }, { "10.0.0.2" }, 0, 0, NA, "10.0.0.1" },
	/* A dual-stack :: socket connected to an IPv6 peer keeps IPv4
	 * receive address LOOPBACK4_IPV6 and no V6ONLY: a new 0.0.0.0
	 * meets it, no other IPv4 address does (for UDP 127.0.0.6 does). */
	{ "tcp dual-stack :: connected to IPv6, then 0.0.0.0", TCP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "0.0.0.0" }, INUSE, NA, NA, "fd00::1" },
	{ "tcp dual-stack :: in TIME-WAIT of IPv6, then 0.0.0.0 with options", TCP,
	  { "::", RA | RP, 0, 0, PC_TIMEWAIT }, { "0.0.0.0" }, INUSE, NA, NA, "fd00::1" },
	{ "tcp dual-stack :: connected to IPv6, then an IPv4 address", TCP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "10.0.0.1" }, 0, 0, NA, "fd00::1" },
	{ "tcp dual-stack :: connected to IPv6, then 127.0.0.6", TCP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "127.0.0.6" }, 0, 0, NA, "fd00::1" },
	{ "udp dual-stack :: connected to IPv6, then 0.0.0.0", UDP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "0.0.0.0" }, INUSE, NA, NA, "fd00::1" },
	{ "udp dual-stack :: connected to IPv6, then 127.0.0.6", UDP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "127.0.0.6" }, INUSE, NA, NA, "fd00::1" },
	{ "udp dual-stack :: connected to IPv6, then an IPv4 address", UDP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "10.0.0.1" }, 0, NA, NA, "fd00::1" },
	{ "tcp V6ONLY :: connected, then 0.0.0.0", TCP, { "::", V6, 0, 0, PC_CONNECTED },
	  { "0.0.0.0" }, 0, 0, NA, "fd00::1" },
	{ "tcp bound to an IPv6 address (IPv6-only) and connected, then 0.0.0.0", TCP,
	  { "fd00::1", 0, 0, 0, PC_CONNECTED }, { "0.0.0.0" }, 0, 0, NA },
	{ "udp dual-stack :: connected to a mapped peer holds the IPv4 address", UDP,
	  { "::", 0, 0, 0, PC_CONNECTED }, { "10.0.0.2" }, 0, NA, NA, "::ffff:10.0.0.1" },
};

#define N_PORT_CASES (sizeof(port_cases) / sizeof(port_cases[0]))

/* Text to our address form; V6ONLY is the flag's business. */
static inline int
pc_addr(const char *s, struct rs_ip *a)
{
	if (strchr(s, ':') != NULL)
		return inet_pton(AF_INET6, s, a->b) == 1 ? 0 : -EINVAL;
	{
		struct in_addr v4;

		if (inet_pton(AF_INET, s, &v4) != 1)
			return -EINVAL;
		*a = rs_ip_from4(ntohl(v4.s_addr));
	}
	return 0;
}

struct pc_result {
	int bind, listen_b, listen_a;
};

/*
 * The case against sock_ports: A takes the port, and when a_laddr differs
 * from the address it bound (a connect() from a wildcard chose a source
 * address) gets it as the daemon would tell it; B binds, B listens, A
 * listens.
 */
static inline int
pc_run_model(const struct port_case *c, const struct rs_ip *a_laddr, uint16_t port,
	     struct pc_result *r)
{
	static char sa, sb;
	struct sock_ports *t = sock_ports_create(1024, 65535);
	struct sock_binder a, b;
	int rc;

	if (t == NULL)
		return -ENOMEM;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.proto = b.proto = c->proto;
	a.port = b.port = port;
	rc = pc_addr(c->a.addr, &a.laddr);
	if (rc != 0) {
		sock_ports_destroy(t);
		return rc;
	}
	a.uid = c->a.uid;
	a.ifindex = c->a.dev ? c->a.dev : -1;
	a.flags = c->a.flags;
	if (c->a.st == PC_LISTEN)
		a.flags |= SOCK_PORT_LISTEN;
	else if (c->a.st == PC_TIMEWAIT)
		a.flags |= SOCK_PORT_TIMEWAIT;
	a.sock = &sa;
	rc = pc_addr(c->b.addr, &b.laddr);
	if (rc == 0)
		rc = sock_ports_bind(t, &a, NULL, NULL);
	if (rc == 0 && !rs_ip_eq(&a.laddr, a_laddr))
		rc = sock_ports_set_addr(t, c->proto, port, &sa, a_laddr);
	if (rc != 0) {
		sock_ports_destroy(t);
		return rc;
	}
	b.uid = c->b.uid;
	b.ifindex = c->b.dev ? c->b.dev : -1;
	b.flags = c->b.flags;
	b.sock = &sb;
	r->listen_b = r->listen_a = NA;
	r->bind = sock_ports_bind(t, &b, NULL, NULL);
	if (r->bind == 0 && c->proto == TCP) {
		r->listen_b = sock_ports_set_flags(t, TCP, port, &sb, b.flags | SOCK_PORT_LISTEN);
		if (r->listen_b == 0 && c->a.st == PC_BOUND)
			r->listen_a = sock_ports_set_flags(t, TCP, port, &sa,
							   a.flags | SOCK_PORT_LISTEN);
	}
	sock_ports_destroy(t);
	return 0;
}

#endif
