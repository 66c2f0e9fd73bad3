/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_input (RFC 768, RFC 1122 §4.1.3): length and checksum checks (a zero
 * checksum means none was sent), then delivery to the socket that
 * demultiplexing finds (lib/sock/sock_demux.h); with none the port is
 * closed: Port Unreachable (RFC 1122 §4.1.3.1), except for broadcasts.
 * A datagram for a socket another worker owns is handed to that worker
 * (sock_handoff): only the owner writes a socket's receive ring.
 * IPv6 (RFC 8200 §8.1) comes from ip6_local with m->l3_len the UDP
 * header's offset: a zero checksum is discarded, and a closed port gets
 * ICMPv6 Port Unreachable (RFC 4443 §3.1) unless sent to a multicast group.
 * Input: data at the IPv4 or IPv6 header. Consumes every packet.
 */
#include <rte_ip.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include "core/mbuf_util.h"
#include "core/node.h"
#include "icmp/icmp4.h"
#include "icmp/icmp6.h"
#include "wire/ip6_wire.h"
#include "sock/sock.h"
#include "sock/sock_mcast.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_HANDOFF,
	E_TRUNC,
	E_CSUM,
	E_PORT_UNREACH,
	E_RCVBUF,
	E_CORRUPT,
	E_OUTPUT6,
	E_MC_NO_SOCK,
	E_NB,
};

static uint8_t handoff_target;

RTE_INIT(udp_input_register)
{
	handoff_target = sock_handoff_target("udp_input");
}

/*
 * Copies the datagram into the socket's rx ring (one copy, mbuf -> ring)
 * and wakes the application only if it sleeps (one syscall then, none
 * otherwise). Borrows m: RS_EDGE_CONSUMED when delivered (m still the
 * caller's), else the drop edge. Everything in the ring header may have
 * been written by a hostile application: shm_rec_write checks it.
 */
static rte_edge_t deliver_copy(struct rs_sock *so, struct rte_mbuf *m, uint16_t hlen,
			       const struct udp_view *u)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	struct rs_ip from, to;
	struct rs_rx_meta meta = {
		.from = { .family = AF_INET, .port = udp_sport(u) },
		.iface = rs_priv(m)->iface,
		.tos = b[1],
		.ttl = b[8],
	};
	if (b[0] >> 4 == 6) {
		from = rs_ip_from6(ip6_src(b));
		to = rs_ip_from6(ip6_dst(b));
		meta.from.family = AF_INET6;
		/* a link-local peer is only reachable through this link */
		if (ip6_is_linklocal(from.b))
			meta.from.scope = (uint32_t)meta.iface + 1;
		meta.tos = ip6_tclass(b);
		meta.ttl = ip6_hop_limit(b);
		/* traffic class and flow label (IPV6_FLOWINFO), host order */
		meta.from.flowinfo = rs_ld32(b) & 0x0fffffffu;
	} else {
		from = rs_ip_from4(rs_ld32(b + 12));
		to = rs_ip_from4(rs_ld32(b + 16));
	}
	memcpy(meta.from.addr, from.b, 16);
	memcpy(meta.dst, to.b, 16);
	struct iovec iov[64];
	int n = 0;
	uint32_t off = (uint32_t)hlen + UDP_HLEN, left = u->len - UDP_HLEN;
	for (struct rte_mbuf *seg = m; seg != NULL && left > 0 && n < 64; seg = seg->next) {
		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		uint32_t take = seg->data_len - off;
		if (take > left)
			take = left;
		iov[n].iov_base = rte_pktmbuf_mtod_offset(seg, uint8_t *, off);
		iov[n].iov_len = take;
		n++;
		left -= take;
		off = 0;
	}
	if (left > 0)
		return E_RCVBUF; /* more segments than iovecs: not expected */
	/* SO_RCVBUF: Linux counts the datagram's memory; the ring's bytes here */
	ssize_t fr = shm_bytes_free(&so->rx);
	if (fr >= 0 && (int64_t)(so->rx.size - (uint32_t)fr) +
			       (int64_t)shm_rec_span(sizeof(meta), u->len - UDP_HLEN) > so->rcvbuf)
		goto full;
	int rc = shm_rec_write(&so->rx, &meta, sizeof(meta), iov, n, 0);
	if (rc == 0) {
		so->rx_dgrams++;
		sock_wake(so);
		return RS_EDGE_CONSUMED;
	}
	if (rc != -EAGAIN && rc != -EMSGSIZE) {
		sock_app_corrupt(so);
		return E_CORRUPT;
	}
