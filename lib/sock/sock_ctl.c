/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket requests, on the control thread: each request is read once from
 * the application's ring into private memory, then validated; a request
 * naming a descriptor that is closed (even earlier in the same batch) gets
 * EBADF. What every socket has is handled here (descriptors, SOL_SOCKET
 * and IPPROTO_IP options, names, the demux and port tables, wake-ups);
 * the rest goes to the socket's protocol (struct sock_proto).
 */
#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_random.h>

#include "core/dp.h"
#include "core/module.h"
#include "ip6/pmtu.h"
#include "ip6/rt6_out.h"
#include "route/fib4.h"
#include "route/rt4_out.h"
#include "sock/sock_int.h"
#include "sock/sock_mcast.h"
#include "util/rs_log.h"
#include "wire/wire.h"

struct sock_demux *sock_demux_tbl;
struct sock_ports *sock_ports_tbl;

#define SOCK_PROTOS_MAX 8
static const struct sock_proto *protos[SOCK_PROTOS_MAX];
static unsigned nprotos;

void sock_proto_register(const struct sock_proto *p)
{
	if (nprotos == SOCK_PROTOS_MAX)
		rte_panic("too many socket protocols\n");
	protos[nprotos++] = p;
}

const struct sock_proto *sock_proto_find(int type, int protocol)
{
	for (unsigned i = 0; i < nprotos; i++)
		if (protos[i]->type == type && (protocol == 0 || protocol == protos[i]->ipproto))
			return protos[i];
	return NULL;
}

const struct sock_proto *sock_proto_of(uint8_t ipproto)
{
	for (unsigned i = 0; i < nprotos; i++)
		if (protos[i]->ipproto == ipproto)
			return protos[i];
	return NULL;
}

static void demux_defer(void (*fn)(void *), void *arg)
{
	rs_defer_free(fn, arg);
}

int sock_init(void)
{
	if (sock_limits.max_apps == 0) /* nobody set them (tests, fuzzing) */
		sock_limits_default(&sock_limits);
	sock_demux_tbl = sock_demux_create(sock_limits.socks_per_app, (uint32_t)rte_rand(),
					   demux_defer);
	sock_ports_tbl = sock_ports_create(sock_limits.port_lo, sock_limits.port_hi);
	struct rs_apps_pub *pub = calloc(1, sizeof(*pub) + sizeof(pub->apps[0]));
	if (sock_demux_tbl == NULL || sock_ports_tbl == NULL || pub == NULL ||
	    sock_quota_init() < 0) {
		free(pub);
		rs_err_set("cannot create the socket tables");
		return -ENOMEM;
	}
	atomic_store(&sock_apps_pub, pub);
	return 0;
}

void sock_fini(void)
{
	struct rs_app *a;
	while ((a = NULL, sock_app_count() > 0)) {
		/* detach every app; sockets are released at once on exit */
		struct rs_apps_pub *pub = atomic_load(&sock_apps_pub);
		if (pub->n == 0)
			break;
		a = pub->apps[0];
		sock_app_detach(a);
		rs_sync();
	}
	rs_sync();
	sock_demux_destroy(sock_demux_tbl);
	sock_ports_destroy(sock_ports_tbl);
	sock_quota_fini();
	sock_demux_tbl = NULL;
	sock_ports_tbl = NULL;
	free(atomic_load(&sock_apps_pub));
	atomic_store(&sock_apps_pub, NULL);
}

/* ---- wake-ups ---- */

_Atomic uint64_t sock_wakeups;

void sock_wake(struct rs_sock *s)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&s->shm->app_wait, memory_order_relaxed) == 0)
		return;
	/* One wake-up per arming (sock_shm.h): the sleepers have one
	 * coming already while app_woken is set. Loaded first: the exchange
	 * dirties the application's line. Whatever the application stores
	 * there costs it its own wake-ups, never us more than one send. */
	if (atomic_load_explicit(&s->shm->app_woken, memory_order_relaxed) != 0 ||
	    atomic_exchange_explicit(&s->shm->app_woken, 1, memory_order_relaxed) != 0)
		return;
	/* counted beside the system call it costs, never per packet */
	atomic_fetch_add_explicit(&sock_wakeups, 1, memory_order_relaxed);
	char b = 0;
	/* EAGAIN: a wake-up is already pending; EPIPE etc.: the application
	 * broke its own end. Neither is ours to handle. */
	if (send(s->wake_fd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* nothing */
	}
}

void sock_set_error(struct rs_sock *s, int err)
{
	atomic_store_explicit(&s->shm->so_error, err, memory_order_relaxed);
	sock_wake(s);
}

/* ---- tables ---- */

static uint32_t port_flags(const struct rs_sock *s)
{
	return (s->reuseaddr ? SOCK_PORT_REUSEADDR : 0) | (s->reuseport ? SOCK_PORT_REUSEPORT : 0) |
	       (s->v6only ? SOCK_PORT_V6ONLY : 0);
}

int sock_port_take(struct rs_sock *s, const struct rs_ip *laddr, uint16_t port,
		   uint16_t extra_flags, bool (*filter)(void *arg, uint16_t port), void *arg)
{
	struct sock_binder b = {
		.laddr = *laddr,
		.uid = s->app->uid,
		.ifindex = s->bind_iface,
		.flags = (uint16_t)(port_flags(s) | extra_flags),
		.port = port,
		.proto = s->proto->ipproto,
		.sock = s,
	};
	int rc = sock_ports_bind(sock_ports_tbl, &b, filter, arg);
	if (rc < 0)
		return rc;
	s->lport = b.port;
	s->in_ports = true;
	s->port_extra = extra_flags;
	return 0;
}

