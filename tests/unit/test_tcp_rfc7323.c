/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 7323: window scaling (§2), timestamps and RTT (§3, §4), PAWS (§5);
 * RFC 6191 TIME-WAIT reuse with timestamps; the receive window: receiver
 * SWS avoidance (RFC 9293 §3.8.6.2.2), never shrinking the right edge
 * (§2.4), window updates after reads, receive-buffer auto-tuning.
 */
#include <criterion/criterion.h>

#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

static void teardown(void) { ts_fini(t); }

TestSuite(rfc7323, .fini = teardown);

/* ---- §2 window scale ---- */

static void
big_ring(struct tsock *s, uint32_t cap)
{
	s->rcv_cap = cap;
	s->so.rcvbuf = cap;
}

Test(rfc7323, wscale_offered_from_ring_size)
{
	ts_init_opts(t, false, false, true);
	big_ring(t, 1u << 20);
	ts_connect(t);
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_WSCALE, .mss = 1460, .wscale = 5 };
	/* RFC 7323 §2.2: the SYN's window is not scaled */
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN, .wnd = 65535, .wnd_chk = true, .opts = o,
			 .opts_chk = true));
}

Test(rfc7323, wscale_both_sides)
{
	ts_init_opts(t, false, false, true);
	big_ring(t, 1u << 20);
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_WSCALE, .mss = 1460, .wscale = 3 };
	/* the SYN-ACK's window is not scaled either */
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 5000, .opts = o));
	cr_assert_eq(t->c.snd_wnd, 5000);
	cr_assert(t->c.ws_ok);
	/* our ACK: 65535 >> 5 */
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .wnd = 2047, .wnd_chk = true));
	/* later windows are scaled by 2^3 */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 1000));
	cr_assert_eq(t->c.snd_wnd, 8000);
}

Test(rfc7323, wscale_needs_both)
{
	ts_init_opts(t, false, false, true);
	big_ring(t, 1u << 20);
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1460 };
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 5000, .opts = o));
	cr_assert_not(t->c.ws_ok);
	cr_assert_eq(t->c.rcv_wscale, 0);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .wnd = 65535, .wnd_chk = true));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 1000));
	cr_assert_eq(t->c.snd_wnd, 1000);
}

Test(rfc7323, passive_answers_wscale_only_when_offered)
{
	ts_init_opts(t, false, false, true);
	big_ring(t, 1u << 20);
	tcp_listener_init(&t->l, 16, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 1000 };
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1460 };
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK, .opts = o, .opts_chk = true));
	tcp_conn_destroy(&t->x, &t->c);
	syn.opts.present = TCP_OPT_WSCALE;
	syn.opts.wscale = 14;
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	struct tcp_opts o2 = { .present = TCP_OPT_MSS | TCP_OPT_WSCALE, .mss = 1460, .wscale = 5 };
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK, .opts = o2, .opts_chk = true));
	cr_assert_eq(t->c.snd_wscale, 14);
}

/* ---- the receive window ---- */

Test(rfc7323, right_edge_never_moves_back)
{
	ts_init_opts(t, false, false, true);
	big_ring(t, 1u << 20);
	t->so.rcvbuf_locked = true; /* the whole ring, no auto-tuning */
	ts_establish(t, 8192);
	struct tcp_conn *c = &t->c;
	uint32_t edge = c->rcv_adv.v;
	cr_assert_eq(edge - c->rcv_nxt.v, 1u << 20, "the whole ring");
	/* the caller's ring shrinks (a hostile or buggy report): the edge
	 * already promised stays */
	t->rcv_cap = 100;
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 50));
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_geq(PEER_ISS + 51 + ((uint32_t)r->s.wnd << 5), edge, "the window shrank");
	cr_assert_geq(c->rcv_adv.v - edge, 0);
	cr_assert_lt(c->rcv_adv.v - edge, 32, "at most the scale's rounding up");
}

