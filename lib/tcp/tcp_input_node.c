/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_input: TCP segments for us (RFC 9293 §3.10.7). Length and checksum
 * are checked once (a segment handed over from another worker was checked
 * there); the segment goes to the worker that owns its flow (core/rss.h),
 * which looks it up in its own connection table, then among listeners
 * (sock_demux: bound address, then wildcard). A segment no connection or
 * listener takes is answered with RST (RFC 9293 §3.10.7.1), except a RST.
 * The engine (tcp.h) decides everything else; tcp_io.c carries it out.
 * Both families share every step; only the header read and the
 * pseudo-header differ. Input: data at the IPv4 header, or at the IPv6
 * header with m->l3_len the TCP offset (ip6_local). Consumes every packet.
 */
#include <rte_graph_worker.h>
#include <rte_ip.h>

#include "core/mbuf_util.h"
#include "core/node.h"
#include "tcp/tcp_dp.h"
#include "wire/ip6_wire.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_OUTPUT6,
	E_HANDOFF,
	E_TRUNC,
	E_CSUM,
	E_BAD_HDR,
	E_NO_CONN,      /* RST sent (or a RST to nothing) */
	E_LISTEN_DROP,  /* SYN queue full without cookies, or not a valid SYN */
	E_NO_STOCK,     /* handshake ACK while the listener has no socket ready */
	E_NOMEM,        /* no connection memory */
	E_NB,
};
/* Not an edge: the engine is done with the segment; freed after the
 * vector (a delivery may still read it until then). */
#define DONE ((rte_edge_t)0xfffe)

static uint8_t handoff_target;

RTE_INIT(tcp_input_register)
{
	handoff_target = sock_handoff_target("tcp_input");
}

static struct rs_sock *listener_for(const struct tcp_key *k, uint32_t hash)
{
	struct rs_ip l, r;
	memcpy(l.b, k->laddr, 16);
	memcpy(r.b, k->raddr, 16);
	struct rs_sock *s = sock_demux_lookup(sock_demux_tbl, IPPROTO_TCP_, &l, k->lport, &r,
					      k->rport, hash);
	if (s == NULL || s->proto != &tcp_proto)
		return NULL;
	struct tcp_psock *ps = s->proto_priv;
	return ps != NULL && ps->listening && ps->lsock != NULL && !ps->lsock->ending ? s : NULL;
}

static void send_rst(struct tcp_worker *tw, struct rs_worker *w, const struct tcp_key *k, int oif,
		     const struct tcp_seg *seg)
{
	struct tcp_out_seg o;
	if (tcp_rst_reply(seg, &o)) {
		tw->ctx.mib.out_rsts++;
		tcp_send_bare(tw, w, k, oif, &o);
	}
}

/* A segment for a listener: SYN, cookie ACK, or a RST reply. Returns the
 * edge for m (DONE when an engine call took it). */
static rte_edge_t listen_input(struct tcp_worker *tw, struct rs_worker *w, struct rs_sock *ls,
			       const struct tcp_key *k, int oif, const struct tcp_seg *seg,
			       struct rte_mbuf *m, uint32_t isn)
{
	struct tcp_psock *lp = ls->proto_priv;
	struct tcp_listener *l = &lp->lsock->l[w->idx];
	struct tcp_tuple t;
	tcp_key_tuple(k, &t);
	uint32_t mtu = tcp_route_mtu(w, k, oif);
	struct tcp_actions *a = &tw->act;
	uint8_t f = seg->flags;

