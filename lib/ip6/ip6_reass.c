/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_reass: reassembly of fragments addressed to us (RFC 8200 §4.5), in
 * the per-worker table shared with IPv4 (lib/ip4/reass.c: overlaps drop
 * the whole datagram, RFC 5722; bounded in buffers and per source). Checks
 * first, each answered as §4.5 and RFC 7112 say:
 *  - a fragment other than the last whose length is not a multiple of 8:
 *    Parameter Problem code 0 at the Payload Length field;
 *  - offset + length beyond a 65,535-byte payload: Parameter Problem code 0
 *    at the Fragment Offset field;
 *  - a first fragment without the whole header chain and the upper-layer
 *    header (RFC 7112 §5): Parameter Problem code 3.
 * A complete datagram loses its Fragment header and goes back to
 * ip6_local. ip6_reass_timer expires datagrams, with Time Exceeded
 * (fragment reassembly time exceeded) only when fragment 0 arrived.
 * Input: data at the IPv6 header, m->l3_len the Fragment header's offset,
 * priv->nh the offset of the byte naming it. Consumes every packet.
 */
#include "core/node.h"
#include "icmp/icmp6.h"
#include "ip4/reass.h"
#include "ip6/ip6.h"
#include "wire/ip6_wire.h"

enum {
	E_LOCAL,
	E_OUTPUT,
	E_OVERLAP,
	E_DUP,
	E_BAD,
	E_NOMEM,
	E_TOO_MANY,
	E_NB,
};

#define ICMP6_PARAM_FIRST_FRAG 3 /* RFC 7112 §6 */

static RTE_DEFINE_PER_LCORE(struct reass_done, reass6_done);

/* RFC 7112 §5: the first fragment holds every extension header after the
 * Fragment header and the upper-layer header (at least its first bytes). */
static bool first_has_chain(const uint8_t *b, uint32_t len, uint8_t nh, uint32_t off)
{
	for (int n = 0; n <= IP6_EXT_MAX; n++) {
		uint32_t hl;
		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_ROUTING_:
			if (off + 2 > len)
				return false;
			hl = (b[off + 1] + 1u) * 8;
			break;
		case IPPROTO_AH_:
			if (off + 2 > len)
				return false;
			hl = (b[off + 1] + 2u) * 4;
			break;
		case IPPROTO_FRAGMENT_:
			hl = IP6_FRAG_HLEN;
			break;
		case IPPROTO_TCP_:
			return off + 20 <= len;
		case IPPROTO_UDP_:
		case IPPROTO_ICMPV6_:
			return off + 8 <= len || (nh == IPPROTO_ICMPV6_ && off + 4 <= len);
		default:
			return true; /* No Next Header, or a protocol we cannot size */
		}
		if (off + hl > len)
			return false;
		nh = b[off];
		off += hl;
	}
	return false;
}

/* Chains the fragments behind fragment 0, whose Fragment header goes. */
static struct rte_mbuf *reass_chain(const struct reass_done *d, uint32_t fo, uint32_t nh_off)
{
	struct rte_mbuf *first = d->frags[0].buf;
	uint8_t *b = rte_pktmbuf_mtod(first, uint8_t *);
	uint32_t unfrag = fo; /* IPv6 header + headers before the Fragment header */
	bool ok = unfrag - IP6_HLEN + d->total_len <= 65535;
	/* the first fragment's data beyond its own payload: none (cut by ip6_input) */
	for (uint32_t i = 1; i < d->n; i++) {
		struct rte_mbuf *m = d->frags[i].buf;
		rte_pktmbuf_adj(m, (uint16_t)(m->pkt_len - d->frags[i].len));
		if (ok && rte_pktmbuf_chain(first, m) == 0)
			continue;
		ok = false;
		rte_pktmbuf_free(m);
	}
	if (!ok) {
		rte_pktmbuf_free(first);
		return NULL;
	}
	b[nh_off] = b[fo]; /* the header after the Fragment header */
	memmove(b + IP6_FRAG_HLEN, b, fo);
	rte_pktmbuf_adj(first, IP6_FRAG_HLEN);
	b = rte_pktmbuf_mtod(first, uint8_t *);
	rs_st16(b + 4, (uint16_t)(unfrag - IP6_HLEN + d->total_len));
	return first;
}

static const rte_edge_t result_edge[] = {
	[REASS_HELD] = E_NOMEM, [REASS_COMPLETE] = E_NOMEM, [REASS_DUP] = E_DUP,
	[REASS_OVERLAP] = E_OVERLAP, [REASS_BAD] = E_BAD, [REASS_NOMEM] = E_NOMEM,
	[REASS_TOO_MANY] = E_TOO_MANY,
};

