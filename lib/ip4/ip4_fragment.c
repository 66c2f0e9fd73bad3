/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_fragment (RFC 791 §3.2, RFC 1812 §5.2.6): splits a datagram larger
 * than the egress MTU into fragments of single-segment mbufs (and copies a
 * chained packet the port cannot send as chain into one segment). Options
 * with the copy flag go into every fragment, the others into the first only.
 * A datagram with DF set is not fragmented (frag_needed; the forwarding path
 * answers it with ICMP before it gets here). Input: data at the IPv4 header,
 * priv iface/nh_ip set. Consumes every packet.
 */
#include "core/node.h"
#include "wire/wire.h"

enum {
	E_ETH,
	E_DF,
	E_NOMEM,
	E_NB,
};

#define MAX_FRAGS 1400 /* 65535 bytes at the minimum MTU of 68 (RFC 791) */

/* Copies the options of hdr that must appear in every fragment. */
static uint16_t copied_options(const uint8_t *hdr, uint16_t hlen, uint8_t *out)
{
	uint16_t n = 0;
	for (uint16_t i = IP4_HLEN; i < hlen;) {
		uint8_t t = hdr[i];
		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		uint8_t ol = hdr[i + 1]; /* lengths validated by ip4_input */
		if (t & 0x80) {
			memcpy(out + n, hdr + i, ol);
			n = (uint16_t)(n + ol);
		}
		i = (uint16_t)(i + ol);
	}
	while (n & 3)
		out[n++] = 0; /* pad with end-of-options */
	return n;
}

static struct rte_mbuf *make_frag(struct rte_mbuf *orig, const uint8_t *hdr, uint16_t hl,
				  uint32_t src_off, uint16_t len, uint16_t frag_field)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(rs_dp.pool);
	if (f == NULL)
		return NULL;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(hl + len));
	if (d == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	memcpy(d, hdr, hl);
	d[0] = (uint8_t)(0x40 | (hl / 4));
	rs_st16(d + 2, (uint16_t)(hl + len));
	rs_st16(d + 6, frag_field);
	const void *s = rte_pktmbuf_read(orig, src_off, len, d + hl);
	if (s != d + hl)
		memcpy(d + hl, s, len);
	ip4_set_csum(d, hl);
	*rs_priv(f) = *rs_priv(orig);
	return f;
}

static uint16_t ip4_fragment_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	const struct rs_cfg *c = w->cfg;
	struct rte_mbuf *out[MAX_FRAGS];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const struct rs_iface *ifc = &c->ifaces[rs_priv(m)->iface];
		uint8_t hdr[60], rest[60];
		uint16_t hlen = (uint16_t)((rte_pktmbuf_mtod(m, uint8_t *)[0] & 0xf) * 4);
		memcpy(hdr, rte_pktmbuf_mtod(m, uint8_t *), hlen);
		uint16_t frag = rs_ld16(hdr + 6);
		uint32_t payload = m->pkt_len - hlen;
		unsigned n = 0;

		if (m->pkt_len <= ifc->mtu) {
			/* fits: only the chain has to go */
			out[n] = make_frag(m, hdr, hlen, hlen, (uint16_t)payload, frag);
			if (out[n] == NULL)
				goto nomem;
			n++;
			goto send;
		}
		if (frag & IP4_DF) {
			rte_node_enqueue_x1(graph, node, E_DF, m);
			continue;
		}
		memcpy(rest, hdr, IP4_HLEN);
		uint16_t rest_hl = (uint16_t)(IP4_HLEN + copied_options(hdr, hlen, rest + IP4_HLEN));
		uint32_t base = (uint32_t)(frag & IP4_OFFMASK) * 8;
		for (uint32_t off = 0; off < payload;) {
			const uint8_t *h = off == 0 ? hdr : rest;
			uint16_t hl = off == 0 ? hlen : rest_hl;
			uint32_t room = ((uint32_t)ifc->mtu - hl) & ~7u;
			uint32_t len = payload - off;
			bool last = len <= room;
			if (!last)
				len = room;
			if (room == 0 || n == MAX_FRAGS)
				goto nomem;
			uint16_t ff = (uint16_t)(((base + off) / 8) |
						 ((!last || (frag & IP4_MF)) ? IP4_MF : 0));
			out[n] = make_frag(m, h, hl, hlen + off, (uint16_t)len, ff);
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

static struct rte_node_register ip4_fragment_node = {
	.name = "ip4_fragment",
	.process = ip4_fragment_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_ETH] = "eth_output",
		[E_DF] = RS_DROP_NODE(frag_needed),
		[E_NOMEM] = RS_DROP_NODE(frag_nomem),
	},
};
RTE_NODE_REGISTER(ip4_fragment_node);
