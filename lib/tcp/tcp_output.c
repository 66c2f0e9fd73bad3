/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output: what may be sent now, as segments in the actions (never sent
 * here). Order within one call: retransmissions of segments deemed lost
 * (RFC 6675 §5 NextSeg rule 1), then new data (rule 2) under the
 * congestion window, the peer's window, sender SWS avoidance (RFC 9293
 * §3.8.6.2.1), Nagle (RFC 896, Linux's Minshall variant) and TCP_CORK,
 * then a bare ACK if one is still owed. The window we advertise follows
 * RFC 9293 §3.8.6.2.2 (receiver SWS) and RFC 7323 §2.4 (never shrink).
 */
#include "tcp_impl.h"

void
tcp_act_reset(struct tcp_actions *a)
{
	a->release = 0;
	a->nsegs = 0;
	a->more = false;
	a->publish = 0;
	a->ndeliver = 0;
	a->events = 0;
	a->err = 0;
	a->urg_mark = seq_make(0);
	a->tw_isn = seq_make(0);
	a->deadline = TCP_NEVER;
}

struct tcp_out_seg *
tcp_act_seg(struct tcp_actions *a)
{
	if (a->nsegs >= TCP_ACT_SEGS) {
		a->more = true;
		return NULL;
	}
	struct tcp_out_seg *o = &a->segs[a->nsegs++];
	memset(o, 0, sizeof(*o));
	return o;
}

/* ---- the receive window ---- */

/* What the receive ring can take now within the auto-tuned window. */
uint32_t
tcp_rcv_space(const struct tcp_conn *c)
{
	uint32_t unread = c->so.rcvbuf > c->rcv_free ? c->so.rcvbuf - c->rcv_free : 0;
	uint32_t space = c->rcv_wnd_clamp > unread ? c->rcv_wnd_clamp - unread : 0;
	return min32(space, c->rcv_free);
}

/*
 * The window field for a non-SYN segment. The right edge moves forward
 * only by at least min(buffer / 2, MSS) (receiver SWS avoidance, RFC 1122
 * §4.2.3.3) and never backward (RFC 7323 §2.4, RFC 9293 §3.8.6.2.2): a
 * scaled window that would round below the edge already advertised is
 * rounded up. With commit, the new edge is recorded.
 */
uint16_t
tcp_select_window(struct tcp_conn *c, bool commit)
{
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? seq_diff(c->rcv_adv, c->rcv_nxt) : 0;
	uint32_t space = tcp_rcv_space(c);
	uint32_t nw = cur;
	uint8_t ws = c->rcv_wscale;

	if (space > cur) {
		uint32_t thresh = min32(c->rcv_wnd_clamp / 2, c->rcv_mss);
		if (space - cur >= thresh)
			nw = space;
	}
	uint32_t maxw = 65535u << ws;
	if (nw > maxw)
		nw = maxw;
	uint32_t field = nw >> ws;
	if ((field << ws) < cur)
		field = (cur + (1u << ws) - 1) >> ws;
	if (field > 65535)
		field = 65535;
	if (commit) {
		struct seq edge = seq_add(c->rcv_nxt, field << ws);
		if (seq_gt(edge, c->rcv_adv) || seq_lt(c->rcv_adv, c->rcv_nxt))
			c->rcv_adv = edge;
	}
	return (uint16_t)field;
}

/* ---- options ---- */

void
tcp_fill_opts(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_opts *o, uint64_t now, bool sack)
{
	o->present = 0;
	unsigned room = TCP_MAX_SACK;
	if (c->ts_ok) {
		o->present |= TCP_OPT_TS;
		o->tsval = tcp_ts_now(c, now);
		o->tsecr = c->ts_recent;
		room = 3;
	}
	if (!sack || !c->sack_ok)
		return;
	unsigned n = 0;
	if (c->dsack_pending && x->p.dsack)
		o->sack[n++] = c->dsack;
	n += tcp_reass_sack(c, o->sack + n, room - n);
	if (n) {
		o->present |= TCP_OPT_SACK;
		o->nsack = (uint8_t)n;
	}
}

/* An ACK (or data segment carrying one) went out: nothing is owed now. */
void
tcp_ack_sent(struct tcp_conn *c)
{
	if (c->dsack_pending && c->sack_ok)
		c->dsack_sent_count++;
	c->ack_now = false;
	c->ack_pending = false;
	c->segs_unacked = 0;
	c->dsack_pending = false;
	c->last_ack_sent = c->rcv_nxt;
	tcp_clear_deadline(c, TCP_T_DELACK);
}

static void
count_out(struct tcp_ctx *x, struct tcp_conn *c)
{
	x->mib.out_segs++;
	c->segs_out++;
}

/*
 * Emits the segment [start, start + len) (+ FIN) from the transmit ring.
 * len is cut to what fits beside this segment's options. Returns nothing;
 * the caller checks a->nsegs before calling.
 */
void
tcp_emit_range(struct tcp_ctx *x, struct tcp_conn *c, struct seq start, uint32_t len, bool fin,
	       const struct tcp_io *io, struct tcp_actions *a, bool retrans)
{
	struct tcp_out_seg *o = tcp_act_seg(a);
	uint64_t now = io->now_ns;

	if (o == NULL)
		return;
	o->seq = start;
	o->ack = c->rcv_nxt;
	o->flags = TCP_ACK;
	tcp_fill_opts(x, c, &o->opts, now, true);
	o->data_off = seq_diff(start, c->snd_base);
	o->data_len = len;
	if (fin)
		o->flags |= TCP_FIN;
	/* PSH when the segment empties what the application queued */
	if (len && seq_eq(seq_add(start, len), tcp_data_end(c)))
		o->flags |= TCP_PSH;
	if (c->snd_up_valid && seq_gt(c->snd_up, start)) {
		/* RFC 6093 §4: the pointer is the offset of the byte after
		 * the urgent data; it stays on while SND.UP is ahead */
		uint32_t up = seq_diff(c->snd_up, start);
		o->flags |= TCP_URG;
		o->urp = (uint16_t)min32(up, 65535);
	}
	o->wnd = tcp_select_window(c, true);
	tcp_ack_sent(c);
	count_out(x, c);
	if (len) {
		c->data_segs_out++;
		c->last_data_snd_ns = now;
		if (retrans) {
			c->bytes_retrans += len;
			c->total_retrans++;
			x->mib.retrans_segs++;
			if (c->undo_on) {
				struct seq end = seq_add(start, len);
				if (c->undo_retrans == UINT32_MAX) {
					c->undo_retrans = 0;
					c->undo_lo = start;
					c->undo_hi = end;
				}
				if (seq_lt(start, c->undo_lo))
					c->undo_lo = start;
				if (seq_gt(end, c->undo_hi))
					c->undo_hi = end;
				c->undo_retrans += len;
				if (!c->undo_ts && (o->opts.present & TCP_OPT_TS)) {
					c->undo_ts = true;
					c->undo_tsval = o->opts.tsval;
				}
			}
		} else {
			c->bytes_sent += len;
		}
	} else if (retrans) {
		c->total_retrans++;
		x->mib.retrans_segs++;
	}
}

/* Payload that fits beside the options a data segment would carry now. */
static uint32_t
seg_room(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	struct tcp_opts o;
	uint32_t mss = c->mss;

	tcp_fill_opts(x, c, &o, now, true);
	unsigned extra = tcp_opts_len(&o) - (c->ts_ok ? TCP_TS_OPT_LEN : 0);
	return mss > extra + 8 ? mss - extra : 8;
}

/* Linux's tcp_acceptable_seq, the sequence number of an ACK or RST we
 * make up: SND.NXT, unless that lies beyond the window the peer last
 * offered (it closed its window on data already sent): then the window's
 * end, else a peer at zero window finds the segment out of its window
 * and ignores it (for ACKs, a deadlock seen with a Linux client blocked
 * in writev; for RSTs, a connection the peer never sees reset) */
static struct seq
acceptable_seq(const struct tcp_conn *c)
{
	struct seq wnd_end = seq_add(c->snd_una, c->snd_wnd);
	return seq_gt(c->snd_nxt, wnd_end) ? wnd_end : c->snd_nxt;
}

void
tcp_send_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	struct tcp_out_seg *o = tcp_act_seg(a);
	if (o == NULL)
		return;
	o->seq = acceptable_seq(c);
	o->ack = c->rcv_nxt;
	o->flags = TCP_ACK;
	tcp_fill_opts(x, c, &o->opts, io->now_ns, true);
	o->wnd = tcp_select_window(c, true);
	tcp_ack_sent(c);
	count_out(x, c);
}

