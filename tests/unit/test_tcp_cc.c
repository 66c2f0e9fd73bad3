/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control against the RFCs' formulas: Reno (RFC 5681, RFC
 * 3465), CUBIC (RFC 9438: W_cubic, K, the Reno-friendly estimate, fast
 * convergence), the registry (TCP_CONGESTION), NewReno loss recovery
 * without SACK (RFC 6582), and RACK-TLP timing (RFC 8985).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tcp/tcp_impl.h"
#include "tcp_script.h"

#define MSS 1460u

/* a bare connection for the congestion control arithmetic */
static struct tcp_conn C;

static void
bare(const struct tcp_cc_ops *ops, uint32_t cwnd_segs, uint32_t ssthresh)
{
	memset(&C, 0, sizeof(C));
	C.mss = MSS;
	C.cc = ops;
	C.cwnd = cwnd_segs * MSS;
	C.ssthresh = ssthresh;
	C.snd_una = seq_make(1000);
	C.snd_nxt = seq_add(C.snd_una, C.cwnd);
	ops->init(&C, 1);
}

/* one RTT of ACK clocking: a full window acknowledged, one ACK per
 * segment, spread over the RTT */
static void
one_rtt(uint64_t *now, uint64_t rtt)
{
	uint32_t segs = C.cwnd / MSS;
	for (uint32_t i = 0; i < segs; i++) {
		*now += rtt / (segs ? segs : 1);
		C.cc->cong_avoid(&C, MSS, *now);
	}
}

Test(cc, registry)
{
	cr_assert_eq(tcp_cc_find("cubic"), &tcp_cc_cubic);
	cr_assert_eq(tcp_cc_find("reno"), &tcp_cc_reno);
	cr_assert_null(tcp_cc_find("bbr"));
	cr_assert_null(tcp_cc_find(NULL));
	struct tcp_conn c = { 0 };
	c.mss = MSS;
	cr_assert_eq(tcp_set_congestion(&c, "vegas", 0), -ENOENT);
	cr_assert_eq(tcp_set_congestion(&c, "reno", 0), 0);
	cr_assert_eq(c.cc, &tcp_cc_reno);
	cr_assert_str_eq(c.cc->name, "reno");
}

/* ---- Reno ---- */

Test(cc, reno_slow_start_abc)
{
	bare(&tcp_cc_reno, 10, UINT32_MAX);
	/* RFC 3465 L = 2: an ACK of 3 segments grows cwnd by 2 */
	tcp_cc_reno.cong_avoid(&C, 3 * MSS, 1);
	cr_assert_eq(C.cwnd, 12 * MSS);
	tcp_cc_reno.cong_avoid(&C, MSS, 2);
	cr_assert_eq(C.cwnd, 13 * MSS);
	/* doubling per RTT with one ACK per segment */
	uint64_t now = 10;
	uint32_t before = C.cwnd;
	one_rtt(&now, 100 * MS);
	cr_assert_eq(C.cwnd, 2 * before);
}

Test(cc, reno_slow_start_stops_at_ssthresh)
{
	bare(&tcp_cc_reno, 10, 11 * MSS);
	tcp_cc_reno.cong_avoid(&C, 2 * MSS, 1);
	/* one segment to reach ssthresh, the other counted toward CA */
	cr_assert_eq(C.cwnd, 11 * MSS);
	cr_assert_eq(C.bytes_acked_ca, MSS);
}

Test(cc, reno_congestion_avoidance_one_mss_per_rtt)
{
	bare(&tcp_cc_reno, 20, 10 * MSS);
	uint64_t now = 1;
	for (int r = 0; r < 10; r++) {
		uint32_t before = C.cwnd;
		one_rtt(&now, 100 * MS);
		cr_assert_eq(C.cwnd, before + MSS, "RTT %d: %u -> %u", r, before, C.cwnd);
	}
}

