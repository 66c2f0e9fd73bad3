/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP sockets (RFC 768): the protocol's operations for the socket layer
 * (lib/sock/sock.h). Control thread: bind, connect and close with Linux's
 * semantics (udp_lib_get_port, ip4_datagram_connect, __udp_disconnect).
 * Owner worker: udp_tx turns what the application queued into IPv4/UDP
 * datagrams (one copy, segment -> mbuf).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>

#include <rte_graph_worker.h>
#include <rte_ip.h>

#include "core/mbuf_util.h"
#include "core/dp.h"
#include "ip4/ip4.h"
#include "ip6/ip6_flowlabel.h"
#include "ip6/pmtu.h"
#include "ip6/rt6_out.h"
#include "route/rt4_out.h"
#include "sock/sock.h"
#include "sock/sock_int.h"
#include "sock/sock_mcast.h"
#include "udp/udp.h"
#include "wire/wire.h"

/* Rings: the receive ring holds the default SO_RCVBUF (212992 bytes of
 * datagrams, as Linux's rmem_default); a larger SO_RCVBUF is capped by it
 * (docs/divergences.md). The same for sending. */
#define UDP_RING (256 * 1024)

static int udp_init(struct rs_sock *s)
{
	return sock_rings_alloc(s, UDP_RING, UDP_RING);
}

/* Linux lets a UDP socket bind a local address, a broadcast address of
 * ours or 255.255.255.255 (to receive broadcasts). */
static bool bindable(const struct rs_ip *ip)
{
	if (!rs_ip_is4(ip))
		return false;
	uint32_t a = rs_ip_v4(ip);
	if (a == 0 || a == 0xffffffffu)
		return true;
	uint32_t nh = fib4_lookup(a);
	return nh != FIB4_NH_NONE &&
	       (fib4_nh(nh)->type == RT_LOCAL || fib4_nh(nh)->type == RT_BROADCAST);
}

/* inet6_bind's address checks (sock_bind6_check), and an IPv4-mapped
 * address as an AF_INET socket's unless IPV6_V6ONLY. */
static int bindable6(struct rs_sock *s, const struct rs_ip *ip, int oif)
{
	if (rs_ip_is4(ip))
		return s->v6only ? -EINVAL : bindable(ip) ? 0 : -EADDRNOTAVAIL;
	return sock_bind6_check(s, ip, oif);
}

static int udp_bind(struct rs_sock *s, const struct rs_saddr *a)
{
	struct rs_ip ip;
	int oif;
	int rc = sock_req_addr(s, a, &ip, &oif);
	if (rc < 0)
		return rc;
	if (s->bound)
		return -EINVAL;
	if (s->domain == AF_INET6) {
		if ((rc = bindable6(s, &ip, oif)) < 0)
			return rc;
	} else if (!bindable(&ip)) {
		return -EADDRNOTAVAIL;
	}
	rc = sock_port_take(s, &ip, a->port, 0, NULL, NULL);
	if (rc < 0)
		return rc; /* EADDRINUSE: taken; EAGAIN: no ephemeral port left */
	s->laddr = ip;
	s->bound = true;
	s->port_implicit = a->port == 0; /* __udp_disconnect gives it up (conf_diff) */
	rc = sock_rekey(s);
	if (rc < 0) {
		sock_port_drop(s);
		s->bound = false;
		s->laddr = rs_ip_any(s->domain);
		return rc == -EEXIST ? -EADDRINUSE : rc;
	}
	return 0;
}

/* An implicit bind (inet_dgram_connect binds an unbound socket first; a
 * connect that fails later leaves it bound, as on Linux). */
static int autobind(struct rs_sock *s)
{
	if (s->bound)
		return 0;
	int rc = sock_port_take(s, &s->laddr, 0, 0, NULL, NULL);
	if (rc < 0)
		return rc;
	s->bound = true;
	s->port_implicit = true;
	return sock_rekey(s);
}

