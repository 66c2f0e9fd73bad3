/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp6_input: ICMPv6 for us (RFC 4443) and Neighbor Discovery (RFC 4861).
 *  - Echo Request: answered in place (§4.2), also when sent to a group we
 *    listen to (as Linux: icmpv6_echo_ignore_multicast 0).
 *  - Neighbor Solicitation for a usable address of the receiving link:
 *    answered with a Neighbor Advertisement in place (§7.2.4); the sender's
 *    link-layer address goes to the neighbour table (§7.2.3). One for a
 *    tentative address of ours from :: is a DAD conflict (RFC 4862 §5.4.3).
 *  - Neighbor Advertisement: to the neighbour table (§7.2.5); one for a
 *    tentative address of ours is a DAD conflict (RFC 4862 §5.4.4).
 *  - Redirect: validated (§8.1) and never acted on: a router must not,
 *    and as a host ringstack behaves as Linux with accept_redirects 0. A
 *    valid one is counted as nd_redirect_ignored, an invalid one as
 *    nd_bad or nd_hlim.
 *  - MLD Query: the control thread reports our groups (RFC 3810 §6.2).
 *  - Errors (§3) about a datagram of a connected UDP socket: its next call
 *    fails with the errno Linux's icmpv6_err_convert gives, when Linux
 *    reports it without IPV6_RECVERR (a "fatal" error, or Packet Too Big
 *    under the default IPV6_PMTUDISC_WANT). Errors about a TCP segment go
 *    to the connection's owner worker (sock_handoff) and its engine
 *    (tcp_icmp: RFC 8201 Packet Too Big, RFC 5927 checks).
 * Every ND message is validated first (§7.1): Hop Limit 255 (it was not
 * forwarded), code 0, length, options, target not multicast.
 * Input: data at the IPv6 header, m->l3_len the ICMPv6 offset. Consumes
 * every packet.
 */
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "arp/neigh.h"
#include "arp/neigh_ctl.h"
#include "core/mbuf_util.h"
#include "core/node.h"
#include "ip6/ip6.h"
#include "ip6/nd.h"
#include "ip6/pmtu.h"
#include "ip6/rt6_out.h"
#include "ip6/ra.h"
#include "route/fib6.h"
#include "sock/sock.h"
#include "wire/ip6_wire.h"

enum {
	E_OUTPUT,
	E_HANDOFF,
	E_TX,
	E_TRUNC,
	E_CSUM,
	E_UNHANDLED,
	E_ND_BAD,
	E_ND_HLIM,
	E_ND_NOT_FOR_US,
	E_ND_DAD,
	E_ND_REDIRECT,
	E_RING_FULL,
	E_NB,
};

static bool post_nd(struct rs_worker *w, uint16_t iface, const uint8_t *ip, const uint8_t *mac,
		    enum neigh_src src)
{
	struct rs_msg msg = { .type = neigh_msg_nd, .iface = iface };
	memcpy(msg.data, ip, 16);
	memcpy(msg.data + 16, mac, 6);
	msg.data[22] = (uint8_t)src;
	return rs_msg_post(w, &msg) == 0;
}

static void post_dad_conflict(struct rs_worker *w, uint16_t iface, const uint8_t *ip)
{
	struct rs_msg msg = { .type = nd_msg_dad_conflict, .iface = iface };
	memcpy(msg.data, ip, 16);
	rs_msg_post(w, &msg);
}

/* The folded, complemented ICMPv6 checksum over m from off (len bytes)
 * with the pseudo-header: 0 when a received message verifies; the value to
 * store when the field was zeroed first. */
static uint16_t csum6_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len,
			   const uint8_t *src, const uint8_t *dst)
{
	uint32_t s = rs_csum_pseudo6(src, dst, IPPROTO_ICMPV6_, len);
	if (m->nb_segs == 1)
		return rs_csum_fold(rs_csum_add(s, rte_pktmbuf_mtod_offset(m, const uint8_t *, off),
						len));
	uint16_t raw;
	if (rte_raw_cksum_mbuf(m, off, len, &raw) != 0)
		return 0xffff;
	/* DPDK sums native (little-endian) words: swapped, it is ours */
	return rs_csum_fold(s + rte_bswap16(raw));
}

