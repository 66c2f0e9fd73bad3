/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timers: RTT estimation and the retransmission timeout (RFC 6298), the
 * retransmission timer with exponential backoff and Linux's time budget
 * (tcp_retries2, tcp_syn_retries), tail loss probes and the RACK reordering
 * timer (RFC 8985), zero window probes (RFC 9293 §3.8.6.1), delayed ACKs
 * (RFC 1122 §4.2.3.2, RFC 5681 §4.2), keepalive (RFC 1122 §4.2.3.6),
 * TCP_USER_TIMEOUT (RFC 5482), the TCP_CORK ceiling, FIN-WAIT-2 and
 * TIME-WAIT (RFC 9293 §3.4.2: 2 MSL).
 *
 * A connection keeps one absolute deadline per kind; the caller arms its
 * wheel at the earliest (tcp_actions.deadline) and calls tcp_timer() when
 * it passes. Every handler checks its own deadline against now, so an
 * early or spurious call does nothing.
 */
#include "tcp_impl.h"

uint64_t
tcp_rto_cur(const struct tcp_ctx *x, const struct tcp_conn *c)
{
	uint64_t r = c->rto;
	for (unsigned i = 0; i < c->backoff && r < x->p.rto_max_ns; i++)
		r <<= 1;
	return min64(r, x->p.rto_max_ns);
}

/*
 * RFC 6298 §2.2-2.3 with alpha 1/8, beta 1/4, K 4, G 1 ms; RTO bounded by
 * rto_min (Linux's 200 ms where the RFC suggests 1 s, §2.4) and rto_max.
 */
void
tcp_rtt_sample(struct tcp_ctx *x, struct tcp_conn *c, uint64_t rtt, uint64_t now)
{
	if (rtt == 0)
		rtt = 1;
	/* windowed minimum for RACK (RFC 8985 §6.2 RACK.min_RTT): 10 s */
	if (c->min_rtt == 0 || rtt <= c->min_rtt || now - c->min_rtt_stamp > 10 * NS_PER_S) {
		c->min_rtt = rtt;
		c->min_rtt_stamp = now;
	}
	if (!c->rtt_valid) {
		c->srtt = rtt;
		c->rttvar = rtt / 2;
		c->rtt_valid = true;
	} else {
		uint64_t delta = c->srtt > rtt ? c->srtt - rtt : rtt - c->srtt;
		c->rttvar = (3 * c->rttvar + delta) / 4;
		c->srtt = (7 * c->srtt + rtt) / 8;
	}
	uint64_t rto = c->srtt + max64(NS_PER_MS, 4 * c->rttvar);
	if (rto < x->p.rto_min_ns)
		rto = x->p.rto_min_ns;
	if (rto > x->p.rto_max_ns)
		rto = x->p.rto_max_ns;
	c->rto = rto;
}

/* RFC 6298 §5.3: restart on an ACK of new data; §5.2: off when all is acked. */
void
tcp_rearm_rto(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (seq_gt(c->snd_nxt, c->snd_una))
		tcp_set_deadline(c, TCP_T_RTX, now + tcp_rto_cur(x, c));
	else
		tcp_clear_deadline(c, TCP_T_RTX);
}

/*
 * Linux's tcp_model_timeout: the time `boundary` retransmissions take when
 * the timeout starts at rto_base and doubles up to rto_max. tcp_retries2 =
 * 15 from 200 ms gives 924.6 s; tcp_syn_retries = 6 from 1 s gives 127 s.
 */
uint64_t
tcp_model_timeout(const struct tcp_ctx *x, uint32_t boundary, uint64_t rto_base)
{
	uint32_t thresh = 0;
	while (thresh < 63 && (rto_base << (thresh + 1)) <= x->p.rto_max_ns)
		thresh++;
	if (boundary <= thresh)
		return ((2ull << boundary) - 1) * rto_base;
	return ((2ull << thresh) - 1) * rto_base + (uint64_t)(boundary - thresh) * x->p.rto_max_ns;
}

