/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transmit scoreboard: what was sent in [snd_una, snd_nxt), when, and
 * what the receiver said about it (RFC 2018 SACK, RFC 6675 §3 scoreboard,
 * RFC 8985 per-segment transmission times).
 *
 * Entries are contiguous ranges in sequence order, each covering one or
 * more segments sent together (a burst shares one entry, like Linux's TSO
 * super-segments). A SACK boundary inside an entry splits it; a hostile
 * receiver sending blocks that would fragment the scoreboard can split it
 * into at most TCP_TXQ_MAX entries: after that, entries with equal state
 * are merged back, and if none can be, the partial information is ignored
 * (counted sack_blocks_ignored). Ignoring SACK information is always safe:
 * it only makes the sender retransmit more than needed. So every ACK costs
 * O(TCP_TXQ_MAX * blocks) at most, whatever the peer sends.
 */
#include "tcp_impl.h"

#define TXE_MERGE_MASK (TXE_SACKED | TXE_LOST | TXE_RETRANS | TXE_WAS_SACKED)

void
tcp_txq_reset(struct tcp_conn *c)
{
	c->ntx = 0;
	c->sacked_bytes = c->lost_bytes = c->retrans_bytes = 0;
}

bool
tcp_txq_room(const struct tcp_conn *c, uint64_t now)
{
	if (c->ntx < TCP_TXQ_MAX)
		return true;
	const struct tcp_txe *t = &c->tx[c->ntx - 1];
	return (t->flags & (TXE_MERGE_MASK | TXE_FIN | TXE_EVER)) == 0;
}

void
tcp_txq_sent(struct tcp_conn *c, struct seq start, struct seq end, uint64_t now, uint32_t tsval, bool fin)
{
	if (c->ntx > 0) {
		struct tcp_txe *t = &c->tx[c->ntx - 1];
		/* one burst, one entry; when full, any clean tail takes
		 * more (its time moves forward: later is the safe side for
		 * RACK, which only compares it with earlier entries) */
		if (seq_eq(t->end, start) && (t->flags & (TXE_MERGE_MASK | TXE_FIN | TXE_EVER)) == 0 &&
		    (t->xmit_ns == now || c->ntx == TCP_TXQ_MAX)) {
			t->end = end;
			t->xmit_ns = now;
			t->tsval = tsval;
			if (fin)
				t->flags |= TXE_FIN;
			return;
		}
	}
	if (c->ntx >= TCP_TXQ_MAX)
		return; /* callers check tcp_txq_room() first */
	c->tx[c->ntx++] = (struct tcp_txe){ .start = start, .end = end, .xmit_ns = now, .tsval = tsval,
					    .flags = fin ? TXE_FIN : 0 };
}

int
tcp_txq_split(struct tcp_conn *c, uint16_t i, struct seq at)
{
	struct tcp_txe *t = &c->tx[i];

	if (!seq_gt(at, t->start) || !seq_lt(at, t->end))
		return 0;
	if (c->ntx >= TCP_TXQ_MAX)
		return -ENOSPC;
	memmove(&c->tx[i + 1], &c->tx[i], (size_t)(c->ntx - i) * sizeof(c->tx[0]));
	c->ntx++;
	c->tx[i].end = at;
	c->tx[i].flags &= (uint8_t)~TXE_FIN;
	c->tx[i + 1].start = at;
	return 0;
}

/* Merges neighbours in the same state; EVER (Karn) is kept if either had it. */
void
tcp_txq_compact(struct tcp_conn *c)
{
	if (c->ntx < 2)
		return;
	uint16_t w = 0;
	for (uint16_t r = 1; r < c->ntx; r++) {
		struct tcp_txe *p = &c->tx[w];
		struct tcp_txe *q = &c->tx[r];
		if ((p->flags & (TXE_MERGE_MASK | TXE_FIN)) == (q->flags & TXE_MERGE_MASK) &&
		    !(p->flags & TXE_FIN)) {
			p->end = q->end;
			p->flags |= q->flags & (TXE_EVER | TXE_FIN);
			if (q->xmit_ns > p->xmit_ns) {
				p->xmit_ns = q->xmit_ns;
				p->tsval = q->tsval;
			}
		} else {
			c->tx[++w] = *q;
		}
	}
	c->ntx = (uint16_t)(w + 1);
}

void
tcp_txq_recount(struct tcp_conn *c)
{
	uint32_t sacked = 0, lost = 0, retrans = 0;
	for (uint16_t i = 0; i < c->ntx; i++) {
		const struct tcp_txe *t = &c->tx[i];
		uint32_t len = seq_diff(t->end, t->start);
		if (t->flags & TXE_SACKED)
			sacked += len;
		else if (t->flags & TXE_LOST) {
			lost += len;
			if (t->flags & TXE_RETRANS)
				retrans += len;
		}
	}
	c->sacked_bytes = sacked;
	c->lost_bytes = lost;
	c->retrans_bytes = retrans;
}

