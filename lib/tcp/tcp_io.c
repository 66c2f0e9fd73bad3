/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP on a worker: the connection table, and carrying out what the engine
 * asks (struct tcp_actions): releasing acknowledged bytes from the
 * application's transmit ring, copying in-order data into its receive
 * ring (one copy, mbuf -> ring), building and sending segments (one copy,
 * ring -> mbuf), state changes in the socket's slot and wake-ups, timers.
 * Everything here runs on the connection's owner worker; nothing blocks,
 * locks or allocates outside the mbuf and connection pools.
 */
#include <errno.h>
#include <string.h>

#include <rte_graph_worker.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mempool.h>

#include "core/mbuf_util.h"
#include "core/rss.h"
#include "ip4/ip4.h"
#include "ip6/ip6_flowlabel.h"
#include "ip6/pmtu.h"
#include "ip6/rt6_out.h"
#include "route/rt4_out.h"
#include "tcp/tcp_dp.h"
#include "wire/wire.h"

struct tcp_worker *tcp_workers[RS_MAX_WORKERS];

/* The key's family: IPv4 addresses are kept IPv4-mapped (struct rs_ip). */
static inline bool key_is4(const struct tcp_key *k)
{
	struct rs_ip r;
	memcpy(r.b, k->raddr, 16);
	return rs_ip_is4(&r);
}

uint16_t tcp_key_worker(const struct tcp_key *k)
{
	struct rs_ip l, r;
	memcpy(l.b, k->laddr, 16);
	memcpy(r.b, k->raddr, 16);
	/* the hash of the packets as they arrive: the peer is the source */
	return sock_flow_worker(&r, k->rport, &l, k->lport);
}

void tcp_key_tuple(const struct tcp_key *k, struct tcp_tuple *t)
{
	struct rs_ip l;
	memcpy(l.b, k->laddr, 16);
	memset(t, 0, sizeof(*t));
	if (rs_ip_is4(&l)) {
		t->family = AF_INET;
		memcpy(t->laddr, k->laddr + 12, 4);
		memcpy(t->raddr, k->raddr + 12, 4);
	} else {
		t->family = AF_INET6;
		memcpy(t->laddr, k->laddr, 16);
		memcpy(t->raddr, k->raddr, 16);
	}
	t->lport = k->lport;
	t->rport = k->rport;
}

uint32_t tcp_route_mtu(struct rs_worker *w, const struct tcp_key *k, int oif)
{
	struct rs_ip r;
	memcpy(r.b, k->raddr, 16);
	uint8_t type;
	uint16_t iface;
	if (rs_ip_is4(&r)) {
		struct rt4_out o;
		if (rt4_output(w->cfg, rs_ip_v4(&r), 0, -1, &o) < 0)
			return 1500;
		type = o.type;
		iface = o.iface;
	} else {
		struct rt6_out o;
		if (rt6_output(w->cfg, r.b, 0, oif, &o) < 0)
			return 1280; /* the engine's floor anyway (RFC 8200 §5) */
		type = o.type;
		iface = o.iface;
	}
	if (type == RT_LOCAL)
		return 65535 - 40; /* loopback: Linux's lo MTU is 64 KiB */
	/* a path MTU another socket learnt (RFC 8201 §4: shared per
	 * destination) lowers the MSS of a new connection, as Linux's
	 * route exception does */
	if (!rs_ip_is4(&r))
		return pmtu_for6(&w->cfg->ifaces[iface], r.b, w->now_ns);
	return w->cfg->ifaces[iface].mtu;
}

/* ---- the table ---- */

struct tcp_sconn *tcp_sconn_alloc(struct tcp_worker *tw)
{
	void *p;
	if (rte_mempool_get(tw->pool, &p) != 0)
		return NULL;
	struct tcp_sconn *sc = p;
	memset(sc, 0, sizeof(*sc));
	sc->oif = -1;
	rs_timer_init(&sc->timer);
	return sc;
}

void tcp_sconn_insert(struct tcp_worker *tw, struct tcp_sconn *sc)
{
	tw->last = NULL; /* an add replaces the data of a key it holds */
	if (rte_hash_add_key_data(tw->conns, &sc->key, sc) == 0) {
		sc->in_table = true;
		tw->nconns++;
	}
}