void sock_port_drop(struct rs_sock *s)
{
	if (!s->in_ports)
		return;
	sock_ports_unbind(sock_ports_tbl, s->proto->ipproto, s->lport, s);
	s->in_ports = false;
}

int sock_port_flags(struct rs_sock *s, uint16_t flags)
{
	if (!s->in_ports)
		return -EINVAL;
	int rc = sock_ports_set_flags(sock_ports_tbl, s->proto->ipproto, s->lport, s,
				      (uint16_t)(port_flags(s) | flags));
	if (rc == 0)
		s->port_extra = flags;
	return rc;
}

struct twin_ctx {
	struct rs_sock *gone;
	struct rs_sock *found;
};

static void twin_find(void *arg, const struct sock_binder *b)
{
	struct twin_ctx *x = arg;
	struct rs_sock *o = b->sock;
	if (x->found == NULL && o != x->gone && !o->in_demux && o->bound && !o->connected &&
	    !o->dead && !o->released && rs_ip_eq(&o->laddr, &x->gone->key.laddr))
		x->found = o;
}

static int sock_rekey_demux(struct rs_sock *s);

void sock_unkey(struct rs_sock *s)
{
	if (!s->in_demux)
		return;
	sock_demux_del(sock_demux_tbl, &s->key, s);
	s->in_demux = false;
	/* An SO_REUSEADDR twin bound to the same address and port (which
	 * could not be published while s held the key) takes over, so the
	 * port keeps receiving as it does on Linux. */
	uint32_t peerless = s->key.raddr.w[0] | s->key.raddr.w[1] | s->key.raddr.w[2] |
			    s->key.raddr.w[3] | s->key.rport;
	if (peerless == 0 && s->reuseaddr) {
		struct twin_ctx x = { .gone = s };
		sock_ports_foreach(sock_ports_tbl, s->proto->ipproto, s->key.lport, twin_find, &x);
		if (x.found != NULL) {
			sock_rekey_demux(x.found);
			sock_mc_rekey(x.found); /* it has a key now */
		}
	}
}

int sock_rekey(struct rs_sock *s)
{
	int rc = sock_rekey_demux(s);
	sock_mc_rekey(s);
	return rc;
}

static int sock_rekey_demux(struct rs_sock *s)
{
	sock_unkey(s);
	if (!s->bound)
		return 0;
	struct sock_demux_key k = {
		.laddr = s->laddr,
		.lport = s->lport,
		.proto = s->proto->ipproto,
	};
	if (s->connected) {
		k.raddr = s->raddr;
		k.rport = s->rport;
	}
	uint32_t fl = (s->reuseport ? SOCK_DEMUX_REUSEPORT : 0) | (s->v6only ? SOCK_DEMUX_V6ONLY : 0);
	int rc = sock_demux_add(sock_demux_tbl, &k, s, s->app->uid, fl);
	if (rc == 0) {
		s->in_demux = true;
		s->key = k;
		return 0;
	}
	/* SO_REUSEADDR twins share an address and port (the port table let
	 * them); one of them holds the key and receives, as one of them does
	 * on Linux; the other takes over when it goes (sock_unkey) */
	if (rc == -EADDRINUSE && s->reuseaddr && !s->connected)
		return 0;
	return rc;
}

bool sock_addr_is_local(const struct rs_ip *ip)
{
	if (!rs_ip_is4(ip)) {
		uint16_t ifi;
		return rt6_addr_local(rs_cfg_current(), ip->b, -1, &ifi);
	}
	uint32_t nh = fib4_lookup(rs_ip_v4(ip));
	return nh != FIB4_NH_NONE && fib4_nh(nh)->type == RT_LOCAL;
}

int sock_req_addr(const struct rs_sock *s, const struct rs_saddr *a, struct rs_ip *ip, int *oif)
{
	*oif = -1;
	memcpy(ip->b, a->addr, 16);
	if (s->domain == AF_INET) {
		if (a->family != AF_INET)
			return -EAFNOSUPPORT;
		/* the library writes IPv4 in mapped form; anything else is a lie */
		return rs_ip_is4(ip) ? 0 : -EINVAL;
	}
	if (a->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!rs_ip_is4(ip) && a->scope != 0 &&
	    (ip6_is_linklocal(ip->b) || ip6_is_mcast(ip->b))) {
		const struct rs_cfg *c = rs_cfg_current();
		if (a->scope > RS_MAX_IFACES || !c->ifaces[a->scope - 1].present)
			return -ENODEV;
		*oif = (int)a->scope - 1;
	}
	return 0;
}

int sock_bind6_check(struct rs_sock *s, const struct rs_ip *ip, int oif)
{
	if (rs_ip_is_any(ip))
		return 0;
	if (ip6_is_linklocal(ip->b) || ip6_is_mcast(ip->b)) {
		if (oif < 0)
			oif = s->bind_iface;
		if (oif < 0)
			return -EINVAL; /* Linux: a link-local bind needs its scope */
		if (s->bind_iface >= 0 && s->bind_iface != oif)
			return -EINVAL;
	}
	uint16_t ifi;
	if (!ip6_is_mcast(ip->b) && !rt6_addr_local(rs_cfg_current(), ip->b, oif, &ifi))
		return -EADDRNOTAVAIL;
	if (oif >= 0)
		s->bind_iface = oif;
	return 0;
}

/* ---- requests ---- */

