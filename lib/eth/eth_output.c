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
#include "wire/wire.h"

enum {
	E_TX,
	E_LINK_DOWN,
	E_NO_HEADROOM,
	E_RING_FULL,
	E_NB,
};

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint16_t eth_output_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				   uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	rte_edge_t nexts[nb];
	/* Most packets of a vector share a next hop: remember the last lookup
	 * for the rest of this vector. */
	uint16_t memo_iface = 0xffff;
	uint32_t memo_ip = 0;
	uint64_t memo_word = 0;
	struct neigh_pub *memo_np = NULL;

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		const struct rs_iface *ifc = &c->ifaces[p->iface];
		uint8_t dmac[6];
		rte_edge_t next = E_TX;

		if (!ifc->present || !ifc->up) {
			next = E_LINK_DOWN;
			goto out;
		}
		if (p->flags & RS_PF_OUT_BCAST) {
			memcpy(dmac, bcast_mac, 6);
		} else {
			struct neigh_pub *np = memo_np;
			uint64_t word = memo_word;
			if (p->iface != memo_iface || p->nh_ip != memo_ip) {
				word = neigh_pub_lookup(p->iface, p->nh_ip, &np);
				memo_iface = p->iface;
				memo_ip = p->nh_ip;
				memo_word = word;
				memo_np = np;
			}
			if (!neigh_word_usable(word)) {
				struct rs_msg msg = {
					.type = RS_MSG_RESOLVE,
					.iface = p->iface,
					.ip = p->nh_ip,
					.m = m,
				};
				if (rte_ring_sp_enqueue_elem(w->to_ctl, &msg, sizeof(msg)) != 0) {
					next = E_RING_FULL;
					goto out;
				}
				nexts[i] = RS_EDGE_CONSUMED; /* the control thread owns it */
				continue;
			}
			if (neigh_word_state(word) == NEIGH_STALE && !np->used)
				np->used = 1;
			neigh_word_mac(word, dmac);
		}
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
		if (h == NULL) {
			next = E_NO_HEADROOM;
			goto out;
		}
		eth_write(h, dmac, ifc->mac.addr_bytes, ETH_P_IP);
		m->port = p->iface;
out:
		nexts[i] = next;
	}
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