void
tcp_keepalive_reset(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (!c->so.keepalive || !tcp_synchronized(c->state) || c->state == TCP_TIME_WAIT) {
		tcp_clear_deadline(c, TCP_T_KEEPALIVE);
		return;
	}
	uint64_t idle = c->so.keepidle_s ? c->so.keepidle_s * NS_PER_S : x->p.keepalive_time_ns;
	tcp_set_deadline(c, TCP_T_KEEPALIVE, c->last_rcv_ns + idle);
}

void
tcp_schedule_delack(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (c->deadline[TCP_T_DELACK] != TCP_NEVER)
		return;
	uint64_t ato = c->ato ? c->ato : x->p.delack_min_ns;
	if (ato > x->p.delack_max_ns)
		ato = x->p.delack_max_ns;
	tcp_set_deadline(c, TCP_T_DELACK, now + ato);
}

/* The error a timeout reports: an ICMP soft error seen before, else
 * ETIMEDOUT (Linux's tcp_write_err). */
static int
timeout_err(const struct tcp_conn *c)
{
	return c->soft_err ? c->soft_err : ETIMEDOUT;
}

static void
rto_fire(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		uint32_t limit = c->state == TCP_SYN_SENT ? x->p.syn_retries : x->p.synack_retries;
		bool user = c->so.user_timeout_ms &&
			    now - c->syn_sent_ns >= c->so.user_timeout_ms * NS_PER_MS;
		if (c->syn_retx >= limit || user) {
			x->mib.attempt_fails++;
			/* a passive child just vanishes (Linux drops the
			 * request); a connect() fails */
			bool passive = c->listener != NULL;
			tcp_conn_reset(x, c, passive ? 0 : timeout_err(c), false, io, a);
			return;
		}
		c->syn_retx++;
		c->backoff++;
		tcp_send_syn(x, c, io, a);
		tcp_set_deadline(c, TCP_T_RTX, now + tcp_rto_cur(x, c));
		return;
	}
	if (!tcp_can_send(c->state) || !seq_gt(c->snd_nxt, c->snd_una))
		return;
	/* Linux's tcp_write_timeout for an orphan: out of resources? */
	if (tcp_orphan_oom(x, c, io, a))
		return;

	/* give up? TCP_USER_TIMEOUT replaces the retries budget (Linux) */
	if (c->rtx_start_ns == 0)
		c->rtx_start_ns = c->ntx ? c->tx[0].xmit_ns : now;
	uint64_t spent = now - c->rtx_start_ns;
	uint64_t budget = c->so.user_timeout_ms ? c->so.user_timeout_ms * NS_PER_MS
						: tcp_model_timeout(x, x->p.retries2, x->p.rto_min_ns);
	if (spent >= budget) {
		x->mib.abort_on_timeout++;
		tcp_conn_reset(x, c, timeout_err(c), true, io, a);
		return;
	}
	x->mib.timeouts++;
	/* RFC 5681 §3.1 eq. 4 and RFC 6675 §5.1: ssthresh once per loss
	 * episode, cwnd to the loss window, everything outstanding lost */
	/* a new episode to undo, unless this RTO continues one (Linux's
	 * tcp_enter_loss: recovery still under way, or backed off) */
	if (c->ca_state <= TCP_CA_DISORDER || !seq_gt(c->recover, c->snd_una) ||
	    (c->ca_state == TCP_CA_LOSS && c->backoff == 0))
		tcp_undo_begin(c);
	/* F-RTO on a timeout outside a recovery, with SACK (RFC 5682 §3.1;
	 * a repeated timeout of the same episode is not checked again) */
	c->frto = x->p.frto && c->sack_ok && c->ca_state <= TCP_CA_DISORDER;
	c->frto_new = false;
	if (c->ca_state != TCP_CA_LOSS || c->backoff == 0) {
		c->ssthresh = c->cc->ssthresh(c, now);
		if (c->cc->on_rto)
			c->cc->on_rto(c, now);
	}
	c->cwnd = c->mss;
	c->bytes_acked_ca = 0;
	c->ca_state = TCP_CA_LOSS;
	c->recover = c->snd_nxt;
	c->dupacks = 0;
	c->tlp_out = false;
	tcp_txq_mark_all_lost(c);
	tcp_txq_recount(c);
	c->backoff++;
	c->force_retx = true;
	tcp_clear_deadline(c, TCP_T_PTO);
	tcp_clear_deadline(c, TCP_T_REO);
	/* RFC 6298 §5.5-5.6: retransmit the earliest, back off; never past
	 * TCP_USER_TIMEOUT (Linux's tcp_clamp_rto_to_user_timeout) */
	uint64_t d = tcp_rto_cur(x, c);
	if (c->so.user_timeout_ms) {
		uint64_t end = c->rtx_start_ns + c->so.user_timeout_ms * NS_PER_MS;
		if (end > now && end - now < d)
			d = end - now;
	}
	tcp_set_deadline(c, TCP_T_RTX, now + d);
}

