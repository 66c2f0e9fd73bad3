/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The family-neutral route store (RIB) behind fib4.c and fib6.c, written
 * once and compiled into each of them: every route of a prefix, ranked by
 * metric, the best usable one installed in the family's lookup structure;
 * plain next hops shared and reference-counted, ECMP groups, route types,
 * link state, deferred (RCU) reuse of next hops and groups, listing.
 *
 * Why a file included twice and not one object with an ops table: the
 * route and next-hop types the rest of the daemon reads are the families'
 * own (struct route4 / route6, struct rs_nh / rs_nh6; a next hop is what
 * the workers read, an IPv4 one 8 bytes), and a route load of a million
 * IPv4 routes spends its time in the store's probe loop (see store_find):
 * compiled per family, the hooks below are inlined and an IPv4 store key
 * stays one 64-bit compare.
 *
 * The including file defines, before #include:
 *   RIB_ROUTE, RIB_PATH, RIB_NH    its route, ECMP path and next-hop types
 *   RIB_NH_TAB, RIB_GRP_TAB        its next-hop and ECMP member tables
 *   RIB_NH_MAX, RIB_ECMP_MAX, RIB_GRP_MAX, RIB_NH_NONE, RIB_ANY_IFACE
 *   RIB_ALEN                       address bits (32, 128)
 *   RIB_GW_SIZE                    bytes of a gateway (4, 16)
 *   RIB_GW(x)                      the gateway lvalue x as a byte pointer
 *   RIB_KEY_EXACT                  1: rib_key_hash is the key itself
 *   RIB_FN(name)                   the public name of a function (fib4_name)
 *   RIB_NH_HASH_NAME               rte_hash name of the next-hop dedup table
 *   RIB_LOG_PREFIX, RIB_OPT_ROUTES, RIB_ERR_FIB_FULL   message words
 * and these (static inline):
 *   struct rib_key { prefix; uint8_t plen; }
 *   rib_key_of(k, r)         k = r's prefix and length
 *   rib_key_mask(k)          clears the prefix bits beyond k->plen
 *   rib_key_shorten(o, k, l) o = k's prefix cut to length l
 *   rib_key_eq(a, b), rib_key_cmp(a, b), rib_key_hash(k)
 *   rib_route_mask(r)        clears r->prefix beyond r->plen
 *   rib_fib_add(k, nh), rib_fib_del(k, repl_len, repl_nh)  the lookup structure
 *
 * Defines the public functions RIB_FN(route_add), RIB_FN(iface_flush),
 * RIB_FN(iface_set_up), RIB_FN(iface_reset), RIB_FN(foreach), RIB_FN(count),
 * RIB_FN(nh_refs), RIB_FN(nh_free_count) and the static rib_init,
 * rib_fini, rib_route_del, rib_route_get for the family's wrappers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_hash.h>
#include <rte_jhash.h>

#include "core/dp.h"
#include "util/rs_log.h"

struct pfx {
	struct rib_key k;
	uint32_t n, cap;
	RIB_ROUTE *alts;      /* sorted by metric; &one while cap is 1 */
	int installed;        /* index in alts of the route the FIB holds, -1 if none */
	bool in_fib;          /* the FIB holds an entry for this prefix */
	RIB_ROUTE one;        /* the first route: most prefixes have one */
};

/*
 * Prefixes come from slabs of PFX_SLAB (2 MiB, transparent huge pages
 * asked for), not one calloc each with a separate array for its routes:
 * loading a million /24s spent a third of the control thread's time in
 * malloc and in page faults (perf record of the control thread, ringctl -b;
 * a fault is dear in this VM). Freed prefixes are stacked for reuse (the
 * alts field links them); slabs are given back at rib_fini only.
 */
#define PFX_SLAB (2u << 20)
#define PFX_PER_SLAB (PFX_SLAB / sizeof(struct pfx))
static void **pfx_slabs;
static uint32_t pfx_nslabs, pfx_slab_used = PFX_PER_SLAB;
static struct pfx *pfx_freelist;

