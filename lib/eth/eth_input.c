/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_input: Ethernet II demultiplexing. Accepts frames to the link's MAC,
 * broadcast, IPv6 multicast (33:33:..., RFC 2464 §7) and IPv4 multicast
 * (01:00:5e:0..., RFC 1112 §6.4): ip6_input and ip4_input keep the groups
 * we listen to; every other destination is another host's
 * (RFC 1122 §2.4: a host silently discards those).
 * Consumes every packet; strips the Ethernet header of accepted ones.
 */
#include "core/node.h"
#include "wire/igmp_wire.h"
#include "wire/wire.h"

enum {
	E_ARP,
	E_IP4,
	E_IP6,
	E_TRUNC,
	E_OTHER_HOST,
	E_VLAN,
	E_UNKNOWN,
	E_LINK_DOWN,
	E_NB,
};

/* The general case, for one packet; also what the fast path below must
 * agree with. */
static __rte_noinline rte_edge_t eth_input_one(struct rte_mbuf *m, struct rs_priv *p, const struct rs_iface *ifc)
{
	struct eth_view e;
	rte_edge_t next;

	if (!ifc->up)
		return E_LINK_DOWN;
	if (eth_check(&e, rte_pktmbuf_mtod(m, void *), m->data_len) < 0)
		return E_TRUNC;
	if (eth_is_bcast(eth_dst(&e)) || eth_is_mcast(eth_dst(&e))) {
		const uint8_t *d = eth_dst(&e);
		if (!eth_is_bcast(d) && !(d[0] == 0x33 && d[1] == 0x33 && eth_type(&e) == ETH_P_IPV6) &&
		    !(eth_is_ip4_mcast(d) && eth_type(&e) == ETH_P_IP))
			return E_OTHER_HOST;
		p->flags |= RS_PF_L2_BCAST;
	} else if (!eth_addr_eq(eth_dst(&e), ifc->mac.addr_bytes)) {
		return E_OTHER_HOST;
	}
	switch (eth_type(&e)) {
	case ETH_P_IP:
		next = E_IP4;
		break;
	case ETH_P_ARP:
		next = E_ARP;
		break;
	case ETH_P_IPV6:
		next = E_IP6;
		break;
	case ETH_P_VLAN:
	case ETH_P_QINQ:
		return E_VLAN; /* until VLAN interfaces exist */
	default:
		return E_UNKNOWN;
	}
	rte_pktmbuf_adj(m, ETH_HLEN);
	return next;
}

/* Per-vector state of eth_input_step. */
struct eth_in_ctx {
	const struct rs_cfg *c;
	int off; /* rs_priv_offset */
	/* The ingress link of the previous packet: a vector comes from one RX
	 * queue, so this is looked up once per vector in practice. */
	uint16_t memo_iface;
	const struct rs_iface *ifc;
	uint64_t mac_key;
};

static __rte_always_inline rte_edge_t eth_input_step(struct eth_in_ctx *x, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv_at(m, x->off);

	if (unlikely(p->iface != x->memo_iface)) {
		x->memo_iface = p->iface;
		x->ifc = &x->c->ifaces[x->memo_iface];
		/* The fast path takes frames to our own unicast MAC on a link
		 * that is up. Otherwise no frame matches the key: a link that
		 * is down drops all, and a link whose MAC is multicast (or
		 * broadcast) has its frames flagged RS_PF_L2_BCAST, both by
		 * the general case. */
		x->mac_key = x->ifc->up && !eth_is_mcast(x->ifc->mac.addr_bytes)
				     ? eth_addr_key(x->ifc->mac.addr_bytes)
				     : ETH_KEY_NONE;
	}
	/* Fast path: an IPv4 frame to our MAC. Same result as eth_input_one:
	 * link up, >= 14 bytes, destination is our unicast address (so
	 * neither broadcast nor multicast), type IPv4. */
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	if (likely(m->data_len >= ETH_HLEN && eth_dst_key(b) == x->mac_key &&
		   eth_type_raw_at(b) == eth_type_raw(ETH_P_IP))) {
		rte_pktmbuf_adj(m, ETH_HLEN);
		return E_IP4;
	}
	return eth_input_one(m, p, x->ifc);
}

static uint16_t eth_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct eth_in_ctx x = {
		.c = w->cfg, .off = rs_priv_offset, .memo_iface = 0xffff, .mac_key = ETH_KEY_NONE,
	};

	/* speculative dispatch (core/node.h), common edge E_IP4 */
	uint16_t i = 0;
	rte_edge_t next = E_IP4;
	while (i < nb && (next = eth_input_step(&x, objs[i])) == E_IP4)
		i++;
	if (likely(i == nb))
		return rs_node_move_all(graph, node, nb, E_IP4);
	rte_edge_t nexts[nb];
	rs_edges_fill(nexts, i, E_IP4);
	nexts[i] = next;
	while (++i < nb)
		nexts[i] = eth_input_step(&x, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register eth_input_node = {
	.name = "eth_input",
	.process = eth_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ARP] = "arp_input",
		[E_IP4] = "ip4_input",
		[E_IP6] = "ip6_input",
		[E_TRUNC] = RS_DROP_NODE(eth_truncated),
		[E_OTHER_HOST] = RS_DROP_NODE(other_host),
		[E_VLAN] = RS_DROP_NODE(vlan_unsupported),
		[E_UNKNOWN] = RS_DROP_NODE(unknown_ethertype),
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
	},
};
RTE_NODE_REGISTER(eth_input_node);
