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
 * is at the head: expiry (the timer runs from the first fragment, RFC 791
 * §3.2 / RFC 1122 §3.3.2) costs O(datagrams dropped).
 *
 * Every source address with a datagram in reassembly has a record (found
 * through its own hash table) holding its buffer count and its datagrams
 * in creation order, and sits in a binary max-heap ordered by buffers held:
 * the victim of an eviction, the oldest datagram of the heaviest source, is
 * found in O(1) and every change of a count costs O(log sources).
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
	uint32_t src;             /* its source's record */
	uint32_t sprev;           /* its source's datagrams (older) */
	uint32_t snext;           /* its source's datagrams (newer) */
	struct reass_frag *frags; /* max_frags slots, sorted by off */
};

/* A source address with at least one datagram in reassembly. */
struct reass_src {
	struct rs_ip addr;
	uint32_t hnext;           /* hash chain, or free list */
	uint32_t bufs;            /* fragments held, all its datagrams */
	uint32_t oldest;          /* its datagrams in creation order */
	uint32_t newest;
	uint32_t heap_pos;
};

struct reass_table {
	uint32_t max_datagrams;
	uint32_t max_bytes;
	uint32_t max_frags;
	uint32_t max_bufs;
	uint32_t max_src_bufs;
	uint64_t timeout_ns;
	uint32_t max_payload;
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
	struct reass_src *src;    /* max_datagrams source records */
	uint32_t *src_buckets;    /* hash_mask + 1 chain heads */
	uint32_t src_free;        /* unused source records, through hnext */
	uint32_t *heap;           /* sources, heaviest first */
	uint32_t heap_len;
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
	h = ((uint64_t)rs_ip_hash(&k->src, (uint32_t)t->seed) << 32 |
	     rs_ip_hash(&k->dst, (uint32_t)(t->seed >> 32))) ^ t->seed;
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
	return rs_ip_eq(&a->src, &b->src) && rs_ip_eq(&a->dst, &b->dst) && a->id == b->id &&
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

/* ---- sources ---- */

static uint32_t
reass_src_hash(const struct reass_table *t, const struct rs_ip *addr)
{
	/* murmur3 64-bit finalizer over the seeded address */
	uint64_t h = (rs_ip_hash(addr, (uint32_t)t->seed) ^ t->seed) * 0x9e3779b97f4a7c15ull;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h & t->hash_mask;
}

static uint32_t
reass_src_find(const struct reass_table *t, const struct rs_ip *addr)
{
	uint32_t i;

	for (i = t->src_buckets[reass_src_hash(t, addr)]; i != REASS_NIL; i = t->src[i].hnext)
		if (rs_ip_eq(&t->src[i].addr, addr))
			return i;
	return REASS_NIL;
}

/* a evicts before b: more buffers, else the older oldest datagram */
static bool
reass_src_heavier(const struct reass_table *t, uint32_t a, uint32_t b)
{
	const struct reass_src *x = &t->src[a], *y = &t->src[b];

	if (x->bufs != y->bufs)
		return x->bufs > y->bufs;
	return t->dg[x->oldest].created < t->dg[y->oldest].created;
}

static void
reass_heap_set(struct reass_table *t, uint32_t pos, uint32_t s)
{
	t->heap[pos] = s;
	t->src[s].heap_pos = pos;
}

static void
reass_heap_fix(struct reass_table *t, uint32_t s)
{
	uint32_t pos = t->src[s].heap_pos, parent, child;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (!reass_src_heavier(t, s, t->heap[parent]))
			break;
		reass_heap_set(t, pos, t->heap[parent]);
		pos = parent;
	}
	for (;;) {
		child = 2 * pos + 1;
		if (child >= t->heap_len)
			break;
		if (child + 1 < t->heap_len &&
		    reass_src_heavier(t, t->heap[child + 1], t->heap[child]))
			child++;
		if (!reass_src_heavier(t, t->heap[child], s))
			break;
		reass_heap_set(t, pos, t->heap[child]);
		pos = child;
	}
	reass_heap_set(t, pos, s);
}