/* ip6_datagram_connect for an IPv6 peer. */
static int udp_connect6(struct rs_sock *s, const struct rs_saddr *a, struct rs_ip *ip, int oif)
{
	/* connect to :: means the loopback address (Linux) */
	if (rs_ip_is_any(ip))
		ip->b[15] = 1;
	if (!rs_ip_is_any(&s->laddr) && rs_ip_is4(&s->laddr))
		return -EAFNOSUPPORT;
	if (oif < 0)
		oif = s->bind_iface;
	else if (s->bind_iface >= 0 && s->bind_iface != oif)
		return -EINVAL;
	/* ip6_datagram_connect: a group's link is IPV6_MULTICAST_IF's when
	 * nothing else names one; only a link-scope address needs one */
	bool mc = ip6_is_mcast(ip->b);
	bool link_scope = ip6_is_linklocal(ip->b) || (mc && ip6_mcast_scope(ip->b) <= 2);
	if (mc && oif < 0)
		oif = s->mc_oif;
	if (link_scope && oif < 0)
		return -EINVAL;
	if (mc && oif < 0)
		oif = sock_mc_default_iface(rs_cfg_current());
	int rc = autobind(s);
	if (rc < 0)
		return rc;
	struct rt6_out r;
	rc = rt6_output(rs_cfg_current(), ip->b, rt4_flow_hash(ip->w[3], IPPROTO_UDP_,
				(uint32_t)s->lport << 16 | a->port), oif, &r);
	if (rc < 0)
		return rc == -EINVAL || rc == -EADDRNOTAVAIL ? rc : -ENETUNREACH;
	if (rs_ip_is_any(&s->laddr)) {
		memcpy(s->laddr.b, r.src, 16);
		s->lip_implicit = true;
		sock_ports_set_addr(sock_ports_tbl, IPPROTO_UDP, s->lport, s, &s->laddr);
	}
	if (link_scope)
		s->bind_iface = oif; /* Linux: sk_bound_dev_if follows the scope */
	s->raddr = *ip;
	s->rport = a->port;
	s->connected = true;
	rc = sock_rekey(s);
	if (rc < 0)
		return rc;
	sock_set_owner(s, sock_flow_worker(&s->raddr, s->rport, &s->laddr, s->lport));
	return 0;
}

static int udp_connect(struct rs_sock *s, const struct rs_saddr *a)
{
	if (a->family == AF_UNSPEC) {
		/* disconnect (Linux keeps an explicit bind, drops an implicit
		 * address, and unbinds a port connect chose) */
		s->connected = false;
		s->raddr = (struct rs_ip){ { { 0 } } };
		s->rport = 0;
		if (s->lip_implicit) {
			s->laddr = rs_ip_any(s->domain);
			s->lip_implicit = false;
			if (s->in_ports)
				sock_ports_set_addr(sock_ports_tbl, IPPROTO_UDP, s->lport, s, &s->laddr);
		}
		if (s->port_implicit) {
			sock_port_drop(s);
			s->bound = false;
			s->lport = 0;
			s->port_implicit = false;
		}
		return sock_rekey(s);
	}
	struct rs_ip ip;
	int oif;
	int rc = sock_req_addr(s, a, &ip, &oif);
	if (rc < 0)
		return rc;
	if (a->port == 0)
		return -ECONNREFUSED; /* Linux: connect to port 0 fails on first use */
	if (s->domain == AF_INET6 && rs_ip_is4(&ip) && s->v6only)
		return -ENETUNREACH; /* ip6_datagram_connect */
	if (s->domain == AF_INET6 && !rs_ip_is4(&ip))
		return udp_connect6(s, a, &ip, oif);
	if (!rs_ip_is_any(&s->laddr) && !rs_ip_is4(&s->laddr))
		return -ENETUNREACH; /* an IPv6 local address: no IPv4 route from it */
	uint32_t dst = rs_ip_v4(&ip);
	/* inet_dgram_connect binds an unbound socket first (and a connect that
	 * fails below leaves it bound, as on Linux) */
	if (!s->bound) {
		rc = sock_port_take(s, &s->laddr, 0, 0, NULL, NULL);
		if (rc < 0)
			return rc;
		s->bound = true;
		s->port_implicit = true;
		rc = sock_rekey(s);
		if (rc < 0)
			return rc;
	}
	/* ip4_datagram_connect: the route the socket's datagrams will take
	 * (the same flow hash as udp_tx's, so an ECMP choice agrees with the
	 * source address fixed here); a broadcast peer needs SO_BROADCAST */
	struct rt4_out r;
	rc = rt4_output(rs_cfg_current(), dst,
			rt4_flow_hash(dst, IPPROTO_UDP_, (uint32_t)s->lport << 16 | a->port),
			s->bind_iface, &r);
	if (rc < 0)
		return rc == -EINVAL ? -EINVAL : -ENETUNREACH;
	if (r.type == RT_BROADCAST && !s->broadcast)
		return -EACCES;
	/* Linux fixes the local address to the route's source when the
	 * socket has none */
	if (rs_ip_is_any(&s->laddr) && r.src != 0) {
		s->laddr = rs_ip_from4(r.src);
		s->lip_implicit = true;
		/* the port table follows, as Linux rehashes the socket */
		sock_ports_set_addr(sock_ports_tbl, IPPROTO_UDP, s->lport, s, &s->laddr);
	}
	s->raddr = ip;
	s->rport = a->port;
	s->connected = true;
	rc = sock_rekey(s);
	if (rc < 0)
		return rc;
	/* a connected socket lives on its flow's worker: the one RSS (or
	 * the software hash) brings its datagrams to */
	sock_set_owner(s, sock_flow_worker(&s->raddr, s->rport, &s->laddr, s->lport));
	return 0;
}

