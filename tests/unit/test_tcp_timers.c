/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time, with an injected clock: the retransmission timeout (RFC 6298:
 * estimation, Karn's rule, backoff, Linux's 200 ms floor and 120 s
 * ceiling, the tcp_retries2 budget), TCP_USER_TIMEOUT (RFC 5482), zero
 * window probes (RFC 9293 §3.8.6.1), keepalive (RFC 1122 §4.2.3.6, Linux
 * defaults), delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2), Nagle (RFC
 * 896) with TCP_NODELAY, and TCP_CORK.
 */
#include <criterion/criterion.h>

#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

static void setup(void) { ts_init(t); }
static void teardown(void) { ts_fini(t); }

TestSuite(timers, .init = setup, .fini = teardown);

static void
ack_to(uint32_t ack, uint16_t wnd)
{
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = ack, .flags = ACK, .wnd = wnd));
}

/* an active open whose handshake takes rtt */
static void
establish_rtt(uint64_t rtt)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_advance(t, rtt);
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1460 };
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 60000, .opts = o));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
}

/* ---- RFC 6298 ---- */

Test(timers, initial_rto_is_one_second)
{
	ts_connect(t);
	cr_assert_eq(t->c.rto, 1 * SEC);
	cr_assert_eq(t->deadline - t->now, 1 * SEC);
}

Test(timers, rto_from_first_sample)
{
	establish_rtt(100 * MS);
	/* §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR */
	cr_assert_eq(t->c.srtt, 100 * MS);
	cr_assert_eq(t->c.rttvar, 50 * MS);
	cr_assert_eq(t->c.rto, 300 * MS);
	/* §2.3 with a second sample of 100 ms: RTTVAR 3/4 * 50 */
	ts_write(t, NULL, 10);
	ts_next(t);
	ts_advance(t, 100 * MS);
	ack_to(OUR_ISS + 11, 60000);
	cr_assert_eq(t->c.srtt, 100 * MS);
	cr_assert_eq(t->c.rttvar, 37500 * 1000ull);
	cr_assert_eq(t->c.rto, 250 * MS);
}

Test(timers, rto_floor_200ms)
{
	establish_rtt(1 * MS);
	cr_assert_eq(t->c.rto, 200 * MS);
}

Test(timers, backoff_doubles_to_120s_then_etimedout)
{
	establish_rtt(1 * MS);
	ts_write(t, NULL, 100);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 100));
	/* 0.2 0.4 ... 102.4, then 120 s (rto_max): 15 retransmissions, the
	 * budget of tcp_retries2 = 15 (924.6 s) */
	uint64_t expect_wait = 200 * MS, total = 0;
	for (int i = 0; i < 15; i++) {
		uint64_t d = ts_fire_next(t);
		cr_assert_eq(d, expect_wait, "retransmission %d after %lu ms, expected %lu", i + 1,
			     (unsigned long)(d / MS), (unsigned long)(expect_wait / MS));
		total += d;
		ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 100));
		expect_wait = expect_wait * 2 > 120 * SEC ? 120 * SEC : expect_wait * 2;
	}
	cr_assert_not(t->closed);
	total += ts_fire_next(t);
	cr_assert_eq(total, 924600 * MS, "Linux's 924.6 s");
	cr_assert(t->closed);
	cr_assert_eq(t->err, ETIMEDOUT);
	/* Linux sends a RST when it gives up on a connection */
	ts_expect(t, SEG(.seq = OUR_ISS + 101, .ack = PEER_ISS + 1, .flags = RST | ACK));
}

Test(timers, karn_no_sample_from_retransmission)
{
	establish_rtt(100 * MS);
	ts_write(t, NULL, 10);
	ts_next(t);
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 10));
	cr_assert_eq(t->c.backoff, 1);
	uint64_t srtt = t->c.srtt;
	ts_advance(t, 10 * MS);
	ack_to(OUR_ISS + 11, 60000);
	cr_assert_eq(t->c.srtt, srtt, "an ACK of a retransmitted segment is ambiguous");
	cr_assert_eq(t->c.backoff, 0, "backoff ends with new data acknowledged");
	/* the next segment, sent once, gives a sample again */
	ts_write(t, NULL, 10);
	ts_next(t);
	ts_advance(t, 20 * MS);
	ack_to(OUR_ISS + 21, 60000);
	cr_assert_neq(t->c.srtt, srtt);
}