/* Links a new datagram in as the newest of its source, making the
 * source's record if it has none. */
static void
reass_src_link(struct reass_table *t, struct reass_dgram *d)
{
	uint32_t di = (uint32_t)(d - t->dg);
	uint32_t s = reass_src_find(t, &d->key.src);
	struct reass_src *r;

	if (s == REASS_NIL) {
		/* Cannot run out: a source has a datagram, there are as
		 * many records as datagram descriptors. */
		s = t->src_free;
		r = &t->src[s];
		t->src_free = r->hnext;
		r->addr = d->key.src;
		r->bufs = 0;
		r->oldest = REASS_NIL;
		r->newest = REASS_NIL;
		uint32_t b = reass_src_hash(t, &r->addr);
		r->hnext = t->src_buckets[b];
		t->src_buckets[b] = s;
		r->heap_pos = t->heap_len;
		t->heap[t->heap_len++] = s;
		t->stats.sources++;
	}
	r = &t->src[s];
	d->src = s;
	d->snext = REASS_NIL;
	d->sprev = r->newest;
	if (r->newest != REASS_NIL)
		t->dg[r->newest].snext = di;
	else
		r->oldest = di;
	r->newest = di;
	reass_heap_fix(t, s);
}

/* Takes a datagram (and its buffers) off its source; the source's record
 * goes with its last datagram. */
