/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The out-of-order queue (RFC 9293 §3.10.7.4 seventh, RFC 5681 §4.2) and
 * the SACK blocks describing it (RFC 2018 §4, RFC 2883 D-SACK): bytes
 * placed in the receive ring past its write point and published when the
 * hole fills, ranges merging, duplicates, a FIN beyond a hole, the bounds
 * (the window's bytes; a count of ranges that never evicts SACKed data),
 * and progress whatever was dropped.
 */
#include <criterion/criterion.h>

#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

static void
setup(void)
{
	ts_init_opts(t, false, true, false);
	ts_establish(t, 8192);
}
static void teardown(void) { ts_fini(t); }

TestSuite(reass, .init = setup, .fini = teardown);

#define P(off) (PEER_ISS + 1 + (off))

static void
data(uint32_t off, uint32_t len)
{
	ts_send(t, SEG(.seq = P(off), .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192, .len = len));
}

/* the next ACK, with these SACK blocks (pairs of offsets) */
static void
expect_sack(uint32_t ack_off, unsigned n, const uint32_t *blocks)
{
	struct tcp_opts o = { .present = n ? TCP_OPT_SACK : 0, .nsack = (uint8_t)n };
	for (unsigned k = 0; k < n; k++) {
		o.sack[k].start = P(blocks[2 * k]);
		o.sack[k].end = P(blocks[2 * k + 1]);
	}
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = P(ack_off), .flags = ACK, .opts = o, .opts_chk = true));
}

static void
check_stream(uint64_t n)
{
	cr_assert_eq(t->rcv_total, n, "delivered %lu bytes, expected %lu", (unsigned long)t->rcv_total,
		     (unsigned long)n);
	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(t->rcv_stream[i], ts_pat(i), "stream byte %lu wrong", (unsigned long)i);
}

Test(reass, hole_then_fill)
{
	data(100, 100);
	cr_assert_eq(t->a.ndeliver, 1, "placed in the ring at once");
	cr_assert_eq(t->a.deliver[0].at, 100, "at its offset past the write point");
	cr_assert_eq(t->a.publish, 0, "not readable yet");
	cr_assert_eq(t->rcv_total, 0);
	expect_sack(0, 1, (uint32_t[]){ 100, 200 });
	data(300, 100);
	/* RFC 2018 §4: the most recent block first */
	expect_sack(0, 2, (uint32_t[]){ 300, 400, 100, 200 });
	data(0, 100);
	expect_sack(200, 1, (uint32_t[]){ 300, 400 });
	check_stream(200);
	data(200, 100);
	expect_sack(400, 0, NULL);
	check_stream(400);
	cr_assert_eq(t->c.nooo, 0);
}

Test(reass, adjacent_segments_make_one_block)
{
	data(100, 100);
	expect_sack(0, 1, (uint32_t[]){ 100, 200 });
	data(200, 100);
	expect_sack(0, 1, (uint32_t[]){ 100, 300 });
	data(500, 100);
	expect_sack(0, 2, (uint32_t[]){ 500, 600, 100, 300 });
	data(50, 50);
	expect_sack(0, 2, (uint32_t[]){ 50, 300, 500, 600 });
	cr_assert_eq(t->c.nooo, 2, "adjacent data is one range");
	cr_assert_eq(t->c.ooo_bytes, 350);
}

Test(reass, sack_order_refreshes_with_new_data)
{
	data(100, 10);
	data(200, 10);
	data(300, 10);
	data(400, 10);
	while (ts_next(t))
		;
	/* a segment extending the block at 200 makes it the most recent */
	data(210, 10);
	expect_sack(0, 4, (uint32_t[]){ 200, 220, 400, 410, 300, 310, 100, 110 });
	/* five blocks: only four fit, the oldest is left out */
	data(500, 10);
	expect_sack(0, 4, (uint32_t[]){ 500, 510, 200, 220, 400, 410, 300, 310 });
}

Test(reass, duplicate_is_dropped_and_dsacked)
{
	data(100, 100);
	ts_next(t);
	data(100, 100);
	cr_assert_eq(t->a.ndeliver, 0, "an exact duplicate is not copied again");
	cr_assert_eq(t->x.mib.ooo_dup, 1);
	/* RFC 2883: the duplicate range first, then the block */
	expect_sack(0, 2, (uint32_t[]){ 100, 200, 100, 200 });
	/* a part of a held one is a duplicate too */
	data(120, 30);
	expect_sack(0, 2, (uint32_t[]){ 120, 150, 100, 200 });
	/* an old segment below RCV.NXT */
	data(0, 100);
	expect_sack(200, 0, NULL);
	data(0, 50);
	expect_sack(200, 1, (uint32_t[]){ 0, 50 });
	check_stream(200);
}

