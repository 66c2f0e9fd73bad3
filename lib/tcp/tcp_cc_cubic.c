/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUBIC (RFC 9438), the default congestion control. Windows are computed
 * in segments as the RFC writes them (doubles: the cube root and the
 * fractional growth per ACK stay exact), then kept in bytes.
 *
 *   W_cubic(t) = C (t - K)^3 + W_max             §4.2, C = 0.4
 *   K = cbrt((W_max - cwnd_epoch) / C)
 *   W_est += alpha_cubic * segments_acked / cwnd  §4.3, alpha = 3(1-b)/(1+b)
 *   target = W_cubic(t + RTT) within [cwnd, 1.5 cwnd]    §4.4, §4.5
 *   on loss: ssthresh = cwnd * b, b = 0.7        §4.6
 *            W_max = cwnd (1 + b) / 2 if cwnd < W_max (fast convergence) §4.7
 *
 * Slow start is RFC 5681's (as the RFC allows, §4.10); HyStart++ is not
 * implemented.
 */
#include <math.h>

#include "tcp_impl.h"

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

struct cubic {
	double w_max;      /* segments */
	double cwnd_prior; /* segments, before the last reduction */
	double k;          /* seconds */
	double cwnd_epoch; /* segments */
	double w_est;      /* segments */
	double cwnd_seg;   /* segments, with the fraction */
	uint64_t t_epoch;  /* ns; 0: no epoch */
};

_Static_assert(sizeof(struct cubic) <= TCP_CC_PRIV, "cubic state too big");

uint32_t tcp_reno_ssthresh(struct tcp_conn *c, uint64_t now);
void tcp_reno_slow_start(struct tcp_conn *c, uint32_t *acked);

static struct cubic *
cub(struct tcp_conn *c)
{
	return (struct cubic *)(void *)c->cc_priv;
}

static void
cubic_init(struct tcp_conn *c, uint64_t now)
{
	struct cubic *k = cub(c);
	memset(k, 0, sizeof(*k));
}

static uint32_t
cubic_ssthresh(struct tcp_conn *c, uint64_t now)
{
	struct cubic *k = cub(c);
	double mss = c->mss ? c->mss : 1;
	double cwnd = c->cwnd / mss;

	k->t_epoch = 0;
	/* §4.7 fast convergence */
	if (cwnd < k->w_max)
		k->w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	else
		k->w_max = cwnd;
	k->cwnd_prior = cwnd;
	double ss = cwnd * CUBIC_BETA;
	if (ss < 2)
		ss = 2;
	return (uint32_t)(ss * mss);
}

static void
cubic_on_rto(struct tcp_conn *c, uint64_t now)
{
	cub(c)->t_epoch = 0;
}

/* W_cubic(t) in segments, t in seconds (§4.2 eq. 1) */
static double
w_cubic(const struct cubic *k, double t)
{
	double d = t - k->k;
	return CUBIC_C * d * d * d + k->w_max;
}

static void
cubic_cong_avoid(struct tcp_conn *c, uint32_t acked, uint64_t now)
{
	struct cubic *k = cub(c);
	double mss = c->mss ? c->mss : 1;

	if (c->cwnd < c->ssthresh) {
		tcp_reno_slow_start(c, &acked);
		if (acked == 0)
			return;
	}
	double cwnd = c->cwnd / mss;
	if (k->t_epoch == 0) {
		/* §4.2: a new congestion avoidance stage */
		k->t_epoch = now ? now : 1;
		k->cwnd_seg = cwnd;
		k->cwnd_epoch = cwnd;
		k->w_est = cwnd;
		if (k->w_max <= 0)
			k->w_max = cwnd;
		k->k = cbrt((k->w_max - k->cwnd_epoch) / CUBIC_C);
	}
	/* keep the fraction between ACKs while cwnd was not changed
	 * elsewhere */
	if ((uint32_t)(k->cwnd_seg * mss) != c->cwnd)
		k->cwnd_seg = cwnd;
	double segs = acked / mss;
	double t = (double)(now - k->t_epoch) / 1e9;
	double rtt = c->rtt_valid ? (double)c->srtt / 1e9 : 0.0;

	/* §4.3 Reno-friendly estimate */
	double alpha = k->w_est >= k->cwnd_prior && k->cwnd_prior > 0
			       ? 1.0
			       : 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
	k->w_est += alpha * segs / k->cwnd_seg;

	double wc = w_cubic(k, t);
	double next;
	if (wc < k->w_est) {
		next = k->w_est; /* §4.3: Reno-friendly region */
	} else {
		/* §4.4 concave / §4.5 convex */
		double target = w_cubic(k, t + rtt);
		if (target < k->cwnd_seg)
			target = k->cwnd_seg;
		if (target > 1.5 * k->cwnd_seg)
			target = 1.5 * k->cwnd_seg;
		next = k->cwnd_seg + (target - k->cwnd_seg) / k->cwnd_seg * segs;
	}
	if (next < k->cwnd_seg)
		next = k->cwnd_seg;
	double bytes = next * mss;
	if (bytes > (double)UINT32_MAX - mss)
		bytes = (double)UINT32_MAX - mss;
	k->cwnd_seg = next;
	c->cwnd = (uint32_t)bytes;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
	.on_rto = cubic_on_rto,
};