static void
reass_src_unlink(struct reass_table *t, struct reass_dgram *d)
{
	uint32_t s = d->src, *pp, last;
	struct reass_src *r = &t->src[s];

	if (d->sprev != REASS_NIL)
		t->dg[d->sprev].snext = d->snext;
	else
		r->oldest = d->snext;
	if (d->snext != REASS_NIL)
		t->dg[d->snext].sprev = d->sprev;
	else
		r->newest = d->sprev;
	r->bufs -= d->n;
	if (r->oldest != REASS_NIL) {
		reass_heap_fix(t, s);
		return;
	}
	last = t->heap[--t->heap_len];
	if (last != s) {
		reass_heap_set(t, r->heap_pos, last);
		reass_heap_fix(t, last);
	}
	pp = &t->src_buckets[reass_src_hash(t, &r->addr)];
	while (*pp != s)
		pp = &t->src[*pp].hnext;
	*pp = r->hnext;
	r->hnext = t->src_free;
	t->src_free = s;
	t->stats.sources--;
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

	reass_src_link(t, d);
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

	reass_src_unlink(t, d);
	t->stats.datagrams--;
	t->stats.bytes -= d->bytes;
	t->stats.bufs -= d->n;

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
 * The datagram to evict for room: the oldest of the source holding the most
 * buffers, never keep. When keep is all that source holds, the next
 * heaviest source gives one instead. The caller makes sure some datagram
 * other than keep exists.
 */
static struct reass_dgram *
reass_victim(struct reass_table *t, const struct reass_dgram *keep)
{
	uint32_t s = t->heap[0];
	uint32_t i = t->src[s].oldest;

	if (&t->dg[i] == keep)
		i = t->dg[i].snext;
	if (i == REASS_NIL) {
		/* heap[1] exists: keep's source alone cannot be over */
		s = t->heap[1];
		if (t->heap_len > 2 && reass_src_heavier(t, t->heap[2], s))
			s = t->heap[2];
		i = t->src[s].oldest;
	}
	return &t->dg[i];
}

/*
 * Makes room for one more fragment of len bytes from source addr, to be
 * added to keep (NULL for a datagram not created yet): first the source's
 * own oldest datagrams while it is over max_src_bufs, then the victims of
 * reass_victim() while the table is over max_bytes or max_bufs. Evicting
 * can never help when keep alone plus the fragment exceeds a bound, so then
 * nothing is evicted and false is returned.
 */
static bool
reass_make_room(struct reass_table *t, const struct reass_dgram *keep,
		const struct rs_ip *addr, uint32_t len)
{
	uint64_t own = keep != NULL ? keep->bytes : 0;
	uint32_t own_bufs = keep != NULL ? keep->n : 0;
	uint32_t s, i;

	if (own + len > t->max_bytes || own_bufs + 1 > t->max_bufs ||
	    own_bufs + 1 > t->max_src_bufs)
		return false;

	/* Terminates: keep alone fits, so the source holds another while over.
	 * The record goes with the last datagram of a source without keep. */
	while ((s = keep != NULL ? keep->src : reass_src_find(t, addr)) != REASS_NIL &&
	       t->src[s].bufs + 1 > t->max_src_bufs) {
		i = t->src[s].oldest;
		if (&t->dg[i] == keep)
			i = t->dg[i].snext;
		reass_evict(t, &t->dg[i]);
	}
	/* Terminates: keep alone fits, so others remain while over. */
	while ((uint64_t)t->stats.bytes + len > t->max_bytes ||
	       t->stats.bufs + 1 > t->max_bufs)
		reass_evict(t, reass_victim(t, keep));
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
	    end64 > t->max_payload)
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
		if (!reass_make_room(t, NULL, &k->src, f->len))
			return reass_drop_frag(t, f, REASS_NOMEM);
		/* A new datagram pushes out a victim when the table is full. */
		if (t->free_head == REASS_NIL)
			reass_evict(t, reass_victim(t, NULL));
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
		    !reass_make_room(t, d, &k->src, f->len))
			return reass_drop_frag(t, f, REASS_NOMEM);
	}

	memmove(&d->frags[pos + 1], &d->frags[pos],
		(d->n - pos) * sizeof(d->frags[0]));
	d->frags[pos] = *f;
	d->n++;
	d->bytes += f->len;
	t->stats.bytes += f->len;
	t->stats.bufs++;
	t->src[d->src].bufs++;
	reass_heap_fix(t, d->src);
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
	/* every slot of every datagram: no bound of its own */
	uint64_t all = (uint64_t)p->max_datagrams * t->max_frags;
	t->max_bufs = p->max_bufs;
	if (t->max_bufs == 0 || t->max_bufs > all)
		t->max_bufs = all > UINT32_MAX ? UINT32_MAX : (uint32_t)all;
	t->max_src_bufs = p->max_src_bufs;
	if (t->max_src_bufs == 0 || t->max_src_bufs > t->max_bufs)
		t->max_src_bufs = t->max_bufs;
	t->timeout_ns = p->timeout_ns;
	t->max_payload = p->max_payload ? p->max_payload : REASS_MAX_PAYLOAD;
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
	t->src = calloc(p->max_datagrams, sizeof(t->src[0]));
	t->src_buckets = malloc(nbuckets * sizeof(t->src_buckets[0]));
	t->heap = calloc(p->max_datagrams, sizeof(t->heap[0]));
	if (t->buckets == NULL || t->dg == NULL || t->frag_pool == NULL || t->src == NULL ||
	    t->src_buckets == NULL || t->heap == NULL) {
		free(t->buckets);
		free(t->dg);
		free(t->frag_pool);
		free(t->src);
		free(t->src_buckets);
		free(t->heap);
		free(t);
		errno = ENOMEM;
		return NULL;
	}

	for (i = 0; i < nbuckets; i++)
		t->buckets[i] = REASS_NIL;
	for (i = 0; i < nbuckets; i++)
		t->src_buckets[i] = REASS_NIL;
	for (i = 0; i < p->max_datagrams; i++)
		t->src[i].hnext = i + 1 < p->max_datagrams ? i + 1 : REASS_NIL;
	t->src_free = 0;
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
	free(t->src);
	free(t->src_buckets);
	free(t->heap);
	free(t);
}