static struct pfx *pfx_alloc(void)
{
	struct pfx *p = pfx_freelist;
	if (p != NULL) {
		pfx_freelist = (struct pfx *)(void *)p->alts;
	} else {
		if (pfx_slab_used == PFX_PER_SLAB) {
			void **v = realloc(pfx_slabs, (pfx_nslabs + 1) * sizeof(*v)), *t;
			if (v == NULL)
				return NULL;
			pfx_slabs = v;
			if (posix_memalign(&t, PFX_SLAB, PFX_SLAB) != 0)
				return NULL;
			(void)madvise(t, PFX_SLAB, MADV_HUGEPAGE); /* a hint */
			pfx_slabs[pfx_nslabs++] = t;
			pfx_slab_used = 0;
		}
		p = (struct pfx *)pfx_slabs[pfx_nslabs - 1] + pfx_slab_used++;
	}
	memset(p, 0, sizeof(*p));
	p->alts = &p->one;
	p->cap = 1;
	return p;
}

static void pfx_release(struct pfx *p)
{
	if (p->alts != &p->one)
		free(p->alts);
	p->alts = (RIB_ROUTE *)(void *)pfx_freelist;
	pfx_freelist = p;
}

/*
 * Control-side route store: every prefix with a route, by (prefix, length),
 * in an open-addressing table (linear probing, deletion by backward shift,
 * doubled at half load) that only the control thread uses. It replaced an
 * rte_hash with jhash, which with a million prefixes cost more than the
 * rest of a route add together (perf, ringctl -b of 1,000,000 routes).
 * A slot holds the key's hash (for IPv4 the key itself: RIB_KEY_EXACT).
 */
struct pfx_slot {
	uint64_t key;
	struct pfx *p; /* NULL: free */
};
static struct pfx_slot *store;
static uint32_t store_mask, store_n;
#define STORE_MIN 1024u

#if RIB_KEY_EXACT
/*
 * The key is (prefix << 8 | plen) of an IPv4 prefix. Prefixes of one length
 * that follow each other (a table dump, a batch: in address order) take
 * consecutive slots, sixteen at a time; each run of sixteen starts at a
 * hashed place. A load of a million /24s in order then finds its slots in
 * memory it has just used, where a plain hash sent every probe to a random
 * cache line and page (the probe's cache miss was a fifth of the load,
 * perf). Prefixes in any other order are spread as a hash spreads them,
 * in groups of sixteen.
 */
static inline uint32_t store_home(uint64_t key)
{
	const uint32_t plen = (uint32_t)(key & 0xff), prefix = (uint32_t)(key >> 8);
	const uint32_t g = plen ? prefix >> (32 - plen) : 0; /* the prefix's number */
	const uint64_t hi = ((uint64_t)(g >> 4) << 8 | plen) * 0x9e3779b97f4a7c15ull;
	return ((uint32_t)(hi >> 32) << 4 | (g & 15)) & store_mask;
}
#else
static inline uint32_t store_home(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & store_mask;
}
#endif

static struct pfx_slot *store_find(struct rib_key k)
{
	const uint64_t key = rib_key_hash(&k);
	for (uint32_t i = store_home(key);; i = (i + 1) & store_mask) {
		if (store[i].p == NULL)
			return NULL;
		if (store[i].key == key && (RIB_KEY_EXACT || rib_key_eq(&store[i].p->k, &k)))
			return &store[i];
	}
}

static void store_put(uint64_t key, struct pfx *p)
{
	uint32_t i = store_home(key);
	while (store[i].p != NULL)
		i = (i + 1) & store_mask;
	store[i].key = key;
	store[i].p = p;
}

/* A zeroed table of cap slots. A large one asks for transparent huge
 * pages: every probe lands on a random slot, a TLB miss each on 4 KiB
 * pages (the probe loop was most of a route add's time in perf). */
static struct pfx_slot *store_alloc(uint32_t cap)
{
	const size_t sz = (size_t)cap * sizeof(struct pfx_slot), huge = 2u << 20;
	if (sz < huge)
		return calloc(cap, sizeof(struct pfx_slot));
	void *t;
	if (posix_memalign(&t, huge, sz) != 0)
		return NULL;
	(void)madvise(t, sz, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
	memset(t, 0, sz);
	return t;
}

/* Room for one more prefix (the table kept at most half full). */
static int store_reserve(void)
{
	if ((store_n + 1) * 2 <= store_mask + 1)
		return 0;
	uint32_t cap = (store_mask + 1) * 2;
	struct pfx_slot *old = store, *t = store_alloc(cap);
	if (t == NULL)
		return -ENOMEM;
	uint32_t old_cap = store_mask + 1;
	store = t;
	store_mask = cap - 1;
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i].p != NULL)
			store_put(old[i].key, old[i].p);
	free(old);
	return 0;
}