uint32_t
tcp_pipe(const struct tcp_conn *c)
{
	uint32_t out = seq_diff(c->snd_nxt, c->snd_una);
	uint32_t sacked = c->sacked_bytes;
	if (!c->sack_ok) {
		/* RFC 6582 window inflation, counted Linux's way: each
		 * duplicate ACK is a segment that left the network */
		uint64_t d = (uint64_t)c->dupacks * c->mss;
		sacked = d > out ? out : (uint32_t)d;
	}
	uint64_t gone = (uint64_t)sacked + c->lost_bytes;
	if (gone > out)
		gone = out;
	return (uint32_t)(out - gone) + c->retrans_bytes;
}

void
tcp_txq_mark_retrans(struct tcp_conn *c, uint16_t i, uint64_t now, uint32_t tsval)
{
	struct tcp_txe *t = &c->tx[i];
	t->flags |= TXE_RETRANS | TXE_EVER;
	t->xmit_ns = now;
	t->tsval = tsval;
}

/* F-RTO: t, never retransmitted, has just been acked or SACKed */
static inline void
orig_check(const struct tcp_conn *c, const struct tcp_txe *t, struct tcp_ack_info *ai)
{
	if (!(t->flags & (TXE_EVER | TXE_WAS_SACKED)) && seq_le(t->end, c->recover))
		ai->orig_acked = true;
}

void
tcp_txq_ack(struct tcp_ctx *x, struct tcp_conn *c, struct seq ack, uint64_t now,
	    const struct tcp_seg *seg, struct tcp_ack_info *ai)
{
	uint16_t n = 0;

	while (n < c->ntx && seq_le(c->tx[n].end, ack)) {
		struct tcp_txe *t = &c->tx[n];
		if (!(t->flags & TXE_SACKED)) {
			if (x->p.rack)
				tcp_rack_update(c, t, now, seg);
			if (t->flags & TXE_EVER)
				ai->ever_retrans = true;
			else {
				ai->rtt_valid = true;
				ai->rtt_xmit_ns = t->xmit_ns;
				orig_check(c, t, ai);
			}
		}
		if (t->flags & TXE_FIN)
			ai->fin_acked = true;
		n++;
	}
	if (n) {
		memmove(&c->tx[0], &c->tx[n], (size_t)(c->ntx - n) * sizeof(c->tx[0]));
		c->ntx = (uint16_t)(c->ntx - n);
	}
	if (c->ntx > 0 && seq_gt(ack, c->tx[0].start)) {
		/* part of the head arrived */
		struct tcp_txe *t = &c->tx[0];
		if (!(t->flags & TXE_SACKED)) {
			if (x->p.rack)
				tcp_rack_update(c, t, now, seg);
			if (t->flags & TXE_EVER)
				ai->ever_retrans = true;
			else {
				ai->rtt_valid = true;
				ai->rtt_xmit_ns = t->xmit_ns;
				orig_check(c, t, ai);
			}
		}
		t->start = ack;
	}
}

/*
 * RFC 2883 §4: the first block reports a duplicate when it lies below the
 * cumulative ACK, or inside the second block.
 */
static bool
is_dsack(const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opts;
	struct seq s = seq_make(o->sack[0].start), e = seq_make(o->sack[0].end);

	if (seq_le(e, seg->ack) && seq_lt(s, e))
		return true;
	if (o->nsack >= 2) {
		struct seq s2 = seq_make(o->sack[1].start), e2 = seq_make(o->sack[1].end);
		if (seq_ge(s, s2) && seq_le(e, e2) && seq_lt(s, e))
			return true;
	}
	return false;
}

/* Marks [s, e) SACKed, splitting entries at the edges when room allows;
 * without room, the part of an entry outside [s, e) keeps it unmarked
 * (information ignored, never wrong). */
static void
sack_range(struct tcp_ctx *x, struct tcp_conn *c, struct seq s, struct seq e, uint64_t now,
	   const struct tcp_seg *seg, struct tcp_ack_info *ai)
{
	for (uint16_t i = 0; i < c->ntx; i++) {
		struct tcp_txe *t = &c->tx[i];
		if (seq_le(t->end, s))
			continue;
		if (seq_ge(t->start, e))
			break;
		if (t->flags & TXE_SACKED)
			continue;
		if (seq_lt(t->start, s)) {
			/* keep the head apart; look at the rest next */
			if (tcp_txq_split(c, i, s) != 0) {
				x->mib.sack_blocks_ignored++;
				continue;
			}
			continue;
		}
		if (seq_gt(t->end, e) && tcp_txq_split(c, i, e) != 0) {
			x->mib.sack_blocks_ignored++;
			continue;
		}
		t = &c->tx[i];
		uint32_t len = seq_diff(t->end, t->start);
		t->flags |= TXE_SACKED;
		t->flags &= (uint8_t)~(TXE_LOST | TXE_RETRANS);
		ai->newly_sacked += len;
		orig_check(c, t, ai);
		if (x->p.rack)
			tcp_rack_update(c, t, now, seg);
		if (seq_gt(t->end, c->high_sacked))
			c->high_sacked = t->end;
	}
}

