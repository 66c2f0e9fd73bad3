/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment arrival (RFC 9293 §3.10.7), with the checks of RFC 7323 §5
 * (PAWS), RFC 5961 (blind reset, SYN and data injection), RFC 6191
 * (TIME-WAIT reuse), the ACK's loss recovery (RFC 5681, 6582, 6675, 8985)
 * and the receive side (delivery, out-of-order queue, delayed ACKs, urgent
 * pointer, receive-buffer auto-tuning). The step labels follow the RFC's
 * "first" .. "eighth".
 */
#include "tcp_impl.h"

/* ---- receive-side estimates ---- */

/* Linux's tcp_rcv_rtt_update: the receiver's view of the RTT, from the
 * echoed timestamp or from one window's worth of data. */
static void
rcv_rtt_measure(struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now)
{
	uint64_t sample = 0;

	if (c->ts_ok && (seg->opts.present & TCP_OPT_TS) && seg->opts.tsecr) {
		uint32_t d = tcp_ts_now(c, now) - seg->opts.tsecr;
		if (d < 60000)
			sample = (uint64_t)(d ? d : 1) * NS_PER_MS;
	} else if (c->rcv_rtt_time == 0 || seq_ge(c->rcv_nxt, c->rcv_rtt_seq)) {
		if (c->rcv_rtt_time)
			sample = now - c->rcv_rtt_time;
		uint32_t w = seq_gt(c->rcv_adv, c->rcv_nxt) ? seq_diff(c->rcv_adv, c->rcv_nxt) : c->rcv_mss;
		c->rcv_rtt_seq = seq_add(c->rcv_nxt, w);
		c->rcv_rtt_time = now ? now : 1;
	}
	if (sample == 0)
		return;
	if (c->rcv_rtt == 0 || sample < c->rcv_rtt)
		c->rcv_rtt = sample;
	else
		c->rcv_rtt = (7 * c->rcv_rtt + sample) / 8;
}

/*
 * Receive-buffer auto-tuning, Linux's dynamic right-sizing
 * (tcp_rcv_space_adjust): once per receiver RTT, if the application read
 * more than in the previous RTT, let the window grow to twice that (plus
 * room for the growth rate), up to the ring's size and rcv_wnd_max.
 */
void
tcp_rcv_space_adjust(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (c->so.rcvbuf_locked || c->rcv_rtt == 0)
		return;
	if (now - c->rcvq_time_ns < c->rcv_rtt)
		return;
	uint32_t unread = c->so.rcvbuf > c->rcv_free ? c->so.rcvbuf - c->rcv_free : 0;
	uint64_t copied_total = c->delivered_total > unread ? c->delivered_total - unread : 0;
	uint64_t copied = copied_total - min64(copied_total, c->rcvq_copied_mark);
	if (copied > c->rcvq_space) {
		uint64_t win = 2 * copied + 16ull * c->adv_mss;
		uint64_t grow = c->rcvq_space ? win * (copied - c->rcvq_space) / c->rcvq_space : 0;
		win += 2 * grow;
		uint64_t cap = min64(c->so.rcvbuf, x->p.rcv_wnd_max ? x->p.rcv_wnd_max : c->so.rcvbuf);
		if (win > cap)
			win = cap;
		if (win > c->rcv_wnd_clamp)
			c->rcv_wnd_clamp = (uint32_t)win;
		c->rcvq_space = (uint32_t)min64(copied, UINT32_MAX);
	}
	c->rcvq_copied_mark = copied_total;
	c->rcvq_time_ns = now;
}

/* Linux's tcp_event_data_recv: adapt the delayed-ACK timeout to the
 * spacing of arriving data; a long silence re-enters quick ACK mode. */
static void
ato_update(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	uint64_t amin = x->p.delack_min_ns;
	if (c->last_data_rcv_ns) {
		uint64_t m = now - c->last_data_rcv_ns;
		if (m <= amin / 2) {
			c->ato = c->ato / 2 + amin / 2;
		} else if (m < c->ato) {
			c->ato = c->ato / 2 + m;
			if (c->ato > c->rto)
				c->ato = c->rto;
		} else if (m > c->rto) {
			uint32_t q = tcp_rcv_space(c) / (2 * max32(c->rcv_mss, 1));
			c->quickacks = min32(max32(q, 2), TCP_MAX_QUICKACKS);
		}
	}
	if (c->ato < amin)
		c->ato = amin;
	c->last_data_rcv_ns = now;
}

