/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reno congestion control (RFC 5681 §3.1): slow start with appropriate
 * byte counting (RFC 3465, L = 2 SMSS), congestion avoidance adding one
 * SMSS per cwnd of bytes acknowledged, ssthresh = max(FlightSize / 2,
 * 2 SMSS) on loss (eq. 4). The NewReno loss recovery of RFC 6582 is the
 * engine's (tcp_input.c); this table is only the window arithmetic.
 */
#include "tcp_impl.h"

static void
reno_init(struct tcp_conn *c, uint64_t now)
{
	c->bytes_acked_ca = 0;
}

uint32_t tcp_reno_ssthresh(struct tcp_conn *c, uint64_t now);
void tcp_reno_slow_start(struct tcp_conn *c, uint32_t *acked);

uint32_t
tcp_reno_ssthresh(struct tcp_conn *c, uint64_t now)
{
	uint32_t flight = seq_diff(c->snd_nxt, c->snd_una);
	return max32(flight / 2, 2 * c->mss);
}

/* RFC 5681 §3.1 with RFC 3465 §2.2: cwnd grows by the bytes acked, at most
 * 2 SMSS per ACK, and never past ssthresh in one step. Leaves in *acked
 * what is left for congestion avoidance. */
void
tcp_reno_slow_start(struct tcp_conn *c, uint32_t *acked)
{
	uint32_t inc = min32(*acked, 2 * c->mss);
	uint64_t cw = (uint64_t)c->cwnd + inc;
	if (cw > c->ssthresh) {
		uint32_t used = c->ssthresh > c->cwnd ? c->ssthresh - c->cwnd : 0;
		*acked -= min32(*acked, used);
		c->cwnd = max32(c->cwnd, c->ssthresh);
		return;
	}
	c->cwnd = (uint32_t)cw;
	*acked = 0;
}

static void
reno_cong_avoid(struct tcp_conn *c, uint32_t acked, uint64_t now)
{
	if (c->cwnd < c->ssthresh) {
		tcp_reno_slow_start(c, &acked);
		if (acked == 0)
			return;
	}
	/* RFC 5681 §3.1 / RFC 3465 §2.1: one SMSS per cwnd of bytes acked */
	c->bytes_acked_ca += acked;
	if (c->bytes_acked_ca >= c->cwnd) {
		c->bytes_acked_ca -= c->cwnd;
		if (c->cwnd <= UINT32_MAX - c->mss)
			c->cwnd += c->mss;
	}
}

const struct tcp_cc_ops tcp_cc_reno = {
	.name = "reno",
	.init = reno_init,
	.ssthresh = tcp_reno_ssthresh,
	.cong_avoid = reno_cong_avoid,
	.on_rto = NULL,
};
