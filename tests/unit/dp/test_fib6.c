/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the IPv6 FIB (lib/route/fib6.c over the dir6.c trie).
 *  - prop_model: a seeded random sequence of adds (unicast with a gateway
 *    or on-link, blackhole/unreachable/prohibit, several metrics, replace),
 *    deletes (with and without filters) and link down/up, checked after
 *    every step against a reference model (longest prefix, then lowest
 *    metric among usable routes) through fib6_lookup/fib6_nh at addresses
 *    inside, at the edges of and just outside every prefix, and through
 *    fib6_count.
 *  - ecmp: a group's members, the flow-hash choice, a link going down.
 *  - prefix lengths /0 and /128, and invalid arguments.
 *  - lpm_vs_naive: thousands of random prefixes of every length (clustered
 *    as real tables are), every route type and ECMP groups, adds, replaces
 *    and deletes, every lookup checked
 *    against a naive longest match over all routes, at addresses inside and
 *    around the prefixes and at random; then everything deleted: every trie
 *    group and next hop comes back.
 *  - next hops shared between routes and reference-counted; a full trie
 *    refuses an add and changes nothing; churn leaks no group.
 * The RCU variable has no reader, so rs_sync() ends a grace period at once.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/dp.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

#include "dp_eal.h"

static struct rte_rcu_qsbr *ut_rcu;

static void setup(void)
{
	ut_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	ut_rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	cr_assert_not_null(ut_rcu);
	cr_assert_eq(rte_rcu_qsbr_init(ut_rcu, 1), 0);
	rs_dp.rcu = ut_rcu;
	cr_assert_eq(fib6_init(4096, 1 << 12), 0, "fib6_init");
}

static void teardown(void)
{
	rs_sync();
	fib6_fini();
	rte_free(ut_rcu);
	ut_eal_fini();
}

TestSuite(fib6, .init = setup, .fini = teardown, .timeout = 120);

static uint64_t rs_state = 0x1234567;
static uint32_t rnd(void)
{
	rs_state ^= rs_state >> 12;
	rs_state ^= rs_state << 25;
	rs_state ^= rs_state >> 27;
	return (uint32_t)((rs_state * 0x2545f4914f6cdd1dull) >> 32);
}

#define NLINKS 3
#define MMAX 256

struct mroute {
	uint8_t prefix[16];
	uint8_t plen, type;
	uint16_t iface;
	uint8_t gw[16];
	uint32_t metric;
};
static struct mroute model[MMAX];
static unsigned nmodel;
static bool link_up[NLINKS + 1];

static bool m_usable(const struct mroute *m)
{
	return m->type != RT_UNICAST || link_up[m->iface];
}

static const struct mroute *m_best(const uint8_t *a)
{
	const struct mroute *best = NULL;
	for (unsigned i = 0; i < nmodel; i++) {
		const struct mroute *m = &model[i];
		if (!ip6_prefix_eq(m->prefix, a, m->plen) || !m_usable(m))
			continue;
		if (best == NULL || m->plen > best->plen ||
		    (m->plen == best->plen && m->metric < best->metric))
			best = m;
	}
	return best;
}

/* The prefixes: a few bases, each at several lengths (nested). */
static const uint8_t plens[] = { 0, 16, 32, 48, 56, 64, 65, 96, 127, 128 };
static void rand_prefix(uint8_t p[16], uint8_t *plen)
{
	static const uint8_t bases[3][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0x80, 0x00, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0x22 },
		{ 0xfd, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0, 0, 0, 0, 1, 2, 3, 0x33 },
	};
	memcpy(p, bases[rnd() % 3], 16);
	*plen = plens[rnd() % sizeof(plens)];
	ip6_prefix_mask(p, *plen);
}

static void check_addr(const uint8_t *a, unsigned step)
{
	const struct mroute *m = m_best(a);
	uint32_t nh = fib6_lookup(a);
	if (m == NULL) {
		cr_assert_eq(nh, FIB6_NH_NONE, "step %u: a route where the model has none", step);
		return;
	}
	cr_assert_neq(nh, FIB6_NH_NONE, "step %u: no route, model /%u metric %u", step, m->plen,
		      m->metric);
	const struct rs_nh6 *n = fib6_nh(nh);
	cr_assert_eq(n->type, m->type, "step %u: type %u, model %u (/%u)", step, n->type, m->type,
		     m->plen);
	if (m->type == RT_UNICAST) {
		cr_assert_eq(n->iface, m->iface, "step %u: iface", step);
		cr_assert(memcmp(n->gw, m->gw, 16) == 0, "step %u: gateway", step);
	}
}