void sock_close(struct rs_sock *s, bool dead_app)
{
	if (s->dead)
		return;
	s->dead = true;
	sock_wake(s);
	/* memberships end with the descriptor, whoever closed it (Linux's
	 * ipv6_sock_mc_close at inet6_release) */
	sock_mc_drop_all(s);
	s->proto->close(s, dead_app);
}

static int get_int(const struct rs_sreq *r, int *v)
{
	if (r->optlen < sizeof(int))
		return -EINVAL;
	memcpy(v, r->opt, sizeof(int));
	return 0;
}

/* IPPROTO_IP's int options (do_ip_setsockopt): an int, or one byte when
 * shorter, 0 when empty. */
static int get_ip_int(const struct rs_sreq *r, int *v)
{
	if (r->optlen >= sizeof(int))
		memcpy(v, r->opt, sizeof(int));
	else if (r->optlen >= 1)
		*v = r->opt[0];
	else
		*v = 0;
	return 0;
}

/* Linux: min(val, {r,w}mem_max) doubled, with a floor; the value is
 * compared unsigned (min_t(u32, ...)): a negative one asks for the most. */
static int32_t buf_size(int v, int32_t floor)
{
	int64_t x = (uint32_t)v > RS_BUF_MAX ? RS_BUF_MAX : v;
	return (int32_t)(2 * x < floor ? floor : 2 * x);
}

static int sol_socket_set(struct rs_sock *s, const struct rs_sreq *r, int name)
{
	int v = 0, rc;
	if (name == SO_BINDTODEVICE) {
		char ifn[IFNAMSIZ];
		uint32_t n = r->optlen < sizeof(ifn) - 1 ? r->optlen : sizeof(ifn) - 1;
		memcpy(ifn, r->opt, n);
		ifn[n] = '\0';
		if (ifn[0] == '\0') {
			s->bind_iface = -1;
			return 0;
		}
		int i = rs_iface_by_name(rs_cfg_current(), ifn);
		if (i < 0)
			return -ENODEV;
		s->bind_iface = i;
		return 0;
	}
	if (name == SO_LINGER) {
		struct linger l;
		if (r->optlen < sizeof(l))
			return -EINVAL;
		memcpy(&l, r->opt, sizeof(l));
		s->linger = l.l_onoff ? (l.l_linger < 0 ? 0 : l.l_linger) : -1;
		return 0;
	}
	if ((rc = get_int(r, &v)) < 0)
		return rc;
	switch (name) {
	case RS_SO_OWNER:
		/* whom a worker's SIGURG goes to; permission is checked when
		 * one is sent (sock_send_sigurg), as Linux's sigio_perm */
		atomic_store_explicit(&s->sig_owner, v, memory_order_relaxed);
		return 0;
	/* Linux reads sk_reuse / sk_reuseport of bound sockets live at the
	 * next bind's conflict check: keep the port table's copy current (the
	 * demux group itself is formed at bind, as sk_reuseport_cb is) */
	case SO_REUSEADDR:
		s->reuseaddr = v != 0;
		if (s->in_ports)
			sock_ports_set_flags(sock_ports_tbl, s->proto->ipproto, s->lport, s,
					     (uint16_t)(port_flags(s) | s->port_extra));
		return 0;
	case SO_REUSEPORT:
		s->reuseport = v != 0;
		if (s->in_ports)
			sock_ports_set_flags(sock_ports_tbl, s->proto->ipproto, s->lport, s,
					     (uint16_t)(port_flags(s) | s->port_extra));
		return 0;
	case SO_BROADCAST: s->broadcast = v != 0; return 0;
	case SO_KEEPALIVE: s->keepalive = v != 0; return 1; /* the protocol may act on it */
	case SO_RCVBUF: s->rcvbuf = buf_size(v, 2304); return 1;
	case SO_SNDBUF: s->sndbuf = buf_size(v, 4608); return 1;
	default: return -ENOPROTOOPT;
	}
}

/* The link with IPv4 address a, or -1 (Linux's __ip_dev_find). */
static int iface_of_addr4(const struct rs_cfg *c, uint32_t a)
{
	for (int i = 0; i < RS_MAX_IFACES; i++)
		if (c->ifaces[i].present && rs_iface_has_addr(&c->ifaces[i], a))
			return i;
	return -1;
}

/*
 * ip_mc_find_dev: the link an ip_mreqn names, by index, else by one of
 * its addresses, else the group's route (as Linux's ip_route_output of
 * the group: the default route's link when there is no multicast route).
 * -1 when there is none.
 */
static int mc4_find_iface(const struct rs_cfg *c, uint32_t group, uint32_t addr, int32_t ifindex)
{
	if (ifindex != 0)
		return ifindex > 0 && ifindex <= RS_MAX_IFACES && c->ifaces[ifindex - 1].present
			       ? ifindex - 1 : -1;
	if (addr != 0)
		return iface_of_addr4(c, addr);
	struct rt4_out r;
	if (rt4_output(c, group, 0, -1, &r) < 0)
		return -1;
	return r.iface;
}

/* ip_mc_join_group / ip_mc_leave_group for an ip_mreqn (host order). */
static int mc4_join_leave(struct rs_sock *s, bool join, uint32_t group, uint32_t addr,
			  int32_t ifindex)
{
	const struct rs_cfg *c = rs_cfg_current();
	struct rs_ip g = rs_ip_from4(group);
	int iface = mc4_find_iface(c, group, addr, ifindex);
	if (join) {
		if (!ip4_is_mcast(group))
			return -EINVAL;
		if (iface < 0)
			return -ENODEV;
		return sock_mc_join(s, &g, (uint16_t)iface);
	}
	/* leave: ENODEV only when nothing named a link and there is no
	 * route; a named link that does not exist matches no membership */
	if (ifindex == 0 && addr == 0 && iface < 0)
		return -ENODEV;
	if (ifindex != 0 && iface < 0)
		return -EADDRNOTAVAIL;
	return sock_mc_leave(s, &g, iface);
}

