/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 9293 state machine, state by state (§3.3.2 figure 5, §3.5, §3.6,
 * §3.10): opening (active, passive, simultaneous), data, closing (active,
 * passive, simultaneous, half-close), TIME-WAIT, resets, and the errors
 * Linux reports for each.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

static void setup(void) { ts_init(t); }
static void teardown(void) { ts_fini(t); }

TestSuite(tcp_state, .init = setup, .fini = teardown);

/* ---- §3.5 opening ---- */

Test(tcp_state, active_open_sends_syn_with_mss)
{
	ts_connect(t);
	cr_assert_eq(t->c.state, TCP_SYN_SENT);
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1460 };
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN, .wnd = 65535, .wnd_chk = true, .opts = o, .opts_chk = true));
	ts_expect_nothing(t);
	cr_assert_neq(t->deadline, UINT64_MAX, "SYN retransmission timer armed");
}

Test(tcp_state, active_open_established_on_syn_ack)
{
	ts_establish(t, 8192);
	cr_assert(t->events & TCP_EV_ESTABLISHED);
	cr_assert_eq(t->c.snd_wnd, 8192);
	cr_assert_eq(t->c.mss, 1460);
	ts_expect_nothing(t);
}

Test(tcp_state, passive_open)
{
	ts_accept(t, 8192);
	cr_assert_eq(t->l.syn_qlen, 0);
	cr_assert_eq(t->l.accept_qlen, 1);
	tcp_listener_accepted(&t->l, &t->c);
	cr_assert_eq(t->l.accept_qlen, 0);
	ts_expect_nothing(t);
}

Test(tcp_state, syn_sent_unacceptable_ack_gets_rst)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	/* RFC 9293 §3.10.7.3 first: SEG.ACK =< ISS or > SND.NXT */
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 5, .flags = SYN | ACK, .wnd = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 5, .flags = RST));
	cr_assert_eq(t->c.state, TCP_SYN_SENT);
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS, .flags = ACK, .wnd = 100));
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = RST));
	cr_assert_eq(t->c.state, TCP_SYN_SENT);
}

Test(tcp_state, syn_sent_rst_refuses)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = 0, .ack = OUR_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNREFUSED);
	ts_expect_nothing(t);
}

Test(tcp_state, syn_sent_rst_without_ack_ignored)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = 0, .flags = RST));
	cr_assert_not(t->closed);
	cr_assert_eq(t->c.state, TCP_SYN_SENT);
	ts_expect_nothing(t);
}

Test(tcp_state, syn_sent_plain_ack_less_segment_dropped)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = PEER_ISS, .flags = FIN, .wnd = 100));
	ts_expect_nothing(t);
	cr_assert_eq(t->c.state, TCP_SYN_SENT);
}

Test(tcp_state, syn_retransmitted_with_backoff_then_etimedout)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	/* tcp_syn_retries = 6 from 1 s: 1 2 4 8 16 32, failure at 127 s */
	uint64_t waits[] = { 1, 2, 4, 8, 16, 32 };
	for (unsigned i = 0; i < 6; i++) {
		uint64_t d = ts_fire_next(t);
		cr_assert_eq(d, waits[i] * SEC, "retransmission %u after %lu ns", i, (unsigned long)d);
		ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	}
	uint64_t d = ts_fire_next(t);
	cr_assert_eq(d, 64 * SEC);
	cr_assert(t->closed);
	cr_assert_eq(t->err, ETIMEDOUT);
	ts_expect_nothing(t);
}

Test(tcp_state, simultaneous_open)
{
	/* RFC 9293 §3.5 figure 8 */
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = PEER_ISS, .flags = SYN, .wnd = 4000));
	cr_assert_eq(t->c.state, TCP_SYN_RECEIVED);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 4000));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	cr_assert(t->events & TCP_EV_ESTABLISHED);
	ts_expect_nothing(t);
	/* and data flows */
	ts_write(t, NULL, 10);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 10));
}

Test(tcp_state, simultaneous_open_plain_ack_also_completes)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = PEER_ISS, .flags = SYN, .wnd = 4000));
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 4000));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	cr_assert_eq(t->err, 0);
}

