/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbor (ARP) table state machine. See neigh.h for the contract.
 *
 * The behaviour follows Linux (net/core/neighbour.c, net/ipv4/arp.c), which
 * implements the ARP cache requirements of RFC 1122 §2.3.2.1 with the
 * reachability states that RFC 4861 §7.3 later named for IPv6 neighbor
 * discovery. Learning from received ARP packets follows the merge rule of
 * RFC 826 ("Packet Reception").
 *
 * Layout: every entry lives in a slot of a pool allocated once at create
 * time (max_entries slots), so that no operation allocates memory and the
 * bound on entries is a hard one. A slot is reachable three ways:
 *   - a chained hash on (iface, ip), chains linked by slot index;
 *   - a dense array of timer deadlines, scanned by neigh_timer();
 *   - while FAILED or STALE, a binary min-heap ordered by eviction
 *     preference, so that creating an entry in a full table (an ARP flood of
 *     requests from forged senders, say) costs O(log n), not a table scan;
 *   - while it queues packets, a list per queue length (1..queue_len), so
 *     the longest queue is found in O(queue_len) when the total bound on
 *     queued packets is reached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "neigh.h"

#define NEIGH_NIL UINT32_MAX
/*
 * Upper bound on max_entries: keeps the bucket count computation and the
 * slot indices (uint32_t with NEIGH_NIL reserved) far from overflow; a
 * neighbor table of 16M entries on one link is a configuration error.
 */
#define NEIGH_MAX_ENTRIES_LIMIT (1u << 24)
/*
 * Timer handlers that run back to back on one entry in one neigh_timer()
 * call: REACHABLE -> STALE -> removed (GC deadline already passed) or
 * DELAY -> PROBE -> FAILED -> removed with zero hold times. Anything left
 * runs on the next call.
 */
#define NEIGH_TIMER_CHAIN_MAX 8

struct neigh_slot {
	/* First member: neigh_used() maps the caller's entry back to its slot. */
	struct neigh_entry e;
	uint64_t last_req_ns; /* when the last ARP request for e.ip was sent */
	uint32_t hnext;       /* hash chain, or free list while unused */
	uint32_t heap_pos;    /* index in the eviction heap, NEIGH_NIL if absent */
	uint32_t qprev;       /* list of the slots with this queue length */
	uint32_t qnext;
	bool have_req;        /* last_req_ns is meaningful */
	bool in_use;
};

struct neigh_table {
	struct neigh_params p;
	struct neigh_ops ops;
	void *ctx;
	uint64_t seed;       /* hash seed, see neigh_hash() */
	uint32_t nbuckets;   /* power of two */
	uint32_t count;
	uint32_t free_head;
	uint32_t heap_len;
	uint64_t next_due;   /* no deadline is earlier than this (may be stale-early) */
	uint32_t queued;     /* packets queued, all entries */
	uint32_t qlevel[NEIGH_QUEUE_MAX + 1]; /* list heads by queue length (1..) */
	struct neigh_slot *slots; /* p.max_entries */
	uint32_t *buckets;   /* nbuckets slot indices */
	uint32_t *heap;      /* p.max_entries slot indices */
	uint64_t *deadline;  /* p.max_entries, copy of e.timer_ns, 0 = none */
};

void
neigh_params_default(struct neigh_params *p)
{
	/* net.ipv4.neigh.default.*: base_reachable_time_ms 30000,
	 * retrans_time_ms 1000, delay_first_probe_time 5, mcast_solicit 3,
	 * ucast_solicit 3, gc_stale_time 60; failed entries are held about as
	 * long as Linux keeps them before its periodic GC reaps them. */
	p->reachable_ns = 30ull * 1000000000ull;
	p->retrans_ns = 1ull * 1000000000ull;
	p->delay_probe_ns = 5ull * 1000000000ull;
	p->mcast_probes = 3;
	p->ucast_probes = 3;
	p->gc_stale_ns = 60ull * 1000000000ull;
	p->failed_hold_ns = 3ull * 1000000000ull;
	p->max_entries = 4096;
	p->queue_len = 101; /* Linux: unres_qlen_bytes 212992 is ~101 full frames */
	p->max_queued = 1024;
}