/*
 * RFC 5961 §3.2, §4.2, §5.2 challenge ACKs and RFC 9293 answers to
 * out-of-window segments, limited per connection (one per
 * invalid_ratelimit_ns, Linux's tcp_invalid_ratelimit): a global limit
 * leaks a side channel (CVE-2016-5696).
 */
bool
tcp_oow_rate_limited(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (c->last_oow_ack_ns && now - c->last_oow_ack_ns < x->p.invalid_ratelimit_ns)
		return true;
	c->last_oow_ack_ns = now ? now : 1;
	return false;
}

void
tcp_send_challenge_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	if (tcp_oow_rate_limited(x, c, io->now_ns)) {
		x->mib.challenge_acks_limited++;
		return;
	}
	x->mib.challenge_acks++;
	c->challenge_acks++;
	tcp_send_ack(x, c, io, a);
}

void
tcp_send_rst(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	struct tcp_out_seg *o = tcp_act_seg(a);
	if (o == NULL)
		return;
	/* Linux's tcp_send_active_reset: <SEQ=tcp_acceptable_seq><ACK=RCV.NXT>
	 * <CTL=RST,ACK> */
	o->seq = acceptable_seq(c);
	o->ack = c->rcv_nxt;
	o->flags = TCP_RST | TCP_ACK;
	tcp_fill_opts(x, c, &o->opts, io->now_ns, false);
	o->wnd = tcp_select_window(c, false);
	count_out(x, c);
	x->mib.out_rsts++;
}

/* SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first or retransmitted. */
void
tcp_send_syn(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	struct tcp_out_seg *o = tcp_act_seg(a);
	if (o == NULL)
		return;
	bool synack = c->state == TCP_SYN_RECEIVED;
	uint64_t now = io->now_ns;

	o->seq = c->iss;
	o->flags = TCP_SYN;
	o->opts.present = TCP_OPT_MSS;
	o->opts.mss = c->adv_mss;
	if (synack) {
		o->flags |= TCP_ACK;
		o->ack = c->rcv_nxt;
	}
	/* offer what we allow; answer with what both allow (RFC 7323
	 * §2.2, §3.2; RFC 2018 §2) */
	if (synack ? c->ws_ok : x->p.window_scaling) {
		o->opts.present |= TCP_OPT_WSCALE;
		o->opts.wscale = c->rcv_wscale;
	}
	if (synack ? c->sack_ok : x->p.sack)
		o->opts.present |= TCP_OPT_SACK_PERM;
	if (synack ? c->ts_ok : x->p.timestamps) {
		o->opts.present |= TCP_OPT_TS;
		o->opts.tsval = tcp_ts_now(c, now);
		o->opts.tsecr = synack ? c->ts_recent : 0;
	}
	/* RFC 7323 §2.2: the window of a SYN is never scaled */
	uint32_t w = min32(tcp_rcv_space(c), 65535);
	o->wnd = (uint16_t)w;
	c->rcv_adv = seq_add(c->rcv_nxt, w);
	if (synack)
		tcp_ack_sent(c);
	count_out(x, c);
	if (c->syn_retx) {
		c->total_retrans++;
		x->mib.retrans_segs++;
	}
	if (seq_eq(c->snd_nxt, c->iss))
		c->snd_nxt = seq_add(c->iss, 1);
}

/* Zero window probe or keepalive: an old sequence number (SND.UNA - 1),
 * no data; the peer answers with an ACK (RFC 9293 §3.8.6.1, RFC 1122
 * §4.2.3.6, Linux's tcp_xmit_probe_skb). */