static void store_del(struct pfx_slot *sl)
{
	uint32_t i = (uint32_t)(sl - store), j = i;
	for (;;) {
		j = (j + 1) & store_mask;
		if (store[j].p == NULL)
			break;
		/* an entry moves into the hole unless its home lies
		 * cyclically in (i, j] */
		uint32_t h = store_home(store[j].key);
		if (((j - h) & store_mask) >= ((j - i) & store_mask)) {
			store[i] = store[j];
			i = j;
		}
	}
	store[i].p = NULL;
	store_n--;
}

static uint32_t nroutes, max_nroutes;
static uint32_t *nh_free;    /* stack of free next-hop indices */
static uint32_t nh_nfree;
/* Plain next hops are shared by every route with the same (type, link,
 * gateway) and reference-counted; ECMP groups and their members belong to
 * one route. */
static uint32_t *nh_ref;
static uint8_t *nh_shared;
static struct rte_hash *nh_dedup;

struct nh_key {
	uint8_t gw[RIB_GW_SIZE];
	uint16_t iface;
	uint8_t type;
	uint8_t zero;
};
static uint32_t grp_free[RIB_GRP_MAX]; /* stack of free ECMP blocks */
static uint32_t grp_nfree;
static bool iface_up[RS_MAX_IFACES];
static const uint8_t rib_zero_gw[RIB_GW_SIZE];

static struct pfx *pfx_get(struct rib_key k, bool create);

static void nh_key_of(struct nh_key *k, uint8_t type, uint16_t iface, const void *gw)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->gw, gw, RIB_GW_SIZE);
	k->iface = iface;
	k->type = type;
}

static void nh_release_now(uint32_t i)
{
	RIB_NH *nh = &RIB_NH_TAB[i];
	nh_shared[i] = 0;
	if (nh->type == RT_GROUP) {
		for (uint32_t m = 0; m < nh->nmemb; m++)
			nh_free[nh_nfree++] = RIB_GRP_TAB[nh->grp + m];
		grp_free[grp_nfree++] = nh->grp / RIB_ECMP_MAX;
	}
	nh_free[nh_nfree++] = i;
}

static void nh_release(void *arg)
{
	nh_release_now((uint32_t)(uintptr_t)arg);
}

/* A next hop, once published, is never written again: workers may be
 * reading it. Its index (and an ECMP group's members and block) is reused
 * only after a grace period. */
static void nh_put(uint32_t i)
{
	if (i == RIB_NH_NONE)
		return;
	if (nh_shared[i]) {
		if (--nh_ref[i] > 0)
			return;
		RIB_NH *nh = &RIB_NH_TAB[i];
		struct nh_key k;
		nh_key_of(&k, nh->type, nh->iface, RIB_GW(nh->gw));
		rte_hash_del_key(nh_dedup, &k); /* no new user finds it */
	}
	rs_defer_free(nh_release, (void *)(uintptr_t)i);
}