const char *
neigh_state_name(uint8_t state)
{
	switch (state) {
	case NEIGH_NONE:
		return "NONE";
	case NEIGH_INCOMPLETE:
		return "INCOMPLETE";
	case NEIGH_REACHABLE:
		return "REACHABLE";
	case NEIGH_STALE:
		return "STALE";
	case NEIGH_DELAY:
		return "DELAY";
	case NEIGH_PROBE:
		return "PROBE";
	case NEIGH_FAILED:
		return "FAILED";
	case NEIGH_PERMANENT:
		return "PERMANENT";
	}
	return "UNKNOWN";
}

/* Deadline t0 + d, saturating; never 0, which means "no timer". */
static uint64_t
neigh_after(uint64_t t0, uint64_t d)
{
	uint64_t r = t0 + d;

	if (r < t0)
		return UINT64_MAX;
	return r != 0 ? r : 1;
}

static bool
neigh_mac_valid_state(uint8_t state)
{
	return state == NEIGH_REACHABLE || state == NEIGH_STALE ||
	       state == NEIGH_DELAY || state == NEIGH_PROBE ||
	       state == NEIGH_PERMANENT;
}

/*
 * The sender chooses the (iface, ip) keys we hash, so the hash is seeded
 * per table (from its address, which ASLR varies) and well mixed; chains
 * are bounded by max_entries in any case.
 */
static uint64_t
neigh_mix(uint64_t k)
{
	/* murmur3 64-bit finalizer */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

static uint32_t
neigh_hash(const struct neigh_table *t, uint16_t iface, struct rs_ip ip)
{
	uint64_t a, b;

	memcpy(&a, ip.b, 8);
	memcpy(&b, ip.b + 8, 8);
	uint64_t k = neigh_mix(a ^ t->seed) ^ b ^ ((uint64_t)iface << 48);

	return (uint32_t)neigh_mix(k ^ t->seed) & (t->nbuckets - 1);
}

static uint32_t
neigh_idx(const struct neigh_table *t, const struct neigh_slot *s)
{
	return (uint32_t)(s - t->slots);
}

/* ---- callbacks (each one optional) ---- */

static void
neigh_publish(struct neigh_table *t, struct neigh_slot *s)
{
	if (t->ops.publish != NULL)
		t->ops.publish(t->ctx, &s->e);
}

static void
neigh_tx(struct neigh_table *t, struct neigh_slot *s, void *pkt)
{
	if (t->ops.tx_queued != NULL)
		t->ops.tx_queued(t->ctx, &s->e, pkt);
}

static void
neigh_drop(struct neigh_table *t, struct neigh_slot *s, void *pkt)
{
	if (t->ops.drop_queued != NULL)
		t->ops.drop_queued(t->ctx, &s->e, pkt);
}

/* ---- timers ---- */

static void
neigh_set_timer(struct neigh_table *t, struct neigh_slot *s, uint64_t when)
{
	s->e.timer_ns = when;
	t->deadline[neigh_idx(t, s)] = when;
	/* next_due only ever moves earlier here; a cancelled or postponed
	 * timer costs at most one needless scan in neigh_timer(). */
	if (when != 0 && when < t->next_due)
		t->next_due = when;
}

/* ---- eviction heap: FAILED (oldest first), then STALE (LRU) ---- */

static bool
neigh_evictable(const struct neigh_slot *s)
{
	/* INCOMPLETE (it holds packets and a resolution in progress),
	 * REACHABLE, DELAY and PROBE (in active use) and PERMANENT
	 * (administrative) entries are never evicted. */
	return s->e.state == NEIGH_FAILED || s->e.state == NEIGH_STALE;
}

/* Whether a should be evicted before b. Keys are fixed while in the heap:
 * a FAILED or STALE entry that is used or updated changes state or is
 * re-keyed through neigh_heap_fix(). */
static bool
neigh_evict_before(const struct neigh_slot *a, const struct neigh_slot *b)
{
	bool fa = a->e.state == NEIGH_FAILED;
	bool fb = b->e.state == NEIGH_FAILED;

	if (fa != fb)
		return fa;
	if (fa)
		return a->e.updated_ns < b->e.updated_ns;
	if (a->e.used_ns != b->e.used_ns)
		return a->e.used_ns < b->e.used_ns;
	return a->e.updated_ns < b->e.updated_ns;
}

static void
neigh_heap_set(struct neigh_table *t, uint32_t pos, uint32_t idx)
{
	t->heap[pos] = idx;
	t->slots[idx].heap_pos = pos;
}

static void
neigh_heap_up(struct neigh_table *t, uint32_t pos)
{
	uint32_t idx = t->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!neigh_evict_before(&t->slots[idx],
					&t->slots[t->heap[parent]]))
			break;
		neigh_heap_set(t, pos, t->heap[parent]);
		pos = parent;
	}
	neigh_heap_set(t, pos, idx);
}