Test(tcp_state, simultaneous_open_rst_refused)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = PEER_ISS, .flags = SYN, .wnd = 4000));
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNREFUSED);
}

Test(tcp_state, close_in_syn_received)
{
	/* simultaneous open, then close() before our SYN is acknowledged:
	 * the SYN-ACK keeps being retransmitted, the FIN follows the
	 * establishment (RFC 9293 §3.10.4: FIN-WAIT-1 once it can be sent) */
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = PEER_ISS, .flags = SYN, .wnd = 4000));
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_close(t);
	cr_assert_eq(t->c.state, TCP_SYN_RECEIVED);
	ts_expect_nothing(t);
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 4000));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_1);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 4000));
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
}

Test(tcp_state, syn_received_retransmitted_syn_gets_syn_ack)
{
	tcp_listener_init(&t->l, 16, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 1000 };
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_CREATE);
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	cr_assert_eq(t->l.syn_qlen, 1);
	ts_send(t, SEG(.seq = PEER_ISS, .flags = SYN, .wnd = 1000));
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	cr_assert_eq(t->c.state, TCP_SYN_RECEIVED);
}

Test(tcp_state, syn_received_rst_drops_child_quietly)
{
	tcp_listener_init(&t->l, 16, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 1000 };
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->err, 0, "an embryonic child reports nothing");
	cr_assert_eq(t->l.syn_qlen, 0);
}

Test(tcp_state, syn_received_bad_ack_gets_rst)
{
	tcp_listener_init(&t->l, 16, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 1000 };
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 7, .flags = ACK, .wnd = 1000));
	ts_expect(t, SEG(.seq = OUR_ISS + 7, .flags = RST));
	cr_assert_eq(t->c.state, TCP_SYN_RECEIVED);
}

Test(tcp_state, syn_ack_retransmitted_then_child_dropped)
{
	tcp_listener_init(&t->l, 16, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 1000 };
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	/* tcp_synack_retries = 5 */
	uint64_t waits[] = { 1, 2, 4, 8, 16 };
	for (unsigned i = 0; i < 5; i++) {
		cr_assert_eq(ts_fire_next(t), waits[i] * SEC);
		ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	}
	cr_assert_eq(ts_fire_next(t), 32 * SEC);
	cr_assert(t->closed);
	cr_assert_eq(t->err, 0);
	cr_assert_eq(t->l.syn_qlen, 0);
	ts_expect_nothing(t);
}

/* ---- data in ESTABLISHED ---- */

Test(tcp_state, send_and_ack_releases_ring)
{
	ts_establish(t, 8192);
	ts_write(t, NULL, 100);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 100));
	cr_assert_eq(t->snd_len, 100);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 101, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->snd_len, 0);
	cr_assert(t->events & TCP_EV_WRITABLE);
	ts_expect_nothing(t);
}

Test(tcp_state, receive_in_order_delivers)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK | PSH, .wnd = 8192, .len = 300));
	cr_assert_eq(t->rcv_total, 300);
	for (unsigned i = 0; i < 300; i++)
		cr_assert_eq(t->rcv_stream[i], ts_pat(i));
	cr_assert(t->events & TCP_EV_READABLE);
	/* quick ACK mode at the start: ACKed at once */
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 301, .flags = ACK));
}

Test(tcp_state, segment_larger_than_mss_is_split)
{
	ts_establish(t, 60000);
	ts_write(t, NULL, 3000);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect(t, SEG(.seq = OUR_ISS + 1461, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect(t, SEG(.seq = OUR_ISS + 2921, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 80));
	ts_expect_nothing(t);
}

Test(tcp_state, send_window_limits_output_and_sws)
{
	ts_establish(t, 2000);
	ts_write(t, NULL, 5000);
	/* 540 bytes of window are left: sender SWS avoidance (RFC 9293
	 * §3.8.6.2.1) keeps them until half the window or a full segment */
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1461, .flags = ACK, .wnd = 2000));
	ts_expect(t, SEG(.seq = OUR_ISS + 1461, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2921, .flags = ACK, .wnd = 2000));
	ts_expect(t, SEG(.seq = OUR_ISS + 2921, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 4381, .flags = ACK, .wnd = 2000));
	ts_expect(t, SEG(.seq = OUR_ISS + 4381, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 620));
	ts_expect_nothing(t);
}