struct tcp_sconn *tcp_sconn_lookup(struct tcp_worker *tw, const struct tcp_key *k)
{
	struct tcp_sconn *l = tw->last;
	if (l != NULL && memcmp(&l->key, k, sizeof(*k)) == 0)
		return l;
	void *d;
	if (rte_hash_lookup_data(tw->conns, k, &d) < 0)
		return NULL;
	tw->last = d;
	return d;
}

void tcp_sconn_done(struct tcp_worker *tw, struct tcp_sconn *sc)
{
	rs_wheel_cancel(&tw->wheel, &sc->timer);
	if (tw->last == sc)
		tw->last = NULL;
	if (sc->in_table) {
		rte_hash_del_key(tw->conns, &sc->key);
		sc->in_table = false;
		tw->nconns--;
	}
	tcp_conn_destroy(&tw->ctx, &sc->c);
	rte_mempool_put(tw->pool, sc);
}

/* ---- the application's rings ---- */

void tcp_io_fill(struct tcp_worker *tw, struct rs_worker *w, struct tcp_sconn *sc,
		 struct tcp_io *io)
{
	io->now_ns = w->now_ns;
	io->snd_avail = 0;
	io->rcv_free = 0;
	io->snd_urg = 0;
	struct rs_sock *s = sc->s;
	if (s == NULL)
		return;
	ssize_t used = shm_bytes_used(&s->tx);
	ssize_t fr = shm_bytes_free(&s->rx);
	if (used < 0 || fr < 0) {
		sock_app_corrupt(s);
		return;
	}
	/* The application may only add to its transmit ring; the engine
	 * releases from it. A ring that shrank under us is a hostile
	 * application: its connection sees no more data (and the app is
	 * disconnected), never bytes that are not there. */
	if ((uint32_t)used < sc->snd_last) {
		tw->app_lied++;
		sock_app_corrupt(s);
		io->snd_avail = sc->snd_last;
	} else {
		io->snd_avail = (uint32_t)used;
	}
	sc->snd_last = io->snd_avail;
	/* send(MSG_OOB) (sock_shm.h "Urgent data"): loaded once, after the
	 * ring's prod (the library stores it before it publishes the bytes
	 * it names, so no call sends them unmarked); a position the ring
	 * does not hold yet waits for a later call, one it cannot hold (0,
	 * beyond the ring) is the application's lie and is dropped */
	struct tcp_psock *ps = s->proto_priv;
	uint64_t ut = atomic_load_explicit(&s->shm->urg_tx, memory_order_acquire);
	if (RS_URG_GEN(ut) != ps->urg_tx_gen) {
		uint32_t off = RS_URG_POS(ut) - s->tx.idx;
		if (off == 0 || off > s->tx.size) {
			ps->urg_tx_gen = RS_URG_GEN(ut);
			tw->app_lied++;
		} else if (off <= io->snd_avail) {
			ps->urg_tx_gen = RS_URG_GEN(ut);
			io->snd_urg = off;
		}
	}
	io->rcv_free = sc->shut_rd ? 0 : tcp_rcv_free_within(sc->c.so.rcvbuf, s->rx.size, (uint32_t)fr);
}

static void set_state(struct rs_sock *s, uint32_t set, uint32_t clear)
{
	/* the owner is the only writer of the state word: no RMW needed */
	uint32_t v = atomic_load_explicit(&s->shm->state, memory_order_relaxed);
	atomic_store_explicit(&s->shm->state, (v & ~clear) | set, memory_order_release);
}

/* Copies [off, off + len) of an mbuf chain into s's receive ring, at bytes
 * past its write point, unpublished. The engine placed it within the free
 * space it was told of: less room now is a hostile application. */
static void deliver(struct rs_sock *s, struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t at)
{
	for (struct rte_mbuf *seg = m; seg != NULL && len > 0; seg = seg->next) {
		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		uint32_t take = seg->data_len - off;
		if (take > len)
			take = len;
		ssize_t n = shm_bytes_write_at(&s->rx, at, rte_pktmbuf_mtod_offset(seg, void *, off), take);
		if (n != (ssize_t)take) {
			sock_app_corrupt(s);
			return;
		}
		len -= take;
		at += take;
		off = 0;
	}
}

/* ---- output ---- */

/* Builds one segment of either family (the key's): payload copied from
 * the transmit ring (one copy), header and options from o, the IPv4 or
 * IPv6 header, checksum over the family's pseudo-header; NULL without
 * mbufs. oif: the link a link-local peer is on (-1: routed). */