Test(timers, rto_restarts_on_ack_of_new_data)
{
	establish_rtt(1 * MS);
	ts_write(t, NULL, 2000);
	ts_next(t);
	ts_next(t);
	ts_advance(t, 150 * MS);
	ack_to(OUR_ISS + 1461, 60000);
	/* RFC 6298 §5.3: 200 ms from this ACK, not from the first send */
	cr_assert_eq(t->deadline, t->now + t->c.rto);
}

Test(timers, rto_lost_window_is_one_segment_in_slow_start)
{
	establish_rtt(1 * MS);
	ts_write(t, NULL, 5 * 1460);
	for (int i = 0; i < 5; i++)
		ts_next(t);
	ts_fire_next(t);
	cr_assert_eq(t->c.cwnd, 1460, "RFC 5681 §3.1: the loss window");
	/* CUBIC applies beta to cwnd (10 segments), as Linux does, not to
	 * the 5 in flight */
	cr_assert_eq(t->c.ssthresh, 10220);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
	ack_to(OUR_ISS + 1461, 60000);
	/* slow start: 2 segments */
	ts_expect(t, SEG(.seq = OUR_ISS + 1461, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect(t, SEG(.seq = OUR_ISS + 2921, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
}

/* ---- TCP_USER_TIMEOUT (RFC 5482, Linux semantics) ---- */

Test(timers, user_timeout_aborts_retransmission)
{
	establish_rtt(1 * MS);
	struct tcp_io io = ts_io(t);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_USER_TIMEOUT, 5000, &io, &t->a), 0);
	ts_apply(t);
	ts_write(t, NULL, 10);
	ts_next(t);
	uint64_t start = t->now;
	ts_advance(t, 10 * SEC);
	cr_assert(t->closed);
	cr_assert_eq(t->err, ETIMEDOUT);
	/* the last RTO was clamped to the user timeout */
	cr_assert_eq(t->c.deadline[TCP_T_RTX], UINT64_MAX);
	(void)start;
	cr_assert_eq(t->x.mib.abort_on_timeout, 1);
}

Test(timers, user_timeout_exact_time)
{
	establish_rtt(1 * MS);
	t->c.so.user_timeout_ms = 5000;
	ts_write(t, NULL, 10);
	ts_next(t);
	uint64_t start = t->now;
	while (!t->closed)
		ts_fire_next(t);
	cr_assert_eq(t->now - start, 5 * SEC, "aborted %lu ms after the send", (unsigned long)((t->now - start) / MS));
}

/* ---- zero window probes ---- */

static void
shut_window(void)
{
	ack_to(OUR_ISS + 1, 0);
	cr_assert_eq(t->c.snd_wnd, 0);
}

Test(timers, zero_window_probes_with_backoff)
{
	establish_rtt(1 * MS);
	shut_window();
	ts_write(t, NULL, 100);
	ts_expect_nothing(t);
	/* a probe: an old sequence number, no data */
	uint64_t waits[] = { 200, 400, 800, 1600, 3200 };
	for (unsigned i = 0; i < 5; i++) {
		uint64_t d = ts_fire_next(t);
		cr_assert_eq(d, waits[i] * MS, "probe %u after %lu ms", i, (unsigned long)(d / MS));
		ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
		/* the peer answers, window still shut */
		ack_to(OUR_ISS + 1, 0);
		cr_assert_eq(t->c.probes_out, 0);
	}
	/* the window opens: the data goes at once */
	ack_to(OUR_ISS + 1, 1000);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 100));
	cr_assert_eq(t->c.deadline[TCP_T_PERSIST], UINT64_MAX);
}