Test(tcp_state, window_fragment_of_half_the_window_is_sent)
{
	ts_establish(t, 2000);
	ts_write(t, NULL, 5000);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 1460));
	ts_expect_nothing(t);
	/* 1100 bytes of window: not a full segment, but at least half the
	 * largest window offered (2000) */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1461, .flags = ACK, .wnd = 1100));
	ts_expect(t, SEG(.seq = OUR_ISS + 1461, .ack = PEER_ISS + 1, .flags = ACK, .len = 1100));
	ts_expect_nothing(t);
}

Test(tcp_state, old_duplicate_data_is_acked_not_delivered)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101, .flags = ACK));
	cr_assert_eq(t->rcv_total, 100);
}

Test(tcp_state, partly_old_segment_delivers_new_part)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 101, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 51, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 151, .flags = ACK));
	cr_assert_eq(t->rcv_total, 150);
	for (unsigned i = 0; i < 150; i++)
		cr_assert_eq(t->rcv_stream[i], ts_pat(i));
}

Test(tcp_state, data_beyond_window_is_trimmed)
{
	t->rcv_cap = 1000;
	t->so.rcvbuf = 1000;
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK | FIN, .wnd = 8192, .len = 1500));
	cr_assert_eq(t->rcv_total, 1000);
	cr_assert_eq(t->c.state, TCP_ESTABLISHED, "the FIN was beyond the window");
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1001, .flags = ACK, .wnd = 0, .wnd_chk = true));
}

Test(tcp_state, zero_window_segment_still_acks)
{
	t->rcv_cap = 100;
	t->so.rcvbuf = 100;
	ts_establish(t, 8192);
	ts_write(t, NULL, 10);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 10));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 100));
	ts_expect(t, SEG(.seq = OUR_ISS + 11, .ack = PEER_ISS + 101, .flags = ACK, .wnd = 0, .wnd_chk = true));
	/* a segment at RCV.NXT with a zero window: its ACK counts, its
	 * data does not (RFC 9293 §3.10.7.4, "special allowance") */
	ts_send(t, SEG(.seq = PEER_ISS + 101, .ack = OUR_ISS + 11, .flags = ACK, .wnd = 8192, .len = 1));
	cr_assert_eq(t->snd_len, 0, "the ACK released our data");
	cr_assert_eq(t->rcv_total, 100);
	ts_expect(t, SEG(.seq = OUR_ISS + 11, .ack = PEER_ISS + 101, .flags = ACK, .wnd = 0, .wnd_chk = true));
}

Test(tcp_state, urgent_pointer_tracked_data_inline)
{
	ts_establish(t, 8192);
	/* RFC 6093: the pointer points after the last urgent byte */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 10,
		       .urp = 5));
	cr_assert(t->events & TCP_EV_URGENT);
	cr_assert_eq(t->urg_mark, PEER_ISS + 6);
	cr_assert_eq(t->rcv_total, 10, "urgent data stays in line");
	/* a pointer past the data, and the largest pointer: no trouble */
	ts_send(t, SEG(.seq = PEER_ISS + 11, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 1,
		       .urp = 65535));
	cr_assert_eq(t->urg_mark, PEER_ISS + 11 + 65535);
	cr_assert_eq(t->rcv_total, 11);
}

Test(tcp_state, urgent_send_sets_pointer)
{
	ts_establish(t, 8192);
	t->so.nodelay = true;
	t->snd_len = 0;
	for (uint32_t i = 0; i < 20; i++)
		t->snd[i] = ts_pat(i);
	t->snd_len = 20;
	t->snd_written = 20;
	struct tcp_io io = ts_io(t);
	cr_assert_eq(tcp_send_urgent(&t->x, &t->c, 0, &io, &t->a), -EINVAL);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 20));
	ts_expect_nothing(t);
}

