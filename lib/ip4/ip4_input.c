/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_input: validation of received IPv4 datagrams, written as the steps of
 * RFC 1812 §5.2.2 (and RFC 1122 §3.2.1), then the routing decision:
 * local delivery for our addresses, our subnet broadcasts,
 * 255.255.255.255, all-hosts and the groups sockets joined on the link.
 * Input: data at the IPv4 header. Consumes every packet.
 */
#include <rte_ip.h>

#include "core/mbuf_util.h"
#include "core/node.h"
#include "route/fib4.h"
#include "sock/sock_mcast.h"
#include "wire/igmp_wire.h"
#include "wire/wire.h"

enum {
	E_LOCAL,
	E_TRUNC,
	E_VERSION,
	E_HDRLEN,
	E_LENGTH,
	E_CSUM,
	E_OPTIONS,
	E_MARTIAN_SRC,
	E_MARTIAN_DST,
	E_SRC_LOCAL,
	E_NOT_FOR_US,
	E_FORWARD,
	E_NB,
};

static const rte_edge_t wire_err_edge[] = {
	[-WIRE_ETRUNC] = E_TRUNC,
	[-WIRE_EVERSION] = E_VERSION,
	[-WIRE_EHDRLEN] = E_HDRLEN,
	[-WIRE_ETOTLEN] = E_LENGTH,
	[-WIRE_EFORMAT] = E_HDRLEN,
	[-WIRE_EOPTIONS] = E_OPTIONS,
};

static __rte_noinline bool ip4_mc_joined(uint16_t iface, uint32_t group)
{
	struct rs_ip g = rs_ip_from4(group);
	return sock_mc_host_joined(iface, &g);
}

/* The end of the checks for a datagram to us (route type RT_LOCAL or
 * RT_BROADCAST) from src. */
static __rte_noinline rte_edge_t ip4_input_local(struct rs_priv *p, uint32_t src, uint8_t type)
{
	/* a datagram claiming one of our addresses as its source did not
	 * come from us: spoofed or looped */
	uint32_t snh = fib4_lookup(src);
	if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_LOCAL)
		return E_SRC_LOCAL;
	/* RFC 1812 §5.3.7: a (subnet) broadcast is no source */
	if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_BROADCAST)
		return E_MARTIAN_SRC;
	if (type == RT_BROADCAST)
		p->flags |= RS_PF_LOCAL_BCAST;
	return E_LOCAL;
}

/* The general case, for one packet: every check in RFC order. The fast
 * path in ip4_input_process must agree with it. */
static __rte_noinline rte_edge_t ip4_input_one(struct rte_mbuf *m, struct rs_priv *p, const struct rs_iface *ifc)
{
	struct ip4_view v;

	/* (1) the link reported a frame long enough for the minimum
	 * header, (3) version 4, (4) IHL >= 5 and within the frame,
	 * (5) total length >= header and <= the frame; options are
	 * walked so later code can trust their lengths. */
	int rc = ip4_check(&v, rte_pktmbuf_mtod(m, void *), m->data_len);
	if (rc < 0)
		return wire_err_edge[-rc];
	/* (2) header checksum: trust the port only when it checked it */
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ifc->rx_ip4_csum && ck == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return E_CSUM;
	if (!(ifc->rx_ip4_csum && ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD) && !ip4_csum_ok(&v))
		return E_CSUM;
	/* link-layer padding beyond the IP total length is not data */
	rs_mbuf_cut(m, v.tot_len);

	uint32_t src = ip4_src(&v), dst = ip4_dst(&v);
	/* RFC 1812 §5.3.7 / RFC 1122 §3.2.1.3: martian sources */
	if (ip4_src_is_martian(src) || ip4_is_bcast_all(src))
		return E_MARTIAN_SRC;
	if (ip4_is_loopback(dst) || ip4_is_zeronet(dst) ||
	    (ip4_is_class_e(dst) && !ip4_is_bcast_all(dst)))
		return E_MARTIAN_DST;
	if (ip4_is_bcast_all(dst)) {
		p->flags |= RS_PF_LOCAL_BCAST;
		return E_LOCAL;
	}
	if (ip4_is_mcast(dst)) {
		/* a group some socket joined on this link, or all-hosts, which
		 * every host is in (RFC 1112 §4; IGMP queries come to it) */
		if (dst != IP4_ALL_HOSTS && !ip4_mc_joined(p->iface, dst))
			return E_NOT_FOR_US;
		return ip4_input_local(p, src, RT_BROADCAST);
	}
	uint32_t nh = fib4_lookup(dst);
	p->nh = nh;
	uint8_t type = nh == FIB4_NH_NONE ? RT_UNICAST : fib4_nh(nh)->type;
	if (type == RT_LOCAL || type == RT_BROADCAST)
		return ip4_input_local(p, src, type);
	/* not ours: route it when this link forwards (RFC 1812), else
	 * a host silently discards it (RFC 1122 §3.2.1.3) */
	return ifc->forwarding ? E_FORWARD : E_NOT_FOR_US;
}

