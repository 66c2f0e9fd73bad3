/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_local: packets for us. Walks the whole extension header chain
 * (RFC 8200 §4: Destination Options, Routing with RH0 refused (RFC 5095),
 * atomic fragments processed alone (RFC 6946)) and hands the upper layer
 * to its protocol with m->l3_len = its offset from the IPv6 header. An
 * unknown Next Header gets Parameter Problem code 1 (§4, RFC 4443 §3.4).
 * Input: data at the IPv6 header, validated by ip6_input. Consumes every
 * packet.
 */
#include "core/node.h"
#include "icmp/icmp6.h"
#include "wire/ip6_wire.h"

enum {
	E_ICMP6,
	E_OUTPUT,
	E_EXT_BAD,
	E_OPT_DISCARD,
	E_PARAM,
	E_NO_NEXT,
	E_REASS,
	E_NO_L4,
	E_UDP,
	E_TCP,
	E_NB,
};

static rte_edge_t ip6_local_one(struct rs_worker *w, struct rte_graph *graph,
				struct rte_node *node, struct rte_mbuf *m)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	bool mcast = ip6_is_mcast(ip6_dst(b));
	struct ip6_chain x;
	uint8_t code = 0;
	uint32_t ptr = 0;

	/* the chain must be in the first segment (RFC 7112 asks the whole
	 * chain in the first fragment; a chained mbuf here is a jumbo frame) */
	switch (ip6_ext_walk(b, m->data_len, false, &x)) {
	case IP6X_OK:
		break;
	case IP6X_DISCARD:
		return E_OPT_DISCARD;
	case IP6X_PARAM_UCAST:
		if (mcast)
			return E_OPT_DISCARD;
		/* fall through */
	case IP6X_PARAM:
		code = x.code;
		ptr = x.pointer;
		goto param;
	default:
		return E_EXT_BAD;
	}
	if (x.frag_off != 0) {
		/* for ip6_reass: where the Fragment header is and the byte
		 * naming it (l3_len is 9 bits: no real chain is longer) */
		if (x.frag_off > 511 || m->data_len < x.frag_off + IP6_FRAG_HLEN)
			return E_EXT_BAD;
		m->l3_len = x.frag_off;
		rs_priv(m)->nh = x.nh_off;
		return E_REASS;
	}
	if (x.off > 511)
		return E_EXT_BAD; /* l3_len is 9 bits; no real chain is this long */
	m->l3_len = x.off;
	switch (x.proto) {
	case IPPROTO_ICMPV6_:
		return E_ICMP6;
	case IPPROTO_NONE_:
		return E_NO_NEXT;
	case IPPROTO_UDP_:
		return E_UDP;
	case IPPROTO_TCP_:
		return E_TCP;
	case IPPROTO_ESP_:
		return E_NO_L4;
	default:
		code = ICMP6_PARAM_NEXTHDR;
		ptr = x.nh_off;
		break;
	}
param:;
	struct rte_mbuf *e = icmp6_error_build(w, m, ICMP6_PARAM_PROB, code, ptr,
					       code == ICMP6_PARAM_OPTION);
	if (e != NULL)
		rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
	return E_PARAM;
}

static uint16_t ip6_local_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = ip6_local_one(w, graph, node, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip6_local_node = {
	.name = "ip6_local",
	.process = ip6_local_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ICMP6] = "icmp6_input",
		[E_OUTPUT] = "ip6_output",
		[E_EXT_BAD] = RS_DROP_NODE(ip6_bad_exthdr),
		[E_OPT_DISCARD] = RS_DROP_NODE(ip6_option_discard),
		[E_PARAM] = RS_DROP_NODE(ip6_param_problem),
		[E_NO_NEXT] = RS_DROP_NODE(ip6_no_next_header),
		[E_REASS] = "ip6_reass",
		[E_NO_L4] = RS_DROP_NODE(ip6_no_l4),
		[E_UDP] = "udp_input",
		[E_TCP] = "tcp_input",
	},
};
RTE_NODE_REGISTER(ip6_local_node);
