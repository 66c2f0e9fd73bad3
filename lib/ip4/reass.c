/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly table, DPDK-free (see reass.h for the contract).
 *
 * Layout: every datagram descriptor and every fragment slot is allocated in
 * reass_create(), so reass_add() never allocates. A datagram owns a fixed
 * run of max_frags slots in frag_pool; its fragments are kept sorted by
 * offset and never overlap (overlaps are refused, RFC 5722), so the sorted
 * order is also the order of their ends and the bytes held equal the bytes
 * covered. That makes "complete" an O(1) test: last fragment seen and
 * bytes held == end (RFC 815 needs its hole list only because it allows
 * overlaps; without them the byte count is the hole list).
 *
 * Descriptors are found through a chained hash table on (src, dst, id,
 * proto) and sit on a doubly linked list in creation order, so the oldest
 * is at the head: eviction and expiry (the timer runs from the first
 * fragment, RFC 791 §3.2 / RFC 1122 §3.3.2) cost O(datagrams dropped).
 *
 * Links are 32-bit indexes into the descriptor array, REASS_NIL for none.
 */
#include "reass.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define REASS_NIL UINT32_MAX

/* RFC 791: total length is 16 bits and includes the (>= 20 byte) header. */
#define REASS_MAX_PAYLOAD (65535u - 20u)

/* Refuse absurd tables rather than overflow the sizes below. */
#define REASS_MAX_DATAGRAMS (1u << 24)

struct reass_dgram {
	struct reass_key key;
	uint64_t created;         /* time of the first fragment */
	uint32_t hnext;           /* hash chain */
	uint32_t prev;            /* arrival list (older) */
	uint32_t next;            /* arrival list (newer), or free list */
	uint32_t n;               /* fragments held */
	uint32_t bytes;           /* payload bytes held */
	uint32_t end;             /* payload length, valid when last_in */
	bool last_in;             /* the MF=0 fragment was seen */
	struct reass_frag *frags; /* max_frags slots, sorted by off */
};

struct reass_table {
	uint32_t max_datagrams;
	uint32_t max_bytes;
	uint32_t max_frags;
	uint64_t timeout_ns;
	void (*free_buf)(void *ctx, void *buf);
	void *ctx;

	uint64_t seed;            /* hash seed: remote hosts choose the keys */
	uint32_t hash_mask;
	uint32_t *buckets;        /* hash_mask + 1 chain heads */
	struct reass_dgram *dg;   /* max_datagrams descriptors */
	struct reass_frag *frag_pool;
	uint32_t free_head;       /* unused descriptors, through next */
	uint32_t oldest;          /* arrival list head */
	uint32_t newest;          /* arrival list tail */
	struct reass_stats stats;
};

static uint32_t
reass_hash(const struct reass_table *t, const struct reass_key *k)
{
	uint64_t h;

	/*
	 * Every field of the key is chosen by the sender, so the hash is
	 * seeded per table to keep one host from aiming all its datagrams at
	 * one chain. Mixing is the murmur3 64-bit finalizer.
	 */
	h = ((uint64_t)k->src << 32 | k->dst) ^ t->seed;
	h ^= ((uint64_t)k->id << 8 | k->proto) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h & t->hash_mask;
}

static bool
reass_key_eq(const struct reass_key *a, const struct reass_key *b)
{
	/* Field by field: the struct has padding, memcmp would read it. */
	return a->src == b->src && a->dst == b->dst && a->id == b->id &&
	       a->proto == b->proto;
}

static struct reass_dgram *
reass_lookup(struct reass_table *t, const struct reass_key *k, uint32_t bucket)
{
	uint32_t i;

	for (i = t->buckets[bucket]; i != REASS_NIL; i = t->dg[i].hnext)
		if (reass_key_eq(&t->dg[i].key, k))
			return &t->dg[i];
	return NULL;
}

