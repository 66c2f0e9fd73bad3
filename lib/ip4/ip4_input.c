/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_input: validation of received IPv4 datagrams, written as the steps of
 * RFC 1812 §5.2.2 (and RFC 1122 §3.2.1), then the routing decision:
 * local delivery for our addresses, our subnet broadcasts and
 * 255.255.255.255. Input: data at the IPv4 header. Consumes every packet.
 */
#include <rte_ip.h>

#include "core/mbuf_util.h"
#include "core/node.h"
#include "route/fib4.h"
#include "wire/wire.h"

enum {
	E_LOCAL,
	E_TRUNC,
	E_VERSION,
	E_HDRLEN,
	E_LENGTH,
	E_CSUM,
	E_OPTIONS,
	E_MARTIAN_SRC,
	E_MARTIAN_DST,
	E_SRC_LOCAL,
	E_NOT_FOR_US,
	E_FORWARD,
	E_NB,
};

static const rte_edge_t wire_err_edge[] = {
	[-WIRE_ETRUNC] = E_TRUNC,
	[-WIRE_EVERSION] = E_VERSION,
	[-WIRE_EHDRLEN] = E_HDRLEN,
	[-WIRE_ETOTLEN] = E_LENGTH,
	[-WIRE_EFORMAT] = E_HDRLEN,
	[-WIRE_EOPTIONS] = E_OPTIONS,
};

static uint16_t ip4_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		const struct rs_iface *ifc = &c->ifaces[p->iface];
		struct ip4_view v;
		rte_edge_t next;

		/* (1) the link reported a frame long enough for the minimum
		 * header, (3) version 4, (4) IHL >= 5 and within the frame,
		 * (5) total length >= header and <= the frame; options are
		 * walked so later code can trust their lengths. */
		int rc = ip4_check(&v, rte_pktmbuf_mtod(m, void *), m->data_len);
		if (rc < 0) {
			next = wire_err_edge[-rc];
			goto out;
		}
		/* (2) header checksum: trust the port only when it checked it */
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ifc->rx_ip4_csum && ck == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
			next = E_CSUM;
			goto out;
		}
		if (!(ifc->rx_ip4_csum && ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD) && !ip4_csum_ok(&v)) {
			next = E_CSUM;
			goto out;
		}
		/* link-layer padding beyond the IP total length is not data */
		rs_mbuf_cut(m, v.tot_len);

		uint32_t src = ip4_src(&v), dst = ip4_dst(&v);
		/* RFC 1812 §5.3.7 / RFC 1122 §3.2.1.3: martian sources */
		if (ip4_src_is_martian(src) || ip4_is_bcast_all(src)) {
			next = E_MARTIAN_SRC;
			goto out;
		}
		if (ip4_is_loopback(dst) || ip4_is_zeronet(dst) ||
		    (ip4_is_class_e(dst) && !ip4_is_bcast_all(dst))) {
			next = E_MARTIAN_DST;
			goto out;
		}
		if (ip4_is_bcast_all(dst)) {
			p->flags |= RS_PF_LOCAL_BCAST;
			next = E_LOCAL;
			goto out;
		}
		if (ip4_is_mcast(dst)) {
			next = E_NOT_FOR_US; /* no multicast group joined */
			goto out;
		}
		uint32_t nh = fib4_lookup(dst);
		p->nh = nh;
		uint8_t type = nh == FIB4_NH_NONE ? RT_UNICAST : fib4_nh(nh)->type;
		if (type == RT_LOCAL || type == RT_BROADCAST) {
			/* a datagram claiming one of our addresses as its source
			 * did not come from us: spoofed or looped */
			uint32_t snh = fib4_lookup(src);
			if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_LOCAL) {
				next = E_SRC_LOCAL;
				goto out;
			}
			/* RFC 1812 §5.3.7: a (subnet) broadcast is no source */
			if (snh != FIB4_NH_NONE && fib4_nh(snh)->type == RT_BROADCAST) {
				next = E_MARTIAN_SRC;
				goto out;
			}
			if (type == RT_BROADCAST)
				p->flags |= RS_PF_LOCAL_BCAST;
			next = E_LOCAL;
			goto out;
		}
		/* not ours: route it when this link forwards (RFC 1812), else
		 * a host silently discards it (RFC 1122 §3.2.1.3) */
		next = ifc->forwarding ? E_FORWARD : E_NOT_FOR_US;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip4_input_node = {
	.name = "ip4_input",
	.process = ip4_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_LOCAL] = "ip4_local",
		[E_TRUNC] = RS_DROP_NODE(ip4_truncated),
		[E_VERSION] = RS_DROP_NODE(ip4_bad_version),
		[E_HDRLEN] = RS_DROP_NODE(ip4_bad_hdrlen),
		[E_LENGTH] = RS_DROP_NODE(ip4_bad_length),
		[E_CSUM] = RS_DROP_NODE(ip4_bad_checksum),
		[E_OPTIONS] = RS_DROP_NODE(ip4_bad_options),
		[E_MARTIAN_SRC] = RS_DROP_NODE(ip4_martian_src),
		[E_MARTIAN_DST] = RS_DROP_NODE(ip4_martian_dst),
		[E_SRC_LOCAL] = RS_DROP_NODE(ip4_src_is_local),
		[E_NOT_FOR_US] = RS_DROP_NODE(not_for_us),
		[E_FORWARD] = "ip4_forward",
	},
};
RTE_NODE_REGISTER(ip4_input_node);