	if ((f & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		enum tcp_syn_verdict v = tcp_listen_syn(&tw->ctx, l, &t, seg, mtu, w->now_ns, a);
		if (v == TCP_SYN_DROP)
			return E_LISTEN_DROP;
		if (v == TCP_SYN_COOKIE) {
			tcp_send_bare(tw, w, k, oif, &a->segs[0]);
			return DONE;
		}
		struct tcp_sconn *sc = tcp_sconn_alloc(tw);
		if (sc == NULL) {
			tw->no_conn_mem++;
			/* no memory for state: answer with a cookie, keep none */
			if (tcp_syncookie_reply(&tw->ctx, l, &t, seg, mtu, w->now_ns, a) == 0)
				tcp_send_bare(tw, w, k, oif, &a->segs[0]);
			return E_NOMEM;
		}
		sc->key = *k;
		sc->oif = (int16_t)oif;
		sc->ls = ls;
		struct tcp_io io = { .now_ns = w->now_ns, .rcv_free = l->so.rcvbuf };
		tcp_conn_open_passive(&tw->ctx, l, &sc->c, &t, seg, mtu, isn, &io, a);
		tcp_sconn_insert(tw, sc);
		tw->cur = m;
		tcp_act_run(tw, w, sc);
		return DONE;
	}
	if ((f & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK) {
		struct tcp_cookie_info info;
		if (tcp_syncookie_check(&tw->ctx, &t, seg, w->now_ns, &info) == 0) {
			struct rs_sock *s = tcp_stock_take(tw, w, ls);
			if (s == NULL) {
				tw->ctx.mib.in_segs++;
				return E_NO_STOCK; /* the peer retransmits; it has all it needs */
			}
			struct tcp_sconn *sc = tcp_sconn_alloc(tw);
			if (sc == NULL) {
				tw->ctx.mib.in_segs++;
				tw->no_conn_mem++;
				tcp_sock_post_release(w, s);
				return E_NOMEM;
			}
			sc->key = *k;
			sc->oif = (int16_t)oif;
			sc->ls = ls;
			sc->s = s;
			struct tcp_io io;
			tcp_io_fill(tw, w, sc, &io);
			tw->cur = m;
			if (tcp_conn_open_cookie(&tw->ctx, l, &sc->c, &t, seg, &info, mtu, &io, a) < 0) {
				tcp_sock_post_release(w, s);
				rte_mempool_put(tw->pool, sc);
				return E_LISTEN_DROP;
			}
			tcp_sconn_insert(tw, sc);
			tcp_act_run(tw, w, sc);
			return DONE;
		}
	}
	tw->ctx.mib.in_segs++;
	if (tcp_listen_wants_rst(seg))
		send_rst(tw, w, k, oif, seg);
	return E_NO_CONN;
}

static rte_edge_t one(struct tcp_worker *tw, struct rs_worker *w, struct rte_mbuf *m)
{
	struct rs_priv *p = rs_priv(m);
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	bool v6 = b[0] >> 4 == 6;
	uint16_t hlen = v6 ? (uint16_t)m->l3_len : (uint16_t)((b[0] & 0xf) * 4);
	if (m->data_len < hlen + TCP_HLEN)
		return E_TRUNC;
	uint32_t tlen = m->pkt_len - hlen;
	struct tcp_view v;
	if (tcp_check(&v, b + hlen, tlen) < 0)
		return E_TRUNC;
	/* the header and its options in the first segment, as every stack
	 * that reassembles keeps it */
	if (m->data_len < hlen + v.hlen)
		return E_BAD_HDR;
	struct rs_ip la, ra;
	if (v6) {
		la = rs_ip_from6(ip6_dst(b));
		ra = rs_ip_from6(ip6_src(b));
	} else {
		la = rs_ip_from4(rs_ld32(b + 16));
		ra = rs_ip_from4(rs_ld32(b + 12));
	}
	if (!(p->flags & RS_PF_L4_OK)) {
		uint16_t sum;
		if (rs_mbuf_csum(m, hlen, tlen, &sum) != 0)
			return E_TRUNC;
		uint32_t s = (v6 ? rs_csum_pseudo6(ra.b, la.b, IPPROTO_TCP_, tlen)
				 : rs_csum_pseudo4(rs_ip_v4(&ra), rs_ip_v4(&la), IPPROTO_TCP_,
						   (uint16_t)tlen)) +
			     rte_be_to_cpu_16(sum);
		if (rs_csum_fold(s) != 0)
			return E_CSUM;
	}
	/* RFC 9293 §3.9.1 (and RFC 1122 §4.2.3.10): never to a multicast or
	 * broadcast address, nor from the unspecified one (ip6_input lets ::
	 * through for DAD); an IPv6 source ip6_input let through is never
	 * IPv4-mapped, so the families' keys cannot meet */
	if (v6 && (ip6_is_mcast(la.b) || ip6_is_unspec(ra.b)))
		return E_NO_CONN;
	struct tcp_key k;
	memcpy(k.laddr, la.b, 16);
	memcpy(k.raddr, ra.b, 16);
	k.lport = tcp_dport(&v);
	k.rport = tcp_sport(&v);
	/* a link-local peer is reached on the link it came from */
	int oif = v6 && ip6_is_linklocal(ra.b) ? p->iface : -1;
	uint16_t owner = tcp_key_worker(&k);
	if (owner != w->idx) {
		p->owner = owner;
		p->inject = handoff_target;
		p->flags |= RS_PF_L4_OK;
		return E_HANDOFF;
	}
	struct tcp_seg seg;
	if (tcp_seg_parse(&seg, b + hlen, tlen) < 0)
		return E_BAD_HDR;
	/* RFC 1122 §4.2.3.10: never to or from a broadcast address */
	if (p->flags & (RS_PF_L2_BCAST | RS_PF_LOCAL_BCAST))
		return E_NO_CONN;
	/* from here on the payload starts at the mbuf's data: the engine's
	 * deliveries count from there */
	rte_pktmbuf_adj(m, (uint16_t)(hlen + v.hlen));
	struct tcp_actions *a = &tw->act;
	struct tcp_sconn *sc = tcp_sconn_lookup(tw, &k);
	uint32_t isn = 0;
	if (sc != NULL) {
		/* the handshake's last ACK needs the child's socket ready */
		if (sc->s == NULL && sc->ls != NULL && sc->c.state == TCP_SYN_RECEIVED &&
		    (seg.flags & TCP_ACK) && !(seg.flags & (TCP_RST | TCP_SYN))) {
			sc->s = tcp_stock_take(tw, w, sc->ls);
			if (sc->s == NULL)
				return E_NO_STOCK;
		}
		struct tcp_io io;
		tcp_io_fill(tw, w, sc, &io);
		tw->cur = m;
		tcp_input(&tw->ctx, &sc->c, &seg, &io, a);
		bool reuse = (a->events & TCP_EV_TW_REUSE) != 0;
		isn = a->tw_isn.v;
		tcp_act_run(tw, w, sc);
		if (!reuse)
			return DONE;
		/* RFC 6191: the TIME-WAIT connection made way for a new one */
		if (sc != NULL && tcp_sconn_lookup(tw, &k) == sc)
			tcp_sconn_done(tw, sc);
		/* tcp_input counted the SYN; the listener counts it again */
		tw->ctx.mib.in_segs--;
	}
	uint32_t h = k.raddr[15] ^ ((uint32_t)k.rport << 16 | k.lport);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	struct rs_sock *ls = listener_for(&k, h);
	if (ls != NULL)
		return listen_input(tw, w, ls, &k, oif, &seg, m, isn);
	tw->ctx.mib.in_segs++;
	if (!(seg.flags & TCP_RST))
		send_rst(tw, w, &k, oif, &seg);
	return E_NO_CONN;
}

static uint16_t tcp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct tcp_worker *tw = tcp_workers[w->idx];
	rte_edge_t nexts[nb];

	tw->g = graph;
	tw->node = node;
	tw->out_edge = E_OUTPUT;
	tw->out_edge6 = E_OUTPUT6;
	for (uint16_t i = 0; i < nb; i++) {
		rte_edge_t e = one(tw, w, objs[i]);
		tw->cur = NULL;
		nexts[i] = e;
	}
	/* DONE: the engine is done with the segment: free it here */
	for (uint16_t i = 0; i < nb; i++)
		if (nexts[i] == DONE) {
			rte_pktmbuf_free(objs[i]);
			nexts[i] = RS_EDGE_CONSUMED;
		}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register tcp_input_node = {
	.name = "tcp_input",
	.process = tcp_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_OUTPUT6] = "ip6_output",
		[E_HANDOFF] = "sock_handoff",
		[E_TRUNC] = RS_DROP_NODE(tcp_truncated),
		[E_CSUM] = RS_DROP_NODE(tcp_bad_checksum),
		[E_BAD_HDR] = RS_DROP_NODE(tcp_bad_header),
		[E_NO_CONN] = RS_DROP_NODE(tcp_no_connection),
		[E_LISTEN_DROP] = RS_DROP_NODE(tcp_listen),
		[E_NO_STOCK] = RS_DROP_NODE(tcp_no_socket),
		[E_NOMEM] = RS_DROP_NODE(tcp_no_memory),
	},
};
RTE_NODE_REGISTER(tcp_input_node);
