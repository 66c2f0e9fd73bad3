/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sender's SACK scoreboard (RFC 2018, RFC 6675): blocks mark what the
 * receiver holds, IsLost() decides what to retransmit, pipe governs how
 * much is in flight during recovery, D-SACK is recognised (RFC 2883), and
 * hostile blocks (out of range, or splitting the scoreboard into
 * fragments) cannot make it grow or cost more than its bound.
 */
#include <criterion/criterion.h>

#include "tcp/tcp_impl.h" /* tcp_pipe() */
#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

#define MSS 1460u
#define D(k) (OUR_ISS + 1 + (k) * MSS) /* sequence number of segment k */

static void
setup(void)
{
	ts_init_opts(t, false, true, false);
	/* RFC 6675 alone here; RACK-TLP has its own tests */
	t->x.p.rack = false;
	t->x.p.tlp = false;
	ts_establish(t, 65535);
}
static void teardown(void) { ts_fini(t); }

TestSuite(sack, .init = setup, .fini = teardown);

/* the peer acknowledges ack with SACK blocks given as segment ranges */
static void
sack(uint32_t ack, unsigned n, const uint32_t *segs)
{
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = (uint8_t)n };
	for (unsigned k = 0; k < n; k++) {
		o.sack[k].start = D(segs[2 * k]);
		o.sack[k].end = D(segs[2 * k + 1]);
	}
	if (n == 0)
		o.present = 0;
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = ack, .flags = ACK, .wnd = 65535, .opts = o));
}

static unsigned
drain(void)
{
	unsigned n = 0;
	while (ts_next(t))
		n++;
	return n;
}

Test(sack, blocks_mark_scoreboard)
{
	ts_write(t, NULL, 10 * MSS);
	cr_assert_eq(drain(), 10);
	sack(D(0), 1, (uint32_t[]){ 2, 4 });
	cr_assert_eq(t->c.sacked_bytes, 2 * MSS);
	cr_assert_eq(t->c.ca_state, TCP_CA_DISORDER);
	cr_assert_eq(t->c.lost_bytes, 0);
	cr_assert_eq(tcp_pipe(&t->c), 8 * MSS);
	ts_expect_nothing(t);
}

Test(sack, three_sacked_segments_trigger_fast_retransmit)
{
	ts_write(t, NULL, 20 * MSS);
	cr_assert_eq(drain(), 10, "IW10");
	/* the first two duplicate ACKs each let one new segment out (RFC
	 * 3042 limited transmit: a SACKed segment left the network) */
	sack(D(0), 1, (uint32_t[]){ 1, 2 });
	ts_expect(t, SEG(.seq = D(10), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	sack(D(0), 1, (uint32_t[]){ 1, 3 });
	ts_expect(t, SEG(.seq = D(11), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	/* RFC 6675 IsLost: DupThresh segments SACKed above segment 0 */
	sack(D(0), 1, (uint32_t[]){ 1, 4 });
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	cr_assert_eq(t->c.ssthresh, 10220, "CUBIC: 0.7 of 10 segments");
	cr_assert_eq(t->c.cwnd, t->c.ssthresh);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	/* pipe = 12 out - 3 SACKed - 1 lost + 1 retransmitted = 9 > 7 */
	cr_assert_eq(tcp_pipe(&t->c), 9 * MSS);
	ts_expect_nothing(t);
	sack(D(0), 1, (uint32_t[]){ 1, 5 });
	ts_expect_nothing(t);
	sack(D(0), 1, (uint32_t[]){ 1, 6 });
	ts_expect_nothing(t);
	sack(D(0), 1, (uint32_t[]){ 1, 7 });
	/* pipe 6 < cwnd 7: one new segment */
	ts_expect(t, SEG(.seq = D(12), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	/* the retransmission arrives: a full ACK ends recovery */
	sack(D(13), 0, NULL);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->c.cwnd, t->c.ssthresh);
	cr_assert_eq(t->x.mib.sack_recoveries, 1);
}

Test(sack, second_hole_retransmitted_in_recovery)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	/* 0 and 4 lost */
	sack(D(0), 2, (uint32_t[]){ 5, 8, 1, 4 });
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	/* both holes have 3 SACKed segments above them */
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	struct rseg *r = ts_next(t);
	if (r == NULL) {
		/* pipe allowed only one: the partial ACK brings the next */
		sack(D(4), 1, (uint32_t[]){ 5, 8 });
		r = ts_next(t);
	}
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, D(4), "the second hole");
	cr_assert_eq(r->s.data_len, MSS);
}

Test(sack, invalid_blocks_ignored)
{
	ts_write(t, NULL, 5 * MSS);
	drain();
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = 4 };
	o.sack[0] = (struct tcp_sack_block){ D(2), D(9) };           /* beyond SND.NXT */
	o.sack[1] = (struct tcp_sack_block){ D(3), D(2) };           /* reversed */
	o.sack[2] = (struct tcp_sack_block){ D(1), D(1) };           /* empty */
	o.sack[3] = (struct tcp_sack_block){ OUR_ISS - 5000, D(1) }; /* below SND.UNA */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(0), .flags = ACK, .wnd = 65535, .opts = o));
	cr_assert_eq(t->c.sacked_bytes, 0);
	cr_assert_geq(t->x.mib.sack_blocks_ignored, 3);
	cr_assert_eq(t->c.ntx, 1);
}