static rte_edge_t param(struct rs_worker *w, struct rte_graph *graph, struct rte_node *node,
			struct rte_mbuf *m, uint8_t code, uint32_t ptr)
{
	struct rte_mbuf *e = icmp6_error_build(w, m, ICMP6_PARAM_PROB, code, ptr, false);
	if (e != NULL)
		rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
	return E_BAD;
}

static uint16_t ip6_reass_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct ip6_worker *iw = ip6_worker(w);
	struct reass_done *d = &RTE_PER_LCORE(reass6_done);

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t fo = m->l3_len;
		/* ip6_local's walk put the whole Fragment header in the first segment */
		const uint8_t *fh = b + fo;
		uint32_t off = ip6_frag_offset(fh), start = fo + IP6_FRAG_HLEN;
		uint32_t len = m->pkt_len - start;
		bool more = ip6_frag_more(fh);
		rte_edge_t drop;
		if (more && (len == 0 || len % 8 != 0)) {
			drop = param(w, graph, node, m, ICMP6_PARAM_HEADER, 4);
			goto drop;
		}
		if (off + len > 65535 - (fo - IP6_HLEN)) {
			drop = param(w, graph, node, m, ICMP6_PARAM_HEADER, fo + 2);
			goto drop;
		}
		if (off == 0 && !first_has_chain(b, m->data_len, fh[0], start)) {
			drop = param(w, graph, node, m, ICMP6_PARAM_FIRST_FRAG, 0);
			goto drop;
		}
		struct reass_key k = {
			.src = rs_ip_from6(ip6_src(b)),
			.dst = rs_ip_from6(ip6_dst(b)),
			.id = ip6_frag_id(fh),
			.proto = 0,
		};
		struct reass_frag f = { .off = off, .len = len, .more = more, .buf = m };
		/* the unfragmentable part must be the same in every fragment
		 * for the chain below; it is taken from fragment 0 (§4.5) */
		reass_graph_enter(&iw->rg, node, E_NOMEM);
		enum reass_result r = reass_add(iw->rg.reass, &k, &f, w->now_ns, d);
		reass_graph_flush(&iw->rg, graph, node, result_edge[r]);
		if (r == REASS_COMPLETE) {
			struct rte_mbuf *first = d->frags[0].buf;
			struct rte_mbuf *whole =
				reass_chain(d, first->l3_len, rs_priv(first)->nh);
			if (whole != NULL)
				rte_node_enqueue_x1(graph, node, E_LOCAL, whole);
		}
		continue;
drop:
		rte_node_enqueue_x1(graph, node, drop, m);
	}
	return nb;
}

static struct rte_node_register ip6_reass_node = {
	.name = "ip6_reass",
	.process = ip6_reass_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_LOCAL] = "ip6_local",
		[E_OUTPUT] = "ip6_output",
		[E_OVERLAP] = RS_DROP_NODE(reass_overlap),
		[E_DUP] = RS_DROP_NODE(reass_dup),
		[E_BAD] = RS_DROP_NODE(reass_bad),
		[E_NOMEM] = RS_DROP_NODE(reass_nomem),
		[E_TOO_MANY] = RS_DROP_NODE(reass_too_many),
	},
};
RTE_NODE_REGISTER(ip6_reass_node);

/* ---- expiry ---- */

enum { T_OUTPUT, T_TIMEOUT, T_NB };

/* Time Exceeded, fragment reassembly time exceeded (RFC 8200 §4.5) */
static struct rte_mbuf *expired(struct rs_worker *w, struct rte_mbuf *frag0)
{
	return icmp6_error_build(w, frag0, ICMP6_TIME_EXCEEDED, ICMP6_TIMEX_REASS, 0, false);
}

static uint16_t ip6_reass_timer_process(struct rte_graph *graph, struct rte_node *node,
					void **objs, uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	(void)objs;
	(void)nb;
	return reass_graph_expire(&ip6_worker(w)->rg, w, graph, node, T_OUTPUT, T_TIMEOUT, expired);
}

static struct rte_node_register ip6_reass_timer_node = {
	.name = "ip6_reass_timer",
	.flags = RTE_NODE_SOURCE_F,
	.process = ip6_reass_timer_process,
	.init = rs_node_init,
	.nb_edges = T_NB,
	.next_nodes = {
		[T_OUTPUT] = "ip6_output",
		[T_TIMEOUT] = RS_DROP_NODE(reass_timeout),
	},
};
RTE_NODE_REGISTER(ip6_reass_timer_node);