static void check_all(unsigned step)
{
	cr_assert_eq(fib6_count(), nmodel, "step %u: count %u, model %u", step, fib6_count(),
		     nmodel);
	for (unsigned i = 0; i < nmodel; i++) {
		uint8_t a[16];
		memcpy(a, model[i].prefix, 16);
		check_addr(a, step); /* first address */
		for (unsigned b = model[i].plen; b < 128; b++)
			a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		check_addr(a, step); /* last address */
		if (model[i].plen > 0) {
			unsigned b = model[i].plen - 1u; /* just outside */
			a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
			check_addr(a, step);
		}
	}
}

Test(fib6, prop_model)
{
	for (unsigned l = 1; l <= NLINKS; l++)
		link_up[l] = true;
	static const uint32_t metrics[] = { 0, 256, 1024 };
	for (unsigned step = 0; step < 3000; step++) {
		uint32_t op = rnd() % 10;
		struct mroute m = { 0 };
		rand_prefix(m.prefix, &m.plen);
		m.metric = metrics[rnd() % 3];
		if (op < 5) {
			uint32_t t = rnd() % 6;
			m.type = t < 3 ? RT_UNICAST : t == 3 ? RT_BLACKHOLE
						    : t == 4 ? RT_UNREACHABLE : RT_PROHIBIT;
			if (m.type == RT_UNICAST) {
				m.iface = (uint16_t)(1 + rnd() % NLINKS);
				if (rnd() % 2) {
					m.gw[0] = 0xfe;
					m.gw[1] = 0x80;
					m.gw[15] = (uint8_t)(1 + rnd() % 5);
				}
			}
			bool replace = rnd() % 2;
			struct route6 r = { .plen = m.plen, .type = m.type, .proto = RTPROT_STATIC,
					    .iface = m.iface, .metric = m.metric };
			memcpy(r.prefix, m.prefix, 16);
			memcpy(r.gw, m.gw, 16);
			int rc = fib6_route_add(&r, replace);
			int at = -1;
			for (unsigned i = 0; i < nmodel; i++)
				if (model[i].plen == m.plen && model[i].metric == m.metric &&
				    memcmp(model[i].prefix, m.prefix, 16) == 0)
					at = (int)i;
			if (at >= 0 && !replace) {
				cr_assert_eq(rc, -EEXIST, "step %u", step);
			} else {
				cr_assert_eq(rc, 0, "step %u: add: %d", step, rc);
				if (at >= 0)
					model[at] = m;
				else if (nmodel < MMAX)
					model[nmodel++] = m;
				else
					cr_assert_fail("model full");
			}
		} else if (op < 8) {
			/* delete: any metric, or the one given */
			bool any = rnd() % 2;
			int rc = fib6_route_del(m.prefix, m.plen, any ? -1 : (int64_t)m.metric, -1,
						FIB6_ANY_IFACE, NULL);
			int n = 0;
			for (unsigned i = 0; i < nmodel;) {
				if (model[i].plen == m.plen && memcmp(model[i].prefix, m.prefix, 16) == 0 &&
				    (any || model[i].metric == m.metric)) {
					model[i] = model[--nmodel];
					n++;
				} else {
					i++;
				}
			}
			cr_assert_eq(rc, n ? n : -ESRCH, "step %u: del %d, model %d", step, rc, n);
		} else {
			uint16_t l = (uint16_t)(1 + rnd() % NLINKS);
			link_up[l] = !link_up[l];
			fib6_iface_set_up(l, link_up[l]);
		}
		rs_sync(); /* next hops freed by the step are reusable now */
		check_all(step);
	}
}

