/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the shared-memory SPSC rings (lib/util/shm_ring.c).
 *
 * Every ring's data area is its own heap block of exactly size bytes, so
 * under ASan a copy that leaves the data area by one byte is reported. The
 * tests reach into struct shm_ring_hdr directly to play the hostile peer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/shm_ring.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

struct tring {
	struct shm_ring_hdr *hdr;
	uint8_t *data;
	uint32_t size;
	struct shm_ring p;	/* producer's view */
	struct shm_ring c;	/* consumer's view */
};

/* Both indices start at start: free-running indices wrap at 2^32, and a
 * start near it covers that too. */
static void
tr_init(struct tring *t, uint32_t size, uint32_t start)
{
	t->hdr = aligned_alloc(SHM_RING_CACHE_LINE, sizeof(*t->hdr));
	t->data = malloc(size);
	cr_assert(t->hdr != NULL && t->data != NULL);
	/* Poison, so stale bytes never look like the expected data. */
	memset(t->data, 0xa5, size);
	t->size = size;
	shm_ring_hdr_init(t->hdr);
	atomic_store(&t->hdr->prod, start);
	atomic_store(&t->hdr->cons, start);
	cr_assert_eq(shm_ring_init(&t->p, t->hdr, t->data, size, SHM_RING_PROD), 0);
	cr_assert_eq(shm_ring_init(&t->c, t->hdr, t->data, size, SHM_RING_CONS), 0);
}

static void
tr_fini(struct tring *t)
{
	free(t->hdr);
	free(t->data);
}

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: cheap, and every thread keeps its own state. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void
fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd(&s) >> 56);
}

/* Writes a raw record header into the ring at logical position pos, as a
 * hostile producer would (pos may straddle the wrap point). */
static void
poke_hdr(struct tring *t, uint32_t pos, uint32_t len, uint32_t meta_len,
	 uint32_t flags, uint32_t reserved)
{
	struct shm_rec_hdr h = { len, meta_len, flags, reserved };
	const uint8_t *b = (const uint8_t *)&h;
	unsigned int i;

	for (i = 0; i < sizeof(h); i++)
		t->data[(pos + i) & (t->size - 1)] = b[i];
}

/*
 * Set-up and layout.
 */

Test(shm_ring, init_rejects_bad_views)
{
	struct shm_ring r;
	struct shm_ring_hdr *hdr = aligned_alloc(64, sizeof(*hdr));
	uint8_t *data = aligned_alloc(64, 256);

	cr_assert_eq(shm_ring_init(&r, hdr, data, 256, SHM_RING_CONS), 0);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 16, SHM_RING_PROD), 0);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 0, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 8, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 96, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 0x80000001u, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 0xffffffffu, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, data + 4, 128, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, (void *)(data + 8), data + 128, 64, SHM_RING_CONS),
		     -EINVAL);
	cr_assert_eq(shm_ring_init(&r, NULL, data, 256, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, NULL, 256, SHM_RING_CONS), -EINVAL);
	cr_assert_eq(shm_ring_init(&r, hdr, data, 256, (enum shm_ring_side)7), -EINVAL);
	/* A header inside the data area would let data writes move indices. */
	cr_assert_eq(shm_ring_init(&r, (void *)(data + 64), data, 256, SHM_RING_CONS),
		     -EINVAL);
	free(hdr);
	free(data);
}

Test(shm_ring, layout_check)
{
	cr_assert_eq(shm_ring_layout_check(4096, 0, 128, 2048), 0);
	cr_assert_eq(shm_ring_layout_check(4096, 2048 + 128, 128, 2048), 0);
	cr_assert_eq(shm_ring_layout_check(4096, 3968, 0, 2048), 0);
	/* Out of the mapping, by a little and by overflow. */
	cr_assert_eq(shm_ring_layout_check(4096, 4032, 0, 2048), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 0, 2056, 2048), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 0, UINT64_MAX - 7, 2048), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, UINT64_MAX - 63, 128, 2048), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(100, 0, 128, 16), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(64, 0, 0, 16), -EINVAL);
	/* Misaligned, overlapping, bad sizes. */
	cr_assert_eq(shm_ring_layout_check(4096, 32, 256, 1024), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 0, 132, 1024), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 0, 64, 1024), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 1024, 0, 2048), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 0, 128, 1000), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(4096, 0, 128, 8), -EINVAL);
	cr_assert_eq(shm_ring_layout_check(SIZE_MAX, 0, 128, 1ull << 32), -EINVAL);
}

Test(shm_ring, hdr_layout)
{
	cr_assert_eq(offsetof(struct shm_ring_hdr, prod), 0);
	cr_assert_eq(offsetof(struct shm_ring_hdr, cons), 64);
	cr_assert_eq(sizeof(struct shm_ring_hdr), 128);
}

/*
 * Byte rings.
 */

Test(shm_bytes, empty_and_full)
{
	struct tring t;
	uint8_t in[80], out[80];

	tr_init(&t, 64, 0);
	fill(in, sizeof(in), 1);
	cr_assert_eq(shm_bytes_used(&t.c), 0);
	cr_assert_eq(shm_bytes_free(&t.p), 64);
	cr_assert_eq(shm_bytes_read(&t.c, out, sizeof(out)), 0);
	cr_assert_eq(shm_bytes_peek(&t.c, out, sizeof(out)), 0);
	cr_assert_eq(shm_bytes_skip(&t.c, 10), 0);

	/* Partial write: only what fits. */
	cr_assert_eq(shm_bytes_write(&t.p, in, 50), 50);
	cr_assert_eq(shm_bytes_write(&t.p, in + 50, 30), 14);
	cr_assert_eq(shm_bytes_free(&t.p), 0);
	cr_assert_eq(shm_bytes_used(&t.c), 64);
	cr_assert_eq(shm_bytes_write(&t.p, in, 1), 0);
	cr_assert_eq(shm_bytes_write(&t.p, in, 0), 0);

	/* Partial read, then the rest. */
	cr_assert_eq(shm_bytes_read(&t.c, out, 10), 10);
	cr_assert_eq(shm_bytes_free(&t.p), 10);
	cr_assert_eq(shm_bytes_read(&t.c, out + 10, 80), 54);
	cr_assert_eq(memcmp(in, out, 64), 0);
	cr_assert_eq(shm_bytes_used(&t.c), 0);
	cr_assert_eq(shm_bytes_free(&t.p), 64);
	tr_fini(&t);
}

Test(shm_bytes, wrap_at_every_offset)
{
	struct tring t;
	uint8_t in[64], out[64];
	uint32_t off, len;

	tr_init(&t, 64, 0);
	for (off = 0; off < 64; off++) {
		for (len = 1; len <= 64; len++) {
			/* Move both indices to off (mod 64), then across. */
			uint32_t adv = (off - (t.c.idx & 63)) & 63;

			if (adv) {
				cr_assert_eq(shm_bytes_write(&t.p, in, adv), adv);
				cr_assert_eq(shm_bytes_skip(&t.c, adv), adv);
			}
			cr_assert_eq(t.c.idx & 63, off);
			fill(in, len, off * 100 + len);
			memset(out, 0, sizeof(out));
			cr_assert_eq(shm_bytes_write(&t.p, in, len), len);
			cr_assert_eq(shm_bytes_used(&t.c), len);
			cr_assert_eq(shm_bytes_peek(&t.c, out, len), len);
			cr_assert_eq(memcmp(in, out, len), 0, "peek off %u len %u", off, len);
			memset(out, 0, sizeof(out));
			cr_assert_eq(shm_bytes_read(&t.c, out, sizeof(out)), len);
			cr_assert_eq(memcmp(in, out, len), 0, "read off %u len %u", off, len);
		}
	}
	tr_fini(&t);
}