Test(reass, overlap_on_both_sides_is_trimmed)
{
	data(100, 100); /* [100,200) */
	data(300, 100); /* [300,400) */
	while (ts_next(t))
		;
	/* [150, 350): only [200, 300) is new */
	data(150, 200);
	expect_sack(0, 1, (uint32_t[]){ 100, 400 });
	cr_assert_eq(t->c.nooo, 1);
	cr_assert_eq(t->c.ooo_bytes, 300, "each byte counted once");
	data(0, 100);
	check_stream(400);
}

Test(reass, cover_several_held_segments)
{
	data(100, 10);
	data(120, 10);
	data(140, 10);
	while (ts_next(t))
		;
	/* [90, 200) covers all three: one range */
	data(90, 110);
	expect_sack(0, 1, (uint32_t[]){ 90, 200 });
	cr_assert_eq(t->c.nooo, 1);
	cr_assert_eq(t->c.ooo_bytes, 110);
	data(0, 90);
	check_stream(200);
}

Test(reass, in_order_segment_overlapping_held_data)
{
	data(100, 100);
	ts_next(t);
	/* [0, 150): delivers 0..150, then the held one from 150 */
	data(0, 150);
	check_stream(200);
	cr_assert_eq(t->c.nooo, 0);
}

Test(reass, held_segment_wholly_old_after_fill)
{
	data(100, 50);
	ts_next(t);
	data(0, 300);
	check_stream(300);
	cr_assert_eq(t->c.nooo, 0);
}

Test(reass, fin_beyond_a_hole)
{
	ts_send(t, SEG(.seq = P(100), .ack = OUR_ISS + 1, .flags = ACK | FIN, .wnd = 8192, .len = 100));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	expect_sack(0, 1, (uint32_t[]){ 100, 200 });
	data(0, 100);
	cr_assert_eq(t->c.state, TCP_CLOSE_WAIT, "the FIN is taken when the hole fills");
	cr_assert(t->events & TCP_EV_PEER_FIN);
	expect_sack(201, 0, NULL);
	check_stream(200);
}