Test(fib6, ecmp_and_link_down)
{
	struct fib6_path p[3] = { 0 };
	for (int i = 0; i < 3; i++) {
		p[i].gw[0] = 0xfe;
		p[i].gw[1] = 0x80;
		p[i].gw[15] = (uint8_t)(i + 1);
		p[i].iface = (uint16_t)(i + 1);
	}
	struct route6 r = { .plen = 48, .type = RT_UNICAST, .proto = RTPROT_STATIC, .npaths = 3,
			    .paths = p, .prefix = { 0x20, 0x01, 0x0d, 0xb8, 0, 9 } };
	cr_assert_eq(fib6_route_add(&r, false), 0);
	const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, 1, [15] = 1 };
	uint32_t nh = fib6_lookup(dst);
	cr_assert_neq(nh, FIB6_NH_NONE);
	cr_assert_eq(fib6_nh(nh)->type, RT_GROUP);
	cr_assert_eq(fib6_nh(nh)->nmemb, 3);
	bool seen[4] = { false };
	for (uint32_t h = 0; h < 64; h++) {
		uint32_t m = fib6_nh_select(nh, h);
		cr_assert_eq(m, fib6_nh_select(nh, h), "same hash, same member");
		cr_assert_eq(fib6_nh(m)->type, RT_UNICAST);
		seen[fib6_nh(m)->iface] = true;
	}
	cr_assert(seen[1] && seen[2] && seen[3], "every member chosen by some hash");
	fib6_iface_set_up(2, false);
	rs_sync();
	nh = fib6_lookup(dst);
	cr_assert_eq(fib6_nh(nh)->nmemb, 2);
	for (uint32_t h = 0; h < 64; h++)
		cr_assert_neq(fib6_nh(fib6_nh_select(nh, h))->iface, 2, "a down link's path");
	fib6_iface_set_up(1, false);
	fib6_iface_set_up(3, false);
	rs_sync();
	cr_assert_eq(fib6_lookup(dst), FIB6_NH_NONE, "every path down: no route");
	fib6_iface_set_up(1, true);
	rs_sync();
	nh = fib6_lookup(dst);
	cr_assert_eq(fib6_nh(nh)->type, RT_UNICAST, "one path left: a plain next hop");
	cr_assert_eq(fib6_nh(nh)->iface, 1);
}