Test(sack, dsack_recognised)
{
	ts_write(t, NULL, 5 * MSS);
	drain();
	sack(D(2), 0, NULL);
	/* RFC 2883 §4: a first block below the cumulative ACK */
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = 1 };
	o.sack[0] = (struct tcp_sack_block){ D(0), D(1) };
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(2), .flags = ACK, .wnd = 65535, .opts = o));
	cr_assert_eq(t->x.mib.dsack_recv, 1);
	cr_assert_eq(t->c.sacked_bytes, 0);
	/* or inside the second block */
	o.nsack = 2;
	o.sack[0] = (struct tcp_sack_block){ D(3), D(4) };
	o.sack[1] = (struct tcp_sack_block){ D(3), D(5) };
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(2), .flags = ACK, .wnd = 65535, .opts = o));
	cr_assert_eq(t->x.mib.dsack_recv, 2);
	cr_assert_eq(t->c.sacked_bytes, 2 * MSS, "the second block still counts");
}

/* An adversary SACKs every other segment of a long flight to split the
 * scoreboard into one entry per segment. It stays within TCP_TXQ_MAX. */
Test(sack, fragmenting_blocks_stay_bounded)
{
	t->c.cwnd = 400 * MSS;
	t->c.snd_wnd = 1u << 30;
	t->c.max_snd_wnd = 1u << 30;
	ts_write(t, NULL, 300 * MSS);
	cr_assert_eq(drain(), 300);
	cr_assert_eq(t->c.ntx, 1, "one burst, one entry");
	for (uint32_t k = 1; k + 8 < 300; k += 8) {
		uint32_t b[8] = { k, k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7 };
		sack(D(0), 4, b);
		cr_assert_leq(t->c.ntx, TCP_TXQ_MAX);
		drain();
	}
	cr_assert_eq(t->c.ntx, TCP_TXQ_MAX, "full, not beyond");
	cr_assert_gt(t->x.mib.sack_blocks_ignored, 0, "the rest was ignored, counted");
	/* everything still works: a cumulative ACK clears it */
	sack(D(300), 0, NULL);
	cr_assert_eq(t->c.ntx, 0);
	cr_assert_eq(t->snd_len, 0, "every byte released");
}

