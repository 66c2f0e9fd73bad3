/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the IPv4 reassembly table (lib/ip4/reass.c).
 *
 * Buffers are fake: pointers into bufs[], each with an ownership state. The
 * free_buf recorder refuses a buffer the table does not own (double free,
 * free after hand-back), and every test ends with finish(), which destroys
 * the table and checks that every buffer ever given to it was freed exactly
 * once or handed back exactly once.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ip4/reass.h"

enum buf_state {
	B_UNUSED = 0,
	B_TABLE,    /* given to the table, not back yet */
	B_FREED,    /* freed by the table through free_buf */
	B_RETURNED, /* handed back in a reass_done */
};

struct fbuf {
	uint32_t id;
	uint8_t state;
};

#define NBUF 200000

static struct fbuf bufs[NBUF];
static uint32_t nbufs;
static uint32_t nfreed;
static uint32_t nreturned;
static int free_ctx; /* its address is the ctx given to the table */
static struct reass_done done;
static struct fbuf *last_buf; /* buffer of the last add() */
/* called for every buffer the table frees or hands back, before its state
 * changes (returned: true when handed back in a reass_done) */
static void (*buf_hook)(struct fbuf *b, bool returned);

static void
rec_free(void *ctx, void *buf)
{
	struct fbuf *b = buf;

	if (buf_hook != NULL && b >= bufs && b < bufs + nbufs)
		buf_hook(b, false);

	cr_assert_eq(ctx, &free_ctx, "free_buf got the wrong ctx");
	cr_assert(b >= bufs && b < bufs + nbufs, "free_buf of an unknown buffer");
	cr_assert_eq(b->state, B_TABLE, "buffer %u freed while not owned by the table (state %d)",
		     b->id, b->state);
	b->state = B_FREED;
	nfreed++;
}

static struct fbuf *
newbuf(void)
{
	struct fbuf *b;

	cr_assert_lt(nbufs, NBUF, "test ran out of fake buffers");
	b = &bufs[nbufs];
	b->id = nbufs++;
	b->state = B_TABLE;
	return b;
}

static struct reass_table *
mk(uint32_t max_datagrams, uint32_t max_bytes, uint32_t max_frags, uint64_t timeout_ns)
{
	struct reass_params p = {
		.max_datagrams = max_datagrams,
		.max_bytes = max_bytes,
		.max_frags = max_frags,
		.timeout_ns = timeout_ns,
	};
	struct reass_table *t = reass_create(&p, rec_free, &free_ctx);

	cr_assert_not_null(t, "reass_create failed: %s", strerror(errno));
	return t;
}

static struct reass_table *
mk_bounded(uint32_t max_datagrams, uint32_t max_bytes, uint32_t max_frags, uint32_t max_bufs,
	   uint32_t max_src_bufs)
{
	struct reass_params p = {
		.max_datagrams = max_datagrams,
		.max_bytes = max_bytes,
		.max_frags = max_frags,
		.max_bufs = max_bufs,
		.max_src_bufs = max_src_bufs,
		.timeout_ns = 1000000000ull,
	};
	struct reass_table *t = reass_create(&p, rec_free, &free_ctx);

	cr_assert_not_null(t, "reass_create failed: %s", strerror(errno));
	return t;
}

static struct reass_table *
mk_default(void)
{
	return mk(64, 1u << 22, 64, 30ull * 1000000000ull);
}

static struct reass_key
key(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto)
{
	struct reass_key k;

	memset(&k, 0, sizeof(k));
	k.src = rs_ip_from4(src);
	k.dst = rs_ip_from4(dst);
	k.id = id;
	k.proto = proto;
	return k;
}

/* Checks a completed datagram and takes its buffers back. */
static void
take_done(void)
{
	uint32_t i, pos = 0;

	cr_assert_gt(done.n, 0);
	cr_assert_leq(done.n, REASS_MAX_FRAGS);
	for (i = 0; i < done.n; i++) {
		const struct reass_frag *f = &done.frags[i];
		struct fbuf *b = f->buf;

		cr_assert_eq(f->off, pos, "fragment %u at %u, expected %u", i, f->off, pos);
		cr_assert_gt(f->len, 0);
		cr_assert_eq(f->more, i + 1 < done.n, "MF wrong on fragment %u of %u", i, done.n);
		cr_assert(b >= bufs && b < bufs + nbufs, "done holds an unknown buffer");
		cr_assert_eq(b->state, B_TABLE, "buffer %u handed back while not owned (state %d)",
			     b->id, b->state);
		if (buf_hook != NULL)
			buf_hook(b, true);
		b->state = B_RETURNED;
		nreturned++;
		pos += f->len;
	}
	cr_assert_eq(done.total_len, pos, "total_len %u, fragments sum to %u", done.total_len, pos);
}

static enum reass_result
add(struct reass_table *t, const struct reass_key *k, uint32_t off, uint32_t len, bool more,
    uint64_t now)
{
	struct reass_frag f = { .off = off, .len = len, .more = more };
	enum reass_result r;

	last_buf = newbuf();
	f.buf = last_buf;
	memset(&done, 0xa5, sizeof(done.n) + sizeof(done.total_len));
	r = reass_add(t, k, &f, now, &done);
	if (r == REASS_COMPLETE)
		take_done();
	else if (r != REASS_HELD)
		cr_assert_eq(last_buf->state, B_FREED, "dropped fragment (result %d) not freed", r);
	else
		cr_assert_eq(last_buf->state, B_TABLE, "held fragment was freed");
	return r;
}

#define ADD_EXPECT(t, k, off, len, more, now, want)                                              \
	do {                                                                                     \
		enum reass_result r_ = add((t), (k), (off), (len), (more), (now));               \
		cr_assert_eq(r_, (want), "add(off %u, len %u, mf %d): got %d, want %d",          \
			     (unsigned)(off), (unsigned)(len), (int)(more), r_, (want));          \
	} while (0)

static struct reass_stats
stats(const struct reass_table *t)
{
	struct reass_stats s;

	reass_get_stats(t, &s);
	return s;
}

/* Destroys the table and checks every buffer came back exactly once. */
static void
finish(struct reass_table *t)
{
	uint32_t i;

	reass_destroy(t);
	for (i = 0; i < nbufs; i++)
		cr_assert(bufs[i].state == B_FREED || bufs[i].state == B_RETURNED,
			  "buffer %u leaked (state %d)", i, bufs[i].state);
	cr_assert_eq(nfreed + nreturned, nbufs);
}

/* xorshift64*: deterministic per seed. */
static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t
rng(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

struct piece {
	uint32_t off, len;
	bool more;
};

/* Splits total bytes into pieces of multiples of 8 (but the last). */
static uint32_t
split(struct piece *p, uint32_t max, uint32_t total, uint32_t max_units)
{
	uint32_t n = 0, off = 0, len;
	/* Large enough pieces that max of them always suffice. */
	uint32_t min_units = total / (8 * (max - 1)) + 1;

	while (off < total) {
		cr_assert_lt(n, max);
		len = 8 * (min_units + rng(max_units));
		if (off + len >= total)
			len = total - off;
		p[n].off = off;
		p[n].len = len;
		p[n].more = off + len < total;
		off += len;
		n++;
	}
	return n;
}

static void
shuffle(struct piece *p, uint32_t n)
{
	uint32_t i, j;
	struct piece tmp;

	for (i = n; i > 1; i--) {
		j = rng(i);
		tmp = p[i - 1];
		p[i - 1] = p[j];
		p[j] = tmp;
	}
}

/* 10.0.0.1 -> 10.0.0.2 (IPv4-mapped), id 7, UDP */
static const struct reass_key K1 = {
	.src = { .b = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 } },
	.dst = { .b = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 } },
	.id = 7,
	.proto = 17,
};