Test(shm_bytes, index_wraps_at_2_32)
{
	struct tring t;
	uint8_t in[48], out[48];
	int i;

	tr_init(&t, 32, UINT32_MAX - 40);
	for (i = 0; i < 10; i++) {
		fill(in, 29, i);
		cr_assert_eq(shm_bytes_write(&t.p, in, 29), 29);
		cr_assert_eq(shm_bytes_free(&t.p), 3);
		cr_assert_eq(shm_bytes_used(&t.c), 29);
		cr_assert_eq(shm_bytes_read(&t.c, out, sizeof(out)), 29);
		cr_assert_eq(memcmp(in, out, 29), 0);
	}
	cr_assert_lt(t.c.idx, 1000u);
	tr_fini(&t);
}

Test(shm_bytes, peek_at_and_skip)
{
	struct tring t;
	uint8_t in[64], out[64];

	tr_init(&t, 64, 60);
	fill(in, 40, 7);
	cr_assert_eq(shm_bytes_write(&t.p, in, 40), 40);
	cr_assert_eq(shm_bytes_peek_at(&t.c, 10, out, 8), 8);
	cr_assert_eq(memcmp(in + 10, out, 8), 0);
	cr_assert_eq(shm_bytes_peek_at(&t.c, 35, out, 64), 5);
	cr_assert_eq(memcmp(in + 35, out, 5), 0);
	cr_assert_eq(shm_bytes_peek_at(&t.c, 40, out, 64), 0);
	cr_assert_eq(shm_bytes_peek_at(&t.c, SIZE_MAX, out, 64), 0);
	cr_assert_eq(shm_bytes_used(&t.c), 40);
	cr_assert_eq(shm_bytes_skip(&t.c, 15), 15);
	cr_assert_eq(shm_bytes_read(&t.c, out, 64), 25);
	cr_assert_eq(memcmp(in + 15, out, 25), 0);
	cr_assert_eq(shm_bytes_skip(&t.c, SIZE_MAX), 0);
	cr_assert_eq(shm_bytes_write(&t.p, NULL, 1), -EINVAL);
	cr_assert_eq(shm_bytes_read(&t.c, NULL, 1), -EINVAL);
	tr_fini(&t);
}


/* TCP's out-of-order data: placed past the write point (wrapping), unseen
 * by the consumer until published; never beyond the room. */
Test(shm_bytes, write_at_then_publish)
{
	struct tring t;
	uint8_t in[64], out[64];

	tr_init(&t, 64, 50);
	fill(in, 64, 9);
	cr_assert_eq(shm_bytes_write(&t.p, in, 4), 4);
	/* bytes [10, 30) of the stream after the 4 published, across the wrap */
	cr_assert_eq(shm_bytes_write_at(&t.p, 10, in + 14, 20), 20);
	cr_assert_eq(shm_bytes_used(&t.c), 4, "placed bytes are not readable");
	cr_assert_eq(shm_bytes_write_at(&t.p, 0, in + 4, 10), 10);
	cr_assert_eq(shm_bytes_used(&t.c), 4);
	cr_assert_eq(shm_bytes_publish(&t.p, 30), 30);
	cr_assert_eq(shm_bytes_read(&t.c, out, 64), 34);
	cr_assert_eq(memcmp(in, out, 34), 0);
	/* 64 free again: up to the room and no further */
	cr_assert_eq(shm_bytes_write_at(&t.p, 60, in, 8), 4);
	cr_assert_eq(shm_bytes_write_at(&t.p, 64, in, 8), 0);
	cr_assert_eq(shm_bytes_write_at(&t.p, SIZE_MAX, in, 8), 0);
	cr_assert_eq(shm_bytes_publish(&t.p, 100), 64);
	cr_assert_eq(shm_bytes_publish(&t.p, 1), 0);
	cr_assert_eq(shm_bytes_write_at(&t.p, 0, NULL, 1), -EINVAL);
	/* a consumer index out of range is corruption, as for write */
	atomic_store(&t.hdr->cons, 0);
	cr_assert_eq(shm_bytes_write_at(&t.p, 0, in, 1), SHM_ECORRUPT);
	cr_assert_eq(shm_bytes_publish(&t.p, 1), SHM_ECORRUPT);
	tr_fini(&t);
}
/*
 * Record rings.
 */

struct rbuf {
	uint8_t meta[64];
	uint8_t pay[512];
	struct shm_rec rec;
};

static void
rec_put(struct tring *t, uint32_t meta_len, uint32_t len, uint32_t flags, uint64_t seed,
	uint8_t *meta, uint8_t *pay)
{
	struct iovec iov = { pay, len };

	fill(meta, meta_len, seed);
	fill(pay, len, ~seed);
	cr_assert_eq(shm_rec_write(&t->p, meta, meta_len, &iov, 1, flags), 0);
}

Test(shm_rec, wrap_at_every_offset)
{
	static const uint32_t lens[][2] = {
		{ 0, 0 }, { 0, 1 }, { 3, 5 }, { 8, 8 }, { 0, 47 }, { 16, 31 }, { 1, 110 },
		{ 0, 112 },
	};
	uint8_t meta[64], pay[128];
	struct rbuf b;
	struct tring t;
	uint32_t off;
	size_t k;

	/* Every byte offset: indices start where the creator put them, so a
	 * record may begin unaligned to the data area and split anywhere,
	 * header included. */
	for (off = 0; off < 128; off++) {
		tr_init(&t, 128, off);
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			uint32_t ml = lens[k][0], len = lens[k][1];
			struct iovec iov = { b.pay, sizeof(b.pay) };
			struct shm_rec pk;

			rec_put(&t, ml, len, 0x1000u + (uint32_t)k, off * 31 + k, meta, pay);
			cr_assert_eq(shm_bytes_used(&t.c), (ssize_t)shm_rec_span(ml, len));
			cr_assert_eq(shm_rec_peek(&t.c, &pk), 0);
			cr_assert_eq(pk.len, len);
			cr_assert_eq(pk.meta_len, ml);
			cr_assert_eq(pk.flags, 0x1000u + k);
			memset(&b, 0, sizeof(b));
			cr_assert_eq(shm_rec_read(&t.c, b.meta, sizeof(b.meta), &iov, 1, &b.rec),
				     (ssize_t)len);
			cr_assert_eq(b.rec.len, len);
			cr_assert_eq(b.rec.meta_len, ml);
			cr_assert_eq(b.rec.flags, 0x1000u + k);
			cr_assert_eq(memcmp(b.meta, meta, ml), 0, "off %u k %zu", off, k);
			cr_assert_eq(memcmp(b.pay, pay, len), 0, "off %u k %zu", off, k);
			cr_assert_eq(shm_rec_peek(&t.c, &pk), -EAGAIN);
		}
		tr_fini(&t);
	}
}