void
tcp_txq_sack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now,
	     struct tcp_ack_info *ai)
{
	const struct tcp_opts *o = &seg->opts;
	unsigned first = 0;

	if (!(o->present & TCP_OPT_SACK) || o->nsack == 0)
		return;
	if (is_dsack(seg)) {
		c->dsack_seen = true;
		x->mib.dsack_recv++;
		first = 1;
		tcp_undo_dsack(x, c, seq_make(o->sack[0].start), seq_make(o->sack[0].end));
	}
	for (unsigned k = first; k < o->nsack && k < TCP_MAX_SACK; k++) {
		struct seq s = seq_make(o->sack[k].start), e = seq_make(o->sack[k].end);
		/* RFC 2018 §3 edges; anything outside what is outstanding
		 * is ignored (a lie or a stale block) */
		if (!seq_lt(s, e) || seq_lt(s, seg->ack) || seq_lt(s, c->snd_una) || seq_gt(e, c->snd_nxt)) {
			x->mib.sack_blocks_ignored++;
			continue;
		}
		/* room for the two splits a block may need: merge entries
		 * in the same state first (never inside sack_range, where
		 * it would undo the splits just made) */
		if (c->ntx > TCP_TXQ_MAX - 2)
			tcp_txq_compact(c);
		sack_range(x, c, s, e, now, seg, ai);
	}
}

/*
 * RFC 6675 §4 IsLost(): a segment is lost when DupThresh discontiguous
 * SACKed segments, or more than (DupThresh - 1) * SMSS SACKed bytes, lie
 * above it. Walked from the top, counting SACKed bytes and segments.
 */
void
tcp_txq_mark_lost_rfc6675(struct tcp_conn *c)
{
	uint64_t above = 0;
	uint32_t segs = 0;
	uint32_t mss = c->mss ? c->mss : 1;

	for (int i = c->ntx - 1; i >= 0; i--) {
		struct tcp_txe *t = &c->tx[i];
		uint32_t len = seq_diff(t->end, t->start);
		if (t->flags & TXE_SACKED) {
			above += len;
			segs += (len + mss - 1) / mss;
			continue;
		}
		if (t->flags & TXE_LOST)
			continue;
		if (segs >= TCP_DUPTHRESH || above > (uint64_t)(TCP_DUPTHRESH - 1) * mss)
			t->flags |= TXE_LOST;
	}
}

/* RFC 6582 / RFC 5681 §3.2: without SACK, the first unacknowledged segment
 * is the one to retransmit. */
void
tcp_txq_mark_head_lost(struct tcp_conn *c)
{
	if (c->ntx == 0)
		return;
	struct tcp_txe *t = &c->tx[0];
	if (t->flags & (TXE_LOST | TXE_SACKED))
		return;
	struct seq at = seq_add(t->start, c->mss);
	if (seq_lt(at, t->end) && tcp_txq_split(c, 0, at) != 0) {
		tcp_txq_compact(c);
		(void)tcp_txq_split(c, 0, at);
	}
	c->tx[0].flags |= TXE_LOST;
}

/*
 * RTO (RFC 6675 §5.1): the scoreboard's SACK information is discarded
 * (the receiver may have reneged) and everything outstanding is to be
 * retransmitted, in order.
 */
void
tcp_txq_mark_all_lost(struct tcp_conn *c)
{
	for (uint16_t i = 0; i < c->ntx; i++) {
		if (c->tx[i].flags & TXE_SACKED)
			c->tx[i].flags |= TXE_WAS_SACKED;
		c->tx[i].flags &= (uint8_t)~(TXE_SACKED | TXE_RETRANS);
		c->tx[i].flags |= TXE_LOST;
	}
	tcp_txq_compact(c);
	c->high_sacked = c->snd_una;
}

/* ---- D-SACK undo (RFC 3708 §3, as Linux's undo_marker/undo_retrans) ---- */

