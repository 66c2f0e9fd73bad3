/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link impairment (netem inside ringstack, as smoltcp's fault injector):
 * loss, delay with jitter, reordering, duplication and corruption of a
 * link's packets, per direction, decided by a seeded PRNG so a run can be
 * repeated. DPDK-free: the parameters, their parsing, the PRNG, the
 * per-packet decision and the holding heap. The graph nodes that use them
 * are lib/eth/impair_*.c.
 */
#ifndef RS_IMPAIR_H
#define RS_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Probabilities are in parts per million: 0.1 % is 1000. */
#define RS_IMPAIR_PPM 1000000u
#define RS_IMPAIR_MAX_DELAY_MS 10000u
/* a reordered packet when there is no delay to skip: held this long so
 * the packets after it overtake it */
#define RS_IMPAIR_REORDER_HOLD_NS 1000000ull

enum { RS_IMPAIR_IN = 0, RS_IMPAIR_OUT = 1, RS_IMPAIR_NDIR = 2 };

/* One direction of one link. Part of the published configuration. */
struct rs_impair {
	bool on;
	uint32_t loss_ppm;
	uint32_t reorder_ppm;
	uint32_t dup_ppm;
	uint32_t corrupt_ppm;
	uint32_t delay_us;
	uint32_t jitter_us;
	uint64_t seed;
	uint32_t gen; /* bumped by every `impair` command: workers reseed */
};

/*
 * Parses the words after `impair`: "off", or any of loss P% delay MS
 * jitter MS reorder P% duplicate P% corrupt P% seed N direction in|out|both
 * (P a decimal percentage with up to 4 decimals, the % optional; MS
 * milliseconds, decimals allowed). On success fills p[RS_IMPAIR_IN] and
 * p[RS_IMPAIR_OUT] (a direction not chosen keeps its old value, passed in)
 * and returns 0; otherwise returns -EINVAL and writes one line to err.
 */
int rs_impair_parse(int argc, char **argv, struct rs_impair p[RS_IMPAIR_NDIR], char *err,
		    size_t errlen);

/* "loss 1% delay 20ms ..." for show; returns the length written. */
int rs_impair_format(const struct rs_impair *p, char *buf, size_t len);

/* PRNG: splitmix64 for seeding, xoshiro-like state made from it. Same seed,
 * same sequence, on every machine. */
struct rs_impair_rng {
	uint64_t s;
};
void rs_impair_rng_seed(struct rs_impair_rng *r, uint64_t seed, uint32_t worker, uint32_t link,
			uint32_t dir);
static inline uint64_t rs_impair_rng_next(struct rs_impair_rng *r)
{
	/* splitmix64 (Steele, Lea, Flood 2014): one add and three mixes */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
/* true with probability ppm / 10^6 */
static inline bool rs_impair_chance(struct rs_impair_rng *r, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return (uint32_t)((rs_impair_rng_next(r) >> 32) % RS_IMPAIR_PPM) < ppm;
}

/* What happens to one packet. */
struct rs_impair_verdict {
	bool drop;
	bool dup;        /* send a copy too (same treatment) */
	bool corrupt;
	bool reorder;
	uint64_t hold_ns; /* 0: pass now; else hold this long */
	uint32_t corrupt_at; /* byte offset (mod packet length) */
	uint8_t corrupt_bit;
};
void rs_impair_decide(const struct rs_impair *p, struct rs_impair_rng *r,
		      struct rs_impair_verdict *v);

/* ---- the holding heap: a binary min-heap on (due, seq), fixed size ---- */
struct rs_impair_held {
	uint64_t due_ns;
	uint64_t seq;   /* FIFO among equal due times */
	void *pkt;
	uint16_t link;
	uint8_t dir;
};
struct rs_impair_heap {
	uint32_t n, cap;
	uint64_t seq;
	struct rs_impair_held *e; /* cap entries, allocated by the owner */
};
/* 0, or -ENOSPC when full (the caller drops and counts queue_full) */
int rs_impair_heap_push(struct rs_impair_heap *h, uint64_t due_ns, void *pkt, uint16_t link,
			uint8_t dir);
/* The earliest entry due at or before now: true and *out filled, else false. */
bool rs_impair_heap_pop_due(struct rs_impair_heap *h, uint64_t now_ns,
			    struct rs_impair_held *out);

/* Bound of one worker's heap: a quarter of the pool shared by the workers,
 * at most 4096, at least 16. */
static inline uint32_t rs_impair_heap_cap(uint32_t pool, uint32_t workers)
{
	uint32_t c = pool / 4 / (workers ? workers : 1);
	if (c > 4096)
		c = 4096;
	if (c < 16)
		c = 16;
	return c;
}

/* Counters of one direction of one link, per worker (worker-owned). */
struct rs_impair_stats {
	uint64_t dropped, delayed, reordered, duplicated, corrupted, queue_full;
};

#endif