/* shm_rec_peek_data at every byte offset: it copies what shm_rec_read then
 * copies, twice in a row, and consumes nothing. */
Test(shm_rec, peek_data_wrap_at_every_offset)
{
	static const uint32_t lens[][2] = {
		{ 0, 0 }, { 0, 1 }, { 3, 5 }, { 8, 8 }, { 0, 47 }, { 16, 31 }, { 1, 110 },
		{ 0, 112 },
	};
	uint8_t meta[64], pay[128];
	struct rbuf b, pk;
	struct tring t;
	uint32_t off;
	size_t k;
	int twice;

	for (off = 0; off < 128; off++) {
		tr_init(&t, 128, off);
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			uint32_t ml = lens[k][0], len = lens[k][1];
			struct iovec iov = { b.pay, sizeof(b.pay) };
			struct iovec piov = { pk.pay, sizeof(pk.pay) };

			rec_put(&t, ml, len, 0x2000u + (uint32_t)k, off * 37 + k, meta, pay);
			for (twice = 0; twice < 2; twice++) {
				memset(&pk, 0, sizeof(pk));
				cr_assert_eq(shm_rec_peek_data(&t.c, pk.meta, sizeof(pk.meta),
							       &piov, 1, &pk.rec),
					     (ssize_t)len);
				cr_assert_eq(pk.rec.len, len);
				cr_assert_eq(pk.rec.meta_len, ml);
				cr_assert_eq(pk.rec.flags, 0x2000u + k);
				cr_assert_eq(memcmp(pk.meta, meta, ml), 0, "off %u k %zu", off, k);
				cr_assert_eq(memcmp(pk.pay, pay, len), 0, "off %u k %zu", off, k);
				cr_assert_eq(atomic_load(&t.hdr->cons), t.c.idx);
				cr_assert_eq(shm_bytes_used(&t.c),
					     (ssize_t)shm_rec_span(ml, len));
			}
			memset(&b, 0, sizeof(b));
			cr_assert_eq(shm_rec_read(&t.c, b.meta, sizeof(b.meta), &iov, 1, &b.rec),
				     (ssize_t)len);
			cr_assert_eq(memcmp(b.meta, pk.meta, sizeof(b.meta)), 0);
			cr_assert_eq(memcmp(b.pay, pk.pay, sizeof(b.pay)), 0);
			cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 0, NULL, 0, NULL), -EAGAIN);
		}
		tr_fini(&t);
	}
}

/* Short buffers: full lengths reported, nothing consumed, and the record is
 * still whole for the read that follows (MSG_PEEK|MSG_TRUNC). */
Test(shm_rec, peek_data_truncation)
{
	uint8_t meta[24], pay[100], pout[100], mout[24], want[100];
	struct iovec iov[2];
	struct shm_rec rec;
	struct tring t;

	tr_init(&t, 512, 470);	/* the record wraps */
	rec_put(&t, 20, 100, 9, 1, meta, pay);
	fill(want, 100, ~1ull);

	memset(pout, 0, sizeof(pout));
	memset(mout, 0, sizeof(mout));
	iov[0] = (struct iovec){ pout, 10 };
	iov[1] = (struct iovec){ pout + 50, 20 };
	cr_assert_eq(shm_rec_peek_data(&t.c, mout, 6, iov, 2, &rec), 30);
	cr_assert_eq(rec.len, 100);
	cr_assert_eq(rec.meta_len, 20);
	cr_assert_eq(rec.flags, 9);
	cr_assert_eq(memcmp(mout, meta, 6), 0);
	cr_assert_eq(mout[6], 0);
	cr_assert_eq(memcmp(pout, want, 10), 0);
	cr_assert_eq(pout[10], 0);
	cr_assert_eq(memcmp(pout + 50, want + 10, 20), 0);
	cr_assert_eq(pout[70], 0);
	/* No buffers at all: the lengths only. */
	cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 0, NULL, 0, &rec), 0);
	cr_assert_eq(rec.len, 100);
	cr_assert_eq(shm_bytes_used(&t.c), (ssize_t)shm_rec_span(20, 100));

	iov[0] = (struct iovec){ pout, sizeof(pout) };
	cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), iov, 1, &rec), 100);
	cr_assert_eq(memcmp(pout, want, 100), 0);
	cr_assert_eq(memcmp(mout, meta, 20), 0);
	cr_assert_eq(shm_bytes_used(&t.c), 0);

	/* Bad arguments: -EINVAL before anything is copied. */
	rec_put(&t, 0, 8, 0, 2, meta, pay);
	iov[0] = (struct iovec){ NULL, 4 };
	cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 0, iov, 1, &rec), -EINVAL);
	cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 4, NULL, 0, &rec), -EINVAL);
	cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 0, NULL, -1, &rec), -EINVAL);
	cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 0, NULL, 0, &rec), 0);
	tr_fini(&t);
}

Test(shm_rec, full_and_empty)
{
	uint8_t meta[8], pay[64];
	struct shm_rec pk;
	struct tring t;
	uint32_t prod;
	int n = 0, i;

	tr_init(&t, 256, 0);
	memset(meta, 0, sizeof(meta));
	cr_assert_eq(shm_rec_peek(&t.c, &pk), -EAGAIN);
	cr_assert_eq(shm_rec_read(&t.c, NULL, 0, NULL, 0, &pk), -EAGAIN);
	cr_assert_eq(shm_rec_skip(&t.c), -EAGAIN);
	/* 16 + 5 + 40 = 61, padded to 64: four fill the ring exactly. */
	for (;;) {
		struct iovec iov = { pay, 40 };
		int rc;

		fill(pay, 40, n);
		prod = atomic_load(&t.hdr->prod);
		rc = shm_rec_write(&t.p, meta, 5, &iov, 1, 0);
		if (rc == -EAGAIN) {
			/* Nothing written, nothing published. */
			cr_assert_eq(atomic_load(&t.hdr->prod), prod);
			break;
		}
		cr_assert_eq(rc, 0);
		n++;
	}
	cr_assert_eq(n, 4);
	cr_assert_eq(shm_bytes_free(&t.p), 0);
	/* Even an empty record needs 16 bytes. */
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, NULL, 0, 0), -EAGAIN);

	cr_assert_eq(shm_rec_skip(&t.c), 0);
	/* 64 free: a 72-byte record does not fit, a 64-byte one does. */
	{
		struct iovec iov = { pay, 44 };

		cr_assert_eq(shm_rec_write(&t.p, meta, 5, &iov, 1, 0), -EAGAIN);
		iov.iov_len = 40;
		cr_assert_eq(shm_rec_write(&t.p, meta, 8, &iov, 1, 0), 0);
	}
	for (i = 1; i < 4; i++) {
		struct iovec iov = { pay, sizeof(pay) };

		cr_assert_eq(shm_rec_read(&t.c, NULL, 0, &iov, 1, &pk), 40);
		cr_assert_eq(pk.meta_len, 5);
		{
			uint8_t want[40];

			fill(want, 40, i);
			cr_assert_eq(memcmp(want, pay, 40), 0);
		}
	}
	cr_assert_eq(shm_rec_skip(&t.c), 0);
	cr_assert_eq(shm_rec_skip(&t.c), -EAGAIN);
	cr_assert_eq(shm_bytes_free(&t.p), 256);
	tr_fini(&t);
}