Test(timers, answered_probes_never_abort)
{
	establish_rtt(1 * MS);
	shut_window();
	ts_write(t, NULL, 100);
	for (int i = 0; i < 40; i++) {
		ts_fire_next(t);
		ts_next(t);
		ack_to(OUR_ISS + 1, 0);
	}
	cr_assert_not(t->closed);
	cr_assert_leq(t->c.deadline[TCP_T_PERSIST] - t->now, 120 * SEC, "capped at rto_max");
}

Test(timers, unanswered_probes_abort)
{
	establish_rtt(1 * MS);
	shut_window();
	ts_write(t, NULL, 100);
	for (int i = 0; i < 15; i++) {
		ts_fire_next(t);
		ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
	}
	cr_assert_not(t->closed);
	ts_fire_next(t);
	cr_assert(t->closed, "tcp_retries2 probes without an answer");
	cr_assert_eq(t->err, ETIMEDOUT);
}

Test(timers, user_timeout_bounds_zero_window)
{
	establish_rtt(1 * MS);
	t->c.so.user_timeout_ms = 3000;
	shut_window();
	ts_write(t, NULL, 100);
	uint64_t start = t->now;
	while (!t->closed) {
		ts_fire_next(t);
		while (ts_next(t))
			;
		if (!t->closed)
			ack_to(OUR_ISS + 1, 0);
	}
	cr_assert_eq(t->err, ETIMEDOUT);
	cr_assert_eq(t->now - start, 3 * SEC, "Linux applies TCP_USER_TIMEOUT to a shut window");
}

Test(timers, partial_window_sent_by_persist)
{
	establish_rtt(1 * MS);
	ack_to(OUR_ISS + 1, 100);
	ts_write(t, NULL, 1000);
	/* 100 bytes of window, less than half of the largest (60000) and
	 * less than a segment: sender SWS holds them */
	ts_expect_nothing(t);
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 100));
}

/* ---- keepalive ---- */

Test(timers, keepalive_defaults_probe_then_abort)
{
	establish_rtt(1 * MS);
	struct tcp_io io = ts_io(t);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPALIVE, 1, &io, &t->a), 0);
	ts_apply(t);
	uint64_t idle_from = t->now;
	ts_advance(t, 7199 * SEC);
	ts_expect_nothing(t);
	ts_advance(t, 1 * SEC);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
	for (int i = 1; i < 9; i++) {
		ts_advance(t, 75 * SEC);
		ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
	}
	cr_assert_not(t->closed);
	ts_advance(t, 75 * SEC);
	cr_assert(t->closed);
	cr_assert_eq(t->err, ETIMEDOUT);
	cr_assert_eq(t->now - idle_from, 7875 * SEC);
}

Test(timers, keepalive_answer_resets)
{
	establish_rtt(1 * MS);
	struct tcp_io io = ts_io(t);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPALIVE, 1, &io, &t->a);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPIDLE, 10, &io, &t->a);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPINTVL, 2, &io, &t->a);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPCNT, 3, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPIDLE, 0, &io, &t->a), -EINVAL);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPINTVL, 32768, &io, &t->a), -EINVAL);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_KEEPCNT, 128, &io, &t->a), -EINVAL);
	ts_apply(t);
	ts_advance(t, 10 * SEC);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
	ts_advance(t, 2 * SEC);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
	ack_to(OUR_ISS + 1, 60000);
	cr_assert_eq(t->c.probes_out, 0);
	/* idle again from the answer */
	ts_advance(t, 9 * SEC);
	ts_expect_nothing(t);
	ts_advance(t, 1 * SEC);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = ACK));
	ts_advance(t, 6 * SEC);
	cr_assert(t->closed);
}