Test(tcp_state, urgent_send_pointer_after_last_urgent_byte)
{
	ts_establish(t, 8192);
	t->so.nodelay = true;
	/* send("abc", MSG_OOB) then more data before the worker looks: the
	 * pointer stays after "abc" */
	for (uint32_t i = 0; i < 20; i++)
		t->snd[i] = ts_pat(i);
	t->snd_len = 20;
	t->snd_written = 20;
	struct tcp_io io = ts_io(t);
	cr_assert_eq(tcp_send_urgent(&t->x, &t->c, 3, &io, &t->a), 0);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH | URG, .len = 20, .urp = 3));
	io = ts_io(t);
	cr_assert_eq(tcp_send_urgent(&t->x, &t->c, 21, &io, &t->a), -EINVAL, "beyond the ring");
	ts_apply(t);
	ts_expect_nothing(t);
	/* acknowledged: later segments carry no URG */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 21, .flags = ACK, .wnd = 8192));
	ts_write(t, NULL, 5);
	ts_expect(t, SEG(.seq = OUR_ISS + 21, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 5));
}

Test(tcp_state, urgent_pointer_linux_rules)
{
	ts_establish(t, 8192);
	/* a zero pointer names the segment's first byte (tcp_check_urg) */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 4,
		       .urp = 0));
	cr_assert(t->events & TCP_EV_URGENT);
	cr_assert_eq(t->urg_mark, PEER_ISS + 2);
	/* a pointer to a byte already received (the segment overlaps
	 * new data): ignored */
	t->events = 0;
	ts_send(t, SEG(.seq = PEER_ISS + 3, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 4,
		       .urp = 1));
	cr_assert_not(t->events & TCP_EV_URGENT);
	cr_assert_eq(t->rcv_total, 6);
	/* not beyond the last pointer: ignored; beyond it: taken */
	ts_send(t, SEG(.seq = PEER_ISS + 7, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 0,
		       .urp = 0));
	cr_assert(t->events & TCP_EV_URGENT, "a zero pointer without data names the next byte");
	cr_assert_eq(t->urg_mark, PEER_ISS + 8);
	t->events = 0;
	ts_send(t, SEG(.seq = PEER_ISS + 7, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 0,
		       .urp = 0));
	cr_assert_not(t->events & TCP_EV_URGENT);
	ts_send(t, SEG(.seq = PEER_ISS + 7, .ack = OUR_ISS + 1, .flags = ACK | URG, .wnd = 8192, .len = 2,
		       .urp = 2));
	cr_assert(t->events & TCP_EV_URGENT);
	cr_assert_eq(t->urg_mark, PEER_ISS + 9);
	cr_assert_eq(t->rcv_total, 8, "urgent data stays in line");
}

/* ---- §3.6 closing ---- */

Test(tcp_state, active_close_through_time_wait)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_1);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_2);
	cr_assert(t->events & TCP_EV_SHUT_WR_DONE);
	ts_expect_nothing(t);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	cr_assert(t->events & TCP_EV_TIME_WAIT);
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_advance(t, 59 * SEC);
	cr_assert_not(t->closed);
	ts_advance(t, 1 * SEC);
	cr_assert(t->closed, "2 MSL (60 s as Linux) over");
	ts_expect_nothing(t);
}

Test(tcp_state, fin_wait_1_fin_and_ack_together)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
}

Test(tcp_state, passive_close)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = FIN | ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_CLOSE_WAIT);
	cr_assert(t->events & TCP_EV_PEER_FIN);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK));
	ts_close(t);
	cr_assert_eq(t->c.state, TCP_LAST_ACK);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192));
	cr_assert(t->closed);
	cr_assert_eq(t->err, 0);
	ts_expect_nothing(t);
}

Test(tcp_state, simultaneous_close)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = FIN | ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_CLOSING);
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	ts_expect_nothing(t);
}

Test(tcp_state, half_close_we_keep_receiving)
{
	ts_establish(t, 8192);
	ts_shutdown_wr(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_2);
	cr_assert_eq(t->deadline, UINT64_MAX, "FIN-WAIT-2 of an open socket has no timeout");
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192, .len = 100));
	cr_assert_eq(t->rcv_total, 100);
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 101, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 101, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 102, .flags = ACK));
}