static void udp_close(struct rs_sock *s, bool dead_app)
{
	(void)dead_app;
	s->bound = s->connected = false;
	sock_release(s);
}

static void udp_show(const struct rs_sock *s, struct rs_buf *out, bool json)
{
	if (json) {
		rs_json_ku64(out, "rx_dgrams", s->rx_dgrams);
		rs_json_ku64(out, "tx_dgrams", s->tx_dgrams);
	}
}

/* ---- transmit (owner worker) ---- */

#define MAX_SEGS 40 /* 65507 bytes in 2 KiB segments */

/*
 * Reads one datagram from s's tx ring into a new mbuf chain with room for
 * the headers in front. The record's header is peeked to size the chain,
 * then the record is read (and validated) once by shm_rec_read: its
 * lengths must equal what the peek saw, or the datagram is dropped — an
 * application that rewrites a record while we read it gets it dropped,
 * never a chain whose lengths disagree. NULL when the ring is empty
 * (*st = 0), on a bad record (*st = 1, consumed) or with no mbufs
 * (*st = 2, left in the ring).
 */
static struct rte_mbuf *read_dgram(struct rs_sock *s, struct rs_tx_meta *meta, int *st)
{
	struct shm_rec rec;
	int rc = shm_rec_peek(&s->tx, &rec);
	*st = 0;
	if (rc == -EAGAIN)
		return NULL;
	if (rc < 0) {
		sock_app_corrupt(s);
		return NULL;
	}
	uint32_t len = rec.len;
	if (rec.meta_len != sizeof(*meta) || len > UDP_MAX_PAYLOAD4) {
		if (shm_rec_skip(&s->tx) < 0)
			sock_app_corrupt(s);
		*st = 1;
		return NULL;
	}
	struct rte_mbuf *segs[MAX_SEGS];
	struct iovec iov[MAX_SEGS];
	unsigned n = 0;
	uint32_t left = len;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
		if (m == NULL) {
			rte_pktmbuf_free_bulk(segs, n);
			*st = 2;
			return NULL;
		}
		/* the first segment keeps its headroom for the headers */
		uint16_t room = rte_pktmbuf_tailroom(m);
		uint16_t take = left < room ? (uint16_t)left : room;
		iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[n].iov_len = take;
		m->data_len = take;
		segs[n++] = m;
		left -= take;
	} while (left > 0 && n < MAX_SEGS);
	struct shm_rec got_rec;
	ssize_t got = shm_rec_read(&s->tx, meta, sizeof(*meta), iov, (int)n, &got_rec);
	if (got < 0 || (uint32_t)got != len || got_rec.len != len ||
	    got_rec.meta_len != sizeof(*meta)) {
		rte_pktmbuf_free_bulk(segs, n);
		if (got < 0)
			sock_app_corrupt(s);
		*st = 1;
		return NULL;
	}
	struct rte_mbuf *head = segs[0];
	head->pkt_len = len;
	head->nb_segs = (uint16_t)n;
	for (unsigned i = 1; i < n; i++)
		segs[i - 1]->next = segs[i];
	return head;
}

/* What build asks udp_tx to do, besides -errno: 0, 1 to 4 as build6
 * says, 5 and 6 for an IPv4 group with a loopback copy. */
enum {
	BUILD_4 = 0,           /* an IPv4 packet to ip4_output */
	BUILD_NOTHING = 4,     /* neither sent nor looped */
	BUILD_4_LOOP = 5,      /* to ip4_output and a copy to ip4_local */
	BUILD_4_LOOP_ONLY = 6, /* the copy only (TTL 0) */
};