/* RFC 5681 §4.2, RFC 1122 §4.2.3.2: ACK at least every second full-sized
 * segment and within delack_max; at once in quick ACK mode. */
static void
ack_policy(struct tcp_ctx *x, struct tcp_conn *c, uint32_t len, uint64_t now)
{
	if (len >= c->rcv_mss)
		c->segs_unacked++;
	if (len > c->rcv_mss)
		c->rcv_mss = min32(len, max32(c->adv_mss, TCP_MIN_MSS_OPT));
	if (c->quickacks > 0) {
		c->quickacks--;
		c->ack_now = true;
	} else if (c->segs_unacked >= 2) {
		c->ack_now = true;
	} else {
		c->ack_pending = true;
	}
}

/* ---- the FIN ("eighth") ---- */

static void
process_fin(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint64_t now)
{
	/* anything held beyond the end of the stream is the peer's
	 * nonsense: give it back now */
	tcp_reass_purge(x, c);
	c->rcv_nxt = seq_add(c->rcv_nxt, 1);
	c->fin_rcvd = true;
	c->ooo_fin = false;
	c->ack_now = true;
	a->events |= TCP_EV_PEER_FIN;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		c->state = TCP_CLOSE_WAIT;
		break;
	case TCP_FIN_WAIT_1:
		/* our FIN not acknowledged yet (else we would be in
		 * FIN-WAIT-2): simultaneous close */
		c->state = TCP_CLOSING;
		break;
	case TCP_FIN_WAIT_2:
		tcp_enter_time_wait(x, c, a, now);
		break;
	default:
		break;
	}
}

/*
 * "seventh, process the segment text" and "eighth, check the FIN bit":
 * seg's payload from byte skip on starts at seq_add(seg->seq, skip') where
 * the caller already trimmed; here the arguments are the trimmed view.
 */
static void
text_and_fin(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg, struct seq s,
	     uint32_t skip, uint32_t len, bool fin, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	if (len > 0) {
		switch (c->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			break;
		default:
			/* CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer's
			 * FIN came already; ignore the text */
			if (c->state == TCP_TIME_WAIT) {
				/* RFC 9293 3.10.7.4 lets TIME-WAIT ignore it;
				 * Linux (tcp_timewait_state_process) answers
				 * anything but an in-window bare ACK or RST
				 * with the TIME-WAIT ACK and restarts 2 MSL
				 * when it carries ACK; data occupies sequence
				 * space, so no rate limit */
				c->ack_now = true;
				if (seg->flags & TCP_ACK)
					tcp_set_deadline(c, TCP_T_2MSL, now + x->p.time_wait_ns);
			}
			len = 0;
			fin = false;
			break;
		}
	}
	if (len > 0 && (c->state == TCP_FIN_WAIT_1 || c->state == TCP_FIN_WAIT_2) && (c->orphan || c->shut_rd)) {
		/* RFC 1122 §4.2.2.13 / Linux: data for a socket that will
		 * never read it resets the connection */
		x->mib.abort_on_data++;
		tcp_conn_reset(x, c, 0, true, io, a);
		return;
	}
	if (len > 0) {
		c->data_segs_in++;
		ato_update(x, c, now);
		rcv_rtt_measure(c, seg, now);
		if (seq_eq(s, c->rcv_nxt)) {
			uint32_t n = tcp_deliver_n(x, c, a, skip, len);
			if (n < len)
				fin = false; /* the ring was full: the rest is lost */
			bool had_ooo = c->nooo > 0;
			if (had_ooo)
				tcp_reass_deliver(x, c, a);
			ack_policy(x, c, len, now);
			/* RFC 5681 §4.2: ACK at once when filling a hole, and
			 * while one remains */
			if (had_ooo)
				c->ack_now = true;
		} else {
			bool dup = false;
			tcp_reass_insert(x, c, a, s, skip, len, &dup);
			if (dup && c->sack_ok) {
				c->dsack_pending = true;
				c->dsack.start = s.v;
				c->dsack.end = seq_add(s, len).v;
			}
			/* RFC 5681 §4.2: an out-of-order segment is ACKed at
			 * once (a duplicate ACK with SACK blocks); Linux also
			 * re-enters quick ACK mode */
			c->ack_now = true;
			c->quickacks = max32(c->quickacks, 2);
		}
		tcp_rcv_space_adjust(x, c, now);
	}
	if (c->state == TCP_CLOSED || c->fin_rcvd)
		return;
	if (fin && seq_gt(seq_add(s, len), c->rcv_nxt)) {
		/* a FIN beyond a hole: taken when the hole fills */
		c->ooo_fin = true;
		c->ooo_fin_seq = seq_add(s, len);
		c->ack_now = true;
		fin = false;
	}
	if (fin && seq_eq(seq_add(s, len), c->rcv_nxt))
		process_fin(x, c, a, now);
	else if (c->ooo_fin && seq_eq(c->rcv_nxt, c->ooo_fin_seq))
		process_fin(x, c, a, now);
}