Test(shm_rec, emsgsize)
{
	static uint8_t big[300];
	struct tring t;
	struct iovec iov[3];

	tr_init(&t, 256, 0);
	/* 16 + 240 = 256 fits exactly in an empty ring. */
	iov[0] = (struct iovec){ big, 240 };
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, iov, 1, 0), 0);
	cr_assert_eq(shm_rec_skip(&t.c), 0);
	/* 16 + 241 pads to 264: can never fit, empty or not. */
	iov[0].iov_len = 241;
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, iov, 1, 0), -EMSGSIZE);
	iov[0].iov_len = 200;
	cr_assert_eq(shm_rec_write(&t.p, big, 41, iov, 1, 0), -EMSGSIZE);
	cr_assert_eq(shm_rec_write(&t.p, big, UINT32_MAX, NULL, 0, 0), -EMSGSIZE);
	/* Lengths that wrap 32 or 64 bits. */
	iov[0] = (struct iovec){ big, UINT32_MAX };
	iov[1] = (struct iovec){ big, 2 };
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, iov, 2, 0), -EMSGSIZE);
	iov[0] = (struct iovec){ big, 16 };
	iov[1] = (struct iovec){ big, SIZE_MAX - 8 };
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, iov, 2, 0), -EMSGSIZE);
	iov[0] = (struct iovec){ big, (size_t)1 << 32 };
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, iov, 1, 0), -EMSGSIZE);
	cr_assert_eq(shm_rec_write(&t.p, big, UINT32_MAX - 20, iov + 1, 1, 0), -EMSGSIZE);
	/* Nothing was published by any of these. */
	cr_assert_eq(shm_bytes_used(&t.c), 0);
	tr_fini(&t);
}

Test(shm_rec, einval)
{
	struct tring t;
	struct iovec iov = { NULL, 4 };
	uint8_t m[4];

	tr_init(&t, 64, 0);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, NULL, -1, 0), -EINVAL);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, NULL, 1, 0), -EINVAL);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 4, NULL, 0, 0), -EINVAL);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, &iov, 1, 0), -EINVAL);
	cr_assert_eq(shm_rec_write(&t.p, m, 4, NULL, 0, 0), 0);
	cr_assert_eq(shm_rec_read(&t.c, NULL, 4, NULL, 0, NULL), -EINVAL);
	cr_assert_eq(shm_rec_read(&t.c, NULL, 0, NULL, -1, NULL), -EINVAL);
	cr_assert_eq(shm_rec_read(&t.c, NULL, 0, &iov, 1, NULL), -EINVAL);
	/* None of the errors consumed the record. */
	cr_assert_eq(shm_rec_read(&t.c, m, 4, NULL, 0, NULL), 0);
	cr_assert_eq(shm_rec_peek(&t.c, NULL), -EAGAIN);
	tr_fini(&t);
}

Test(shm_rec, truncation)
{
	uint8_t meta[24], pay[100], pout[100], mout[24];
	struct tring t;
	struct shm_rec rec;
	struct iovec iov;

	tr_init(&t, 512, 500);
	rec_put(&t, 20, 100, 9, 1, meta, pay);
	rec_put(&t, 3, 7, 10, 2, meta + 20, pay + 50);

	/* Payload cut to 30 bytes, meta to 6: full lengths still reported,
	 * the whole record consumed (recvmsg's MSG_TRUNC, MSG_CTRUNC). */
	memset(pout, 0, sizeof(pout));
	memset(mout, 0, sizeof(mout));
	iov = (struct iovec){ pout, 30 };
	cr_assert_eq(shm_rec_read(&t.c, mout, 6, &iov, 1, &rec), 30);
	cr_assert_eq(rec.len, 100);
	cr_assert_eq(rec.meta_len, 20);
	cr_assert_eq(rec.flags, 9);
	cr_assert_eq(pout[30], 0);
	cr_assert_eq(mout[6], 0);
	{
		uint8_t want[100];

		fill(want, 20, 1);
		cr_assert_eq(memcmp(mout, want, 6), 0);
		fill(want, 100, ~1ull);
		cr_assert_eq(memcmp(pout, want, 30), 0);
	}
	/* The next record is intact. */
	iov = (struct iovec){ pout, sizeof(pout) };
	cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), &iov, 1, &rec), 7);
	cr_assert_eq(rec.len, 7);
	cr_assert_eq(rec.meta_len, 3);
	cr_assert_eq(rec.flags, 10);
	cr_assert_eq(memcmp(mout, meta + 20, 3), 0);
	cr_assert_eq(memcmp(pout, pay + 50, 7), 0);

	/* No buffers at all: a discard that still reports the lengths. */
	rec_put(&t, 4, 60, 11, 3, meta, pay);
	cr_assert_eq(shm_rec_read(&t.c, NULL, 0, NULL, 0, &rec), 0);
	cr_assert_eq(rec.len, 60);
	cr_assert_eq(rec.meta_len, 4);
	cr_assert_eq(shm_bytes_used(&t.c), 0);
	tr_fini(&t);
}

Test(shm_rec, zero_length)
{
	uint8_t meta[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, mout[8], pout[8];
	struct iovec empty = { NULL, 0 };
	struct iovec iov = { pout, sizeof(pout) };
	struct shm_rec rec;
	struct tring t;
	int i;

	tr_init(&t, 128, 0);
	/* UDP allows empty datagrams: header only, 16 bytes each. */
	for (i = 0; i < 8; i++)
		cr_assert_eq(shm_rec_write(&t.p, NULL, 0, i & 1 ? &empty : NULL, i & 1, i), 0);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, NULL, 0, 0), -EAGAIN);
	for (i = 0; i < 8; i++) {
		cr_assert_eq(shm_rec_peek(&t.c, &rec), 0);
		cr_assert_eq(rec.len, 0);
		cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), &iov, 1, &rec), 0);
		cr_assert_eq(rec.len, 0);
		cr_assert_eq(rec.meta_len, 0);
		cr_assert_eq(rec.flags, (uint32_t)i);
	}
	cr_assert_eq(shm_rec_peek(&t.c, &rec), -EAGAIN);
	/* Empty payload with meta (the source address of an empty datagram). */
	cr_assert_eq(shm_rec_write(&t.p, meta, 8, NULL, 0, 0), 0);
	cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), &iov, 1, &rec), 0);
	cr_assert_eq(rec.meta_len, 8);
	cr_assert_eq(memcmp(mout, meta, 8), 0);
	tr_fini(&t);
}