void
tcp_send_probe(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	struct tcp_out_seg *o = tcp_act_seg(a);
	if (o == NULL)
		return;
	o->seq = seq_sub(c->snd_una, 1);
	o->ack = c->rcv_nxt;
	o->flags = TCP_ACK;
	tcp_fill_opts(x, c, &o->opts, io->now_ns, true);
	o->wnd = tcp_select_window(c, true);
	tcp_ack_sent(c);
	count_out(x, c);
}

/* ---- retransmission ---- */

/*
 * RFC 6675 §5 (NextSeg rule 1): the lowest segment deemed lost and not
 * yet retransmitted, one MSS at a time, while pipe < cwnd. Returns false
 * when the actions are full.
 */
static bool
retransmit_lost(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	if (c->lost_bytes <= c->retrans_bytes)
		return true;
	bool compacted = false;
	for (uint16_t i = 0; i < c->ntx; i++) {
		struct tcp_txe *t = &c->tx[i];
		if (!(t->flags & TXE_LOST) || (t->flags & (TXE_RETRANS | TXE_SACKED)))
			continue;
		if (tcp_pipe(c) >= c->cwnd && !c->force_retx) {
			c->cwnd_limited = true;
			return true;
		}
		if (a->nsegs >= TCP_ACT_SEGS) {
			a->more = true;
			return false;
		}
		uint32_t room = seg_room(x, c, now);
		uint32_t len = seq_diff(t->end, t->start);
		bool fin = t->flags & TXE_FIN;
		uint32_t dlen = fin ? len - 1 : len;
		if (dlen > room) {
			/* one MSS now, the rest stays lost */
			if (tcp_txq_split(c, i, seq_add(t->start, room)) != 0) {
				if (!compacted) {
					/* merging moves entries: scan again */
					compacted = true;
					tcp_txq_compact(c);
					i = (uint16_t)-1;
					continue;
				}
				/* no room to track it apart: send the entry
				 * whole, cwnd or not */
				goto whole;
			}
			t = &c->tx[i];
			len = seq_diff(t->end, t->start);
			fin = t->flags & TXE_FIN;
			dlen = fin ? len - 1 : len;
		}
	whole:
		c->force_retx = false;
		{
			struct seq s = t->start;
			uint32_t left = dlen;
			do {
				uint32_t n = min32(left, room);
				bool last = n == left;
				if (a->nsegs >= TCP_ACT_SEGS) {
					/* cannot happen for a split entry; a
					 * whole one may need several: mark it
					 * sent anyway, RACK/RTO cover it */
					a->more = true;
					break;
				}
				tcp_emit_range(x, c, s, n, last && fin, io, a, true);
				s = seq_add(s, n);
				left -= n;
			} while (left > 0);
		}
		tcp_txq_mark_retrans(c, i, now, c->ts_ok ? tcp_ts_now(c, now) : 0);
		tcp_txq_recount(c);
		if (c->ca_state == TCP_CA_OPEN || c->ca_state == TCP_CA_DISORDER)
			break;
	}
	return true;
}

/* ---- new data ---- */

static bool
cork_holds(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (c->cork_force)
		return false;
	if (c->cork_since_ns == 0)
		c->cork_since_ns = now ? now : 1;
	/* Linux caps TCP_CORK at 200 ms (tcp(7)) */
	uint64_t until = c->cork_since_ns + x->p.cork_ns;
	if (now >= until)
		return false;
	tcp_set_deadline(c, TCP_T_CORK, until);
	return true;
}