Test(rfc7323, receiver_sws_holds_small_openings)
{
	ts_init(t);
	big_ring(t, 10000);
	t->so.rcvbuf_locked = true;
	ts_establish(t, 8192);
	cr_assert_eq(t->c.rcv_adv.v - t->c.rcv_nxt.v, 10000);
	/* fill the ring */
	for (uint32_t off = 0; off < 10000; off += 1000) {
		ts_send(t, SEG(.seq = PEER_ISS + 1 + off, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192,
			       .len = 1000));
	}
	cr_assert_eq(t->rcv_len, 10000);
	/* quick ACKs for the first segments, the last one delayed; its
	 * ACK shows the window shut */
	while (ts_next(t))
		;
	ts_advance(t, 200 * MS);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r, "the delayed ACK");
	cr_assert_eq(r->s.ack.v, PEER_ISS + 10001);
	cr_assert_eq(r->s.wnd, 0);
	/* the peer's segments were 1000 bytes: the window opens by at
	 * least min(buffer / 2, 1000) at a time (RFC 1122 §4.2.3.3) */
	ts_read(t, NULL, 100);
	ts_expect_nothing(t);
	ts_read(t, NULL, 800);
	ts_expect_nothing(t);
	ts_read(t, NULL, 200);
	r = ts_next(t);
	cr_assert_not_null(r, "0 -> 1100: opens");
	cr_assert_eq(r->s.wnd, 1100);
	/* then an update only once it doubled (Linux's __tcp_cleanup_rbuf) */
	ts_read(t, NULL, 500);
	ts_expect_nothing(t);
	ts_read(t, NULL, 700);
	r = ts_next(t);
	cr_assert_not_null(r, "1100 -> 2300");
	cr_assert_eq(r->s.wnd, 2300);
}

Test(rfc7323, zero_window_then_update)
{
	ts_init(t);
	big_ring(t, 3000);
	t->so.rcvbuf_locked = true;
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 3000));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 3001, .flags = ACK, .wnd = 0, .wnd_chk = true));
	ts_read(t, NULL, 3000);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 3001, .flags = ACK, .wnd = 3000, .wnd_chk = true));
}

Test(rfc7323, auto_tuning_grows_window_with_reads)
{
	ts_init_opts(t, true, false, true);
	big_ring(t, 2u << 20);
	ts_establish(t, 65535);
	uint32_t start = t->c.rcv_wnd_clamp;
	cr_assert_eq(start, 65535, "starts at rcv_wnd_init");
	/* the peer streams, the application reads at once, 10 ms RTT */
	uint32_t seq = PEER_ISS + 1;
	uint32_t tsv = 1000;
	for (int rtt = 0; rtt < 12; rtt++) {
		uint32_t wnd = t->c.rcv_adv.v - t->c.rcv_nxt.v;
		uint32_t echo = t->c.ts_off + (uint32_t)(t->now / MS);
		for (uint32_t sent = 0; sent + 1448 <= wnd; sent += 1448) {
			struct tcp_opts o = { .present = TCP_OPT_TS, .tsval = tsv++, .tsecr = echo - 10 };
			ts_send(t, SEG(.seq = seq, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 1448,
				       .opts = o));
			seq += 1448;
		}
		ts_read(t, NULL, t->rcv_len);
		while (ts_next(t))
			;
		ts_advance(t, 10 * MS);
	}
	cr_assert_gt(t->c.rcv_wnd_clamp, 8 * start, "the window grew: %u", t->c.rcv_wnd_clamp);
	cr_assert_eq(t->c.rcv_wnd_clamp, 2u << 20, "up to the ring, no further");
}

Test(rfc7323, auto_tuning_off_when_locked)
{
	ts_init_opts(t, true, false, true);
	big_ring(t, 1u << 20);
	ts_establish(t, 65535);
	struct tcp_io io = ts_io(t);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_RCVBUF, 200000, &io, &t->a), 0);
	ts_apply(t);
	cr_assert_eq(t->c.rcv_wnd_clamp, 200000);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_RCVBUF, 0, &io, &t->a), -EINVAL);
}

