/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket demultiplexing table (see sock_demux.h for the contract).
 *
 * Layout: a fixed power-of-two array of buckets, each a singly linked
 * chain of entries. An entry is one key with its whole value (a socket, or
 * the members of an SO_REUSEPORT group) and is immutable once published:
 * only its next pointer changes afterwards. Every change is therefore a
 * single pointer store by the one writer:
 *  - add a new key: the entry is filled, then store-release of the bucket
 *    head (its next already points at the old head);
 *  - change a group: a new entry with the new members is filled, then
 *    store-release of the predecessor's link replaces the old entry; the
 *    old entry keeps its next, so a reader standing on it walks on;
 *  - remove a key: store-release of the predecessor's link to the
 *    entry's successor.
 * Readers load every link with acquire, which pairs with those releases:
 * an entry they reach is fully written. A replaced or removed entry goes
 * to defer_free, because a reader may still stand on it or be about to
 * read its next (the classic RCU list, as in DPDK's rte_hash with
 * RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF and Linux's hlist_*_rcu).
 *
 * The bucket hash is keyed with the table's seed. The peer half of a key
 * (raddr, rport) is hashed first, so that the state after it is a constant
 * for "no peer" keys: the fallback probes of a lookup hash only the local
 * half.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sock/sock_demux.h"

struct demux_entry {
	_Atomic(struct demux_entry *) next;
	uint32_t hash;
	uint32_t uid;
	struct rs_ip laddr;
	struct rs_ip raddr;
	uint16_t lport;
	uint16_t rport;
	uint8_t proto;
	uint8_t reuseport; /* every member was added with SOCK_DEMUX_REUSEPORT */
	uint8_t n;         /* members */
	uint8_t n4;        /* members that accept IPv4 (not SOCK_DEMUX_V6ONLY) */
	/* socks[0, n): the members in the order they joined; then
	 * socks[n, n + n4): those of them that accept IPv4, same order. With
	 * 64-byte alignment a one-socket entry's key and socket share one
	 * cache line. */
	void *socks[];
};
_Static_assert(offsetof(struct demux_entry, socks) <= 64 - sizeof(void *),
	       "a one-socket entry fits one cache line");

/* Keys per local port that a lookup probes before the wildcard one:
 * those with a peer (step 1 of sock_demux_lookup) and those bound to one
 * address (step 2). A lookup skips a step whose count is 0, so the usual
 * packet to a server on a wildcard address costs one probe, not three.
 * Shared by the protocols (a TCP key only makes a UDP lookup probe once
 * more). Written by the one writer before a key is published and after it
 * is unlinked; a reader that sees a stale count either probes in vain or
 * misses a key being added or removed at that moment, as it would have
 * had the packet come a moment earlier or later. */
struct port_kinds {
	_Atomic uint32_t peer;
	_Atomic uint32_t addr;
};

struct sock_demux {
	_Atomic(struct demux_entry *) *bucket;
	struct port_kinds *ports; /* [65536] */
	uint32_t mask;
	uint64_t key[2];  /* SipHash key, from the seed */
	uint64_t nopeer;  /* hash state after the "no peer" half */
	uint32_t nkeys;
	uint32_t nmembers;
	sock_demux_defer_fn *defer_free;
};

/*
 * Bucket hash. The peer half (raddr, rport) is what a remote host
 * chooses, so it goes through SipHash-1-3 (Aumasson and Bernstein's keyed
 * PRF, the 1-3 variant as in Rust's and Python's hash tables) under a key
 * derived from the table's seed: without the key, nobody can make two
 * peers fall into one chain more often than chance (a plain seeded mixer
 * such as MurmurHash3 has seed-independent collisions). The local half
 * (our addresses and ports, which a peer only picks among) is then mixed
 * into the 64-bit result with a cheap bijective step per word.
 */
struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t
rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline void
sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

static inline void
sip_word(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	s->v0 ^= m;
}

static inline uint64_t
hash_peer(const uint64_t key[2], const struct rs_ip *raddr, uint16_t rport)
{
	struct sip s = { key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
			 key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull };
	uint64_t w[2];

	memcpy(w, raddr->b, 16);
	if (rs_ip_is4(raddr)) {
		/* An IPv4 peer is 6 bytes of message (address, port): one
		 * block, its length byte telling it from an IPv6 one. */
		sip_word(&s, (uint64_t)6 << 56 | (w[1] >> 32) << 16 | rport);
	} else {
		sip_word(&s, w[0]);
		sip_word(&s, w[1]);
		sip_word(&s, (uint64_t)18 << 56 | rport);
	}
	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

static inline uint64_t
mix64(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static inline uint32_t
hash_local(uint64_t h, uint8_t proto, const struct rs_ip *laddr, uint16_t lport)
{
	uint64_t w[2];

	memcpy(w, laddr->b, 16);
	h = mix64(h, (uint64_t)proto << 16 | lport);
	h = mix64(h, w[0]);
	h = mix64(h, w[1]);
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	return (uint32_t)(h ^ (h >> 32));
}

static inline uint32_t
key_hash(const struct sock_demux *d, const struct sock_demux_key *k)
{
	return hash_local(hash_peer(d->key, &k->raddr, k->rport), k->proto, &k->laddr,
			  k->lport);
}

static inline bool
entry_is(const struct demux_entry *e, uint32_t h, uint8_t proto, const struct rs_ip *laddr,
	 uint16_t lport, const struct rs_ip *raddr, uint16_t rport)
{
	return e->hash == h && e->lport == lport && e->rport == rport && e->proto == proto &&
	       rs_ip_eq(&e->laddr, laddr) && rs_ip_eq(&e->raddr, raddr);
}

/* Reader: the entry of a key, or NULL. No lock, no read-modify-write. */
static inline const struct demux_entry *
find(const struct sock_demux *d, uint32_t h, uint8_t proto, const struct rs_ip *laddr,
     uint16_t lport, const struct rs_ip *raddr, uint16_t rport)
{
	const struct demux_entry *e;

	e = atomic_load_explicit(&d->bucket[h & d->mask], memory_order_acquire);
	while (e != NULL) {
		if (entry_is(e, h, proto, laddr, lport, raddr, rport))
			return e;
		e = atomic_load_explicit(&e->next, memory_order_acquire);
	}
	return NULL;
}

static inline void *
pick(void *const *socks, unsigned int n, uint32_t flow_hash)
{
	return socks[n == 1 ? 0 : flow_hash % n];
}

struct sock_demux *
sock_demux_create(uint32_t capacity, uint32_t hash_seed, sock_demux_defer_fn *defer_free)
{
	static const struct rs_ip nopeer;
	struct sock_demux *d;
	uint32_t n = 16, i;
	uint64_t x;

	if (capacity > 1u << 30) {
		errno = EINVAL;
		return NULL;
	}
	while (n < capacity)
		n <<= 1;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->bucket = calloc(n, sizeof(*d->bucket));
	d->ports = calloc(65536, sizeof(*d->ports));
	if (d->bucket == NULL || d->ports == NULL) {
		free(d->bucket);
		free(d->ports);
		free(d);
		return NULL;
	}
	for (i = 0; i < n; i++)
		atomic_init(&d->bucket[i], NULL);
	d->mask = n - 1;
	/* splitmix64 stretches the 32-bit seed into the 128-bit key. */
	x = hash_seed;
	for (i = 0; i < 2; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		d->key[i] = z ^ (z >> 31);
	}
	d->nopeer = hash_peer(d->key, &nopeer, 0);
	d->defer_free = defer_free;
	return d;
}

void
sock_demux_destroy(struct sock_demux *d)
{
	uint32_t i;

	if (d == NULL)
		return;
	for (i = 0; i <= d->mask; i++) {
		struct demux_entry *e = atomic_load_explicit(&d->bucket[i], memory_order_relaxed);

		while (e != NULL) {
			struct demux_entry *next = atomic_load_explicit(&e->next,
									memory_order_relaxed);

			free(e);
			e = next;
		}
	}
	free(d->bucket);
	free(d->ports);
	free(d);
}

/* The count k belongs to (NULL: a wildcard key, probed always). */
static _Atomic uint32_t *
kind_count(struct sock_demux *d, const struct sock_demux_key *k)
{
	struct port_kinds *pk = &d->ports[k->lport];

	/* step 1 finds keys with a peer; steps 2 to 4 only "no peer" keys
	 * (raddr all zero, rport 0), step 2 those of one local address */
	if (k->rport != 0 || (k->raddr.w[0] | k->raddr.w[1] | k->raddr.w[2] | k->raddr.w[3]) != 0)
		return &pk->peer;
	return rs_ip_is_any(&k->laddr) ? NULL : &pk->addr;
}

static void
kind_add(struct sock_demux *d, const struct sock_demux_key *k, int delta)
{
	_Atomic uint32_t *c = kind_count(d, k);

	if (c != NULL)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) +
					     (uint32_t)delta, memory_order_relaxed);
}

/*
 * Writer side.
 */

static void
retire(struct sock_demux *d, struct demux_entry *e)
{
	if (d->defer_free != NULL)
		d->defer_free(free, e);
	else
		free(e);
}

/* An unpublished entry with room for n members (and as many IPv4 ones). */
static struct demux_entry *
entry_new(const struct sock_demux_key *k, uint32_t h, unsigned int n)
{
	size_t sz = sizeof(struct demux_entry) + 2 * n * sizeof(void *);
	struct demux_entry *e;

	sz = (sz + 63) & ~(size_t)63;
	e = aligned_alloc(64, sz);
	if (e == NULL)
		return NULL;
	memset(e, 0, sz);
	atomic_init(&e->next, NULL);
	e->hash = h;
	e->laddr = k->laddr;
	e->raddr = k->raddr;
	e->lport = k->lport;
	e->rport = k->rport;
	e->proto = k->proto;
	return e;
}

/* The link that points at k's entry (or the bucket's last link, whose
 * target is then NULL). */
static _Atomic(struct demux_entry *) *
link_of(struct sock_demux *d, const struct sock_demux_key *k, uint32_t h)
{
	_Atomic(struct demux_entry *) *link = &d->bucket[h & d->mask];
	struct demux_entry *e;

	while ((e = atomic_load_explicit(link, memory_order_relaxed)) != NULL) {
		if (entry_is(e, h, k->proto, &k->laddr, k->lport, &k->raddr, k->rport))
			break;
		link = &e->next;
	}
	return link;
}

static int
member_index(const struct demux_entry *e, const void *sock)
{
	unsigned int i;

	for (i = 0; i < e->n; i++)
		if (e->socks[i] == sock)
			return (int)i;
	return -1;
}

/* Replaces old (at *link) by new, which takes over old's successor. */
static void
replace(struct sock_demux *d, _Atomic(struct demux_entry *) *link, struct demux_entry *old,
	struct demux_entry *new)
{
	atomic_store_explicit(&new->next, atomic_load_explicit(&old->next, memory_order_relaxed),
			      memory_order_relaxed);
	/* Release: new's fields are written before a reader can reach it. */
	atomic_store_explicit(link, new, memory_order_release);
	retire(d, old);
}

int
sock_demux_add(struct sock_demux *d, const struct sock_demux_key *k, void *sock, uint32_t uid,
	       uint32_t flags)
{
	uint32_t h;
	_Atomic(struct demux_entry *) *link;
	struct demux_entry *old, *e;
	bool v4 = !(flags & SOCK_DEMUX_V6ONLY);
	unsigned int i, j;

	if (d == NULL || k == NULL || sock == NULL)
		return -EINVAL;
	h = key_hash(d, k);
	link = link_of(d, k, h);
	old = atomic_load_explicit(link, memory_order_relaxed);
	if (old == NULL) {
		e = entry_new(k, h, 1);
		if (e == NULL)
			return -ENOMEM;
		e->uid = uid;
		e->reuseport = !!(flags & SOCK_DEMUX_REUSEPORT);
		e->n = 1;
		e->n4 = v4;
		e->socks[0] = sock;
		e->socks[1] = sock; /* unread when n4 == 0 */
		kind_add(d, k, 1); /* counted before a reader can find it */
		/* Insert at the head: next first, then publish. */
		atomic_store_explicit(&e->next,
				      atomic_load_explicit(&d->bucket[h & d->mask],
							   memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&d->bucket[h & d->mask], e, memory_order_release);
		d->nkeys++;
		d->nmembers++;
		return 0;
	}
	if (member_index(old, sock) >= 0)
		return -EEXIST;
	/* Linux: a reuseport group belongs to one uid, so no other user can
	 * take a share of its flows; a socket without SO_REUSEPORT shares
	 * with nobody. */
	if (!old->reuseport || !(flags & SOCK_DEMUX_REUSEPORT) || old->uid != uid)
		return -EADDRINUSE;
	if (old->n >= SOCK_DEMUX_GROUP_MAX)
		return -EADDRINUSE;
	e = entry_new(k, h, old->n + 1u);
	if (e == NULL)
		return -ENOMEM;
	e->uid = uid;
	e->reuseport = 1;
	e->n = old->n + 1;
	e->n4 = old->n4 + v4;
	/* The newcomer joins at the end: the others keep their index. */
	memcpy(e->socks, old->socks, old->n * sizeof(void *));
	e->socks[old->n] = sock;
	j = e->n;
	for (i = 0; i < old->n4; i++)
		e->socks[j++] = old->socks[old->n + i];
	if (v4)
		e->socks[j] = sock;
	replace(d, link, old, e);
	d->nmembers++;
	return 0;
}

int
sock_demux_del(struct sock_demux *d, const struct sock_demux_key *k, void *sock)
{
	uint32_t h;
	_Atomic(struct demux_entry *) *link;
	struct demux_entry *old, *e;
	unsigned int i, j;
	int at;

	if (d == NULL || k == NULL)
		return -EINVAL;
	h = key_hash(d, k);
	link = link_of(d, k, h);
	old = atomic_load_explicit(link, memory_order_relaxed);
	if (old == NULL || (at = member_index(old, sock)) < 0)
		return -ENOENT;
	d->nmembers--;
	if (old->n == 1) {
		/* Unlink; a reader on old still finds its successor. */
		atomic_store_explicit(link, atomic_load_explicit(&old->next, memory_order_relaxed),
				      memory_order_release);
		retire(d, old);
		kind_add(d, k, -1);
		d->nkeys--;
		return 0;
	}
	e = entry_new(k, h, old->n - 1u);
	if (e == NULL) {
		d->nmembers++;
		return -ENOMEM;
	}
	e->uid = old->uid;
	e->reuseport = old->reuseport;
	e->n = old->n - 1;
	j = 0;
	for (i = 0; i < old->n; i++)
		if ((int)i != at)
			e->socks[j++] = old->socks[i];
	for (i = 0; i < old->n4; i++)
		if (old->socks[old->n + i] != sock)
			e->socks[j++] = old->socks[old->n + i];
	e->n4 = (uint8_t)(j - e->n);
	replace(d, link, old, e);
	return 0;
}

/*
 * Readers.
 */

void *
sock_demux_lookup_key(const struct sock_demux *d, const struct sock_demux_key *k,
		      uint32_t flow_hash)
{
	const struct demux_entry *e = find(d, key_hash(d, k), k->proto, &k->laddr, k->lport,
					   &k->raddr, k->rport);

	return e == NULL ? NULL : pick(e->socks, e->n, flow_hash);
}

void *
sock_demux_lookup(const struct sock_demux *d, uint8_t proto, const struct rs_ip *dst,
		  uint16_t dport, const struct rs_ip *src, uint16_t sport, uint32_t flow_hash)
{
	static const struct rs_ip any6;
	static const struct rs_ip any4 = { .b = { [10] = 0xff, [11] = 0xff } };
	const struct demux_entry *e;
	bool is4 = rs_ip_is4(dst);
	const struct rs_ip *any = is4 ? &any4 : &any6;
	const struct port_kinds *pk = &d->ports[dport];

	/* 1: the exact 4-tuple, a connected socket or an established
	 * connection. */
	if (atomic_load_explicit(&pk->peer, memory_order_relaxed) != 0) {
		e = find(d, hash_local(hash_peer(d->key, src, sport), proto, dst, dport), proto,
			 dst, dport, src, sport);
		if (e != NULL)
			return pick(e->socks, e->n, flow_hash);
	}
	/* 2: bound to the destination address, no peer. */
	if (atomic_load_explicit(&pk->addr, memory_order_relaxed) != 0) {
		e = find(d, hash_local(d->nopeer, proto, dst, dport), proto, dst, dport, &any6, 0);
		if (e != NULL)
			return pick(e->socks, e->n, flow_hash);
	}
	/* 3: bound to the wildcard of the packet's family. */
	e = find(d, hash_local(d->nopeer, proto, any, dport), proto, any, dport, &any6, 0);
	if (e != NULL)
		return pick(e->socks, e->n, flow_hash);
	if (!is4)
		return NULL;
	/* 4: an IPv4 packet to a dual-stack IPv6 socket on :: (RFC 3493
	 * §3.7; Linux unless IPV6_V6ONLY). Only the members that accept
	 * IPv4 share its flows. */
	e = find(d, hash_local(d->nopeer, proto, &any6, dport), proto, &any6, dport, &any6, 0);
	if (e != NULL && e->n4 > 0)
		return pick(e->socks + e->n, e->n4, flow_hash);
	return NULL;
}

uint32_t
sock_demux_count(const struct sock_demux *d)
{
	return d->nmembers;
}

uint32_t
sock_demux_keys(const struct sock_demux *d)
{
	return d->nkeys;
}

void
sock_demux_members(const struct sock_demux *d, const struct sock_demux_key *k,
		   void (*fn)(void *arg, void *sock), void *arg)
{
	const struct demux_entry *e = find(d, key_hash(d, k), k->proto, &k->laddr, k->lport,
					   &k->raddr, k->rport);
	unsigned int i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		fn(arg, e->socks[i]);
}
