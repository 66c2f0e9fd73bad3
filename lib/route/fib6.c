/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 FIB (see fib6.h). The control side keeps every route of a prefix,
 * sorted by metric, in a hash keyed by (prefix, length); the best usable
 * one is installed in the trie (dir6.h). The same design as fib4.c, with
 * 128-bit prefixes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>

#include "core/dp.h"
#include "core/module.h"
#include "route/fib6.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"

struct rs_nh6 fib6_nh_tab[FIB6_NH_MAX];
uint32_t fib6_grp_tab[FIB6_GRP_MAX * FIB6_ECMP_MAX];

struct pfx_key {
	uint8_t prefix[16];
	uint32_t plen;
};

struct pfx {
	struct pfx_key k;
	uint32_t n, cap;
	struct route6 *alts; /* sorted by metric */
	int installed;       /* index in alts of the route the trie holds, -1: none */
	bool in_fib;         /* the trie holds an entry for this prefix */
};

static struct rte_hash *store;
static uint32_t nroutes, max_nroutes;
static uint32_t *nh_free; /* stack of free next-hop indices */
static uint32_t nh_nfree;
/* Plain next hops are shared by every route with the same (type, link,
 * gateway) and reference-counted; ECMP groups and their members belong to
 * one route (as in fib4.c). */
static uint32_t *nh_ref;
static uint8_t *nh_shared;
static struct rte_hash *nh_dedup;

struct nh_key {
	uint8_t gw[16];
	uint16_t iface;
	uint8_t type;
	uint8_t zero;
};
static uint32_t grp_free[FIB6_GRP_MAX]; /* stack of free ECMP blocks */
static uint32_t grp_nfree;
static bool iface_up[RS_MAX_IFACES];
static const uint8_t zero16[16];

static struct pfx *pfx_get(const uint8_t prefix[16], uint8_t plen, bool create);

static void nh_release_now(uint32_t i)
{
	struct rs_nh6 *nh = &fib6_nh_tab[i];
	nh_shared[i] = 0;
	if (nh->type == RT_GROUP) {
		for (uint32_t m = 0; m < nh->nmemb; m++)
			nh_free[nh_nfree++] = fib6_grp_tab[nh->grp + m];
		grp_free[grp_nfree++] = nh->grp / FIB6_ECMP_MAX;
	}
	nh_free[nh_nfree++] = i;
}

static void nh_release(void *arg) { nh_release_now((uint32_t)(uintptr_t)arg); }

static void nh_key_of(struct nh_key *k, uint8_t type, uint16_t iface, const uint8_t gw[16])
{
	memset(k, 0, sizeof(*k));
	memcpy(k->gw, gw, 16);
	k->iface = iface;
	k->type = type;
}

/* A next hop, once published, is never written again: workers may be
 * reading it. Its index (and an ECMP group's members and block) is reused
 * only after a grace period. */
static void nh_put(uint32_t i)
{
	if (i == FIB6_NH_NONE)
		return;
	if (nh_shared[i]) {
		if (--nh_ref[i] > 0)
			return;
		const struct rs_nh6 *nh = &fib6_nh_tab[i];
		struct nh_key k;
		nh_key_of(&k, nh->type, nh->iface, nh->gw);
		rte_hash_del_key(nh_dedup, &k); /* no new user finds it */
	}
	rs_defer_free(nh_release, (void *)(uintptr_t)i);
}

static uint32_t nh_new(uint8_t type, uint16_t iface, const uint8_t gw[16])
{
	if (nh_nfree == 0 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* next hops still waiting for readers to move on */
	if (nh_nfree == 0)
		return FIB6_NH_NONE;
	uint32_t i = nh_free[--nh_nfree];
	struct rs_nh6 *nh = &fib6_nh_tab[i];
	nh->type = type;
	nh->nmemb = 0;
	nh->iface = iface;
	nh->grp = 0;
	memcpy(nh->gw, gw, 16);
	nh_ref[i] = 1;
	return i;
}

/* The shared next hop for (type, iface, gw), created on first use. */
static uint32_t nh_get(uint8_t type, uint16_t iface, const uint8_t gw[16])
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
	if (i == FIB6_NH_NONE)
		return i;
	if (rte_hash_add_key_data(nh_dedup, &k, (void *)(uintptr_t)i) < 0)
		return i; /* works unshared */
	nh_shared[i] = 1;
	return i;
}

