/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_input: validation of received IPv6 packets (RFC 8200 §3, §4), the
 * source checks of RFC 4291 (§2.5.2: :: is no source, §2.5.3: ::1 never on
 * the wire, §2.7: multicast is no source) and the routing decision: our
 * unicast addresses (usable ones: not tentative, RFC 4862 §5.4) and the
 * groups we listen to are delivered locally, the rest forwarded when the
 * link forwards. A Hop-by-Hop Options header is examined here, for
 * forwarded packets too (RFC 8200 §4.3). Input: data at the IPv6 header.
 * Consumes every packet.
 */
#include "core/mbuf_util.h"
#include "core/node.h"
#include "icmp/icmp6.h"
#include "ip6/ip6.h"
#include "route/fib6.h"
#include "sock/sock_mcast.h"
#include "wire/ip6_wire.h"

enum {
	E_LOCAL,
	E_FORWARD,
	E_TRUNC,
	E_VERSION,
	E_LENGTH,
	E_MARTIAN_SRC,
	E_MARTIAN_DST,
	E_SRC_LOCAL,
	E_NOT_FOR_US,
	E_EXT_BAD,
	E_OPT_DISCARD,
	E_PARAM,
	E_OUTPUT,
	E_NB,
};

static rte_edge_t ip6_input_one(struct rs_worker *w, struct rte_graph *graph,
				struct rte_node *node, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv(m);
	const struct rs_iface *ifc = &w->cfg->ifaces[p->iface];
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	struct ip6_view v;

	/* the fixed header in the first segment, the payload within the packet */
	if (m->data_len < IP6_HLEN)
		return E_TRUNC;
	int rc = ip6_check(&v, b, m->pkt_len);
	if (rc == WIRE_ETRUNC)
		return E_TRUNC;
	if (rc == WIRE_EVERSION)
		return E_VERSION;
	if (rc < 0)
		return E_LENGTH;
	/* link-layer padding beyond the payload is not data */
	rs_mbuf_cut(m, (uint32_t)IP6_HLEN + v.plen);

	const uint8_t *src = ip6_src(b), *dst = ip6_dst(b);
	bool loop = (p->flags & RS_PF_LOOPBACK) != 0;
	if (ip6_is_mcast(src) || ip6_is_v4mapped(src) || (!loop && ip6_is_loopback(src)))
		return E_MARTIAN_SRC;
	if (ip6_is_unspec(dst) || ip6_is_v4mapped(dst) || (!loop && ip6_is_loopback(dst)))
		return E_MARTIAN_DST;

	rte_edge_t next;
	if (ip6_is_mcast(dst)) {
		/* scope 0 is reserved, interface-local never leaves a node
		 * (RFC 4291 §2.7) */
		if (ip6_mcast_scope(dst) <= 1 && !loop)
			return E_MARTIAN_DST;
		if (!ip6_iface_in_group(ifc, dst)) {
			struct rs_ip g = rs_ip_from6(dst);
			if (!sock_mc_host_joined(p->iface, &g))
				return E_NOT_FOR_US;
		}
		p->flags |= RS_PF_LOCAL_BCAST;
		next = E_LOCAL;
	} else {
		uint32_t nh = fib6_lookup(dst);
		p->nh = nh;
		const struct rs_nh6 *n = nh == FIB6_NH_NONE ? NULL : fib6_nh(nh);
		if (n != NULL && n->type == RT_LOCAL) {
			/* a link-local address is ours on its own link only;
			 * a tentative one is not ours yet */
			const struct rs_iface *own = &w->cfg->ifaces[n->iface];
			if (ip6_is_linklocal(dst) && n->iface != p->iface && !loop)
				return E_NOT_FOR_US;
			if (!own->loopback && !ip6_addr_usable(ip6_iface_addr(own, dst)))
				return E_NOT_FOR_US;
			next = E_LOCAL;
		} else if (ip6_is_linklocal(dst) || !ifc->forwarding) {
			return E_NOT_FOR_US;
		} else {
			next = E_FORWARD;
		}
	}
	/* a packet claiming one of our addresses as source did not come
	 * from us (DAD probes come from ::); a tentative address is not ours
	 * yet: its owner defending it is what DAD listens for */
	if (!loop && !ip6_is_unspec(src) && ip6_maybe_local(src)) {
		uint32_t snh = fib6_lookup(src);
		if (snh != FIB6_NH_NONE && fib6_nh(snh)->type == RT_LOCAL &&
		    ip6_addr_usable(ip6_iface_addr(&w->cfg->ifaces[fib6_nh(snh)->iface], src)))
			return E_SRC_LOCAL;
	}
	if (ip6_nexthdr(b) == IPPROTO_HOPOPTS_) {
		struct ip6_chain x;
		switch (ip6_ext_walk(b, m->data_len, true, &x)) {
		case IP6X_OK:
			break;
		case IP6X_DISCARD:
			return E_OPT_DISCARD;
		case IP6X_PARAM_UCAST:
			if (ip6_is_mcast(dst))
				return E_OPT_DISCARD;
			/* fall through */
		case IP6X_PARAM: {
			struct rte_mbuf *e = icmp6_error_build(w, m, ICMP6_PARAM_PROB, x.code,
							       x.pointer, true);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
			return E_PARAM;
		}
		default:
			return E_EXT_BAD;
		}
	}
	return next;
}

static uint16_t ip6_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = ip6_input_one(w, graph, node, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip6_input_node = {
	.name = "ip6_input",
	.process = ip6_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_LOCAL] = "ip6_local",
		[E_FORWARD] = "ip6_forward",
		[E_TRUNC] = RS_DROP_NODE(ip6_truncated),
		[E_VERSION] = RS_DROP_NODE(ip6_bad_version),
		[E_LENGTH] = RS_DROP_NODE(ip6_bad_length),
		[E_MARTIAN_SRC] = RS_DROP_NODE(ip6_martian_src),
		[E_MARTIAN_DST] = RS_DROP_NODE(ip6_martian_dst),
		[E_SRC_LOCAL] = RS_DROP_NODE(ip6_src_is_local),
		[E_NOT_FOR_US] = RS_DROP_NODE(not_for_us),
		[E_EXT_BAD] = RS_DROP_NODE(ip6_bad_exthdr),
		[E_OPT_DISCARD] = RS_DROP_NODE(ip6_option_discard),
		[E_PARAM] = RS_DROP_NODE(ip6_param_problem),
		[E_OUTPUT] = "ip6_output",
	},
};
RTE_NODE_REGISTER(ip6_input_node);