full:;
	/* single writer (the owner): a load and a store, no RMW */
	uint32_t d = atomic_load_explicit(&so->shm->rx_drops, memory_order_relaxed);
	atomic_store_explicit(&so->shm->rx_drops, d + 1, memory_order_relaxed);
	return E_RCVBUF;
}

/* The same, consuming m when delivered. */
static rte_edge_t deliver(struct rs_sock *so, struct rte_mbuf *m, uint16_t hlen,
			  const struct udp_view *u)
{
	rte_edge_t e = deliver_copy(so, m, hlen, u);
	if (e == RS_EDGE_CONSUMED)
		rte_pktmbuf_free(m);
	return e;
}

/*
 * A datagram to a group the host listens to on the link it came in on
 * (ip6_input, ip4_input checked): every socket bound to the port, on the
 * wildcard or on the group, takes a copy if it accepts the group (its
 * memberships, IPV6_MULTICAST_ALL, IP_MULTICAST_ALL) and its bound device
 * matches, as Linux's __udp6_lib_mcast_deliver and
 * __udp4_lib_mcast_deliver. The sockets this worker owns get theirs here;
 * each other owner gets one hand-off copy, and delivers there to the
 * sockets it owns (RS_PF_MC_HANDED: no further hand-off). Consumes m.
 */
struct mc_walk {
	struct rs_worker *w;
	struct rte_mbuf *m;
	const struct udp_view *u;
	const struct rs_ip *group;
	uint16_t hlen, iface;
	bool handed;
	bool plain;       /* the socket demux pass: skip those met in the first */
	unsigned found;
	uint64_t others;  /* owners to hand a copy to */
};

static void mc_one(void *arg, void *sock)
{
	struct mc_walk *x = arg;
	struct rs_sock *so = sock;
	if ((x->plain && so->in_mc_demux) || so->connected ||
	    (so->bind_iface >= 0 && so->bind_iface != x->iface) ||
	    !sock_mc_accepts(so, x->group, x->iface))
		return;
	x->found++;
	uint16_t owner = atomic_load_explicit(&so->worker, memory_order_acquire);
	if (owner == x->w->idx)
		(void)deliver_copy(so, x->m, x->hlen, x->u); /* a full ring counts its drop */
	else if (!x->handed && owner < 64)
		x->others |= 1ull << owner;
}

static rte_edge_t mc_deliver(struct rs_worker *w, struct rte_graph *graph, struct rte_node *node,
			     struct rte_mbuf *m, uint16_t hlen, const struct udp_view *u,
			     const struct rs_ip *dst)
{
	struct rs_priv *p = rs_priv(m);
	struct mc_walk x = { .w = w, .m = m, .u = u, .group = dst, .hlen = hlen,
			     .iface = p->iface, .handed = (p->flags & RS_PF_MC_HANDED) != 0 };
	/* the sockets that joined groups (SO_REUSEADDR twins included),
	 * then through the socket demux those that joined none */
	struct rs_ip any = rs_ip_any(rs_ip_is4(dst) ? AF_INET : AF_INET6);
	uint16_t port = udp_dport(u);
	sock_mc_members(dst, port, IPPROTO_UDP_, mc_one, &x);
	sock_mc_members(&any, port, IPPROTO_UDP_, mc_one, &x);
	x.plain = true;
	struct sock_demux_key k = { .laddr = *dst, .lport = port, .proto = IPPROTO_UDP_ };
	sock_demux_members(sock_demux_tbl, &k, mc_one, &x);
	k.laddr = any;
	sock_demux_members(sock_demux_tbl, &k, mc_one, &x);
	if (x.found == 0)
		return E_MC_NO_SOCK; /* RFC 4443 §2.4 (e.3): no error about a multicast */
	for (unsigned o = 0; x.others != 0; o++, x.others >>= 1) {
		if (!(x.others & 1))
			continue;
		struct rte_mbuf *c = rte_pktmbuf_copy(m, rs_dp.pool, 0, UINT32_MAX);
		if (c == NULL)
			continue; /* no mbufs: that worker's sockets miss this one */
		struct rs_priv *cp = rs_priv(c);
		*cp = *p;
		cp->owner = (uint16_t)o;
		cp->inject = handoff_target;
		cp->flags |= RS_PF_L4_OK | RS_PF_MC_HANDED;
		c->l3_len = m->l3_len;
		rte_node_enqueue_x1(graph, node, E_HANDOFF, c);
	}
	rte_pktmbuf_free(m);
	return RS_EDGE_CONSUMED;
}