/* Per-vector state of ip4_input_step. */
struct ip4_in_ctx {
	const struct rs_cfg *c;
	int off; /* rs_priv_offset */
	/* the ingress link of the previous packet (one per vector in practice) */
	uint16_t memo_iface;
	bool rx_csum;
	bool forwarding;
	const struct rs_iface *ifc;
};

static __rte_always_inline rte_edge_t ip4_input_step(struct ip4_in_ctx *x, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv_at(m, x->off);

	if (unlikely(p->iface != x->memo_iface)) {
		x->memo_iface = p->iface;
		x->ifc = &x->c->ifaces[x->memo_iface];
		x->rx_csum = x->ifc->rx_ip4_csum;
		x->forwarding = x->ifc->forwarding;
	}
	/*
	 * Fast path: a header without options (IHL 5) whose total length
	 * fits the first segment, with neither address in a special range:
	 * the same checks as ip4_input_one, in its order, made cheaper by
	 * what IHL 5 implies. Anything else, and every drop decided before
	 * the route lookup but the checksum's, goes to ip4_input_one from
	 * the start: nothing is changed before that decision but the
	 * padding cut, which ip4_input_one would do the same way.
	 *  (1) data_len >= 20 is checked before the first byte is read;
	 *  (3)+(4) b[0] == 0x45: version 4, IHL 5, so the 20-byte header fits
	 *      and there are no options to walk (ip4_check's option walk has
	 *      nothing to do);
	 *  (5) 20 <= total length <= data_len, as ip4_check.
	 */
	uint16_t len = m->data_len;
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	if (unlikely(len < IP4_HLEN || b[0] != 0x45))
		return ip4_input_one(m, p, x->ifc);
	uint16_t tot = rs_ld16(b + 2);
	if (unlikely(tot < IP4_HLEN || tot > len))
		return ip4_input_one(m, p, x->ifc);
	/* (2) header checksum: trust the port only when it checked it
	 * (b[0] == 0x45 is the precondition of ip4_hdr20_csum_ok) */
	if (unlikely(x->rx_csum)) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ip4_hdr20_csum_ok(b)))
			return E_CSUM;
	} else if (unlikely(!ip4_hdr20_csum_ok(b))) {
		return E_CSUM;
	}
	/* link-layer padding beyond the IP total length is not data */
	if (unlikely(m->pkt_len != tot))
		rs_mbuf_cut(m, tot);
	uint32_t src = rs_ld32(b + 12), dst = rs_ld32(b + 16);
	/* martian source or destination, limited broadcast, multicast: only
	 * possible with a first octet of 0, 127 or >= 224 */
	if (unlikely(ip4_first_octet_special(src) || ip4_first_octet_special(dst)))
		return ip4_input_one(m, p, x->ifc);
	uint32_t nh = fib4_lookup(dst);
	p->nh = nh;
	if (likely(nh == FIB4_NH_NONE ||
		   (fib4_nh(nh)->type != RT_LOCAL && fib4_nh(nh)->type != RT_BROADCAST)))
		/* not ours: as at the end of ip4_input_one */
		return likely(x->forwarding) ? E_FORWARD : E_NOT_FOR_US;
	/* ours: every check before passed as in ip4_input_one */
	return ip4_input_local(p, src, fib4_nh(nh)->type);
}

static uint16_t ip4_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct ip4_in_ctx x = {
		.c = w->cfg, .off = rs_priv_offset, .memo_iface = 0xffff,
	};

	/* speculative dispatch (core/node.h), common edge E_FORWARD */
	uint16_t i = 0;
	rte_edge_t next = E_FORWARD;
	while (i < nb && (next = ip4_input_step(&x, objs[i])) == E_FORWARD)
		i++;
	if (likely(i == nb))
		return rs_node_move_all(graph, node, nb, E_FORWARD);
	rte_edge_t nexts[nb];
	rs_edges_fill(nexts, i, E_FORWARD);
	nexts[i] = next;
	while (++i < nb)
		nexts[i] = ip4_input_step(&x, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip4_input_node = {
	.name = "ip4_input",
	.process = ip4_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_LOCAL] = "ip4_local",
		[E_TRUNC] = RS_DROP_NODE(ip4_truncated),
		[E_VERSION] = RS_DROP_NODE(ip4_bad_version),
		[E_HDRLEN] = RS_DROP_NODE(ip4_bad_hdrlen),
		[E_LENGTH] = RS_DROP_NODE(ip4_bad_length),
		[E_CSUM] = RS_DROP_NODE(ip4_bad_checksum),
		[E_OPTIONS] = RS_DROP_NODE(ip4_bad_options),
		[E_MARTIAN_SRC] = RS_DROP_NODE(ip4_martian_src),
		[E_MARTIAN_DST] = RS_DROP_NODE(ip4_martian_dst),
		[E_SRC_LOCAL] = RS_DROP_NODE(ip4_src_is_local),
		[E_NOT_FOR_US] = RS_DROP_NODE(not_for_us),
		[E_FORWARD] = "ip4_forward",
	},
};
RTE_NODE_REGISTER(ip4_input_node);