Test(cc, reno_ssthresh_half_flight)
{
	bare(&tcp_cc_reno, 20, UINT32_MAX);
	cr_assert_eq(tcp_cc_reno.ssthresh(&C, 1), 10 * MSS);
	C.snd_nxt = seq_add(C.snd_una, MSS);
	cr_assert_eq(tcp_cc_reno.ssthresh(&C, 1), 2 * MSS, "at least 2 SMSS (RFC 5681 eq. 4)");
}

/* ---- CUBIC ---- */

#define C_CUBIC 0.4
#define BETA 0.7

static double
w_cubic(double t, double k, double wmax)
{
	return C_CUBIC * pow(t - k, 3) + wmax;
}

Test(cc, cubic_reduction_and_fast_convergence)
{
	bare(&tcp_cc_cubic, 100, UINT32_MAX);
	uint32_t ss = tcp_cc_cubic.ssthresh(&C, 1);
	cr_assert_eq(ss, 70 * MSS, "RFC 9438 §4.6: beta 0.7");
	/* §4.7: a second loss below the previous W_max remembers less */
	C.cwnd = 80 * MSS;
	tcp_cc_cubic.ssthresh(&C, 2);
	const double *w = (const double *)(const void *)C.cc_priv;
	cr_assert_float_eq(w[0], 80 * (1 + BETA) / 2, 1e-9, "W_max = cwnd (1 + b) / 2");
	C.cwnd = 200 * MSS;
	tcp_cc_cubic.ssthresh(&C, 3);
	cr_assert_float_eq(w[0], 200, 1e-9);
}

/* §4.2 / §4.4 / §4.5: after a loss at W_max = 1000 segments (large enough
 * that the Reno-friendly estimate stays below the curve), cwnd follows
 * W_cubic(t) = C (t - K)^3 + W_max, K = cbrt(W_max (1 - b) / C) */
Test(cc, cubic_follows_w_cubic)
{
	bare(&tcp_cc_cubic, 1000, UINT32_MAX);
	uint64_t now = 1000 * MS;
	C.ssthresh = tcp_cc_cubic.ssthresh(&C, now);
	C.cwnd = C.ssthresh;
	C.srtt = 100 * MS;
	C.rtt_valid = true;
	double k = cbrt(1000 * (1 - BETA) / C_CUBIC);
	cr_assert_float_eq(k, cbrt(750.0), 1e-12);
	uint64_t start = now;
	bool plateau = false;
	while (now - start < (uint64_t)(2.5 * k * 1e9)) {
		one_rtt(&now, 100 * MS);
		double t = (double)(now - start) / 1e9;
		double want = w_cubic(t, k, 1000);
		double got = (double)C.cwnd / MSS;
		/* the per-ACK rule aims at W_cubic(t + RTT): within one RTT's
		 * growth of the curve, and a segment of rounding */
		double slack = fabs(w_cubic(t + 0.1, k, 1000) - want) + 1.0;
		cr_assert_leq(fabs(got - want), slack, "t = %.2f s: cwnd %.2f, W_cubic %.2f", t, got, want);
		if (fabs(t - k) < 0.1) {
			cr_assert_float_eq(got, 1000, 2.0, "at t = K the window is back at W_max");
			plateau = true;
		}
	}
	cr_assert(plateau);
}

/* §4.3: with a short RTT and a small window, Reno would grow faster; CUBIC
 * then follows the Reno-friendly estimate W_est */
Test(cc, cubic_reno_friendly_region)
{
	bare(&tcp_cc_cubic, 10, UINT32_MAX);
	uint64_t now = 1000 * MS;
	C.ssthresh = tcp_cc_cubic.ssthresh(&C, now);
	C.cwnd = C.ssthresh;
	C.srtt = 1 * MS;
	C.rtt_valid = true;
	double alpha = 3 * (1 - BETA) / (1 + BETA);
	double west = 7.0;
	double k = cbrt(10 * (1 - BETA) / C_CUBIC);
	uint64_t start = now;
	for (int r = 0; r < 200; r++) {
		uint32_t segs = C.cwnd / MSS;
		double w = C.cwnd / (double)MSS;
		one_rtt(&now, 1 * MS);
		/* the model: W_est += alpha * acked / cwnd per ACK, alpha 1
		 * once W_est reaches cwnd_prior (10) */
		for (uint32_t i = 0; i < segs; i++) {
			double a = west >= 10 ? 1.0 : alpha;
			west += a / w;
			if (west > w)
				w = west;
		}
		double t = (double)(now - start) / 1e9;
		double got = (double)C.cwnd / MSS;
		cr_assert_geq(got + 1e-6, w_cubic(t, k, 10) < west ? west - 1.0 : 0,
			      "round %d: cwnd %.2f below W_est %.2f", r, got, west);
	}
	/* 200 RTTs of 1 ms: t = 0.2 s < K = 1.96 s, so W_cubic < W_max: the
	 * growth came from the Reno-friendly estimate */
	cr_assert_gt(C.cwnd / MSS, 10);
}