Test(shm_rec, iovec_gather_scatter)
{
	uint8_t src[200], dst[200], a[7], b2[50], c[1], d[200];
	struct iovec in[5] = {
		{ src, 13 }, { NULL, 0 }, { src + 13, 100 }, { src + 113, 1 }, { src + 114, 86 },
	};
	struct iovec out[5] = { { a, sizeof(a) }, { NULL, 0 }, { b2, sizeof(b2) },
				{ c, sizeof(c) }, { d, sizeof(d) } };
	struct shm_rec rec;
	struct tring t;
	int round;

	/* 256-byte ring, 216-byte records: every round wraps at a different
	 * place in the record. */
	tr_init(&t, 256, 0);
	for (round = 0; round < 40; round++) {
		fill(src, sizeof(src), round);
		cr_assert_eq(shm_rec_write(&t.p, NULL, 0, in, 5, 0), 0);
		cr_assert_eq(shm_rec_read(&t.c, NULL, 0, out, 5, &rec), 200);
		memcpy(dst, a, 7);
		memcpy(dst + 7, b2, 50);
		memcpy(dst + 57, c, 1);
		memcpy(dst + 58, d, 142);
		cr_assert_eq(memcmp(src, dst, 200), 0, "round %d", round);
	}
	/* Scatter that runs out in the middle of the second iovec. */
	fill(src, sizeof(src), 99);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, in, 3, 0), 0);
	cr_assert_eq(shm_rec_read(&t.c, NULL, 0, out, 3, &rec), 57);
	cr_assert_eq(rec.len, 113);
	cr_assert_eq(memcmp(a, src, 7), 0);
	cr_assert_eq(memcmp(b2, src + 7, 50), 0);
	tr_fini(&t);
}

/*
 * Hostile peer: targeted cases. Each corrupts one thing and checks that every
 * function that reads it says SHM_ECORRUPT.
 */

static void
expect_cons_corrupt(struct tring *t)
{
	uint8_t buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct shm_rec rec;
	uint32_t cons = t->c.idx;

	cr_assert_eq(shm_bytes_used(&t->c), SHM_ECORRUPT);
	cr_assert_eq(shm_bytes_read(&t->c, buf, sizeof(buf)), SHM_ECORRUPT);
	cr_assert_eq(shm_bytes_peek(&t->c, buf, sizeof(buf)), SHM_ECORRUPT);
	cr_assert_eq(shm_bytes_peek_at(&t->c, 3, buf, sizeof(buf)), SHM_ECORRUPT);
	cr_assert_eq(shm_bytes_skip(&t->c, 1), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_peek(&t->c, &rec), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_read(&t->c, buf, sizeof(buf), &iov, 1, &rec), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_peek_data(&t->c, buf, sizeof(buf), &iov, 1, &rec), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_skip(&t->c), SHM_ECORRUPT);
	/* And none of them consumed anything. */
	cr_assert_eq(t->c.idx, cons);
}

Test(shm_hostile, prod_out_of_range)
{
	static const uint32_t bad[] = { 129, 200, 0x80000000u, UINT32_MAX };
	struct tring t;
	size_t i;

	tr_init(&t, 128, 1000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		atomic_store(&t.hdr->prod, 1000 + bad[i]);
		expect_cons_corrupt(&t);
	}
	/* Behind cons by one: (prod - cons) wraps to UINT32_MAX. */
	atomic_store(&t.hdr->prod, 999);
	expect_cons_corrupt(&t);
	/* Exactly a ring ahead is legal for bytes. */
	atomic_store(&t.hdr->prod, 1000 + 128);
	cr_assert_eq(shm_bytes_used(&t.c), 128);
	cr_assert_eq(shm_bytes_read(&t.c, NULL, 0), 0);
	{
		static uint8_t out[300];

		cr_assert_eq(shm_bytes_read(&t.c, out, sizeof(out)), 128);
	}
	tr_fini(&t);
}

Test(shm_hostile, cons_out_of_range)
{
	static const uint32_t bad[] = { 1, 100, 0x80000000u };
	uint8_t pay[8] = { 0 };
	struct iovec iov = { pay, sizeof(pay) };
	struct tring t;
	size_t i;

	/* The daemon as producer (daemon->app rings) reads cons from the app:
	 * cons ahead of our prod, or more than a ring behind it. */
	tr_init(&t, 128, 5);
	cr_assert_eq(shm_bytes_write(&t.p, pay, 8), 8);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		atomic_store(&t.hdr->cons, 13 + bad[i]);
		cr_assert_eq(shm_bytes_free(&t.p), SHM_ECORRUPT);
		cr_assert_eq(shm_bytes_write(&t.p, pay, 8), SHM_ECORRUPT);
		cr_assert_eq(shm_rec_write(&t.p, NULL, 0, &iov, 1, 0), SHM_ECORRUPT);
	}
	atomic_store(&t.hdr->cons, 13 - 129);
	cr_assert_eq(shm_bytes_free(&t.p), SHM_ECORRUPT);
	cr_assert_eq(shm_bytes_write(&t.p, pay, 8), SHM_ECORRUPT);
	cr_assert_eq(atomic_load(&t.hdr->prod), 13);
	/* A ring behind is legal and full; a cons moved back within that
	 * only shrinks the room we see. */
	atomic_store(&t.hdr->cons, 13 - 128);
	cr_assert_eq(shm_bytes_free(&t.p), 0);
	cr_assert_eq(shm_bytes_write(&t.p, pay, 8), 0);
	atomic_store(&t.hdr->cons, 13 - 100);
	cr_assert_eq(shm_bytes_free(&t.p), 28);
	tr_fini(&t);
}

Test(shm_hostile, own_index_rewritten)
{
	uint8_t in[40], out[40];
	struct tring t;

	/* The peer rewrites the index we own: we neither read it back nor
	 * follow it. */
	tr_init(&t, 64, 0);
	fill(in, 40, 5);
	cr_assert_eq(shm_bytes_write(&t.p, in, 20), 20);
	atomic_store(&t.hdr->cons, 0xdeadbeef);
	cr_assert_eq(shm_bytes_read(&t.c, out, 10), 10);
	cr_assert_eq(atomic_load(&t.hdr->cons), 10);
	atomic_store(&t.hdr->prod, 12345);
	cr_assert_eq(shm_bytes_write(&t.p, in + 20, 20), 20);
	cr_assert_eq(atomic_load(&t.hdr->prod), 40);
	cr_assert_eq(shm_bytes_read(&t.c, out + 10, 30), 30);
	cr_assert_eq(memcmp(in, out, 40), 0);
	tr_fini(&t);
}

Test(shm_hostile, used_not_whole_records)
{
	struct shm_rec rec;
	struct tring t;

	tr_init(&t, 128, 0);
	/* Fewer bytes than a header, or not a multiple of 8. */
	poke_hdr(&t, 0, 0, 0, 0, 0);
	atomic_store(&t.hdr->prod, 8);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	atomic_store(&t.hdr->prod, 15);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	atomic_store(&t.hdr->prod, 17);
	cr_assert_eq(shm_rec_skip(&t.c), SHM_ECORRUPT);
	atomic_store(&t.hdr->prod, 16);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), 0);
	tr_fini(&t);
}

Test(shm_hostile, record_longer_than_published)
{
	uint8_t buf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct shm_rec rec;
	struct tring t;

	tr_init(&t, 128, 120);	/* header straddles the wrap point */
	atomic_store(&t.hdr->prod, 120 + 64);
	/* 16 + 48 = 64: fits exactly. */
	poke_hdr(&t, 120, 48, 0, 0, 0);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), 0);
	cr_assert_eq(rec.len, 48);
	/* One more payload byte, or meta byte, than published. */
	poke_hdr(&t, 120, 49, 0, 0, 0);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_read(&t.c, buf, 64, &iov, 1, &rec), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_skip(&t.c), SHM_ECORRUPT);
	poke_hdr(&t, 120, 0, 49, 0, 0);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	poke_hdr(&t, 120, 40, 9, 0, 0);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	/* Lengths larger than the whole ring. */
	poke_hdr(&t, 120, 1u << 20, 0, 0, 0);
	cr_assert_eq(shm_rec_read(&t.c, buf, 64, &iov, 1, &rec), SHM_ECORRUPT);
	poke_hdr(&t, 120, UINT32_MAX, UINT32_MAX, 0, 0);
	cr_assert_eq(shm_rec_read(&t.c, buf, 64, &iov, 1, &rec), SHM_ECORRUPT);
	cr_assert_eq(t.c.idx, 120);
	tr_fini(&t);
}

