/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RACK loss detection (RFC 8985 §6): a segment is lost when a segment
 * sent after it has been delivered and more than RTT + reo_wnd has
 * passed since it was sent. Time, not duplicate-ACK counting, decides, so
 * a lost retransmission is detected too and reordering within reo_wnd is
 * tolerated. The tail loss probe (§7) lives in tcp_output.c.
 */
#include "tcp_impl.h"

/* §6.2 step 2-3: a segment was delivered (cumulatively or SACKed) */
void
tcp_rack_update(struct tcp_conn *c, const struct tcp_txe *e, uint64_t now, const struct tcp_seg *seg)
{
	uint64_t rtt = now - e->xmit_ns;

	if (e->flags & TXE_EVER) {
		/* ambiguous: the ACK may be for the original (§6.2 step 2) */
		if (c->ts_ok && (seg->opts.present & TCP_OPT_TS) && ts_lt(seg->opts.tsecr, e->tsval))
			return;
		if (c->min_rtt && rtt < c->min_rtt)
			return;
	}
	c->rack_rtt = rtt;
	if (e->xmit_ns > c->rack_xmit_ns ||
	    (e->xmit_ns == c->rack_xmit_ns && seq_gt(e->end, c->rack_end))) {
		c->rack_xmit_ns = e->xmit_ns;
		c->rack_end = e->end;
	}
	/* §6.2 step 3: delivered below what was already delivered, never
	 * retransmitted: the network reordered */
	if (seq_lt(e->end, c->rack_fack)) {
		if (!(e->flags & TXE_EVER)) {
			if (!c->rack_reord)
				c->reordering++;
			c->rack_reord = true;
		}
	} else {
		c->rack_fack = e->end;
	}
}

/* §6.2 step 4 */
uint64_t
tcp_rack_reo_wnd(const struct tcp_conn *c)
{
	if (!c->rack_reord) {
		if (c->ca_state == TCP_CA_RECOVERY || c->ca_state == TCP_CA_LOSS)
			return 0;
		uint32_t mss = c->mss ? c->mss : 1;
		if (c->sacked_bytes / mss >= TCP_DUPTHRESH)
			return 0;
	}
	uint64_t w = (uint64_t)c->rack_reo_mult * c->min_rtt / 4;
	return c->rtt_valid && w > c->srtt ? c->srtt : w;
}

void
tcp_rack_on_ack(struct tcp_conn *c, bool exiting_recovery)
{
	if (c->rack_dsack_round_on && seq_ge(c->snd_una, c->rack_dsack_round))
		c->rack_dsack_round_on = false;
	if (!c->rack_dsack_round_on && c->dsack_seen) {
		/* a D-SACK: the window was too small (§6.2 step 4) */
		c->rack_dsack_round_on = true;
		c->rack_dsack_round = c->snd_nxt;
		c->rack_reo_mult++;
		c->rack_reo_persist = 16;
	} else if (exiting_recovery) {
		if (--c->rack_reo_persist <= 0)
			c->rack_reo_mult = 1;
	}
}

static inline bool
sent_after(uint64_t t1, struct seq s1, uint64_t t2, struct seq s2)
{
	return t1 > t2 || (t1 == t2 && seq_gt(s1, s2));
}

/* §6.2 step 5: marks losses, returns the time until the next segment's
 * reordering window runs out (0: none pending). */
uint64_t
tcp_rack_detect(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now)
{
	if (c->rack_xmit_ns == 0)
		return 0;
	uint64_t reo = tcp_rack_reo_wnd(c);
	uint64_t timeout = 0;

	for (uint16_t i = 0; i < c->ntx; i++) {
		struct tcp_txe *t = &c->tx[i];
		if (t->flags & TXE_SACKED)
			continue;
		/* already lost and waiting for its retransmission */
		if ((t->flags & TXE_LOST) && !(t->flags & TXE_RETRANS))
			continue;
		if (!sent_after(c->rack_xmit_ns, c->rack_end, t->xmit_ns, t->end))
			continue;
		uint64_t deadline = t->xmit_ns + c->rack_rtt + reo;
		if (deadline <= now) {
			t->flags |= TXE_LOST;
			t->flags &= (uint8_t)~TXE_RETRANS;
			x->mib.rack_losses++;
		} else if (deadline - now > timeout) {
			timeout = deadline - now;
		}
	}
	return timeout;
}