/* ---- creation ---- */

Test(reass, create_rejects_bad_params)
{
	struct reass_params p = { 16, 65536, 16, 1000 };
	struct reass_params q;

	q = p;
	q.max_datagrams = 0;
	errno = 0;
	cr_assert_null(reass_create(&q, rec_free, NULL));
	cr_assert_eq(errno, EINVAL);
	q = p;
	q.max_bytes = 0;
	cr_assert_null(reass_create(&q, rec_free, NULL));
	q = p;
	q.max_frags = 0;
	cr_assert_null(reass_create(&q, rec_free, NULL));
	cr_assert_null(reass_create(&p, NULL, NULL));
	cr_assert_null(reass_create(NULL, rec_free, NULL));
	reass_destroy(NULL);
}

Test(reass, empty_table_stats)
{
	struct reass_table *t = mk_default();
	struct reass_stats s = stats(t);

	cr_assert_eq(s.datagrams, 0);
	cr_assert_eq(s.bytes, 0);
	cr_assert_eq(s.evicted, 0);
	cr_assert_eq(s.timeouts, 0);
	cr_assert_eq(reass_expire(t, UINT64_MAX, NULL, NULL), 0);
	finish(t);
}

/* ---- complete datagrams ---- */

Test(reass, single_fragment_off0_last)
{
	struct reass_table *t = mk_default();

	ADD_EXPECT(t, &K1, 0, 100, false, 0, REASS_COMPLETE);
	cr_assert_eq(done.n, 1);
	cr_assert_eq(done.total_len, 100);
	cr_assert_eq(done.frags[0].buf, last_buf);
	cr_assert_eq(stats(t).datagrams, 0);
	cr_assert_eq(stats(t).bytes, 0);
	finish(t);
}

Test(reass, in_order)
{
	struct reass_table *t = mk_default();
	struct fbuf *b[3];

	ADD_EXPECT(t, &K1, 0, 1480, true, 0, REASS_HELD);
	b[0] = last_buf;
	ADD_EXPECT(t, &K1, 1480, 1480, true, 1, REASS_HELD);
	b[1] = last_buf;
	cr_assert_eq(stats(t).datagrams, 1);
	cr_assert_eq(stats(t).bytes, 2960);
	ADD_EXPECT(t, &K1, 2960, 40, false, 2, REASS_COMPLETE);
	b[2] = last_buf;
	cr_assert_eq(done.n, 3);
	cr_assert_eq(done.total_len, 3000);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(done.frags[i].buf, b[i]);
	cr_assert_eq(stats(t).datagrams, 0);
	cr_assert_eq(stats(t).bytes, 0);
	finish(t);
}

Test(reass, reversed)
{
	struct reass_table *t = mk_default();
	struct fbuf *b[5];
	int i;

	ADD_EXPECT(t, &K1, 4 * 80, 13, false, 0, REASS_HELD);
	b[4] = last_buf;
	for (i = 3; i > 0; i--) {
		ADD_EXPECT(t, &K1, i * 80, 80, true, 0, REASS_HELD);
		b[i] = last_buf;
	}
	ADD_EXPECT(t, &K1, 0, 80, true, 0, REASS_COMPLETE);
	b[0] = last_buf;
	cr_assert_eq(done.n, 5);
	cr_assert_eq(done.total_len, 4 * 80 + 13);
	for (i = 0; i < 5; i++)
		cr_assert_eq(done.frags[i].buf, b[i]);
	finish(t);
}

Test(reass, last_fragment_first_then_middle_out_of_order)
{
	struct reass_table *t = mk_default();

	ADD_EXPECT(t, &K1, 24, 5, false, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 8, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	cr_assert_eq(stats(t).bytes, 21);
	ADD_EXPECT(t, &K1, 16, 8, true, 0, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 29);
	cr_assert_eq(done.n, 4);
	finish(t);
}

Test(reass, random_permutations)
{
	static struct piece p[REASS_MAX_FRAGS];
	struct reass_table *t = mk(8, 1u << 20, REASS_MAX_FRAGS, 1000);
	uint32_t seed, n, i, total;

	for (seed = 1; seed <= 500; seed++) {
		rng_seed(seed);
		total = 1 + rng(20000);
		n = split(p, REASS_MAX_FRAGS, total, 1 + rng(200));
		shuffle(p, n);
		for (i = 0; i < n; i++)
			ADD_EXPECT(t, &K1, p[i].off, p[i].len, p[i].more, seed,
				   i + 1 == n ? REASS_COMPLETE : REASS_HELD);
		cr_assert_eq(done.n, n, "seed %u", seed);
		cr_assert_eq(done.total_len, total, "seed %u", seed);
		cr_assert_eq(stats(t).datagrams, 0);
		cr_assert_eq(stats(t).bytes, 0);
	}
	finish(t);
}

Test(reass, random_permutations_with_duplicates)
{
	static struct piece p[2 * 128];
	struct reass_table *t = mk(8, 1u << 20, 128, 1000);
	uint32_t seed, n, i, total, ndup;
	bool seen_last;

	for (seed = 1; seed <= 300; seed++) {
		rng_seed(seed * 7919);
		total = 1 + rng(4000);
		n = split(p, 128, total, 1 + rng(40));
		/* Retransmit a few pieces: a copy placed after the original. */
		ndup = rng(n + 1);
		for (i = 0; i < ndup; i++)
			p[n + i] = p[rng(n)];
		shuffle(p, n + ndup);
		/*
		 * The datagram completes with the last distinct piece; any
		 * copy arriving after that starts a new datagram instead.
		 * Feed until complete, then check nothing was lost.
		 */
		seen_last = false;
		for (i = 0; i < n + ndup && !seen_last; i++) {
			enum reass_result r = add(t, &K1, p[i].off, p[i].len, p[i].more, seed);

			cr_assert(r == REASS_HELD || r == REASS_DUP || r == REASS_COMPLETE,
				  "seed %u: result %d", seed, r);
			seen_last = r == REASS_COMPLETE;
		}
		cr_assert(seen_last, "seed %u never completed", seed);
		cr_assert_eq(done.n, n);
		cr_assert_eq(done.total_len, total);
		cr_assert_eq(stats(t).datagrams, 0);
	}
	finish(t);
}

/* ---- duplicates ---- */

Test(reass, exact_duplicate_only_new_freed)
{
	struct reass_table *t = mk_default();
	struct fbuf *orig;

	ADD_EXPECT(t, &K1, 8, 16, true, 0, REASS_HELD);
	orig = last_buf;
	ADD_EXPECT(t, &K1, 8, 16, true, 1, REASS_DUP);
	cr_assert_eq(orig->state, B_TABLE, "the held copy must stay");
	cr_assert_eq(stats(t).bytes, 16);
	cr_assert_eq(stats(t).datagrams, 1);
	ADD_EXPECT(t, &K1, 0, 8, true, 2, REASS_HELD);
	ADD_EXPECT(t, &K1, 24, 3, false, 3, REASS_COMPLETE);
	cr_assert_eq(done.frags[1].buf, orig);
	finish(t);
}

Test(reass, duplicate_last_fragment)
{
	struct reass_table *t = mk_default();

	ADD_EXPECT(t, &K1, 16, 5, false, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 16, 5, false, 0, REASS_DUP);
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_DUP);
	ADD_EXPECT(t, &K1, 8, 8, true, 0, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 21);
	finish(t);
}