static void
send_new(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;
	struct seq data_end = tcp_data_end(c);

	for (;;) {
		struct seq nxt = c->snd_nxt;
		uint32_t unsent = seq_gt(data_end, nxt) ? seq_diff(data_end, nxt) : 0;
		bool fin_pending = c->fin_queued && seq_eq(nxt, c->fin_seq);
		if (unsent == 0 && !fin_pending)
			break;
		if (a->nsegs >= TCP_ACT_SEGS) {
			a->more = true;
			break;
		}
		struct seq wnd_end = seq_add(c->snd_una, c->snd_wnd);
		uint32_t room = seq_gt(wnd_end, nxt) ? seq_diff(wnd_end, nxt) : 0;
		if (tcp_pipe(c) >= c->cwnd && !c->tlp_force) {
			c->cwnd_limited = true;
			break;
		}
		if (!tcp_txq_room(c, now))
			break;
		if (unsent == 0) {
			/* a bare FIN; it takes a unit of window, as Linux's
			 * tcp_snd_wnd_test counts it */
			if (room == 0 && !c->wnd_force)
				break;
			tcp_emit_range(x, c, nxt, 0, true, io, a, false);
			tcp_txq_sent(c, nxt, seq_add(nxt, 1), now, c->ts_ok ? tcp_ts_now(c, now) : 0, true);
			c->snd_nxt = seq_add(nxt, 1);
			c->tlp_force = c->wnd_force = false;
			c->pto_rearm = true;
			break;
		}
		uint32_t full = seg_room(x, c, now);
		uint32_t len = min32(unsent, full);
		if (len > room) {
			if (room == 0)
				break; /* zero window: the persist timer probes */
			/* sender SWS avoidance (RFC 9293 §3.8.6.2.1): a
			 * window fragment is worth sending only when it is
			 * half the largest window the peer offered */
			if (room < c->max_snd_wnd / 2 && !c->wnd_force)
				break;
			len = room;
		}
		if (len < full && len == unsent && !c->fin_queued && !c->wnd_force && !c->tlp_force) {
			/* a partial segment at the end of the queue */
			if (c->so.cork && cork_holds(x, c, now))
				break;
			/* Nagle (RFC 896, RFC 1122 §4.2.3.4), Linux's
			 * Minshall variant: hold while a small segment is
			 * unacknowledged */
			if (!c->so.nodelay && !c->so.cork && seq_gt(c->snd_sml, c->snd_una))
				break;
		}
		bool fin = c->fin_queued && seq_eq(seq_add(nxt, len), c->fin_seq) && room > len;
		tcp_emit_range(x, c, nxt, len, fin, io, a, false);
		struct seq end = seq_add(nxt, len + (fin ? 1 : 0));
		tcp_txq_sent(c, nxt, end, now, c->ts_ok ? tcp_ts_now(c, now) : 0, fin);
		c->snd_nxt = end;
		if (len < full)
			c->snd_sml = end;
		c->cork_since_ns = 0;
		c->cork_force = false;
		tcp_clear_deadline(c, TCP_T_CORK);
		c->pto_rearm = true;
		if (c->tlp_force || c->wnd_force) {
			c->tlp_force = c->wnd_force = false;
			break;
		}
	}
}

/* Whether unsent data (or the FIN) waits on the peer's window alone: a
 * zero window, or a fragment sender SWS avoidance declines. */
static bool
window_blocked(const struct tcp_conn *c)
{
	struct seq nxt = c->snd_nxt;
	struct seq data_end = tcp_data_end(c);
	bool fin = c->fin_queued && seq_eq(nxt, c->fin_seq);
	if (!seq_gt(data_end, nxt) && !fin)
		return false;
	struct seq wnd_end = seq_add(c->snd_una, c->snd_wnd);
	uint32_t room = seq_gt(wnd_end, nxt) ? seq_diff(wnd_end, nxt) : 0;
	if (room == 0)
		return true;
	uint32_t unsent = seq_gt(data_end, nxt) ? seq_diff(data_end, nxt) : 0;
	return room < min32(unsent, c->mss) && room < c->max_snd_wnd / 2;
}

