/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_local: datagrams for us. Fragments go to reassembly; whole datagrams
 * to their protocol (IGMP to igmp_input, lib/igmp); an unknown protocol
 * gets Destination Unreachable (protocol, RFC 1122 §3.2.2.1). Input: data
 * at the IPv4 header, validated. Consumes every packet.
 */
#include "core/node.h"
#include "icmp/icmp4.h"
#include "wire/igmp_wire.h"
#include "wire/wire.h"

enum {
	E_REASS,
	E_ICMP,
	E_UDP,
	E_TCP,
	E_OUTPUT,
	E_PROTO_UNREACH,
	E_IGMP,
	E_NB,
};

static uint16_t ip4_local_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t frag = rs_ld16(b + 6);
		rte_edge_t next;

		if (frag & (IP4_MF | IP4_OFFMASK)) {
			next = E_REASS;
		} else if (b[9] == IPPROTO_ICMP_) {
			next = E_ICMP;
		} else if (b[9] == IPPROTO_UDP_) {
			next = E_UDP;
		} else if (b[9] == IPPROTO_TCP_) {
			next = E_TCP;
		} else if (b[9] == IPPROTO_IGMP_) {
			next = E_IGMP;
		} else {
			int why;
			struct rte_mbuf *e = icmp4_error_build(w, m, ICMP4_DEST_UNREACH,
							       ICMP4_UNREACH_PROTO, 0, &why);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
			next = E_PROTO_UNREACH;
		}
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip4_local_node = {
	.name = "ip4_local",
	.process = ip4_local_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_REASS] = "ip4_reass",
		[E_ICMP] = "icmp4_input",
		[E_UDP] = "udp_input",
		[E_TCP] = "tcp_input",
		[E_OUTPUT] = "ip4_output",
		[E_PROTO_UNREACH] = RS_DROP_NODE(proto_unreachable),
		[E_IGMP] = "igmp_input",
	},
};
RTE_NODE_REGISTER(ip4_local_node);
