/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_output6: neighbour lookup and Ethernet header for IPv6. Input: an
 * IPv6 packet with priv->iface (egress) and priv->nh (a FIB6 next hop whose
 * gateway to resolve, or FIB6_NH_NONE: the destination itself) set. A
 * multicast destination maps to 33:33 + its low 32 bits (RFC 2464 §7).
 * The neighbour table is the one ARP uses (lib/arp/neigh_ctl.h): an
 * unresolved neighbour's packet goes to the control thread, which queues it
 * while Neighbor Discovery runs. Consumes every packet.
 */
#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

enum {
	E_TX,
	E_LINK_DOWN,
	E_NO_HEADROOM,
	E_RING_FULL,
	E_NB,
};

/* The last neighbour looked up in this vector: most packets of a vector
 * share a next hop (a snapshot of its word, as eth_output's memo). */
struct out6_memo {
	uint16_t iface;       /* 0xffff: none yet */
	struct rs_ip nh;
	uint64_t word;
	struct neigh_pub *np;
};

static rte_edge_t eth_output6_one(struct rs_worker *w, struct rte_mbuf *m, struct out6_memo *mo)
{
	struct rs_priv *p = rs_priv(m);
	const struct rs_iface *ifc = &w->cfg->ifaces[p->iface];
	if (!ifc->present || !ifc->up || ifc->loopback)
		return E_LINK_DOWN;
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *dst = ip6_dst(b);
	uint8_t dmac[6];
	if (ip6_is_mcast(dst)) {
		ip6_mcast_mac(dmac, dst);
	} else {
		struct rs_ip nh = rs_ip_from6(p->nh == FIB6_NH_NONE ? dst : fib6_nh(p->nh)->gw);
		if (p->iface != mo->iface || !rs_ip_eq(&nh, &mo->nh)) {
			mo->word = neigh_pub_lookup(p->iface, &nh, &mo->np);
			mo->iface = p->iface;
			mo->nh = nh;
		}
		struct neigh_pub *np = mo->np;
		uint64_t word = mo->word;
		if (!neigh_word_usable(word)) {
			struct rs_msg msg = { .type = neigh_msg_resolve6, .iface = p->iface, .m = m };
			memcpy(msg.data, nh.b, 16);
			if (rs_msg_post(w, &msg) != 0)
				return E_RING_FULL;
			return RS_EDGE_CONSUMED; /* the control thread owns it */
		}
		if (neigh_word_state(word) == NEIGH_STALE && !np->used)
			np->used = 1;
		if ((p->flags & RS_PF_CONFIRM) && !np->confirmed)
			np->confirmed = 1;
		neigh_word_mac(word, dmac);
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
	if (h == NULL)
		return E_NO_HEADROOM;
	eth_write(h, dmac, ifc->mac.addr_bytes, ETH_P_IPV6);
	m->port = p->iface;
	return E_TX;
}

static uint16_t eth_output6_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct out6_memo mo = { .iface = 0xffff };
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = eth_output6_one(w, objs[i], &mo);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register eth_output6_node = {
	.name = "eth_output6",
	.process = eth_output6_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_TX] = "port_tx",
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_NO_HEADROOM] = RS_DROP_NODE(no_headroom),
		[E_RING_FULL] = RS_DROP_NODE(ctl_ring_full),
	},
};
RTE_NODE_REGISTER(eth_output6_node);
