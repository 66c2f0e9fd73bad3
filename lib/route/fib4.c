/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>

#include "core/dp.h"
#include "core/module.h"
#include "route/fib4.h"
#include "util/rs_log.h"


struct rs_nh fib4_nh_tab[FIB4_NH_MAX];
uint32_t fib4_grp_tab[FIB4_GRP_MAX * FIB4_ECMP_MAX];

struct pfx {
	uint32_t prefix;
	uint8_t plen;
	uint32_t n, cap;
	struct route4 *alts;  /* sorted by metric */
	int installed;        /* index in alts of the route the FIB holds, -1 if none */
	bool in_fib;          /* the FIB holds an entry for this prefix */
};

/*
 * Control-side route store: every prefix with a route, by (prefix, length),
 * in an open-addressing table (linear probing, deletion by backward shift,
 * doubled at half load) that only the control thread uses. It replaced an
 * rte_hash with jhash, which with a million prefixes cost more than the
 * rest of a route add together (perf, ringctl -b of 1,000,000 routes).
 */
struct pfx_slot {
	uint64_t key; /* prefix << 8 | length */
	struct pfx *p; /* NULL: free */
};
static struct pfx_slot *store;
static uint32_t store_mask, store_n;
#define STORE_MIN 1024u

static inline uint64_t store_key(uint32_t prefix, uint8_t plen)
{
	return (uint64_t)prefix << 8 | plen;
}

static inline uint32_t store_home(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & store_mask;
}

