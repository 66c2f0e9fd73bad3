/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection's life (RFC 9293 §3.3.2, §3.10): context and parameters,
 * opening (active, passive, from a SYN cookie), the user calls (close,
 * shutdown, abort, socket options, urgent data, window updates after a
 * read), ICMP errors, and the transitions shared by input and timers.
 */
#include "tcp_impl.h"

#include <sys/socket.h>

static const char *const state_names[TCP_NSTATES] = {
	[TCP_CLOSED] = "CLOSED",
	[TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN-SENT",
	[TCP_SYN_RECEIVED] = "SYN-RECEIVED",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_FIN_WAIT_1] = "FIN-WAIT-1",
	[TCP_FIN_WAIT_2] = "FIN-WAIT-2",
	[TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_CLOSING] = "CLOSING",
	[TCP_LAST_ACK] = "LAST-ACK",
	[TCP_TIME_WAIT] = "TIME-WAIT",
};

const char *
tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < TCP_NSTATES ? state_names[s] : "?";
}

void
tcp_params_default(struct tcp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->rto_init_ns = 1 * NS_PER_S;
	p->rto_min_ns = 200 * NS_PER_MS;
	p->rto_max_ns = 120 * NS_PER_S;
	p->syn_retries = 6;
	p->synack_retries = 5;
	p->retries2 = 15;
	p->delack_min_ns = 40 * NS_PER_MS;
	p->delack_max_ns = 200 * NS_PER_MS;
	p->fin_timeout_ns = 60 * NS_PER_S;
	p->max_orphans = 4096;
	p->time_wait_ns = 60 * NS_PER_S;
	p->keepalive_time_ns = 7200 * NS_PER_S;
	p->keepalive_intvl_ns = 75 * NS_PER_S;
	p->keepalive_probes = 9;
	p->min_snd_mss = 48;
	p->min_pmtu4 = 552;
	p->min_pmtu6 = 1280;
	p->rcv_wnd_init = 65535;
	p->rcv_wnd_max = 6 * 1024 * 1024;
	p->init_cwnd = 10;
	p->cork_ns = 200 * NS_PER_MS;
	p->invalid_ratelimit_ns = 500 * NS_PER_MS;
	p->reass_max_bufs = TCP_REASS_MAX;
	p->reass_max_bytes = 0; /* the receive window's */
	p->syncookies = 1;
	p->timestamps = true;
	p->window_scaling = true;
	p->sack = true;
	p->rack = true;
	p->tlp = true;
	p->frto = true;
	p->dsack = true;
	p->cc = &tcp_cc_cubic;
}

void
tcp_ctx_init(struct tcp_ctx *x, const uint8_t secret[48])
{
	memset(x, 0, sizeof(*x));
	tcp_params_default(&x->p);
	rs_siphash_key_load(&x->isn_key, secret);
	rs_siphash_key_load(&x->cookie_key, secret + 16);
	rs_siphash_key_load(&x->ts_key, secret + 32);
}

int
tcp_seg_parse(struct tcp_seg *s, const void *hdr, size_t len)
{
	struct tcp_view v;
	int rc = tcp_check(&v, hdr, len);
	if (rc != 0)
		return rc;
	s->seq = seq_make(tcp_seqno(&v));
	s->ack = seq_make(tcp_ackno(&v));
	s->flags = tcp_flags(&v);
	s->wnd = tcp_window(&v);
	s->urp = tcp_urgptr(&v);
	s->len = tcp_payload_len(&v);
	tcp_opts_parse(&s->opts, tcp_optbytes(&v), tcp_optlen(&v));
	return 0;
}