/* Takes a descriptor off the free list and links it in as the newest. */
static struct reass_dgram *
reass_dgram_alloc(struct reass_table *t, const struct reass_key *k,
		  uint32_t bucket, uint64_t now)
{
	uint32_t i = t->free_head;
	struct reass_dgram *d = &t->dg[i];

	t->free_head = d->next;

	d->key = *k;
	d->created = now;
	d->n = 0;
	d->bytes = 0;
	d->end = 0;
	d->last_in = false;

	d->hnext = t->buckets[bucket];
	t->buckets[bucket] = i;

	d->prev = t->newest;
	d->next = REASS_NIL;
	if (t->newest != REASS_NIL)
		t->dg[t->newest].next = i;
	else
		t->oldest = i;
	t->newest = i;

	t->stats.datagrams++;
	return d;
}

/*
 * Unlinks a datagram and returns its descriptor to the free list. Its
 * buffers are not touched: the caller either freed them or handed them on.
 */
static void
reass_dgram_release(struct reass_table *t, struct reass_dgram *d)
{
	uint32_t i = (uint32_t)(d - t->dg);
	uint32_t *pp = &t->buckets[reass_hash(t, &d->key)];

	while (*pp != i)
		pp = &t->dg[*pp].hnext;
	*pp = d->hnext;

	if (d->prev != REASS_NIL)
		t->dg[d->prev].next = d->next;
	else
		t->oldest = d->next;
	if (d->next != REASS_NIL)
		t->dg[d->next].prev = d->prev;
	else
		t->newest = d->prev;

	t->stats.datagrams--;
	t->stats.bytes -= d->bytes;

	d->n = 0;
	d->bytes = 0;
	d->next = t->free_head;
	t->free_head = i;
}

/* Drops a datagram with every fragment it holds. */
static void
reass_dgram_drop(struct reass_table *t, struct reass_dgram *d)
{
	uint32_t i;

	for (i = 0; i < d->n; i++)
		t->free_buf(t->ctx, d->frags[i].buf);
	reass_dgram_release(t, d);
}

static void
reass_evict(struct reass_table *t, struct reass_dgram *d)
{
	reass_dgram_drop(t, d);
	t->stats.evicted++;
}

static enum reass_result
reass_drop_frag(struct reass_table *t, const struct reass_frag *f,
		enum reass_result r)
{
	t->free_buf(t->ctx, f->buf);
	return r;
}

/*
 * Makes room for len more bytes by evicting the oldest datagrams other than
 * keep (NULL for a datagram not created yet), as Linux's evictor does.
 * Evicting can never help when keep's own bytes plus len exceed the bound,
 * so then nothing is evicted and false is returned.
 */
static bool
reass_make_room(struct reass_table *t, const struct reass_dgram *keep,
		uint32_t len)
{
	uint64_t own = keep != NULL ? keep->bytes : 0;
	uint32_t i, next;

	if (own + len > t->max_bytes)
		return false;

	i = t->oldest;
	while ((uint64_t)t->stats.bytes + len > t->max_bytes) {
		/* Terminates: keep alone fits, so others remain while over. */
		next = t->dg[i].next;
		if (&t->dg[i] != keep)
			reass_evict(t, &t->dg[i]);
		i = next;
	}
	return true;
}

/* Index of the first held fragment that ends after off (n if none). */
static uint32_t
reass_first_ending_after(const struct reass_dgram *d, uint32_t off)
{
	uint32_t lo = 0, hi = d->n, mid;

	/* Held fragments do not overlap, so ends increase with offsets. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->frags[mid].off + d->frags[mid].len > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void
reass_complete(struct reass_table *t, struct reass_dgram *d,
	       struct reass_done *done)
{
	done->n = d->n;
	done->total_len = d->end;
	memcpy(done->frags, d->frags, d->n * sizeof(d->frags[0]));
	/* The buffers now belong to the caller. */
	reass_dgram_release(t, d);
}