Test(reass, bare_fin_beyond_a_hole)
{
	ts_send(t, SEG(.seq = P(100), .ack = OUR_ISS + 1, .flags = ACK | FIN, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	ts_next(t);
	data(0, 100);
	cr_assert_eq(t->c.state, TCP_CLOSE_WAIT);
	check_stream(100);
}

Test(reass, data_held_beyond_the_fin_is_forgotten)
{
	data(200, 100);
	ts_next(t);
	cr_assert_eq(t->c.nooo, 1);
	/* the stream ends at 100: what lies beyond is nonsense */
	ts_send(t, SEG(.seq = P(0), .ack = OUR_ISS + 1, .flags = ACK | FIN, .wnd = 8192, .len = 100));
	cr_assert_eq(t->c.state, TCP_CLOSE_WAIT);
	cr_assert_eq(t->c.nooo, 0);
	check_stream(100);
}

/* More out-of-order segments than the old queue of 64 buffers held, all
 * within the window: every one is kept (bytes in the ring, one range) and
 * the hole's retransmission makes them all readable at once. */
Test(reass, bounded_by_the_window_not_a_segment_count)
{
	for (uint32_t k = 1; k <= 300; k++)
		data(200 * k, 200);
	cr_assert_eq(t->x.mib.ooo_dropped_full, 0);
	cr_assert_eq(t->c.nooo, 1);
	cr_assert_eq(t->c.ooo_bytes, 300 * 200);
	while (ts_next(t))
		;
	data(0, 200);
	cr_assert_eq(t->a.publish, 301 * 200, "the hole's bytes and every held byte");
	expect_sack(301 * 200, 0, NULL);
	check_stream(301 * 200);
}

/* The ring takes what lies within its free space (the window never went
 * further); the rest of a segment is cut, a segment wholly beyond dropped. */
Test(reass, bounded_by_the_ring)
{
	uint32_t fr = ts_io(t).rcv_free;
	data(fr - 100, 300);
	cr_assert_eq(t->c.ooo_bytes, 100);
	cr_assert_eq(t->x.mib.ooo_dropped_full, 0);
	data(fr + 10, 10);
	cr_assert_eq(t->a.ndeliver, 0, "nothing placed beyond the ring");
	cr_assert_eq(t->c.ooo_bytes, 100);
}

/* A full range table drops the segment that would need one more range
 * and evicts nothing (evicting SACKed data is reneging, which a Linux
 * sender answers with a retransmission timeout); data that extends a
 * range is still taken, and the connection always progresses: a segment
 * at RCV.NXT needs no range. */
Test(reass, full_range_table_never_reneges_or_stalls)
{
	t->x.p.reass_max_bufs = 4;
	for (uint32_t k = 1; k <= 4; k++)
		data(100 * k, 10);
	cr_assert_eq(t->c.nooo, 4);
	while (ts_next(t))
		;
	/* above everything held, and below: both dropped, counted */
	data(1000, 10);
	cr_assert_eq(t->a.ndeliver, 0);
	data(50, 10);
	cr_assert_eq(t->a.ndeliver, 0);
	cr_assert_eq(t->x.mib.ooo_dropped_full, 2);
	cr_assert_eq(t->x.mib.rcv_pruned, 0, "nothing SACKed is evicted");
	/* the SACK blocks describe only what is held */
	while (ts_next(t))
		;
	data(1000, 10);
	expect_sack(0, 4, (uint32_t[]){ 400, 410, 300, 310, 200, 210, 100, 110 });
	/* extending a range needs no new one */
	data(110, 10);
	cr_assert_eq(t->c.nooo, 4);
	cr_assert_eq(t->c.ooo_bytes, 50);
	/* the peer fills the holes in order: each one publishes what it
	 * joins, and the dropped data comes again and is taken */
	data(0, 100);
	check_stream(120);
	for (uint32_t off = 120; off < 1100; off += 10)
		data(off, 10);
	check_stream(1100);
	cr_assert_eq(t->c.nooo, 0);
	cr_assert_eq(t->c.ooo_bytes, 0);
}

Test(reass, bounded_by_bytes)
{
	t->x.p.reass_max_bytes = 250;
	data(100, 100);
	data(300, 100);
	data(500, 100);
	cr_assert_eq(t->c.nooo, 2);
	cr_assert_eq(t->c.ooo_bytes, 200);
	cr_assert_eq(t->x.mib.ooo_dropped_full, 1);
}

/* The application shut reading (or shrank SO_RCVBUF): what was placed
 * but can no longer be published is forgotten, counted rcv_pruned. */
Test(reass, ring_that_shrank_prunes)
{
	data(1000, 1000);
	data(3000, 1000);
	cr_assert_eq(t->c.nooo, 2);
	t->rcv_cap = 1500;
	/* within the window advertised before, beyond the ring now */
	data(5000, 100);
	cr_assert_eq(t->a.ndeliver, 0);
	cr_assert_eq(t->x.mib.rcv_qdrop, 1, "counted as Linux's TCPRcvQDrop");
	data(0, 1000);
	check_stream(1000);
	cr_assert_eq(t->c.nooo, 0);
	cr_assert_eq(t->x.mib.rcv_pruned, 2);
}

Test(reass, reset_forgets_everything_held)
{
	for (uint32_t k = 1; k <= 5; k++)
		data(100 * k, 50);
	ts_send(t, SEG(.seq = P(0), .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->c.nooo, 0);
}

/* random arrival order, overlaps and duplicates of one stream: whatever
 * comes, the application gets the stream exactly */
Test(reass, random_overlaps_and_duplicates)
{
	uint32_t r = 2463534242u;
	const uint32_t total = 60000;
	int guard = 0;
	t->x.p.reass_max_bufs = 16;
	while (t->rcv_total < total) {
		cr_assert_lt(guard++, 200000, "no progress");
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		uint32_t base = (uint32_t)t->rcv_total;
		uint32_t off = base + (r % 8000) - ((r >> 20) % 2 ? 0 : (r >> 8) % 200);
		if ((int32_t)(off - base) < -100000)
			off = base;
		uint32_t len = 1 + (r >> 12) % 1400;
		if (off + len > total)
			len = total > off ? total - off : 1;
		if (off >= total)
			continue;
		data(off, len);
		if (t->rcv_len > 30000)
			ts_read(t, NULL, t->rcv_len);
		while (ts_next(t))
			;
		cr_assert_leq(t->c.nooo, 16);
	}
	check_stream(total);
	cr_assert_eq(t->c.nooo, 0);
}