Test(rfc7323, rcvbuf_below_ring_closes_window)
{
	/* SO_RCVBUF of 4096 (set before the connection, or inherited from
	 * the listener) on a 1 MB ring: 4096 unread bytes close the window
	 * (the worker reports the room within the bound) */
	ts_init(t);
	t->rcv_cap = 1u << 20;
	t->so.rcvbuf = 4096;
	t->so.rcvbuf_locked = true;
	ts_establish(t, 8192);
	cr_assert_eq(tcp_rcv_free_within(4096, 1u << 20, (1u << 20) - 1000), 3096);
	cr_assert_eq(tcp_rcv_free_within(4096, 1u << 20, 1000), 0);
	cr_assert_eq(tcp_rcv_free_within(1u << 20, 1u << 20, 1000), 1000);
	uint32_t seq = PEER_ISS + 1;
	for (int i = 0; i < 8 && t->c.rcv_adv.v != t->c.rcv_nxt.v; i++) {
		uint32_t wnd = t->c.rcv_adv.v - t->c.rcv_nxt.v;
		uint32_t n = wnd < 1000 ? wnd : 1000;
		ts_send(t, SEG(.seq = seq, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = n));
		seq += n;
		while (ts_next(t))
			;
	}
	cr_assert_eq(t->rcv_len, 4096, "4096 bytes taken, unread");
	ts_advance(t, 300 * MS);
	while (ts_next(t))
		;
	ts_send(t, SEG(.seq = seq, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 1));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = seq, .flags = ACK, .wnd = 0, .wnd_chk = true));
	cr_assert_eq(t->rcv_len, 4096, "nothing past the bound");
	ts_read(t, NULL, 4096);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r, "reading opens the window");
	cr_assert_geq(r->s.wnd, 2048);
}

/* ---- §3-4 timestamps ---- */

Test(rfc7323, timestamps_on_every_segment)
{
	ts_init_opts(t, true, false, false);
	ts_connect(t);
	struct rseg *syn = ts_next(t);
	cr_assert(syn->s.opts.present & TCP_OPT_TS);
	cr_assert_eq(syn->s.opts.tsecr, 0);
	uint32_t our = syn->s.opts.tsval;
	struct tcp_opts o = { .present = TCP_OPT_TS | TCP_OPT_MSS, .mss = 1460, .tsval = 777, .tsecr = our };
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 8192, .opts = o));
	cr_assert(t->c.ts_ok);
	cr_assert_eq(t->c.mss, 1448, "12 bytes for the option");
	struct rseg *r = ts_next(t);
	cr_assert(r->s.opts.present & TCP_OPT_TS);
	cr_assert_eq(r->s.opts.tsecr, 777);
	ts_advance(t, 5 * MS);
	ts_write(t, NULL, 10);
	r = ts_next(t);
	cr_assert_eq(r->s.opts.tsecr, 777);
	cr_assert_eq(r->s.opts.tsval, our + 5, "a 1 ms clock");
}

Test(rfc7323, rtt_from_timestamp_echo)
{
	ts_init_opts(t, true, false, false);
	ts_establish(t, 8192);
	ts_write(t, NULL, 100);
	struct rseg *r = ts_next(t);
	uint32_t tsv = r->s.opts.tsval;
	ts_advance(t, 50 * MS);
	struct tcp_opts o = { .present = TCP_OPT_TS, .tsval = 200, .tsecr = tsv };
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 101, .flags = ACK, .wnd = 8192, .opts = o));
	/* RFC 6298 §2.3: 1 ms from the handshake, then 50 ms */
	cr_assert_eq(t->c.srtt, (7 * 1 * MS + 50 * MS) / 8);
}

/* ---- §5 PAWS ---- */

static void
send_ts(struct tsock *s, uint32_t seq, uint8_t flags, uint32_t len, uint32_t tsval)
{
	struct tcp_opts o = { .present = TCP_OPT_TS, .tsval = tsval, .tsecr = 1 };
	ts_send(s, SEG(.seq = seq, .ack = OUR_ISS + 1, .flags = flags, .wnd = 8192, .len = len, .opts = o));
}