enum reass_result
reass_add(struct reass_table *t, const struct reass_key *k,
	  const struct reass_frag *f, uint64_t now, struct reass_done *done)
{
	struct reass_dgram *d;
	uint64_t end64 = (uint64_t)f->off + f->len;
	uint32_t bucket, end, pos;
	bool last = !f->more;

	/*
	 * Checks on the fragment alone (RFC 791 §3.2). Every fragment but the
	 * last carries a multiple of 8 bytes, since the next one's offset is
	 * counted in 8-byte units; the offset itself is such a count, so an
	 * unaligned one cannot come off the wire. Nothing may reach past the
	 * largest payload a 16-bit total length allows: the ping-of-death
	 * fragments. Empty fragments carry nothing and are refused as Linux
	 * does. None of these says anything about the other fragments of the
	 * datagram, so only this one is dropped.
	 */
	if (f->len == 0 || (f->off & 7) != 0 || (f->more && (f->len & 7) != 0) ||
	    end64 > REASS_MAX_PAYLOAD)
		return reass_drop_frag(t, f, REASS_BAD);
	end = (uint32_t)end64;

	bucket = reass_hash(t, k);
	d = reass_lookup(t, k, bucket);

	if (d == NULL) {
		/*
		 * Offset 0 and MF=0 is a whole datagram: nothing to hold, so
		 * no descriptor is taken and nobody is evicted for it.
		 */
		if (f->off == 0 && last) {
			done->n = 1;
			done->total_len = f->len;
			done->frags[0] = *f;
			return REASS_COMPLETE;
		}
		if (!reass_make_room(t, NULL, f->len))
			return reass_drop_frag(t, f, REASS_NOMEM);
		/* A new datagram pushes out the oldest when the table is full. */
		if (t->free_head == REASS_NIL)
			reass_evict(t, &t->dg[t->oldest]);
		d = reass_dgram_alloc(t, k, bucket, now);
		pos = 0;
	} else {
		if (d->last_in) {
			/*
			 * Two last fragments that disagree on the length:
			 * nothing held can be trusted to belong to either
			 * version of the datagram, so unlike the other BAD
			 * cases the whole datagram is dropped (Linux kills
			 * the queue here too).
			 */
			if (last && end != d->end) {
				reass_dgram_drop(t, d);
				return reass_drop_frag(t, f, REASS_BAD);
			}
			/* Data past the known end: this fragment is corrupt. */
			if (end > d->end)
				return reass_drop_frag(t, f, REASS_BAD);
		} else if (last) {
			/* A last fragment may not end before data held. */
			const struct reass_frag *h = &d->frags[d->n - 1];

			if (end < h->off + h->len)
				return reass_drop_frag(t, f, REASS_BAD);
		}

		pos = reass_first_ending_after(d, f->off);
		if (pos < d->n && d->frags[pos].off < end) {
			/*
			 * An exact retransmission is harmless: keep the copy
			 * held (its MF flag too). Any other overlap drops the
			 * whole datagram (RFC 5722, applied to IPv4 as Linux
			 * does): overlapping fragments are how the filter
			 * evasions of RFC 1858 rewrite headers already
			 * inspected, and no sender produces them.
			 */
			if (d->frags[pos].off == f->off &&
			    d->frags[pos].len == f->len)
				return reass_drop_frag(t, f, REASS_DUP);
			reass_dgram_drop(t, d);
			return reass_drop_frag(t, f, REASS_OVERLAP);
		}

		/*
		 * Bounded per datagram so a flood of tiny fragments cannot
		 * make one datagram cost max_frags-times its size; a datagram
		 * that needs more can never complete, so drop it now.
		 */
		if (d->n >= t->max_frags) {
			reass_dgram_drop(t, d);
			return reass_drop_frag(t, f, REASS_TOO_MANY);
		}

		/*
		 * A fragment that completes the datagram is handed out with
		 * it at once and never held, so it needs no room.
		 */
		if (!((d->last_in || last) &&
		      d->bytes + f->len == (last ? end : d->end)) &&
		    !reass_make_room(t, d, f->len))
			return reass_drop_frag(t, f, REASS_NOMEM);
	}

	memmove(&d->frags[pos + 1], &d->frags[pos],
		(d->n - pos) * sizeof(d->frags[0]));
	d->frags[pos] = *f;
	d->n++;
	d->bytes += f->len;
	t->stats.bytes += f->len;
	if (last) {
		d->last_in = true;
		d->end = end;
	}

	/*
	 * Every fragment lies in [0, end) and none overlap, so bytes held ==
	 * end means no hole is left (RFC 815).
	 */
	if (d->last_in && d->bytes == d->end) {
		reass_complete(t, d, done);
		return REASS_COMPLETE;
	}
	return REASS_HELD;
}