Test(sack, rto_discards_sack_information)
{
	ts_write(t, NULL, 5 * MSS);
	drain();
	sack(D(0), 1, (uint32_t[]){ 2, 4 });
	ts_fire_next(t);
	/* RFC 6675 §5.1: the receiver may have reneged; everything from
	 * SND.UNA is resent, one segment at a time in slow start */
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
	cr_assert_eq(t->c.sacked_bytes, 0);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	sack(D(1), 0, NULL);
	ts_expect(t, SEG(.seq = D(1), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect(t, SEG(.seq = D(2), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
}

Test(sack, reneging_receiver_does_not_stall)
{
	ts_write(t, NULL, 6 * MSS);
	drain();
	/* SACKs 1-5, then forgets them (never ACKs beyond 0) */
	sack(D(0), 1, (uint32_t[]){ 1, 6 });
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	sack(D(1), 0, NULL);
	/* the RTO resends what it claimed to have */
	ts_fire_next(t);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, D(1));
}

/* RFC 3708: the segment fast-retransmitted was only reordered; the D-SACK
 * for the retransmission undoes the window reduction. */
Test(sack, spurious_fast_retransmit_undone_by_dsack)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	uint32_t cwnd0 = t->c.cwnd;
	sack(D(0), 1, (uint32_t[]){ 1, 4 });
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	drain();
	/* the original arrives: a full ACK ends recovery at ssthresh */
	sack(D(10), 0, NULL);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_lt(t->c.cwnd, cwnd0);
	cr_assert_eq(t->x.mib.dsack_undo, 0);
	/* a D-SACK for a segment never retransmitted (duplicated by the
	 * network) proves nothing */
	sack(D(10), 1, (uint32_t[]){ 5, 6 });
	cr_assert_eq(t->x.mib.dsack_undo, 0);
	cr_assert_lt(t->c.cwnd, cwnd0);
	/* then the retransmission arrives too: reported twice, undone */
	sack(D(10), 1, (uint32_t[]){ 0, 1 });
	cr_assert_eq(t->x.mib.dsack_recv, 2);
	cr_assert_eq(t->x.mib.dsack_undo, 1);
	cr_assert_eq(t->c.cwnd, cwnd0, "cwnd %u, before the episode %u", t->c.cwnd, cwnd0);
	cr_assert_geq(t->c.ssthresh, cwnd0 / 2 + cwnd0 / 4);
	/* once only */
	sack(D(10), 1, (uint32_t[]){ 0, 1 });
	cr_assert_eq(t->x.mib.dsack_undo, 1);
}

/* A D-SACK that arrives during recovery waits for its end, then undoes
 * instead of setting the window to ssthresh. */
Test(sack, dsack_during_recovery_undoes_at_its_end)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	uint32_t cwnd0 = t->c.cwnd;
	sack(D(0), 1, (uint32_t[]){ 1, 4 });
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	drain();
	/* the original and then the copy of segment 0 arrived, in that
	 * order, before the rest: a partial ACK with a D-SACK */
	sack(D(4), 1, (uint32_t[]){ 0, 1 });
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	cr_assert_eq(t->x.mib.dsack_undo, 0);
	sack(D(10), 0, NULL);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->x.mib.dsack_undo, 1);
	cr_assert_eq(t->c.cwnd, cwnd0);
}

/* A real loss: the retransmission is the only copy, no D-SACK comes, the
 * reduction stays (three_sacked_segments_trigger_fast_retransmit checks
 * the window; here the count). */
Test(sack, genuine_loss_not_undone)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	sack(D(0), 1, (uint32_t[]){ 1, 4 });
	drain();
	sack(D(10), 0, NULL);
	cr_assert_eq(t->c.cwnd, t->c.ssthresh);
	cr_assert_eq(t->x.mib.dsack_undo, 0);
}

/* A spurious timeout: the ACKs were only late. The retransmission comes
 * back D-SACKed and the loss window (one segment) is undone. */
Test(sack, spurious_rto_undone_by_dsack)
{
	/* F-RTO would find this one spurious at the late ACK already
	 * (frto/full_ack_after_a_timeout_undoes); without it, the D-SACK */
	t->x.p.frto = false;
	ts_write(t, NULL, 10 * MSS);
	drain();
	uint32_t cwnd0 = t->c.cwnd;
	ts_fire_next(t);
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
	cr_assert_eq(t->c.cwnd, MSS);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	drain();
	/* the late ACK for everything, then the D-SACK for the copy */
	sack(D(10), 0, NULL);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->x.mib.dsack_undo, 0);
	sack(D(10), 1, (uint32_t[]){ 0, 1 });
	cr_assert_eq(t->x.mib.dsack_undo, 1);
	cr_assert_eq(t->c.cwnd, cwnd0);
}

/* The peer closed its window on data already sent (Linux does when its
 * receive memory runs short): our ACKs then carry the window's end as
 * their sequence number, as Linux's tcp_acceptable_seq, or a peer at zero
 * window finds them beyond its window and ignores what they acknowledge. */