/* IPPROTO_IP multicast options (do_ip_setsockopt); 1: not one of them. */
static int sol_ip_mc_set(struct rs_sock *s, const struct rs_sreq *r, int name, int v)
{
	bool stream = s->proto->type == SOCK_STREAM;
	switch (name) {
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP: {
		if (stream)
			return -EPROTO;
		if (r->optlen < sizeof(struct ip_mreq))
			return -EINVAL;
		/* an ip_mreq is the first two fields of an ip_mreqn */
		struct ip_mreqn mr = { 0 };
		memcpy(&mr, r->opt, r->optlen >= sizeof(mr) ? sizeof(mr) : sizeof(struct ip_mreq));
		return mc4_join_leave(s, name == IP_ADD_MEMBERSHIP, ntohl(mr.imr_multiaddr.s_addr),
				      ntohl(mr.imr_address.s_addr), mr.imr_ifindex);
	}
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP: {
		struct group_req gr;
		if (r->optlen < sizeof(gr))
			return -EINVAL;
		memcpy(&gr, r->opt, sizeof(gr));
		if (gr.gr_group.ss_family != AF_INET)
			return -EINVAL;
		struct sockaddr_in sin;
		memcpy(&sin, &gr.gr_group, sizeof(sin));
		return mc4_join_leave(s, name == MCAST_JOIN_GROUP, ntohl(sin.sin_addr.s_addr), 0,
				      (int32_t)gr.gr_interface);
	}
	case IP_MULTICAST_IF: {
		if (stream || r->optlen < sizeof(struct in_addr))
			return -EINVAL;
		/* an ip_mreqn, an ip_mreq (its interface address) or an
		 * in_addr, by length */
		struct ip_mreqn mr = { 0 };
		if (r->optlen >= sizeof(mr))
			memcpy(&mr, r->opt, sizeof(mr));
		else if (r->optlen >= sizeof(struct ip_mreq))
			memcpy(&mr, r->opt, sizeof(struct ip_mreq));
		else
			memcpy(&mr.imr_address, r->opt, sizeof(struct in_addr));
		uint32_t addr = ntohl(mr.imr_address.s_addr);
		const struct rs_cfg *c = rs_cfg_current();
		int iface;
		if (mr.imr_ifindex == 0) {
			if (addr == 0) {
				s->mc4_oif = -1;
				s->mc4_addr = 0;
				return 0;
			}
			iface = iface_of_addr4(c, addr);
		} else {
			iface = mr.imr_ifindex > 0 && mr.imr_ifindex <= RS_MAX_IFACES &&
					c->ifaces[mr.imr_ifindex - 1].present
				? mr.imr_ifindex - 1 : -1;
		}
		if (iface < 0)
			return -EADDRNOTAVAIL;
		if (s->bind_iface >= 0 && s->bind_iface != iface)
			return -EINVAL;
		s->mc4_oif = iface;
		s->mc4_addr = addr;
		return 0;
	}
	case IP_MULTICAST_TTL:
		if (stream || r->optlen < 1)
			return -EINVAL;
		if (v == -1)
			v = 1;
		if (v < 0 || v > 255)
			return -EINVAL;
		s->mc4_ttl = (uint8_t)v;
		return 0;
	case IP_MULTICAST_LOOP:
		if (r->optlen < 1)
			return -EINVAL;
		s->mc4_loop = v != 0;
		return 0;
	case IP_MULTICAST_ALL:
		if (r->optlen < 1 || (v != 0 && v != 1))
			return -EINVAL;
		s->mc4_all = v != 0;
		return 0;
	default:
		return 1;
	}
}

static int sol_ip_set(struct rs_sock *s, const struct rs_sreq *r, int name)
{
	int v = 0;
	get_ip_int(r, &v);
	int rc = sol_ip_mc_set(s, r, name, v);
	if (rc <= 0)
		return rc;
	switch (name) {
	case IP_TTL:
		if (r->optlen < 1)
			return -EINVAL;
		if (v == -1) {
			s->ttl = -1;
			return 0;
		}
		if (v < 1 || v > 255)
			return -EINVAL;
		s->ttl = (int16_t)v;
		return 0;
	case IP_TOS:
		/* UDP keeps the ECN bits; TCP's are the protocol's, never
		 * the option's (Linux's __ip_sock_set_tos) */
		s->tos = (int16_t)(v & (s->proto->type == SOCK_STREAM ? 0xfc : 0xff));
		return 1;
	/* ancillary data on receive: every datagram's meta carries the TTL,
	 * TOS and destination; the library turns them into cmsgs */
	case IP_RECVTTL: s->recv_ttl = v != 0; return 0;
	case IP_RECVTOS: s->recv_tos = v != 0; return 0;
	case IP_PKTINFO: s->recv_pktinfo = v != 0; return 0;
	default: return -ENOPROTOOPT;
	}
}

/* The link a multicast membership or datagram uses when the application
 * named none. Linux routes the group: every multicast-capable link has an
 * ff00::/8 route of equal metric, and the first link's wins (the default
 * route, /0, never does): our first link that is up and not lo. */
int sock_mc_default_iface(const struct rs_cfg *c)
{
	for (int i = 0; i < RS_MAX_IFACES; i++)
		if (c->ifaces[i].present && c->ifaces[i].up && !c->ifaces[i].loopback)
			return i;
	return -1;
}