Test(tcp_state, half_close_peer_we_keep_sending)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK));
	ts_write(t, NULL, 200);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK | PSH, .len = 200));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 201, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->snd_len, 0);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 201, .ack = PEER_ISS + 2, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 202, .flags = ACK, .wnd = 8192));
	cr_assert(t->closed);
}

Test(tcp_state, fin_piggybacks_on_last_data)
{
	ts_establish(t, 8192);
	t->snd_len = 50;
	for (uint32_t i = 0; i < 50; i++)
		t->snd[i] = ts_pat(i);
	t->snd_written = 50;
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK | PSH, .len = 50));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 52, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_2);
	cr_assert_eq(t->released, 50, "the FIN is not a ring byte");
}

Test(tcp_state, fin_retransmitted_in_fin_wait_1)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_1);
}

Test(tcp_state, fin_retransmitted_in_last_ack)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK));
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = FIN | ACK));
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = FIN | ACK));
	cr_assert_eq(t->c.state, TCP_LAST_ACK);
}

Test(tcp_state, time_wait_acks_fin_again_and_restarts_2msl)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_advance(t, 30 * SEC);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_advance(t, 59 * SEC);
	cr_assert_not(t->closed, "the timer restarted");
	ts_advance(t, 1 * SEC);
	cr_assert(t->closed);
}

Test(tcp_state, time_wait_acks_new_data_and_restarts_2msl)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_advance(t, 30 * SEC);
	/* data after the peer's FIN (a broken peer): Linux answers with
	 * the TIME-WAIT ACK, delivers nothing, and restarts 2 MSL */
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 2, .flags = ACK | PSH, .wnd = 8192, .len = 3));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	cr_assert_eq(t->rcv_total, 0);
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	/* a bare ACK at RCV.NXT gets no answer */
	ts_send(t, SEG(.seq = PEER_ISS + 2, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192));
	ts_expect_nothing(t);
	ts_advance(t, 59 * SEC);
	cr_assert_not(t->closed, "the timer restarted");
	ts_advance(t, 1 * SEC);
	cr_assert(t->closed);
}

Test(tcp_state, orphan_fin_wait_2_times_out)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_FIN_WAIT_2);
	ts_advance(t, 60 * SEC);
	cr_assert(t->closed, "tcp_fin_timeout");
	ts_expect_nothing(t);
}

/* tcp_max_orphans (Linux's tcp_check_oom at close, tcp_out_of_resources
 * on a timer): an orphan is counted until it is done or in TIME-WAIT; one
 * beyond the limit is reset after its FIN. */
Test(tcp_state, orphans_counted_until_time_wait)
{
	t->x.p.max_orphans = 1;
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_expect_nothing(t);
	cr_assert_eq(t->x.orphans, 1);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	cr_assert_eq(t->c.state, TCP_TIME_WAIT);
	cr_assert_eq(t->x.orphans, 0, "a TIME-WAIT connection is not an orphan");
	cr_assert_eq(t->x.mib.abort_on_memory, 0);
}

Test(tcp_state, orphan_beyond_limit_reset_at_close)
{
	t->x.p.max_orphans = 1;
	t->x.orphans = 1;	/* another connection of the context */
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
	cr_assert_eq(t->x.orphans, 1, "the reset one left the count");
	cr_assert_eq(t->x.mib.abort_on_memory, 1);
}

Test(tcp_state, orphan_beyond_limit_reset_at_rto)
{
	t->x.p.max_orphans = 1;
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	cr_assert_not(t->closed);
	t->x.orphans++;		/* another orphan since */
	ts_fire_next(t);	/* the FIN's retransmission timer */
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
	cr_assert_eq(t->x.orphans, 1);
	cr_assert_eq(t->x.mib.abort_on_memory, 1);
}

Test(tcp_state, data_after_close_resets)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = ACK, .wnd = 8192, .len = 10));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
	cr_assert_eq(t->x.mib.abort_on_data, 1);
}