Test(reass, duplicate_with_other_mf_keeps_held_copy)
{
	struct reass_table *t = mk_default();

	/* Same range, MF now clear: a duplicate; the held MF=1 stands. */
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 8, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 8, 8, false, 0, REASS_DUP);
	cr_assert_eq(stats(t).datagrams, 1);
	ADD_EXPECT(t, &K1, 16, 8, false, 0, REASS_COMPLETE);
	cr_assert_eq(done.n, 3);
	finish(t);
}

/* ---- overlaps: RFC 5722, the whole datagram goes ---- */

static void
overlap_case(uint32_t off, uint32_t len, bool more)
{
	struct reass_table *t = mk_default();
	struct fbuf *a, *b;
	const struct reass_key other = key(1, 2, 7, 17);
	struct fbuf *o;

	/* Held: [16,32) and [48,64); another datagram stays untouched. */
	ADD_EXPECT(t, &other, 16, 16, true, 0, REASS_HELD);
	o = last_buf;
	ADD_EXPECT(t, &K1, 16, 16, true, 0, REASS_HELD);
	a = last_buf;
	ADD_EXPECT(t, &K1, 48, 16, true, 0, REASS_HELD);
	b = last_buf;
	ADD_EXPECT(t, &K1, off, len, more, 0, REASS_OVERLAP);
	cr_assert_eq(a->state, B_FREED);
	cr_assert_eq(b->state, B_FREED);
	cr_assert_eq(o->state, B_TABLE);
	cr_assert_eq(stats(t).datagrams, 1);
	cr_assert_eq(stats(t).bytes, 16);
	cr_assert_eq(stats(t).evicted, 0);
	/* Later fragments start a fresh datagram. */
	ADD_EXPECT(t, &K1, 48, 16, true, 1, REASS_HELD);
	cr_assert_eq(stats(t).datagrams, 2);
	cr_assert_eq(stats(t).bytes, 32);
	finish(t);
}

Test(reass, overlap_head)
{
	overlap_case(8, 16, true); /* [8,24) over the head of [16,32) */
}

Test(reass, overlap_tail)
{
	overlap_case(24, 16, true); /* [24,40) over the tail of [16,32) */
}

Test(reass, overlap_inside)
{
	overlap_case(56, 8, true); /* [56,64) inside [48,64), sharing its end */
}

Test(reass, overlap_strictly_inside)
{
	struct reass_table *t = mk_default();

	ADD_EXPECT(t, &K1, 0, 64, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 16, 8, true, 0, REASS_OVERLAP);
	cr_assert_eq(stats(t).datagrams, 0);
	cr_assert_eq(stats(t).bytes, 0);
	finish(t);
}

Test(reass, overlap_covering)
{
	overlap_case(8, 32, true); /* [8,40) covers [16,32) */
}

Test(reass, overlap_covering_two)
{
	overlap_case(0, 72, true); /* covers both held fragments */
}

Test(reass, overlap_same_offset_other_length)
{
	overlap_case(16, 8, true);  /* shorter, same start */
}

Test(reass, overlap_same_offset_longer)
{
	overlap_case(48, 24, true); /* longer, same start */
}

Test(reass, overlap_by_last_fragment)
{
	overlap_case(56, 9, false); /* last fragment starting inside [48,64) */
}

Test(reass, adjacent_is_not_overlap)
{
	struct reass_table *t = mk_default();

	ADD_EXPECT(t, &K1, 16, 16, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 32, 8, true, 0, REASS_HELD); /* touches the end */
	ADD_EXPECT(t, &K1, 8, 8, true, 0, REASS_HELD);  /* touches the start */
	ADD_EXPECT(t, &K1, 40, 1, false, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_COMPLETE);
	cr_assert_eq(done.n, 5);
	finish(t);
}

/* ---- bad fragments ---- */

Test(reass, bad_lengths_keep_datagram)
{
	struct reass_table *t = mk_default();
	struct fbuf *held;

	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	held = last_buf;
	ADD_EXPECT(t, &K1, 8, 0, true, 0, REASS_BAD);   /* empty */
	ADD_EXPECT(t, &K1, 8, 0, false, 0, REASS_BAD);  /* empty last */
	ADD_EXPECT(t, &K1, 8, 12, true, 0, REASS_BAD);  /* MF with len % 8 */
	ADD_EXPECT(t, &K1, 8, 1, true, 0, REASS_BAD);
	ADD_EXPECT(t, &K1, 12, 8, true, 0, REASS_BAD);  /* offset not in 8-byte units */
	cr_assert_eq(held->state, B_TABLE);
	cr_assert_eq(stats(t).datagrams, 1);
	cr_assert_eq(stats(t).bytes, 8);
	/* An odd length is fine on the last fragment. */
	ADD_EXPECT(t, &K1, 8, 12, false, 0, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 20);
	finish(t);
}

Test(reass, bad_fragment_creates_no_datagram)
{
	struct reass_table *t = mk_default();

	ADD_EXPECT(t, &K1, 8, 0, true, 0, REASS_BAD);
	ADD_EXPECT(t, &K1, 8, 4, true, 0, REASS_BAD);
	ADD_EXPECT(t, &K1, 65512, 8, true, 0, REASS_BAD);
	cr_assert_eq(stats(t).datagrams, 0);
	finish(t);
}

Test(reass, bad_beyond_65515)
{
	struct reass_table *t = mk_default();

	/* 65535 - 20 header bytes: ping-of-death limit. */
	ADD_EXPECT(t, &K1, 65512, 4, false, 0, REASS_BAD);      /* ends at 65516 */
	ADD_EXPECT(t, &K1, 65504, 16, true, 0, REASS_BAD);     /* ends at 65520 */
	ADD_EXPECT(t, &K1, 8191 * 8, 8, true, 0, REASS_BAD);    /* largest 13-bit offset */
	ADD_EXPECT(t, &K1, UINT32_MAX - 7, 16, true, 0, REASS_BAD); /* no wrap-around */
	ADD_EXPECT(t, &K1, 65512, 3, false, 0, REASS_HELD);     /* ends at 65515: fine */
	cr_assert_eq(stats(t).datagrams, 1);
	finish(t);
}