/* ipv6_sock_mc_join / ipv6_sock_mc_drop: ifindex 0 means the routed link
 * on join, any link on leave. */
static int mc6_join_leave(struct rs_sock *s, bool join, const uint8_t group[16], int32_t ifindex)
{
	if (!ip6_is_mcast(group))
		return -EINVAL;
	struct rs_ip g = rs_ip_from6(group);
	const struct rs_cfg *c = rs_cfg_current();
	if (!join)
		return sock_mc_leave(s, &g, ifindex > 0 ? ifindex - 1 : -1);
	/* the duplicate check comes first, with ifindex 0 matching any link */
	const struct sock_mclist *l = atomic_load(&s->mc);
	for (uint32_t i = 0; l != NULL && i < l->n; i++)
		if ((ifindex == 0 || l->e[i].iface == ifindex - 1) && rs_ip_eq(&l->e[i].group, &g))
			return -EADDRINUSE;
	int iface = ifindex > 0 ? ifindex - 1 : sock_mc_default_iface(c);
	if (iface < 0 || iface >= RS_MAX_IFACES || !c->ifaces[iface].present)
		return -ENODEV;
	return sock_mc_join(s, &g, (uint16_t)iface);
}

/* IPPROTO_IPV6 on an AF_INET6 socket (Linux's do_ipv6_setsockopt). */
static int sol_ip6_set(struct rs_sock *s, const struct rs_sreq *r, int name)
{
	int v = 0, rc;
	if ((rc = get_int(r, &v)) < 0)
		return rc;
	bool stream = s->proto->type == SOCK_STREAM;
	switch (name) {
	case IPV6_ADD_MEMBERSHIP:
	case IPV6_DROP_MEMBERSHIP: {
		struct ipv6_mreq mr;
		if (r->optlen < sizeof(mr))
			return -EINVAL;
		if (stream)
			return -EPROTO; /* Linux: not on a connection socket */
		memcpy(&mr, r->opt, sizeof(mr));
		return mc6_join_leave(s, name == IPV6_ADD_MEMBERSHIP, mr.ipv6mr_multiaddr.s6_addr,
				      (int32_t)mr.ipv6mr_interface);
	}
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP: {
		struct group_req gr;
		if (r->optlen < sizeof(gr))
			return -EINVAL;
		memcpy(&gr, r->opt, sizeof(gr));
		if (gr.gr_group.ss_family != AF_INET6)
			return -EADDRNOTAVAIL;
		struct sockaddr_in6 sin6;
		memcpy(&sin6, &gr.gr_group, sizeof(sin6));
		return mc6_join_leave(s, name == MCAST_JOIN_GROUP, sin6.sin6_addr.s6_addr,
				      (int32_t)gr.gr_interface);
	}
	case IPV6_MULTICAST_HOPS:
		if (stream)
			return -ENOPROTOOPT;
		if (v < -1 || v > 255)
			return -EINVAL;
		s->mc_hops = (int16_t)(v == -1 ? 1 : v);
		return 0;
	case IPV6_MULTICAST_IF: {
		if (stream)
			return -ENOPROTOOPT;
		int oif = -1;
		if (v != 0) {
			const struct rs_cfg *c = rs_cfg_current();
			if (v < 0 || v > RS_MAX_IFACES || !c->ifaces[v - 1].present)
				return -ENODEV;
			oif = v - 1;
			if (s->bind_iface >= 0 && s->bind_iface != oif)
				return -EINVAL;
		}
		s->mc_oif = oif;
		return 0;
	}
	case IPV6_MULTICAST_LOOP:
		if (v != 0 && v != 1)
			return -EINVAL;
		s->mc_loop = v != 0;
		return 0;
	case IPV6_MULTICAST_ALL: s->mc_all = v != 0; return 0;
	case IPV6_MTU_DISCOVER:
		if (v < IPV6_PMTUDISC_DONT || v > IPV6_PMTUDISC_OMIT)
			return -EINVAL;
		s->pmtudisc6 = (uint8_t)v;
		return 0;
	case IPV6_DONTFRAG: s->dontfrag6 = v != 0; return 0;
	case IPV6_MTU:
		if (v != 0 && v < IP6_MIN_MTU)
			return -EINVAL;
		s->mtu6 = (uint16_t)(v > 65535 ? 65535 : v); /* larger never binds */
		return 0;
	case IPV6_V6ONLY:
		/* fixed once the socket has a port (inet6's inet_num check) */
		if (s->bound)
			return -EINVAL;
		s->v6only = v != 0;
		return 0;
	case IPV6_UNICAST_HOPS:
		if (v < -1 || v > 255)
			return -EINVAL;
		s->hops = (int16_t)v;
		return 0;
	case IPV6_TCLASS:
		if (v < -1 || v > 255)
			return -EINVAL;
		s->tclass = (int16_t)v;
		return 0;
	case IPV6_RECVPKTINFO: s->recv6_pktinfo = v != 0; return 0;
	case IPV6_RECVHOPLIMIT: s->recv6_hlim = v != 0; return 0;
	case IPV6_RECVTCLASS: s->recv6_tclass = v != 0; return 0;
	case IPV6_FLOWINFO: s->recv6_flow = v != 0; return 0;
	default: return -ENOPROTOOPT;
	}
}