void
tcp_arm_xmit_timers(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	bool outstanding = seq_gt(c->snd_nxt, c->snd_una);

	if (!tcp_can_send(c->state) && c->state != TCP_FIN_WAIT_2) {
		return;
	}
	if (outstanding) {
		tcp_clear_deadline(c, TCP_T_PERSIST);
		if (c->deadline[TCP_T_RTX] == TCP_NEVER)
			tcp_set_deadline(c, TCP_T_RTX, now + tcp_rto_cur(x, c));
		/* RFC 8985 §7.2: a probe timeout after new data or an ACK
		 * of new data, outside recovery, with SACK, once an RTT is
		 * known */
		if (x->p.tlp && c->sack_ok && c->ca_state == TCP_CA_OPEN && !c->tlp_out &&
		    c->rtt_valid && (c->pto_rearm || c->deadline[TCP_T_PTO] == TCP_NEVER)) {
			uint64_t pto = 2 * c->srtt;
			if (seq_diff(c->snd_nxt, c->snd_una) <= c->mss)
				pto += x->p.delack_max_ns; /* WCDelAckT */
			if (pto < 10 * 1000 * 1000ull)
				pto = 10 * 1000 * 1000ull; /* Linux's TCP_TIMEOUT_MIN floor of 2 jiffies */
			/* never later than the RTO (RFC 8985 §7.2) */
			uint64_t when = min64(now + pto, c->deadline[TCP_T_RTX]);
			tcp_set_deadline(c, TCP_T_PTO, when);
		}
	} else {
		tcp_clear_deadline(c, TCP_T_RTX);
		tcp_clear_deadline(c, TCP_T_PTO);
		tcp_clear_deadline(c, TCP_T_REO);
		if (window_blocked(c)) {
			if (c->deadline[TCP_T_PERSIST] == TCP_NEVER) {
				uint64_t d = min64(tcp_rto_cur(x, c) << min32(c->persist_backoff, 20),
						   x->p.rto_max_ns);
				if (c->persist_start_ns == 0)
					c->persist_start_ns = now ? now : 1;
				tcp_set_deadline(c, TCP_T_PERSIST, now + d);
			}
		} else {
			/* the window opened (Linux's tcp_ack_probe) */
			tcp_clear_deadline(c, TCP_T_PERSIST);
			c->persist_start_ns = 0;
			c->persist_backoff = 0;
		}
	}
	c->pto_rearm = false;
}

void
tcp_xmit(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	/* nothing but the SYN before the SYN is acknowledged (a close()
	 * in SYN-RECEIVED queues the FIN for after it) */
	if (tcp_can_send(c->state) && seq_gt(c->snd_una, c->iss)) {
		if (c->frto_new) {
			/* F-RTO step 2.b: new data this time, no retransmission */
			c->frto_new = false;
			send_new(x, c, io, a);
		} else if (retransmit_lost(x, c, io, a)) {
			send_new(x, c, io, a);
		}
	}
	if (c->ack_now && a->nsegs < TCP_ACT_SEGS)
		tcp_send_ack(x, c, io, a);
	tcp_arm_xmit_timers(x, c, io->now_ns);
}

/*
 * RFC 8985 §7.3: the probe timer fired. Send one new segment if the peer's
 * window takes one, else retransmit the last segment sent; then the RTO
 * takes over.
 */
void
tcp_tlp_fire(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;
	struct seq data_end = tcp_data_end(c);
	struct seq wnd_end = seq_add(c->snd_una, c->snd_wnd);

	if (!seq_gt(c->snd_nxt, c->snd_una) || c->ntx == 0)
		return;
	x->mib.tlp_probes++;
	c->tlp_out = true;
	if (seq_gt(data_end, c->snd_nxt) && seq_gt(wnd_end, c->snd_nxt) && tcp_txq_room(c, now)) {
		uint16_t before = a->nsegs;
		c->tlp_force = true;
		send_new(x, c, io, a);
		c->tlp_force = false;
		if (a->nsegs > before) {
			c->tlp_retrans = false;
			c->tlp_end = c->snd_nxt;
			goto arm;
		}
	}
	{
		/* the last MSS sent, again */
		uint16_t i = (uint16_t)(c->ntx - 1);
		struct tcp_txe *t = &c->tx[i];
		uint32_t room = seg_room(x, c, now);
		bool fin = t->flags & TXE_FIN;
		uint32_t len = seq_diff(t->end, t->start) - (fin ? 1 : 0);
		struct seq s = t->start;
		if (len > room) {
			s = seq_add(t->start, len - room);
			len = room;
		}
		if (a->nsegs >= TCP_ACT_SEGS) {
			a->more = true;
			return;
		}
		tcp_emit_range(x, c, s, len, fin, io, a, true);
		t->flags |= TXE_EVER; /* Karn: its ACK is ambiguous now */
		c->tlp_retrans = true;
		c->tlp_end = c->snd_nxt;
	}
arm:
	tcp_clear_deadline(c, TCP_T_PTO);
	tcp_set_deadline(c, TCP_T_RTX, now + tcp_rto_cur(x, c));
}