Test(reass, max_size_datagram_65515)
{
	struct reass_table *t = mk(4, 1u << 20, 64, 1000);
	uint32_t off;

	/* 44 x 1480 + 395 = 65515, fragments 8-byte aligned. */
	for (off = 0; off + 1480 < 65515; off += 1480)
		ADD_EXPECT(t, &K1, off, 1480, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, off, 65515 - off, false, 0, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 65515);
	cr_assert_eq(done.n, 45);
	finish(t);
}

Test(reass, max_size_datagram_512_fragments)
{
	struct reass_table *t = mk(4, 1u << 20, REASS_MAX_FRAGS, 1000);
	struct piece p[REASS_MAX_FRAGS];
	uint32_t i;

	/* 511 x 128 + 107 = 65515 in exactly REASS_MAX_FRAGS fragments, shuffled. */
	for (i = 0; i < REASS_MAX_FRAGS; i++) {
		p[i].off = i * 128;
		p[i].len = i + 1 < REASS_MAX_FRAGS ? 128 : 65515 - i * 128;
		p[i].more = i + 1 < REASS_MAX_FRAGS;
	}
	rng_seed(42);
	shuffle(p, REASS_MAX_FRAGS);
	for (i = 0; i < REASS_MAX_FRAGS; i++)
		ADD_EXPECT(t, &K1, p[i].off, p[i].len, p[i].more, 0,
			   i + 1 < REASS_MAX_FRAGS ? REASS_HELD : REASS_COMPLETE);
	cr_assert_eq(done.n, REASS_MAX_FRAGS);
	cr_assert_eq(done.total_len, 65515);
	finish(t);
}

Test(reass, data_past_known_end)
{
	struct reass_table *t = mk_default();
	struct fbuf *a, *b;

	ADD_EXPECT(t, &K1, 16, 8, false, 0, REASS_HELD); /* end = 24 */
	a = last_buf;
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	b = last_buf;
	ADD_EXPECT(t, &K1, 24, 8, true, 0, REASS_BAD);   /* starts at the end */
	ADD_EXPECT(t, &K1, 8, 24, true, 0, REASS_BAD);   /* straddles the end */
	/* Only the bad fragment went; the datagram still completes. */
	cr_assert_eq(a->state, B_TABLE);
	cr_assert_eq(b->state, B_TABLE);
	cr_assert_eq(stats(t).datagrams, 1);
	ADD_EXPECT(t, &K1, 8, 8, true, 0, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 24);
	finish(t);
}

Test(reass, mf_fragment_ending_at_known_end_is_accepted)
{
	struct reass_table *t = mk_default();

	/* Linux accepts this too: nothing is past the end. */
	ADD_EXPECT(t, &K1, 16, 8, false, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 0, 16, true, 0, REASS_COMPLETE);
	finish(t);
}

Test(reass, conflicting_last_fragments_drop_datagram)
{
	struct reass_table *t = mk_default();
	struct fbuf *a, *b;

	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	a = last_buf;
	ADD_EXPECT(t, &K1, 16, 8, false, 0, REASS_HELD);
	b = last_buf;
	ADD_EXPECT(t, &K1, 16, 9, false, 0, REASS_BAD); /* another end */
	cr_assert_eq(a->state, B_FREED);
	cr_assert_eq(b->state, B_FREED);
	cr_assert_eq(stats(t).datagrams, 0);
	cr_assert_eq(stats(t).bytes, 0);

	/* A shorter second end, starting elsewhere: same. */
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 32, 8, false, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 8, 5, false, 0, REASS_BAD);
	cr_assert_eq(stats(t).datagrams, 0);
	finish(t);
}

Test(reass, last_fragment_below_held_data)
{
	struct reass_table *t = mk_default();
	struct fbuf *a;

	ADD_EXPECT(t, &K1, 32, 16, true, 0, REASS_HELD); /* data up to 48 */
	a = last_buf;
	ADD_EXPECT(t, &K1, 0, 20, false, 0, REASS_BAD);  /* claims end 20 */
	cr_assert_eq(a->state, B_TABLE);
	cr_assert_eq(stats(t).datagrams, 1);
	/* The datagram survives and completes normally. */
	ADD_EXPECT(t, &K1, 0, 32, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 48, 2, false, 0, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 50);
	finish(t);
}

/* ---- per-datagram fragment limit ---- */

Test(reass, too_many_fragments)
{
	struct reass_table *t = mk(4, 1u << 20, 4, 1000);
	const struct reass_key other = key(9, 2, 7, 17);
	struct fbuf *held[4], *o;
	int i;

	ADD_EXPECT(t, &other, 0, 8, true, 0, REASS_HELD);
	o = last_buf;
	for (i = 0; i < 4; i++) {
		ADD_EXPECT(t, &K1, (uint32_t)i * 16, 8, true, 0, REASS_HELD);
		held[i] = last_buf;
	}
	ADD_EXPECT(t, &K1, 64, 8, true, 0, REASS_TOO_MANY);
	for (i = 0; i < 4; i++)
		cr_assert_eq(held[i]->state, B_FREED);
	cr_assert_eq(o->state, B_TABLE);
	cr_assert_eq(stats(t).datagrams, 1);
	cr_assert_eq(stats(t).bytes, 8);
	finish(t);
}

Test(reass, exactly_max_frags_completes)
{
	struct reass_table *t = mk(4, 1u << 20, 4, 1000);

	ADD_EXPECT(t, &K1, 24, 1, false, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 16, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, 8, 8, true, 0, REASS_COMPLETE);
	cr_assert_eq(done.n, 4);
	/* Duplicates do not count against the limit. */
	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	for (int i = 0; i < 10; i++)
		ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_DUP);
	finish(t);
}

Test(reass, max_frags_clamped_to_reass_max_frags)
{
	struct reass_table *t = mk(2, 1u << 20, 100000, 1000);
	uint32_t i;

	for (i = 0; i < REASS_MAX_FRAGS; i++)
		ADD_EXPECT(t, &K1, i * 16, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &K1, REASS_MAX_FRAGS * 16, 8, true, 0, REASS_TOO_MANY);
	cr_assert_eq(stats(t).datagrams, 0);
	cr_assert_eq(stats(t).bytes, 0);
	finish(t);
}

/* ---- memory bound and eviction ---- */

Test(reass, memory_evicts_oldest_other_datagrams)
{
	struct reass_table *t = mk(16, 64, 16, 1000);
	struct reass_key ka = key(1, 100, 1, 17), kb = key(2, 100, 1, 17);
	struct reass_key kc = key(3, 100, 1, 17), kd = key(4, 100, 1, 17);
	struct fbuf *a, *b, *c, *d;

	ADD_EXPECT(t, &ka, 0, 16, true, 0, REASS_HELD);
	a = last_buf;
	ADD_EXPECT(t, &kb, 0, 16, true, 1, REASS_HELD);
	b = last_buf;
	ADD_EXPECT(t, &kc, 0, 16, true, 2, REASS_HELD);
	c = last_buf;
	cr_assert_eq(stats(t).bytes, 48);

	/* 48 + 32 > 64: the oldest (a) goes. */
	ADD_EXPECT(t, &kd, 0, 32, true, 3, REASS_HELD);
	d = last_buf;
	cr_assert_eq(a->state, B_FREED);
	cr_assert_eq(b->state, B_TABLE);
	cr_assert_eq(c->state, B_TABLE);
	cr_assert_eq(stats(t).evicted, 1);
	cr_assert_eq(stats(t).bytes, 64);
	cr_assert_eq(stats(t).datagrams, 3);

	/* b grows: b is the oldest but is skipped; c then d are evicted. */
	ADD_EXPECT(t, &kb, 16, 32, true, 4, REASS_HELD);
	cr_assert_eq(b->state, B_TABLE);
	cr_assert_eq(c->state, B_FREED);
	cr_assert_eq(d->state, B_FREED);
	cr_assert_eq(stats(t).evicted, 3);
	cr_assert_eq(stats(t).bytes, 48);
	cr_assert_eq(stats(t).datagrams, 1);
	cr_assert_eq(stats(t).timeouts, 0);
	finish(t);
}