static int op_setsockopt(struct rs_sock *s, const struct rs_sreq *r)
{
	int level = r->a[0], name = r->a[1], rc;
	uint32_t len = r->optlen > RS_SOPT_MAX ? RS_SOPT_MAX : r->optlen;
	if (level == SOL_SOCKET)
		rc = sol_socket_set(s, r, name);
	/* Linux passes SOL_IP options of an AF_INET6 socket to ip_setsockopt:
	 * they apply to its IPv4(-mapped) traffic */
	else if (level == IPPROTO_IP)
		rc = sol_ip_set(s, r, name);
	else if (level == IPPROTO_IPV6 && s->domain == AF_INET6)
		rc = sol_ip6_set(s, r, name);
	else
		rc = 1;
	/* 1: (also) the protocol's */
	if (rc == 1) {
		if (s->proto->setsockopt == NULL)
			return level == SOL_SOCKET || level == IPPROTO_IP ? 0 : -ENOPROTOOPT;
		rc = s->proto->setsockopt(s, level, name, r->opt, len);
		if (rc == -ENOPROTOOPT && (level == SOL_SOCKET || level == IPPROTO_IP))
			rc = 0; /* handled here; nothing for the protocol to do */
	}
	return rc;
}

static int op_getsockopt(struct rs_sock *s, const struct rs_sreq *r, struct rs_scpl *c)
{
	int v;
	int level = r->a[0], name = r->a[1];
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: v = s->reuseaddr; break;
		case SO_REUSEPORT: v = s->reuseport; break;
		case SO_BROADCAST: v = s->broadcast; break;
		case SO_KEEPALIVE: v = s->keepalive; break;
		case SO_RCVBUF: v = s->rcvbuf; break;
		case SO_SNDBUF: v = s->sndbuf; break;
		case SO_TYPE: v = s->proto->type; break;
		case SO_PROTOCOL: v = s->proto->ipproto; break;
		case SO_DOMAIN: v = s->domain; break;
		case SO_ERROR: v = atomic_exchange(&s->shm->so_error, 0); break;
		case SO_ACCEPTCONN:
			if (s->proto->type == SOCK_STREAM)
				goto proto; /* the protocol knows whether it listens */
			v = 0;
			break;
		case SO_LINGER: {
			struct linger l = { .l_onoff = s->linger >= 0, .l_linger = s->linger >= 0 ? s->linger : 0 };
			memcpy(c->opt, &l, sizeof(l));
			c->optlen = sizeof(l);
			return 0;
		}
		case SO_BINDTODEVICE: {
			const struct rs_cfg *cfg = rs_cfg_current();
			c->optlen = 0;
			if (s->bind_iface >= 0 && cfg->ifaces[s->bind_iface].present) {
				size_t n = strnlen(cfg->ifaces[s->bind_iface].name, RS_IFNAMSIZ - 1);
				memcpy(c->opt, cfg->ifaces[s->bind_iface].name, n);
				c->opt[n] = 0;
				c->optlen = (uint32_t)n + 1;
			}
			return 0;
		}
		default:
			goto proto;
		}
	} else if (level == IPPROTO_IPV6 && s->domain == AF_INET6) {
		switch (name) {
		case IPV6_V6ONLY: v = s->v6only; break;
		case IPV6_UNICAST_HOPS: v = s->hops < 0 ? IP6_DEFAULT_HLIM : s->hops; break;
		case IPV6_TCLASS: v = s->tclass < 0 ? 0 : s->tclass; break;
		case IPV6_RECVPKTINFO: v = s->recv6_pktinfo; break;
		case IPV6_RECVHOPLIMIT: v = s->recv6_hlim; break;
		case IPV6_RECVTCLASS: v = s->recv6_tclass; break;
		case IPV6_FLOWINFO: v = s->recv6_flow; break;
		case IPV6_MULTICAST_HOPS: v = s->mc_hops < 0 ? 1 : s->mc_hops; break;
		case IPV6_MULTICAST_IF: v = s->mc_oif + 1; break;
		case IPV6_MULTICAST_LOOP: v = s->mc_loop; break;
		case IPV6_MULTICAST_ALL: v = s->mc_all; break;
		case IPV6_MTU_DISCOVER: v = s->pmtudisc6; break;
		case IPV6_DONTFRAG: v = s->dontfrag6; break;
		case IPV6_MTU: {
			/* the path MTU to the connected peer (dst_mtu) */
			if (!s->connected || rs_ip_is4(&s->raddr))
				return -ENOTCONN;
			struct rt6_out o;
			const struct rs_cfg *cfg = rs_cfg_current();
			if (rt6_output(cfg, s->raddr.b, 0, s->bind_iface, &o) < 0)
				return -ENOTCONN;
			v = o.type == RT_LOCAL ? 65536
					       : (int)pmtu_for6(&cfg->ifaces[o.iface], s->raddr.b,
								rs_now_ns());
			break;
		}
		default: goto proto;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL: v = s->ttl < 0 ? 64 : s->ttl; break;
		case IP_TOS: v = s->tos < 0 ? 0 : s->tos; break;
		case IP_RECVTTL: v = s->recv_ttl; break;
		case IP_RECVTOS: v = s->recv_tos; break;
		case IP_PKTINFO: v = s->recv_pktinfo; break;
		case IP_MULTICAST_TTL: v = s->mc4_ttl; break;
		case IP_MULTICAST_LOOP: v = s->mc4_loop; break;
		case IP_MULTICAST_ALL: v = s->mc4_all; break;
		case IP_MULTICAST_IF: {
			/* the address it was set by (inet->mc_addr); the
			 * library cuts it to the caller's buffer */
			uint32_t a = htonl(s->mc4_addr);
			memcpy(c->opt, &a, sizeof(a));
			c->optlen = sizeof(a);
			return 0;
		}
		default: goto proto;
		}
		/* do_ip_getsockopt: a buffer shorter than an int takes a
		 * value that fits one byte as one byte */
		if (r->optlen > 0 && r->optlen < sizeof(int) && v >= 0 && v <= 255) {
			c->opt[0] = (uint8_t)v;
			c->optlen = 1;
			return 0;
		}
	} else {
		goto proto;
	}
	memcpy(c->opt, &v, sizeof(v));
	c->optlen = sizeof(v);
	return 0;