static struct rte_mbuf *seg_build(struct tcp_worker *tw, struct rs_worker *w,
				  const struct tcp_key *k, const struct tcp_out_seg *o,
				  struct rs_sock *s, int oif)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return NULL;
	uint32_t len = s != NULL ? o->data_len : 0, off = o->data_off;
	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m));
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(rs_dp.pool);
			if (n == NULL || rte_pktmbuf_chain(m, n) != 0) {
				rte_pktmbuf_free(n);
				rte_pktmbuf_free(m);
				return NULL;
			}
			continue;
		}
		uint16_t take = len < room ? (uint16_t)len : room;
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, take); /* onto the last segment */
		ssize_t got = shm_bytes_peek_at(&s->tx, off, p, take);
		if (got != take) {
			/* fewer bytes than the engine was told: the ring is
			 * the application's to break, the segment is dropped */
			rte_pktmbuf_free(m);
			return NULL;
		}
		off += take;
		len -= take;
	}
	uint8_t th[60];
	struct tcp_hdr h = {
		.sport = k->lport,
		.dport = k->rport,
		.seq = o->seq.v,
		.ack = o->ack.v,
		.flags = o->flags,
		.window = o->wnd,
		.urp = o->urp,
	};
	unsigned thl = tcp_hdr_write(th, sizeof(th), &h, &o->opts);
	bool v4 = key_is4(k);
	uint16_t iphl = v4 ? IP4_HLEN : IP6_HLEN;
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)(iphl + thl));
	if (thl == 0 || p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p + iphl, th, thl);
	uint32_t seglen = m->pkt_len - iphl;
	uint16_t sum = 0;
	if (seglen > 65535 || rs_mbuf_csum(m, iphl, seglen, &sum) != 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rs_priv *pv = rs_priv(m);
	/* RFC 4861 §7.3.1 / Linux's dst_confirm: new data acknowledged
	 * proves the neighbour reachable, so a bulk transfer does not stop
	 * to probe it */
	pv->flags = tw->confirm ? RS_PF_CONFIRM : 0;
	pv->iface = 0;
	pv->nh_ip = 0;
	if (!v4) {
		uint16_t ck = rs_csum_fold(rs_csum_pseudo6(k->laddr, k->raddr, IPPROTO_TCP_, seglen) +
					   rte_be_to_cpu_16(sum));
		rs_st16(p + iphl + 16, ck);
		int hl = s != NULL && s->hops >= 0 ? s->hops : IP6_DEFAULT_HLIM;
		/* as for IPv4, TCP keeps the DSCP bits; ECN is its own (unused) */
		int tc = s != NULL && s->tclass > 0 ? (s->tclass & 0xfc) : 0;
		/* RFC 6437: one stable label per connection (auto_flowlabels) */
		ip6_write(p, (uint8_t)tc,
			  ip6_flowlabel(k->laddr, k->raddr, IPPROTO_TCP_, k->lport, k->rport),
			  (uint16_t)seglen, IPPROTO_TCP_, (uint8_t)hl, k->laddr, k->raddr);
		/* a link-local peer is on the link the connection came from or
		 * was opened on (RFC 4291 §2.5.6); anything else ip6_output
		 * routes */
		pv->nh = FIB6_NH_NONE;
		if (oif >= 0) {
			pv->flags |= RS_PF_IFACE_SET;
			pv->iface = (uint16_t)oif;
		}
		return m;
	}
	uint32_t src = (uint32_t)k->laddr[12] << 24 | (uint32_t)k->laddr[13] << 16 |
		       (uint32_t)k->laddr[14] << 8 | k->laddr[15];
	uint32_t dst = (uint32_t)k->raddr[12] << 24 | (uint32_t)k->raddr[13] << 16 |
		       (uint32_t)k->raddr[14] << 8 | k->raddr[15];
	uint16_t ck = rs_csum_fold(rs_csum_pseudo4(src, dst, IPPROTO_TCP_, (uint16_t)seglen) +
				   rte_be_to_cpu_16(sum));
	rs_st16(p + iphl + 16, ck);
	int ttl = s != NULL && s->ttl > 0 ? s->ttl : 64;
	/* TCP keeps the DSCP bits of IP_TOS; ECN is its own (not used) */
	int tos = s != NULL && s->tos > 0 ? (s->tos & 0xfc) : 0;
	/* DF: path MTU discovery (RFC 1191), as Linux's IP_PMTUDISC_WANT */
	ip4_write(p, (uint8_t)tos, (uint16_t)m->pkt_len, ip4_next_id(w), IP4_DF, (uint8_t)ttl,
		  IPPROTO_TCP_, src, dst);
	if (s != NULL && s->bind_iface >= 0) {
		pv->flags |= RS_PF_IFACE_SET;
		pv->iface = (uint16_t)s->bind_iface;
	}
	return m;
}