Test(reass, memory_nomem_without_pointless_eviction)
{
	struct reass_table *t = mk(16, 64, 16, 1000);
	struct reass_key ka = key(1, 100, 1, 17), kb = key(2, 100, 1, 17);
	struct fbuf *a, *b;

	ADD_EXPECT(t, &ka, 0, 16, true, 0, REASS_HELD);
	a = last_buf;
	ADD_EXPECT(t, &kb, 0, 48, true, 1, REASS_HELD);
	b = last_buf;
	/* A fragment larger than the whole budget. */
	ADD_EXPECT(t, &kb, 64, 72, true, 2, REASS_NOMEM);
	/* b would need 48 + 24 > 64 even alone. */
	ADD_EXPECT(t, &kb, 48, 24, true, 2, REASS_NOMEM);
	cr_assert_eq(a->state, B_TABLE);
	cr_assert_eq(b->state, B_TABLE);
	cr_assert_eq(stats(t).evicted, 0);
	cr_assert_eq(stats(t).bytes, 64);
	/* A new datagram with a too large first fragment creates nothing. */
	{
		struct reass_key kc = key(3, 100, 1, 17);

		ADD_EXPECT(t, &kc, 8, 72, true, 3, REASS_NOMEM);
	}
	cr_assert_eq(stats(t).datagrams, 2);
	finish(t);
}

Test(reass, completing_fragment_needs_no_room)
{
	struct reass_table *t = mk(16, 64, 16, 1000);
	struct reass_key ka = key(1, 100, 1, 17), kb = key(2, 100, 1, 17);
	struct fbuf *b;

	ADD_EXPECT(t, &ka, 0, 48, true, 0, REASS_HELD);
	ADD_EXPECT(t, &kb, 0, 16, true, 1, REASS_HELD);
	b = last_buf;
	cr_assert_eq(stats(t).bytes, 64);
	/* Completes a: handed out at once, so b is not evicted. */
	ADD_EXPECT(t, &ka, 48, 40, false, 2, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 88);
	cr_assert_eq(b->state, B_TABLE);
	cr_assert_eq(stats(t).evicted, 0);
	cr_assert_eq(stats(t).bytes, 16);
	/* An unfragmented datagram never needs room either. */
	ADD_EXPECT(t, &kb, 16, 48, true, 3, REASS_HELD);
	ADD_EXPECT(t, &ka, 0, 1000, false, 4, REASS_COMPLETE);
	cr_assert_eq(stats(t).evicted, 0);
	finish(t);
}

Test(reass, table_full_evicts_oldest)
{
	struct reass_table *t = mk(2, 1u << 20, 16, 1000);
	struct reass_key ka = key(1, 100, 1, 17), kb = key(2, 100, 1, 17);
	struct reass_key kc = key(3, 100, 1, 17);
	struct fbuf *a0, *a1, *b, *c;

	ADD_EXPECT(t, &ka, 0, 8, true, 0, REASS_HELD);
	a0 = last_buf;
	ADD_EXPECT(t, &kb, 0, 8, true, 1, REASS_HELD);
	b = last_buf;
	/* Touching a does not make it younger: the order is creation order. */
	ADD_EXPECT(t, &ka, 16, 8, true, 2, REASS_HELD);
	a1 = last_buf;
	ADD_EXPECT(t, &kc, 0, 8, true, 3, REASS_HELD);
	c = last_buf;
	cr_assert_eq(a0->state, B_FREED);
	cr_assert_eq(a1->state, B_FREED);
	cr_assert_eq(b->state, B_TABLE);
	cr_assert_eq(c->state, B_TABLE);
	cr_assert_eq(stats(t).evicted, 1);
	cr_assert_eq(stats(t).datagrams, 2);
	cr_assert_eq(stats(t).bytes, 16);
	/* a again is a new datagram and pushes out b. */
	ADD_EXPECT(t, &ka, 8, 8, true, 4, REASS_HELD);
	cr_assert_eq(b->state, B_FREED);
	cr_assert_eq(stats(t).evicted, 2);
	/* c still completes. */
	ADD_EXPECT(t, &kc, 8, 1, false, 5, REASS_COMPLETE);
	cr_assert_eq(done.frags[0].buf, c);
	finish(t);
}

/* ---- timeouts ---- */

struct exp_rec {
	uint32_t n;
	struct reass_key k[8];
	void *frag0[8];
};

static void
on_expired(void *ctx, const struct reass_key *k, void *frag0)
{
	struct exp_rec *r = ctx;

	cr_assert_lt(r->n, 8);
	/* Called before the buffer is freed. */
	if (frag0 != NULL)
		cr_assert_eq(((struct fbuf *)frag0)->state, B_TABLE);
	r->k[r->n] = *k;
	r->frag0[r->n] = frag0;
	r->n++;
}

Test(reass, timeout_with_and_without_fragment0)
{
	struct reass_table *t = mk(16, 1u << 20, 16, 100);
	struct reass_key ka = key(1, 100, 1, 17), kb = key(2, 100, 1, 17);
	struct exp_rec rec = { 0 };
	struct fbuf *a8, *a16, *b0, *b8;

	ADD_EXPECT(t, &ka, 8, 8, true, 0, REASS_HELD); /* no fragment 0 */
	a8 = last_buf;
	ADD_EXPECT(t, &kb, 8, 8, true, 10, REASS_HELD);
	b8 = last_buf;
	ADD_EXPECT(t, &kb, 0, 8, true, 20, REASS_HELD); /* fragment 0, later */
	b0 = last_buf;
	/* A later fragment does not restart a's timer. */
	ADD_EXPECT(t, &ka, 16, 8, true, 50, REASS_HELD);
	a16 = last_buf;

	cr_assert_eq(reass_expire(t, 99, on_expired, &rec), 0);
	cr_assert_eq(rec.n, 0);
	cr_assert_eq(reass_expire(t, 100, on_expired, &rec), 1); /* now - created == timeout */
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rs_ip_v4(&rec.k[0].src), 1);
	cr_assert_null(rec.frag0[0]);
	cr_assert_eq(a8->state, B_FREED);
	cr_assert_eq(a16->state, B_FREED);
	cr_assert_eq(b0->state, B_TABLE);

	cr_assert_eq(reass_expire(t, 109, on_expired, &rec), 0);
	cr_assert_eq(reass_expire(t, 110, on_expired, &rec), 1);
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rs_ip_v4(&rec.k[1].src), 2);
	cr_assert_eq(rs_ip_v4(&rec.k[1].dst), 100);
	cr_assert_eq(rec.k[1].id, 1);
	cr_assert_eq(rec.k[1].proto, 17);
	cr_assert_eq(rec.frag0[1], b0);
	cr_assert_eq(b0->state, B_FREED);
	cr_assert_eq(b8->state, B_FREED);

	cr_assert_eq(stats(t).timeouts, 2);
	cr_assert_eq(stats(t).evicted, 0);
	cr_assert_eq(stats(t).datagrams, 0);
	cr_assert_eq(stats(t).bytes, 0);
	finish(t);
}