/* ---- the ACK ("fifth") ---- */

void
tcp_enter_recovery(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	/* RFC 6675 §5 (4.2) / RFC 6582 §3.2 (2): once per window */
	c->recover = c->snd_nxt;
	tcp_undo_begin(c);
	c->ssthresh = c->cc->ssthresh(c, now);
	c->cwnd = c->ssthresh;
	c->bytes_acked_ca = 0;
	c->ca_state = TCP_CA_RECOVERY;
	c->force_retx = true;
	c->tlp_out = false;
	x->mib.fast_retrans++;
	if (c->sack_ok)
		x->mib.sack_recoveries++;
	else
		x->mib.reno_recoveries++;
}

/* After the scoreboard changed: mark losses and move between the
 * recovery states. */
void
tcp_process_ack_loss(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (c->sack_ok) {
		tcp_txq_mark_lost_rfc6675(c);
	} else if (c->dupacks >= TCP_DUPTHRESH && c->ca_state < TCP_CA_RECOVERY &&
		   seq_gt(c->snd_una, c->recover)) {
		/* RFC 6582 §3.2 (1)-(2): three duplicate ACKs, and the
		 * cumulative ACK covers more than recover */
		tcp_txq_mark_head_lost(c);
	}
	tcp_txq_recount(c);
	if (c->ca_state <= TCP_CA_DISORDER) {
		if (c->lost_bytes > 0)
			tcp_enter_recovery(x, c, now);
		else
			c->ca_state = (c->sacked_bytes || c->dupacks) ? TCP_CA_DISORDER : TCP_CA_OPEN;
	}
}

/* RFC 7323 §4.2 / RFC 6298: an RTT sample from the echoed timestamp when
 * the ACK advances, else from a segment never retransmitted (Karn). */
static void
rtt_from_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
	     const struct tcp_ack_info *ai, uint64_t now)
{
	if (c->ts_ok && (seg->opts.present & TCP_OPT_TS) && seg->opts.tsecr) {
		uint32_t d = tcp_ts_now(c, now) - seg->opts.tsecr;
		if (d < 2u * 3600 * 1000) {
			/* ms resolution: take the finer clock when both
			 * describe the same segment */
			uint64_t r = (uint64_t)d * NS_PER_MS;
			if (ai->rtt_valid && now - ai->rtt_xmit_ns < r + NS_PER_MS &&
			    now - ai->rtt_xmit_ns + NS_PER_MS > r)
				r = now - ai->rtt_xmit_ns;
			tcp_rtt_sample(x, c, r ? r : 1, now);
			return;
		}
	}
	if (ai->rtt_valid && !ai->ever_retrans)
		tcp_rtt_sample(x, c, now - ai->rtt_xmit_ns, now);
}

/* RFC 8985 §7.4: the end of a probe episode. Returns true when the
 * probe repaired a loss (and the window was reduced for it). */
static bool
tlp_on_ack(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (!c->tlp_out)
		return false;
	if (c->tlp_retrans && c->dsack_seen) {
		c->tlp_out = false; /* the probe was a duplicate: no loss */
		return false;
	}
	if (seq_ge(c->snd_una, c->tlp_end)) {
		c->tlp_out = false;
		if (c->tlp_retrans && c->ca_state == TCP_CA_OPEN) {
			/* the probe repaired a loss: respond as to one */
			c->ssthresh = c->cc->ssthresh(c, now);
			c->cwnd = max32(c->ssthresh, c->mss);
			return true;
		}
	}
	return false;
}