Test(timers, keepalive_with_user_timeout)
{
	establish_rtt(1 * MS);
	t->c.so.keepalive = true;
	t->c.so.keepidle_s = 10;
	t->c.so.keepintvl_s = 5;
	t->c.so.user_timeout_ms = 22000;

	struct tcp_io io = ts_io(t);
	tcp_output(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
	uint64_t start = t->c.last_rcv_ns;
	while (!t->closed)
		ts_fire_next(t);
	/* Linux: with TCP_USER_TIMEOUT, idle time decides (probes at 10,
	 * 15, 20, 25: dead at the first probe time past 22 s) */
	cr_assert_eq(t->now - start, 25 * SEC);
	cr_assert_eq(t->err, ETIMEDOUT);
}

/* ---- delayed ACKs ---- */

static void
peer_data(uint32_t off, uint32_t len)
{
	ts_send(t, SEG(.seq = PEER_ISS + 1 + off, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 60000, .len = len));
}

Test(timers, quick_acks_at_start)
{
	establish_rtt(1 * MS);
	for (uint32_t k = 0; k < 4; k++) {
		peer_data(k * 100, 100);
		ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101 + k * 100, .flags = ACK));
	}
}

Test(timers, delayed_ack_after_ato)
{
	establish_rtt(1 * MS);
	t->c.quickacks = 0;
	peer_data(0, 100);
	ts_expect_nothing(t);
	cr_assert_eq(t->deadline - t->now, 40 * MS, "TCP_ATO_MIN");
	ts_advance(t, 39 * MS);
	ts_expect_nothing(t);
	ts_advance(t, 1 * MS);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101, .flags = ACK));
}

Test(timers, every_second_full_segment_acked)
{
	establish_rtt(1 * MS);
	t->c.quickacks = 0;
	peer_data(0, 1460);
	ts_expect_nothing(t);
	peer_data(1460, 1460);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2921, .flags = ACK));
	peer_data(2920, 1460);
	ts_expect_nothing(t);
}

Test(timers, delayed_ack_never_beyond_200ms)
{
	establish_rtt(1 * MS);
	t->c.quickacks = 0;
	for (int i = 0; i < 20; i++) {
		peer_data((uint32_t)i * 10, 10);
		uint64_t d = t->deadline - t->now;
		cr_assert_leq(d, 200 * MS);
		ts_advance(t, d);
		ts_next(t);
	}
}

Test(timers, out_of_order_acked_at_once)
{
	establish_rtt(1 * MS);
	t->c.quickacks = 0;
	peer_data(1000, 100);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
	peer_data(0, 1000);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1101, .flags = ACK));
}

Test(timers, data_carries_the_delayed_ack)
{
	establish_rtt(1 * MS);
	t->c.quickacks = 0;
	peer_data(0, 100);
	ts_expect_nothing(t);
	ts_write(t, NULL, 10);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101, .flags = ACK | PSH, .len = 10));
	ts_advance(t, 300 * MS);
	/* the ACK was sent; at most the retransmission follows */
	struct rseg *r = ts_next(t);
	cr_assert(r == NULL || r->s.data_len == 10);
}

Test(timers, quickack_option_acks_now)
{
	establish_rtt(1 * MS);
	t->c.quickacks = 0;
	peer_data(0, 100);
	ts_expect_nothing(t);
	struct tcp_io io = ts_io(t);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_QUICKACK, 1, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101, .flags = ACK));
}

/* ---- Nagle, TCP_NODELAY, TCP_CORK ---- */

Test(timers, nagle_holds_small_segment_while_one_unacked)
{
	t->so.nodelay = false;
	establish_rtt(1 * MS);
	ts_write(t, NULL, 10);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 10));
	ts_write(t, NULL, 10);
	ts_write(t, NULL, 10);
	ts_expect_nothing(t);
	ack_to(OUR_ISS + 11, 60000);
	ts_expect(t, SEG(.seq = OUR_ISS + 11, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 20));
	/* full segments are never held */
	ts_write(t, NULL, 3000);
	ts_expect(t, SEG(.seq = OUR_ISS + 31, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect(t, SEG(.seq = OUR_ISS + 1491, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
}

Test(timers, nodelay_sends_at_once)
{
	t->so.nodelay = false;
	establish_rtt(1 * MS);
	ts_write(t, NULL, 10);
	ts_next(t);
	ts_write(t, NULL, 10);
	ts_expect_nothing(t);
	struct tcp_io io = ts_io(t);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_NODELAY, 1, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 11, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 10));
	ts_write(t, NULL, 10);
	ts_expect(t, SEG(.seq = OUR_ISS + 21, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 10));
}

Test(timers, cork_holds_up_to_200ms)
{
	establish_rtt(1 * MS);
	struct tcp_io io = ts_io(t);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_CORK, 1, &io, &t->a);
	ts_apply(t);
	ts_write(t, NULL, 100);
	ts_expect_nothing(t);
	ts_advance(t, 100 * MS);
	ts_write(t, NULL, 100);
	ts_expect_nothing(t);
	ts_advance(t, 99 * MS);
	ts_expect_nothing(t);
	ts_advance(t, 1 * MS);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 200));
}