proto:
	if (s->proto->getsockopt != NULL) {
		uint32_t len = r->a[2] > 0 && r->a[2] < RS_SOPT_MAX ? (uint32_t)r->a[2] : RS_SOPT_MAX;
		int rc = s->proto->getsockopt(s, level, name, c->opt, &len);
		if (rc >= 0) {
			c->optlen = len > RS_SOPT_MAX ? RS_SOPT_MAX : len;
			return 0;
		}
		if (rc != -ENOPROTOOPT)
			return rc;
	}
	/* Linux: an unknown level to getsockopt */
	return level == SOL_SOCKET || level == IPPROTO_IP || level == s->proto->ipproto
		       ? -ENOPROTOOPT : -EOPNOTSUPP;
}

static void fill_saddr(const struct rs_sock *s, struct rs_saddr *o, const struct rs_ip *ip,
		       uint16_t port)
{
	memset(o, 0, sizeof(*o));
	o->family = (uint16_t)s->domain;
	o->port = port;
	memcpy(o->addr, ip->b, 16);
	/* a link-local address names its link (sin6_scope_id: link N is N+1,
	 * as IP_PKTINFO's ifindex) */
	if (ip6_is_linklocal(ip->b) && s->bind_iface >= 0)
		o->scope = (uint32_t)s->bind_iface + 1;
}

/* Sends the completion's kick, with fd (SCM_RIGHTS) when fd >= 0. A kick
 * that cannot be sent (the app does not read its socket) disconnects it. */