static void
neigh_heap_down(struct neigh_table *t, uint32_t pos)
{
	uint32_t idx = t->heap[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= t->heap_len)
			break;
		if (c + 1 < t->heap_len &&
		    neigh_evict_before(&t->slots[t->heap[c + 1]],
				       &t->slots[t->heap[c]]))
			c++;
		if (!neigh_evict_before(&t->slots[t->heap[c]], &t->slots[idx]))
			break;
		neigh_heap_set(t, pos, t->heap[c]);
		pos = c;
	}
	neigh_heap_set(t, pos, idx);
}

static void
neigh_heap_remove(struct neigh_table *t, struct neigh_slot *s)
{
	uint32_t pos = s->heap_pos;
	uint32_t last;

	if (pos == NEIGH_NIL)
		return;
	s->heap_pos = NEIGH_NIL;
	last = t->heap[--t->heap_len];
	if (pos == t->heap_len)
		return;
	neigh_heap_set(t, pos, last);
	neigh_heap_up(t, pos);
	neigh_heap_down(t, t->slots[last].heap_pos);
}

/* Re-file s after a change of state or of its eviction key. */
static void
neigh_heap_fix(struct neigh_table *t, struct neigh_slot *s)
{
	neigh_heap_remove(t, s);
	if (!neigh_evictable(s))
		return;
	t->heap[t->heap_len] = neigh_idx(t, s);
	s->heap_pos = t->heap_len++;
	neigh_heap_up(t, s->heap_pos);
}

/* ---- queue ---- */

/* Files s under its queue length (after a change from old). */
static void
neigh_qlevel_move(struct neigh_table *t, struct neigh_slot *s, uint32_t old)
{
	uint32_t idx = neigh_idx(t, s), len = s->e.qlen;

	if (old == len)
		return;
	if (old != 0) {
		if (s->qprev != NEIGH_NIL)
			t->slots[s->qprev].qnext = s->qnext;
		else
			t->qlevel[old] = s->qnext;
		if (s->qnext != NEIGH_NIL)
			t->slots[s->qnext].qprev = s->qprev;
	}
	if (len != 0) {
		/* at the head: among equal queues, the last to grow loses first */
		s->qprev = NEIGH_NIL;
		s->qnext = t->qlevel[len];
		if (s->qnext != NEIGH_NIL)
			t->slots[s->qnext].qprev = idx;
		t->qlevel[len] = idx;
	}
	t->queued = t->queued - old + len;
}

/* Drops the oldest queued packet of s. */
static void
neigh_dequeue_oldest(struct neigh_table *t, struct neigh_slot *s)
{
	struct neigh_entry *e = &s->e;
	void *old = e->queue[0];

	e->qlen--;
	memmove(&e->queue[0], &e->queue[1], e->qlen * sizeof(e->queue[0]));
	neigh_qlevel_move(t, s, e->qlen + 1);
	neigh_drop(t, s, old);
}

/* Consumes pkt. RFC 1122 §2.3.2.2 asks to keep at least the latest packet
 * per unresolved address; like Linux (__neigh_event_send), drop the oldest
 * when the queue is full. When every entry together holds max_queued, the
 * longest queue gives its oldest packet (see neigh.h). */
static void
neigh_enqueue(struct neigh_table *t, struct neigh_slot *s, void *pkt)
{
	struct neigh_entry *e = &s->e;

	if (t->p.queue_len == 0) {
		neigh_drop(t, s, pkt);
		return;
	}
	if (e->qlen >= t->p.queue_len) {
		neigh_dequeue_oldest(t, s);
	} else if (t->queued >= t->p.max_queued) {
		/* queued > 0, so some level is not empty */
		uint32_t l = t->p.queue_len;

		while (t->qlevel[l] == NEIGH_NIL)
			l--;
		neigh_dequeue_oldest(t, l > e->qlen ? &t->slots[t->qlevel[l]] : s);
	}
	e->queue[e->qlen++] = pkt;
	neigh_qlevel_move(t, s, e->qlen - 1);
}