void
tcp_undo_begin(struct tcp_conn *c)
{
	c->prior_cwnd = c->cwnd;
	/* Linux's tcp_current_ssthresh: what a window not being reduced
	 * would grow back to */
	uint32_t q = c->cwnd / 2 + c->cwnd / 4;
	c->prior_ssthresh = c->ca_state >= TCP_CA_RECOVERY ? c->ssthresh
							 : (c->ssthresh > q ? c->ssthresh : q);
	c->undo_marker = c->snd_una;
	c->undo_retrans = UINT32_MAX;
	c->undo_on = true;
	c->undo_ts = false;
}

/* the window before the episode, as tcp_undo_try restores it */
static void
undo_window(struct tcp_conn *c)
{
	if (c->cwnd < c->prior_cwnd)
		c->cwnd = c->prior_cwnd;
	if (c->ssthresh < c->prior_ssthresh)
		c->ssthresh = c->prior_ssthresh;
	c->bytes_acked_ca = 0;
	c->undo_on = false;
}

/* A spurious episode ends (Linux's tcp_undo_cwnd_reduction(sk, true)):
 * the window before it, and nothing lost any more, so nothing more is
 * retransmitted for it; what is still missing is found again by SACK,
 * RACK or the timer. */
static void
undo_spurious(struct tcp_conn *c)
{
	undo_window(c);
	for (uint16_t i = 0; i < c->ntx; i++)
		c->tx[i].flags &= (uint8_t)~TXE_LOST;
	tcp_txq_recount(c);
	c->ca_state = c->sacked_bytes ? TCP_CA_DISORDER : TCP_CA_OPEN;
	c->force_retx = false;
	c->frto = c->frto_new = false;
}

bool
tcp_undo_eifel(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!c->undo_on || !c->undo_ts || !c->ts_ok || !(seg->opts.present & TCP_OPT_TS) ||
	    seg->opts.tsecr == 0 ||
	    (c->ca_state != TCP_CA_RECOVERY && c->ca_state != TCP_CA_LOSS) ||
	    /* ms ticks: an original sent in the same tick as the
	     * retransmission cannot be told apart, and is not undone */
	    (int32_t)(seg->opts.tsecr - c->undo_tsval) >= 0)
		return false;
	undo_spurious(c);
	x->mib.eifel_undo++;
	return true;
}

bool
tcp_frto_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
	     const struct tcp_ack_info *ai, bool advanced, bool dupack)
{
	(void)seg;
	if (!c->frto || c->ca_state != TCP_CA_LOSS)
		return false;
	/* step 3.b: data sent before the timeout, never retransmitted,
	 * arrived: not everything was lost, the timeout was spurious */
	if (ai->orig_acked && c->undo_on) {
		undo_spurious(c);
		x->mib.frto_undo++;
		return true;
	}
	if (seq_gt(c->snd_nxt, c->recover)) {
		/* step 3.a: new data went out after the timeout (step 2.b) and
		 * the receiver still misses the old: the loss was real, the
		 * conventional recovery goes on */
		if (ai->newly_sacked || dupack)
			c->frto = false;
	} else if (advanced && seq_lt(c->snd_una, c->recover)) {
		/* step 2.b: the retransmission (or its original) arrived:
		 * send new data, not more retransmissions, if there is any
		 * and the peer's window takes it; otherwise step 2.a, the
		 * conventional recovery */
		struct seq wnd_end = seq_add(c->snd_una, c->snd_wnd);
		if (seq_gt(tcp_data_end(c), c->snd_nxt) && seq_gt(wnd_end, c->snd_nxt))
			c->frto_new = true;
		else
			c->frto = false;
	}
	return false;
}

bool
tcp_undo_try(struct tcp_ctx *x, struct tcp_conn *c)
{
	if (!c->undo_on || c->undo_retrans != 0 || !seq_gt(c->recover, c->undo_marker))
		return false;
	undo_window(c);
	x->mib.dsack_undo++;
	return true;
}

void
tcp_undo_dsack(struct tcp_ctx *x, struct tcp_conn *c, struct seq s, struct seq e)
{
	/* only duplicates of this episode's data count, and only while it
	 * retransmitted something not yet reported twice */
	if (!c->undo_on || c->undo_retrans == 0 || c->undo_retrans == UINT32_MAX || !seq_lt(s, e) ||
	    seq_lt(s, c->undo_marker) || seq_gt(e, c->recover) ||
	    /* a duplicate of data never retransmitted (the network copied
	     * it) proves nothing about the retransmissions */
	    !seq_gt(e, c->undo_lo) || !seq_lt(s, c->undo_hi))
		return;
	uint32_t n = seq_diff(e, s);
	c->undo_retrans = n >= c->undo_retrans ? 0 : c->undo_retrans - n;
	/* during recovery the undo waits for its end (tcp_input), where the
	 * window would otherwise be set to ssthresh */
	if (c->ca_state <= TCP_CA_DISORDER)
		tcp_undo_try(x, c);
}