Test(tcp_state, close_with_unread_data_resets)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = 10));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 11, .flags = ACK));
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 11, .flags = RST | ACK));
	cr_assert(t->closed);
	cr_assert_eq(t->err, 0, "the socket is gone: nobody to tell");
}

Test(tcp_state, linger_zero_resets)
{
	ts_establish(t, 8192);
	struct tcp_io io = ts_io(t);
	tcp_close(&t->x, &t->c, 0, true, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
}

Test(tcp_state, abort_resets)
{
	ts_establish(t, 8192);
	struct tcp_io io = ts_io(t);
	tcp_abort(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
}

Test(tcp_state, close_in_syn_sent_sends_nothing)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_close(t);
	cr_assert(t->closed);
	ts_expect_nothing(t);
}

Test(tcp_state, shutdown_errors)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_io io = ts_io(t);
	t->a.events = TCP_EV_CLOSED; /* left over from an earlier call */
	cr_assert_eq(tcp_shutdown(&t->x, &t->c, 7, &io, &t->a), -EINVAL);
	cr_assert_eq(t->a.events, 0, "the actions are reset even on an error");
	cr_assert_eq(t->a.nsegs, 0);
	cr_assert_eq(tcp_shutdown(&t->x, &t->c, 1, &io, &t->a), 0);
	ts_apply(t);
	cr_assert(t->closed);
	cr_assert_eq(tcp_shutdown(&t->x, &t->c, 1, &io, &t->a), -ENOTCONN);
}

/* ---- resets (RFC 9293 §3.5.2, Linux's errno) ---- */

Test(tcp_state, rst_in_established_is_econnreset)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNRESET);
	ts_expect_nothing(t);
	cr_assert_eq(t->x.mib.estab_resets, 1);
}

Test(tcp_state, rst_in_close_wait_is_epipe)
{
	ts_establish(t, 8192);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 2, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->err, EPIPE);
}

Test(tcp_state, rst_in_fin_wait_states)
{
	ts_establish(t, 8192);
	ts_shutdown_wr(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST | ACK, .ack = OUR_ISS + 1));
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNRESET);
}

Test(tcp_state, rst_in_time_wait_closes_quietly)
{
	ts_establish(t, 8192);
	ts_close(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = FIN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 2, .flags = FIN | ACK, .wnd = 8192));
	ts_expect(t, SEG(.seq = OUR_ISS + 2, .ack = PEER_ISS + 2, .flags = ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 2, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->err, 0);
}

Test(tcp_state, segment_for_closed_gets_rst)
{
	/* RFC 9293 §3.10.7.1 */
	struct tcp_out_seg o;
	struct tcp_seg in = { .seq = seq_make(77), .ack = seq_make(99), .flags = TCP_ACK, .len = 10 };
	cr_assert(tcp_rst_reply(&in, &o));
	cr_assert_eq(o.seq.v, 99);
	cr_assert_eq(o.flags, TCP_RST);
	struct tcp_seg syn = { .seq = seq_make(77), .flags = TCP_SYN, .len = 3 };
	cr_assert(tcp_rst_reply(&syn, &o));
	cr_assert_eq(o.seq.v, 0);
	cr_assert_eq(o.ack.v, 81);
	cr_assert_eq(o.flags, TCP_RST | TCP_ACK);
	struct tcp_seg rst = { .flags = TCP_RST };
	cr_assert_not(tcp_rst_reply(&rst, &o), "never a RST for a RST");
	struct tcp_seg fin = { .seq = seq_make(0xffffffff), .flags = TCP_FIN };
	cr_assert(tcp_rst_reply(&fin, &o));
	cr_assert_eq(o.ack.v, 0, "wraps");
}

Test(tcp_state, state_names)
{
	cr_assert_str_eq(tcp_state_name(TCP_SYN_SENT), "SYN-SENT");
	cr_assert_str_eq(tcp_state_name(TCP_TIME_WAIT), "TIME-WAIT");
	cr_assert_str_eq(tcp_state_name((enum tcp_state)99), "?");
}

/* ---- MSS (RFC 9293 §3.7.1, RFC 6691, CVE-2019-11477) ---- */