Test(timers, cork_sends_full_segments_and_uncork_flushes)
{
	establish_rtt(1 * MS);
	struct tcp_io io = ts_io(t);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_CORK, 1, &io, &t->a);
	ts_apply(t);
	ts_write(t, NULL, 1500);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
	io = ts_io(t);
	tcp_setsockopt(&t->x, &t->c, TCP_SO_CORK, 0, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1461, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 40));
}

Test(timers, close_flushes_held_data)
{
	t->so.nodelay = false;
	establish_rtt(1 * MS);
	ts_write(t, NULL, 10);
	ts_next(t);
	ts_write(t, NULL, 10);
	ts_expect_nothing(t);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 11, .ack = PEER_ISS + 1, .flags = ACK | PSH | FIN, .len = 10));
}

/* ---- TCP_INFO ---- */

Test(timers, tcp_info_fields)
{
	ts_fini(t);
	ts_init_opts(t, true, true, true);
	ts_connect(t);
	ts_next(t);
	ts_advance(t, 20 * MS);
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE,
			      .mss = 1460, .wscale = 2, .tsval = 9, .tsecr = t->out[0].s.opts.tsval };
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 60000, .opts = o));
	ts_next(t);
	ts_write(t, NULL, 3000);
	ts_advance(t, 5 * MS);
	struct tcp_conn_info i;
	tcp_conn_get_info(&t->c, t->now, &i);
	cr_assert_eq(i.state, TCP_ESTABLISHED);
	cr_assert_eq(i.options, 1 | 2 | 4, "TS, SACK, WSCALE (Linux's TCPI_OPT_*)");
	cr_assert_eq(i.snd_wscale, 2);
	cr_assert_eq(i.snd_mss, 1448);
	cr_assert_eq(i.advmss, 1460);
	cr_assert_eq(i.rtt_us, 20000);
	cr_assert_eq(i.rttvar_us, 10000);
	cr_assert_eq(i.rto_us, 200000 > 20000 + 4 * 10000 ? 200000 : 60000);
	cr_assert_eq(i.unacked, 3, "segments in flight");
	cr_assert_eq(i.snd_cwnd, 10);
	cr_assert_eq(i.snd_ssthresh, 0x7fffffff, "infinite, as Linux shows it");
	cr_assert_eq(i.outq_bytes, 3000);
	cr_assert_eq(i.notsent_bytes, 0);
	cr_assert_eq(i.last_data_sent_ms, 5);
	cr_assert_eq(i.segs_out, 5);
	cr_assert_eq(i.data_segs_out, 3);
	cr_assert_eq(i.bytes_sent, 3000);
	cr_assert_eq(i.min_rtt_us, 20000);
	struct tcp_opts p = { .present = TCP_OPT_TS, .tsval = 10, .tsecr = t->out[2].s.opts.tsval };
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 3001, .flags = ACK, .wnd = 60000, .len = 100,
		       .opts = p));
	tcp_conn_get_info(&t->c, t->now, &i);
	cr_assert_eq(i.bytes_acked, 3000);
	cr_assert_eq(i.bytes_received, 100);
	cr_assert_eq(i.unacked, 0);
	cr_assert_eq(i.outq_bytes, 0);
	cr_assert_eq(i.segs_in, 2);
	cr_assert_eq(i.data_segs_in, 1);
	cr_assert_eq(i.last_data_recv_ms, 0);
	cr_assert_eq(i.total_retrans, 0);
	cr_assert_eq(tcp_conn_unacked(&t->c), 0);
	cr_assert_eq(tcp_conn_deadline(&t->c), t->deadline);
}