Test(reass, timeout_in_creation_order_null_callback)
{
	struct reass_table *t = mk(16, 1u << 20, 16, 1000);
	struct exp_rec rec = { 0 };
	uint32_t i;

	for (i = 0; i < 6; i++) {
		struct reass_key k = key(i, 100, 1, 17);

		ADD_EXPECT(t, &k, 0, 8, true, i * 100, REASS_HELD);
	}
	/* created 0, 100, 200 are >= 1000 old at 1200. */
	cr_assert_eq(reass_expire(t, 1200, on_expired, &rec), 3);
	cr_assert_eq(rec.n, 3);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(rs_ip_v4(&rec.k[i].src), i);
		cr_assert_eq(rec.frag0[i], &bufs[i]);
	}
	cr_assert_eq(stats(t).datagrams, 3);
	/* Without a callback they are still dropped and counted. */
	cr_assert_eq(reass_expire(t, 1500, NULL, NULL), 3);
	cr_assert_eq(stats(t).timeouts, 6);
	cr_assert_eq(stats(t).datagrams, 0);
	finish(t);
}

Test(reass, timeout_then_late_fragment_starts_new_datagram)
{
	struct reass_table *t = mk(16, 1u << 20, 16, 100);

	ADD_EXPECT(t, &K1, 0, 8, true, 0, REASS_HELD);
	cr_assert_eq(reass_expire(t, 200, NULL, NULL), 1);
	ADD_EXPECT(t, &K1, 8, 1, false, 201, REASS_HELD);
	cr_assert_eq(stats(t).datagrams, 1);
	ADD_EXPECT(t, &K1, 0, 8, true, 202, REASS_COMPLETE);
	finish(t);
}

/* ---- keys ---- */

Test(reass, interleaved_same_id_different_keys)
{
	struct reass_table *t = mk_default();
	struct reass_key ks[4] = {
		key(0x0a000001, 0x0a0000ff, 42, 17),
		key(0x0a000002, 0x0a0000ff, 42, 17), /* other src */
		key(0x0a000001, 0x0a0000fe, 42, 17), /* other dst */
		key(0x0a000001, 0x0a0000ff, 42, 6),  /* other proto */
	};
	struct fbuf *first[4];
	int i;

	/* The same byte ranges in each: overlapping if keys were mixed up. */
	for (i = 0; i < 4; i++) {
		ADD_EXPECT(t, &ks[i], 0, 16, true, 0, REASS_HELD);
		first[i] = last_buf;
	}
	for (i = 0; i < 4; i++)
		ADD_EXPECT(t, &ks[i], 32, (uint32_t)i + 1, false, 0, REASS_HELD);
	cr_assert_eq(stats(t).datagrams, 4);
	for (i = 3; i >= 0; i--) {
		ADD_EXPECT(t, &ks[i], 16, 16, true, 0, REASS_COMPLETE);
		cr_assert_eq(done.total_len, 32 + (uint32_t)i + 1);
		cr_assert_eq(done.frags[0].buf, first[i]);
		cr_assert_eq(stats(t).datagrams, (uint32_t)i);
	}
	finish(t);
}

Test(reass, many_datagrams_through_hash)
{
	struct reass_table *t = mk(1024, 1u << 24, 8, 1000);
	uint32_t i, j, order[1024];

	for (i = 0; i < 1024; i++) {
		struct reass_key k = key(i * 2654435761u, 0x0a000001, (uint16_t)(i & 3), 17);

		ADD_EXPECT(t, &k, 8, 8, true, 0, REASS_HELD);
		order[i] = i;
	}
	cr_assert_eq(stats(t).datagrams, 1024);
	cr_assert_eq(stats(t).evicted, 0);
	rng_seed(5);
	for (i = 1024; i > 1; i--) {
		uint32_t tmp;

		j = rng(i);
		tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < 1024; i++) {
		struct reass_key k = key(order[i] * 2654435761u, 0x0a000001,
					 (uint16_t)(order[i] & 3), 17);

		ADD_EXPECT(t, &k, 16, 1, false, 1, REASS_HELD);
		ADD_EXPECT(t, &k, 0, 8, true, 2, REASS_COMPLETE);
		cr_assert_eq(done.frags[1].buf, &bufs[order[i]]);
	}
	cr_assert_eq(stats(t).datagrams, 0);
	finish(t);
}

/* ---- destroy ---- */

Test(reass, destroy_frees_everything)
{
	struct reass_table *t = mk(8, 1u << 20, 16, 1000);
	uint32_t i;

	for (i = 0; i < 8; i++) {
		struct reass_key k = key(i, 1, 1, 17);

		ADD_EXPECT(t, &k, 0, 8, true, 0, REASS_HELD);
		ADD_EXPECT(t, &k, 16, 8, true, 0, REASS_HELD);
	}
	cr_assert_eq(stats(t).datagrams, 8);
	finish(t); /* checks all 16 buffers were freed exactly once */
	cr_assert_eq(nfreed, 16);
}

/* ---- randomized check against a naive model ---- */

struct model_frag {
	uint32_t off, len;
	bool more;
	struct fbuf *buf;
};

struct model {
	uint32_t n;
	bool exists, last_in;
	uint32_t end;
	struct model_frag f[16];
};

static bool
model_covered(const struct model *m)
{
	static uint8_t map[65536];
	uint32_t i;

	memset(map, 0, m->end);
	for (i = 0; i < m->n; i++)
		memset(map + m->f[i].off, 1, m->f[i].len);
	for (i = 0; i < m->end; i++)
		if (!map[i])
			return false;
	return true;
}

/* Buffers the model expects the table to free on this step. */
static struct fbuf *killed[16];
static uint32_t nkilled;

static void
model_kill(struct model *m)
{
	uint32_t i;

	for (i = 0; i < m->n; i++)
		killed[nkilled++] = m->f[i].buf;
	memset(m, 0, sizeof(*m));
}