static void
establish_with_mss(struct tsock *s, uint16_t mss, bool present)
{
	ts_connect(s);
	ts_expect(s, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_opts o = { .present = present ? TCP_OPT_MSS : 0, .mss = mss };
	ts_send(s, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 65535, .opts = o));
	ts_expect(s, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
}

Test(tcp_state, default_mss_without_option)
{
	establish_with_mss(t, 0, false);
	cr_assert_eq(t->c.mss, 536);
	ts_write(t, NULL, 1000);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 536));
	ts_expect(t, SEG(.seq = OUR_ISS + 537, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 464));
}

Test(tcp_state, tiny_mss_is_floored)
{
	establish_with_mss(t, 1, true);
	cr_assert_eq(t->c.mss, 48, "tcp_min_snd_mss");
	establish_with_mss(t, 0, true);
	cr_assert_eq(t->c.mss, 536, "MSS 0 taken as absent");
}

Test(tcp_state, mss_bounded_by_our_mtu)
{
	t->mtu = 1280;
	establish_with_mss(t, 9000, true);
	cr_assert_eq(t->c.mss, 1240);
	cr_assert_eq(t->c.adv_mss, 1240);
}

Test(tcp_state, maxseg_caps_advertised_and_sent)
{
	t->so.user_mss = 1000;
	ts_connect(t);
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1000 };
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN, .opts = o, .opts_chk = true));
	struct tcp_opts p = { .present = TCP_OPT_MSS, .mss = 1460 };
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 65535, .opts = p));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
	cr_assert_eq(t->c.mss, 1000);
	struct tcp_io io = ts_io(t);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_MAXSEG, 87, &io, &t->a), -EINVAL);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_MAXSEG, 32768, &io, &t->a), -EINVAL);
	cr_assert_eq(tcp_setsockopt(&t->x, &t->c, TCP_SO_MAXSEG, 500, &io, &t->a), 0);
	ts_apply(t);
	cr_assert_eq(t->c.mss, 500);
}

/* ---- ICMP (RFC 1191, RFC 5927) ---- */

Test(tcp_state, frag_needed_lowers_mss_and_resends)
{
	ts_establish(t, 60000);
	ts_write(t, NULL, 1460);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 1460));
	/* a quoted sequence number outside [SND.UNA, SND.NXT): ignored */
	struct tcp_io io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_FRAG_NEEDED, OUR_ISS + 5000, 1000, 0, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(t->c.mss, 1460);
	cr_assert_eq(t->x.mib.icmp_ignored, 1);
	ts_expect_nothing(t);
	io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_FRAG_NEEDED, OUR_ISS + 1, 1000, 0, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(t->c.pmtu, 1000);
	cr_assert_eq(t->c.mss, 960);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 960));
	/* the rest follows as the window allows (cwnd was kept) */
	ts_expect(t, SEG(.seq = OUR_ISS + 961, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 500));
	/* never below the minimum PMTU */
	io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_FRAG_NEEDED, OUR_ISS + 1, 68, 0, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(t->c.pmtu, 552);
}

Test(tcp_state, icmp_hard_error_while_connecting)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_io io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_HARD, OUR_ISS + 1, 0, ECONNREFUSED, &io, &t->a);
	ts_apply(t);
	cr_assert_not(t->closed, "quoted sequence number is not the ISN");
	tcp_icmp(&t->x, &t->c, TCP_ICMP_HARD, OUR_ISS, 0, ECONNREFUSED, &io, &t->a);
	ts_apply(t);
	cr_assert(t->closed);
	cr_assert_eq(t->err, ECONNREFUSED);
}

Test(tcp_state, icmp_soft_error_reported_on_timeout)
{
	ts_establish(t, 8192);
	ts_write(t, NULL, 100);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 100));
	struct tcp_io io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_HARD, OUR_ISS + 1, 0, EHOSTUNREACH, &io, &t->a);
	ts_apply(t);
	cr_assert_not(t->closed, "established: kept as the soft error (no IP_RECVERR)");
	t->c.so.user_timeout_ms = 5000;
	ts_advance(t, 10 * SEC);
	cr_assert(t->closed);
	cr_assert_eq(t->err, EHOSTUNREACH);
}