bool
tcp_rst_reply(const struct tcp_seg *in, struct tcp_out_seg *out)
{
	if (in->flags & TCP_RST)
		return false;
	memset(out, 0, sizeof(*out));
	/* RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST> when the segment has
	 * an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	if (in->flags & TCP_ACK) {
		out->seq = in->ack;
		out->flags = TCP_RST;
	} else {
		uint32_t l = in->len + !!(in->flags & TCP_SYN) + !!(in->flags & TCP_FIN);
		out->seq = seq_make(0);
		out->ack = seq_add(in->seq, l);
		out->flags = TCP_RST | TCP_ACK;
	}
	return true;
}

uint64_t
tcp_conn_deadline(const struct tcp_conn *c)
{
	uint64_t d = TCP_NEVER;
	if (c->state == TCP_CLOSED)
		return d;
	for (int k = 0; k < TCP_T_N; k++)
		d = min64(d, c->deadline[k]);
	return d;
}

uint32_t
tcp_conn_unacked(const struct tcp_conn *c)
{
	return seq_diff(c->snd_nxt, c->snd_una);
}

void
tcp_act_error(struct tcp_conn *c, struct tcp_actions *a, int err)
{
	a->events |= TCP_EV_ERROR;
	a->err = err;
}

/* ---- shared transitions ---- */

uint8_t
tcp_choose_wscale(const struct tcp_ctx *x, uint32_t rcvbuf)
{
	if (!x->p.window_scaling)
		return 0;
	/* the smallest shift that lets the whole ring be advertised
	 * (RFC 7323 §2.3: at most 14) */
	uint8_t ws = 0;
	while (ws < TCP_MAX_WSCALE && (rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

/*
 * RFC 9293 §3.7.1 Eff.snd.MSS = min(SendMSS, MTU - headers) - options;
 * TCP_MAXSEG caps it; never below tcp_min_snd_mss (Linux's fix for
 * CVE-2019-11477/11479: a tiny MSS multiplies per-segment work and
 * fragments the retransmission queue).
 */
void
tcp_update_mss(struct tcp_ctx *x, struct tcp_conn *c)
{
	uint32_t hdr = c->family_hdr + TCP_HLEN;
	uint32_t m = c->peer_mss;

	if (c->pmtu > hdr)
		m = min32(m, c->pmtu - hdr);
	if (c->so.user_mss)
		m = min32(m, c->so.user_mss);
	if (c->ts_ok && m > TCP_TS_OPT_LEN)
		m -= TCP_TS_OPT_LEN;
	m = max32(m, x->p.min_snd_mss ? x->p.min_snd_mss : 1);
	c->mss = m;
}

void
tcp_apply_syn_opts(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_opts *o)
{
	c->peer_mss = (o->present & TCP_OPT_MSS) && o->mss ? o->mss : tcp_default_mss(c->tuple.family);
	/* RFC 7323 §2.2: scaling only when both sides sent the option */
	c->ws_ok = x->p.window_scaling && (o->present & TCP_OPT_WSCALE);
	if (c->ws_ok) {
		c->snd_wscale = o->wscale;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	c->ts_ok = x->p.timestamps && (o->present & TCP_OPT_TS);
	if (c->ts_ok)
		c->ts_recent = o->tsval;
	c->sack_ok = x->p.sack && (o->present & TCP_OPT_SACK_PERM);
	tcp_update_mss(x, c);
}

void
tcp_conn_init_common(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_tuple *t,
		     const struct tcp_sockopts *so, uint32_t mtu, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	for (int k = 0; k < TCP_T_N; k++)
		c->deadline[k] = TCP_NEVER;
	c->tuple = *t;
	c->so = *so;
	if (c->so.rcvbuf == 0)
		c->so.rcvbuf = 65535;
	c->family_hdr = t->family == AF_INET6 ? 40 : 20;
	c->cc = so->cc ? so->cc : x->p.cc ? x->p.cc : &tcp_cc_cubic;
	uint32_t minp = t->family == AF_INET6 ? x->p.min_pmtu6 : x->p.min_pmtu4;
	if (mtu == 0)
		mtu = 1500;
	c->pmtu = max32(mtu, minp);
	uint32_t adv = c->pmtu - c->family_hdr - TCP_HLEN;
	if (c->so.user_mss && c->so.user_mss < adv)
		adv = c->so.user_mss;
	c->adv_mss = (uint16_t)min32(adv, 65535);
	c->peer_mss = tcp_default_mss(t->family);
	c->rto = x->p.rto_init_ns;
	c->ts_off = tcp_ts_offset(x, t);
	uint32_t cap = min32(c->so.rcvbuf, x->p.rcv_wnd_max ? x->p.rcv_wnd_max : c->so.rcvbuf);
	c->rcv_wnd_clamp = c->so.rcvbuf_locked ? c->so.rcvbuf : min32(cap, x->p.rcv_wnd_init);
	/* Linux's tcp_initialize_rcv_mss: a conservative first guess */
	c->rcv_mss = max32(min32(c->adv_mss, 536), TCP_MIN_MSS_OPT);
	c->ato = x->p.delack_min_ns;
	c->rack_reo_mult = 1;
	c->cwnd = x->p.init_cwnd * 536;
	c->ssthresh = UINT32_MAX;
	c->last_rcv_ns = now;
	memset(c->cc_priv, 0, sizeof(c->cc_priv));
	tcp_update_mss(x, c);
}

void
tcp_io_enter(struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	tcp_act_reset(a);
	/* bytes of the ring that are in flight cannot have gone (the
	 * caller releases only what we say): a smaller report is a caller
	 * bug, taken as the minimum */
	struct seq sent_end = c->snd_nxt;
	if (c->fin_queued && seq_gt(sent_end, c->fin_seq))
		sent_end = c->fin_seq;
	uint32_t need = seq_gt(sent_end, c->snd_base) ? seq_diff(sent_end, c->snd_base) : 0;
	uint32_t avail = io->snd_avail < need ? need : io->snd_avail;
	if (c->fin_queued) {
		uint32_t lim = seq_gt(c->fin_seq, c->snd_base) ? seq_diff(c->fin_seq, c->snd_base) : 0;
		avail = min32(avail, lim);
	}
	c->snd_avail = avail;
	c->rcv_free = io->rcv_free;
	if (io->snd_urg > 0 && io->snd_urg <= avail && !c->fin_queued) {
		/* RFC 6093 §4 and Linux's tcp_mark_urg: the pointer points
		 * to the byte after the last urgent byte */
		c->snd_up = seq_add(c->snd_base, io->snd_urg);
		c->snd_up_valid = true;
	}
}

void
tcp_set_state(struct tcp_ctx *x, struct tcp_conn *c, enum tcp_state s, struct tcp_actions *a, uint64_t now)
{
	c->state = s;
	if (s == TCP_FIN_WAIT_2 && c->orphan)
		tcp_set_deadline(c, TCP_T_2MSL, now + x->p.fin_timeout_ns);
}

static void
listener_leave(struct tcp_conn *c)
{
	struct tcp_listener *l = c->listener;
	if (l == NULL)
		return;
	if (c->in_accept_queue) {
		if (l->accept_qlen)
			l->accept_qlen--;
	} else if (l->syn_qlen) {
		l->syn_qlen--;
	}
	c->listener = NULL;
	c->in_accept_queue = false;
}

/* An orphan leaves the count when it is done or enters TIME-WAIT (Linux
 * destroys the full socket there: a TIME-WAIT bucket is not an orphan). */
static void
orphan_uncount(struct tcp_ctx *x, struct tcp_conn *c)
{
	if (c->orphan_counted) {
		c->orphan_counted = false;
		x->orphans--;
	}
}

bool
tcp_orphan_oom(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	if (!c->orphan_counted || x->orphans <= x->p.max_orphans)
		return false;
	x->mib.abort_on_memory++;
	tcp_conn_reset(x, c, 0, true, io, a);
	return true;
}

void
tcp_conn_done(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a)
{
	orphan_uncount(x, c);
	listener_leave(c);
	tcp_reass_purge(x, c);
	tcp_txq_reset(c);
	c->state = TCP_CLOSED;
	for (int k = 0; k < TCP_T_N; k++)
		c->deadline[k] = TCP_NEVER;
	a->events |= TCP_EV_CLOSED;
	a->deadline = TCP_NEVER;
}

void
tcp_conn_reset(struct tcp_ctx *x, struct tcp_conn *c, int err, bool send_rst, const struct tcp_io *io,
	       struct tcp_actions *a)
{
	if (send_rst && (tcp_synchronized(c->state) || c->state == TCP_SYN_RECEIVED) &&
	    c->state != TCP_TIME_WAIT)
		tcp_send_rst(x, c, io, a);
	if (err && !c->orphan)
		tcp_act_error(c, a, err);
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT)
		x->mib.estab_resets++;
	tcp_conn_done(x, c, a);
}

void
tcp_enter_time_wait(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint64_t now)
{
	orphan_uncount(x, c);
	c->state = TCP_TIME_WAIT;
	for (int k = 0; k < TCP_T_N; k++)
		c->deadline[k] = TCP_NEVER;
	tcp_set_deadline(c, TCP_T_2MSL, now + x->p.time_wait_ns);
	tcp_reass_purge(x, c);
	tcp_txq_reset(c);
	a->events |= TCP_EV_TIME_WAIT;
}

void
tcp_established(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint64_t now)
{
	c->state = TCP_ESTABLISHED;
	c->estab_ns = now;
	/* RFC 6928 IW10; RFC 5681 §3.1: one segment if the SYN or SYN-ACK
	 * was lost; RFC 6298 §5.7: RTO of 3 s then, until an RTT sample */
	if (c->syn_retx) {
		c->cwnd = c->mss;
		if (!c->rtt_valid)
			c->rto = max64(c->rto, 3 * NS_PER_S);
	} else {
		c->cwnd = x->p.init_cwnd * c->mss;
	}
	c->ssthresh = UINT32_MAX;
	c->backoff = 0;
	c->recover = c->iss;
	c->snd_sml = c->snd_una;
	c->rack_fack = c->snd_una;
	c->high_sacked = c->snd_una;
	memset(c->cc_priv, 0, sizeof(c->cc_priv));
	if (c->cc->init)
		c->cc->init(c, now);
	/* Linux's tcp_incr_quickack at the start: ACK the first segments
	 * at once so the peer's slow start is not held up */
	uint32_t q = tcp_rcv_space(c) / (2 * max32(c->rcv_mss, 1));
	c->quickacks = min32(max32(q, 2), TCP_MAX_QUICKACKS);
	c->ato = x->p.delack_min_ns;
	c->rcvq_space = min32(c->rcv_wnd_clamp, 10u * c->adv_mss);
	c->rcvq_time_ns = now;
	c->rcvq_copied_mark = 0;
	c->delivered_mark_ns = now;
	if (c->listener && !c->in_accept_queue) {
		if (c->listener->syn_qlen)
			c->listener->syn_qlen--;
		c->listener->accept_qlen++;
		c->in_accept_queue = true;
		x->mib.passive_opens++;
	}
	tcp_clear_deadline(c, TCP_T_RTX);
	tcp_keepalive_reset(x, c, now);
	a->events |= TCP_EV_ESTABLISHED;
}

void
tcp_finish(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	if (c->state == TCP_CLOSED) {
		a->deadline = TCP_NEVER;
		return;
	}
	uint64_t now = io->now_ns;
	if (c->state != TCP_SYN_SENT && c->state != TCP_LISTEN)
		tcp_xmit(x, c, io, a);
	if (c->ack_pending && !c->ack_now)
		tcp_schedule_delack(x, c, now);
	if (c->so.keepalive && c->deadline[TCP_T_KEEPALIVE] == TCP_NEVER)
		tcp_keepalive_reset(x, c, now);
	a->deadline = tcp_conn_deadline(c);
}

/* ---- opening ---- */

void
tcp_conn_open_active(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_tuple *t,
		     const struct tcp_sockopts *so, uint32_t mtu, uint32_t iss, const struct tcp_io *io,
		     struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_conn_init_common(x, c, t, so, mtu, now);
	tcp_io_enter(c, io, a);
	c->iss = seq_make(iss ? iss : tcp_isn(x, t, now));
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_base = seq_add(c->iss, 1);
	c->snd_sml = c->iss;
	c->rcv_wscale = tcp_choose_wscale(x, c->so.rcvbuf);
	c->state = TCP_SYN_SENT;
	c->syn_sent_ns = now;
	x->mib.active_opens++;
	tcp_send_syn(x, c, io, a);
	tcp_set_deadline(c, TCP_T_RTX, now + c->rto);
	a->deadline = tcp_conn_deadline(c);
}

void
tcp_conn_open_passive(struct tcp_ctx *x, struct tcp_listener *l, struct tcp_conn *c,
		      const struct tcp_tuple *t, const struct tcp_seg *syn, uint32_t mtu, uint32_t isn,
		      const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_conn_init_common(x, c, t, &l->so, mtu, now);
	tcp_io_enter(c, io, a);
	c->listener = l;
	l->syn_qlen++;
	c->irs = syn->seq;
	c->rcv_nxt = seq_add(syn->seq, 1);
	c->rcv_adv = c->rcv_nxt;
	c->iss = seq_make(isn ? isn : tcp_isn(x, t, now));
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_base = seq_add(c->iss, 1);
	c->snd_sml = c->iss;
	c->rcv_wscale = tcp_choose_wscale(x, c->so.rcvbuf);
	tcp_apply_syn_opts(x, c, &syn->opts);
	if (c->ts_ok)
		c->ts_recent_ns = now;
	/* RFC 7323 §2.2: a SYN's window is not scaled */
	c->snd_wnd = syn->wnd;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = syn->seq;
	c->snd_wl2 = c->iss;
	c->state = TCP_SYN_RECEIVED;
	c->syn_sent_ns = now;
	/* the SYN: tcp_listen_syn counted it in the MIB */
	c->segs_in = 1;
	tcp_send_syn(x, c, io, a);
	tcp_set_deadline(c, TCP_T_RTX, now + c->rto);
	a->deadline = tcp_conn_deadline(c);
}

int
tcp_conn_open_cookie(struct tcp_ctx *x, struct tcp_listener *l, struct tcp_conn *c,
		     const struct tcp_tuple *t, const struct tcp_seg *ack,
		     const struct tcp_cookie_info *info, uint32_t mtu, const struct tcp_io *io,
		     struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_act_reset(a);
	/* counted whatever becomes of it, as tcp_v4_rcv counts */
	x->mib.in_segs++;
	/* Linux: sk_acceptq_is_full (above the backlog) drops the ACK */
	if (l->accept_qlen > l->backlog) {
		l->overflows++;
		x->mib.listen_overflows++;
		return -ENOBUFS;
	}
	tcp_conn_init_common(x, c, t, &l->so, mtu, now);
	tcp_io_enter(c, io, a);
	c->listener = l;
	l->syn_qlen++;
	c->iss = seq_sub(ack->ack, 1);
	c->irs = seq_sub(ack->seq, 1);
	c->snd_una = ack->ack;
	c->snd_nxt = ack->ack;
	c->snd_base = ack->ack;
	c->snd_sml = ack->ack;
	c->rcv_nxt = ack->seq;
	c->peer_mss = info->mss;
	c->ws_ok = info->ws_ok;
	c->snd_wscale = info->ws_ok ? info->snd_wscale : 0;
	c->rcv_wscale = info->ws_ok ? tcp_choose_wscale(x, c->so.rcvbuf) : 0;
	c->ts_ok = info->ts_ok;
	c->sack_ok = info->sack_ok;
	if (c->ts_ok) {
		c->ts_recent = ack->opts.tsval;
		c->ts_recent_ns = now;
	}
	tcp_update_mss(x, c);
	/* what the cookie SYN-ACK advertised (tcp_syncookie_reply) */
	c->rcv_adv = seq_add(c->rcv_nxt, min32(c->so.rcvbuf, min32(x->p.rcv_wnd_init, 65535)));
	c->snd_wnd = (uint32_t)ack->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = ack->seq;
	c->snd_wl2 = ack->ack;
	c->last_ack_sent = c->rcv_nxt;
	/* no RTT sample: the echoed timestamp was rounded down to carry
	 * the options (and no SYN-ACK time was kept), as on Linux */
	tcp_established(x, c, a, now);
	c->segs_in++;
	c->last_rcv_ns = now;
	/* the rest of the ACK (its data, FIN) as in ESTABLISHED */
	tcp_input_sync(x, c, ack, io, a);
	tcp_finish(x, c, io, a);
	return 0;
}

/* ---- user calls ---- */

static void
queue_fin(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now, struct tcp_actions *a)
{
	if (c->fin_queued)
		return;
	c->fin_queued = true;
	c->fin_seq = seq_add(c->snd_base, c->snd_avail);
	switch (c->state) {
	case TCP_SYN_RECEIVED:
		/* the FIN waits for our SYN to be acknowledged: the move to
		 * FIN-WAIT-1 happens with the establishment (tcp_input.c),
		 * so the SYN-ACK keeps being retransmitted meanwhile */
		break;
	case TCP_ESTABLISHED:
		c->state = TCP_FIN_WAIT_1;
		break;
	case TCP_CLOSE_WAIT:
		c->state = TCP_LAST_ACK;
		break;
	default:
		break;
	}
}

void
tcp_disconnect(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	tcp_io_enter(c, io, a);
	/* no error for the socket: the caller asked for it (the daemon
	 * reports ECONNRESET once, as tcp_disconnect sets sk_err) */
	tcp_conn_reset(x, c, 0, true, io, a);
}

void
tcp_close(struct tcp_ctx *x, struct tcp_conn *c, uint32_t unread, bool linger0, const struct tcp_io *io,
	  struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_io_enter(c, io, a);
	bool was_orphan = c->orphan;
	c->orphan = true;
	switch (c->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
		tcp_conn_done(x, c, a);
		return;
	case TCP_TIME_WAIT:
		a->deadline = tcp_conn_deadline(c);
		return;
	default:
		break;
	}
	if (unread || linger0) {
		/* Linux's tcp_close: unread data (RFC 2525 §2.17) or
		 * SO_LINGER 0 resets the connection */
		if (unread)
			x->mib.abort_on_close++;
		else
			x->mib.abort_on_linger++;
		tcp_conn_reset(x, c, 0, true, io, a);
		return;
	}
	if (!was_orphan && c->state == TCP_FIN_WAIT_2)
		tcp_set_deadline(c, TCP_T_2MSL, now + x->p.fin_timeout_ns);
	queue_fin(x, c, now, a);
	tcp_finish(x, c, io, a);
	/* Linux's __tcp_close: the FIN is out; beyond tcp_max_orphans
	 * (counting this one) the connection is reset instead of left to
	 * finish (tcp_check_oom, "too many orphaned sockets") */
	if (!was_orphan && c->state != TCP_CLOSED && c->state != TCP_TIME_WAIT) {
		c->orphan_counted = true;
		x->orphans++;
		tcp_orphan_oom(x, c, io, a);
	}
}

int
tcp_shutdown(struct tcp_ctx *x, struct tcp_conn *c, int how, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_io_enter(c, io, a);
	if (how < 0 || how > 2) {
		a->deadline = tcp_conn_deadline(c);
		return -EINVAL;
	}
	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN) {
		a->deadline = tcp_conn_deadline(c);
		return -ENOTCONN;
	}
	if (c->state == TCP_SYN_SENT) {
		/* Linux's inet_shutdown disconnects a connect() in progress */
		tcp_conn_reset(x, c, ECONNRESET, false, io, a);
		return 0;
	}
	if (how == 0 || how == 2)
		c->shut_rd = true;
	if (how == 1 || how == 2)
		queue_fin(x, c, now, a);
	tcp_finish(x, c, io, a);
	return 0;
}

void
tcp_abort(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	tcp_io_enter(c, io, a);
	if (c->state == TCP_CLOSED) {
		a->events |= TCP_EV_CLOSED;
		return;
	}
	tcp_conn_reset(x, c, 0, true, io, a);
}

void
tcp_conn_destroy(struct tcp_ctx *x, struct tcp_conn *c)
{
	orphan_uncount(x, c);
	listener_leave(c);
	tcp_reass_purge(x, c);
	tcp_txq_reset(c);
	c->state = TCP_CLOSED;
	for (int k = 0; k < TCP_T_N; k++)
		c->deadline[k] = TCP_NEVER;
}

void
tcp_output(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	tcp_io_enter(c, io, a);
	tcp_finish(x, c, io, a);
}

void
tcp_rcvd(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_io_enter(c, io, a);
	if (tcp_synchronized(c->state) && c->state != TCP_TIME_WAIT) {
		tcp_rcv_space_adjust(x, c, now);
		/* Linux's __tcp_cleanup_rbuf: announce a window that at
		 * least doubled, when it was at most half the clamp */
		uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? seq_diff(c->rcv_adv, c->rcv_nxt) : 0;
		if (!c->fin_rcvd && 2ull * cur <= c->rcv_wnd_clamp) {
			uint32_t nw = (uint32_t)tcp_select_window(c, false) << c->rcv_wscale;
			if (nw && nw >= 2ull * cur && nw > cur)
				c->ack_now = true;
		}
	}
	tcp_finish(x, c, io, a);
}

int
tcp_send_urgent(struct tcp_ctx *x, struct tcp_conn *c, uint32_t up_off, const struct tcp_io *io,
		struct tcp_actions *a)
{
	struct tcp_io u = *io;

	u.snd_urg = up_off;
	tcp_io_enter(c, &u, a);
	tcp_finish(x, c, &u, a);
	return up_off > 0 && up_off <= c->snd_avail && !c->fin_queued ? 0 : -EINVAL;
}

int
tcp_setsockopt(struct tcp_ctx *x, struct tcp_conn *c, enum tcp_sockopt opt, uint32_t val,
	       const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;
	int rc = 0;

	tcp_io_enter(c, io, a);
	switch (opt) {
	case TCP_SO_NODELAY:
		c->so.nodelay = val != 0;
		break;
	case TCP_SO_CORK:
		c->so.cork = val != 0;
		if (!val) {
			c->cork_since_ns = 0;
			tcp_clear_deadline(c, TCP_T_CORK);
		}
		break;
	case TCP_SO_MAXSEG:
		if (val && (val < TCP_MIN_MSS_OPT || val > TCP_MAX_USER_MSS)) {
			rc = -EINVAL;
			break;
		}
		c->so.user_mss = (uint16_t)val;
		if (c->state == TCP_SYN_SENT || c->state == TCP_CLOSED) {
			uint32_t adv = c->pmtu - c->family_hdr - TCP_HLEN;
			if (val && val < adv)
				adv = val;
			c->adv_mss = (uint16_t)min32(adv, 65535);
		}
		tcp_update_mss(x, c);
		break;
	case TCP_SO_KEEPALIVE:
		c->so.keepalive = val != 0;
		c->probes_out = 0;
		tcp_keepalive_reset(x, c, now);
		break;
	case TCP_SO_KEEPIDLE:
	case TCP_SO_KEEPINTVL:
		if (val < 1 || val > 32767) {
			rc = -EINVAL;
			break;
		}
		if (opt == TCP_SO_KEEPIDLE) {
			c->so.keepidle_s = val;
			tcp_keepalive_reset(x, c, now);
		} else {
			c->so.keepintvl_s = val;
		}
		break;
	case TCP_SO_KEEPCNT:
		if (val < 1 || val > 127) {
			rc = -EINVAL;
			break;
		}
		c->so.keepcnt = val;
		break;
	case TCP_SO_USER_TIMEOUT:
		if (val > INT32_MAX) {
			rc = -EINVAL;
			break;
		}
		c->so.user_timeout_ms = val;
		break;
	case TCP_SO_RCVBUF:
		if (val == 0) {
			rc = -EINVAL;
			break;
		}
		c->so.rcvbuf = val;
		c->so.rcvbuf_locked = true;
		c->rcv_wnd_clamp = val;
		break;
	case TCP_SO_QUICKACK:
		if (val) {
			c->quickacks = TCP_MAX_QUICKACKS;
			if (c->ack_pending)
				c->ack_now = true;
		}
		break;
	default:
		rc = -EINVAL;
		break;
	}
	tcp_finish(x, c, io, a);
	return rc;
}

void
tcp_icmp(struct tcp_ctx *x, struct tcp_conn *c, enum tcp_icmp_kind kind, uint32_t quoted_seq, uint32_t mtu,
	 int err, const struct tcp_io *io, struct tcp_actions *a)
{
	struct seq q = seq_make(quoted_seq);

	tcp_io_enter(c, io, a);
	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN || c->state == TCP_TIME_WAIT) {
		x->mib.icmp_ignored++;
		a->deadline = tcp_conn_deadline(c);
		return;
	}
	/* RFC 5927 §4.1: the quoted segment must be one in flight */
	bool ok = (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
			  ? seq_eq(q, c->iss)
			  : seq_in(q, c->snd_una, c->snd_nxt);
	if (!ok) {
		x->mib.icmp_ignored++;
		tcp_finish(x, c, io, a);
		return;
	}
	switch (kind) {
	case TCP_ICMP_FRAG_NEEDED: {
		/* RFC 1191 §6.3 with RFC 5927 §7.2's floor: never below the
		 * family's minimum PMTU */
		uint32_t minp = c->tuple.family == AF_INET6 ? x->p.min_pmtu6 : x->p.min_pmtu4;
		uint32_t nm = max32(mtu, minp);
		if (nm >= c->pmtu)
			break;
		uint32_t old = c->mss;
		c->pmtu = nm;
		tcp_update_mss(x, c);
		x->mib.pmtu_updates++;
		if (c->mss < old && tcp_can_send(c->state) && c->ntx) {
			/* Linux's tcp_simple_retransmit: what was sent is
			 * too big, send it again in smaller pieces, without
			 * a congestion response */
			for (uint16_t i = 0; i < c->ntx; i++)
				if (!(c->tx[i].flags & TXE_SACKED)) {
					c->tx[i].flags |= TXE_LOST;
					c->tx[i].flags &= (uint8_t)~TXE_RETRANS;
				}
			tcp_txq_recount(c);
			if (c->ca_state != TCP_CA_LOSS) {
				c->recover = c->snd_nxt;
				c->ca_state = TCP_CA_LOSS;
			}
			c->force_retx = true;
		}
		break;
	}
	case TCP_ICMP_HARD:
		if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
			/* Linux's tcp_v4_err: fatal while connecting; a
			 * passive child vanishes quietly */
			x->mib.attempt_fails++;
			tcp_conn_reset(x, c, c->listener ? 0 : err, false, io, a);
			return;
		}
		c->soft_err = err;
		break;
	case TCP_ICMP_SOFT:
		c->soft_err = err;
		break;
	}
	tcp_finish(x, c, io, a);
}