/* The rules of reass.h, written plainly over one datagram. */
static enum reass_result
model_add(struct model *m, uint32_t off, uint32_t len, bool more, uint32_t max_frags)
{
	uint64_t end = (uint64_t)off + len;
	uint32_t i, hi = 0;

	if (len == 0 || off % 8 || (more && len % 8) || end > 65515)
		return REASS_BAD;
	if (!m->exists && off == 0 && !more)
		return REASS_COMPLETE;
	for (i = 0; i < m->n; i++)
		if (m->f[i].off + m->f[i].len > hi)
			hi = m->f[i].off + m->f[i].len;
	if (m->exists && m->last_in && !more && end != m->end) {
		model_kill(m);
		return REASS_BAD;
	}
	if (m->exists && m->last_in && end > m->end)
		return REASS_BAD;
	if (m->exists && !m->last_in && !more && end < hi)
		return REASS_BAD;
	for (i = 0; i < m->n; i++)
		if (m->f[i].off == off && m->f[i].len == len)
			return REASS_DUP;
	for (i = 0; i < m->n; i++)
		if (off < m->f[i].off + m->f[i].len && m->f[i].off < end) {
			model_kill(m);
			return REASS_OVERLAP;
		}
	if (m->n == max_frags) {
		model_kill(m);
		return REASS_TOO_MANY;
	}
	m->exists = true;
	m->f[m->n].off = off;
	m->f[m->n].len = len;
	m->f[m->n].more = more;
	m->f[m->n].buf = last_buf;
	m->n++;
	if (!more) {
		m->last_in = true;
		m->end = (uint32_t)end;
	}
	if (m->last_in && model_covered(m)) {
		memset(m, 0, sizeof(*m));
		return REASS_COMPLETE;
	}
	return REASS_HELD;
}

Test(reass, random_against_model)
{
	struct reass_table *t = mk(4, 1u << 20, 5, 1000);
	struct model m;
	uint32_t step, off, len, bytes, i;
	bool more;
	enum reass_result want, got;
	int counts[REASS_TOO_MANY + 1] = { 0 };

	memset(&m, 0, sizeof(m));
	rng_seed(2024);
	for (step = 0; step < 60000; step++) {
		off = 8 * rng(16);
		if (rng(50) == 0)
			off += 1 + rng(7);
		len = 8 * rng(5);
		more = rng(4) != 0;
		if (!more || rng(30) == 0)
			len += rng(8);
		if (rng(200) == 0)
			off = 65512 - 8 * rng(3);
		/* The model decides before the table frees anything. */
		last_buf = &bufs[nbufs]; /* add() allocates exactly this one */
		nkilled = 0;
		want = model_add(&m, off, len, more, 5);
		got = add(t, &K1, off, len, more, step);
		cr_assert_eq(got, want, "step %u: off %u len %u mf %d: got %d want %d", step, off,
			     len, more, got, want);
		for (i = 0; i < nkilled; i++)
			cr_assert_eq(killed[i]->state, B_FREED, "step %u: held buffer not freed", step);
		counts[got]++;
		bytes = 0;
		for (i = 0; i < m.n; i++) {
			cr_assert_eq(m.f[i].buf->state, B_TABLE);
			bytes += m.f[i].len;
		}
		cr_assert_eq(stats(t).bytes, bytes, "step %u", step);
		cr_assert_eq(stats(t).datagrams, m.exists ? 1u : 0u);
	}
	/* Every outcome was exercised. */
	for (i = 0; i <= REASS_TOO_MANY; i++)
		if (i != REASS_NOMEM)
			cr_assert_gt(counts[i], 0, "result %u never seen", i);
	finish(t);
}

/* ---- buffer bound and per-source fairness (defect: a flood of tiny
 * fragments used to pin max_datagrams * max_frags buffers) ---- */

/* The flood of the report: 1024 datagrams x 64 fragments of 8 bytes from
 * one source, never completing. The table holds at most max_bufs buffers
 * however the flood is shaped, from one source or from many. */
Test(reass, tiny_fragment_flood_is_bounded_in_buffers)
{
	struct reass_table *t = mk_bounded(1024, 4u << 20, 64, 2560, 0);
	uint32_t peak = 0;

	for (uint32_t dg = 0; dg < 1024; dg++) {
		struct reass_key k = key(0xc6336401, 0x0a000001, (uint16_t)dg, 17);

		for (uint32_t f = 0; f < 64; f++) {
			/* every other 8-byte slot: a hole in each datagram */
			add(t, &k, 16 * f, 8, true, dg);
			if (stats(t).bufs > peak)
				peak = stats(t).bufs;
		}
	}
	cr_assert_eq(peak, 2560, "held at most %u fragment buffers, want exactly the bound", peak);
	cr_assert_leq(stats(t).datagrams * 64u, 2560u + 64u);
	/* the same from 256 sources, 4 datagrams each */
	for (uint32_t dg = 0; dg < 1024; dg++) {
		struct reass_key k = key(0xc6330000 + dg % 256, 0x0a000001, (uint16_t)(dg / 256), 6);

		for (uint32_t f = 0; f < 64; f++) {
			add(t, &k, 16 * f, 8, true, 2000 + dg);
			cr_assert_leq(stats(t).bufs, 2560);
		}
	}
	finish(t);
}

/* One source floods: it evicts its own datagrams, not the older partial
 * datagrams of other peers, which then complete. (Evicting the oldest
 * overall, as before, pushed them out first.) */
Test(reass, flooding_source_evicts_its_own_datagrams)
{
	struct reass_table *t = mk_bounded(256, 1u << 20, 16, 100, 0);
	struct reass_key kb = key(2, 100, 1, 17), kc = key(3, 100, 1, 17);

	ADD_EXPECT(t, &kb, 0, 8, true, 0, REASS_HELD);
	ADD_EXPECT(t, &kb, 16, 8, false, 0, REASS_HELD);
	ADD_EXPECT(t, &kc, 8, 8, false, 1, REASS_HELD);
	for (uint32_t i = 0; i < 5000; i++) {
		struct reass_key ka = key(1, 100, (uint16_t)i, 17);

		ADD_EXPECT(t, &ka, 0, 8, true, 2 + i, REASS_HELD);
		cr_assert_leq(stats(t).bufs, 100);
	}
	cr_assert_eq(stats(t).bufs, 100);
	cr_assert_eq(stats(t).sources, 3);
	ADD_EXPECT(t, &kb, 8, 8, true, 9000, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 24);
	ADD_EXPECT(t, &kc, 0, 8, true, 9000, REASS_COMPLETE);
	cr_assert_eq(done.total_len, 16);
	finish(t);
}

Test(reass, flooding_source_evicts_its_own_when_out_of_descriptors)
{
	struct reass_table *t = mk_bounded(16, 1u << 20, 16, 0, 0);
	struct reass_key kb = key(2, 100, 1, 17);

	ADD_EXPECT(t, &kb, 0, 8, true, 0, REASS_HELD);
	for (uint32_t i = 0; i < 1000; i++) {
		struct reass_key ka = key(1, 100, (uint16_t)i, 17);

		ADD_EXPECT(t, &ka, 8, 8, true, 1 + i, REASS_HELD);
	}
	cr_assert_eq(stats(t).datagrams, 16);
	ADD_EXPECT(t, &kb, 8, 8, false, 2000, REASS_COMPLETE);
	finish(t);
}

/* A source over max_src_bufs makes room from its own datagrams, even while
 * the table has room: others keep theirs. */