Test(cc, cubic_slow_start_below_ssthresh)
{
	bare(&tcp_cc_cubic, 10, 100 * MSS);
	uint64_t now = 1;
	one_rtt(&now, 10 * MS);
	cr_assert_eq(C.cwnd, 20 * MSS, "RFC 5681 slow start");
}

/* ---- NewReno without SACK (RFC 6582) through the engine ---- */

static struct tsock T;
static struct tsock *t = &T;
#define D(k) (OUR_ISS + 1 + (k) * MSS)

static void
ackn(uint32_t ack)
{
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = ack, .flags = ACK, .wnd = 65535));
}

Test(cc, newreno_fast_retransmit_and_partial_acks)
{
	ts_init(t);
	t->so.cc = &tcp_cc_reno;
	ts_establish(t, 65535);
	ts_write(t, NULL, 20 * MSS);
	for (int i = 0; i < 10; i++)
		ts_next(t);
	/* segments 0 and 3 lost: dup ACKs for 0 */
	ackn(D(0));
	ts_expect(t, SEG(.seq = D(10), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS)); /* limited transmit */
	ackn(D(0));
	ts_expect(t, SEG(.seq = D(11), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ackn(D(0));
	/* the third: fast retransmit, ssthresh = FlightSize / 2 */
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	cr_assert_eq(t->c.ssthresh, 6 * MSS);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	cr_assert_eq(t->x.mib.reno_recoveries, 1);
	/* a partial ACK (up to the second hole): retransmit it at once */
	ackn(D(3));
	ts_expect(t, SEG(.seq = D(3), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	/* the full ACK (recover = 12 segments) ends it: cwnd = ssthresh */
	ackn(D(12));
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->c.cwnd, 6 * MSS);
	ts_fini(t);
}

Test(cc, newreno_no_second_recovery_for_same_window)
{
	ts_init(t);
	t->so.cc = &tcp_cc_reno;
	ts_establish(t, 65535);
	ts_write(t, NULL, 10 * MSS);
	for (int i = 0; i < 10; i++)
		ts_next(t);
	for (int i = 0; i < 3; i++)
		ackn(D(0));
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	while (ts_next(t))
		;
	ackn(D(10));
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	/* RFC 6582 §3.2 (1): duplicate ACKs that do not cover more than
	 * recover start no new recovery */
	uint32_t cw = t->c.cwnd;
	for (int i = 0; i < 3; i++)
		ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(10), .flags = ACK, .wnd = 65535));
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->c.cwnd, cw);
	ts_fini(t);
}

/* ---- RACK-TLP (RFC 8985) ---- */

static void
rack_setup(uint64_t rtt)
{
	ts_init_opts(t, false, true, false);
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_advance(t, rtt);
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_SACK_PERM, .mss = 1460 };
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 65535, .opts = o));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
}

static void
sack1(uint32_t ack, uint32_t s, uint32_t e)
{
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = 1 };
	o.sack[0] = (struct tcp_sack_block){ D(s), D(e) };
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = ack, .flags = ACK, .wnd = 65535, .opts = o));
}