static void kick(struct rs_app *a, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char b = 'c';
	struct iovec iov = { &b, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (a->fd < 0 || sendmsg(a->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
		atomic_store(&a->corrupt, 1);
}

static int op_socket(struct rs_app *a, const struct rs_sreq *r, int *app_fd)
{
	int domain = r->a[0], type = r->a[1], protocol = r->a[2];
	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	const struct sock_proto *p = sock_proto_find(type, protocol);
	if (p == NULL)
		return type == SOCK_DGRAM || type == SOCK_STREAM ? -EPROTONOSUPPORT : -ESOCKTNOSUPPORT;
	int err;
	struct rs_sock *s = sock_new(a, p, domain, app_fd, &err);
	if (s == NULL)
		return -err;
	int rc = p->init ? p->init(s) : 0;
	if (rc < 0) {
		close(*app_fd);
		*app_fd = -1;
		s->dead = true;
		sock_release(s);
		return rc;
	}
	sock_publish(s);
	return (int)s->sd;
}

static int op_accept(struct rs_sock *l, struct rs_scpl *c, int *app_fd)
{
	if (l->proto->accept == NULL)
		return -EOPNOTSUPP;
	struct rs_sock *child = NULL;
	int rc = l->proto->accept(l, &child);
	if (rc < 0)
		return rc;
	*app_fd = child->app_fd;
	child->app_fd = -1;
	sock_publish(child);
	fill_saddr(child, &c->addr, &child->raddr, child->rport);
	return (int)child->sd;
}

static struct rs_sock *sock_of(struct rs_app *a, int32_t sd)
{
	if (sd < 0 || (uint32_t)sd >= a->max_socks)
		return NULL;
	struct rs_sock *s = a->own[sd];
	/* closed is closed at once: a later request in the same batch, or
	 * one racing the protocol's release, gets EBADF */
	if (s == NULL || s->dead || s->released)
		return NULL;
	/* a prepared socket (a listener's stock, a child not yet accepted)
	 * is its listener's, not a descriptor the application was given:
	 * guessing its slot must not let it close or rebind it under the
	 * worker that holds it */
	if (s->app_fd >= 0)
		return NULL;
	return s;
}

static int run_request(struct rs_app *a, const struct rs_sreq *r, struct rs_scpl *c, int *app_fd)
{
	if (r->op == RS_SOP_SOCKET)
		return op_socket(a, r, app_fd);
	struct rs_sock *s = sock_of(a, r->sd);
	if (s == NULL)
		return -EBADF;
	switch (r->op) {
	case RS_SOP_BIND:
		return s->proto->bind ? s->proto->bind(s, &r->addr) : -EOPNOTSUPP;
	case RS_SOP_CONNECT:
		return s->proto->connect ? s->proto->connect(s, &r->addr) : -EOPNOTSUPP;
	case RS_SOP_LISTEN:
		return s->proto->listen ? s->proto->listen(s, r->a[0]) : -EOPNOTSUPP;
	case RS_SOP_ACCEPT:
		return op_accept(s, c, app_fd);
	case RS_SOP_SHUTDOWN:
		if (r->a[0] < SHUT_RD || r->a[0] > SHUT_RDWR)
			return -EINVAL;
		return s->proto->shutdown ? s->proto->shutdown(s, r->a[0]) : -EOPNOTSUPP;
	case RS_SOP_CLOSE:
		sock_close(s, false);
		return 0;
	case RS_SOP_SETSOCKOPT:
		return op_setsockopt(s, r);
	case RS_SOP_GETSOCKOPT:
		return op_getsockopt(s, r, c);
	case RS_SOP_GETSOCKNAME:
		fill_saddr(s, &c->addr, &s->laddr, s->bound ? s->lport : 0);
		return 0;
	case RS_SOP_GETPEERNAME:
		/* a stream socket whose connection is over (TIME-WAIT, or
		 * closed) has no peer: inet_getname on TCP_CLOSE */
		if (!s->connected || (s->proto->type == SOCK_STREAM &&
				      (atomic_load(&s->shm->state) & RS_SS_CLOSED)))
			return -ENOTCONN;
		fill_saddr(s, &c->addr, &s->raddr, s->rport);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

void sock_app_kicks(struct rs_app *a, unsigned n)
{
	for (unsigned i = 0; i < n && !a->detached && !atomic_load(&a->corrupt); i++) {
		/* read once into private memory; only the copy is used */
		struct rs_sreq r;
		struct shm_rec rec;
		struct iovec iov = { &r, sizeof(r) };
		ssize_t got = shm_rec_read(&a->req, NULL, 0, &iov, 1, &rec);
		if (got == -EAGAIN)
			break;
		if (got != (ssize_t)sizeof(r) || rec.len != sizeof(r) || rec.meta_len != 0) {
			atomic_store(&a->corrupt, 1); /* a malformed request: disconnect */
			break;
		}
		struct rs_scpl c;
		memset(&c, 0, sizeof(c));
		c.seq = r.seq;
		int fd = -1;
		c.ret = run_request(a, &r, &c, &fd);
		struct iovec ci = { &c, sizeof(c) };
		if (shm_rec_write(&a->cpl, NULL, 0, &ci, 1, 0) < 0) {
			atomic_store(&a->corrupt, 1);
			if (fd >= 0)
				close(fd);
			break;
		}
		kick(a, fd);
		if (fd >= 0)
			close(fd); /* the app has its copy; ours goes */
		if (r.op == RS_SOP_ACCEPT && c.ret >= 0) {
			/* the listener is still the one accept found (nothing
			 * ran in between) */
			struct rs_sock *ls = sock_of(a, r.sd);
			if (ls != NULL && ls->proto->accepted != NULL)
				ls->proto->accepted(ls);
		}
	}
}

/* ---- ringctl sock show ---- */

struct show_ctx {
	struct rs_buf *out;
	bool json;
};

static void show_one(void *arg, struct rs_sock *s)
{
	struct show_ctx *x = arg;
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], l[80], p[80];
	/* as ss: an AF_INET6 socket's IPv4 peers in their v4-mapped form */
	bool v6 = s->domain == AF_INET6;
	rs_ip_str(&s->laddr, la, sizeof(la));
	snprintf(l, sizeof(l), !rs_ip_is4(&s->laddr) ? "[%s]:%u" : v6 ? "[::ffff:%s]:%u" : "%s:%u",
		 la, s->bound ? s->lport : 0);
	if (s->connected) {
		rs_ip_str(&s->raddr, ra, sizeof(ra));
		snprintf(p, sizeof(p), !rs_ip_is4(&s->raddr) ? "[%s]:%u" : v6 ? "[::ffff:%s]:%u" : "%s:%u",
			 ra, s->rport);
	} else {
		snprintf(p, sizeof(p), "*:*");
	}
	long q = -1;
	if (s->rx.hdr != NULL) {
		ssize_t fr = shm_bytes_free(&s->rx); /* we are its producer */
		q = fr < 0 ? -1 : (long)s->rx.size - (long)fr;
	}
	uint32_t drops = atomic_load(&s->shm->rx_drops);
	if (x->json) {
		rs_json_obj_open(x->out);
		rs_json_kstr(x->out, "proto", s->proto->name);
		rs_json_kstr(x->out, "local", l);
		rs_json_kstr(x->out, "peer", p);
		rs_json_ki64(x->out, "recv_q", q);
		rs_json_ku64(x->out, "drops", drops);
		rs_json_ku64(x->out, "worker", atomic_load(&s->worker));
		rs_json_ku64(x->out, "pid", s->app->pid);
		rs_json_ku64(x->out, "uid", s->app->uid);
		rs_json_kstr(x->out, "program", s->app->name);
		if (s->proto->show)
			s->proto->show(s, x->out, true);
		rs_json_obj_close(x->out);
	} else {
		rs_buf_printf(x->out, "%-6s %-28s %-28s %8ld %8u %6u %10u %-16s", s->proto->name, l, p,
			      q, drops, (unsigned)atomic_load(&s->worker), s->app->pid, s->app->name);
		if (s->proto->show)
			s->proto->show(s, x->out, false);
		rs_buf_printf(x->out, "\n");
	}
}

void sock_show(struct rs_buf *out, bool json)
{
	struct show_ctx x = { out, json };
	if (json)
		rs_json_arr_open(out);
	else
		rs_buf_printf(out, "%-6s %-28s %-28s %8s %8s %6s %10s %-16s\n", "Netid", "Local",
			      "Peer", "Recv-Q", "Drops", "Worker", "pid", "program");
	sock_foreach(show_one, &x);
	if (json)
		rs_json_arr_close(out);
}

/* ---- the module ---- */

static int sock_module_init(void)
{
	return sock_init();
}

static int sock_worker_init(struct rs_worker *w)
{
	return sock_tx_worker_init(w);
}

static const char *const sock_nodes[] = { "sock_tx", "sock_handoff", "sock_handoff_rx", NULL };

static struct rs_module sock_module = {
	.name = "sock",
	.order = 60,
	.init = sock_module_init,
	.fini = sock_fini,
	.worker_init = sock_worker_init,
	.worker_fini = sock_tx_worker_fini,
	.nodes = sock_nodes,
};
RS_MODULE_REGISTER(sock_module);
