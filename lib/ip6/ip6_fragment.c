/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_fragment (RFC 8200 §4.5): splits a packet we originate that is larger
 * than the egress MTU into fragments (single-segment mbufs), each the
 * unfragmentable part (the IPv6 header: what we originate carries no
 * extension header before its payload), a Fragment header and at most
 * MTU - 48 bytes (a multiple of 8) of the rest; and copies a chained packet
 * the port cannot send as a chain into one segment. Forwarded packets never
 * get here (ip6_forward answers Packet Too Big). The Identification is
 * random per datagram (RFC 7739: not predictable). Input: data at the IPv6
 * header, priv iface/nh set. Consumes every packet.
 */
#include <rte_random.h>

#include "core/node.h"
#include "ip6/pmtu.h"
#include "wire/ip6_wire.h"

enum {
	E_ETH,
	E_NOMEM,
	E_NB,
};

#define MAX_FRAGS 64 /* 65535 bytes at the IPv6 minimum MTU: 53 */

static struct rte_mbuf *make_frag(struct rte_mbuf *orig, const uint8_t *hdr, bool frag,
				  uint32_t src_off, uint16_t len, uint32_t off, bool more,
				  uint32_t id)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(rs_dp.pool);
	if (f == NULL)
		return NULL;
	uint16_t hl = (uint16_t)(IP6_HLEN + (frag ? IP6_FRAG_HLEN : 0));
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(hl + len));
	if (d == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	memcpy(d, hdr, IP6_HLEN);
	rs_st16(d + 4, (uint16_t)(hl - IP6_HLEN + len));
	if (frag) {
		uint8_t *fh = d + IP6_HLEN;
		fh[0] = hdr[6];
		fh[1] = 0;
		rs_st16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
		rs_st32(fh + 4, id);
		d[6] = IPPROTO_FRAGMENT_;
	}
	const void *s = rte_pktmbuf_read(orig, src_off, len, d + hl);
	if (s != d + hl)
		memcpy(d + hl, s, len);
	*rs_priv(f) = *rs_priv(orig);
	return f;
}

static uint16_t ip6_fragment_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct rte_mbuf *out[MAX_FRAGS];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const struct rs_iface *ifc = &w->cfg->ifaces[rs_priv(m)->iface];
		uint8_t hdr[IP6_HLEN];
		memcpy(hdr, rte_pktmbuf_mtod(m, uint8_t *), IP6_HLEN);
		uint32_t payload = m->pkt_len - IP6_HLEN;
		unsigned n = 0;
		/* the path's MTU when Packet Too Big taught a smaller one */
		uint32_t pmtu = rs_priv(m)->flags & RS_PF_NO_PMTU
					? ifc->mtu : pmtu_for6(ifc, hdr + 24, w->now_ns);
		if (m->pkt_len <= pmtu) {
			out[n] = make_frag(m, hdr, false, IP6_HLEN, (uint16_t)payload, 0, false, 0);
			if (out[n] == NULL)
				goto nomem;
			n++;
			goto send;
		}
		uint32_t mtu = pmtu < IP6_MIN_MTU ? IP6_MIN_MTU : pmtu;
		uint32_t room = (mtu - IP6_HLEN - IP6_FRAG_HLEN) & ~7u;
		uint32_t id = (uint32_t)rte_rand();
		for (uint32_t off = 0; off < payload;) {
			uint32_t len = payload - off;
			bool last = len <= room;
			if (!last)
				len = room;
			if (n == MAX_FRAGS)
				goto nomem;
			out[n] = make_frag(m, hdr, true, IP6_HLEN + off, (uint16_t)len, off, !last,
					   id);
			if (out[n] == NULL)
				goto nomem;
			n++;
			off += len;
		}
send:
		rte_node_enqueue(graph, node, E_ETH, (void **)out, (uint16_t)n);
		rte_pktmbuf_free(m);
		continue;
nomem:
		rte_pktmbuf_free_bulk(out, n);
		rte_node_enqueue_x1(graph, node, E_NOMEM, m);
	}
	return nb;
}

static struct rte_node_register ip6_fragment_node = {
	.name = "ip6_fragment",
	.process = ip6_fragment_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ETH] = "eth_output6",
		[E_NOMEM] = RS_DROP_NODE(frag_nomem),
	},
};
RTE_NODE_REGISTER(ip6_fragment_node);