static void csum6(uint8_t *ip6, uint8_t *ic, uint32_t len)
{
	rs_st16(ic + 2, 0);
	uint32_t s = rs_csum_pseudo6(ip6_src(ip6), ip6_dst(ip6), IPPROTO_ICMPV6_, len);
	rs_st16(ic + 2, rs_csum_fold(rs_csum_add(s, ic, len)));
}

/* RFC 4861 §7.2.4: the advertisement answering NS m (single segment),
 * rewritten in place; E_TX with the Ethernet header when the link-layer
 * destination is known, else E_OUTPUT. */
static rte_edge_t na_reply(const struct rs_iface *ifc, struct rs_priv *p, struct rte_mbuf *m,
			   const uint8_t *target, const uint8_t *slla)
{
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t dst[16], tgt[16], mac[6];
	bool to_all = ip6_is_unspec(ip6_src(b));
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	memcpy(dst, to_all ? all_nodes : ip6_src(b), 16);
	memcpy(tgt, target, 16);
	const uint16_t len = ND_NA_LEN + 8;
	if (m->nb_segs != 1 || rte_pktmbuf_data_room_size(m->pool) < m->data_off + IP6_HLEN + len)
		return E_ND_BAD;
	m->data_len = m->pkt_len = IP6_HLEN + len;
	ip6_write(b, 0, 0, len, IPPROTO_ICMPV6_, 255, tgt, dst);
	uint8_t *ic = b + IP6_HLEN;
	memset(ic, 0, len);
	ic[0] = ND_NEIGHBOR_ADVERT;
	ic[4] = (uint8_t)((ifc->forwarding ? ND_NA_ROUTER : 0) | ND_NA_OVERRIDE |
			  (to_all ? 0 : ND_NA_SOLICITED));
	memcpy(ic + 8, tgt, 16);
	ic[24] = ND_OPT_TGT_LLADDR;
	ic[25] = 1;
	memcpy(ic + 26, ifc->mac.addr_bytes, 6);
	csum6(b, ic, len);
	if (to_all || slla != NULL) {
		if (to_all)
			ip6_mcast_mac(mac, dst);
		else
			memcpy(mac, slla, 6);
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
		if (h == NULL)
			return E_ND_BAD;
		eth_write(h, mac, ifc->mac.addr_bytes, ETH_P_IPV6);
		m->port = p->iface;
		return E_TX;
	}
	p->flags = RS_PF_IFACE_SET;
	p->nh = FIB6_NH_NONE;
	return E_OUTPUT;
}

static rte_edge_t nd_input(struct rs_worker *w, const struct rs_iface *ifc, struct rs_priv *p,
			   struct rte_mbuf *m, const uint8_t *b, const uint8_t *ic, uint32_t len)
{
	/* RFC 4861 §7.1.1, §7.1.2 */
	if (ip6_hop_limit(b) != 255)
		return E_ND_HLIM;
	struct nd_view v;
	if (ic[1] != 0 || nd_check(&v, ic, len) < 0 || ip6_is_mcast(nd_target(&v)))
		return E_ND_BAD;
	const uint8_t *src = ip6_src(b), *target = nd_target(&v);
	const struct rs_addr6 *mine = ip6_iface_addr(ifc, target);
	uint8_t lladdr[6];
	bool has_ll = v.lladdr != NULL;
	if (has_ll)
		memcpy(lladdr, v.lladdr, 6); /* read once */
	if (ic[0] == ND_NEIGHBOR_SOLICIT) {
		if (ip6_is_unspec(src)) {
			/* a DAD probe: to the solicited-node group, no SLLA */
			if (!ip6_is_solicited_node(ip6_dst(b)) || has_ll)
				return E_ND_BAD;
			if (mine != NULL && (mine->flags & RS_A6_TENTATIVE)) {
				post_dad_conflict(w, p->iface, target);
				return E_ND_DAD;
			}
		}
		if (!ip6_addr_usable(mine))
			return E_ND_NOT_FOR_US;
		/* a full ring loses the learning (counted in msg_drops), not
		 * the answer */
		if (has_ll && !ip6_is_unspec(src))
			post_nd(w, p->iface, src, lladdr, NEIGH_SRC_REQUEST_FOR_US);
		return na_reply(ifc, p, m, target, has_ll ? lladdr : NULL);
	}
	/* Neighbor Advertisement */
	uint8_t flags = nd_na_flags(&v);
	if (ip6_is_mcast(ip6_dst(b)) && (flags & ND_NA_SOLICITED))
		return E_ND_BAD;
	if (mine != NULL) {
		if (mine->flags & RS_A6_TENTATIVE)
			post_dad_conflict(w, p->iface, target);
		return E_ND_DAD; /* someone else claims an address of ours */
	}
	if (!has_ll)
		return E_ND_NOT_FOR_US; /* nothing to learn (we are on Ethernet) */
	if (!post_nd(w, p->iface, target, lladdr,
		     (flags & ND_NA_SOLICITED) ? NEIGH_SRC_REPLY : NEIGH_SRC_OTHER))
		return E_RING_FULL;
	rte_pktmbuf_free(m);
	return RS_EDGE_CONSUMED;
}