static uint16_t udp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		bool v6 = b[0] >> 4 == 6;
		uint16_t hlen = v6 ? (uint16_t)m->l3_len : (uint16_t)((b[0] & 0xf) * 4);
		struct udp_view u;
		rte_edge_t next;

		if (m->data_len < hlen + UDP_HLEN ||
		    udp_check(&u, b + hlen, m->pkt_len - hlen) < 0) {
			next = E_TRUNC;
			goto out;
		}
		/* checked once: a datagram handed over from another worker
		 * was checked there */
		if (v6 && !(p->flags & RS_PF_L4_OK) && udp_csum_field(&u) == 0) {
			/* RFC 8200 §8.1: a zero UDP checksum over IPv6 is discarded */
			next = E_CSUM;
			goto out;
		}
		if (!(p->flags & RS_PF_L4_OK) && udp_csum_field(&u) != 0) {
			uint16_t sum;
			if (rs_mbuf_csum(m, hlen, u.len, &sum) != 0) {
				next = E_TRUNC;
				goto out;
			}
			uint32_t s = (v6 ? rs_csum_pseudo6(ip6_src(b), ip6_dst(b), IPPROTO_UDP_, u.len)
					 : rs_csum_pseudo4(rs_ld32(b + 12), rs_ld32(b + 16),
							   IPPROTO_UDP_, u.len)) +
				     rte_be_to_cpu_16(sum); /* rte_raw_cksum sums in host order */
			if (rs_csum_fold(s) != 0) {
				next = E_CSUM;
				goto out;
			}
		}
		{
			struct rs_ip src, dst;
			if (v6) {
				src = rs_ip_from6(ip6_src(b));
				dst = rs_ip_from6(ip6_dst(b));
			} else {
				src = rs_ip_from4(rs_ld32(b + 12));
				dst = rs_ip_from4(rs_ld32(b + 16));
			}
			uint16_t sport = udp_sport(&u), dport = udp_dport(&u);
			if (v6 ? ip6_is_mcast(dst.b) : ip4_is_mcast(rs_ip_v4(&dst))) {
				next = mc_deliver(w, graph, node, m, hlen, &u, &dst);
				if (next == RS_EDGE_CONSUMED) {
					nexts[i] = next;
					continue;
				}
				goto out;
			}
			/* the flow's hash picks an SO_REUSEPORT member: every
			 * bit of the output depends on every input bit */
			uint32_t fh = src.w[3] ^ ((uint32_t)sport << 16 | dport);
			fh ^= fh >> 16;
			fh *= 0x85ebca6bu;
			fh ^= fh >> 13;
			fh *= 0xc2b2ae35u;
			fh ^= fh >> 16;
			struct rs_sock *so = sock_demux_lookup(sock_demux_tbl, IPPROTO_UDP_, &dst, dport,
							       &src, sport, fh);
			if (so != NULL && (so->bind_iface < 0 || so->bind_iface == p->iface)) {
				uint16_t owner = atomic_load_explicit(&so->worker, memory_order_acquire);
				if (owner != w->idx) {
					p->owner = owner;
					p->inject = handoff_target;
					p->flags |= RS_PF_L4_OK;
					next = E_HANDOFF;
					goto out;
				}
				next = deliver(so, m, hlen, &u);
				if (next == RS_EDGE_CONSUMED) {
					nexts[i] = next;
					continue;
				}
				goto out;
			}
		}
		if (v6) {
			struct rte_mbuf *e = icmp6_error_build(w, m, ICMP6_DST_UNREACH,
							       ICMP6_UNREACH_PORT, 0, false);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, E_OUTPUT6, e);
		} else if (!(p->flags & (RS_PF_L2_BCAST | RS_PF_LOCAL_BCAST))) {
			int why;
			struct rte_mbuf *e = icmp4_error_build(w, m, ICMP4_DEST_UNREACH,
							       ICMP4_UNREACH_PORT, 0, &why);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
		}
		next = E_PORT_UNREACH;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register udp_input_node = {
	.name = "udp_input",
	.process = udp_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_HANDOFF] = "sock_handoff",
		[E_TRUNC] = RS_DROP_NODE(udp_truncated),
		[E_CSUM] = RS_DROP_NODE(udp_bad_checksum),
		[E_PORT_UNREACH] = RS_DROP_NODE(udp_port_unreachable),
		[E_RCVBUF] = RS_DROP_NODE(udp_rcvbuf_full),
		[E_CORRUPT] = RS_DROP_NODE(sock_corrupt),
		[E_OUTPUT6] = "ip6_output",
		[E_MC_NO_SOCK] = RS_DROP_NODE(udp_mcast_no_socket),
	},
};
RTE_NODE_REGISTER(udp_input_node);