/* r's next hop from the paths whose link is up: a plain next hop, an ECMP
 * group, or FIB6_NH_NONE when no path is usable (*full tells a full table
 * apart). degrade: with no ECMP group left, keep one live path (a link
 * change must not blackhole the route). */
static uint32_t nh_build(const struct route6 *r, bool *full, bool degrade)
{
	*full = false;
	if (r->npaths <= 1) {
		uint32_t i = nh_get(r->type, r->iface, r->gw);
		*full = i == FIB6_NH_NONE;
		return i;
	}
	uint32_t memb[FIB6_ECMP_MAX], n = 0;
	for (uint32_t k = 0; k < r->npaths; k++) {
		const struct fib6_path *pa = &r->paths[k];
		if (pa->iface >= RS_MAX_IFACES || !iface_up[pa->iface])
			continue;
		if ((memb[n] = nh_new(RT_UNICAST, pa->iface, pa->gw)) == FIB6_NH_NONE)
			goto full;
		n++;
	}
	if (n == 0)
		return FIB6_NH_NONE;
	if (n == 1)
		return memb[0];
	if (grp_nfree == 0 && rs_defer_pending() > 0)
		rs_rcu_reclaim_wait(); /* groups still waiting for readers to move on */
	uint32_t g = grp_nfree ? nh_new(RT_GROUP, 0, zero16) : FIB6_NH_NONE;
	if (g == FIB6_NH_NONE) {
		if (!degrade)
			goto full;
		rs_log("IPv6 ECMP group table full: a route keeps one path of %u", n);
		while (n > 1)
			nh_release_now(memb[--n]);
		return memb[0];
	}
	uint32_t blk = grp_free[--grp_nfree] * FIB6_ECMP_MAX;
	memcpy(&fib6_grp_tab[blk], memb, n * sizeof(memb[0]));
	fib6_nh_tab[g].grp = blk;
	fib6_nh_tab[g].nmemb = (uint8_t)n;
	return g;
full:
	while (n)
		nh_release_now(memb[--n]);
	*full = true;
	return FIB6_NH_NONE;
}

static bool route_has_iface(const struct route6 *r, uint16_t iface)
{
	if (r->npaths <= 1)
		return r->type <= RT_BROADCAST && r->iface == iface;
	for (uint32_t k = 0; k < r->npaths; k++)
		if (r->paths[k].iface == iface)
			return true;
	return false;
}

static void route_free(struct route6 *r)
{
	nh_put(r->nh);
	free(r->paths);
	r->paths = NULL;
}

static bool usable(const struct route6 *r)
{
	if (r->nh == FIB6_NH_NONE)
		return false; /* ECMP route with every path's link down */
	if (r->type == RT_BLACKHOLE || r->type == RT_UNREACHABLE || r->type == RT_PROHIBIT ||
	    r->npaths > 1)
		return true;
	return r->iface < RS_MAX_IFACES && iface_up[r->iface];
}

static int fib_set(struct pfx *p, uint32_t nh)
{
	int rc = dir6_add(p->k.prefix, (uint8_t)p->k.plen, nh);
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
		uint8_t pf[16];
		memcpy(pf, p->k.prefix, 16);
		ip6_prefix_mask(pf, (uint8_t)l);
		struct pfx *q = pfx_get(pf, (uint8_t)l, false);
		if (q && q->in_fib && q->installed >= 0) {
			repl_len = l;
			repl_nh = q->alts[q->installed].nh;
			break;
		}
	}
	dir6_del(p->k.prefix, (uint8_t)p->k.plen, repl_len, repl_nh);
	p->in_fib = false;
}

/* Installs the best usable alternative of p in the trie (or removes it).
 * p->installed always says what the trie holds. */
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
		/* never leave the trie pointing at a route that is gone */
		if (p->installed < 0)
			fib_clear(p);
		return rc;
	}
	p->installed = best;
	return 0;
}