/* Turns a datagram into an IPv4/UDP packet for ip4_output: 0 or -errno
 * (the socket's SO_ERROR, as Linux's udp_sendmsg would return it). meta
 * is the application's: every field is checked. */
/* An AF_INET6 socket's datagram to an IPv6 peer: an IPv6/UDP packet for
 * ip6_output (udpv6_sendmsg). -errno, or 1: send it; 2: send it and loop
 * a copy back to our listeners; 3: the loopback copy only (an
 * interface-local group); 4: nothing (interface-local, no listener). */
static int build6(struct rs_worker *w, struct rs_sock *s, struct rte_mbuf *m,
		  const struct rs_tx_meta *meta, const struct rs_ip *dst, uint16_t dport,
		  uint32_t scope)
{
	if (meta->ttl < -1 || meta->ttl > 255 || meta->tos < -1 || meta->tos > 255)
		return -EINVAL; /* ip6_datagram_send_ctl's checks */
	/* udpv6_sendmsg's order: the scope id, IPV6_PKTINFO, the bound
	 * device, then for a group IPV6_MULTICAST_IF, else its route */
	bool mc = ip6_is_mcast(dst->b);
	int oif = -1;
	if (scope != 0 && (ip6_is_linklocal(dst->b) || mc))
		oif = scope - 1 < RS_MAX_IFACES ? (int)scope - 1 : RS_MAX_IFACES;
	if (meta->ifindex > 0)
		oif = meta->ifindex - 1 < RS_MAX_IFACES ? meta->ifindex - 1 : RS_MAX_IFACES;
	if (oif < 0)
		oif = s->bind_iface;
	if (oif < 0 && mc)
		oif = s->mc_oif >= 0 ? s->mc_oif : sock_mc_default_iface(w->cfg);
	if (oif >= RS_MAX_IFACES)
		return -ENODEV;
	uint16_t sport = s->lport;
	struct rt6_out r;
	int rc = rt6_output(w->cfg, dst->b, rt4_flow_hash(dst->w[3], IPPROTO_UDP_,
				(uint32_t)sport << 16 | dport), oif, &r);
	if (rc < 0)
		return rc;
	struct rs_ip srcip;
	memcpy(srcip.b, meta->src, 16);
	const uint8_t *src;
	uint16_t ifi;
	if (!rs_ip_is_any(&srcip) && !rs_ip_is4(&srcip)) {
		/* IPV6_PKTINFO may only pick one of our addresses: never spoof */
		if (!rt6_addr_local(w->cfg, srcip.b, r.iface, &ifi))
			return -EINVAL;
		src = meta->src;
	} else if (!rs_ip_is_any(&srcip)) {
		return -EINVAL;
	} else if (!rs_ip_is_any(&s->laddr) && !rs_ip_is4(&s->laddr) &&
		   !ip6_is_mcast(s->laddr.b)) {
		src = s->laddr.b;
	} else {
		src = r.src;
	}
	uint32_t ulen = m->pkt_len + UDP_HLEN;
	if (ulen > 65535)
		return -EMSGSIZE;
	/* __ip6_append_data: IPV6_PMTUDISC_PROBE and above use the link's
	 * MTU, the rest the path's; IPV6_MTU lowers it; with IPV6_DONTFRAG,
	 * or a mode that does not let the stack fragment (DO, PROBE,
	 * INTERFACE), a datagram larger fails with EMSGSIZE */
	bool no_pmtu = s->pmtudisc6 >= IPV6_PMTUDISC_PROBE;
	if (r.type != RT_LOCAL) {
		const struct rs_iface *ifc = &w->cfg->ifaces[r.iface];
		uint32_t mtu = no_pmtu ? ifc->mtu : pmtu_for6(ifc, dst->b, w->now_ns);
		if (s->mtu6 != 0 && s->mtu6 < mtu)
			mtu = s->mtu6;
		bool may_frag = s->pmtudisc6 < IPV6_PMTUDISC_DO || s->pmtudisc6 == IPV6_PMTUDISC_OMIT;
		if ((s->dontfrag6 || !may_frag) && IP6_HLEN + ulen > mtu)
			return -EMSGSIZE;
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, IP6_HLEN + UDP_HLEN);
	if (h == NULL)
		return -EMSGSIZE;
	uint8_t *u = h + IP6_HLEN;
	rs_st16(u, sport);
	rs_st16(u + 2, dport);
	rs_st16(u + 4, (uint16_t)ulen);
	rs_st16(u + 6, 0);
	uint16_t sum = 0;
	if (rs_mbuf_csum(m, IP6_HLEN, ulen, &sum) != 0)
		return -EMSGSIZE;
	uint16_t ck = rs_csum_fold(rs_csum_pseudo6(src, dst->b, IPPROTO_UDP_, ulen) +
				   rte_be_to_cpu_16(sum));
	rs_st16(u + 6, ck ? ck : 0xffff); /* RFC 8200 §8.1: zero is never sent */
	int hl = meta->ttl >= 0 ? meta->ttl
		 : mc ? (s->mc_hops >= 0 ? s->mc_hops : 1) /* IPV6_DEFAULT_MCASTHOPS */
		 : s->hops >= 0 ? s->hops : IP6_DEFAULT_HLIM;
	int tc = meta->tos >= 0 ? meta->tos : s->tclass >= 0 ? s->tclass : 0;
	uint8_t srcb[16];
	memcpy(srcb, src, 16); /* src may point into the configuration */
	ip6_write(h, (uint8_t)tc, ip6_flowlabel(srcb, dst->b, IPPROTO_UDP_, sport, dport),
		  (uint16_t)ulen, IPPROTO_UDP_, (uint8_t)hl, srcb, dst->b);
	struct rs_priv *p = rs_priv(m);
	p->flags = ip6_is_linklocal(dst->b) || mc ? RS_PF_IFACE_SET : 0;
	if (no_pmtu)
		p->flags |= RS_PF_NO_PMTU;
	p->iface = r.iface;
	p->nh = r.nh;
	/* ip6_finish_output2: a copy for our own listeners when the link
	 * listens to the group and IPV6_MULTICAST_LOOP is on */
	if (mc && s->mc_loop && sock_mc_host_joined(r.iface, dst))
		return ip6_mcast_scope(dst->b) <= 1 ? 3 : 2;
	/* ip6_finish_output2: interface-local scope never leaves the node */
	if (mc && ip6_mcast_scope(dst->b) <= 1)
		return 4;
	return 1;
}