/* RFC 4861 §8.1: the checks a Redirect must pass (checksum done). The
 * message is one segment; len bytes from the ICMPv6 header. */
static rte_edge_t redirect_check(const uint8_t *b, const uint8_t *ic, uint32_t len)
{
	if (ip6_hop_limit(b) != 255)
		return E_ND_HLIM;
	if (ic[1] != 0 || len < ND_REDIRECT_LEN || !ip6_is_linklocal(ip6_src(b)))
		return E_ND_BAD;
	const uint8_t *target = ic + 8, *dest = ic + 24;
	/* the destination is not a group; the target is a router (link-local)
	 * or the destination itself (on-link) */
	if (ip6_is_mcast(dest) || (!ip6_is_linklocal(target) && memcmp(target, dest, 16) != 0))
		return E_ND_BAD;
	/* every option has a length above 0 and ends within the message */
	for (uint32_t o = ND_REDIRECT_LEN; o < len;) {
		if (len - o < 2 || ic[o + 1] == 0 || (uint32_t)ic[o + 1] * 8 > len - o)
			return E_ND_BAD;
		o += (uint32_t)ic[o + 1] * 8;
	}
	return E_ND_REDIRECT;
}

static uint8_t handoff_target;

RTE_INIT(icmp6_input_register)
{
	handoff_target = sock_handoff_target("icmp6_input");
}

/* An ICMPv6 error (len bytes from the ICMPv6 header at off) about one of
 * our packets. Returns 1 when a socket took it, 0 when nobody wants it, or
 * 2 + the worker it must be handed to (TCP: the connection's owner). */
