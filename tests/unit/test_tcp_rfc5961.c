/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 5961, "Improving TCP's Robustness to Blind In-Window Attacks", case
 * by case: §3 RST, §4 SYN, §5 data injection and ACK acceptability, §7
 * the challenge ACK limit — per connection, since a global limit is the
 * side channel of CVE-2016-5696.
 */
#include <criterion/criterion.h>

#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

static void setup(void) { ts_init(t); }
static void teardown(void) { ts_fini(t); }

TestSuite(rfc5961, .init = setup, .fini = teardown);

#define CHALLENGE SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK)

/* §3.2 */
Test(rfc5961, rst_exact_sequence_resets)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNRESET);
}

Test(rfc5961, rst_in_window_gets_challenge_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 100, .flags = RST));
	cr_assert_not(t->closed);
	ts_expect(t, CHALLENGE);
	cr_assert_eq(t->x.mib.challenge_acks, 1);
	/* the peer, if real, answers the challenge with an exact RST */
	ts_advance(t, 600 * MS);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST));
	cr_assert(t->closed);
}

Test(rfc5961, rst_with_ack_in_window_gets_challenge_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 1, .flags = RST | ACK));
	cr_assert_not(t->closed);
	ts_expect(t, CHALLENGE);
}

Test(rfc5961, rst_out_of_window_dropped)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 100000, .flags = RST));
	ts_send(t, SEG(.seq = PEER_ISS, .flags = RST));
	ts_send(t, SEG(.seq = PEER_ISS - 70000, .flags = RST));
	cr_assert_not(t->closed);
	ts_expect_nothing(t);
	cr_assert_eq(t->x.mib.rst_ignored, 3);
}

Test(rfc5961, rst_at_window_edges)
{
	ts_establish(t, 8192);
	uint32_t wnd = t->c.rcv_adv.v - t->c.rcv_nxt.v;
	/* the last sequence number in the window: challenged */
	ts_send(t, SEG(.seq = PEER_ISS + 1 + wnd - 1, .flags = RST));
	ts_expect(t, CHALLENGE);
	/* one past it: silently dropped */
	ts_advance(t, 600 * MS);
	ts_send(t, SEG(.seq = PEER_ISS + 1 + wnd, .flags = RST));
	ts_expect_nothing(t);
	cr_assert_not(t->closed);
}

Test(rfc5961, rst_in_syn_received_needs_exact_sequence)
{
	tcp_listener_init(&t->l, 16, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 1000 };
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 10, .flags = RST));
	cr_assert_not(t->closed);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
}

Test(rfc5961, rst_in_time_wait_needs_exact_sequence)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 50, .flags = RST));
	cr_assert_not(t->closed);
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
}

/* §4.2: any SYN in a synchronized state */
Test(rfc5961, syn_in_window_gets_challenge_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 10, .flags = SYN, .wnd = 100));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	ts_expect(t, CHALLENGE);
}

Test(rfc5961, syn_out_of_window_gets_challenge_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 900000, .flags = SYN, .wnd = 100));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	ts_expect(t, CHALLENGE);
}

Test(rfc5961, syn_ack_in_established_gets_challenge_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 100));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	ts_expect(t, CHALLENGE);
}

Test(rfc5961, syn_in_close_wait_and_fin_wait)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .flags = SYN, .wnd = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK));
	cr_assert_eq(t->c.state, TCP_CLOSE_WAIT);
}

/* §5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT */
Test(rfc5961, ack_beyond_snd_nxt_dropped_with_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 100, .flags = ACK, .wnd = 8192, .len = 10));
	ts_expect(t, CHALLENGE);
	cr_assert_eq(t->rcv_total, 0, "its data is not taken");
	cr_assert_eq(t->x.mib.ack_future, 1);
}

Test(rfc5961, ack_too_old_gets_challenge_data_dropped)
{
	ts_establish(t, 8192);
	/* move SND.UNA up, beyond MAX.SND.WND from the ISN */
	for (int i = 0; i < 3; i++) {
		ts_write(t, NULL, 4000);
		while (ts_next(t))
			;
		ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1 + 4000u * (i + 1), .flags = ACK,
			       .wnd = 8192));
	}
	cr_assert_eq(t->c.snd_una.v, OUR_ISS + 12001);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 12001 - 8192 - 1, .flags = ACK, .wnd = 8192,
		       .len = 10));
	ts_expect(t, SEG(.seq = OUR_ISS + 12001, .ack = PEER_ISS + 1, .flags = ACK));
	cr_assert_eq(t->rcv_total, 0);
	cr_assert_eq(t->x.mib.ack_old, 1);
	/* an old ACK within MAX.SND.WND is acceptable: the data goes in */
	ts_advance(t, 600 * MS);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 12001 - 8192, .flags = ACK, .wnd = 8192,
		       .len = 10));
	cr_assert_eq(t->rcv_total, 10);
}

Test(rfc5961, segment_without_ack_dropped)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = PSH, .wnd = 8192, .len = 10));
	cr_assert_eq(t->rcv_total, 0);
	ts_expect_nothing(t);
}

Test(rfc5961, out_of_window_data_gets_ack_not_delivery)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1 + 200000, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 10));
	ts_expect(t, CHALLENGE);
	cr_assert_eq(t->rcv_total, 0);
}

/* §7 and RFC 9293 §3.10.7.4: the limit is per connection */
Test(rfc5961, challenge_acks_rate_limited_per_connection)
{
	ts_establish(t, 8192);
	for (int i = 0; i < 10; i++)
		ts_send(t, SEG(.seq = PEER_ISS + 100 + i, .flags = RST));
	ts_expect(t, CHALLENGE);
	ts_expect_nothing(t);
	cr_assert_eq(t->x.mib.challenge_acks, 1);
	cr_assert_eq(t->x.mib.challenge_acks_limited, 9);
	cr_assert_not(t->closed);

	/* another connection of the same worker (same context) is not
	 * affected: no shared counter an attacker could drain */
	static struct tsock U;
	struct tsock *u = &U;
	ts_init(u);
	u->t.rport = 40001;
	ts_establish(u, 8192);
	struct tcp_seg rst = { .seq = seq_make(PEER_ISS + 100), .flags = TCP_RST };
	struct tcp_io io = ts_io(u);
	io.now_ns = t->now;
	tcp_input(&t->x, &u->c, &rst, &io, &u->a);
	cr_assert_eq(u->a.nsegs, 1, "the other connection still answers");
	cr_assert_eq(u->a.segs[0].flags, TCP_ACK);
	cr_assert_eq(t->x.mib.challenge_acks, 2);
	ts_fini(u);

	/* after the interval, one more */
	ts_advance(t, 500 * MS);
	ts_send(t, SEG(.seq = PEER_ISS + 300, .flags = RST));
	ts_expect(t, CHALLENGE);
}

Test(rfc5961, data_segments_out_of_window_are_not_rate_limited)
{
	ts_establish(t, 8192);
	/* Linux's tcp_oow_rate_limited: only segments that occupy no
	 * sequence space are limited */
	ts_send(t, SEG(.seq = PEER_ISS - 100, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 10));
	ts_send(t, SEG(.seq = PEER_ISS - 100, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 10));
	ts_expect(t, CHALLENGE);
	ts_expect(t, CHALLENGE);
	/* pure ACKs out of window are */
	ts_send(t, SEG(.seq = PEER_ISS + 100000, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192));
	ts_send(t, SEG(.seq = PEER_ISS + 100000, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192));
	ts_expect(t, CHALLENGE);
	ts_expect_nothing(t);
}