Test(reass, per_source_quota)
{
	struct reass_table *t = mk_bounded(64, 1u << 20, 16, 200, 10);
	struct reass_key kb = key(2, 100, 1, 17);
	struct fbuf *b;

	ADD_EXPECT(t, &kb, 0, 8, true, 0, REASS_HELD);
	b = last_buf;
	for (uint32_t i = 0; i < 100; i++) {
		struct reass_key ka = key(1, 100, (uint16_t)i, 17);

		ADD_EXPECT(t, &ka, 0, 8, true, 1 + i, REASS_HELD);
		cr_assert_leq(stats(t).bufs, 11);
	}
	cr_assert_eq(stats(t).bufs, 11);
	cr_assert_eq(stats(t).evicted, 90);
	cr_assert_eq(b->state, B_TABLE);
	/* one datagram may use the whole quota, not more */
	{
		struct reass_key kc = key(3, 100, 1, 17);
		uint32_t i;

		for (i = 0; i < 10; i++)
			ADD_EXPECT(t, &kc, 16 * i, 8, true, 200, REASS_HELD);
		ADD_EXPECT(t, &kc, 16 * i, 8, true, 200, REASS_NOMEM);
	}
	finish(t);
}

/* The datagram being added to is never evicted for itself: when it is all
 * its (heaviest) source holds, the next heaviest source pays. */
Test(reass, growing_datagram_takes_from_next_heaviest)
{
	struct reass_table *t = mk_bounded(64, 1u << 20, 32, 20, 0);
	struct reass_key ka = key(1, 100, 1, 17), kb = key(2, 100, 1, 17);
	struct reass_key kc = key(3, 100, 1, 17), kc2 = key(3, 100, 2, 17);
	struct fbuf *b0;
	uint32_t i;

	ADD_EXPECT(t, &kb, 0, 8, true, 0, REASS_HELD); /* b: 1 buffer, oldest */
	b0 = last_buf;
	for (i = 0; i < 4; i++)
		ADD_EXPECT(t, &kc, 16 * i, 8, true, 1, REASS_HELD); /* c: 4 + 2 */
	ADD_EXPECT(t, &kc2, 0, 8, true, 2, REASS_HELD);
	ADD_EXPECT(t, &kc2, 16, 8, true, 2, REASS_HELD);
	for (i = 0; i < 13; i++)
		ADD_EXPECT(t, &ka, 16 * i, 8, true, 3, REASS_HELD); /* a: 13 */
	cr_assert_eq(stats(t).bufs, 20);
	/* a grows: a is heaviest but has only this datagram; c (6) gives
	 * its oldest datagram (4 buffers), b (1) keeps its own */
	ADD_EXPECT(t, &ka, 16 * 13, 8, true, 4, REASS_HELD);
	cr_assert_eq(stats(t).evicted, 1);
	cr_assert_eq(stats(t).bufs, 17);
	cr_assert_eq(b0->state, B_TABLE);
	finish(t);
}

/*
 * Random traffic from 8 sources (source 0 sends half of it), against the
 * bounds and the eviction rule. The test keeps its own count of what each
 * source holds, from the buffers the table takes, frees and hands back; at
 * the first buffer of every datagram evicted for another source's fragment,
 * that victim's source must hold at least as much as any other source but
 * the arriving one's, and when the arriving source alone holds the most and
 * has another datagram, it is its own victim.
 */
#define RS_NSRC 8
#define RS_NID 8
static uint32_t r_src_held[RS_NSRC];
static uint32_t r_dg_held[RS_NSRC][RS_NID];
static uint8_t r_buf_src[NBUF], r_buf_id[NBUF];
static bool r_counted[NBUF];
static uint32_t r_dg_seen[RS_NSRC][RS_NID]; /* call number of its last freed buffer */
static uint32_t r_call, r_arr_src, r_arr_id, r_checked;
static struct reass_table *r_table;

static void
r_hook(struct fbuf *b, bool returned)
{
	uint32_t s = r_buf_src[b->id], id = r_buf_id[b->id];

	if (!r_counted[b->id])
		return; /* the arriving fragment itself */
	if (!returned && s != r_arr_src && r_dg_seen[s][id] != r_call) {
		/* first buffer of a datagram of another source: an eviction */
		for (uint32_t o = 0; o < RS_NSRC; o++)
			if (o != r_arr_src && o != s)
				cr_assert_geq(r_src_held[s], r_src_held[o],
					      "call %u: source %u (%u held) evicted while %u holds %u",
					      r_call, s, r_src_held[s], o, r_src_held[o]);
		uint32_t own_other = r_src_held[r_arr_src] - r_dg_held[r_arr_src][r_arr_id];
		bool strictly = true;
		for (uint32_t o = 0; o < RS_NSRC; o++)
			if (o != r_arr_src && r_src_held[o] >= r_src_held[r_arr_src])
				strictly = false;
		cr_assert(!(strictly && own_other > 0),
			  "call %u: source %u evicted though the arriving source %u holds the most "
			  "(%u) and has another datagram", r_call, s, r_arr_src,
			  r_src_held[r_arr_src]);
		r_checked++;
	}
	r_dg_seen[s][id] = r_call;
	r_counted[b->id] = false;
	r_src_held[s]--;
	r_dg_held[s][id]--;
}

static void
r_run(uint32_t max_bytes, uint32_t max_bufs, uint32_t max_src_bufs, uint64_t seed)
{
	r_table = mk_bounded(16, max_bytes, 8, max_bufs, max_src_bufs);
	buf_hook = r_hook;
	rng_seed(seed);
	for (uint32_t step = 0; step < 40000; step++) {
		uint32_t s = rng(2) ? 0 : rng(RS_NSRC), id = rng(RS_NID);
		struct reass_key k = key(s + 1, 100, (uint16_t)id, 17);
		uint32_t off = 8 * rng(7);
		bool more = off < 48;
		uint32_t len = 8;
		enum reass_result r;

		r_call++;
		r_arr_src = s;
		r_arr_id = id;
		r_buf_src[nbufs] = (uint8_t)s;
		r_buf_id[nbufs] = (uint8_t)id;
		r = add(r_table, &k, off, len, more, step);
		if (r == REASS_HELD) {
			r_counted[last_buf->id] = true;
			r_src_held[s]++;
			r_dg_held[s][id]++;
		}
		struct reass_stats st = stats(r_table);
		uint32_t held = 0, srcs = 0;
		for (uint32_t o = 0; o < RS_NSRC; o++) {
			held += r_src_held[o];
			srcs += r_src_held[o] > 0;
			cr_assert_leq(r_src_held[o], max_src_bufs ? max_src_bufs : max_bufs);
		}
		cr_assert_eq(st.bufs, held, "step %u: table says %u buffers, %u held", step, st.bufs,
			     held);
		cr_assert_eq(st.sources, srcs);
		cr_assert_leq(st.bufs, max_bufs);
		cr_assert_leq(st.bytes, max_bytes);
		cr_assert_eq(st.bytes, 8 * held);
	}
	cr_assert_gt(r_checked, 100, "only %u evictions checked", r_checked);
	cr_assert_gt(stats(r_table).evicted, 100);
	buf_hook = NULL;
	finish(r_table);
}

Test(reass, random_sources_buffer_bound)
{
	r_run(1u << 20, 40, 0, 7);
}

Test(reass, random_sources_byte_bound)
{
	r_run(8 * 30, 1000, 0, 8);
}

Test(reass, random_sources_with_quota)
{
	r_run(1u << 20, 40, 12, 9);
}