static int build(struct rs_worker *w, struct rs_sock *s, struct rte_mbuf *m,
		 const struct rs_tx_meta *meta)
{
	uint32_t dst;
	uint16_t dport;
	if (s->domain == AF_INET6 && (meta->to.family == AF_INET6 ||
				      (meta->to.family == AF_UNSPEC && s->connected))) {
		struct rs_ip ip = s->raddr;
		uint16_t port = s->rport;
		uint32_t scope = 0;
		if (meta->to.family == AF_INET6) {
			memcpy(ip.b, meta->to.addr, 16);
			port = meta->to.port;
			scope = meta->to.scope;
			/* udpv6_sendmsg: :: is the loopback address */
			if (rs_ip_is_any(&ip))
				ip.b[15] = 1;
		}
		if (port == 0)
			return -EINVAL;
		if (!rs_ip_is4(&ip)) {
			if (!rs_ip_is_any(&s->laddr) && rs_ip_is4(&s->laddr))
				return -ENETUNREACH;
			return build6(w, s, m, meta, &ip, port, scope);
		}
		if (s->v6only)
			return -ENETUNREACH; /* an IPv4-mapped peer */
		if (!rs_ip_is_any(&s->laddr) && !rs_ip_is4(&s->laddr))
			return -ENETUNREACH;
		dst = rs_ip_v4(&ip);
		dport = port;
	} else if (meta->to.family == AF_INET) {
		struct rs_ip ip;
		memcpy(ip.b, meta->to.addr, 16);
		if (!rs_ip_is4(&ip))
			return -EINVAL;
		dst = rs_ip_v4(&ip);
		dport = meta->to.port;
	} else if (meta->to.family == AF_UNSPEC && s->connected) {
		if (!rs_ip_is4(&s->raddr))
			return -EAFNOSUPPORT;
		dst = rs_ip_v4(&s->raddr);
		dport = s->rport;
	} else if (meta->to.family == AF_UNSPEC) {
		return -EDESTADDRREQ;
	} else {
		return -EAFNOSUPPORT;
	}
	if (dport == 0)
		return -EINVAL;
	if (meta->ttl < -1 || meta->ttl == 0 || meta->ttl > 255 || meta->tos < -1 ||
	    meta->tos > 255)
		return -EINVAL; /* Linux's ip_cmsg_send checks */
	int bind_iface = s->bind_iface;
	if (meta->ifindex > 0)
		bind_iface = meta->ifindex - 1 < RS_MAX_IFACES ? meta->ifindex - 1 : RS_MAX_IFACES;
	uint16_t sport = s->lport;
	struct rt4_out r;
	bool mc = ip4_is_mcast(dst);
	/* udp_sendmsg: a group goes out of the bound device or IP_PKTINFO's,
	 * else IP_MULTICAST_IF's, else the group's route */
	if (mc && bind_iface < 0)
		bind_iface = s->mc4_oif;
	if (mc && bind_iface >= 0 && bind_iface < RS_MAX_IFACES) {
		const struct rs_iface *ifc = &w->cfg->ifaces[bind_iface];
		if (!ifc->present || !ifc->up)
			return -ENETUNREACH;
		r = (struct rt4_out){ .type = RT_UNICAST, .iface = (uint16_t)bind_iface,
				      .nh_ip = dst, .src = rs_iface_src_for(ifc, dst) };
	} else {
		int rc = rt4_output(w->cfg, dst,
				    rt4_flow_hash(dst, IPPROTO_UDP_, (uint32_t)sport << 16 | dport),
				    bind_iface >= RS_MAX_IFACES ? -1 : bind_iface, &r);
		if (rc < 0)
			return rc;
	}
	if (r.type == RT_BROADCAST && !s->broadcast)
		return -EACCES; /* Linux: broadcast needs SO_BROADCAST */
	struct rs_ip srcip;
	memcpy(srcip.b, meta->src, 16);
	uint32_t src;
	if (!rs_ip_is_any(&srcip)) {
		/* IP_PKTINFO may only pick one of our addresses: never spoof */
		if (!rs_ip_is4(&srcip))
			return -EINVAL;
		src = rs_ip_v4(&srcip);
		uint32_t snh = fib4_lookup(src);
		if (snh == FIB4_NH_NONE || fib4_nh(snh)->type != RT_LOCAL)
			return -EINVAL;
	} else if (!rs_ip_is_any(&s->laddr) && rs_ip_v4(&s->laddr) != 0xffffffffu &&
		   !ip4_is_mcast(rs_ip_v4(&s->laddr))) {
		/* bound to a group or to broadcast: the device's (inet_bind) */
		src = rs_ip_v4(&s->laddr);
	} else if (mc && s->mc4_addr != 0) {
		src = s->mc4_addr; /* IP_MULTICAST_IF's address */
	} else {
		src = r.src;
	}
	uint32_t ulen = m->pkt_len + UDP_HLEN;
	if (ulen > 65535 - IP4_HLEN)
		return -EMSGSIZE;
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, IP4_HLEN + UDP_HLEN);
	if (h == NULL)
		return -EMSGSIZE;
	uint8_t *u = h + IP4_HLEN;
	rs_st16(u, sport);
	rs_st16(u + 2, dport);
	rs_st16(u + 4, (uint16_t)ulen);
	rs_st16(u + 6, 0);
	uint16_t sum = 0;
	if (rs_mbuf_csum(m, IP4_HLEN, ulen, &sum) != 0)
		return -EMSGSIZE;
	uint16_t ck = rs_csum_fold(rs_csum_pseudo4(src, dst, IPPROTO_UDP_, (uint16_t)ulen) +
				   rte_be_to_cpu_16(sum));
	rs_st16(u + 6, ck ? ck : 0xffff); /* RFC 768: 0 means "no checksum" */
	int ttl = meta->ttl >= 0 ? meta->ttl : mc ? s->mc4_ttl : s->ttl >= 0 ? s->ttl : 64;
	int tos = meta->tos >= 0 ? meta->tos : s->tos >= 0 ? s->tos : 0;
	/* Linux sets DF on UDP only with IP_PMTUDISC_DO; never by default */
	ip4_write(h, (uint8_t)tos, (uint16_t)(IP4_HLEN + ulen), ip4_next_id(w), 0, (uint8_t)ttl,
		  IPPROTO_UDP_, src, dst);
	struct rs_priv *p = rs_priv(m);
	p->flags = (r.l2_bcast && ip4_is_bcast_all(dst)) || mc ? RS_PF_IFACE_SET : 0;
	p->iface = r.iface;
	p->nh_ip = 0;
	if (!mc)
		return BUILD_4;
	/* ip_mc_output: a copy for our own listeners when the link listens
	 * to the group and IP_MULTICAST_LOOP is on; TTL 0 never leaves */
	struct rs_ip g = rs_ip_from4(dst);
	if (s->mc4_loop && sock_mc_host_joined(r.iface, &g))
		return ttl == 0 ? BUILD_4_LOOP_ONLY : BUILD_4_LOOP;
	return ttl == 0 ? BUILD_NOTHING : BUILD_4;
}

