/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * igmp_input: IGMP messages for us (ip4_local). A query (RFC 3376 §7.1:
 * its length tells the version) goes to the control thread, which answers
 * it; what other hosts report is not ours to act on (an IGMPv3 host does
 * not suppress its reports, §5.1). Input: data at the IPv4 header.
 * Consumes every packet.
 */
#include "core/node.h"
#include "igmp/igmp.h"
#include "wire/igmp_wire.h"
#include "wire/wire.h"

enum {
	E_BAD,
	E_NOT_QUERY,
	E_RING_FULL,
	E_NB,
};

static rte_edge_t igmp_input_one(struct rs_worker *w, struct rte_mbuf *m)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
	uint32_t len = m->pkt_len - hlen;
	/* ip4_input cut the frame to the IP length; a query is one segment */
	if (m->pkt_len < hlen || m->data_len != m->pkt_len)
		return E_BAD;
	const uint8_t *g = b + hlen;
	if (igmp_check(g, len) < 0)
		return E_BAD;
	if (g[0] != IGMP_QUERY)
		return E_NOT_QUERY;
	struct igmp_query_view q;
	if (igmp_query_check(&q, g, len) < 0)
		return E_BAD;
	struct rs_msg msg = { .type = igmp_msg_query, .iface = rs_priv(m)->iface, .u32 = q.group };
	msg.data[0] = q.version;
	if (rs_msg_post(w, &msg) != 0)
		return E_RING_FULL;
	rte_pktmbuf_free(m);
	return RS_EDGE_CONSUMED;
}

static uint16_t igmp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				   uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	rte_edge_t nexts[nb];
	for (uint16_t i = 0; i < nb; i++)
		nexts[i] = igmp_input_one(w, objs[i]);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register igmp_input_node = {
	.name = "igmp_input",
	.process = igmp_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_BAD] = RS_DROP_NODE(igmp_bad),
		[E_NOT_QUERY] = RS_DROP_NODE(igmp_not_query),
		[E_RING_FULL] = RS_DROP_NODE(ctl_ring_full),
	},
};
RTE_NODE_REGISTER(igmp_input_node);