static int icmp6_err_to_socket(struct rs_worker *w, struct rte_graph *graph,
			       struct rte_node *node, struct rte_mbuf *m, uint32_t off,
			       uint32_t len)
{
	uint8_t q[ICMP6_HLEN + IP6_HLEN + 8];
	if (len < sizeof(q))
		return 0;
	const uint8_t *e = rte_pktmbuf_read(m, off, sizeof(q), q);
	if (e == NULL)
		return 0;
	const uint8_t *ih = e + ICMP6_HLEN, *l4 = ih + IP6_HLEN;
	uint8_t proto = ip6_nexthdr(ih);
	/* only a quoted header chain without extension headers */
	if (ih[0] >> 4 != 6 || (proto != IPPROTO_UDP_ && proto != IPPROTO_TCP_))
		return 0;
	uint8_t type = e[0], code = e[1];
	struct sock_icmp x = { .type = type, .code = code, .err = EPROTO, .hard = true };
	if (type == ICMP6_DST_UNREACH) {
		/* icmpv6_err_convert's tab_unreach: code -> errno, fatal */
		static const int8_t fatal[7] = { 0, 1, 1, 0, 1, 1, 1 };
		static const int errs[7] = { ENETUNREACH, EACCES, EHOSTUNREACH, EHOSTUNREACH,
					     ECONNREFUSED, EACCES, EACCES };
		if (code < 7) {
			x.err = errs[code];
			x.hard = fatal[code];
		}
	} else if (type == ICMP6_PKT_TOO_BIG) {
		x.err = EMSGSIZE;
		x.frag_needed = true;
		x.mtu = rs_ld32(e + 4);
	} else if (type == ICMP6_TIME_EXCEEDED) {
		x.err = EHOSTUNREACH;
		x.hard = false;
	}
	x.laddr = rs_ip_from6(ip6_src(ih));
	x.raddr = rs_ip_from6(ip6_dst(ih));
	/* RFC 8201 §4: the path to the quoted destination is shared by
	 * every socket sending there; only about a packet we sent (its
	 * source one of our addresses) */
	if (x.frag_needed && ip6_maybe_local(x.laddr.b)) {
		uint16_t ifi;
		if (rt6_addr_local(w->cfg, x.laddr.b, rs_priv(m)->iface, &ifi))
			pmtu_learn(w, &x.raddr, x.mtu);
	}
	x.lport = rs_ld16(l4);
	x.rport = rs_ld16(l4 + 2);
	x.seq = rs_ld32(l4 + 4);
	if (proto == IPPROTO_TCP_) {
		const struct sock_proto *sp = sock_proto_of(proto);
		if (sp == NULL || sp->icmp == NULL)
			return 0;
		int owner = sp->icmp(w, graph, node, &x);
		return owner >= 0 ? 2 + owner : 1;
	}
	/* UDP: what Linux reports without IPV6_RECVERR (time exceeded is
	 * neither fatal nor reported) */
	if ((!x.hard && !x.frag_needed) || (type == ICMP6_DST_UNREACH && code >= 7))
		return 0;
	struct sock_demux_key k = {
		.laddr = x.laddr,
		.raddr = x.raddr,
		.lport = x.lport,
		.rport = x.rport,
		.proto = IPPROTO_UDP_,
	};
	struct rs_sock *so = sock_demux_lookup_key(sock_demux_tbl, &k, 0);
	if (so == NULL || !so->connected)
		return 0;
	sock_set_error(so, x.err);
	return 1;
}

