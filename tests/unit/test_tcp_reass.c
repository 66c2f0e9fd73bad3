/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The out-of-order queue (RFC 9293 §3.10.7.4 seventh, RFC 5681 §4.2) and
 * the SACK blocks describing it (RFC 2018 §4, RFC 2883 D-SACK): holding
 * the caller's buffers, trimming overlaps, duplicates, hole filling, a FIN
 * beyond a hole, the hard bounds, and every buffer given back.
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
	cr_assert(t->a.held, "the buffer is the engine's now");
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
	cr_assert_eq(ts_live_bufs, 0, "every held buffer came back");
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
	cr_assert_eq(t->c.nooo, 4);
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

Test(reass, duplicate_is_freed_and_dsacked)
{
	data(100, 100);
	ts_next(t);
	long live = ts_live_bufs;
	data(100, 100);
	cr_assert_not(t->a.held, "an exact duplicate is not kept");
	cr_assert_eq(ts_live_bufs, live);
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
	cr_assert_eq(t->c.nooo, 3);
	cr_assert_eq(t->c.ooo_bytes, 300, "each byte held once");
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
	/* [90, 200) covers all three: they are freed, it is kept */
	data(90, 110);
	expect_sack(0, 1, (uint32_t[]){ 90, 200 });
	cr_assert_eq(t->c.nooo, 1);
	cr_assert_eq(t->c.ooo_bytes, 110);
	cr_assert_eq(ts_live_bufs, 1);
	data(0, 90);
	check_stream(200);
	cr_assert_eq(ts_live_bufs, 0);
}

Test(reass, in_order_segment_overlapping_held_data)
{
	data(100, 100);
	ts_next(t);
	/* [0, 150): delivers 0..150, then the held one from 150 */
	data(0, 150);
	check_stream(200);
	cr_assert_eq(t->c.nooo, 0);
	cr_assert_eq(ts_live_bufs, 0);
}

Test(reass, held_segment_wholly_old_after_fill)
{
	data(100, 50);
	ts_next(t);
	data(0, 300);
	check_stream(300);
	cr_assert_eq(t->c.nooo, 0);
	cr_assert_eq(ts_live_bufs, 0, "the covered held buffer was freed");
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

Test(reass, data_held_beyond_the_fin_is_freed)
{
	data(200, 100);
	ts_next(t);
	cr_assert_eq(ts_live_bufs, 1);
	/* the stream ends at 100: what lies beyond is nonsense */
	ts_send(t, SEG(.seq = P(0), .ack = OUR_ISS + 1, .flags = ACK | FIN, .wnd = 8192, .len = 100));
	cr_assert_eq(t->c.state, TCP_CLOSE_WAIT);
	cr_assert_eq(t->c.nooo, 0);
	cr_assert_eq(ts_live_bufs, 0);
	check_stream(100);
}

Test(reass, bounded_by_buffer_count)
{
	t->x.p.reass_max_bufs = 4;
	for (uint32_t k = 1; k <= 4; k++)
		data(100 * k, 10);
	cr_assert_eq(t->c.nooo, 4);
	/* above everything held: dropped, counted */
	data(1000, 10);
	cr_assert_not(t->a.held);
	cr_assert_eq(t->c.nooo, 4);
	cr_assert_eq(t->x.mib.ooo_dropped_full, 1);
	/* nearer RCV.NXT: evicts the highest (Linux's prune order) */
	data(50, 10);
	cr_assert(t->a.held);
	cr_assert_eq(t->c.nooo, 4);
	cr_assert_eq(t->x.mib.rcv_pruned, 1);
	cr_assert_eq(t->c.ooo[3].seq.v, P(300));
	cr_assert_eq(ts_live_bufs, 4);
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

Test(reass, destroy_frees_everything_held)
{
	for (uint32_t k = 1; k <= 20; k++)
		data(100 * k, 50);
	cr_assert_eq(ts_live_bufs, 20);
	tcp_conn_destroy(&t->x, &t->c);
	cr_assert_eq(ts_live_bufs, 0);
}

Test(reass, reset_frees_everything_held)
{
	for (uint32_t k = 1; k <= 5; k++)
		data(100 * k, 50);
	ts_send(t, SEG(.seq = P(0), .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(ts_live_bufs, 0);
}

/* random arrival order, overlaps and duplicates of one stream: whatever
 * comes, the application gets the stream exactly and no buffer is lost */
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
	cr_assert_eq(ts_live_bufs, 0);
}