static void
persist_fire(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	if (!tcp_can_send(c->state) || seq_gt(c->snd_nxt, c->snd_una))
		return;
	/* Linux's tcp_probe_timer: an orphan out of resources goes */
	if (tcp_orphan_oom(x, c, io, a))
		return;
	if (c->so.user_timeout_ms && c->persist_start_ns &&
	    now - c->persist_start_ns >= c->so.user_timeout_ms * NS_PER_MS) {
		x->mib.abort_on_timeout++;
		tcp_conn_reset(x, c, timeout_err(c), true, io, a);
		return;
	}
	/* Linux's tcp_probe_timer: give up after tcp_retries2 probes
	 * without any answer (an ACK resets the count) */
	if (c->probes_out >= x->p.retries2) {
		x->mib.abort_on_timeout++;
		tcp_conn_reset(x, c, timeout_err(c), true, io, a);
		return;
	}
	struct seq wnd_end = seq_add(c->snd_una, c->snd_wnd);
	uint16_t before = a->nsegs;
	if (seq_gt(wnd_end, c->snd_nxt)) {
		/* the window opened a little: send what it takes, sender
		 * SWS avoidance notwithstanding (Linux's tcp_write_wakeup) */
		c->wnd_force = true;
		tcp_xmit(x, c, io, a);
		c->wnd_force = false;
	}
	if (a->nsegs == before)
		tcp_send_probe(x, c, io, a);
	c->probes_out++;
	if (c->persist_backoff < 255)
		c->persist_backoff++;
	/* Linux's tcp_probe0_when: the RTO doubled per probe while the window
	 * stays shut (answered or not), up to rto_max; TCP_USER_TIMEOUT
	 * clamps it (tcp_clamp_probe0_to_user_timeout) */
	uint64_t d = min64(tcp_rto_cur(x, c) << min32(c->persist_backoff, 20), x->p.rto_max_ns);
	if (c->so.user_timeout_ms && c->persist_start_ns) {
		uint64_t end = c->persist_start_ns + c->so.user_timeout_ms * NS_PER_MS;
		if (end > now && end - now < d)
			d = end - now;
	}
	if (!seq_gt(c->snd_nxt, c->snd_una))
		tcp_set_deadline(c, TCP_T_PERSIST, now + d);
}