static void
process_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg, const struct tcp_io *io,
	    struct tcp_actions *a)
{
	uint64_t now = io->now_ns;
	struct tcp_ack_info ai = { 0 };
	struct seq ack = seg->ack;
	uint32_t prior_pipe = tcp_pipe(c);
	uint32_t wnd = (uint32_t)seg->wnd << c->snd_wscale;
	bool advanced = seq_gt(ack, c->snd_una), dupack = false;
	uint32_t acked_total = advanced ? seq_diff(ack, c->snd_una) : 0;

	c->dsack_seen = false;
	c->last_ack_rcv_ns = now;
	if (c->sack_ok)
		tcp_txq_sack(x, c, seg, now, &ai);
	if (advanced) {
		uint32_t acked = seq_diff(ack, c->snd_una);
		tcp_txq_ack(x, c, ack, now, seg, &ai);
		/* the data part of what was acked leaves the ring */
		struct seq data_acked = ack;
		if (c->fin_queued && seq_gt(data_acked, c->fin_seq))
			data_acked = c->fin_seq;
		if (seq_gt(data_acked, c->snd_base)) {
			uint32_t rel = seq_diff(data_acked, c->snd_base);
			a->release += rel;
			c->snd_base = data_acked;
			c->snd_avail -= min32(rel, c->snd_avail);
			c->bytes_acked += rel;
			a->events |= TCP_EV_WRITABLE;
		}
		c->snd_una = ack;
		if (c->snd_up_valid && seq_ge(c->snd_una, c->snd_up))
			c->snd_up_valid = false;
		rtt_from_ack(x, c, seg, &ai, now);
		c->backoff = 0;
		c->rtx_start_ns = 0;
		if (!c->sack_ok && c->ca_state == TCP_CA_RECOVERY) {
			/* RFC 6582 §3.2 (5) window deflation, Linux's way:
			 * one acked segment filled the hole, the others had
			 * each produced a duplicate ACK */
			uint32_t segs = (acked_total + c->mss - 1) / c->mss;
			c->dupacks = segs - 1 >= c->dupacks ? 0 : c->dupacks - (segs - 1);
		} else {
			c->dupacks = 0;
		}
		c->soft_err = 0;
		c->delivered += acked;
		if (c->rtt_valid && now - c->delivered_mark_ns >= c->srtt && now > c->delivered_mark_ns) {
			c->delivery_rate = (c->delivered - c->delivered_mark) * NS_PER_S /
					   (now - c->delivered_mark_ns);
			c->delivered_mark = c->delivered;
			c->delivered_mark_ns = now;
		}
		if (ai.fin_acked)
			a->events |= TCP_EV_SHUT_WR_DONE;
		c->pto_rearm = true;
	} else if (seq_eq(ack, c->snd_una) && seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
		   wnd == c->snd_wnd && seq_gt(c->snd_nxt, c->snd_una)) {
		/* RFC 5681 §2 duplicate ACK */
		if (!c->sack_ok || (seg->opts.present & TCP_OPT_SACK)) {
			c->dupacks++;
			dupack = true;
		}
	}
	c->probes_out = 0; /* the peer is alive (Linux's tcp_ack) */

	/* NewReno partial ACK (RFC 6582 §3.2 (5)): retransmit the next */
	if (!c->sack_ok && advanced && c->ca_state == TCP_CA_RECOVERY && seq_lt(ack, c->recover)) {
		tcp_txq_mark_head_lost(c);
		c->force_retx = true; /* at once, whatever the window */
	}

	/* Eifel (RFC 3522): the ACK answers an original transmission, so
	 * the episode was spurious; undone at once, as Linux's
	 * tcp_try_undo_loss / tcp_try_undo_partial */
	bool exiting = false;
	if (advanced && tcp_undo_eifel(x, c, seg))
		exiting = true;
	else if (tcp_frto_ack(x, c, seg, &ai, advanced, dupack))
		exiting = true;
	/* leave recovery at RecoveryPoint (RFC 6675 §5, RFC 6582 (6)) */
	if (advanced && (c->ca_state == TCP_CA_RECOVERY || c->ca_state == TCP_CA_LOSS) &&
	    seq_ge(c->snd_una, c->recover)) {
		/* every retransmission of the episode reported twice: it
		 * was spurious, its reduction is undone (RFC 3708) */
		if (!tcp_undo_try(x, c) && c->ca_state == TCP_CA_RECOVERY)
			c->cwnd = max32(c->ssthresh, c->mss);
		c->ca_state = TCP_CA_OPEN;
		c->frto = c->frto_new = false;
		exiting = true;
	}
	tcp_txq_recount(c);
	if (c->sack_ok && x->p.rack) {
		uint64_t d = tcp_rack_detect(x, c, now);
		if (d)
			tcp_set_deadline(c, TCP_T_REO, now + d);
		else
			tcp_clear_deadline(c, TCP_T_REO);
	}
	tcp_process_ack_loss(x, c, now);
	if (x->p.rack)
		tcp_rack_on_ack(c, exiting);