Test(shm_hostile, lengths_overflow_32_bits)
{
	uint8_t buf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct shm_rec rec;
	struct tring t;

	tr_init(&t, 128, 0);
	atomic_store(&t.hdr->prod, 64);
	/* In 32-bit arithmetic 16 + meta_len + len would be 32 here, and
	 * padded spans of 64, 0 or 16: all plausible. */
	poke_hdr(&t, 0, 0xfffffff0u, 0x20, 0, 0);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	cr_assert_eq(shm_rec_read(&t.c, buf, sizeof(buf), &iov, 1, &rec), SHM_ECORRUPT);
	poke_hdr(&t, 0, 0x20, 0xfffffff0u, 0, 0);
	cr_assert_eq(shm_rec_read(&t.c, buf, sizeof(buf), &iov, 1, &rec), SHM_ECORRUPT);
	poke_hdr(&t, 0, 0xfffffff0u, 0, 0, 0);
	cr_assert_eq(shm_rec_skip(&t.c), SHM_ECORRUPT);
	poke_hdr(&t, 0, 0xffffffe8u, 0x8, 0, 0);
	cr_assert_eq(shm_rec_skip(&t.c), SHM_ECORRUPT);
	poke_hdr(&t, 0, 0x80000000u, 0x80000000u, 0, 0);
	cr_assert_eq(shm_rec_skip(&t.c), SHM_ECORRUPT);
	cr_assert_eq(t.c.idx, 0);
	tr_fini(&t);
}

Test(shm_hostile, reserved_must_be_zero)
{
	struct shm_rec rec;
	struct tring t;

	tr_init(&t, 64, 0);
	cr_assert_eq(shm_rec_write(&t.p, NULL, 0, NULL, 0, 0), 0);
	poke_hdr(&t, 0, 0, 0, 0, 1);
	cr_assert_eq(shm_rec_peek(&t.c, &rec), SHM_ECORRUPT);
	tr_fini(&t);
}

Test(shm_hostile, header_changes_after_peek)
{
	uint8_t meta[8], pay[64], pout[64], mout[8], m2[8], p2[8];
	struct iovec iov = { pout, sizeof(pout) };
	struct shm_rec pk, rec;
	struct tring t;

	tr_init(&t, 128, 0);
	rec_put(&t, 8, 40, 3, 1, meta, pay);	/* span 64 */
	rec_put(&t, 0, 8, 4, 2, m2, p2);	/* span 24, prod = 88 */
	cr_assert_eq(shm_rec_peek(&t.c, &pk), 0);
	cr_assert_eq(pk.len, 40);

	/* Grown past what was published after the peek: read must not
	 * believe the peek, nor the new value. */
	poke_hdr(&t, 0, 200, 8, 3, 0);
	cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), &iov, 1, &rec), SHM_ECORRUPT);
	cr_assert_eq(t.c.idx, 0);

	/* Shrunk after the peek: read uses its own fetch, consistently. The
	 * peer then gets garbage for its own socket, nothing worse. */
	poke_hdr(&t, 0, 16, 0, 3, 0);
	memset(pout, 0, sizeof(pout));
	cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), &iov, 1, &rec), 16);
	cr_assert_eq(rec.len, 16);
	cr_assert_eq(rec.meta_len, 0);
	cr_assert_eq(t.c.idx, 32);
	cr_assert_eq(memcmp(pout, meta, 8), 0);
	cr_assert_eq(memcmp(pout + 8, pay, 8), 0);
	cr_assert_eq(pout[16], 0);
	tr_fini(&t);
}

/* shm_rec_peek_data checks the header it fetches as read does, and a
 * header rewritten between a peek_data and the read is checked again. */
Test(shm_hostile, peek_data_validates)
{
	uint8_t meta[8], pay[64], pout[64], mout[8];
	struct iovec iov = { pout, sizeof(pout) };
	struct shm_rec rec;
	struct tring t;

	tr_init(&t, 128, 120);	/* header straddles the wrap point */
	rec_put(&t, 8, 40, 3, 1, meta, pay);	/* span 64 */
	cr_assert_eq(shm_rec_peek_data(&t.c, mout, sizeof(mout), &iov, 1, &rec), 40);
	/* Longer than published, lengths that wrap 32 bits, reserved set. */
	poke_hdr(&t, 120, 41, 8, 3, 0);
	cr_assert_eq(shm_rec_peek_data(&t.c, mout, sizeof(mout), &iov, 1, &rec),
		     SHM_ECORRUPT);
	poke_hdr(&t, 120, 0xfffffff0u, 0x20, 3, 0);
	cr_assert_eq(shm_rec_peek_data(&t.c, mout, sizeof(mout), &iov, 1, &rec),
		     SHM_ECORRUPT);
	poke_hdr(&t, 120, 40, 8, 3, 7);
	cr_assert_eq(shm_rec_peek_data(&t.c, mout, sizeof(mout), &iov, 1, &rec),
		     SHM_ECORRUPT);
	/* Not whole records published. */
	poke_hdr(&t, 120, 40, 8, 3, 0);
	atomic_store(&t.hdr->prod, 120 + 60);
	cr_assert_eq(shm_rec_peek_data(&t.c, NULL, 0, NULL, 0, &rec), SHM_ECORRUPT);
	atomic_store(&t.hdr->prod, 120 + 64);
	cr_assert_eq(t.c.idx, 120);
	/* Shrunk after a good peek_data: the read fetches its own copy. */
	cr_assert_eq(shm_rec_peek_data(&t.c, mout, sizeof(mout), &iov, 1, &rec), 40);
	poke_hdr(&t, 120, 16, 0, 3, 0);
	cr_assert_eq(shm_rec_read(&t.c, mout, sizeof(mout), &iov, 1, &rec), 16);
	cr_assert_eq(rec.meta_len, 0);
	cr_assert_eq(t.c.idx, 120 + 32);
	tr_fini(&t);
}

/*
 * Two threads: a producer and a consumer over a small ring, so that nearly
 * every record wraps at some point. Record n's lengths, flags and bytes are
 * all derived from n, so the consumer checks each one exactly.
 */

struct stress {
	struct tring t;
	uint32_t nrec;
	uint32_t max_len;
	uint64_t sum_prod;
	uint64_t sum_cons;
	uint64_t errors;
};

static void
rec_shape(uint32_t n, uint32_t max_len, uint32_t *meta_len, uint32_t *len)
{
	uint64_t s = (uint64_t)n * 0x9e3779b97f4a7c15ull + 77;
	uint64_t v = rnd(&s);

	*meta_len = 8 + (uint32_t)(v % 17);
	/* A quarter of the records are tiny, some empty. */
	if ((v >> 8) % 4 == 0)
		*len = (uint32_t)((v >> 16) % 4);
	else
		*len = (uint32_t)((v >> 16) % (max_len + 1));
}