Test(sack, ack_seq_within_a_window_the_peer_closed)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(2), .flags = ACK, .wnd = 0));
	drain();
	/* data from the peer: acknowledged at once, from inside its window */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = D(2), .flags = ACK | PSH, .wnd = 0, .len = 100));
	ts_expect(t, SEG(.seq = D(2), .ack = PEER_ISS + 101, .flags = ACK));
	/* and so does the reset of a close with those 100 bytes unread */
	ts_close(t);
	ts_expect(t, SEG(.seq = D(2), .ack = PEER_ISS + 101, .flags = RST | ACK));
}

/*
 * F-RTO (RFC 5682 §3.1, SACK-enhanced, Linux's default): after a timeout,
 * the first ACK that advances sends new data instead of retransmitting
 * more; the next tells a spurious timeout (data sent before it, never
 * retransmitted, arrives) from a real loss (the receiver still misses the
 * old data and reports the new).
 */
TestSuite(frto, .init = setup, .fini = teardown);

Test(frto, spurious_timeout_found_with_new_data)
{
	ts_write(t, NULL, 20 * MSS);
	cr_assert_eq(drain(), 10, "IW10");
	uint32_t cwnd0 = t->c.cwnd;
	ts_fire_next(t);
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
	cr_assert(t->c.frto);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	/* segment 0 arrives: new data (10, 11), not segment 1 again */
	sack(D(1), 0, NULL);
	ts_expect(t, SEG(.seq = D(10), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect(t, SEG(.seq = D(11), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect_nothing(t);
	/* the originals of 1-9 were only late: acknowledged, never resent */
	sack(D(10), 0, NULL);
	cr_assert_eq(t->x.mib.frto_undo, 1);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->c.cwnd, cwnd0, "cwnd %u, before the timeout %u", t->c.cwnd, cwnd0);
	cr_assert_eq(t->c.lost_bytes, 0);
}

Test(frto, real_loss_goes_on_with_the_conventional_recovery)
{
	ts_write(t, NULL, 20 * MSS);
	drain();
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = D(0), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	sack(D(1), 0, NULL);
	ts_expect(t, SEG(.seq = D(10), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	ts_expect(t, SEG(.seq = D(11), .ack = PEER_ISS + 1, .flags = ACK, .len = MSS));
	/* 1-9 were lost: the receiver reports only the new data */
	sack(D(1), 1, (uint32_t[]){ 10, 11 });
	cr_assert_not(t->c.frto);
	sack(D(1), 1, (uint32_t[]){ 10, 12 });
	cr_assert_eq(t->x.mib.frto_undo, 0);
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
	/* the retransmissions go on from segment 1 */
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, D(1));
}

/* The full ACK after a timeout covers data never retransmitted: spurious,
 * undone at once (Linux's tcp_try_undo_loss(sk, true)). */
Test(frto, full_ack_after_a_timeout_undoes)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	uint32_t cwnd0 = t->c.cwnd;
	ts_fire_next(t);
	drain();
	sack(D(10), 0, NULL);
	cr_assert_eq(t->x.mib.frto_undo, 1);
	cr_assert_eq(t->c.cwnd, cwnd0);
}

/* Segments SACKed before the timeout (RFC 6675 §5.1 wipes the
 * scoreboard) are no proof when they are acknowledged later. */
Test(frto, data_sacked_before_the_timeout_proves_nothing)
{
	ts_write(t, NULL, 10 * MSS);
	drain();
	sack(D(0), 1, (uint32_t[]){ 1, 2 }); /* one SACKed segment: no recovery yet */
	cr_assert_eq(t->c.ca_state, TCP_CA_DISORDER);
	ts_fire_next(t);
	cr_assert(t->c.frto);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, D(0));
	drain();
	/* the retransmission of 0 fills the hole: the ACK covers 1 (SACKed
	 * before) only, and the retransmitted 0 */
	sack(D(2), 0, NULL);
	cr_assert_eq(t->x.mib.frto_undo, 0);
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
}

/*
 * Eifel detection (RFC 3522, Linux's tcp_packet_delayed): with timestamps,
 * an ACK that echoes a TSval older than the episode's first retransmission
 * was sent for an original transmission, so the episode was spurious: the
 * window comes back at once and nothing more is retransmitted for it.
 */
/* with timestamps a full segment carries 1448 bytes */
#define MSS_TS 1448u
#define DT(k) (OUR_ISS + 1 + (k) * MSS_TS)

static uint32_t peer_tsval = 101;

static void
setup_ts(void)
{
	ts_init_opts(t, true, true, false);
	t->x.p.rack = false;
	t->x.p.tlp = false;
	ts_establish(t, 65535);
	peer_tsval = 101;
}

TestSuite(eifel, .init = setup_ts, .fini = teardown);

/* the peer acknowledges ack, echoing tsecr, with SACK blocks as segment
 * ranges */
static void
ack_ts(uint32_t ack, uint32_t tsecr, unsigned n, const uint32_t *segs)
{
	struct tcp_opts o = { .present = TCP_OPT_TS, .tsval = peer_tsval++, .tsecr = tsecr };
	o.nsack = (uint8_t)n;
	if (n)
		o.present |= TCP_OPT_SACK;
	for (unsigned k = 0; k < n; k++) {
		o.sack[k].start = DT(segs[2 * k]);
		o.sack[k].end = DT(segs[2 * k + 1]);
	}
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = ack, .flags = ACK, .wnd = 65535, .opts = o));
}