static void
keepalive_fire(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	if (!c->so.keepalive || !tcp_synchronized(c->state) || c->state == TCP_TIME_WAIT)
		return;
	uint64_t idle_t = c->so.keepidle_s ? c->so.keepidle_s * NS_PER_S : x->p.keepalive_time_ns;
	uint64_t intvl = c->so.keepintvl_s ? c->so.keepintvl_s * NS_PER_S : x->p.keepalive_intvl_ns;
	uint32_t cnt = c->so.keepcnt ? c->so.keepcnt : x->p.keepalive_probes;
	/* Linux probes only an idle connection: nothing in flight, nothing
	 * queued; otherwise the retransmission timer watches it */
	if (seq_gt(c->snd_nxt, c->snd_una) || seq_gt(tcp_data_end(c), c->snd_nxt)) {
		tcp_set_deadline(c, TCP_T_KEEPALIVE, now + idle_t);
		return;
	}
	uint64_t idle = now - c->last_rcv_ns;
	if (idle < idle_t) {
		tcp_set_deadline(c, TCP_T_KEEPALIVE, c->last_rcv_ns + idle_t);
		return;
	}
	/* Linux's tcp_keepalive_timer: with TCP_USER_TIMEOUT the idle time
	 * decides, else the probe count */
	bool dead = c->so.user_timeout_ms
			    ? (idle >= c->so.user_timeout_ms * NS_PER_MS && c->probes_out > 0)
			    : c->probes_out >= cnt;
	if (dead) {
		x->mib.abort_on_timeout++;
		tcp_conn_reset(x, c, timeout_err(c), true, io, a);
		return;
	}
	tcp_send_probe(x, c, io, a);
	c->probes_out++;
	tcp_set_deadline(c, TCP_T_KEEPALIVE, now + intvl);
}

void
tcp_timer(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	uint64_t now = io->now_ns;

	tcp_io_enter(c, io, a);
	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN) {
		a->deadline = TCP_NEVER;
		return;
	}
	if (c->deadline[TCP_T_2MSL] <= now) {
		tcp_clear_deadline(c, TCP_T_2MSL);
		if (c->state == TCP_TIME_WAIT || c->state == TCP_FIN_WAIT_2) {
			/* RFC 9293 §3.10.8: 2 MSL over; FIN-WAIT-2 of a
			 * closed socket times out silently (Linux) */
			tcp_conn_done(x, c, a);
			return;
		}
	}
	/* a probe due with the RTO goes first: it re-arms the RTO (Linux
	 * runs one timer for both) */
	if (c->deadline[TCP_T_PTO] <= now) {
		tcp_clear_deadline(c, TCP_T_PTO);
		if (tcp_can_send(c->state) && c->ca_state == TCP_CA_OPEN)
			tcp_tlp_fire(x, c, io, a);
	}
	if (c->deadline[TCP_T_RTX] <= now) {
		tcp_clear_deadline(c, TCP_T_RTX);
		rto_fire(x, c, io, a);
		if (c->state == TCP_CLOSED)
			return;
	}
	if (c->deadline[TCP_T_REO] <= now) {
		tcp_clear_deadline(c, TCP_T_REO);
		if (tcp_can_send(c->state)) {
			/* RFC 8985 §6.3: the reordering window passed */
			uint64_t d = tcp_rack_detect(x, c, now);
			if (d)
				tcp_set_deadline(c, TCP_T_REO, now + d);
			tcp_txq_recount(c);
			tcp_process_ack_loss(x, c, now);
		}
	}
	if (c->deadline[TCP_T_PERSIST] <= now) {
		tcp_clear_deadline(c, TCP_T_PERSIST);
		persist_fire(x, c, io, a);
		if (c->state == TCP_CLOSED)
			return;
	}
	if (c->deadline[TCP_T_KEEPALIVE] <= now) {
		tcp_clear_deadline(c, TCP_T_KEEPALIVE);
		keepalive_fire(x, c, io, a);
		if (c->state == TCP_CLOSED)
			return;
	}
	if (c->deadline[TCP_T_DELACK] <= now) {
		tcp_clear_deadline(c, TCP_T_DELACK);
		if (c->ack_pending) {
			c->ack_now = true;
			/* Linux inflates ato when the timer fires: the peer is
			 * slower than assumed (tcp_delack_timer_handler) */
			c->ato = min64(c->ato << 1, x->p.delack_max_ns);
		}
	}
	if (c->deadline[TCP_T_CORK] <= now) {
		tcp_clear_deadline(c, TCP_T_CORK);
		c->cork_force = true;
	}
	tcp_finish(x, c, io, a);
	c->cork_force = false;
}