/* Sends (tx) or drops every queued packet in arrival order. The queue is
 * emptied before the first callback so that callbacks see a consistent e. */
static void
neigh_queue_flush(struct neigh_table *t, struct neigh_slot *s, bool tx)
{
	void *q[NEIGH_QUEUE_MAX];
	uint32_t n = s->e.qlen;
	uint32_t i;

	if (n == 0)
		return;
	memcpy(q, s->e.queue, n * sizeof(q[0]));
	memset(s->e.queue, 0, n * sizeof(q[0]));
	s->e.qlen = 0;
	neigh_qlevel_move(t, s, n);
	for (i = 0; i < n; i++) {
		if (tx)
			neigh_tx(t, s, q[i]);
		else
			neigh_drop(t, s, q[i]);
	}
}

/* ---- slots ---- */

static struct neigh_slot *
neigh_find(const struct neigh_table *t, uint16_t iface, struct rs_ip ip)
{
	uint32_t i = t->buckets[neigh_hash(t, iface, ip)];

	while (i != NEIGH_NIL) {
		struct neigh_slot *s = &t->slots[i];

		if (rs_ip_eq(&s->e.ip, &ip) && s->e.iface == iface)
			return s;
		i = s->hnext;
	}
	return NULL;
}

/* Drops the queue, tells the owner, unlinks and frees the slot. */
static void
neigh_remove(struct neigh_table *t, struct neigh_slot *s)
{
	uint32_t idx = neigh_idx(t, s);
	uint32_t *pp;

	neigh_queue_flush(t, s, false);
	if (t->ops.removed != NULL)
		t->ops.removed(t->ctx, &s->e);

	pp = &t->buckets[neigh_hash(t, s->e.iface, s->e.ip)];
	while (*pp != idx)
		pp = &t->slots[*pp].hnext;
	*pp = s->hnext;

	neigh_heap_remove(t, s);
	neigh_set_timer(t, s, 0);
	memset(&s->e, 0, sizeof(s->e));
	s->in_use = false;
	s->have_req = false;
	s->last_req_ns = 0;
	s->hnext = t->free_head;
	t->free_head = idx;
	t->count--;
}

/*
 * A new entry in state NONE (the caller moves it on and publishes it).
 * RFC 1122 §2.3.2.1 asks for a bounded cache; when full, make room by
 * evicting the oldest FAILED, else the least recently used STALE entry, as
 * Linux's forced GC does. Returns NULL when nothing may be evicted.
 */
static struct neigh_slot *
neigh_create(struct neigh_table *t, uint16_t iface, struct rs_ip ip, uint64_t now)
{
	struct neigh_slot *s;
	uint32_t idx, b;

	if (t->count >= t->p.max_entries) {
		if (t->heap_len == 0)
			return NULL;
		neigh_remove(t, &t->slots[t->heap[0]]);
	}
	idx = t->free_head;
	s = &t->slots[idx];
	t->free_head = s->hnext;

	memset(&s->e, 0, sizeof(s->e));
	s->e.ip = ip;
	s->e.iface = iface;
	s->e.state = NEIGH_NONE;
	s->e.used_ns = now;
	s->e.updated_ns = now;
	s->have_req = false;
	s->last_req_ns = 0;
	s->heap_pos = NEIGH_NIL;
	s->in_use = true;

	b = neigh_hash(t, iface, ip);
	s->hnext = t->buckets[b];
	t->buckets[b] = idx;
	t->count++;
	return s;
}

/* ---- state transitions: each one publishes the result ---- */

static void
neigh_enter(struct neigh_table *t, struct neigh_slot *s, uint8_t state,
	    uint64_t now)
{
	s->e.state = state;
	s->e.updated_ns = now;
	neigh_heap_fix(t, s);
}

/*
 * Sends one ARP request unless one went out less than retrans_ns ago
 * (RFC 1122 §2.3.2.1: "prevent ARP flooding", at most one per second per
 * destination); either way the entry's timer is set to when the next
 * request may go.
 */