Test(fib6, edges_and_errors)
{
	struct route6 r = { .plen = 0, .type = RT_UNICAST, .proto = RTPROT_STATIC, .iface = 1,
			    .gw = { 0xfe, 0x80, [15] = 1 } };
	cr_assert_eq(fib6_route_add(&r, false), 0, "default route");
	struct route6 h = { .plen = 128, .type = RT_LOCAL, .proto = RTPROT_KERNEL, .iface = 2,
			    .prefix = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	cr_assert_eq(fib6_route_add(&h, false), 0, "host route");
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	cr_assert_eq(fib6_nh(fib6_lookup(a))->type, RT_LOCAL);
	a[15] = 2;
	cr_assert_eq(fib6_nh(fib6_lookup(a))->type, RT_UNICAST, "the neighbour of a /128");
	struct route6 out;
	cr_assert_eq(fib6_route_get(a, &out), 0);
	cr_assert_eq(out.plen, 0);
	struct route6 bad = { .plen = 129 };
	cr_assert_eq(fib6_route_add(&bad, false), -EINVAL);
	cr_assert_eq(fib6_route_del(a, 129, -1, -1, FIB6_ANY_IFACE, NULL), -EINVAL);
	cr_assert_eq(fib6_route_del(a, 64, -1, -1, FIB6_ANY_IFACE, NULL), -ESRCH);
	cr_assert_eq(fib6_route_del(h.prefix, 128, -1, -1, FIB6_ANY_IFACE, NULL), 1);
	a[15] = 1;
	cr_assert_eq(fib6_nh(fib6_lookup(a))->type, RT_UNICAST, "falls back to the default");
	cr_assert_eq(fib6_route_del(r.prefix, 0, -1, -1, FIB6_ANY_IFACE, NULL), 1);
	cr_assert_eq(fib6_lookup(a), FIB6_NH_NONE);
	cr_assert_eq(fib6_count(), 0);
}

/* Route churn: adds and deletes of long prefixes must leave no group
 * behind (DPDK 22.11's rte_fib6 leaked its reservation count here and
 * refused adds with the table empty). */
Test(fib6, churn_keeps_routes_and_groups)
{
	struct route6 keep = { .plen = 64, .type = RT_PROHIBIT, .proto = RTPROT_STATIC,
			       .prefix = { 0x20, 0x01, 0x0d, 0xb8, 0x77 } };
	cr_assert_eq(fib6_route_add(&keep, false), 0);
	rs_sync();
	uint32_t base = fib6_tbl8_used();
	cr_assert_eq(base, 5, "a /64 needs a group for each of bytes 3-7 (%u)", base);
	uint8_t p[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x42 };
	for (unsigned i = 0; i < 20000; i++) {
		p[7] = (uint8_t)i;
		p[8] = (uint8_t)(i >> 8);
		p[14] = (uint8_t)(i * 7);
		struct route6 r = { .plen = 120, .type = RT_BLACKHOLE, .proto = RTPROT_STATIC };
		memcpy(r.prefix, p, 16);
		int rc = fib6_route_add(&r, false);
		cr_assert_eq(rc, 0, "add %u: %d", i, rc);
		cr_assert_eq(fib6_nh(fib6_lookup(p))->type, RT_BLACKHOLE);
		cr_assert_eq(fib6_route_del(r.prefix, 120, -1, -1, FIB6_ANY_IFACE, NULL), 1);
		cr_assert_eq(fib6_lookup(p), FIB6_NH_NONE, "del %u", i);
		if (i % 256 == 0)
			rs_sync(); /* groups and next hops go back */
	}
	rs_sync();
	cr_assert_eq(fib6_tbl8_used(), base, "groups leaked: %u, was %u", fib6_tbl8_used(), base);
	const uint8_t in[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x77, [15] = 1 };
	cr_assert_eq(fib6_nh(fib6_lookup(in))->type, RT_PROHIBIT);
	cr_assert_eq(fib6_route_del(keep.prefix, 64, -1, -1, FIB6_ANY_IFACE, NULL), 1);
	cr_assert_eq(fib6_count(), 0);
	rs_sync();
	cr_assert_eq(fib6_tbl8_used(), 0);
}

Test(fib6, next_hops_shared)
{
	const uint8_t gw1[16] = { 0xfe, 0x80, [15] = 1 }, gw2[16] = { 0xfe, 0x80, [15] = 2 };
	uint32_t nfree = fib6_nh_free_count(), first = FIB6_NH_NONE;
	for (unsigned i = 0; i < 1000; i++) {
		struct route6 r = { .plen = 48, .type = RT_UNICAST, .proto = RTPROT_STATIC,
				    .iface = 1, .prefix = { 0x24, 0x00, 0, 0, (uint8_t)(i >> 8),
							    (uint8_t)i } };
		memcpy(r.gw, gw1, 16);
		cr_assert_eq(fib6_route_add(&r, false), 0);
		uint32_t nh = fib6_lookup(r.prefix);
		if (first == FIB6_NH_NONE)
			first = nh;
		cr_assert_eq(nh, first, "route %u has its own next hop", i);
	}
	cr_assert_eq(fib6_nh_refs(first), 1000);
	cr_assert_eq(fib6_nh_free_count(), nfree - 1, "one next hop for 1000 routes");
	/* another gateway, another link, another type: other next hops */
	struct route6 r = { .plen = 48, .type = RT_UNICAST, .proto = RTPROT_STATIC, .iface = 1,
			    .prefix = { 0x24, 0x00, 0, 0, 0, 0 } };
	memcpy(r.gw, gw2, 16);
	cr_assert_eq(fib6_route_add(&r, true), 0);
	cr_assert_neq(fib6_lookup(r.prefix), first);
	cr_assert_eq(fib6_nh_refs(first), 999);
	r.iface = 2;
	memcpy(r.gw, gw1, 16);
	r.prefix[5] = 1;
	cr_assert_eq(fib6_route_add(&r, true), 0);
	cr_assert_neq(fib6_lookup(r.prefix), first);
	cr_assert_eq(fib6_nh_refs(first), 998);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t pf[16] = { 0x24, 0x00, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
		cr_assert_eq(fib6_route_del(pf, 48, -1, -1, FIB6_ANY_IFACE, NULL), 1);
	}
	rs_sync();
	cr_assert_eq(fib6_nh_free_count(), nfree, "every next hop back");
	cr_assert_eq(fib6_tbl8_used(), 0, "every group back");
}

/* 4096 groups (setup): /128s in distinct /24s need 13 each. The add that
 * finds too few fails with -ENOSPC and changes nothing; a delete gives its
 * groups back (after a grace period). */
Test(fib6, full_trie_changes_nothing)
{
	unsigned n = 0;
	int rc;
	for (;; n++) {
		struct route6 r = { .plen = 128, .type = RT_BLACKHOLE, .proto = RTPROT_STATIC,
				    .prefix = { 0x20, (uint8_t)(n >> 8), (uint8_t)n, [15] = 1 } };
		if ((rc = fib6_route_add(&r, false)) < 0)
			break;
	}
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_eq(n, 4096 / 13, "%u /128s", n);
	cr_assert_eq(fib6_count(), n);
	uint8_t a[16] = { 0x20, (uint8_t)(n >> 8), (uint8_t)n, [15] = 1 };
	cr_assert_eq(fib6_lookup(a), FIB6_NH_NONE, "the refused route");
	a[1] = 0;
	a[2] = 7;
	cr_assert_eq(fib6_nh(fib6_lookup(a))->type, RT_BLACKHOLE);
	cr_assert_eq(fib6_route_del(a, 128, -1, -1, FIB6_ANY_IFACE, NULL), 1);
	rs_sync();
	struct route6 r = { .plen = 128, .type = RT_PROHIBIT, .proto = RTPROT_STATIC,
			    .prefix = { 0x20, (uint8_t)(n >> 8), (uint8_t)n, [15] = 1 } };
	cr_assert_eq(fib6_route_add(&r, false), 0, "groups given back");
	cr_assert_eq(fib6_nh(fib6_lookup(r.prefix))->type, RT_PROHIBIT);
}

/* Random tables against a naive model: the longest matching prefix over
 * every route (one route per prefix here: metrics are prop_model's). */
#define NMAX 3000
struct nroute {
	uint8_t prefix[16];
	uint8_t plen, type, gwi;
	uint16_t iface;
	uint8_t npaths; /* ECMP: > 1, the paths' links and gateways below */
	uint8_t p_gwi[3];
	uint16_t p_iface[3];
};
static struct nroute nm[NMAX];
static unsigned nnm;

static const struct nroute *n_best(const uint8_t *a)
{
	const struct nroute *best = NULL;
	for (unsigned i = 0; i < nnm; i++)
		if ((best == NULL || nm[i].plen > best->plen) &&
		    ip6_prefix_eq(nm[i].prefix, a, nm[i].plen))
			best = &nm[i];
	return best;
}

static void n_check(const uint8_t *a, unsigned step)
{
	const struct nroute *m = n_best(a);
	uint32_t nh = fib6_lookup(a);
	if (m == NULL) {
		cr_assert_eq(nh, FIB6_NH_NONE, "step %u: a route where the model has none", step);
		return;
	}
	cr_assert_neq(nh, FIB6_NH_NONE, "step %u: no route, model /%u", step, m->plen);
	const struct rs_nh6 *n = fib6_nh(nh);
	if (m->npaths > 1) {
		cr_assert_eq(n->type, RT_GROUP, "step %u: ECMP /%u", step, m->plen);
		cr_assert_eq(n->nmemb, m->npaths, "step %u: ECMP members", step);
		for (unsigned k = 0; k < m->npaths; k++) {
			const struct rs_nh6 *e = fib6_nh(fib6_grp_tab[n->grp + k]);
			cr_assert_eq(e->type, RT_UNICAST);
			cr_assert_eq(e->iface, m->p_iface[k], "step %u: member %u link", step, k);
			cr_assert_eq(e->gw[15], m->p_gwi[k], "step %u: member %u gateway", step, k);
		}
		return;
	}
	cr_assert_eq(n->type, m->type, "step %u: type %u, model %u (/%u)", step, n->type, m->type,
		     m->plen);
	if (m->type == RT_UNICAST) {
		cr_assert_eq(n->iface, m->iface, "step %u: link (/%u)", step, m->plen);
		cr_assert_eq(n->gw[15], m->gwi, "step %u: gateway (/%u)", step, m->plen);
	}
}

static uint8_t rand_len(void)
{
	uint32_t x = rnd() % 100;
	if (x < 5)
		return (uint8_t)(rnd() % 25);        /* /0-/24 */
	if (x < 60)
		return (uint8_t)(25 + rnd() % 40);   /* /25-/64 */
	return (uint8_t)(rnd() % 129);               /* anything */
}

Test(fib6, lpm_vs_naive)
{
	/* clusters: prefixes share their first bytes as real tables do */
	uint8_t base[8][16];
	for (unsigned c = 0; c < 8; c++)
		for (unsigned b = 0; b < 16; b++)
			base[c][b] = (uint8_t)rnd();
	uint32_t nfree = fib6_nh_free_count();
	for (unsigned step = 0; step < 12000; step++) {
		uint32_t op = rnd() % 10;
		if (op < 6 || nnm == 0) {
			struct nroute m = { .plen = rand_len() };
			memcpy(m.prefix, base[rnd() % 8], 16);
			for (unsigned b = 16 + rnd() % 48; b < 128; b++) /* vary the tail */
				if (rnd() % 2)
					m.prefix[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
			ip6_prefix_mask(m.prefix, m.plen);
			uint32_t t = rnd() % 8;
			m.type = t < 5 ? RT_UNICAST : t == 5 ? RT_BLACKHOLE
					      : t == 6 ? RT_UNREACHABLE : RT_PROHIBIT;
			if (m.type == RT_UNICAST) {
				m.iface = (uint16_t)(1 + rnd() % NLINKS);
				m.gwi = (uint8_t)(1 + rnd() % 4);
				if (rnd() % 8 == 0) { /* ECMP over 2 or 3 paths */
					m.npaths = (uint8_t)(2 + rnd() % 2);
					for (unsigned k = 0; k < m.npaths; k++) {
						m.p_iface[k] = (uint16_t)(1 + rnd() % NLINKS);
						m.p_gwi[k] = (uint8_t)(10 + k);
					}
				}
			}
			int at = -1;
			for (unsigned i = 0; i < nnm && at < 0; i++)
				if (nm[i].plen == m.plen && memcmp(nm[i].prefix, m.prefix, 16) == 0)
					at = (int)i;
			if (at < 0 && nnm == NMAX)
				continue;
			struct route6 r = { .plen = m.plen, .type = m.type, .proto = RTPROT_STATIC,
					    .iface = m.iface, .metric = 1024,
					    .gw = { 0xfe, 0x80, [15] = m.gwi } };
			if (m.type != RT_UNICAST)
				memset(r.gw, 0, 16);
			memcpy(r.prefix, m.prefix, 16);
			struct fib6_path pa[3] = { 0 };
			if (m.npaths > 1) {
				for (unsigned k = 0; k < m.npaths; k++) {
					pa[k].gw[0] = 0xfe;
					pa[k].gw[1] = 0x80;
					pa[k].gw[15] = m.p_gwi[k];
					pa[k].iface = m.p_iface[k];
				}
				r.npaths = m.npaths;
				r.paths = pa;
				memset(r.gw, 0, 16);
				r.iface = 0;
			}
			int rc = fib6_route_add(&r, true);
			cr_assert_eq(rc, 0, "step %u: add /%u: %d", step, m.plen, rc);
			if (at >= 0)
				nm[at] = m;
			else
				nm[nnm++] = m;
		} else {
			unsigned i = rnd() % nnm;
			int rc = fib6_route_del(nm[i].prefix, nm[i].plen, -1, -1, FIB6_ANY_IFACE, NULL);
			cr_assert_eq(rc, 1, "step %u: del /%u: %d", step, nm[i].plen, rc);
			nm[i] = nm[--nnm];
		}
		if (step % 64 == 0)
			rs_sync();
		if (step % 1000 != 999)
			continue;
		cr_assert_eq(fib6_count(), nnm);
		for (unsigned i = 0; i < nnm; i++) {
			uint8_t a[16];
			memcpy(a, nm[i].prefix, 16);
			n_check(a, step); /* first address */
			for (unsigned b = nm[i].plen; b < 128; b++)
				a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			n_check(a, step); /* last address */
			if (nm[i].plen > 0) {
				unsigned b = nm[i].plen - 1u; /* just outside */
				a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
				n_check(a, step);
			}
			for (unsigned b = nm[i].plen; b < 128; b++) /* inside, at random */
				if (rnd() % 2)
					a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
			n_check(a, step);
		}
		for (unsigned k = 0; k < 500; k++) { /* near a cluster, and anywhere */
			uint8_t a[16];
			memcpy(a, base[rnd() % 8], 16);
			for (unsigned b = k % 2 ? 0 : 24 + rnd() % 40; b < 128; b++)
				if (rnd() % 2)
					a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
			n_check(a, step);
		}
	}
	cr_assert_gt(fib6_tbl8_used(), 0);
	while (nnm > 0) {
		nnm--;
		cr_assert_eq(fib6_route_del(nm[nnm].prefix, nm[nnm].plen, -1, -1, FIB6_ANY_IFACE,
					    NULL), 1);
		if (nnm % 100 == 0) {
			uint8_t a[16];
			for (unsigned b = 0; b < 16; b++)
				a[b] = (uint8_t)rnd();
			n_check(a, 0);
			n_check(nm[rnd() % (nnm + 1)].prefix, 0);
		}
	}
	rs_sync();
	cr_assert_eq(fib6_count(), 0);
	cr_assert_eq(fib6_tbl8_used(), 0, "%u groups left with the table empty", fib6_tbl8_used());
	cr_assert_eq(fib6_nh_free_count(), nfree, "next hops leaked");
}
