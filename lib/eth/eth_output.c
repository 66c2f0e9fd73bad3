/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_output: neighbor lookup and Ethernet header. Input: an IPv4 packet with
 * priv->iface (egress) and priv->nh_ip (next hop) set. A packet whose
 * neighbor is not resolved is handed to the control thread, which queues it
 * (bounded) while it resolves and sends it on afterwards: workers never wait.
 * Consumes every packet.
 */
#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "wire/igmp_wire.h"
#include "wire/wire.h"

enum {
	E_TX,
	E_LINK_DOWN,
	E_NO_HEADROOM,
	E_RING_FULL,
	E_NB,
};

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/*
 * Per-vector state. Most packets of a vector share a next hop: the last
 * neighbor lookup is remembered for the rest of the vector, as a snapshot
 * of the neighbor's state. When it allowed sending on a link that is up,
 * the Ethernet header it gives (destination, our source, type IPv4) is kept
 * ready to copy as two overlapping 8-byte words (bytes 0-7 and 6-13) for
 * the fast path.
 */
struct eth_out_memo {
	/* the last lookup (eth_output_one) */
	uint16_t iface;
	uint32_t ip;
	uint64_t word;
	struct neigh_pub *np;
	/* the fast path's next hop: iface 0xffff (no link) until one is set */
	uint16_t fast_iface;
	bool fast_stale; /* STALE: mark the entry used (struct neigh_pub) */
	uint32_t fast_ip;
	uint64_t hdr_lo, hdr_hi;
};

/* The general case, for one packet. Consumes m (to its edge, or to the
 * control thread: RS_EDGE_CONSUMED). */
static __rte_noinline rte_edge_t eth_output_one(struct rs_worker *w, const struct rs_cfg *c,
						struct rte_mbuf *m, struct rs_priv *p,
						struct eth_out_memo *mo)
{
	const struct rs_iface *ifc = &c->ifaces[p->iface];
	uint8_t dmac[6];

	if (!ifc->present || !ifc->up || ifc->loopback)
		return E_LINK_DOWN;
	if (p->flags & RS_PF_OUT_BCAST) {
		/* a group's address maps to its own (RFC 1112 §6.4) */
		if (ip4_is_mcast(p->nh_ip))
			ip4_mcast_mac(dmac, p->nh_ip);
		else
			memcpy(dmac, bcast_mac, 6);
	} else {
		if (p->iface != mo->iface || p->nh_ip != mo->ip) {
			struct rs_ip nh = rs_ip_from4(p->nh_ip);
			mo->word = neigh_pub_lookup(p->iface, &nh, &mo->np);
			mo->iface = p->iface;
			mo->ip = p->nh_ip;
		}
		uint64_t word = mo->word;
		if (!neigh_word_usable(word)) {
			struct rs_msg msg = {
				.type = neigh_msg_resolve,
				.iface = p->iface,
				.u32 = p->nh_ip,
				.m = m,
			};
			if (rs_msg_post(w, &msg) != 0)
				return E_RING_FULL;
			return RS_EDGE_CONSUMED; /* the control thread owns it */
		}
		neigh_word_mac(word, dmac);
		/* the rest of the vector to this neighbor takes the fast path */
		uint8_t hdr[ETH_HLEN];
		eth_write(hdr, dmac, ifc->mac.addr_bytes, ETH_P_IP);
		memcpy(&mo->hdr_lo, hdr, 8);
		memcpy(&mo->hdr_hi, hdr + 6, 8);
		mo->fast_iface = p->iface;
		mo->fast_ip = p->nh_ip;
		mo->fast_stale = neigh_word_state(word) == NEIGH_STALE;
		if (mo->fast_stale && !mo->np->used)
			mo->np->used = 1;
		if ((p->flags & RS_PF_CONFIRM) && !mo->np->confirmed)
			mo->np->confirmed = 1;
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
	if (h == NULL)
		return E_NO_HEADROOM;
	eth_write(h, dmac, ifc->mac.addr_bytes, ETH_P_IP);
	m->port = p->iface;
	return E_TX;
}

static __rte_always_inline rte_edge_t eth_output_step(struct rs_worker *w, const struct rs_cfg *c,
							int off, struct eth_out_memo *mo,
							struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv_at(m, off);

	/* Fast path: same next hop as a packet eth_output_one sent in this
	 * vector, so the link is up and the neighbor usable; not a
	 * link-layer broadcast; room for the header. */
	if (likely(p->iface == mo->fast_iface && p->nh_ip == mo->fast_ip &&
		   !(p->flags & RS_PF_OUT_BCAST) && rte_pktmbuf_headroom(m) >= ETH_HLEN)) {
		if (unlikely(mo->fast_stale) && !mo->np->used)
			mo->np->used = 1;
		if (unlikely(p->flags & RS_PF_CONFIRM) && !mo->np->confirmed)
			mo->np->confirmed = 1;
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
		memcpy(h, &mo->hdr_lo, 8);
		memcpy(h + 6, &mo->hdr_hi, 8);
		m->port = mo->fast_iface;
		return E_TX;
	}
	return eth_output_one(w, c, m, p, mo);
}

static uint16_t eth_output_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				   uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	const int off = rs_priv_offset;
	struct eth_out_memo mo = { .iface = 0xffff, .fast_iface = 0xffff };

	/* speculative dispatch (core/node.h), common edge E_TX */
	uint16_t i = 0;
	rte_edge_t next = E_TX;
	while (i < nb && (next = eth_output_step(w, c, off, &mo, objs[i])) == E_TX)
		i++;
	if (likely(i == nb))
		return rs_node_move_all(graph, node, nb, E_TX);
	rte_edge_t nexts[nb];
	rs_edges_fill(nexts, i, E_TX);
	nexts[i] = next;
	while (++i < nb)
		nexts[i] = eth_output_step(w, c, off, &mo, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register eth_output_node = {
	.name = "eth_output",
	.process = eth_output_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_TX] = "port_tx",
		[E_LINK_DOWN] = RS_DROP_NODE(link_down),
		[E_NO_HEADROOM] = RS_DROP_NODE(no_headroom),
		[E_RING_FULL] = RS_DROP_NODE(ctl_ring_full),
	},
};
RTE_NODE_REGISTER(eth_output_node);