static void
neigh_request(struct neigh_table *t, struct neigh_slot *s, bool unicast,
	      uint64_t now)
{
	if (s->have_req && now < neigh_after(s->last_req_ns, t->p.retrans_ns)) {
		neigh_set_timer(t, s, neigh_after(s->last_req_ns, t->p.retrans_ns));
		return;
	}
	s->have_req = true;
	s->last_req_ns = now;
	s->e.probes++;
	neigh_set_timer(t, s, neigh_after(now, t->p.retrans_ns));
	if (t->ops.send_request != NULL)
		t->ops.send_request(t->ctx, &s->e, unicast);
}

static bool
neigh_may_request(const struct neigh_table *t, const struct neigh_slot *s,
		  uint64_t now)
{
	return !s->have_req ||
	       now >= neigh_after(s->last_req_ns, t->p.retrans_ns);
}

static void
neigh_to_failed(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	neigh_enter(t, s, NEIGH_FAILED, now);
	memset(s->e.mac, 0, sizeof(s->e.mac));
	neigh_set_timer(t, s, neigh_after(now, t->p.failed_hold_ns));
	neigh_publish(t, s);
	/* Nothing will resolve the address any more: the packets that waited
	 * for it go (the owner may answer them with ICMP host unreachable,
	 * RFC 1812 §4.3.3.1). */
	neigh_queue_flush(t, s, false);
}

/* Caller has checked neigh_may_request(): the broadcast goes out now. */
static void
neigh_to_incomplete(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	neigh_enter(t, s, NEIGH_INCOMPLETE, now);
	memset(s->e.mac, 0, sizeof(s->e.mac));
	s->e.probes = 0;
	neigh_request(t, s, false, now);
	neigh_publish(t, s);
}

/* e.mac holds the address confirmed at time confirmed. */
static void
neigh_to_reachable(struct neigh_table *t, struct neigh_slot *s, uint64_t now,
		   uint64_t confirmed)
{
	neigh_enter(t, s, NEIGH_REACHABLE, now);
	s->e.probes = 0;
	s->e.confirmed_ns = confirmed;
	neigh_set_timer(t, s, neigh_after(confirmed, t->p.reachable_ns));
	neigh_publish(t, s);
}

/* e.mac holds an unconfirmed address. The timer is the GC deadline. */
static void
neigh_to_stale(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	neigh_enter(t, s, NEIGH_STALE, now);
	s->e.probes = 0;
	neigh_set_timer(t, s, neigh_after(s->e.used_ns, t->p.gc_stale_ns));
	neigh_publish(t, s);
}

/* RFC 4861 §7.3.3: the first use of a STALE entry sends with the old
 * address and gives upper layers delay_probe_ns to confirm it before
 * probing. */
static void
neigh_to_delay(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	neigh_enter(t, s, NEIGH_DELAY, now);
	neigh_set_timer(t, s, neigh_after(now, t->p.delay_probe_ns));
	neigh_publish(t, s);
}

/* Next step of the PROBE phase: a unicast request to the cached address
 * (RFC 1122 §2.3.2.1 "unicast poll"), or FAILED once ucast_probes went
 * unanswered. */
static void
neigh_probe_step(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	if (s->e.probes >= t->p.ucast_probes) {
		neigh_to_failed(t, s, now);
		return;
	}
	neigh_request(t, s, true, now);
}

static void
neigh_to_probe(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	neigh_enter(t, s, NEIGH_PROBE, now);
	s->e.probes = 0;
	neigh_probe_step(t, s, now);
	if (s->e.state == NEIGH_PROBE)
		neigh_publish(t, s);
}

static void
neigh_to_permanent(struct neigh_table *t, struct neigh_slot *s,
		   const uint8_t mac[6], uint64_t now)
{
	neigh_enter(t, s, NEIGH_PERMANENT, now);
	memcpy(s->e.mac, mac, sizeof(s->e.mac));
	s->e.probes = 0;
	neigh_set_timer(t, s, 0);
	neigh_publish(t, s);
	neigh_queue_flush(t, s, true);
}

/* ---- public API ---- */