static struct pfx_slot *store_find(uint64_t key)
{
	for (uint32_t i = store_home(key);; i = (i + 1) & store_mask) {
		if (store[i].p == NULL)
			return NULL;
		if (store[i].key == key)
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
	uint32_t gw;
	uint16_t iface;
	uint8_t type;
	uint8_t zero;
};
static uint32_t grp_free[FIB4_GRP_MAX]; /* stack of free ECMP blocks */
static uint32_t grp_nfree;
static bool iface_up[RS_MAX_IFACES];

static struct pfx *pfx_get(uint32_t prefix, uint8_t plen, bool create);

static void nh_release_now(uint32_t i)
{
	struct rs_nh *nh = &fib4_nh_tab[i];
	nh_shared[i] = 0;
	if (nh->type == RT_GROUP) {
		for (uint32_t m = 0; m < nh->nmemb; m++)
			nh_free[nh_nfree++] = fib4_grp_tab[nh->grp + m];
		grp_free[grp_nfree++] = nh->grp / FIB4_ECMP_MAX;
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
	if (i == FIB4_NH_NONE)
		return;
	if (nh_shared[i]) {
		if (--nh_ref[i] > 0)
			return;
		const struct rs_nh *nh = &fib4_nh_tab[i];
		struct nh_key k = { .gw = nh->gw, .iface = nh->iface, .type = nh->type };
		rte_hash_del_key(nh_dedup, &k); /* no new user finds it */
	}
	rs_defer_free(nh_release, (void *)(uintptr_t)i);
}

static uint32_t nh_new(uint8_t type, uint16_t iface, uint32_t gw)
{
	if (nh_nfree == 0 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* next hops still waiting for readers to move on */
	if (nh_nfree == 0)
		return FIB4_NH_NONE;
	uint32_t i = nh_free[--nh_nfree];
	struct rs_nh *nh = &fib4_nh_tab[i];
	nh->type = type;
	nh->nmemb = 0;
	nh->iface = iface;
	nh->gw = gw;
	nh_ref[i] = 1;
	return i;
}

/* The shared next hop for (type, iface, gw), created on first use. */
static uint32_t nh_get(uint8_t type, uint16_t iface, uint32_t gw)
{
	struct nh_key k = { .gw = gw, .iface = iface, .type = type };
	void *d;
	if (rte_hash_lookup_data(nh_dedup, &k, &d) >= 0) {
		uint32_t i = (uint32_t)(uintptr_t)d;
		nh_ref[i]++;
		return i;
	}
	uint32_t i = nh_new(type, iface, gw);
	if (i == FIB4_NH_NONE)
		return i;
	if (rte_hash_add_key_data(nh_dedup, &k, (void *)(uintptr_t)i) < 0)
		return i; /* works unshared */
	nh_shared[i] = 1;
	return i;
}

/* Builds r's next hop from the paths whose link is up: a plain next hop, an
 * ECMP group, or FIB4_NH_NONE when no path is usable (*full tells a full
 * table apart). */
static uint32_t nh_build(const struct route4 *r, bool *full, bool degrade)
{
	*full = false;
	if (r->npaths <= 1) {
		uint32_t i = nh_get(r->type, r->iface, r->gw);
		*full = i == FIB4_NH_NONE;
		return i;
	}
	uint32_t memb[FIB4_ECMP_MAX], n = 0;
	for (uint32_t k = 0; k < r->npaths; k++) {
		const struct fib4_path *pa = &r->paths[k];
		if (pa->iface >= RS_MAX_IFACES || !iface_up[pa->iface])
			continue;
		memb[n] = nh_new(RT_UNICAST, pa->iface, pa->gw);
		if (memb[n] == FIB4_NH_NONE)
			goto full;
		n++;
	}
	if (n == 0)
		return FIB4_NH_NONE;
	if (n == 1)
		return memb[0];
	if (grp_nfree == 0 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* groups still waiting for readers to move on */
	uint32_t g = grp_nfree ? nh_new(RT_GROUP, 0, 0) : FIB4_NH_NONE;
	if (g == FIB4_NH_NONE) {
		if (!degrade)
			goto full;
		/* a link change must not blackhole the route: with no group
		 * left, keep one live path until groups free up */
		rs_log("ECMP group table full: a route keeps one path of %u", n);
		while (n > 1)
			nh_release_now(memb[--n]);
		return memb[0];
	}
	uint32_t blk = grp_free[--grp_nfree] * FIB4_ECMP_MAX;
	memcpy(&fib4_grp_tab[blk], memb, n * sizeof(memb[0]));
	fib4_nh_tab[g].grp = blk;
	fib4_nh_tab[g].nmemb = (uint8_t)n;
	return g;
full:
	while (n)
		nh_release_now(memb[--n]);
	*full = true;
	return FIB4_NH_NONE;
}

static bool route_has_iface(const struct route4 *r, uint16_t iface)
{
	if (r->npaths <= 1)
		return r->type <= RT_BROADCAST && r->iface == iface;
	for (uint32_t k = 0; k < r->npaths; k++)
		if (r->paths[k].iface == iface)
			return true;
	return false;
}

static void route_free(struct route4 *r)
{
	nh_put(r->nh);
	free(r->paths);
	r->paths = NULL;
}

int fib4_init(uint32_t max_routes, uint32_t max_tbl8, struct rte_rcu_qsbr *rcu)
{
	(void)rcu; /* reclamation goes through rs_defer_free */
	max_nroutes = max_routes;
	if (dir24_init(max_tbl8) < 0) {
		rs_err_set("cannot allocate the IPv4 FIB (64 MiB + %u tbl8 groups)", max_tbl8);
		return -ENOMEM;
	}
	store = calloc(STORE_MIN, sizeof(*store));
	store_mask = STORE_MIN - 1;
	store_n = 0;
	nh_free = malloc(sizeof(*nh_free) * FIB4_NH_MAX);
	nh_ref = calloc(FIB4_NH_MAX, sizeof(*nh_ref));
	nh_shared = calloc(FIB4_NH_MAX, sizeof(*nh_shared));
	struct rte_hash_parameters np = {
		.name = "rs_fib4_nh",
		.entries = FIB4_NH_MAX,
		.key_len = sizeof(struct nh_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};
	nh_dedup = rte_hash_create(&np);
	if (store == NULL || nh_free == NULL || nh_ref == NULL || nh_shared == NULL ||
	    nh_dedup == NULL) {
		rs_err_set("cannot create the route store");
		return -ENOMEM;
	}
	/* index 0 stays unused so that a zeroed value is never a valid hop */
	for (uint32_t i = FIB4_NH_MAX - 1; i > 0; i--)
		nh_free[nh_nfree++] = i;
	for (uint32_t g = FIB4_GRP_MAX; g > 0; g--)
		grp_free[grp_nfree++] = g - 1;
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		iface_up[i] = true;
	return 0;
}

void fib4_fini(void)
{
	for (uint32_t i = 0; store && i <= store_mask; i++) {
		struct pfx *p = store[i].p;
		if (p == NULL)
			continue;
		for (uint32_t j = 0; j < p->n; j++)
			free(p->alts[j].paths);
		free(p->alts);
		free(p);
	}
	free(store);
	store_mask = store_n = 0;
	rte_hash_free(nh_dedup);
	dir24_fini();
	free(nh_free);
	free(nh_ref);
	free(nh_shared);
	nh_dedup = NULL;
	nh_ref = NULL;
	nh_shared = NULL;
	store = NULL;

	nh_free = NULL;
	nh_nfree = 0;
	grp_nfree = 0;
	nroutes = 0;
}

static bool usable(const struct route4 *r)
{
	if (r->nh == FIB4_NH_NONE)
		return false; /* ECMP route with every path's link down */
	if (r->type == RT_BLACKHOLE || r->type == RT_UNREACHABLE || r->type == RT_PROHIBIT ||
	    r->npaths > 1)
		return true;
	return r->iface < RS_MAX_IFACES && iface_up[r->iface];
}

static int fib_set(struct pfx *p, uint32_t nh)
{
	int rc = dir24_add(p->prefix, p->plen, nh);
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
	for (int l = (int)p->plen - 1; l >= 0; l--) {
		uint32_t pf = p->prefix & (l ? ~0u << (32 - l) : 0);
		struct pfx *q = pfx_get(pf, (uint8_t)l, false);
		if (q && q->in_fib && q->installed >= 0) {
			repl_len = l;
			repl_nh = q->alts[q->installed].nh;
			break;
		}
	}
	dir24_del(p->prefix, p->plen, repl_len, repl_nh);
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

static struct pfx *pfx_get(uint32_t prefix, uint8_t plen, bool create)
{
	const uint64_t key = store_key(prefix, plen);
	struct pfx_slot *sl = store_find(key);
	if (sl != NULL)
		return sl->p;
	if (!create || store_reserve() < 0)
		return NULL;
	struct pfx *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->prefix = prefix;
	p->plen = plen;
	p->installed = -1;
	store_put(key, p);
	store_n++;
	return p;
}

static void pfx_maybe_free(struct pfx *p)
{
	if (p->n)
		return;
	store_del(store_find(store_key(p->prefix, p->plen)));
	free(p->alts);
	free(p);
}

int fib4_route_add(const struct route4 *r0, bool replace)
{
	struct route4 r = *r0;
	if (r.plen > 32 || r.npaths > FIB4_ECMP_MAX)
		return -EINVAL;
	r.prefix &= r.plen ? ~0u << (32 - r.plen) : 0;
	r.paths = NULL;
	if (r.npaths > 1) {
		r.paths = malloc(r.npaths * sizeof(*r.paths));
		if (r.paths == NULL)
			return -ENOMEM;
		memcpy(r.paths, r0->paths, r.npaths * sizeof(*r.paths));
	}
	struct pfx *p = pfx_get(r.prefix, r.plen, true);
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
		rs_err_set("route table full (%u routes, see --fib-max-routes)", max_nroutes);
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
	struct route4 old;
	if (exists) {
		old = p->alts[pos];
		p->alts[pos] = r;
	} else {
		if (p->n == p->cap) {
			uint32_t cap = p->cap ? p->cap * 2 : 1;
			struct route4 *a = realloc(p->alts, cap * sizeof(*a));
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
	int rc = reinstall(p);
	if (rc < 0) {
		/* undo: the table is as it was */
		rs_err_set("FIB full (raise --fib-max-routes/--fib-max-tbl8)");
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

static bool match(const struct route4 *r, int64_t metric, int type, uint16_t iface, uint32_t gw)
{
	if (r->npaths > 1 && (iface != FIB4_ANY_IFACE || gw != 0)) {
		bool any = false;
		for (uint32_t k = 0; k < r->npaths; k++)
			any |= (iface == FIB4_ANY_IFACE || r->paths[k].iface == iface) &&
			       (gw == 0 || r->paths[k].gw == gw);
		if (!any)
			return false;
		return (metric < 0 || r->metric == metric) && (type < 0 || r->type == type);
	}
	return (metric < 0 || r->metric == metric) && (type < 0 || r->type == type) &&
	       (iface == FIB4_ANY_IFACE || r->iface == iface) && (gw == 0 || r->gw == gw);
}

int fib4_route_del(uint32_t prefix, uint8_t plen, int64_t metric, int type, uint16_t iface,
		   uint32_t gw)
{
	if (plen > 32)
		return -EINVAL;
	prefix &= plen ? ~0u << (32 - plen) : 0;
	struct pfx *p = pfx_get(prefix, plen, false);
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
		struct route4 *r = &p->alts[j];
		if (r->npaths <= 1 || !route_has_iface(r, iface))
			continue;
		bool full;
		uint32_t nh = nh_build(r, &full, true);
		nh_put(r->nh);
		r->nh = nh;
	}
}

void fib4_iface_flush(uint16_t iface)
{
	struct pfx **v;
	uint32_t n;
	if (collect(&v, &n) < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct pfx *p = v[i];
		/* ECMP routes lose the paths through iface (Linux drops the
		 * nexthop); the route goes with its last path */
		for (uint32_t j = 0; j < p->n; j++) {
			struct route4 *r = &p->alts[j];
			if (r->npaths <= 1 || !route_has_iface(r, iface))
				continue;
			uint32_t k = 0;
			for (uint32_t q = 0; q < r->npaths; q++)
				if (r->paths[q].iface != iface)
					r->paths[k++] = r->paths[q];
			r->npaths = (uint8_t)k;
			if (k == 1) {
				r->gw = r->paths[0].gw;
				r->iface = r->paths[0].iface;
				r->npaths = 0;
				free(r->paths);
				r->paths = NULL;
			} else if (k == 0) {
				r->type = RT_UNICAST;
				r->iface = iface; /* deleted below */
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
		for (uint32_t j = 0; j < p->n; j++)
			if (route_has_iface(&p->alts[j], iface))
				has = true;
		if (has) {
			uint32_t pfx = p->prefix;
			uint8_t plen = p->plen;
			for (int t = RT_UNICAST; t <= RT_BROADCAST; t++)
				fib4_route_del(pfx, plen, -1, t, iface, 0);
		}
	}
	free(v);
}

void fib4_iface_set_up(uint16_t iface, bool up)
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

void fib4_iface_reset(uint16_t iface)
{
	if (iface < RS_MAX_IFACES)
		iface_up[iface] = true;
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = *(struct pfx *const *)a, *y = *(struct pfx *const *)b;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

void fib4_foreach(void (*fn)(void *arg, const struct route4 *r, bool installed), void *arg)
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

uint32_t fib4_count(void) { return nroutes; }

uint32_t fib4_nh_refs(uint32_t nh) { return nh < FIB4_NH_MAX ? nh_ref[nh] : 0; }
uint32_t fib4_nh_free_count(void) { return nh_nfree; }

int fib4_route_get(uint32_t dst, struct route4 *out)
{
	for (int plen = 32; plen >= 0; plen--) {
		uint32_t pfx = dst & (plen ? ~0u << (32 - plen) : 0);
		struct pfx *p = pfx_get(pfx, (uint8_t)plen, false);
		if (p && p->installed >= 0) {
			*out = p->alts[p->installed];
			return 0;
		}
	}
	return -ENETUNREACH;
}

static int route_module_init(void)
{
	return fib4_init(rs_dp.params.fib_max_routes, rs_dp.params.fib_max_tbl8, rs_dp.rcu);
}

static struct rs_module route_module = {
	.name = "route",
	.order = 15,
	.init = route_module_init,
	.fini = fib4_fini,
};
RS_MODULE_REGISTER(route_module);