/* A copy of IPv4 multicast m for this host's sockets, into ip4_local as
 * if it had arrived on its egress link (RS_PF_LOOPBACK: it never left). */
static void loop4(struct rte_graph *g, struct rte_node *node, struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, rs_dp.pool, 0, UINT32_MAX);
	if (c == NULL)
		return; /* as a lost loopback skb: the wire copy still goes */
	struct rs_priv *cp = rs_priv(c);
	cp->flags = RS_PF_LOOPBACK | RS_PF_LOCAL_BCAST;
	cp->iface = rs_priv(m)->iface;
	cp->nh_ip = 0;
	rte_node_enqueue_x1(g, node, SOCK_TX_E_IP4_LOCAL, c);
}

/* A copy of multicast m for this host's sockets, entering ip6_local as
 * if it had arrived on its egress link (RS_PF_LOOPBACK: it never left). */
static void loop6(struct rte_graph *g, struct rte_node *node, struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, rs_dp.pool, 0, UINT32_MAX);
	if (c == NULL)
		return; /* as a lost loopback skb: the wire copy still goes */
	struct rs_priv *cp = rs_priv(c);
	cp->flags = RS_PF_LOOPBACK | RS_PF_LOCAL_BCAST;
	cp->iface = rs_priv(m)->iface;
	cp->nh = FIB6_NH_NONE;
	rte_node_enqueue_x1(g, node, SOCK_TX_E_IP6_LOCAL, c);
}