Test(rfc7323, paws_drops_old_timestamp)
{
	ts_init_opts(t, true, false, false);
	ts_establish(t, 8192);
	send_ts(t, PEER_ISS + 1, ACK, 100, 500);
	cr_assert_eq(t->rcv_total, 100);
	cr_assert_eq(t->c.ts_recent, 500);
	while (ts_next(t))
		;
	/* R1: an older timestamp: dropped, acknowledged */
	send_ts(t, PEER_ISS + 101, ACK, 100, 499);
	cr_assert_eq(t->rcv_total, 100);
	cr_assert_eq(t->x.mib.paws_drops, 1);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.ack.v, PEER_ISS + 101);
	cr_assert_eq(r->s.opts.tsecr, 500);
	/* a wrapped-around newer value is newer */
	send_ts(t, PEER_ISS + 101, ACK, 100, 500 + 0x7fffffffu);
	cr_assert_eq(t->rcv_total, 200);
}

Test(rfc7323, paws_does_not_apply_to_rst)
{
	ts_init_opts(t, true, false, false);
	ts_establish(t, 8192);
	send_ts(t, PEER_ISS + 1, ACK, 10, 500);
	send_ts(t, PEER_ISS + 11, RST, 0, 5);
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNRESET);
}

Test(rfc7323, paws_forgets_after_24_days)
{
	ts_init_opts(t, true, false, false);
	ts_establish(t, 8192);
	send_ts(t, PEER_ISS + 1, ACK, 10, 0x80000000u);
	while (ts_next(t))
		;
	t->now += 25ull * 86400 * SEC;
	send_ts(t, PEER_ISS + 11, ACK, 10, 5);
	cr_assert_eq(t->rcv_total, 20, "RFC 7323 §5.5: ts.recent was invalid");
}

Test(rfc7323, ts_recent_only_from_segments_at_last_ack)
{
	ts_init_opts(t, true, false, false);
	ts_establish(t, 8192);
	/* an out-of-order segment beyond Last.ACK.sent does not update it */
	send_ts(t, PEER_ISS + 1001, ACK, 100, 900);
	cr_assert_eq(t->c.ts_recent, 100, "from the SYN-ACK");
	send_ts(t, PEER_ISS + 1, ACK, 100, 800);
	cr_assert_eq(t->c.ts_recent, 800);
}

/* ---- RFC 6191 ---- */

static void
to_time_wait(struct tsock *s)
{
	ts_establish(s, 8192);
	ts_close(s);
	ts_expect(s, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	struct tcp_opts o = { .present = s->x.p.timestamps ? TCP_OPT_TS : 0, .tsval = 1000, .tsecr = 1 };
	ts_send(s, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192, .opts = o));
	ts_expect(s, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	cr_assert_eq(s->c.state, TCP_TIME_WAIT);
}

Test(rfc7323, time_wait_reused_by_newer_timestamp)
{
	ts_init_opts(t, true, false, false);
	to_time_wait(t);
	struct tcp_opts o = { .present = TCP_OPT_TS, .tsval = 1001 };
	ts_send(t, SEG(.seq = PEER_ISS + 10, .flags = SYN, .wnd = 8192, .opts = o));
	cr_assert(t->events & TCP_EV_TW_REUSE);
	cr_assert(t->closed);
	cr_assert_eq(t->tw_isn, OUR_ISS + 2 + 65537);
	ts_expect_nothing(t);
}

Test(rfc7323, time_wait_keeps_older_timestamp_syn_out)
{
	ts_init_opts(t, true, false, false);
	to_time_wait(t);
	struct tcp_opts o = { .present = TCP_OPT_TS, .tsval = 999 };
	ts_send(t, SEG(.seq = PEER_ISS + 1000, .flags = SYN, .wnd = 8192, .opts = o));
	cr_assert_not(t->closed);
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
}

Test(rfc7323, time_wait_without_timestamps_by_sequence)
{
	ts_init_opts(t, false, false, false);
	to_time_wait(t);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = SYN, .wnd = 8192));
	cr_assert_not(t->closed, "not beyond RCV.NXT");
	ts_send(t, SEG(.seq = PEER_ISS + 100, .flags = SYN, .wnd = 8192));
	cr_assert(t->events & TCP_EV_TW_REUSE);
	cr_assert(t->closed);
}