static uint64_t
csum(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void *
stress_prod(void *arg)
{
	struct stress *s = arg;
	uint8_t meta[32], pay[70000];
	uint64_t sum = 0xcbf29ce484222325ull, rs = 12345;
	uint32_t n;

	for (n = 0; n < s->nrec; n++) {
		uint32_t ml, len, a;
		struct iovec iov[2];
		int rc;

		rec_shape(n, s->max_len, &ml, &len);
		memcpy(meta, &n, sizeof(n));
		fill(meta + 4, ml - 4, n);
		fill(pay, len, (uint64_t)n << 20);
		sum = csum(csum(sum, meta, ml), pay, len);
		a = len ? (uint32_t)(rnd(&rs) % (len + 1)) : 0;
		iov[0] = (struct iovec){ pay, a };
		iov[1] = (struct iovec){ pay + a, len - a };
		while ((rc = shm_rec_write(&s->t.p, meta, ml, iov, 2, n ^ 0x5a5a5a5au)) == -EAGAIN)
			sched_yield();
		if (rc != 0) {
			s->errors++;
			break;
		}
	}
	s->sum_prod = sum;
	return NULL;
}

static void *
stress_cons(void *arg)
{
	struct stress *s = arg;
	static _Thread_local uint8_t meta[32], pay[70000], want[70000];
	uint64_t sum = 0xcbf29ce484222325ull, rs = 999;
	uint32_t n;

	for (n = 0; n < s->nrec; n++) {
		uint32_t ml, len, a, seq;
		struct shm_rec pk, rec;
		struct iovec iov[2];
		ssize_t rc;

		rec_shape(n, s->max_len, &ml, &len);
		a = (uint32_t)(rnd(&rs) % (len + 1));
		iov[0] = (struct iovec){ pay, a };
		iov[1] = (struct iovec){ pay + a, sizeof(pay) - a };
		if (n % 3 == 0) {
			while ((rc = shm_rec_peek(&s->t.c, &pk)) == -EAGAIN)
				sched_yield();
			if (rc != 0 || pk.len != len || pk.meta_len != ml) {
				s->errors++;
				break;
			}
		}
		while ((rc = shm_rec_read(&s->t.c, meta, sizeof(meta), iov, 2, &rec)) == -EAGAIN)
			sched_yield();
		memcpy(&seq, meta, sizeof(seq));
		fill(want, len, (uint64_t)n << 20);
		if (rc != (ssize_t)len || rec.len != len || rec.meta_len != ml || seq != n ||
		    rec.flags != (n ^ 0x5a5a5a5au) || memcmp(pay, want, len) != 0) {
			s->errors++;
			break;
		}
		sum = csum(csum(sum, meta, ml), pay, len);
	}
	s->sum_cons = sum;
	return NULL;
}

static void
run_stress(uint32_t size, uint32_t nrec, uint32_t max_len)
{
	struct stress s = { .nrec = nrec, .max_len = max_len };
	pthread_t tp, tc;

	tr_init(&s.t, size, UINT32_MAX - 1000);
	cr_assert_eq(pthread_create(&tc, NULL, stress_cons, &s), 0);
	cr_assert_eq(pthread_create(&tp, NULL, stress_prod, &s), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	cr_assert_eq(s.errors, 0);
	cr_assert_eq(s.sum_prod, s.sum_cons);
	cr_assert_eq(shm_bytes_used(&s.t.c), 0);
	tr_fini(&s.t);
}

/* TSan runs several times slower: fewer records, same coverage of wraps. */
#define STRESS_N (UNDER_TSAN ? 1000000u : 3000000u)

Test(shm_stress, records_small_ring, .timeout = 100)
{
	/* max span 16 + 24 + 200 = 240 of 256: a wrap almost every record. */
	run_stress(256, STRESS_N, 200);
}

Test(shm_stress, records_larger_ring, .timeout = 100)
{
	run_stress(4096, STRESS_N / 3, 1500);
}

struct bstress {
	struct tring t;
	uint64_t total;
	uint64_t errors;
};

static uint8_t
stream_byte(uint64_t i)
{
	return (uint8_t)((i * 0x9e3779b97f4a7c15ull) >> 57) ^ (uint8_t)i;
}

static void *
bstress_prod(void *arg)
{
	struct bstress *s = arg;
	uint8_t buf[100];
	uint64_t off = 0, rs = 4242;

	while (off < s->total) {
		size_t n = 1 + rnd(&rs) % sizeof(buf), i;
		ssize_t w;

		if (n > s->total - off)
			n = s->total - off;
		for (i = 0; i < n; i++)
			buf[i] = stream_byte(off + i);
		/* Partial writes: the rest goes in the next call. */
		w = shm_bytes_write(&s->t.p, buf, n);
		if (w < 0 || (size_t)w > n) {
			s->errors++;
			return NULL;
		}
		if (w == 0)
			sched_yield();
		off += w;
	}
	return NULL;
}

static void *
bstress_cons(void *arg)
{
	struct bstress *s = arg;
	uint8_t buf[100];
	uint64_t off = 0, rs = 777;

	while (off < s->total) {
		size_t n = 1 + rnd(&rs) % sizeof(buf);
		ssize_t r, i;

		r = shm_bytes_read(&s->t.c, buf, n);
		if (r < 0 || (size_t)r > n) {
			s->errors++;
			return NULL;
		}
		if (r == 0)
			sched_yield();
		for (i = 0; i < r; i++) {
			if (buf[i] != stream_byte(off + i)) {
				s->errors++;
				return NULL;
			}
		}
		off += r;
	}
	return NULL;
}

Test(shm_stress, bytes_small_ring, .timeout = 100)
{
	struct bstress s = { .total = UNDER_TSAN ? 10000000 : 40000000 };
	pthread_t tp, tc;

	tr_init(&s.t, 64, UINT32_MAX - 100);
	cr_assert_eq(pthread_create(&tc, NULL, bstress_cons, &s), 0);
	cr_assert_eq(pthread_create(&tp, NULL, bstress_prod, &s), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	cr_assert_eq(s.errors, 0);
	cr_assert_eq(shm_bytes_used(&s.t.c), 0);
	tr_fini(&s.t);
}

/*
 * Hostile peer, concurrently: a producer, a consumer, and a third thread
 * that stores random values into both indices and into record headers (and
 * anywhere in the data area) while the other two run. Neither side may crash
 * or touch memory outside the data area (ASan watches the heap block), and
 * every length the consumer reports must be within the ring.
 *
 * Skipped under TSan: the scribbler races with everything by design, which
 * is exactly what TSan reports.
 */

struct hostile {
	struct tring t;
	atomic_bool stop;
	bool bytes;			/* byte ring rather than record ring */
	uint64_t reads, corrupt, bad, writes, wcorrupt, scribbles;
};

static uint32_t
wild(uint64_t *rs, uint32_t near, uint32_t size)
{
	uint64_t v = rnd(rs);

	switch (v % 6) {
	case 0:
		return (uint32_t)(v >> 32);
	case 1:
		return near + (uint32_t)((v >> 32) % (2 * size + 2));
	case 2:
		return near - (uint32_t)((v >> 32) % (2 * size + 2));
	case 3:
		return UINT32_MAX - (uint32_t)((v >> 32) % 64);
	case 4:
		return near + size;
	default:
		return (uint32_t)((v >> 32) % (size + 1));
	}
}

static void *
hostile_scribbler(void *arg)
{
	struct hostile *h = arg;
	uint32_t size = h->t.size, mask = size - 1;
	uint64_t rs = 0xfeedface;

	while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
		uint64_t v = rnd(&rs);
		uint32_t cons = atomic_load_explicit(&h->t.hdr->cons, memory_order_relaxed);
		uint32_t prod = atomic_load_explicit(&h->t.hdr->prod, memory_order_relaxed);
		uint32_t w = wild(&rs, (v & 1) ? cons : prod, size);
		uint32_t pos, i;

		switch ((v >> 1) % 8) {
		case 0:
			atomic_store_explicit(&h->t.hdr->prod, w, memory_order_relaxed);
			break;
		case 1:
			atomic_store_explicit(&h->t.hdr->cons, w, memory_order_relaxed);
			break;
		case 2:
		case 3:
		case 4:
		case 5:
			/* One field of the next record's header, or of one
			 * a little further on. */
			pos = cons + 4 * (uint32_t)((v >> 8) % 4) +
				8 * (uint32_t)((v >> 16) % 4);
			for (i = 0; i < 4; i++)
				((volatile uint8_t *)h->t.data)[(pos + i) & mask] =
					(uint8_t)(w >> (8 * i));
			break;
		default:
			((volatile uint8_t *)h->t.data)[(uint32_t)(v >> 32) & mask] =
				(uint8_t)w;
			break;
		}
		h->scribbles++;
		/* Bursts of back-to-back scribbles between quiet stretches,
		 * so that the other two also get valid rings to work in. */
		if ((v >> 40) % 32 == 0) {
			struct timespec ts = { 0, (long)((v >> 45) % 200000) };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void *
hostile_prod(void *arg)
{
	struct hostile *h = arg;
	uint8_t buf[300];
	uint64_t rs = 31337;

	fill(buf, sizeof(buf), 3);
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
		uint32_t len = (uint32_t)(rnd(&rs) % 200);
		struct iovec iov = { buf, len };
		ssize_t rc;

		if (h->bytes) {
			rc = shm_bytes_write(&h->t.p, buf, len);
			if (rc > (ssize_t)len || (rc < 0 && rc != SHM_ECORRUPT))
				h->bad++;
		} else {
			rc = shm_rec_write(&h->t.p, buf, len % 24, &iov, 1, len);
			if (rc != 0 && rc != -EAGAIN && rc != SHM_ECORRUPT)
				h->bad++;
		}
		if (rc == SHM_ECORRUPT) {
			/* The app side would give up too; to keep the test
			 * going, restart from wherever the consumer is. */
			h->wcorrupt++;
			h->t.p.idx = atomic_load(&h->t.hdr->cons);
			atomic_store(&h->t.hdr->prod, h->t.p.idx);
		} else if (rc > 0 || (rc == 0 && !h->bytes)) {
			h->writes++;
		}
		if (rc <= 0)
			sched_yield();
	}
	return NULL;
}

static void
hostile_check_rec(struct hostile *h, ssize_t rc, const struct shm_rec *rec, uint32_t cap)
{
	if (rc == -EAGAIN)
		return;
	if (rc == SHM_ECORRUPT) {
		h->corrupt++;
		return;
	}
	if (rc < 0 || (uint64_t)rc > rec->len || (uint64_t)rc > cap ||
	    shm_rec_span(rec->meta_len, rec->len) > h->t.size)
		h->bad++;
	else if (cap != 0)
		h->reads++;
}

static void *
hostile_cons(void *arg)
{
	struct hostile *h = arg;
	static _Thread_local uint8_t meta[64], pay[512];
	uint32_t size = h->t.size;
	uint64_t rs = 8080;

	while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
		struct iovec iov[2] = { { pay, rnd(&rs) % 64 }, { pay + 64, sizeof(pay) - 64 } };
		struct shm_rec rec = { 0 };
		ssize_t rc = 0, used;

		used = shm_bytes_used(&h->t.c);
		if (used > (ssize_t)size || (used < 0 && used != SHM_ECORRUPT))
			h->bad++;
		if (h->bytes) {
			size_t want = rnd(&rs) % sizeof(pay);

			if (rs & 1)
				rc = shm_bytes_peek_at(&h->t.c, rnd(&rs) % (size + 8), pay, want);
			else
				rc = shm_bytes_read(&h->t.c, pay, want);
			if (rc == SHM_ECORRUPT)
				h->corrupt++;
			else if (rc < 0 || (size_t)rc > want || rc > (ssize_t)size)
				h->bad++;
			else if (rc > 0)
				h->reads++;
		} else {
			switch (rnd(&rs) % 3) {
			case 0:
				rc = shm_rec_peek(&h->t.c, &rec);
				hostile_check_rec(h, rc, &rec, UINT32_MAX);
				break;
			case 1:
				rc = shm_rec_skip(&h->t.c);
				hostile_check_rec(h, rc, &rec, 0);
				break;
			default:
				rc = shm_rec_read(&h->t.c, meta, rnd(&rs) % sizeof(meta), iov, 2,
						  &rec);
				hostile_check_rec(h, rc, &rec, sizeof(pay));
				break;
			}
		}
		if (rc == SHM_ECORRUPT) {
			/* A daemon would close the socket here; to keep the
			 * test going, start over where the producer now is. */
			h->t.c.idx = atomic_load(&h->t.hdr->prod);
			atomic_store(&h->t.hdr->cons, h->t.c.idx);
		}
		if (rc == -EAGAIN)
			sched_yield();
	}
	return NULL;
}

static void
run_hostile(uint32_t size, bool bytes)
{
	struct hostile h = { .bytes = bytes };
	struct timespec ts = { 1, 0 };
	pthread_t tp, tc, ts_;

	if (UNDER_TSAN)
		cr_skip_test("scribbler races by design; run under ASan");
	tr_init(&h.t, size, 0);
	atomic_init(&h.stop, false);
	cr_assert_eq(pthread_create(&tc, NULL, hostile_cons, &h), 0);
	cr_assert_eq(pthread_create(&tp, NULL, hostile_prod, &h), 0);
	cr_assert_eq(pthread_create(&ts_, NULL, hostile_scribbler, &h), 0);
	nanosleep(&ts, NULL);
	atomic_store(&h.stop, true);
	pthread_join(ts_, NULL);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	cr_log_info("%s ring %u: %lu reads, %lu corrupt, %lu writes, %lu write-corrupt, "
		    "%lu scribbles", bytes ? "byte" : "record", size,
		    (unsigned long)h.reads, (unsigned long)h.corrupt, (unsigned long)h.writes,
		    (unsigned long)h.wcorrupt, (unsigned long)h.scribbles);
	cr_assert_eq(h.bad, 0);
	/* The test must have exercised both outcomes on both sides. */
	cr_assert_gt(h.reads, 0);
	cr_assert_gt(h.corrupt, 0);
	cr_assert_gt(h.writes, 0);
	cr_assert_gt(h.wcorrupt, 0);
	tr_fini(&h.t);
}

Test(shm_hostile, concurrent_scribbler_records)
{
	run_hostile(256, false);
}

Test(shm_hostile, concurrent_scribbler_bytes)
{
	run_hostile(128, true);
}