static uint32_t udp_tx(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		       struct rs_sock *s, uint32_t budget, bool *more)
{
	uint32_t took = 0;
	*more = false;
	for (int pass = 0; pass < 2; pass++) {
		while (took < budget) {
			struct rs_tx_meta meta;
			int st;
			struct rte_mbuf *m = read_dgram(s, &meta, &st);
			if (m == NULL) {
				if (st == 0)
					break;
				if (st == 2) { /* no mbufs: try again next walk */
					*more = true;
					return took;
				}
				took += 64;
				continue; /* a bad record: consumed, counted by the ring */
			}
			took += m->pkt_len + 64;
			int rc = build(w, s, m, &meta);
			s->tx_dgrams++;
			if (rc < 0) {
				sock_set_error(s, -rc);
				rte_node_enqueue_x1(g, node, SOCK_TX_E_BAD, m);
			} else if (rc == BUILD_4_LOOP || rc == BUILD_4_LOOP_ONLY) {
				loop4(g, node, m);
				if (rc == BUILD_4_LOOP)
					rte_node_enqueue_x1(g, node, SOCK_TX_E_IP4, m);
				else
					rte_pktmbuf_free(m);
			} else if (rc >= 1) {
				/* 2: a loopback copy too; 3: the copy only; 4: nothing */
				if (rc == 2 || rc == 3)
					loop6(g, node, m);
				if (rc <= 2)
					rte_node_enqueue_x1(g, node, SOCK_TX_E_IP6, m);
				else
					rte_pktmbuf_free(m);
			} else {
				rte_node_enqueue_x1(g, node, SOCK_TX_E_IP4, m);
			}
		}
		if (took >= budget) {
			*more = true;
			return took;
		}
		/* disarm, then look once more: a datagram written just before
		 * the app saw tx_armed == 0 has no doorbell of its own (the
		 * seq_cst store is a full barrier before the re-read) */
		atomic_store_explicit(&s->shm->tx_armed, 0, memory_order_seq_cst);
	}
	return took;
}

const struct sock_proto udp_proto = {
	.name = "udp",
	.type = SOCK_DGRAM,
	.ipproto = IPPROTO_UDP,
	.stream = false,
	.init = udp_init,
	.bind = udp_bind,
	.connect = udp_connect,
	.close = udp_close,
	.tx = udp_tx,
	.show = udp_show,
};

RTE_INIT(udp_proto_register)
{
	sock_proto_register(&udp_proto);
}