uint32_t
reass_expire(struct reass_table *t, uint64_t now,
	     void (*expired)(void *ctx, const struct reass_key *k, void *frag0),
	     void *ctx)
{
	struct reass_dgram *d;
	uint32_t dropped = 0;

	/*
	 * The list is in creation order, so the first datagram still young
	 * ends the walk. The timer starts at the first fragment and is not
	 * restarted by later ones (RFC 791 §3.2 lets it grow to the TTL; RFC
	 * 1122 §3.3.2 bounds it; Linux likewise never re-arms it), else a
	 * trickle of fragments could pin a datagram forever.
	 */
	while (t->oldest != REASS_NIL) {
		d = &t->dg[t->oldest];
		if (now < d->created || now - d->created < t->timeout_ns)
			break;
		/*
		 * RFC 1122 §3.3.2: Time Exceeded (code 1) is sent only if
		 * fragment 0 arrived, since it carries the header to quote.
		 * Called before the buffers are freed.
		 */
		if (expired != NULL)
			expired(ctx, &d->key,
				d->frags[0].off == 0 ? d->frags[0].buf : NULL);
		reass_dgram_drop(t, d);
		t->stats.timeouts++;
		dropped++;
	}
	return dropped;
}

void
reass_get_stats(const struct reass_table *t, struct reass_stats *s)
{
	*s = t->stats;
}

struct reass_table *
reass_create(const struct reass_params *p,
	     void (*free_buf)(void *ctx, void *buf), void *ctx)
{
	struct reass_table *t;
	uint32_t nbuckets, i;

	if (p == NULL || free_buf == NULL || p->max_datagrams == 0 ||
	    p->max_datagrams > REASS_MAX_DATAGRAMS || p->max_bytes == 0 ||
	    p->max_frags == 0) {
		errno = EINVAL;
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->max_datagrams = p->max_datagrams;
	t->max_bytes = p->max_bytes;
	/* done->frags has REASS_MAX_FRAGS slots. */
	t->max_frags = p->max_frags < REASS_MAX_FRAGS ? p->max_frags : REASS_MAX_FRAGS;
	t->timeout_ns = p->timeout_ns;
	t->free_buf = free_buf;
	t->ctx = ctx;

	/* Load factor at most 1/2: chains stay short. */
	nbuckets = 1;
	while (nbuckets < 2 * p->max_datagrams)
		nbuckets <<= 1;
	t->hash_mask = nbuckets - 1;

	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull;

	t->buckets = malloc(nbuckets * sizeof(t->buckets[0]));
	t->dg = calloc(p->max_datagrams, sizeof(t->dg[0]));
	/* At most 2^24 * 512 slots: no size_t overflow on 64-bit. */
	t->frag_pool = calloc((size_t)p->max_datagrams * t->max_frags,
			      sizeof(t->frag_pool[0]));
	if (t->buckets == NULL || t->dg == NULL || t->frag_pool == NULL) {
		free(t->buckets);
		free(t->dg);
		free(t->frag_pool);
		free(t);
		errno = ENOMEM;
		return NULL;
	}

	for (i = 0; i < nbuckets; i++)
		t->buckets[i] = REASS_NIL;
	for (i = 0; i < p->max_datagrams; i++) {
		t->dg[i].frags = &t->frag_pool[(size_t)i * t->max_frags];
		t->dg[i].next = i + 1 < p->max_datagrams ? i + 1 : REASS_NIL;
	}
	t->free_head = 0;
	t->oldest = REASS_NIL;
	t->newest = REASS_NIL;
	return t;
}

void
reass_destroy(struct reass_table *t)
{
	if (t == NULL)
		return;
	while (t->oldest != REASS_NIL)
		reass_dgram_drop(t, &t->dg[t->oldest]);
	free(t->buckets);
	free(t->dg);
	free(t->frag_pool);
	free(t);
}