static void send_seg(struct tcp_worker *tw, struct rs_worker *w, const struct tcp_key *k,
		     const struct tcp_out_seg *o, struct rs_sock *s, int oif)
{
	struct rte_mbuf *m = seg_build(tw, w, k, o, s, oif);
	if (m == NULL) {
		tw->out_nomem++;
		return;
	}
	bool v4 = key_is4(k);
	rte_node_enqueue_x1(tw->g, tw->node, v4 ? tw->out_edge : tw->out_edge6, m);
}

void tcp_send_bare(struct tcp_worker *tw, struct rs_worker *w, const struct tcp_key *k, int oif,
		   const struct tcp_out_seg *o)
{
	tw->confirm = false;
	send_seg(tw, w, k, o, NULL, oif);
}

/* ---- sockets ---- */

void tcp_sock_post_release(struct rs_worker *w, struct rs_sock *s)
{
	struct rs_msg msg = { .type = tcp_msg_release };
	memcpy(msg.data, &s, sizeof(s));
	if (rs_msg_post(w, &msg) != 0) {
		/* the control thread finds it in its sweep (tcp_tick):
		 * counted, never lost for ever */
		struct tcp_psock *ps = s->proto_priv;
		ps->conn = NULL;
		atomic_store_explicit(&ps->release_lost, 1, memory_order_release);
		atomic_fetch_add_explicit(&tcp_releases_lost, 1, memory_order_release);
	}
}

struct rs_sock *tcp_stock_take(struct tcp_worker *tw, struct rs_worker *w, struct rs_sock *ls)
{
	struct tcp_psock *lp = ls->proto_priv;
	struct tcp_lsock *l = lp->lsock;
	struct rs_sock *s = NULL;
	if (l == NULL || l->ending || rte_ring_sc_dequeue(l->stock[w->idx], (void **)&s) != 0) {
		tw->no_stock++;
		return NULL;
	}
	/* ask for a refill before the stock runs dry */
	if (rte_ring_count(l->stock[w->idx]) < l->stock_want / 2) {
		struct rs_msg msg = { .type = tcp_msg_stock, .u32 = w->idx };
		memcpy(msg.data, &ls, sizeof(ls));
		rs_msg_post(w, &msg);
	}
	return s;
}

/* The child sc just became established on this worker: it gets its socket
 * (if it has none yet) and joins the accept queue. */
static void child_established(struct tcp_worker *tw, struct rs_worker *w, struct tcp_sconn *sc)
{
	struct rs_sock *ls = sc->ls;
	if (ls == NULL)
		return;
	if (sc->s == NULL)
		sc->s = tcp_stock_take(tw, w, ls);
	struct rs_sock *s = sc->s;
	if (s == NULL)
		return; /* tcp_input takes one before the handshake can complete */
	struct tcp_psock *ps = s->proto_priv;
	ps->conn = sc;
	memcpy(s->laddr.b, sc->key.laddr, 16);
	memcpy(s->raddr.b, sc->key.raddr, 16);
	s->lport = sc->key.lport;
	s->rport = sc->key.rport;
	/* a link-local peer's link names the scope of the child's addresses
	 * (Linux: ir_iif); published with the socket by the accept ring */
	if (sc->oif >= 0)
		s->bind_iface = sc->oif;
	s->bound = s->connected = true;
	atomic_store_explicit(&s->worker, w->idx, memory_order_relaxed);
	atomic_store_explicit(&s->shm->worker, w->idx, memory_order_relaxed);
	set_state(s, RS_SS_CONNECTED, 0);
	struct tcp_psock *lp = ls->proto_priv;
	struct tcp_lsock *l = lp->lsock;
	/* published to the control thread by the ring (release) */
	if (rte_ring_sp_enqueue(l->acceptq[w->idx], s) != 0) {
		/* cannot happen: the ring holds more than the engine's backlog */
		tcp_abort(&tw->ctx, &sc->c, &(struct tcp_io){ .now_ns = w->now_ns }, &tw->act);
		return;
	}
	sc->ls = NULL;
	uint32_t p = atomic_load_explicit(&ls->shm->accept_prod[w->idx], memory_order_relaxed);
	atomic_store_explicit(&ls->shm->accept_prod[w->idx], p + 1, memory_order_release);
	sock_wake(ls);
}