struct neigh_table *
neigh_table_create(const struct neigh_params *params,
		   const struct neigh_ops *ops, void *ctx)
{
	struct neigh_table *t;
	uint32_t i, nb;

	if (ops == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (params != NULL)
		t->p = *params;
	else
		neigh_params_default(&t->p);
	/* retrans_ns 0 would defeat the one-request-per-interval rule and
	 * make the probe timers fire continuously. */
	if (t->p.max_entries == 0 || t->p.max_entries > NEIGH_MAX_ENTRIES_LIMIT ||
	    t->p.retrans_ns == 0) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	if (t->p.queue_len > NEIGH_QUEUE_MAX)
		t->p.queue_len = NEIGH_QUEUE_MAX;
	if (t->p.max_queued == 0 || t->p.max_queued / t->p.max_entries >= t->p.queue_len)
		t->p.max_queued = t->p.max_entries * t->p.queue_len; /* <= 2^30 */
	t->ops = *ops;
	t->ctx = ctx;
	t->seed = neigh_mix((uint64_t)(uintptr_t)t);

	/* Load factor <= 1 at max_entries: average chain length below one. */
	for (nb = 16; nb < t->p.max_entries; nb <<= 1)
		;
	t->nbuckets = nb;
	t->slots = calloc(t->p.max_entries, sizeof(*t->slots));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	t->heap = malloc((size_t)t->p.max_entries * sizeof(*t->heap));
	t->deadline = calloc(t->p.max_entries, sizeof(*t->deadline));
	if (t->slots == NULL || t->buckets == NULL || t->heap == NULL ||
	    t->deadline == NULL) {
		free(t->slots);
		free(t->buckets);
		free(t->heap);
		free(t->deadline);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < nb; i++)
		t->buckets[i] = NEIGH_NIL;
	for (i = 0; i <= NEIGH_QUEUE_MAX; i++)
		t->qlevel[i] = NEIGH_NIL;
	for (i = 0; i < t->p.max_entries; i++) {
		t->slots[i].hnext = i + 1 < t->p.max_entries ? i + 1 : NEIGH_NIL;
		t->slots[i].heap_pos = NEIGH_NIL;
	}
	t->free_head = 0;
	t->next_due = UINT64_MAX;
	return t;
}

void
neigh_table_destroy(struct neigh_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->p.max_entries; i++)
		if (t->slots[i].in_use)
			neigh_remove(t, &t->slots[i]);
	free(t->slots);
	free(t->buckets);
	free(t->heap);
	free(t->deadline);
	free(t);
}

struct neigh_entry *
neigh_lookup(struct neigh_table *t, uint16_t iface, struct rs_ip ip)
{
	struct neigh_slot *s = neigh_find(t, iface, ip);

	return s != NULL ? &s->e : NULL;
}

uint32_t
neigh_count(const struct neigh_table *t)
{
	return t->count;
}

uint32_t
neigh_queued(const struct neigh_table *t)
{
	return t->queued;
}

int
neigh_resolve(struct neigh_table *t, uint16_t iface, struct rs_ip ip, void *pkt,
	      uint64_t now)
{
	struct neigh_slot *s = neigh_find(t, iface, ip);

	if (s == NULL) {
		s = neigh_create(t, iface, ip, now);
		if (s == NULL) {
			if (t->ops.drop_queued != NULL) {
				/* No entry to report the drop against: hand
				 * over a transient one naming the destination. */
				struct neigh_entry tmp;

				memset(&tmp, 0, sizeof(tmp));
				tmp.ip = ip;
				tmp.iface = iface;
				t->ops.drop_queued(t->ctx, &tmp, pkt);
			}
			return -ENOSPC;
		}
		neigh_enqueue(t, s, pkt);
		neigh_to_incomplete(t, s, now);
		return 0;
	}

	switch (s->e.state) {
	case NEIGH_INCOMPLETE:
		s->e.used_ns = now;
		neigh_enqueue(t, s, pkt);
		return 0;
	case NEIGH_STALE:
		/* State first, so that used_ns never changes a heap key. */
		neigh_to_delay(t, s, now);
		s->e.used_ns = now;
		neigh_tx(t, s, pkt);
		return 0;
	case NEIGH_REACHABLE:
	case NEIGH_DELAY:
	case NEIGH_PROBE:
	case NEIGH_PERMANENT:
		s->e.used_ns = now;
		neigh_tx(t, s, pkt);
		return 0;
	case NEIGH_FAILED:
	default:
		/* Linux restarts resolution from FAILED on the next packet;
		 * the retrans_ns spacing still holds across the restart. */
		if (!neigh_may_request(t, s, now)) {
			neigh_drop(t, s, pkt);
			return -EHOSTUNREACH;
		}
		s->e.used_ns = now; /* not part of a FAILED heap key */
		neigh_enqueue(t, s, pkt);
		neigh_to_incomplete(t, s, now);
		return 0;
	}
}