/* ten segments out; returns the TSval they carry */
static uint32_t
send_ten(void)
{
	ts_write(t, NULL, 10 * MSS_TS);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	uint32_t tsv = r->s.opts.tsval;
	cr_assert(r->s.opts.present & TCP_OPT_TS);
	drain();
	return tsv;
}

Test(eifel, spurious_rto_undone_by_the_echoed_timestamp)
{
	uint32_t t0 = send_ten(), cwnd0 = t->c.cwnd;
	ts_fire_next(t);
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, DT(0));
	cr_assert_gt(r->s.opts.tsval, t0, "the retransmission is stamped later");
	ts_expect_nothing(t);
	/* the ACK for the original of segment 0, only late: echoes t0 */
	ack_ts(DT(1), t0, 0, NULL);
	cr_assert_eq(t->x.mib.eifel_undo, 1);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->c.cwnd, cwnd0, "cwnd %u, before the timeout %u", t->c.cwnd, cwnd0);
	cr_assert_eq(t->c.lost_bytes, 0);
	/* segments 1-9 are in flight, not lost: no go-back-N */
	ts_expect_nothing(t);
	ack_ts(DT(10), t0, 0, NULL);
	cr_assert_eq(t->x.mib.eifel_undo, 1);
	cr_assert_eq(t->x.mib.dsack_undo, 0);
}

Test(eifel, genuine_rto_not_undone)
{
	uint32_t t0 = send_ten();
	ts_fire_next(t);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	uint32_t t1 = r->s.opts.tsval;
	(void)t0;
	/* the retransmission filled the hole: the ACK echoes its stamp */
	ack_ts(DT(1), t1, 0, NULL);
	cr_assert_eq(t->x.mib.eifel_undo, 0);
	cr_assert_eq(t->c.ca_state, TCP_CA_LOSS);
	/* go-back-N goes on: segment 1 is retransmitted */
	r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, DT(1));
}

Test(eifel, spurious_fast_retransmit_undone_by_the_echoed_timestamp)
{
	uint32_t t0 = send_ten(), cwnd0 = t->c.cwnd;
	ts_advance(t, 5 * 1000000ull); /* the retransmission's tick is later */
	ack_ts(DT(0), t0, 1, (uint32_t[]){ 1, 4 });
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	struct rseg *r = ts_next(t);
	cr_assert_not_null(r);
	cr_assert_eq(r->s.seq.v, DT(0));
	drain();
	/* segment 0 was only reordered: its original is acknowledged */
	ack_ts(DT(10), t0, 0, NULL);
	cr_assert_eq(t->x.mib.eifel_undo, 1);
	cr_assert_eq(t->c.ca_state, TCP_CA_OPEN);
	cr_assert_eq(t->c.cwnd, cwnd0);
}

/* the retransmission and the original in the same millisecond tick
 * cannot be told apart: not undone (the reduction stays) */
Test(eifel, same_tick_not_undone)
{
	uint32_t t0 = send_ten();
	ack_ts(DT(0), t0, 1, (uint32_t[]){ 1, 4 });
	cr_assert_eq(t->c.ca_state, TCP_CA_RECOVERY);
	drain();
	ack_ts(DT(10), t0, 0, NULL);
	cr_assert_eq(t->x.mib.eifel_undo, 0);
	cr_assert_lt(t->c.cwnd, 10 * MSS_TS);
}