static uint32_t nh_new(uint8_t type, uint16_t iface, const void *gw)
{
	if (nh_nfree == 0 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* next hops still waiting for readers to move on */
	if (nh_nfree == 0)
		return RIB_NH_NONE;
	uint32_t i = nh_free[--nh_nfree];
	RIB_NH *nh = &RIB_NH_TAB[i];
	nh->type = type;
	nh->nmemb = 0;
	nh->iface = iface;
	nh->grp = 0;
	memcpy(RIB_GW(nh->gw), gw, RIB_GW_SIZE); /* after grp: in an IPv4 hop they share room */
	nh_ref[i] = 1;
	return i;
}

/* The shared next hop for (type, iface, gw), created on first use. */
static uint32_t nh_get(uint8_t type, uint16_t iface, const void *gw)
{
	struct nh_key k;
	nh_key_of(&k, type, iface, gw);
	void *d;
	if (rte_hash_lookup_data(nh_dedup, &k, &d) >= 0) {
		uint32_t i = (uint32_t)(uintptr_t)d;
		nh_ref[i]++;
		return i;
	}
	uint32_t i = nh_new(type, iface, gw);
	if (i == RIB_NH_NONE)
		return i;
	if (rte_hash_add_key_data(nh_dedup, &k, (void *)(uintptr_t)i) < 0)
		return i; /* works unshared */
	nh_shared[i] = 1;
	return i;
}

/* r's next hop from the paths whose link is up: a plain next hop, an ECMP
 * group, or RIB_NH_NONE when no path is usable (*full tells a full table
 * apart). degrade: with no ECMP group left, keep one live path (a link
 * change must not blackhole the route). */
static uint32_t nh_build(const RIB_ROUTE *r, bool *full, bool degrade)
{
	*full = false;
	if (r->npaths <= 1) {
		uint32_t i = nh_get(r->type, r->iface, RIB_GW(r->gw));
		*full = i == RIB_NH_NONE;
		return i;
	}
	uint32_t memb[RIB_ECMP_MAX], n = 0;
	for (uint32_t k = 0; k < r->npaths; k++) {
		const RIB_PATH *pa = &r->paths[k];
		if (pa->iface >= RS_MAX_IFACES || !iface_up[pa->iface])
			continue;
		if ((memb[n] = nh_new(RT_UNICAST, pa->iface, RIB_GW(pa->gw))) == RIB_NH_NONE)
			goto full;
		n++;
	}
	if (n == 0)
		return RIB_NH_NONE;
	if (n == 1)
		return memb[0];
	if (grp_nfree == 0 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* groups still waiting for readers to move on */
	uint32_t g = grp_nfree ? nh_new(RT_GROUP, 0, rib_zero_gw) : RIB_NH_NONE;
	if (g == RIB_NH_NONE) {
		if (!degrade)
			goto full;
		rs_log(RIB_LOG_PREFIX "ECMP group table full: a route keeps one path of %u", n);
		while (n > 1)
			nh_release_now(memb[--n]);
		return memb[0];
	}
	uint32_t blk = grp_free[--grp_nfree] * RIB_ECMP_MAX;
	memcpy(&RIB_GRP_TAB[blk], memb, n * sizeof(memb[0]));
	RIB_NH_TAB[g].grp = blk;
	RIB_NH_TAB[g].nmemb = (uint8_t)n;
	return g;
full:
	while (n)
		nh_release_now(memb[--n]);
	*full = true;
	return RIB_NH_NONE;
}

static bool route_has_iface(const RIB_ROUTE *r, uint16_t iface)
{
	if (r->npaths <= 1)
		return r->type <= RT_BROADCAST && r->iface == iface;
	for (uint32_t k = 0; k < r->npaths; k++)
		if (r->paths[k].iface == iface)
			return true;
	return false;
}

static void route_free(RIB_ROUTE *r)
{
	nh_put(r->nh);
	free(r->paths);
	r->paths = NULL;
}

static void rib_fini(void)
{
	for (uint32_t i = 0; store && i <= store_mask; i++) {
		struct pfx *p = store[i].p;
		if (p == NULL)
			continue;
		for (uint32_t j = 0; j < p->n; j++)
			free(p->alts[j].paths);
		if (p->alts != &p->one)
			free(p->alts);
	}
	for (uint32_t i = 0; i < pfx_nslabs; i++)
		free(pfx_slabs[i]);
	free(pfx_slabs);
	pfx_slabs = NULL;
	pfx_nslabs = 0;
	pfx_slab_used = PFX_PER_SLAB;
	pfx_freelist = NULL;
	free(store);
	store = NULL;
	store_mask = store_n = 0;
	rte_hash_free(nh_dedup);
	nh_dedup = NULL;
	free(nh_free);
	free(nh_ref);
	free(nh_shared);
	nh_free = NULL;
	nh_ref = NULL;
	nh_shared = NULL;
	nh_nfree = grp_nfree = nroutes = 0;
}

/* The store and next-hop tables for max_routes routes; -ENOMEM (with
 * everything freed again) when they cannot be made. */
static int rib_init(uint32_t max_routes)
{
	max_nroutes = max_routes;
	store = calloc(STORE_MIN, sizeof(*store));
	store_mask = STORE_MIN - 1;
	store_n = 0;
	nh_free = malloc(sizeof(*nh_free) * RIB_NH_MAX);
	nh_ref = calloc(RIB_NH_MAX, sizeof(*nh_ref));
	nh_shared = calloc(RIB_NH_MAX, sizeof(*nh_shared));
	struct rte_hash_parameters np = {
		.name = RIB_NH_HASH_NAME,
		.entries = RIB_NH_MAX,
		.key_len = sizeof(struct nh_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};
	nh_dedup = rte_hash_create(&np);
	if (store == NULL || nh_free == NULL || nh_ref == NULL || nh_shared == NULL ||
	    nh_dedup == NULL) {
		rib_fini();
		return -ENOMEM;
	}
	/* index 0 stays unused so that a zeroed value is never a valid hop */
	nh_nfree = grp_nfree = nroutes = 0;
	for (uint32_t i = RIB_NH_MAX - 1; i > 0; i--)
		nh_free[nh_nfree++] = i;
	for (uint32_t g = RIB_GRP_MAX; g > 0; g--)
		grp_free[grp_nfree++] = g - 1;
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		iface_up[i] = true;
	return 0;
}

static bool usable(const RIB_ROUTE *r)
{
	if (r->nh == RIB_NH_NONE)
		return false; /* ECMP route with every path's link down */
	if (r->type == RT_BLACKHOLE || r->type == RT_UNREACHABLE || r->type == RT_PROHIBIT ||
	    r->npaths > 1)
		return true;
	return r->iface < RS_MAX_IFACES && iface_up[r->iface];
}

static int fib_set(struct pfx *p, uint32_t nh)
{
	int rc = rib_fib_add(&p->k, nh);
	if (rc < 0)
		return rc;
	p->in_fib = true;
	return 0;
}

/* The addresses p owned go to the longest installed shorter prefix. */
static void fib_clear(struct pfx *p)
{
	if (!p->in_fib)
		return;
	int repl_len = -1;
	uint32_t repl_nh = 0;
	for (int l = (int)p->k.plen - 1; l >= 0; l--) {
		struct rib_key sk;
		rib_key_shorten(&sk, &p->k, (uint8_t)l);
		struct pfx *q = pfx_get(sk, false);
		if (q && q->in_fib && q->installed >= 0) {
			repl_len = l;
			repl_nh = q->alts[q->installed].nh;
			break;
		}
	}
	rib_fib_del(&p->k, repl_len, repl_nh);
	p->in_fib = false;
}

/* Installs the best usable alternative of p in the FIB (or removes it).
 * p->installed always says what the FIB holds. */
static int reinstall(struct pfx *p)
{
	int best = -1;
	for (uint32_t i = 0; i < p->n; i++)
		if (usable(&p->alts[i])) {
			best = (int)i;
			break;
		}
	if (best < 0) {
		fib_clear(p);
		p->installed = -1;
		return 0;
	}
	int rc = fib_set(p, p->alts[best].nh);
	if (rc < 0) {
		/* never leave the FIB pointing at a route that is gone */
		if (p->installed < 0)
			fib_clear(p);
		return rc;
	}
	p->installed = best;
	return 0;
}

static struct pfx *pfx_get(struct rib_key k, bool create)
{
	struct pfx_slot *sl = store_find(k);
	if (sl != NULL)
		return sl->p;
	if (!create || store_reserve() < 0)
		return NULL;
	struct pfx *p = pfx_alloc();
	if (p == NULL)
		return NULL;
	p->k = k;
	p->installed = -1;
	store_put(rib_key_hash(&k), p);
	store_n++;
	return p;
}

static void pfx_maybe_free(struct pfx *p)
{
	if (p->n)
		return;
	store_del(store_find(p->k));
	pfx_release(p);
}

/* Adds a route (see fib4_route_add). */
int RIB_FN(route_add)(const RIB_ROUTE *r0, bool replace)
{
	RIB_ROUTE r = *r0;
	if (r.plen > RIB_ALEN || r.npaths > RIB_ECMP_MAX)
		return -EINVAL;
	rib_route_mask(&r);
	r.paths = NULL;
	if (r.npaths > 1) {
		r.paths = malloc(r.npaths * sizeof(*r.paths));
		if (r.paths == NULL)
			return -ENOMEM;
		memcpy(r.paths, r0->paths, r.npaths * sizeof(*r.paths));
	}
	struct rib_key k;
	rib_key_of(&k, &r);
	struct pfx *p = pfx_get(k, true);
	if (p == NULL) {
		free(r.paths);
		rs_err_set("route table full");
		return -ENOSPC;
	}
	uint32_t pos = 0;
	while (pos < p->n && p->alts[pos].metric < r.metric)
		pos++;
	bool exists = pos < p->n && p->alts[pos].metric == r.metric;
	if (exists && !replace) {
		free(r.paths);
		rs_err_set("route exists");
		return -EEXIST;
	}
	if (!exists && nroutes >= max_nroutes) {
		free(r.paths);
		pfx_maybe_free(p);
		rs_err_set("route table full (%u routes, see " RIB_OPT_ROUTES ")", max_nroutes);
		return -ENOSPC;
	}
	bool full;
	r.nh = nh_build(&r, &full, false);
	if (full) {
		free(r.paths);
		pfx_maybe_free(p);
		rs_err_set("next-hop table full");
		return -ENOSPC;
	}
	RIB_ROUTE old;
	if (exists) {
		old = p->alts[pos];
		p->alts[pos] = r;
	} else {
		if (p->n == p->cap) {
			uint32_t cap = p->cap ? p->cap * 2 : 1;
			RIB_ROUTE *a = p->alts == &p->one ? malloc(cap * sizeof(*a))
							  : realloc(p->alts, cap * sizeof(*a));
			if (a != NULL && p->alts == &p->one)
				memcpy(a, &p->one, p->n * sizeof(*a));
			if (a == NULL) {
				nh_put(r.nh);
				free(r.paths);
				pfx_maybe_free(p);
				return -ENOMEM;
			}
			p->alts = a;
			p->cap = cap;
		}
		memmove(&p->alts[pos + 1], &p->alts[pos], (p->n - pos) * sizeof(r));
		p->alts[pos] = r;
		p->n++;
		nroutes++;
		if (p->installed >= (int)pos)
			p->installed++;
	}
	if (reinstall(p) < 0) {
		/* undo: the table is as it was */
		rs_err_set(RIB_ERR_FIB_FULL);
		nh_put(p->alts[pos].nh);
		free(p->alts[pos].paths);
		if (exists) {
			p->alts[pos] = old;
		} else {
			memmove(&p->alts[pos], &p->alts[pos + 1], (p->n - pos - 1) * sizeof(r));
			p->n--;
			nroutes--;
			if (p->installed > (int)pos)
				p->installed--;
		}
		reinstall(p);
		pfx_maybe_free(p);
		return -ENOSPC;
	}
	if (exists)
		route_free(&old);
	return 0;
}

/* gw NULL or all zero: any gateway */
static bool match(const RIB_ROUTE *r, int64_t metric, int type, uint16_t iface, const void *gw)
{
	bool anygw = gw == NULL || memcmp(gw, rib_zero_gw, RIB_GW_SIZE) == 0;
	if ((metric >= 0 && r->metric != metric) || (type >= 0 && r->type != type))
		return false;
	if (r->npaths > 1) {
		for (uint32_t k = 0; k < r->npaths; k++)
			if ((iface == RIB_ANY_IFACE || r->paths[k].iface == iface) &&
			    (anygw || memcmp(RIB_GW(r->paths[k].gw), gw, RIB_GW_SIZE) == 0))
				return true;
		return false;
	}
	return (iface == RIB_ANY_IFACE || r->iface == iface) &&
	       (anygw || memcmp(RIB_GW(r->gw), gw, RIB_GW_SIZE) == 0);
}

/* Deletes the routes of k (masked here) that match (see fib4_route_del). */
static int rib_route_del(struct rib_key *k, int64_t metric, int type, uint16_t iface,
			 const void *gw)
{
	if (k->plen > RIB_ALEN)
		return -EINVAL;
	rib_key_mask(k);
	struct pfx *p = pfx_get(*k, false);
	if (p == NULL)
		return -ESRCH;
	int del = 0;
	for (uint32_t i = 0; i < p->n;) {
		if (!match(&p->alts[i], metric, type, iface, gw)) {
			i++;
			continue;
		}
		route_free(&p->alts[i]);
		if (p->installed == (int)i)
			p->installed = -1; /* the FIB entry stays until reinstall */
		else if (p->installed > (int)i)
			p->installed--;
		memmove(&p->alts[i], &p->alts[i + 1], (p->n - i - 1) * sizeof(p->alts[0]));
		p->n--;
		nroutes--;
		del++;
	}
	if (del == 0)
		return -ESRCH;
	reinstall(p);
	pfx_maybe_free(p);
	return del;
}

static int collect(struct pfx ***out, uint32_t *n)
{
	uint32_t cnt = store_n, i = 0;
	struct pfx **v = malloc((cnt ? cnt : 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (uint32_t j = 0; j <= store_mask && i < cnt; j++)
		if (store[j].p != NULL)
			v[i++] = store[j].p;
	*out = v;
	*n = i;
	return 0;
}

/* Rebuilds the next hop of every ECMP route with a path through iface, so
 * the group holds exactly the paths whose link is up. */
static void rebuild_groups(struct pfx *p, uint16_t iface)
{
	for (uint32_t j = 0; j < p->n; j++) {
		RIB_ROUTE *r = &p->alts[j];
		if (r->npaths <= 1 || !route_has_iface(r, iface))
			continue;
		bool full;
		uint32_t nh = nh_build(r, &full, true);
		nh_put(r->nh);
		r->nh = nh;
	}
}

/* Removes every route through iface (link removal). */
void RIB_FN(iface_flush)(uint16_t iface)
{
	struct pfx **v;
	uint32_t n;
	if (collect(&v, &n) < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct pfx *p = v[i];
		struct rib_key k = p->k;
		/* ECMP routes lose the paths through iface (Linux drops the
		 * nexthop); the route goes with its last path */
		for (uint32_t j = 0; j < p->n; j++) {
			RIB_ROUTE *r = &p->alts[j];
			if (r->npaths <= 1 || !route_has_iface(r, iface))
				continue;
			uint32_t q = 0;
			for (uint32_t m = 0; m < r->npaths; m++)
				if (r->paths[m].iface != iface)
					r->paths[q++] = r->paths[m];
			r->npaths = (uint8_t)q;
			if (q <= 1) {
				if (q == 1) {
					memcpy(RIB_GW(r->gw), RIB_GW(r->paths[0].gw), RIB_GW_SIZE);
					r->iface = r->paths[0].iface;
				} else {
					r->type = RT_UNICAST;
					r->iface = iface; /* deleted below */
				}
				r->npaths = 0;
				free(r->paths);
				r->paths = NULL;
			}
			bool full;
			uint32_t nh = nh_build(r, &full, true);
			nh_put(r->nh);
			r->nh = nh;
		}
		reinstall(p);
		bool has = false;
		for (uint32_t j = 0; j < p->n && !has; j++)
			has = route_has_iface(&p->alts[j], iface);
		if (has) /* may free p */
			for (int t = RT_UNICAST; t <= RT_BROADCAST; t++) {
				struct rib_key kd = k;
				rib_route_del(&kd, -1, t, iface, NULL);
			}
	}
	free(v);
}

/* Link state changed: routes through iface become (un)usable. */
void RIB_FN(iface_set_up)(uint16_t iface, bool up)
{
	if (iface >= RS_MAX_IFACES || iface_up[iface] == up)
		return;
	iface_up[iface] = up;
	struct pfx **v;
	uint32_t n;
	if (collect(&v, &n) < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		bool has = false;
		for (uint32_t j = 0; j < v[i]->n && !has; j++)
			has = route_has_iface(&v[i]->alts[j], iface);
		if (!has)
			continue;
		rebuild_groups(v[i], iface);
		reinstall(v[i]);
	}
	free(v);
}

void RIB_FN(iface_reset)(uint16_t iface)
{
	if (iface < RS_MAX_IFACES)
		iface_up[iface] = true;
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = *(struct pfx *const *)a, *y = *(struct pfx *const *)b;
	return rib_key_cmp(&x->k, &y->k);
}

void RIB_FN(foreach)(void (*fn)(void *arg, const RIB_ROUTE *r, bool installed), void *arg)
{
	struct pfx **v;
	uint32_t n;
	if (collect(&v, &n) < 0)
		return;
	qsort(v, n, sizeof(*v), cmp_pfx);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < v[i]->n; j++)
			fn(arg, &v[i]->alts[j], v[i]->installed == (int)j);
	free(v);
}

uint32_t RIB_FN(count)(void) { return nroutes; }

uint32_t RIB_FN(nh_refs)(uint32_t nh) { return nh < RIB_NH_MAX ? nh_ref[nh] : 0; }
uint32_t RIB_FN(nh_free_count)(void) { return nh_nfree; }

/* The installed route for the address dst (a key of length RIB_ALEN). */
static int rib_route_get(const struct rib_key *dst, RIB_ROUTE *out)
{
	for (int plen = RIB_ALEN; plen >= 0; plen--) {
		struct rib_key k;
		rib_key_shorten(&k, dst, (uint8_t)plen);
		struct pfx *p = pfx_get(k, false);
		if (p && p->installed >= 0) {
			*out = p->alts[p->installed];
			return 0;
		}
	}
	return -ENETUNREACH;
}