static void snapshot(struct tcp_sconn *sc)
{
	struct rs_sock *s = sc->s;
	if (s == NULL)
		return;
	struct tcp_psock *ps = s->proto_priv;
	const struct tcp_conn *c = &sc->c;
	atomic_store_explicit(&ps->snap_state, (uint8_t)c->state, memory_order_relaxed);
	atomic_store_explicit(&ps->snap_cwnd, c->cwnd, memory_order_relaxed);
	atomic_store_explicit(&ps->snap_srtt_us, (uint32_t)(c->srtt / 1000), memory_order_relaxed);
	atomic_store_explicit(&ps->snap_rto_us, (uint32_t)(c->rto / 1000), memory_order_relaxed);
	atomic_store_explicit(&ps->snap_retrans, c->total_retrans, memory_order_relaxed);
	atomic_store_explicit(&ps->snap_unacked, tcp_conn_unacked(c), memory_order_relaxed);
}

/* A new urgent pointer (sock_shm.h "Urgent data"), after this call's
 * deliveries: the rx ring's prod is the position of the first byte not
 * yet received (RCV.NXT, less the peer's FIN), so the urgent byte, the
 * one before the mark, sits at prod + (mark - 1 - that), which may be
 * ahead of prod when the byte has not arrived yet. */
static void publish_urgent(struct rs_sock *s, const struct tcp_conn *c, struct seq mark)
{
	struct tcp_psock *ps = s->proto_priv;
	struct seq end = c->fin_rcvd ? seq_sub(c->rcv_nxt, 1) : c->rcv_nxt;
	uint32_t pos = s->rx.idx + seq_diff(seq_sub(mark, 1), end);
	if (++ps->urg_rx_gen == 0)
		ps->urg_rx_gen = 1;
	atomic_store_explicit(&s->shm->urg_rx, RS_URG_MAKE(ps->urg_rx_gen, pos), memory_order_release);
}

