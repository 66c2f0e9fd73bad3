/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_input (RFC 768, RFC 1122 §4.1.3): length and checksum checks (a zero
 * checksum means none was sent), then delivery. No socket is bound yet, so
 * every datagram is to a closed port: Port Unreachable (RFC 1122 §4.1.3.1),
 * except for broadcasts. Input: data at the IPv4 header. Consumes every
 * packet.
 */
#include <rte_ip.h>

#include "core/node.h"
#include "icmp/icmp4.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_TRUNC,
	E_CSUM,
	E_PORT_UNREACH,
	E_NB,
};

static uint16_t udp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
		struct udp_view u;
		rte_edge_t next;

		if (m->data_len < hlen + UDP_HLEN ||
		    udp_check(&u, b + hlen, m->pkt_len - hlen) < 0) {
			next = E_TRUNC;
			goto out;
		}
		if (udp_csum_field(&u) != 0) {
			uint16_t sum;
			if (rte_raw_cksum_mbuf(m, hlen, u.len, &sum) != 0) {
				next = E_TRUNC;
				goto out;
			}
			uint32_t s = rs_csum_pseudo4(rs_ld32(b + 12), rs_ld32(b + 16),
						     IPPROTO_UDP_, u.len) +
				     rte_be_to_cpu_16(sum); /* rte_raw_cksum sums in host order */
			if (rs_csum_fold(s) != 0) {
				next = E_CSUM;
				goto out;
			}
		}
		if (!(rs_priv(m)->flags & (RS_PF_L2_BCAST | RS_PF_LOCAL_BCAST))) {
			int why;
			struct rte_mbuf *e = icmp4_error_build(w, m, ICMP4_DEST_UNREACH,
							       ICMP4_UNREACH_PORT, 0, &why);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
		}
		next = E_PORT_UNREACH;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register udp_input_node = {
	.name = "udp_input",
	.process = udp_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_TRUNC] = RS_DROP_NODE(udp_truncated),
		[E_CSUM] = RS_DROP_NODE(udp_bad_checksum),
		[E_PORT_UNREACH] = RS_DROP_NODE(udp_port_unreachable),
	},
};
RTE_NODE_REGISTER(udp_input_node);