static rte_edge_t icmp6_input_one(struct rs_worker *w, struct rte_graph *graph,
				  struct rte_node *node, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv(m);
	const struct rs_iface *ifc = &w->cfg->ifaces[p->iface];
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t off = m->l3_len;
	if (m->pkt_len < off + ICMP6_HLEN || m->data_len < off + ICMP6_HLEN)
		return E_TRUNC;
	uint32_t len = m->pkt_len - off;
	if (csum6_mbuf(m, off, len, ip6_src(b), ip6_dst(b)) != 0)
		return E_CSUM;
	uint8_t *ic = b + off;
	switch (ic[0]) {
	case ICMP6_ECHO_REQUEST: {
		if (ic[1] != 0)
			return E_UNHANDLED;
		/* §4.2: the reply goes back from the address the request was
		 * sent to, or for a group, from ours on that link */
		uint8_t src[16], dst[16];
		memcpy(dst, ip6_src(b), 16);
		if (ip6_is_mcast(ip6_dst(b))) {
			const uint8_t *s = ip6_iface_src(ifc, dst);
			if (s == NULL)
				return E_UNHANDLED;
			memcpy(src, s, 16);
		} else {
			memcpy(src, ip6_dst(b), 16);
		}
		uint8_t tclass = ip6_tclass(b);
		/* any extension headers go: the reply is IPv6 + ICMPv6 */
		if (off != IP6_HLEN) {
			rte_pktmbuf_adj(m, (uint16_t)(off - IP6_HLEN));
			b = rte_pktmbuf_mtod(m, uint8_t *);
			ic = b + IP6_HLEN;
		}
		ip6_write(b, tclass, 0, (uint16_t)len, IPPROTO_ICMPV6_, IP6_DEFAULT_HLIM,
			  src, dst);
		ic[0] = ICMP6_ECHO_REPLY;
		rs_st16(ic + 2, 0);
		rs_st16(ic + 2, csum6_mbuf(m, IP6_HLEN, len, src, dst));
		p->flags = RS_PF_IFACE_SET;
		p->nh = FIB6_NH_NONE;
		m->l3_len = IP6_HLEN;
		return E_OUTPUT;
	}
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
		if (m->nb_segs != 1)
			return E_ND_BAD;
		return nd_input(w, ifc, p, m, b, ic, len);
	case ND_ROUTER_ADVERT:
	case ND_ROUTER_SOLICIT: {
		/* RFC 4861 §6.1.1, §6.1.2: Hop Limit 255, code 0, length, a
		 * link-local source for an RA; the options are parsed by the
		 * control thread (lib/ip6/ra_ctl.c), which takes the packet */
		bool ra = ic[0] == ND_ROUTER_ADVERT;
		if (ip6_hop_limit(b) != 255)
			return E_ND_HLIM;
		if (ic[1] != 0 || len < (ra ? 16u : 8u) || m->nb_segs != 1 ||
		    (ra && !ip6_is_linklocal(ip6_src(b))))
			return E_ND_BAD;
		/* whether we are a host or an advertising router on this link
		 * is the control thread's to know (ra_ctl.c drops the rest) */
		struct rs_msg msg = { .type = ra ? ra_msg_ra : ra_msg_rs, .iface = p->iface, .m = m };
		if (rs_msg_post(w, &msg) != 0)
			return E_RING_FULL;
		return RS_EDGE_CONSUMED;
	}
	case ND_REDIRECT:
		if (m->nb_segs != 1)
			return E_ND_BAD;
		return redirect_check(b, ic, len);
	case ICMP6_MLD_QUERY: {
		/* RFC 3810 §5.1.14: link-local source, Hop Limit 1; §8.1:
		 * the length tells the version, others are ignored */
		struct mld_query_view q;
		if (!ip6_is_linklocal(ip6_src(b)) || ip6_hop_limit(b) != 1 ||
		    m->data_len < off + len || mld_query_check(&q, ic, len) != 0)
			return E_UNHANDLED;
		/* data: the queried group (:: for all); the control thread
		 * answers with our state for it (§6.2) */
		struct rs_msg msg = { .type = nd_msg_mld_query, .iface = p->iface };
		memcpy(msg.data, mld_query_group(&q), 16);
		rs_msg_post(w, &msg);
		return E_UNHANDLED;
	}
	case ICMP6_DST_UNREACH:
	case ICMP6_PKT_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROB:
	{
		int r = icmp6_err_to_socket(w, graph, node, m, off, len);
		if (r >= 2) {
			p->owner = (uint16_t)(r - 2);
			p->inject = handoff_target;
			return E_HANDOFF;
		}
		if (r == 0)
			return E_UNHANDLED;
		rte_pktmbuf_free(m);
		return RS_EDGE_CONSUMED;
	}
	default:
		/* unknown informational messages (§2.4 (b): discard) */
		return E_UNHANDLED;
	}
}

static uint16_t icmp6_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = icmp6_input_one(w, graph, node, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register icmp6_input_node = {
	.name = "icmp6_input",
	.process = icmp6_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip6_output",
		[E_HANDOFF] = "sock_handoff",
		[E_TX] = "port_tx",
		[E_TRUNC] = RS_DROP_NODE(icmp6_truncated),
		[E_CSUM] = RS_DROP_NODE(icmp6_bad_checksum),
		[E_UNHANDLED] = RS_DROP_NODE(icmp6_unhandled),
		[E_ND_BAD] = RS_DROP_NODE(nd_bad),
		[E_ND_HLIM] = RS_DROP_NODE(nd_hlim),
		[E_ND_NOT_FOR_US] = RS_DROP_NODE(nd_not_for_us),
		[E_ND_DAD] = RS_DROP_NODE(nd_dad),
		[E_ND_REDIRECT] = RS_DROP_NODE(nd_redirect_ignored),
		[E_RING_FULL] = RS_DROP_NODE(ctl_ring_full),
	},
};
RTE_NODE_REGISTER(icmp6_input_node);