	bool tlp_loss = tlp_on_ack(x, c, now);

	/* RFC 5681 §3.1, RFC 7661: grow only a window that was used */
	if (advanced && c->ca_state != TCP_CA_RECOVERY && !exiting && !tlp_loss) {
		bool limited = c->cwnd_limited || (uint64_t)prior_pipe + 2ull * c->mss >= c->cwnd ||
			       (c->cwnd < c->ssthresh && 2ull * prior_pipe >= c->cwnd);
		if (limited)
			c->cc->cong_avoid(c, acked_total, now);
	}
	c->cwnd_limited = false;

	/* RFC 9293 "fifth": window update when the segment is newer */
	if (seq_lt(c->snd_wl1, seg->seq) ||
	    (seq_eq(c->snd_wl1, seg->seq) && seq_le(c->snd_wl2, ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
	}
	if (advanced)
		tcp_rearm_rto(x, c, now);
}

/* ---- SYN-SENT (RFC 9293 §3.10.7.3) ---- */

static void
input_syn_sent(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
	       const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;
	bool ack = seg->flags & TCP_ACK;

	/* first: the ACK must acknowledge our SYN exactly */
	if (ack && (seq_le(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_nxt))) {
		if (!(seg->flags & TCP_RST)) {
			struct tcp_out_seg *o = tcp_act_seg(a);
			if (o) {
				o->seq = seg->ack;
				o->flags = TCP_RST;
				x->mib.out_rsts++;
				x->mib.out_segs++;
			}
		}
		return;
	}
	/* second: RST, acceptable only with an acceptable ACK (RFC 5961
	 * §3.2 for SYN-SENT) */
	if (seg->flags & TCP_RST) {
		if (ack) {
			x->mib.attempt_fails++;
			tcp_conn_reset(x, c, ECONNREFUSED, false, io, a);
		}
		return;
	}
	/* fourth: SYN */
	if (!(seg->flags & TCP_SYN))
		return;
	c->irs = seg->seq;
	c->rcv_nxt = seq_add(seg->seq, 1);
	tcp_apply_syn_opts(x, c, &seg->opts);
	if (c->ts_ok)
		c->ts_recent_ns = now;
	c->last_rcv_ns = now;
	if (ack) {
		c->snd_una = seg->ack;
		/* RFC 7323 §2.2: the window of a SYN is not scaled */
		c->snd_wnd = seg->wnd;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (c->ts_ok && (seg->opts.present & TCP_OPT_TS) && seg->opts.tsecr) {
			uint32_t d = tcp_ts_now(c, now) - seg->opts.tsecr;
			if (d < 60000)
				tcp_rtt_sample(x, c, (uint64_t)(d ? d : 1) * NS_PER_MS, now);
		} else if (c->syn_retx == 0) {
			tcp_rtt_sample(x, c, now - c->syn_sent_ns, now);
		}
		c->rcv_adv = c->rcv_nxt; /* our SYN's window counted from irs */
		tcp_select_window(c, true);
		tcp_established(x, c, a, now);
		c->ack_now = true;
		/* data on the SYN-ACK is delivered as in ESTABLISHED */
		uint32_t len = seg->len;
		uint32_t room = seq_gt(c->rcv_adv, c->rcv_nxt) ? seq_diff(c->rcv_adv, c->rcv_nxt) : 0;
		bool fin = seg->flags & TCP_FIN;
		if (len > room) {
			len = room;
			fin = false;
		}
		text_and_fin(x, c, seg, c->rcv_nxt, 0, len, fin, io, a);
		return;
	}
	/* simultaneous open: SYN-RECEIVED, SYN-ACK with our ISN (RFC 9293
	 * §3.5 figure 7); data on the SYN is not taken (Linux) */
	c->snd_wnd = seg->wnd;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->state = TCP_SYN_RECEIVED;
	c->snd_nxt = c->iss; /* the SYN-ACK re-sends our SYN */
	tcp_send_syn(x, c, io, a);
	tcp_set_deadline(c, TCP_T_RTX, now + tcp_rto_cur(x, c));
}

/* ---- synchronized states and SYN-RECEIVED (RFC 9293 §3.10.7.4) ---- */

static bool
seq_acceptable(const struct tcp_conn *c, struct seq s, uint32_t seglen, uint32_t wnd)
{
	struct seq nxt = c->rcv_nxt;
	struct seq end = seq_add(nxt, wnd);
	if (seglen == 0) {
		if (wnd == 0)
			return seq_eq(s, nxt);
		return seq_in(s, nxt, end);
	}
	if (wnd == 0)
		return false;
	return seq_in(s, nxt, end) || seq_in(seq_add(s, seglen - 1), nxt, end);
}

/* RFC 5961 §3.2 / RFC 9293 "second": an RST whose sequence number is
 * exactly RCV.NXT resets; one elsewhere in the window is answered with a
 * challenge ACK. */
static void
process_rst(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg, const struct tcp_io *io,
	    struct tcp_actions *a)
{
	if (!seq_eq(seg->seq, c->rcv_nxt)) {
		tcp_send_challenge_ack(x, c, io, a);
		return;
	}
	int err;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
		/* a passive child goes back to nothing (the listener
		 * stays); an active one was refused */
		err = c->listener ? 0 : ECONNREFUSED;
		x->mib.attempt_fails++;
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE; /* Linux's tcp_reset */
		break;
	case TCP_TIME_WAIT:
		err = 0;
		break;
	default:
		err = ECONNRESET;
		break;
	}
	tcp_conn_reset(x, c, err, false, io, a);
}

void
tcp_input_sync(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
	       const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;
	uint8_t fl = seg->flags;
	bool has_ts = seg->opts.present & TCP_OPT_TS;

	/* RFC 6191 §2: a SYN in TIME-WAIT opens a new incarnation when its
	 * timestamp is newer (or, without timestamps, its sequence number
	 * is beyond the old one's, RFC 1122 §4.2.2.13) */
	if (c->state == TCP_TIME_WAIT && (fl & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		bool ok = (c->ts_ok && has_ts) ? ts_lt(c->ts_recent, seg->opts.tsval)
					       : (!c->ts_ok && seq_gt(seg->seq, c->rcv_nxt));
		if (ok) {
			x->mib.tw_recycled++;
			a->tw_isn = seq_add(c->snd_nxt, 65535 + 2); /* Linux's choice */
			a->events |= TCP_EV_TW_REUSE;
			tcp_conn_done(x, c, a);
			return;
		}
	}

	/* simultaneous open (RFC 9293 §3.5 figure 8): in SYN-RECEIVED the
	 * peer's SYN-ACK repeats its SYN and acknowledges ours; take it as
	 * the ACK it is (Linux does the same in tcp_validate_incoming) */
	struct tcp_seg synack;
	if (c->state == TCP_SYN_RECEIVED && !c->listener &&
	    (fl & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) && seq_eq(seg->seq, c->irs) &&
	    seq_eq(seg->ack, c->snd_nxt)) {
		synack = *seg;
		synack.flags &= (uint8_t)~TCP_SYN;
		synack.seq = c->rcv_nxt;
		synack.len = 0;
		synack.flags &= (uint8_t)~TCP_FIN;
		seg = &synack;
		fl = seg->flags;
	}

	/* SYN-RECEIVED: the peer's SYN again (our SYN-ACK was lost) */
	if (c->state == TCP_SYN_RECEIVED && (fl & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    seq_eq(seg->seq, c->irs)) {
		if (!tcp_oow_rate_limited(x, c, now)) {
			struct seq save = c->snd_nxt;
			c->snd_nxt = c->iss;
			tcp_send_syn(x, c, io, a);
			c->snd_nxt = save;
		}
		return;
	}

	/* RFC 7323 §5.3 R1-R3: PAWS, before the sequence check */
	if (c->ts_ok && has_ts && !(fl & TCP_RST) && ts_lt(seg->opts.tsval, c->ts_recent)) {
		if (now - c->ts_recent_ns > TCP_PAWS_24DAYS) {
			/* §5.5: ts.recent is too old to judge by */
			c->ts_recent = seg->opts.tsval;
		} else {
			x->mib.paws_drops++;
			bool data = seg->len || (fl & (TCP_SYN | TCP_FIN));
			if (data || !tcp_oow_rate_limited(x, c, now))
				c->ack_now = true;
			return;
		}
	}

	uint32_t seglen = seg->len + !!(fl & TCP_SYN) + !!(fl & TCP_FIN);
	uint32_t rwnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? seq_diff(c->rcv_adv, c->rcv_nxt) : 0;

	/* RFC 5961 §4.2: a SYN in a synchronized state, in window or not,
	 * gets a challenge ACK (TIME-WAIT too, when not reused above) */
	if ((fl & TCP_SYN) && !(fl & TCP_RST)) {
		tcp_send_challenge_ack(x, c, io, a);
		return;
	}

	/* first: the sequence number */
	bool ok = seq_acceptable(c, seg->seq, seglen, rwnd);
	if (!ok && seq_eq(seg->seq, c->rcv_nxt) && rwnd == 0) {
		/* RFC 9293: with a zero window, a segment at RCV.NXT is
		 * still processed for its ACK, URG and RST (its text is
		 * trimmed away below) */
		ok = true;
	}
	if (!ok) {
		if (fl & TCP_RST) {
			x->mib.rst_ignored++;
			return;
		}
		/* a wholly old segment with data: report it (RFC 2883) */
		if (seg->len && seq_le(seq_add(seg->seq, seg->len), c->rcv_nxt) && c->sack_ok) {
			c->dsack_pending = true;
			c->dsack.start = seg->seq.v;
			c->dsack.end = seq_add(seg->seq, seg->len).v;
		}
		if (c->state == TCP_TIME_WAIT && (fl & TCP_FIN) &&
		    seq_eq(seq_add(seg->seq, seg->len + 1), c->rcv_nxt)) {
			/* the peer's FIN again: ACK it, restart 2 MSL */
			tcp_set_deadline(c, TCP_T_2MSL, now + x->p.time_wait_ns);
			c->ack_now = true;
			return;
		}
		/* RFC 9293: send an ACK (rate-limited unless the segment
		 * occupies sequence space: Linux's tcp_oow_rate_limited) */
		if (seglen || !tcp_oow_rate_limited(x, c, now))
			c->ack_now = true;
		else
			x->mib.challenge_acks_limited++;
		return;
	}
	c->last_rcv_ns = now;

	/* trim to the window: the text before RCV.NXT, then past its edge */
	struct seq s = seg->seq;
	uint32_t skip = 0;
	uint32_t len = seg->len;
	bool syn = fl & TCP_SYN;
	bool fin = fl & TCP_FIN;
	if (seq_lt(s, c->rcv_nxt)) {
		uint32_t d = seq_diff(c->rcv_nxt, s);
		if (syn) {
			syn = false;
			d--;
			s = seq_add(s, 1);
		}
		if (d >= len) {
			if (d > len)
				fin = false;
			skip = len;
			len = 0;
		} else {
			skip = d;
			len -= d;
		}
		s = seq_add(s, skip);
		if (!seq_eq(s, c->rcv_nxt) && len == 0)
			s = c->rcv_nxt;
	}
	struct seq wend = seq_add(c->rcv_nxt, rwnd);
	if (len && seq_gt(seq_add(s, len), wend)) {
		len = seq_gt(wend, s) ? seq_diff(wend, s) : 0;
		fin = false; /* it lies beyond the window too */
		c->ack_now = true; /* tell the peer where the window is */
	}

	/* second: RST */
	if (fl & TCP_RST) {
		process_rst(x, c, seg, io, a);
		return;
	}

	/* fifth: ACK */
	if (!(fl & TCP_ACK))
		return;
	if (c->state == TCP_SYN_RECEIVED) {
		if (!seq_gt(seg->ack, c->snd_una) || seq_gt(seg->ack, c->snd_nxt)) {
			/* RFC 9293: <SEQ=SEG.ACK><CTL=RST> */
			struct tcp_out_seg *o = tcp_act_seg(a);
			if (o) {
				o->seq = seg->ack;
				o->flags = TCP_RST;
				x->mib.out_rsts++;
				x->mib.out_segs++;
			}
			return;
		}
		struct tcp_listener *l = c->listener;
		if (l && l->accept_qlen > l->backlog) {
			/* Linux: the accept queue is full; drop the ACK and
			 * let the SYN-ACK timer try again */
			l->overflows++;
			x->mib.listen_overflows++;
			return;
		}
		if (c->ts_ok && has_ts && seg->opts.tsecr) {
			uint32_t d = tcp_ts_now(c, now) - seg->opts.tsecr;
			if (d < 60000)
				tcp_rtt_sample(x, c, (uint64_t)(d ? d : 1) * NS_PER_MS, now);
		} else if (c->syn_retx == 0) {
			tcp_rtt_sample(x, c, now - c->syn_sent_ns, now);
		}
		bool closing = c->fin_queued;
		c->snd_una = seg->ack;
		c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		tcp_established(x, c, a, now);
		if (closing)
			c->state = TCP_FIN_WAIT_1; /* close() while SYN-RECEIVED */
	} else {
		/* RFC 5961 §5.2: acceptable if SND.UNA - MAX.SND.WND <=
		 * SEG.ACK <= SND.NXT */
		if (seq_gt(seg->ack, c->snd_nxt)) {
			x->mib.ack_future++;
			if (!tcp_oow_rate_limited(x, c, now))
				c->ack_now = true;
			return;
		}
		if (seq_lt(seg->ack, seq_sub(c->snd_una, c->max_snd_wnd))) {
			x->mib.ack_old++;
			tcp_send_challenge_ack(x, c, io, a);
			return;
		}
	}
	/* RFC 7323 §4.3 / §5.3 R3: keep the newest timestamp of a segment
	 * at or before Last.ACK.sent */
	if (c->ts_ok && has_ts && seq_le(seg->seq, c->last_ack_sent) &&
	    !ts_lt(seg->opts.tsval, c->ts_recent)) {
		c->ts_recent = seg->opts.tsval;
		c->ts_recent_ns = now;
	}
	if (c->state != TCP_TIME_WAIT) {
		if (seq_ge(seg->ack, c->snd_una))
			process_ack(x, c, seg, io, a);
	}
	/* our FIN acknowledged? */
	bool fin_acked = c->fin_queued && seq_gt(c->snd_una, c->fin_seq);
	switch (c->state) {
	case TCP_FIN_WAIT_1:
		if (fin_acked)
			tcp_set_state(x, c, TCP_FIN_WAIT_2, a, now);
		break;
	case TCP_CLOSING:
		if (fin_acked) {
			tcp_enter_time_wait(x, c, a, now);
			return;
		}
		break;
	case TCP_LAST_ACK:
		if (fin_acked) {
			tcp_conn_done(x, c, a);
			return;
		}
		break;
	default:
		break;
	}

	/* sixth: URG, as Linux's tcp_check_urg (tcp_stdurg 0, RFC 6093 §4):
	 * the urgent byte is the one before the pointer (a zero pointer
	 * names the segment's first byte); a pointer to a byte already
	 * received, or not beyond the last one, is ignored. The data stays
	 * in line: what the application sees is the socket layer's. */
	if ((fl & TCP_URG) && (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
			       c->state == TCP_FIN_WAIT_2)) {
		struct seq ub = seq_add(seg->seq, seg->urp ? seg->urp - 1u : 0u);
		struct seq up = seq_add(ub, 1);
		/* an old mark whose byte came already cannot hide a new one,
		 * however far the stream went since */
		if (!seq_lt(ub, c->rcv_nxt) &&
		    (!c->rcv_up_valid || seq_le(c->rcv_up, c->rcv_nxt) || seq_gt(up, c->rcv_up))) {
			c->rcv_up = up;
			c->rcv_up_valid = true;
			a->urg_mark = up;
			a->events |= TCP_EV_URGENT;
		}
	}

	/* seventh and eighth */
	text_and_fin(x, c, seg, s, skip, len, fin, io, a);
}

void
tcp_input(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
	  const struct tcp_io *io, struct tcp_actions *a)
{
	tcp_io_enter(c, io, a);
	x->mib.in_segs++;
	c->segs_in++;
	switch (c->state) {
	case TCP_CLOSED:
	case TCP_LISTEN: {
		/* RFC 9293 §3.10.7.1: a segment for no connection */
		struct tcp_out_seg o;
		if (tcp_rst_reply(seg, &o)) {
			struct tcp_out_seg *p = tcp_act_seg(a);
			if (p) {
				*p = o;
				x->mib.out_rsts++;
				x->mib.out_segs++;
			}
		}
		a->deadline = TCP_NEVER;
		return;
	}
	case TCP_SYN_SENT:
		input_syn_sent(x, c, seg, io, a);
		break;
	default:
		tcp_input_sync(x, c, seg, io, a);
		break;
	}
	tcp_finish(x, c, io, a);
}