/* Carries out tw->act for sc. May free sc (TCP_EV_CLOSED). */
void tcp_act_run(struct tcp_worker *tw, struct rs_worker *w, struct tcp_sconn *sc)
{
	for (int round = 0;; round++) {
		struct tcp_actions *a = &tw->act;
		uint32_t ev = a->events;
		bool wake = false;

		if (ev & TCP_EV_ESTABLISHED) {
			if (sc->ls != NULL) {
				child_established(tw, w, sc);
			} else if (sc->s != NULL) {
				set_state(sc->s, RS_SS_CONNECTED, RS_SS_CONNECTING);
				wake = true;
			}
		}
		struct rs_sock *s = sc->s;
		if (a->release && s != NULL) {
			if (shm_bytes_skip(&s->tx, a->release) < 0)
				sock_app_corrupt(s);
			sc->snd_last = a->release > sc->snd_last ? 0 : sc->snd_last - a->release;
			wake = true;
		}
		for (uint16_t i = 0; i < a->ndeliver; i++) {
			struct tcp_delivery *d = &a->deliver[i];
			if (s != NULL && tw->cur != NULL)
				deliver(s, tw->cur, d->off, d->len, d->at);
		}
		if (a->publish && s != NULL) {
			if (shm_bytes_publish(&s->rx, a->publish) != (ssize_t)a->publish)
				sock_app_corrupt(s);
			wake = true;
		}
		/* a later round (a->more) sends on after the same ACK */
		if (round == 0)
			tw->confirm = a->release > 0 || (ev & TCP_EV_ESTABLISHED);
		for (uint16_t i = 0; i < a->nsegs; i++)
			send_seg(tw, w, &sc->key, &a->segs[i], s, sc->oif);
		if (s != NULL) {
			if (ev & TCP_EV_PEER_FIN) {
				set_state(s, RS_SS_RCV_EOF, 0);
				wake = true;
			}
			if (ev & TCP_EV_ERROR) {
				atomic_store_explicit(&s->shm->so_error, a->err, memory_order_relaxed);
				set_state(s, RS_SS_RESET | RS_SS_SND_CLOSED, RS_SS_CONNECTING);
				wake = true;
			}
			if (ev & TCP_EV_URGENT) {
				publish_urgent(s, &sc->c, a->urg_mark);
				wake = true;
				/* F_SETOWN: SIGURG, sent by the control thread
				 * (a syscall); a full message ring loses it.
				 * At most one per connection and millisecond:
				 * a peer sending urgent pointers as fast as it
				 * can must not keep the control thread busy
				 * (pending signals merge anyway). */
				int32_t owner = atomic_load_explicit(&s->sig_owner,
								     memory_order_relaxed);
				if (owner != 0 && w->now_ns - sc->sigurg_ns >= 1000000) {
					sc->sigurg_ns = w->now_ns;
					struct rs_msg msg = { .type = tcp_msg_sigurg,
							      .u32 = s->app->uid };
					memcpy(msg.data, &owner, sizeof(owner));
					if (rs_msg_post(w, &msg) != 0)
						tw->sigurg_lost++;
				}
			}
			if (ev & (TCP_EV_WRITABLE | TCP_EV_READABLE))
				wake = true;
		}
		if (ev & TCP_EV_CLOSED) {
			if (s == NULL && sc->orphan_tw) {
				/* its port and 4-tuple were kept for TIME-WAIT */
				struct rs_msg msg = { .type = tcp_msg_tw_done };
				memcpy(msg.data, &sc->key, sizeof(sc->key));
				rs_msg_post(w, &msg);
			}
			if (s != NULL) {
				/* conn first: a socket seen CLOSED may connect
				 * again (tcp_connect), on another worker */
				struct tcp_psock *ps = s->proto_priv;
				ps->conn = NULL;
				bool app_closed = sc->app_closed;
				atomic_store_explicit(&ps->conn_ended, true, memory_order_release);
				set_state(s, RS_SS_CLOSED | RS_SS_SND_CLOSED, RS_SS_CONNECTING);
				sock_wake(s);
				if (app_closed)
					tcp_sock_post_release(w, s);
			}
			tcp_sconn_done(tw, sc);
			return;
		}
		if ((ev & TCP_EV_TIME_WAIT) && tw->nconns > tw->max_conns / 4 * 3) {
			/* Linux's tcp_max_tw_buckets: when the table fills
			 * with TIME-WAITs (a server closing first, thousands
			 * of short connections a second: 8192 fill in two
			 * seconds), a new one is not kept its 2MSL, so that
			 * new connections still find room (they were refused:
			 * no_conn_mem, and the peer hung on a connection we
			 * never completed). It ends at the next timer tick,
			 * through the usual expiry. */
			tw->tw_overflow++;
			sc->c.deadline[TCP_T_2MSL] = w->now_ns;
			if (a->deadline > w->now_ns)
				a->deadline = w->now_ns;
		}
		if ((ev & TCP_EV_TIME_WAIT) && s != NULL && !sc->app_closed) {
			/* Linux hands TIME-WAIT to a timewait bucket and the
			 * socket itself is closed (tcp_time_wait, tcp_done):
			 * shutdown and getpeername say ENOTCONN from now on */
			set_state(s, RS_SS_CLOSED | RS_SS_SND_CLOSED, 0);
			wake = true;
		}
		if ((ev & TCP_EV_TIME_WAIT) && s != NULL && sc->app_closed) {
			/* the socket is gone for the application; the
			 * connection lives on without it until 2MSL */
			struct tcp_psock *ps = s->proto_priv;
			ps->conn = NULL;
			/* the control thread keeps its port and 4-tuple until
			 * the connection ends (Linux's TIME-WAIT bucket) */
			struct rs_msg msg = { .type = tcp_msg_tw };
			memcpy(msg.data, &s, sizeof(s));
			if (rs_msg_post(w, &msg) != 0)
				tcp_sock_post_release(w, s);
			else
				sc->orphan_tw = true;
			sc->s = NULL;
			s = NULL;
		}
		if (wake && s != NULL)
			sock_wake(s);
		snapshot(sc);
		if (a->deadline == UINT64_MAX)
			rs_wheel_cancel(&tw->wheel, &sc->timer);
		else
			rs_wheel_arm(&tw->wheel, &sc->timer, a->deadline);
		if (!a->more || round > 64)
			return;
		struct tcp_io io;
		tcp_io_fill(tw, w, sc, &io);
		tcp_output(&tw->ctx, &sc->c, &io, a);
	}
}