/* An entry reported asynchronously by a worker: its slot, or NULL when
 * it is not (or no longer) one of ours, rather than corrupt the table. */
static struct neigh_slot *
reported_slot(struct neigh_table *t, struct neigh_entry *e)
{
	uintptr_t off = (uintptr_t)e - (uintptr_t)t->slots;
	struct neigh_slot *s;

	if (off >= (uintptr_t)t->p.max_entries * sizeof(*s) || off % sizeof(*s) != 0)
		return NULL;
	s = &t->slots[off / sizeof(*s)];
	return s->in_use ? s : NULL;
}

void
neigh_used(struct neigh_table *t, struct neigh_entry *e, uint64_t now)
{
	struct neigh_slot *s = reported_slot(t, e);

	if (s == NULL)
		return;
	if (s->e.state == NEIGH_STALE) {
		/* State first: used_ns is part of a STALE entry's heap key. */
		neigh_to_delay(t, s, now);
		s->e.used_ns = now;
		return;
	}
	s->e.used_ns = now;
}

void
neigh_confirm(struct neigh_table *t, struct neigh_entry *e, uint64_t now)
{
	struct neigh_slot *s = reported_slot(t, e);

	if (s == NULL)
		return;
	switch (s->e.state) {
	case NEIGH_REACHABLE:
		/* the expiry re-arms from here (neigh_expire) */
		s->e.confirmed_ns = now;
		break;
	case NEIGH_STALE:
	case NEIGH_DELAY:
	case NEIGH_PROBE:
		neigh_to_reachable(t, s, now, now);
		break;
	default:
		break;
	}
}

void
neigh_on_arp(struct neigh_table *t, uint16_t iface, struct rs_ip ip,
	     const uint8_t mac[6], enum neigh_src src, uint64_t now)
{
	static const uint8_t zero[6];
	struct neigh_slot *s;
	bool changed;

	/*
	 * RFC 1812 §3.3.2: never believe an ARP packet that claims a
	 * broadcast or multicast link-layer address for a host; an all-zero
	 * address is no better. RFC 5227 probes carry sender ip 0.0.0.0,
	 * which names no neighbor.
	 */
	if (rs_ip_is_any(&ip) || (mac[0] & 1) != 0 || memcmp(mac, zero, 6) == 0)
		return;

	s = neigh_find(t, iface, ip);
	if (s == NULL) {
		/*
		 * RFC 826: only a request whose target is us adds the sender
		 * (we are likely to talk back to it). A reply we did not ask
		 * for or overheard traffic must not grow the table, or anyone
		 * on the link could fill it.
		 */
		if (src != NEIGH_SRC_REQUEST_FOR_US)
			return;
		s = neigh_create(t, iface, ip, now);
		if (s == NULL)
			return;
		memcpy(s->e.mac, mac, 6);
		neigh_to_stale(t, s, now);
		return;
	}
	if (s->e.state == NEIGH_PERMANENT)
		return;

	if (src == NEIGH_SRC_REPLY) {
		/* A reply to our request confirms reachability (RFC 4861
		 * §7.3.3 "solicited advertisement"). */
		memcpy(s->e.mac, mac, 6);
		neigh_to_reachable(t, s, now, now);
		neigh_queue_flush(t, s, true);
		return;
	}

	if (s->e.state == NEIGH_INCOMPLETE) {
		/* RFC 826 merge: the sender told us its address; the queued
		 * packets can go, but nothing confirmed it is reachable. */
		memcpy(s->e.mac, mac, 6);
		if (s->e.qlen != 0)
			s->e.used_ns = now;
		neigh_to_stale(t, s, now);
		neigh_queue_flush(t, s, true);
		return;
	}

	changed = memcmp(s->e.mac, mac, 6) != 0;
	if (!neigh_mac_valid_state(s->e.state)) {
		/* FAILED: a request for us teaches the sender's address;
		 * other traffic only refreshes addresses we already had. */
		if (src != NEIGH_SRC_REQUEST_FOR_US)
			return;
		changed = true;
	}
	/* RFC 4861 §7.3.3: a new address from unconfirmed information makes
	 * the entry STALE; the same address changes nothing (it must not
	 * demote a REACHABLE entry nor postpone a probe). */
	if (!changed)
		return;
	memcpy(s->e.mac, mac, 6);
	neigh_to_stale(t, s, now);
}