Test(cc, rack_detects_loss_by_time_with_one_sack)
{
	rack_setup(40 * MS);
	t->x.p.tlp = false;
	ts_write(t, NULL, MSS); /* A at 0 */
	ts_next(t);
	ts_advance(t, 5 * MS);
	ts_write(t, NULL, MSS); /* B at 5 ms */
	ts_next(t);
	ts_advance(t, 40 * MS);
	/* B SACKed 40 ms after it was sent: RACK.rtt 40 ms, reo_wnd =
	 * min_rtt / 4 = 10 ms; A is lost at 0 + 40 + 10 = 50 ms */
	sack1(D(0), 1, 2);
	ts_expect_nothing(t);
	cr_assert_eq(t->c.deadline[TCP_T_REO], t->now + 5 * MS, "the reordering timer");
	ts_advance(t, 4 * MS);
	ts_expect_nothing(t);
	ts_advance(t, 1 * MS);
	/* one SACKed segment: DupThresh would never have fired */
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	cr_assert_eq(t->x.mib.rack_losses, 1);
	ts_fini(t);
}

Test(cc, rack_detects_lost_retransmission)
{
	rack_setup(40 * MS);
	t->x.p.tlp = false;
	ts_write(t, NULL, 6 * MSS);
	for (int i = 0; i < 6; i++)
		ts_next(t);
	ts_advance(t, 40 * MS);
	sack1(D(0), 1, 6);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	/* the retransmission is lost too; more data sent later is SACKed */
	ts_write(t, NULL, 2 * MSS);
	while (ts_next(t))
		;
	ts_advance(t, 60 * MS);
	sack1(D(0), 1, 8);
	ts_advance(t, 20 * MS);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r, "the lost retransmission is detected without an RTO");
	cr_assert_eq(r->s.seq.v, D(0));
	cr_assert_lt(t->now, t->c.deadline[TCP_T_RTX]);
	ts_fini(t);
}

Test(cc, tlp_probes_tail_loss)
{
	rack_setup(10 * MS);
	ts_write(t, NULL, 10 * MSS);
	for (int i = 0; i < 10; i++)
		ts_next(t);
	/* PTO = 2 SRTT = 20 ms, well before the 200 ms RTO */
	cr_assert_eq(t->deadline - t->now, 20 * MS);
	ts_fire_next(t);
	/* nothing new to send: the last segment again */
	ts_expect(t, SEG(.seq = D(9), .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = MSS));
	cr_assert_eq(t->x.mib.tlp_probes, 1);
	cr_assert(t->c.tlp_out);
	/* its ACK covers everything (the tail was lost, the probe
	 * repaired it): a congestion response */
	ackn(D(10));
	cr_assert_not(t->c.tlp_out);
	cr_assert_eq(t->c.cwnd, t->c.ssthresh);
	cr_assert_eq(t->c.ssthresh, 7 * MSS);
	ts_fini(t);
}

Test(cc, tlp_sends_new_data_when_it_can)
{
	rack_setup(10 * MS);
	ts_write(t, NULL, 12 * MSS);
	for (int i = 0; i < 10; i++)
		ts_next(t);
	ts_expect_nothing(t);
	ts_fire_next(t);
	/* a new segment, beyond cwnd (RFC 8985 §7.3) */
	ts_expect(t, SEG(.seq = D(10), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	cr_assert_eq(t->c.deadline[TCP_T_PTO], UINT64_MAX, "one probe per episode");
	ts_fini(t);
}

Test(cc, tlp_dsack_means_no_loss)
{
	rack_setup(10 * MS);
	ts_write(t, NULL, 4 * MSS);
	for (int i = 0; i < 4; i++)
		ts_next(t);
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = D(3), .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = MSS));
	uint32_t cw = t->c.cwnd;
	/* the original arrived: the probe is reported as a duplicate */
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = 1 };
	o.sack[0] = (struct tcp_sack_block){ D(3), D(4) };
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(4), .flags = ACK, .wnd = 65535, .opts = o));
	cr_assert_eq(t->x.mib.dsack_recv, 1);
	cr_assert_not(t->c.tlp_out);
	cr_assert_geq(t->c.cwnd, cw, "no congestion response");
	ts_fini(t);
}