static struct pfx *pfx_get(const uint8_t prefix[16], uint8_t plen, bool create)
{
	struct pfx_key k = { .plen = plen };
	memcpy(k.prefix, prefix, 16);
	void *d;
	if (rte_hash_lookup_data(store, &k, &d) >= 0)
		return d;
	if (!create)
		return NULL;
	struct pfx *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->k = k;
	p->installed = -1;
	if (rte_hash_add_key_data(store, &k, p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void pfx_maybe_free(struct pfx *p)
{
	if (p->n)
		return;
	rte_hash_del_key(store, &p->k);
	free(p->alts);
	free(p);
}

int fib6_init(uint32_t max_routes, uint32_t max_tbl8)
{
	max_nroutes = max_routes;
	if (max_tbl8 > D6_TBL8_MAX)
		max_tbl8 = D6_TBL8_MAX;
	if (dir6_init(max_tbl8) < 0) {
		rs_err_set("cannot reserve the IPv6 FIB (64 MiB + %u groups of 1 KiB)", max_tbl8);
		return -ENOMEM;
	}
	struct rte_hash_parameters hp = {
		.name = "rs_fib6_store",
		.entries = max_routes < 1024 ? 1024 : max_routes,
		.key_len = sizeof(struct pfx_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};
	store = rte_hash_create(&hp);
	nh_free = malloc(sizeof(*nh_free) * FIB6_NH_MAX);
	nh_ref = calloc(FIB6_NH_MAX, sizeof(*nh_ref));
	nh_shared = calloc(FIB6_NH_MAX, sizeof(*nh_shared));
	struct rte_hash_parameters np = {
		.name = "rs_fib6_nh",
		.entries = FIB6_NH_MAX,
		.key_len = sizeof(struct nh_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};
	nh_dedup = rte_hash_create(&np);
	if (store == NULL || nh_free == NULL || nh_ref == NULL || nh_shared == NULL ||
	    nh_dedup == NULL) {
		rs_err_set("cannot create the IPv6 route store (%u routes)", max_routes);
		fib6_fini();
		return -ENOMEM;
	}
	/* index 0 stays unused so that a zeroed value is never a valid hop */
	for (uint32_t i = FIB6_NH_MAX - 1; i > 0; i--)
		nh_free[nh_nfree++] = i;
	for (uint32_t g = FIB6_GRP_MAX; g > 0; g--)
		grp_free[grp_nfree++] = g - 1;
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		iface_up[i] = true;
	return 0;
}

void fib6_fini(void)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (store && rte_hash_iterate(store, &k, &d, &it) >= 0) {
		struct pfx *p = d;
		for (uint32_t j = 0; j < p->n; j++)
			free(p->alts[j].paths);
		free(p->alts);
		free(p);
	}
	rte_hash_free(store);
	rte_hash_free(nh_dedup);
	dir6_fini();
	free(nh_free);
	free(nh_ref);
	free(nh_shared);
	store = NULL;
	nh_dedup = NULL;
	nh_free = NULL;
	nh_ref = NULL;
	nh_shared = NULL;
	nh_nfree = grp_nfree = nroutes = 0;
}

int fib6_route_add(const struct route6 *r0, bool replace)
{
	struct route6 r = *r0;
	if (r.plen > 128 || r.npaths > FIB6_ECMP_MAX)
		return -EINVAL;
	ip6_prefix_mask(r.prefix, r.plen);
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
	if ((exists && !replace) || (!exists && nroutes >= max_nroutes)) {
		free(r.paths);
		pfx_maybe_free(p);
		if (exists)
			rs_err_set("route exists");
		else
			rs_err_set("route table full (%u routes, see --fib6-max-routes)",
				   max_nroutes);
		return exists ? -EEXIST : -ENOSPC;
	}
	bool full;
	r.nh = nh_build(&r, &full, false);
	if (full) {
		free(r.paths);
		pfx_maybe_free(p);
		rs_err_set("next-hop table full");
		return -ENOSPC;
	}
	struct route6 old;
	if (exists) {
		old = p->alts[pos];
		p->alts[pos] = r;
	} else {
		if (p->n == p->cap) {
			uint32_t cap = p->cap ? p->cap * 2 : 1;
			struct route6 *a = realloc(p->alts, cap * sizeof(*a));
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
		rs_err_set("IPv6 FIB full (raise --fib6-max-tbl8)");
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
static bool match(const struct route6 *r, int64_t metric, int type, uint16_t iface,
		  const uint8_t *gw)
{
	bool anygw = gw == NULL || memcmp(gw, zero16, 16) == 0;
	if ((metric >= 0 && r->metric != metric) || (type >= 0 && r->type != type))
		return false;
	if (r->npaths > 1) {
		for (uint32_t k = 0; k < r->npaths; k++)
			if ((iface == FIB6_ANY_IFACE || r->paths[k].iface == iface) &&
			    (anygw || memcmp(r->paths[k].gw, gw, 16) == 0))
				return true;
		return false;
	}
	return (iface == FIB6_ANY_IFACE || r->iface == iface) &&
	       (anygw || memcmp(r->gw, gw, 16) == 0);
}

int fib6_route_del(const uint8_t prefix0[16], uint8_t plen, int64_t metric, int type,
		   uint16_t iface, const uint8_t *gw)
{
	if (plen > 128)
		return -EINVAL;
	uint8_t prefix[16];
	memcpy(prefix, prefix0, 16);
	ip6_prefix_mask(prefix, plen);
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
			p->installed = -1; /* the trie entry stays until reinstall */
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
	uint32_t cnt = (uint32_t)rte_hash_count(store), i = 0, it = 0;
	struct pfx **v = malloc((cnt ? cnt : 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	const void *k;
	void *d;
	while (i < cnt && rte_hash_iterate(store, &k, &d, &it) >= 0)
		v[i++] = d;
	*out = v;
	*n = i;
	return 0;
}

static void rebuild_groups(struct pfx *p, uint16_t iface)
{
	for (uint32_t j = 0; j < p->n; j++) {
		struct route6 *r = &p->alts[j];
		if (r->npaths <= 1 || !route_has_iface(r, iface))
			continue;
		bool full;
		uint32_t nh = nh_build(r, &full, true);
		nh_put(r->nh);
		r->nh = nh;
	}
}

void fib6_iface_flush(uint16_t iface)
{
	struct pfx **v;
	uint32_t n;
	if (collect(&v, &n) < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct pfx *p = v[i];
		uint8_t pfx[16];
		memcpy(pfx, p->k.prefix, 16);
		uint8_t plen = (uint8_t)p->k.plen;
		/* ECMP routes lose the paths through iface; plain routes go */
		for (uint32_t j = 0; j < p->n; j++) {
			struct route6 *r = &p->alts[j];
			if (r->npaths <= 1 || !route_has_iface(r, iface))
				continue;
			uint32_t k = 0;
			for (uint32_t q = 0; q < r->npaths; q++)
				if (r->paths[q].iface != iface)
					r->paths[k++] = r->paths[q];
			r->npaths = (uint8_t)k;
			if (k <= 1) {
				if (k == 1) {
					memcpy(r->gw, r->paths[0].gw, 16);
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
			for (int t = RT_UNICAST; t <= RT_BROADCAST; t++)
				fib6_route_del(pfx, plen, -1, t, iface, NULL);
	}
	free(v);
}

void fib6_iface_set_up(uint16_t iface, bool up)
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

void fib6_iface_reset(uint16_t iface)
{
	if (iface < RS_MAX_IFACES)
		iface_up[iface] = true;
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = *(struct pfx *const *)a, *y = *(struct pfx *const *)b;
	int c = memcmp(x->k.prefix, y->k.prefix, 16);
	if (c != 0)
		return c;
	return (int)x->k.plen - (int)y->k.plen;
}

void fib6_foreach(void (*fn)(void *arg, const struct route6 *r, bool installed), void *arg)
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

uint32_t fib6_count(void) { return nroutes; }

uint32_t fib6_nh_refs(uint32_t nh) { return nh < FIB6_NH_MAX ? nh_ref[nh] : 0; }
uint32_t fib6_nh_free_count(void) { return nh_nfree; }
uint32_t fib6_tbl8_used(void) { return dir6_tbl8_used(); }
uint32_t fib6_tbl8_total(void) { return dir6_tbl8_total(); }

int fib6_route_get(const uint8_t dst[16], struct route6 *out)
{
	for (int plen = 128; plen >= 0; plen--) {
		uint8_t pfx[16];
		memcpy(pfx, dst, 16);
		ip6_prefix_mask(pfx, (uint8_t)plen);
		struct pfx *p = pfx_get(pfx, (uint8_t)plen, false);
		if (p && p->installed >= 0) {
			*out = p->alts[p->installed];
			return 0;
		}
	}
	return -ENETUNREACH;
}

static int fib6_module_init(void)
{
	/* sized by its own options: a million IPv4 routes (--fib-max-routes)
	 * must not make the daemon reserve a million IPv6 ones */
	uint32_t routes = rs_dp.params.fib6_max_routes ? rs_dp.params.fib6_max_routes : 1u << 16;
	uint32_t tbl8 = rs_dp.params.fib6_max_tbl8 ? rs_dp.params.fib6_max_tbl8 : 1u << 18;
	return fib6_init(routes, tbl8);
}

static struct rs_module fib6_module = {
	.name = "route6",
	.order = 16,
	.init = fib6_module_init,
	.fini = fib6_fini,
};
RS_MODULE_REGISTER(fib6_module);