/* Runs the expired timer of one entry. */
static void
neigh_expire(struct neigh_table *t, struct neigh_slot *s, uint64_t now)
{
	switch (s->e.state) {
	case NEIGH_INCOMPLETE:
		if (s->e.probes >= t->p.mcast_probes)
			neigh_to_failed(t, s, now);
		else
			neigh_request(t, s, false, now);
		break;
	case NEIGH_REACHABLE:
		/* confirmed since the timer was set: stay (Linux's
		 * neigh_timer_handler) */
		if (now - s->e.confirmed_ns < t->p.reachable_ns)
			neigh_set_timer(t, s, neigh_after(s->e.confirmed_ns, t->p.reachable_ns));
		else
			neigh_to_stale(t, s, now);
		break;
	case NEIGH_DELAY:
		/* Confirmed since entering DELAY (updated_ns): no probe. */
		if (s->e.confirmed_ns > s->e.updated_ns)
			neigh_to_reachable(t, s, now, s->e.confirmed_ns);
		else
			neigh_to_probe(t, s, now);
		break;
	case NEIGH_PROBE:
		neigh_probe_step(t, s, now);
		break;
	case NEIGH_STALE:
		/* GC: unused for gc_stale_ns (the deadline counts from used_ns). */
	case NEIGH_FAILED:
		neigh_remove(t, s);
		break;
	default:
		neigh_set_timer(t, s, 0);
		break;
	}
}

/*
 * Deadlines live in a dense array next to each other (8 bytes per slot,
 * 32 KiB for 4096 entries), and next_due remembers the earliest one, so a
 * call with nothing due returns at once and a call with something due is
 * one sequential scan of that array: a few microseconds for 4096 entries,
 * cheap enough at a 10 ms tick that a timer wheel or heap (and its upkeep
 * on every state change) would not pay for itself.
 */
void
neigh_timer(struct neigh_table *t, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	uint32_t i;

	if (now < t->next_due)
		return;
	/* The scan recomputes next_due exactly; handlers that re-arm a timer
	 * lower it further through neigh_set_timer(). */
	t->next_due = UINT64_MAX;
	for (i = 0; i < t->p.max_entries; i++) {
		uint64_t d = t->deadline[i];
		unsigned int n;

		for (n = 0; d != 0 && d <= now && n < NEIGH_TIMER_CHAIN_MAX; n++) {
			neigh_expire(t, &t->slots[i], now);
			d = t->deadline[i];
		}
		if (d != 0 && d < next)
			next = d;
	}
	if (next < t->next_due)
		t->next_due = next;
}

int
neigh_add_static(struct neigh_table *t, uint16_t iface, struct rs_ip ip,
		 const uint8_t mac[6], uint64_t now)
{
	struct neigh_slot *s = neigh_find(t, iface, ip);

	if (s == NULL) {
		s = neigh_create(t, iface, ip, now);
		if (s == NULL)
			return -ENOSPC;
	}
	neigh_to_permanent(t, s, mac, now);
	return 0;
}

int
neigh_del(struct neigh_table *t, uint16_t iface, struct rs_ip ip)
{
	struct neigh_slot *s = neigh_find(t, iface, ip);

	if (s == NULL)
		return -ENOENT;
	neigh_remove(t, s);
	return 0;
}

uint32_t
neigh_flush(struct neigh_table *t, uint16_t iface, bool include_static)
{
	uint32_t i, n = 0;

	for (i = 0; i < t->p.max_entries; i++) {
		struct neigh_slot *s = &t->slots[i];

		if (!s->in_use)
			continue;
		if (iface != NEIGH_ANY_IFACE && s->e.iface != iface)
			continue;
		if (s->e.state == NEIGH_PERMANENT && !include_static)
			continue;
		neigh_remove(t, s);
		n++;
	}
	return n;
}

void
neigh_foreach(struct neigh_table *t,
	      void (*fn)(void *arg, const struct neigh_entry *e), void *arg)
{
	uint32_t i;

	for (i = 0; i < t->p.max_entries; i++)
		if (t->slots[i].in_use)
			fn(arg, &t->slots[i].e);
}
