/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arp_input (RFC 826, RFC 1122 §2.3.2): answers requests for our addresses
 * on the receiving link in place, and tells the control thread what it saw
 * so the neighbor state machine can learn. The state machine decides what
 * creates an entry (only replies to our requests and requests addressed to
 * us), so unsolicited ARP cannot grow the table.
 * Input: data at the ARP header. Consumes every packet.
 */
#include "arp/neigh.h"
#include "arp/neigh_ctl.h"
#include "core/mbuf_util.h"
#include "core/node.h"
#include "wire/wire.h"

enum {
	E_TX,
	E_BAD,
	E_MARTIAN,
	E_NOT_FOR_US,
	E_RING_FULL,
	E_NB,
};

static bool post(struct rs_worker *w, uint16_t iface, uint32_t ip, const uint8_t *mac,
		 enum neigh_src src)
{
	struct rs_msg msg = {
		.type = neigh_msg_arp,
		.iface = iface,
		.u32 = ip,
	};
	memcpy(msg.data, mac, 6);
	msg.data[6] = (uint8_t)src;
	return rs_msg_post(w, &msg) == 0;
}

static uint16_t arp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		const struct rs_iface *ifc = &c->ifaces[p->iface];
		uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
		struct arp_view a;
		rte_edge_t next;

		if (arp_check(&a, b, m->data_len) < 0) {
			next = E_BAD;
			goto out;
		}
		uint32_t sip = arp_spa(&a), tip = arp_tpa(&a);
		uint8_t sha[6];
		memcpy(sha, arp_sha(&a), 6);
		/* A sender claiming a broadcast/multicast hardware address, or an
		 * address that cannot be a host's, is bogus (Linux: arp_process). */
		if (eth_is_mcast(sha) || ip4_is_mcast(sip) || ip4_is_loopback(sip) ||
		    ip4_is_bcast_all(sip) || ip4_is_mcast(tip) || ip4_is_loopback(tip)) {
			next = E_MARTIAN;
			goto out;
		}
		bool for_us = rs_iface_has_addr(ifc, tip);
		/* sip 0 is an RFC 5227 probe: answer it, learn nothing */
		if (sip != 0 && !post(w, p->iface, sip, sha,
				      for_us ? (arp_op(&a) == ARP_OP_REPLY ? NEIGH_SRC_REPLY
									   : NEIGH_SRC_REQUEST_FOR_US)
					     : NEIGH_SRC_OTHER)) {
			if (!(for_us && arp_op(&a) == ARP_OP_REQUEST)) {
				next = E_RING_FULL;
				goto out;
			}
		}
		if (arp_op(&a) != ARP_OP_REQUEST || !for_us) {
			if (for_us) {
				rte_pktmbuf_free(m); /* a reply: learned above */
				nexts[i] = RS_EDGE_CONSUMED;
				continue;
			}
			next = E_NOT_FOR_US;
			goto out;
		}
		/* RFC 826: swap, fill in our address, make it a reply. */
		arp_write(b, ARP_OP_REPLY, ifc->mac.addr_bytes, tip, sha, sip);
		rs_mbuf_cut(m, ARP_LEN); /* drop link padding, chained or not */
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
		if (h == NULL) {
			next = E_BAD;
			goto out;
		}
		eth_write(h, sha, ifc->mac.addr_bytes, ETH_P_ARP);
		m->port = p->iface;
		next = E_TX;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register arp_input_node = {
	.name = "arp_input",
	.process = arp_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_TX] = "port_tx",
		[E_BAD] = RS_DROP_NODE(arp_bad),
		[E_MARTIAN] = RS_DROP_NODE(arp_martian),
		[E_NOT_FOR_US] = RS_DROP_NODE(arp_not_for_us),
		[E_RING_FULL] = RS_DROP_NODE(ctl_ring_full),
	},
};
RTE_NODE_REGISTER(arp_input_node);
