/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the IPv4 FIB (lib/route/fib4.c, its DIR-24-8 in lib/route/dir24.c).
 *
 * The FIB is initialised directly (fib4_init) with an RCU variable that has
 * no reader registered, so rs_sync() ends a grace period at once and runs the
 * deferred frees. Links 1..4 are fake: fib4 only knows them by index.
 *
 *  - prop_*: a seeded random sequence of adds (plain, typed, ECMP, replace),
 *    deletes (with and without filters), link down/up and link flushes,
 *    checked against a reference model (longest prefix, then lowest metric
 *    among usable routes) through fib4_lookup/fib4_nh, fib4_route_get,
 *    fib4_count and fib4_foreach. Next hops are compared by contents.
 *  - nh_*: shared next hops, their reference counts and slot recycling.
 *  - ecmp_*: groups, member selection, link down/up and flush.
 *  - failover_*: metric-ordered alternatives and link state.
 *  - limits_*: full tables and invalid arguments.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/dp.h"
#include "route/fib4.h"
#include "util/rs_log.h"

#include "dp_eal.h"

#define IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#define NLINKS 4 /* fake links 1..NLINKS */

static struct rte_rcu_qsbr *ut_rcu;

static void fib_setup_sized(uint32_t max_routes, uint32_t max_tbl8)
{
	ut_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	ut_rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	cr_assert_not_null(ut_rcu);
	cr_assert_eq(rte_rcu_qsbr_init(ut_rcu, 1), 0);
	rs_dp.rcu = ut_rcu;
	cr_assert_eq(fib4_init(max_routes, max_tbl8, ut_rcu), 0, "fib4_init");
}

static void fib_setup(void) { fib_setup_sized(1 << 16, 1 << 12); }
static void fib_setup_small(void) { fib_setup_sized(64, 1 << 12); }
static void fib_setup_tbl8(void) { fib_setup_sized(1024, 4); }

static void fib_teardown(void)
{
	if (dir24_tbl24 != NULL) {
		rs_sync();
		fib4_fini();
	}
	rte_free(ut_rcu);
	ut_rcu = NULL;
	ut_eal_fini();
}

TestSuite(fib4, .init = fib_setup, .fini = fib_teardown, .timeout = 120);
/* a FIB of 64 prefixes */
TestSuite(fib4_small, .init = fib_setup_small, .fini = fib_teardown, .timeout = 60);
/* a FIB with 4 tbl8 groups (prefixes longer than /24 in 4 different /24s) */
TestSuite(fib4_tbl8, .init = fib_setup_tbl8, .fini = fib_teardown, .timeout = 60);

/* ---- helpers ---- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
	/* xorshift64*: deterministic for a seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static uint32_t rnd_n(uint32_t n) { return rnd() % n; }

static uint32_t mask_of(uint8_t plen) { return plen ? ~0u << (32 - plen) : 0; }

static struct route4 mk_route(uint32_t prefix, uint8_t plen, uint8_t type, uint16_t iface,
			      uint32_t gw, uint32_t metric)
{
	struct route4 r;
	memset(&r, 0, sizeof(r));
	r.prefix = prefix;
	r.plen = plen;
	r.type = type;
	r.proto = RTPROT_STATIC;
	r.iface = iface;
	r.gw = gw;
	r.metric = metric;
	return r;
}

static int add_uc(uint32_t prefix, uint8_t plen, uint16_t iface, uint32_t gw, uint32_t metric)
{
	struct route4 r = mk_route(prefix, plen, RT_UNICAST, iface, gw, metric);
	return fib4_route_add(&r, false);
}

static int add_ecmp(uint32_t prefix, uint8_t plen, const struct fib4_path *paths, unsigned n,
		    uint32_t metric)
{
	struct route4 r = mk_route(prefix, plen, RT_UNICAST, 0, 0, metric);
	r.npaths = (uint8_t)n;
	r.paths = (struct fib4_path *)paths;
	return fib4_route_add(&r, false);
}

static const struct rs_nh *lookup_nh(uint32_t addr)
{
	uint32_t i = fib4_lookup(addr);
	return i == FIB4_NH_NONE ? NULL : fib4_nh(i);
}

/* ---- the reference model ---- */

#define MPATHS 8
struct mroute {
	uint32_t prefix;
	uint8_t plen;
	uint8_t type;
	uint16_t iface;
	uint32_t gw;
	uint32_t metric;
	uint8_t npaths; /* 0: plain */
	struct fib4_path paths[MPATHS];
};

#define MMAX 8192
static struct mroute model[MMAX];
static unsigned nmodel;
static bool mlink_up[NLINKS + 1];

static bool m_usable(const struct mroute *m)
{
	if (m->npaths > 1) {
		for (unsigned k = 0; k < m->npaths; k++)
			if (mlink_up[m->paths[k].iface])
				return true;
		return false;
	}
	if (m->type == RT_BLACKHOLE || m->type == RT_UNREACHABLE || m->type == RT_PROHIBIT)
		return true;
	return m->iface <= NLINKS && mlink_up[m->iface];
}

/* The route a packet to addr uses: longest prefix with a usable route, then
 * the lowest metric among that prefix's usable routes. */
static const struct mroute *m_best(uint32_t addr)
{
	const struct mroute *best = NULL;
	for (unsigned i = 0; i < nmodel; i++) {
		const struct mroute *m = &model[i];
		if ((addr & mask_of(m->plen)) != m->prefix || !m_usable(m))
			continue;
		if (best == NULL || m->plen > best->plen ||
		    (m->plen == best->plen && m->metric < best->metric))
			best = m;
	}
	return best;
}

static int m_find(uint32_t prefix, uint8_t plen, uint32_t metric)
{
	for (unsigned i = 0; i < nmodel; i++)
		if (model[i].prefix == prefix && model[i].plen == plen && model[i].metric == metric)
			return (int)i;
	return -1;
}

static void m_remove(unsigned i)
{
	model[i] = model[--nmodel];
}

static bool m_match(const struct mroute *m, int64_t metric, int type, uint16_t iface, uint32_t gw)
{
	if ((metric >= 0 && m->metric != metric) || (type >= 0 && m->type != type))
		return false;
	if (m->npaths > 1 && (iface != FIB4_ANY_IFACE || gw != 0)) {
		for (unsigned k = 0; k < m->npaths; k++)
			if ((iface == FIB4_ANY_IFACE || m->paths[k].iface == iface) &&
			    (gw == 0 || m->paths[k].gw == gw))
				return true;
		return false;
	}
	return (iface == FIB4_ANY_IFACE || m->iface == iface) && (gw == 0 || m->gw == gw);
}

/* Does next hop idx hold exactly what route m makes of its usable paths? */
static bool nh_is(uint32_t idx, const struct mroute *m, char *why, size_t whylen)
{
	if (idx == FIB4_NH_NONE) {
		snprintf(why, whylen, "no next hop");
		return false;
	}
	const struct rs_nh *nh = fib4_nh(idx);
	if (m->npaths <= 1) {
		if (nh->type != m->type || nh->iface != m->iface || nh->gw != m->gw) {
			snprintf(why, whylen, "nh type %u iface %u gw %08x, want %u %u %08x",
				 nh->type, nh->iface, nh->gw, m->type, m->iface, m->gw);
			return false;
		}
		return true;
	}
	struct fib4_path up[MPATHS];
	unsigned nup = 0;
	for (unsigned k = 0; k < m->npaths; k++)
		if (mlink_up[m->paths[k].iface])
			up[nup++] = m->paths[k];
	if (nup == 1) {
		if (nh->type != RT_UNICAST || nh->iface != up[0].iface || nh->gw != up[0].gw) {
			snprintf(why, whylen, "one live path: nh type %u iface %u gw %08x, want %u %08x",
				 nh->type, nh->iface, nh->gw, up[0].iface, up[0].gw);
			return false;
		}
		return true;
	}
	if (nh->type != RT_GROUP || nh->nmemb != nup) {
		snprintf(why, whylen, "nh type %u nmemb %u, want group of %u", nh->type, nh->nmemb,
			 nup);
		return false;
	}
	bool used[MPATHS] = { false };
	for (unsigned j = 0; j < nh->nmemb; j++) {
		const struct rs_nh *mb = fib4_nh(fib4_grp_tab[nh->grp + j]);
		bool found = false;
		for (unsigned k = 0; k < nup && !found; k++)
			if (!used[k] && mb->type == RT_UNICAST && mb->iface == up[k].iface &&
			    mb->gw == up[k].gw)
				used[k] = found = true;
		if (!found) {
			snprintf(why, whylen, "group member %u (type %u iface %u gw %08x) not a live path",
				 j, mb->type, mb->iface, mb->gw);
			return false;
		}
	}
	return true;
}

static bool route_is(const struct route4 *r, const struct mroute *m)
{
	if (r->prefix != m->prefix || r->plen != m->plen || r->metric != m->metric ||
	    r->type != m->type)
		return false;
	if (m->npaths <= 1)
		return r->npaths <= 1 && r->iface == m->iface && r->gw == m->gw;
	if (r->npaths != m->npaths || r->paths == NULL)
		return false;
	for (unsigned k = 0; k < m->npaths; k++)
		if (r->paths[k].iface != m->paths[k].iface || r->paths[k].gw != m->paths[k].gw)
			return false;
	return true;
}

static unsigned long op_no;
static unsigned long n_hit, n_miss, n_group; /* lookups checked, by answer */

static void check_addr(uint32_t addr)
{
	const struct mroute *m = m_best(addr);
	uint32_t idx = fib4_lookup(addr);
	struct route4 got;
	int rc = fib4_route_get(addr, &got);
	char why[160] = "";
	if (m == NULL)
		n_miss++;
	else if (m->npaths > 1)
		n_group++;
	else
		n_hit++;
	if (m == NULL) {
		cr_assert_eq(idx, FIB4_NH_NONE,
			     "op %lu: %08x: model has no route, lookup gives nh %u (type %u iface %u)",
			     op_no, addr, idx, idx == FIB4_NH_NONE ? 0 : fib4_nh(idx)->type,
			     idx == FIB4_NH_NONE ? 0 : fib4_nh(idx)->iface);
		cr_assert_eq(rc, -ENETUNREACH, "op %lu: %08x: route_get %d, model has none", op_no,
			     addr, rc);
		return;
	}
	cr_assert(nh_is(idx, m, why, sizeof(why)),
		  "op %lu: %08x: want %08x/%u metric %u type %u: %s", op_no, addr, m->prefix,
		  m->plen, m->metric, m->type, why);
	cr_assert_eq(rc, 0, "op %lu: %08x: route_get %d, model has %08x/%u", op_no, addr, rc,
		     m->prefix, m->plen);
	cr_assert(route_is(&got, m),
		  "op %lu: %08x: route_get gives %08x/%u metric %u type %u iface %u gw %08x "
		  "npaths %u; model %08x/%u metric %u type %u iface %u gw %08x npaths %u",
		  op_no, addr, got.prefix, got.plen, got.metric, got.type, got.iface, got.gw,
		  got.npaths, m->prefix, m->plen, m->metric, m->type, m->iface, m->gw, m->npaths);
	cr_assert_eq(got.nh, idx, "op %lu: %08x: route_get nh %u, lookup %u", op_no, addr,
		     got.nh, idx);
}

static void check_prefix(uint32_t prefix, uint8_t plen)
{
	uint32_t last = prefix | ~mask_of(plen);
	check_addr(prefix);
	check_addr(last);
	check_addr(prefix - 1);
	check_addr(last + 1);
	check_addr(prefix | (rnd() & ~mask_of(plen)));
}

struct fe_ctx {
	unsigned n;
	bool bad;
	char msg[200];
};

static void fe_cb(void *arg, const struct route4 *r, bool installed)
{
	struct fe_ctx *c = arg;
	c->n++;
	if (c->bad)
		return;
	int i = m_find(r->prefix, r->plen, r->metric);
	if (i < 0 || !route_is(r, &model[i])) {
		c->bad = true;
		snprintf(c->msg, sizeof(c->msg), "foreach: %08x/%u metric %u not in the model",
			 r->prefix, r->plen, r->metric);
		return;
	}
	/* installed: usable and no usable alternative with a lower metric */
	bool want = m_usable(&model[i]);
	for (unsigned j = 0; j < nmodel && want; j++)
		if (model[j].prefix == r->prefix && model[j].plen == r->plen &&
		    model[j].metric < r->metric && m_usable(&model[j]))
			want = false;
	if (want != installed) {
		c->bad = true;
		snprintf(c->msg, sizeof(c->msg), "foreach: %08x/%u metric %u installed %d, want %d",
			 r->prefix, r->plen, r->metric, installed, want);
	}
}

static void check_all(void)
{
	cr_assert_eq(fib4_count(), nmodel, "op %lu: fib4_count %u, model %u", op_no,
		     fib4_count(), nmodel);
	struct fe_ctx c = { 0 };
	fib4_foreach(fe_cb, &c);
	cr_assert(!c.bad, "op %lu: %s", op_no, c.msg);
	cr_assert_eq(c.n, nmodel, "op %lu: foreach visited %u, model %u", op_no, c.n, nmodel);
	for (unsigned i = 0; i < nmodel; i++)
		check_prefix(model[i].prefix, model[i].plen);
}

/* ---- property test ---- */

#define NBASES 10
static uint32_t bases[NBASES];
static uint8_t prop_min_plen; /* 1 while /0 routes cannot be installed */
static const uint32_t metrics[] = { 0, 10, 100, 1024 };

static uint32_t gw_of(uint16_t link, unsigned k)
{
	return IP(10, link, 0, 1 + k);
}

static void rand_path(struct fib4_path *p)
{
	p->iface = (uint16_t)(1 + rnd_n(NLINKS));
	p->gw = gw_of(p->iface, rnd_n(3));
}

static void rand_route(struct mroute *m, bool ecmp_ok)
{
	memset(m, 0, sizeof(*m));
	/* every length, but short ones (up to 2^23 LPM entries each) rarely */
	unsigned pl = rnd_n(100);
	if (pl < 2)
		m->plen = (uint8_t)(prop_min_plen + rnd_n(8 - prop_min_plen));
	else if (pl < 8)
		m->plen = (uint8_t)(8 + rnd_n(8));
	else if (pl < 50)
		m->plen = (uint8_t)(16 + rnd_n(9));
	else
		m->plen = (uint8_t)(25 + rnd_n(8));
	uint32_t a = rnd_n(8) ? bases[rnd_n(NBASES)] ^ (rnd() & (rnd() >> rnd_n(32))) : rnd();
	m->prefix = a & mask_of(m->plen);
	m->metric = metrics[rnd_n(4)];
	unsigned t = rnd_n(20);
	if (t < 10) {
		m->type = RT_UNICAST;
		m->iface = (uint16_t)(1 + rnd_n(NLINKS));
		m->gw = rnd_n(4) ? gw_of(m->iface, rnd_n(3)) : 0;
	} else if (t < 12) {
		m->type = RT_LOCAL;
		m->iface = (uint16_t)(1 + rnd_n(NLINKS));
	} else if (t < 13) {
		m->type = RT_BROADCAST;
		m->iface = (uint16_t)(1 + rnd_n(NLINKS));
	} else if (t < 16) {
		m->type = (uint8_t)(RT_BLACKHOLE + rnd_n(3));
		m->iface = 0;
	} else if (ecmp_ok) {
		m->type = RT_UNICAST;
		m->npaths = (uint8_t)(2 + rnd_n(MPATHS - 1));
		for (unsigned k = 0; k < m->npaths; k++)
			rand_path(&m->paths[k]);
	} else {
		m->type = RT_UNICAST;
		m->iface = (uint16_t)(1 + rnd_n(NLINKS));
		m->gw = gw_of(m->iface, 0);
	}
}

static int fib_add_m(const struct mroute *m, bool replace, bool scramble)
{
	struct route4 r = mk_route(m->prefix, m->plen, m->type, m->iface, m->gw, m->metric);
	if (scramble && m->plen < 32)
		r.prefix |= rnd() & ~mask_of(m->plen); /* fib4 masks the prefix */
	struct fib4_path tmp[MPATHS];
	if (m->npaths > 1) {
		memcpy(tmp, m->paths, sizeof(tmp));
		r.npaths = m->npaths;
		r.paths = tmp;
	}
	int rc = fib4_route_add(&r, replace);
	if (m->npaths > 1)
		memset(tmp, 0xee, sizeof(tmp)); /* fib4 must have copied them */
	return rc;
}

static void m_flush(uint16_t l)
{
	for (unsigned i = 0; i < nmodel;) {
		struct mroute *m = &model[i];
		if (m->npaths > 1) {
			unsigned k = 0;
			for (unsigned q = 0; q < m->npaths; q++)
				if (m->paths[q].iface != l)
					m->paths[k++] = m->paths[q];
			m->npaths = (uint8_t)k;
			if (k == 1) {
				m->iface = m->paths[0].iface;
				m->gw = m->paths[0].gw;
				m->npaths = 0;
				memset(m->paths, 0, sizeof(m->paths));
			} else if (k == 0) {
				m_remove(i);
				continue;
			}
		} else if (m->type <= RT_BROADCAST && m->iface == l) {
			m_remove(i);
			continue;
		}
		i++;
	}
}

static void run_property(uint64_t seed, unsigned nops, bool with_ecmp, bool with_flush)
{
	rng_state = seed;
	nmodel = 0;
	for (unsigned l = 0; l <= NLINKS; l++)
		mlink_up[l] = true;
	for (unsigned b = 0; b < NBASES; b++)
		bases[b] = rnd();
	/* /0 is included when the FIB takes it (it does since dir24) */
	struct route4 probe = mk_route(0, 0, RT_BLACKHOLE, 0, 0, 0);
	prop_min_plen = 0;
	if (fib4_route_add(&probe, false) == 0) {
		cr_assert_eq(fib4_route_del(0, 0, -1, -1, FIB4_ANY_IFACE, 0), 1);
	} else {
		cr_log_warn("fib4 cannot add 0.0.0.0/0: random routes are /1../32 only");
		prop_min_plen = 1;
	}
	cr_assert_eq(fib4_count(), 0);
	rs_sync();
	const uint32_t free0 = fib4_nh_free_count();

	for (op_no = 0; op_no < nops; op_no++) {
		unsigned what = rnd_n(100);
		uint32_t cpfx = 0;
		uint8_t cplen = 0;
		bool have_c = false;
		/* the table grows to a few hundred routes and stays there */
		unsigned add_pct = nmodel < 250 ? 55 : 30;
		if (what < add_pct || nmodel == 0) {
			struct mroute m;
			rand_route(&m, with_ecmp);
			int i = m_find(m.prefix, m.plen, m.metric);
			bool replace = rnd_n(3) == 0;
			int rc = fib_add_m(&m, replace, rnd_n(2) == 0);
			if (i >= 0 && !replace) {
				cr_assert_eq(rc, -EEXIST, "op %lu: add over an existing route: %d",
					     op_no, rc);
			} else {
				cr_assert_eq(rc, 0, "op %lu: add %08x/%u metric %u type %u npaths %u: %d",
					     op_no, m.prefix, m.plen, m.metric, m.type, m.npaths, rc);
				if (i >= 0)
					model[i] = m;
				else {
					cr_assert_lt(nmodel, MMAX);
					model[nmodel++] = m;
				}
			}
			cpfx = m.prefix;
			cplen = m.plen;
			have_c = true;
		} else if (what < 85) {
			/* delete: an existing route (maybe by a filter), or anything */
			uint32_t prefix;
			uint8_t plen;
			int64_t metric = -1;
			int type = -1;
			uint16_t iface = FIB4_ANY_IFACE;
			uint32_t gw = 0;
			if (rnd_n(10)) {
				const struct mroute *e = &model[rnd_n(nmodel)];
				prefix = e->prefix;
				plen = e->plen;
				unsigned f = rnd_n(6);
				if (f == 0 || f == 1)
					metric = e->metric;
				else if (f == 2)
					type = rnd_n(2) ? e->type : (int)rnd_n(6);
				else if (f == 3)
					iface = e->npaths > 1 ? e->paths[rnd_n(e->npaths)].iface
							      : (uint16_t)rnd_n(NLINKS + 1);
				else if (f == 4)
					gw = e->npaths > 1 ? e->paths[rnd_n(e->npaths)].gw
							   : gw_of((uint16_t)(1 + rnd_n(NLINKS)), rnd_n(3));
			} else {
				struct mroute m;
				rand_route(&m, false);
				prefix = m.prefix;
				plen = m.plen;
				if (rnd_n(2))
					metric = m.metric;
			}
			unsigned want = 0;
			for (unsigned i = 0; i < nmodel;) {
				if (model[i].prefix == prefix && model[i].plen == plen &&
				    m_match(&model[i], metric, type, iface, gw)) {
					m_remove(i);
					want++;
				} else {
					i++;
				}
			}
			int rc = fib4_route_del(prefix, plen, metric, type, iface, gw);
			if (want == 0)
				cr_assert_eq(rc, -ESRCH, "op %lu: del of nothing: %d", op_no, rc);
			else
				cr_assert_eq(rc, (int)want, "op %lu: del %08x/%u metric %ld type %d "
					     "iface %u gw %08x: %d, model deleted %u",
					     op_no, prefix, plen, (long)metric, type, iface, gw, rc, want);
			cpfx = prefix;
			cplen = plen;
			have_c = true;
		} else if (what < 97 || !with_flush) {
			uint16_t l = (uint16_t)(1 + rnd_n(NLINKS));
			/* links are down a third of the time or so */
			bool up = mlink_up[l] ? rnd_n(3) != 0 : rnd_n(2) == 0;
			mlink_up[l] = up;
			fib4_iface_set_up(l, up);
		} else {
			uint16_t l = (uint16_t)(1 + rnd_n(NLINKS));
			fib4_iface_flush(l);
			fib4_iface_reset(l);
			m_flush(l);
			mlink_up[l] = true;
		}
		/* FIB_TRACE=<hex address>: print the operations that touch it */
		static int trace_set = -1;
		static uint32_t trace_addr;
		if (trace_set < 0) {
			const char *t = getenv("FIB_TRACE");
			trace_set = t != NULL;
			trace_addr = t ? (uint32_t)strtoul(t, NULL, 16) : 0;
		}
		if (trace_set && (!have_c || (trace_addr & mask_of(cplen)) == cpfx))
			fprintf(stderr, "trace op %lu: %s %08x/%u -> lookup nh %u\n", op_no,
				have_c ? "route" : "link", cpfx, cplen, fib4_lookup(trace_addr));
		if (op_no % 7 == 0)
			rs_sync();

		cr_assert_eq(fib4_count(), nmodel, "op %lu: fib4_count %u, model %u", op_no,
			     fib4_count(), nmodel);
		if (have_c)
			check_prefix(cpfx, cplen);
		for (unsigned k = 0; k < 3 && nmodel; k++) {
			const struct mroute *e = &model[rnd_n(nmodel)];
			check_prefix(e->prefix, e->plen);
		}
		for (unsigned k = 0; k < 4; k++)
			check_addr(rnd_n(2) ? rnd() : bases[rnd_n(NBASES)] ^ (rnd() & 0xffff));
		if (op_no % 500 == 0) {
			check_all();
			if (getenv("UT_TRACE"))
				fprintf(stderr, "op %lu: %u routes\n", op_no, nmodel);
		}
	}
	check_all();
	cr_log_info("%u ops: %lu lookups checked (%lu plain routes, %lu ECMP, %lu none)", nops,
		    n_hit + n_group + n_miss, n_hit, n_group, n_miss);
	cr_assert_gt(n_hit, 10000);
	cr_assert_gt(n_miss, 10000);
	cr_assert(!with_ecmp || n_group > 1000);

	/* tear everything down: no next-hop slot may leak */
	while (nmodel) {
		const struct mroute *e = &model[nmodel - 1];
		int rc = fib4_route_del(e->prefix, e->plen, e->metric, -1, FIB4_ANY_IFACE, 0);
		cr_assert_eq(rc, 1);
		nmodel--;
	}
	cr_assert_eq(fib4_count(), 0);
	for (uint16_t l = 1; l <= NLINKS; l++)
		fib4_iface_set_up(l, true);
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0, "next-hop slots leaked: %u free, %u at start",
		     fib4_nh_free_count(), free0);
	for (unsigned k = 0; k < 1000; k++)
		cr_assert_eq(fib4_lookup(rnd()), FIB4_NH_NONE);
}

/* The default route (rte_lpm, the first FIB, rejected depth 0). */
Test(fib4, default_route)
{
	int rc = add_uc(0, 0, 1, IP(10, 1, 0, 1), 0);
	cr_assert_eq(rc, 0, "add 0.0.0.0/0: %d (%s)", rc, rs_err_get());
	const struct rs_nh *nh = lookup_nh(IP(1, 2, 3, 4));
	cr_assert_not_null(nh, "0.0.0.0/0 does not match 1.2.3.4");
	cr_assert_eq(nh->gw, IP(10, 1, 0, 1));
	nh = lookup_nh(IP(255, 255, 255, 255));
	cr_assert_not_null(nh);
	cr_assert_eq(add_uc(IP(9, 0, 0, 0), 8, 2, IP(10, 2, 0, 1), 0), 0);
	cr_assert_eq(lookup_nh(IP(9, 1, 1, 1))->iface, 2);
	cr_assert_eq(lookup_nh(IP(8, 1, 1, 1))->iface, 1);
	struct route4 r;
	cr_assert_eq(fib4_route_get(IP(8, 1, 1, 1), &r), 0);
	cr_assert_eq(r.plen, 0);
	cr_assert_eq(fib4_route_del(0, 0, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_lookup(IP(8, 1, 1, 1)), FIB4_NH_NONE);
	cr_assert_eq(fib4_route_get(IP(8, 1, 1, 1), &r), -ENETUNREACH);
}

Test(fib4, prop_plain_routes_and_links)
{
	run_property(0x5eed0001ull, 20000, false, false);
}

Test(fib4, prop_with_ecmp_and_flush)
{
	run_property(0x5eed0002ull, 20000, true, true);
}

/* ---- shared next hops ---- */

Test(fib4, nh_shared_by_routes_with_same_hop)
{
	const uint32_t free0 = fib4_nh_free_count();
	const uint32_t gwa = IP(10, 1, 0, 1), gwb = IP(10, 1, 0, 2);
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(add_uc(IP(20, 0, i, 0), 24, 1, gwa, 0), 0);
	uint32_t a = fib4_lookup(IP(20, 0, 0, 1));
	cr_assert_neq(a, FIB4_NH_NONE);
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(fib4_lookup(IP(20, 0, i, 9)), a, "route %u has its own next hop", i);
	cr_assert_eq(fib4_nh_refs(a), 100);
	cr_assert_eq(fib4_nh_free_count(), free0 - 1);

	for (unsigned i = 100; i < 150; i++)
		cr_assert_eq(add_uc(IP(20, 0, i, 0), 24, 1, gwb, 0), 0);
	uint32_t b = fib4_lookup(IP(20, 0, 120, 1));
	cr_assert_neq(b, a);
	cr_assert_eq(fib4_nh_refs(b), 50);
	cr_assert_eq(fib4_nh_free_count(), free0 - 2);

	/* the same hop with another type or link is another next hop */
	struct route4 r = mk_route(IP(21, 0, 0, 0), 24, RT_LOCAL, 1, gwa, 0);
	cr_assert_eq(fib4_route_add(&r, false), 0);
	cr_assert_neq(fib4_lookup(IP(21, 0, 0, 1)), a);
	cr_assert_eq(add_uc(IP(22, 0, 0, 0), 24, 2, gwa, 0), 0);
	cr_assert_neq(fib4_lookup(IP(22, 0, 0, 1)), a);
	cr_assert_eq(fib4_nh_refs(a), 100);

	/* replacing a route with an identical one keeps its next hop */
	r = mk_route(IP(20, 0, 7, 0), 24, RT_UNICAST, 1, gwa, 0);
	cr_assert_eq(fib4_route_add(&r, true), 0);
	cr_assert_eq(fib4_lookup(IP(20, 0, 7, 1)), a);
	cr_assert_eq(fib4_nh_refs(a), 100);
	struct route4 got;
	cr_assert_eq(fib4_route_get(IP(20, 0, 7, 1), &got), 0);
	cr_assert_eq(got.nh, a);
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0 - 4);

	/* replacing it with another hop moves the reference */
	r.gw = gwb;
	cr_assert_eq(fib4_route_add(&r, true), 0);
	cr_assert_eq(fib4_lookup(IP(20, 0, 7, 1)), b);
	cr_assert_eq(fib4_nh_refs(a), 99);
	cr_assert_eq(fib4_nh_refs(b), 51);
	cr_assert_eq(fib4_count(), 152);

	/* deleting every user frees the hop, but only after a grace period */
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(fib4_route_del(IP(20, 0, i, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_nh_refs(b), 50);
	const uint32_t before_sync = fib4_nh_free_count();
	cr_assert_eq(before_sync, free0 - 4, "freed before the grace period");
	/* a new hop made now must not reuse a's slot */
	cr_assert_eq(add_uc(IP(23, 0, 0, 0), 24, 3, IP(10, 3, 0, 1), 0), 0);
	cr_assert_neq(fib4_lookup(IP(23, 0, 0, 1)), a, "slot reused before the grace period");
	cr_assert_eq(fib4_nh(a)->gw, gwa, "published next hop overwritten before the grace period");
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0 - 4); /* a freed, the new one taken */

	/* a route with gw a again makes a fresh hop that is shared again */
	cr_assert_eq(add_uc(IP(24, 0, 0, 0), 24, 1, gwa, 0), 0);
	cr_assert_eq(add_uc(IP(24, 0, 1, 0), 24, 1, gwa, 0), 0);
	uint32_t a2 = fib4_lookup(IP(24, 0, 0, 1));
	cr_assert_eq(fib4_lookup(IP(24, 0, 1, 1)), a2);
	cr_assert_eq(fib4_nh_refs(a2), 2);

	for (unsigned i = 100; i < 150; i++)
		cr_assert_eq(fib4_route_del(IP(20, 0, i, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_route_del(IP(21, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_route_del(IP(22, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_route_del(IP(23, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_route_del(IP(24, 0, 0, 0), 23, -1, -1, FIB4_ANY_IFACE, 0), -ESRCH);
	cr_assert_eq(fib4_route_del(IP(24, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_route_del(IP(24, 0, 1, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_count(), 0);
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0);
}

Test(fib4, nh_replace_identical_keeps_lpm_entry_under_link_changes)
{
	/* An installed route replaced by an identical one: the LPM answer for
	 * every address under it stays the very same index. */
	cr_assert_eq(add_uc(IP(25, 0, 0, 0), 16, 1, IP(10, 1, 0, 1), 5), 0);
	cr_assert_eq(add_uc(IP(25, 0, 0, 0), 16, 2, IP(10, 2, 0, 1), 7), 0);
	uint32_t a = fib4_lookup(IP(25, 0, 3, 4));
	for (unsigned k = 0; k < 20; k++) {
		struct route4 r = mk_route(IP(25, 0, 0, 0), 16, RT_UNICAST, 1, IP(10, 1, 0, 1), 5);
		cr_assert_eq(fib4_route_add(&r, true), 0);
		cr_assert_eq(fib4_lookup(IP(25, 0, 3, 4)), a);
		rs_sync();
	}
	cr_assert_eq(fib4_nh_refs(a), 1);
	cr_assert_eq(fib4_count(), 2);
}

Test(fib4, nh_no_leak_after_random_cycles)
{
	const uint32_t free0 = fib4_nh_free_count();
	rng_state = 0xc0ffee;
	enum { N = 256 };
	static bool present[N];
	unsigned n = 0;
	for (unsigned c = 0; c < 10000; c++) {
		unsigned i = rnd_n(N);
		uint32_t pfx = IP(26, 0, 0, 0) | (i << 8);
		if (!present[i]) {
			int rc;
			if (rnd_n(4) == 0) {
				struct fib4_path p[4];
				unsigned np = 2 + rnd_n(3);
				for (unsigned k = 0; k < np; k++) {
					p[k].iface = (uint16_t)(1 + k % 2);
					p[k].gw = gw_of(p[k].iface, k);
				}
				rc = add_ecmp(pfx, 24, p, np, 0);
			} else {
				uint16_t l = (uint16_t)(1 + rnd_n(3));
				rc = add_uc(pfx, 24, l, rnd_n(2) ? gw_of(l, rnd_n(4)) : 0, 0);
			}
			cr_assert_eq(rc, 0);
			present[i] = true;
			n++;
		} else {
			cr_assert_eq(fib4_route_del(pfx, 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
			present[i] = false;
			n--;
		}
		if (rnd_n(50) == 0) {
			/* a link bounce rebuilds ECMP groups */
			fib4_iface_set_up(1, false);
			fib4_iface_set_up(1, true);
		}
		if (c % 16 == 0)
			rs_sync();
		cr_assert_eq(fib4_count(), n);
	}
	for (unsigned i = 0; i < N; i++)
		if (present[i])
			cr_assert_eq(fib4_route_del(IP(26, 0, 0, 0) | (i << 8), 24, -1, -1,
						    FIB4_ANY_IFACE, 0), 1);
	rs_sync();
	cr_assert_eq(fib4_count(), 0);
	cr_assert_eq(fib4_nh_free_count(), free0, "leaked %d next-hop slots",
		     (int)(free0 - fib4_nh_free_count()));
}

/* ---- ECMP ---- */

static void mk_paths(struct fib4_path *p, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		p[k].iface = (uint16_t)(1 + k % NLINKS);
		p[k].gw = IP(10, p[k].iface, 1, k + 1);
	}
}

/* Member k of group nh is a RT_UNICAST hop through a path of p (matched
 * exactly once); returns in member_of[j] the path index of member j. */
static void check_members(const struct rs_nh *nh, const struct fib4_path *p, unsigned np,
			  const bool *alive, int *member_of)
{
	unsigned nalive = 0;
	for (unsigned k = 0; k < np; k++)
		nalive += alive[k];
	cr_assert_eq(nh->type, RT_GROUP);
	cr_assert_eq(nh->nmemb, nalive, "group of %u, %u live paths", nh->nmemb, nalive);
	bool used[FIB4_ECMP_MAX] = { false };
	for (unsigned j = 0; j < nh->nmemb; j++) {
		const struct rs_nh *mb = fib4_nh(fib4_grp_tab[nh->grp + j]);
		cr_assert_eq(mb->type, RT_UNICAST);
		int at = -1;
		for (unsigned k = 0; k < np && at < 0; k++)
			if (alive[k] && !used[k] && mb->iface == p[k].iface && mb->gw == p[k].gw)
				at = (int)k;
		cr_assert_geq(at, 0, "member %u (iface %u gw %08x) is no live path", j, mb->iface,
			      mb->gw);
		used[at] = true;
		member_of[j] = at;
	}
}

/* Over many flow hashes: selection is stable, only live paths are chosen
 * and each gets a fair share. */
static void check_spread(const struct rs_nh *nh, const struct fib4_path *p, unsigned np,
			 const bool *alive)
{
	int member_of[FIB4_ECMP_MAX];
	check_members(nh, p, np, alive, member_of);
	unsigned cnt[FIB4_ECMP_MAX] = { 0 }, nalive = nh->nmemb;
	const unsigned H = 10000;
	for (unsigned h = 0; h < H; h++) {
		uint32_t hash = rnd();
		const struct rs_nh *s = fib4_nh_select(nh, hash);
		cr_assert_eq(fib4_nh_select(nh, hash), s, "same hash, another member");
		cr_assert_eq(s->type, RT_UNICAST);
		int at = -1;
		for (unsigned k = 0; k < np && at < 0; k++)
			if (s->iface == p[k].iface && s->gw == p[k].gw)
				at = (int)k;
		cr_assert_geq(at, 0);
		cr_assert(alive[at], "path %d is down but chosen", at);
		cnt[at]++;
	}
	for (unsigned k = 0; k < np; k++) {
		if (!alive[k]) {
			cr_assert_eq(cnt[k], 0);
			continue;
		}
		double share = (double)cnt[k] * nalive / H;
		cr_assert(share > 0.6 && share < 1.4, "path %u got %u of %u hashes (%u live)", k,
			  cnt[k], H, nalive);
	}
}

Test(fib4, ecmp_groups_2_to_16)
{
	const uint32_t free0 = fib4_nh_free_count();
	rng_state = 42;
	struct fib4_path p[FIB4_ECMP_MAX];
	bool alive[FIB4_ECMP_MAX];
	for (unsigned k = 0; k < FIB4_ECMP_MAX; k++)
		alive[k] = true;
	for (unsigned n = 2; n <= FIB4_ECMP_MAX; n++) {
		mk_paths(p, n);
		cr_assert_eq(add_ecmp(IP(30, 0, 0, 0), 16, p, n, 0), 0, "npaths %u", n);
		memset(p, 0, sizeof(p)); /* the caller's array is not kept */
		mk_paths(p, n);
		const struct rs_nh *nh = lookup_nh(IP(30, 0, 200, 1));
		cr_assert_not_null(nh);
		check_spread(nh, p, n, alive);
		struct route4 got;
		cr_assert_eq(fib4_route_get(IP(30, 0, 1, 1), &got), 0);
		cr_assert_eq(got.npaths, n);
		for (unsigned k = 0; k < n; k++)
			cr_assert(got.paths[k].iface == p[k].iface && got.paths[k].gw == p[k].gw);
		cr_assert_eq(fib4_route_del(IP(30, 0, 0, 0), 16, -1, -1, FIB4_ANY_IFACE, 0), 1);
		cr_assert_eq(fib4_lookup(IP(30, 0, 200, 1)), FIB4_NH_NONE);
	}
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0);
	/* more than FIB4_ECMP_MAX paths is refused */
	struct fib4_path big[FIB4_ECMP_MAX + 1];
	mk_paths(big, FIB4_ECMP_MAX + 1);
	cr_assert_eq(add_ecmp(IP(30, 0, 0, 0), 16, big, FIB4_ECMP_MAX + 1, 0), -EINVAL);
	cr_assert_eq(fib4_count(), 0);
}

Test(fib4, ecmp_link_down_and_up)
{
	rng_state = 7;
	enum { NP = 8 };
	struct fib4_path p[NP];
	bool alive[NP];
	mk_paths(p, NP); /* two paths per link 1..4 */
	for (unsigned k = 0; k < NP; k++)
		alive[k] = true;
	const uint32_t dst = IP(31, 0, 2, 3);
	cr_assert_eq(add_ecmp(IP(31, 0, 0, 0), 16, p, NP, 0), 0);
	/* a less specific fallback */
	struct route4 fb = mk_route(IP(31, 0, 0, 0), 8, RT_UNREACHABLE, 0, 0, 0);
	cr_assert_eq(fib4_route_add(&fb, false), 0);
	check_spread(lookup_nh(dst), p, NP, alive);

	/* link 2 down: its members leave the group; the rest stay */
	fib4_iface_set_up(2, false);
	for (unsigned k = 0; k < NP; k++)
		alive[k] = p[k].iface != 2;
	check_spread(lookup_nh(dst), p, NP, alive);
	rs_sync();
	check_spread(lookup_nh(dst), p, NP, alive);
	struct route4 got;
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.plen, 16);
	cr_assert_eq(got.npaths, NP, "the route keeps every path, down or not");

	fib4_iface_set_up(3, false);
	fib4_iface_set_up(4, false);
	for (unsigned k = 0; k < NP; k++)
		alive[k] = p[k].iface == 1;
	check_spread(lookup_nh(dst), p, NP, alive);

	/* all down: the route is unusable, the /8 answers */
	fib4_iface_set_up(1, false);
	const struct rs_nh *nh = lookup_nh(dst);
	cr_assert_not_null(nh);
	cr_assert_eq(nh->type, RT_UNREACHABLE);
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.plen, 8);
	cr_assert_eq(fib4_count(), 2);
	/* without the /8 nothing answers */
	cr_assert_eq(fib4_route_del(IP(31, 0, 0, 0), 8, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_lookup(dst), FIB4_NH_NONE);
	cr_assert_eq(fib4_route_get(dst, &got), -ENETUNREACH);
	rs_sync();

	/* one link up: a single live path is a plain next hop */
	fib4_iface_set_up(3, true);
	nh = lookup_nh(dst);
	cr_assert_not_null(nh);
	if (nh->type == RT_GROUP) {
		for (unsigned k = 0; k < NP; k++)
			alive[k] = p[k].iface == 3;
		check_spread(nh, p, NP, alive);
	}
	/* everything up: every member is back */
	fib4_iface_set_up(1, true);
	fib4_iface_set_up(2, true);
	fib4_iface_set_up(4, true);
	for (unsigned k = 0; k < NP; k++)
		alive[k] = true;
	check_spread(lookup_nh(dst), p, NP, alive);

	/* a group with only one path through a link: that link down leaves a
	 * plain next hop through the other */
	struct fib4_path two[2] = { { IP(10, 1, 0, 1), 1 }, { IP(10, 2, 0, 1), 2 } };
	cr_assert_eq(add_ecmp(IP(32, 0, 0, 0), 16, two, 2, 0), 0);
	fib4_iface_set_up(1, false);
	nh = lookup_nh(IP(32, 0, 0, 1));
	cr_assert_not_null(nh);
	cr_assert_eq(nh->type, RT_UNICAST);
	cr_assert_eq(nh->iface, 2);
	cr_assert_eq(nh->gw, IP(10, 2, 0, 1));
	fib4_iface_set_up(1, true);
	nh = lookup_nh(IP(32, 0, 0, 1));
	cr_assert_eq(nh->type, RT_GROUP);
	cr_assert_eq(nh->nmemb, 2);
}

Test(fib4, ecmp_added_while_a_link_is_down)
{
	rng_state = 9;
	struct fib4_path p[4];
	bool alive[4];
	mk_paths(p, 4);
	fib4_iface_set_up(3, false);
	cr_assert_eq(add_ecmp(IP(33, 0, 0, 0), 24, p, 4, 0), 0);
	for (unsigned k = 0; k < 4; k++)
		alive[k] = p[k].iface != 3;
	check_spread(lookup_nh(IP(33, 0, 0, 9)), p, 4, alive);
	fib4_iface_set_up(3, true);
	for (unsigned k = 0; k < 4; k++)
		alive[k] = true;
	check_spread(lookup_nh(IP(33, 0, 0, 9)), p, 4, alive);
}

Test(fib4, ecmp_flush_removes_paths)
{
	const uint32_t free0 = fib4_nh_free_count();
	rng_state = 11;
	/* paths: two via link 1, one via 2, one via 3 */
	struct fib4_path p[4] = {
		{ IP(10, 1, 0, 1), 1 }, { IP(10, 1, 0, 2), 1 },
		{ IP(10, 2, 0, 1), 2 }, { IP(10, 3, 0, 1), 3 },
	};
	bool alive[4] = { false, false, true, true };
	const uint32_t dst = IP(34, 0, 0, 77);
	cr_assert_eq(add_ecmp(IP(34, 0, 0, 0), 24, p, 4, 0), 0);
	/* a plain route through link 1 elsewhere goes entirely */
	cr_assert_eq(add_uc(IP(35, 0, 0, 0), 24, 1, IP(10, 1, 0, 1), 0), 0);
	cr_assert_eq(fib4_count(), 2);

	fib4_iface_flush(1);
	fib4_iface_reset(1);
	cr_assert_eq(fib4_count(), 1);
	cr_assert_eq(fib4_lookup(IP(35, 0, 0, 1)), FIB4_NH_NONE);
	struct route4 got;
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.npaths, 2);
	for (unsigned k = 0; k < 2; k++)
		cr_assert_neq(got.paths[k].iface, 1);
	check_spread(lookup_nh(dst), p, 4, alive);

	/* down to one path: a plain route through link 3 */
	fib4_iface_flush(2);
	fib4_iface_reset(2);
	cr_assert_eq(fib4_count(), 1);
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_leq(got.npaths, 1);
	cr_assert_eq(got.iface, 3);
	cr_assert_eq(got.gw, IP(10, 3, 0, 1));
	const struct rs_nh *nh = lookup_nh(dst);
	cr_assert_not_null(nh);
	cr_assert_eq(nh->type, RT_UNICAST);
	cr_assert_eq(nh->iface, 3);
	cr_assert_eq(nh->gw, IP(10, 3, 0, 1));
	/* it follows link 3's state like any plain route */
	fib4_iface_set_up(3, false);
	cr_assert_eq(fib4_lookup(dst), FIB4_NH_NONE);
	fib4_iface_set_up(3, true);
	cr_assert_not_null(lookup_nh(dst));

	/* the last path goes: so does the route */
	fib4_iface_flush(3);
	fib4_iface_reset(3);
	cr_assert_eq(fib4_count(), 0);
	cr_assert_eq(fib4_lookup(dst), FIB4_NH_NONE);
	cr_assert_eq(fib4_route_get(dst, &got), -ENETUNREACH);
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0);
}

Test(fib4, ecmp_flush_of_a_down_link)
{
	struct fib4_path p[3] = {
		{ IP(10, 1, 0, 1), 1 }, { IP(10, 2, 0, 1), 2 }, { IP(10, 3, 0, 1), 3 },
	};
	const uint32_t dst = IP(36, 0, 0, 1);
	cr_assert_eq(add_ecmp(IP(36, 0, 0, 0), 24, p, 3, 0), 0);
	fib4_iface_set_up(2, false);
	fib4_iface_set_up(3, false);
	/* link 1 removed while 2 and 3 are down: the route stays, unusable */
	fib4_iface_flush(1);
	fib4_iface_reset(1);
	cr_assert_eq(fib4_count(), 1);
	cr_assert_eq(fib4_lookup(dst), FIB4_NH_NONE);
	fib4_iface_set_up(2, true);
	const struct rs_nh *nh = lookup_nh(dst);
	cr_assert_not_null(nh);
	cr_assert_eq(nh->type, RT_UNICAST);
	cr_assert_eq(nh->iface, 2);
	fib4_iface_set_up(3, true);
	nh = lookup_nh(dst);
	cr_assert_eq(nh->type, RT_GROUP);
	cr_assert_eq(nh->nmemb, 2);
}

/* ---- metric failover ---- */

Test(fib4, failover_by_metric)
{
	const uint32_t dst = IP(40, 0, 0, 9);
	cr_assert_eq(add_uc(IP(40, 0, 0, 0), 24, 1, IP(10, 1, 0, 1), 10), 0);
	cr_assert_eq(add_uc(IP(40, 0, 0, 0), 24, 2, IP(10, 2, 0, 1), 20), 0);
	cr_assert_eq(add_uc(IP(40, 0, 0, 0), 24, 2, IP(10, 2, 0, 9), 20), -EEXIST);
	struct route4 blk = mk_route(IP(40, 0, 0, 0), 24, RT_BLACKHOLE, 0, 0, 30);
	cr_assert_eq(fib4_route_add(&blk, false), 0);
	cr_assert_eq(fib4_count(), 3);

	struct route4 got;
	cr_assert_eq(lookup_nh(dst)->iface, 1);
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.metric, 10);

	fib4_iface_set_up(1, false);
	cr_assert_eq(lookup_nh(dst)->iface, 2);
	cr_assert_eq(lookup_nh(dst)->gw, IP(10, 2, 0, 1));
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.metric, 20);

	fib4_iface_set_up(1, true);
	cr_assert_eq(lookup_nh(dst)->iface, 1);

	/* a better route through a down link does not take over */
	fib4_iface_set_up(3, false);
	cr_assert_eq(add_uc(IP(40, 0, 0, 0), 24, 3, IP(10, 3, 0, 1), 5), 0);
	cr_assert_eq(lookup_nh(dst)->iface, 1);
	fib4_iface_set_up(3, true);
	cr_assert_eq(lookup_nh(dst)->iface, 3);

	/* every link down: the blackhole is the last resort */
	fib4_iface_set_up(1, false);
	fib4_iface_set_up(2, false);
	fib4_iface_set_up(3, false);
	cr_assert_eq(lookup_nh(dst)->type, RT_BLACKHOLE);
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.metric, 30);

	/* deleting the installed route while the others are down */
	cr_assert_eq(fib4_route_del(IP(40, 0, 0, 0), 24, 30, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_lookup(dst), FIB4_NH_NONE);
	fib4_iface_set_up(2, true);
	cr_assert_eq(lookup_nh(dst)->iface, 2);
	/* deleting the best alternative by gateway promotes the next one */
	fib4_iface_set_up(1, true);
	fib4_iface_set_up(3, true);
	cr_assert_eq(lookup_nh(dst)->iface, 3);
	cr_assert_eq(fib4_route_del(IP(40, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, IP(10, 3, 0, 1)),
		     1);
	cr_assert_eq(lookup_nh(dst)->iface, 1);
	cr_assert_eq(fib4_route_del(IP(40, 0, 0, 0), 24, -1, -1, 1, 0), 1);
	cr_assert_eq(lookup_nh(dst)->iface, 2);
	cr_assert_eq(fib4_count(), 1);
}

Test(fib4, failover_to_less_specific)
{
	const uint32_t dst = IP(41, 1, 1, 1);
	cr_assert_eq(add_uc(IP(41, 0, 0, 0), 8, 2, IP(10, 2, 0, 1), 0), 0);
	cr_assert_eq(add_uc(IP(41, 1, 1, 0), 24, 1, IP(10, 1, 0, 1), 0), 0);
	cr_assert_eq(lookup_nh(dst)->iface, 1);
	fib4_iface_set_up(1, false);
	cr_assert_eq(lookup_nh(dst)->iface, 2);
	struct route4 got;
	cr_assert_eq(fib4_route_get(dst, &got), 0);
	cr_assert_eq(got.plen, 8);
	fib4_iface_set_up(1, true);
	cr_assert_eq(lookup_nh(dst)->iface, 1);
	/* a local route follows its link too */
	struct route4 loc = mk_route(IP(41, 1, 1, 1), 32, RT_LOCAL, 1, 0, 0);
	cr_assert_eq(fib4_route_add(&loc, false), 0);
	cr_assert_eq(lookup_nh(dst)->type, RT_LOCAL);
	fib4_iface_set_up(1, false);
	cr_assert_eq(lookup_nh(dst)->type, RT_UNICAST);
	cr_assert_eq(lookup_nh(dst)->iface, 2);
}

/* ---- limits ---- */

Test(fib4, limits_invalid_arguments)
{
	struct route4 r = mk_route(IP(50, 0, 0, 0), 33, RT_UNICAST, 1, IP(10, 1, 0, 1), 0);
	cr_assert_eq(fib4_route_add(&r, false), -EINVAL);
	r.plen = 255;
	cr_assert_eq(fib4_route_add(&r, true), -EINVAL);
	cr_assert_eq(fib4_route_del(IP(50, 0, 0, 0), 33, -1, -1, FIB4_ANY_IFACE, 0), -EINVAL);
	cr_assert_eq(fib4_count(), 0);
	cr_assert_eq(fib4_route_del(IP(50, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), -ESRCH);
	r.plen = 32;
	cr_assert_eq(fib4_route_add(&r, false), 0);
	cr_assert_eq(fib4_route_add(&r, false), -EEXIST);
	cr_assert_eq(fib4_count(), 1);
}

Test(fib4_small, limits_max_routes)
{
	const uint32_t free0 = fib4_nh_free_count();
	for (unsigned i = 0; i < 64; i++)
		cr_assert_eq(add_uc(IP(51, 0, i, 0), 24, 1, IP(10, 1, 0, 1 + i % 3), 0), 0,
			     "route %u", i);
	cr_assert_eq(fib4_count(), 64);
	int rc = add_uc(IP(52, 0, 0, 0), 24, 1, IP(10, 1, 0, 99), 0);
	cr_assert_eq(rc, -ENOSPC, "65th prefix in a 64-route FIB: %d", rc);
	cr_assert_eq(fib4_count(), 64);
	cr_assert_eq(fib4_lookup(IP(52, 0, 0, 1)), FIB4_NH_NONE);
	struct route4 got;
	cr_assert_eq(fib4_route_get(IP(52, 0, 0, 1), &got), -ENETUNREACH);
	for (unsigned i = 0; i < 64; i++) {
		const struct rs_nh *nh = lookup_nh(IP(51, 0, i, 1));
		cr_assert_not_null(nh);
		cr_assert_eq(nh->gw, IP(10, 1, 0, 1 + i % 3));
	}
	/* the failed add's next hop is not leaked */
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0 - 3);
	/* room again after a delete */
	cr_assert_eq(fib4_route_del(IP(51, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(add_uc(IP(52, 0, 0, 0), 24, 1, IP(10, 1, 0, 99), 0), 0);
	cr_assert_not_null(lookup_nh(IP(52, 0, 0, 1)));
	cr_assert_eq(fib4_count(), 64);
}

/* Adds /32 hosts in distinct /24s (IP(b, 0, i, 7)) until the tbl8 groups
 * run out; returns how many fit (the table may hold a few more groups than
 * configured: it never holds fewer). */
static unsigned fill_tbl8(uint8_t b)
{
	unsigned n = 0;
	int rc;
	while ((rc = add_uc(IP(b, 0, n, 7), 32, 1, IP(10, 1, 0, 1), 0)) == 0) {
		n++;
		cr_assert_lt(n, 200, "tbl8 groups never run out");
	}
	cr_assert_eq(rc, -ENOSPC, "fill: %d", rc);
	cr_assert_geq(n, 4);
	return n;
}

Test(fib4_tbl8, limits_tbl8)
{
	unsigned n = fill_tbl8(53);
	/* more in the same /24s need no new group */
	cr_assert_eq(add_uc(IP(53, 0, 0, 8), 32, 1, IP(10, 1, 0, 1), 0), 0);
	int rc = add_uc(IP(53, 0, n, 7), 32, 1, IP(10, 1, 0, 1), 0);
	cr_assert_eq(rc, -ENOSPC, "one group too many: %d", rc);
	cr_assert_eq(fib4_count(), n + 1);
	cr_assert_eq(fib4_lookup(IP(53, 0, n, 7)), FIB4_NH_NONE);
	for (unsigned i = 0; i < n; i++)
		cr_assert_not_null(lookup_nh(IP(53, 0, i, 7)));
	cr_assert_eq(fib4_lookup(IP(53, 0, 0, 9)), FIB4_NH_NONE);
	/* freeing a group makes room (after its grace period) */
	cr_assert_eq(fib4_route_del(IP(53, 0, n - 1, 7), 32, -1, -1, FIB4_ANY_IFACE, 0), 1);
	rs_sync();
	cr_assert_eq(add_uc(IP(53, 0, n, 7), 32, 1, IP(10, 1, 0, 1), 0), 0);
	cr_assert_not_null(lookup_nh(IP(53, 0, n, 7)));
	cr_assert_eq(fib4_count(), n + 1);
}

Test(fib4_tbl8, limits_failed_replace_changes_nothing)
{
	/* fill the tbl8 groups, then replace an existing /32 route: it needs
	 * no new group and must succeed; a failing add leaves the others */
	unsigned n = fill_tbl8(54);
	struct route4 r = mk_route(IP(54, 0, 2, 7), 32, RT_UNICAST, 2, IP(10, 2, 0, 1), 0);
	cr_assert_eq(fib4_route_add(&r, true), 0);
	cr_assert_eq(lookup_nh(IP(54, 0, 2, 7))->iface, 2);
	cr_assert_eq(add_uc(IP(54, 0, n + 5, 7), 32, 1, IP(10, 1, 0, 1), 0), -ENOSPC);
	cr_assert_eq(fib4_count(), n);
	cr_assert_eq(lookup_nh(IP(54, 0, 2, 7))->iface, 2);
}

/* A replace that cannot be installed must leave the route it replaces
 * (the first version freed the old route before installing the new one). */
Test(fib4_tbl8, limits_failed_replace_keeps_the_old_route)
{
	unsigned n = fill_tbl8(55);
	/* through a down link: kept, not in the FIB, needs no tbl8 group */
	fib4_iface_set_up(2, false);
	cr_assert_eq(add_uc(IP(55, 0, n + 5, 7), 32, 2, IP(10, 2, 0, 1), 0), 0);
	cr_assert_eq(fib4_count(), n + 1);
	/* replaced by a usable route: it needs one more group, there is none */
	struct route4 r = mk_route(IP(55, 0, n + 5, 7), 32, RT_UNICAST, 1, IP(10, 1, 0, 9), 0);
	int rc = fib4_route_add(&r, true);
	cr_assert_eq(rc, -ENOSPC, "replace needing one group too many: %d", rc);
	cr_assert_eq(fib4_count(), n + 1, "the failed replace removed the route it replaced");
	cr_assert_eq(fib4_lookup(IP(55, 0, n + 5, 7)), FIB4_NH_NONE);
	cr_assert_eq(fib4_route_del(IP(55, 0, n + 5, 7), 32, 0, -1, 2, IP(10, 2, 0, 1)), 1);
}

/* When a link comes up and a route through it cannot be installed (FIB
 * full), fib4_route_get()/fib4_foreach() must not claim it is installed
 * while fib4_lookup() misses it.
 * (The first version marked the route installed before the FIB took it.) */
Test(fib4_tbl8, limits_link_up_with_full_lpm_stays_consistent)
{
	unsigned n = fill_tbl8(56);
	fib4_iface_set_up(2, false);
	cr_assert_eq(add_uc(IP(56, 0, n + 5, 7), 32, 2, IP(10, 2, 0, 1), 0), 0);
	fib4_iface_set_up(2, true); /* cannot be installed: no tbl8 group */
	struct route4 got;
	int rc = fib4_route_get(IP(56, 0, n + 5, 7), &got);
	uint32_t idx = fib4_lookup(IP(56, 0, n + 5, 7));
	cr_assert((rc == 0) == (idx != FIB4_NH_NONE),
		  "route_get %d but lookup %s", rc, idx == FIB4_NH_NONE ? "misses" : "hits");
}

/* ECMP groups run out (FIB4_GRP_MAX): the next ECMP route is refused
 * cleanly, and nothing leaks. */
Test(fib4, limits_ecmp_groups_exhausted)
{
	const uint32_t free0 = fib4_nh_free_count();
	struct fib4_path p[3] = {
		{ IP(10, 1, 0, 1), 1 }, { IP(10, 2, 0, 1), 2 }, { IP(10, 3, 0, 1), 3 },
	};
	unsigned n = 0;
	int rc;
	while ((rc = add_ecmp(IP(60, 0, 0, 0) + (n << 8), 24, p, 3, 0)) == 0)
		n++;
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_eq(n, FIB4_GRP_MAX);
	cr_assert_eq(fib4_count(), n);
	cr_assert_eq(fib4_lookup(IP(60, 0, 0, 0) + (n << 8) + 1), FIB4_NH_NONE);
	/* a plain route still fits */
	cr_assert_eq(add_uc(IP(59, 0, 0, 0), 24, 1, IP(10, 1, 0, 1), 0), 0);
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0 - n * 4 - 1);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(fib4_route_del(IP(60, 0, 0, 0) + (i << 8), 24, -1, -1, FIB4_ANY_IFACE,
					    0), 1);
	cr_assert_eq(fib4_route_del(IP(59, 0, 0, 0), 24, -1, -1, FIB4_ANY_IFACE, 0), 1);
	rs_sync();
	cr_assert_eq(fib4_nh_free_count(), free0);
}

/* With every ECMP group in use, a link going down must not make routes that
 * still have live paths unusable.
 * (The first version blackholed them: the new group could not be built
 * while the old one waited for its grace period.) */
Test(fib4, limits_link_down_with_all_groups_in_use)
{
	struct fib4_path p[3] = {
		{ IP(10, 1, 0, 1), 1 }, { IP(10, 2, 0, 1), 2 }, { IP(10, 3, 0, 1), 3 },
	};
	unsigned n = 0;
	while (add_ecmp(IP(60, 0, 0, 0) + (n << 8), 24, p, 3, 0) == 0)
		n++;
	fib4_iface_set_up(3, false);
	unsigned dead = 0;
	for (unsigned i = 0; i < n; i++)
		dead += fib4_lookup(IP(60, 0, 0, 1) + (i << 8)) == FIB4_NH_NONE;
	cr_assert_eq(dead, 0, "%u of %u ECMP routes with two live paths lost every path", dead,
		     n);
	rs_sync();
	fib4_iface_set_up(3, true);
	dead = 0;
	for (unsigned i = 0; i < n; i++)
		dead += fib4_lookup(IP(60, 0, 0, 1) + (i << 8)) == FIB4_NH_NONE;
	cr_assert_eq(dead, 0, "after link up: %u of %u ECMP routes unusable", dead, n);
}

/* ---- the route store at scale (rib_impl.h: prefixes from 2 MiB slabs,
 * the first route inline, IPv4 slots in address order sixteen at a time) ---- */

static void fib_setup_large(void) { fib_setup_sized(1 << 18, 1 << 10); }
TestSuite(fib4_large, .init = fib_setup_large, .fini = fib_teardown, .timeout = 120);

/* 100,000 /24s in order and 20,000 host routes in 100 of them (prefixes of
 * other lengths crowding one /24's slots), a second metric on every third
 * prefix (its routes move out of the inline one), half deleted and added
 * again (freed prefixes reused): every route is found, installed and
 * looked up, through several slabs and store growths. */
Test(fib4_large, store_many_prefixes_with_reuse)
{
	const uint32_t N24 = 100000, N32 = 20000;
	uint32_t n = 0;
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < N24; i++) {
			if (round == 1 && i % 2 == 1)
				continue; /* kept from round 0 */
			uint32_t pfx = IP(64, 0, 0, 0) + (i << 8);
			cr_assert_eq(add_uc(pfx, 24, 1, IP(10, 1, 0, 1), 10), 0, "/24 %u", i);
			if (i % 3 == 0)
				cr_assert_eq(add_uc(pfx, 24, 2, IP(10, 2, 0, 1), 5), 0, "/24 %u m5", i);
		}
		for (uint32_t j = 0; j < N32; j++) {
			if (round == 1 && j % 2 == 1)
				continue;
			uint32_t a = IP(64, 0, 0, 0) + ((j / 200) << 8) + (j % 200);
			cr_assert_eq(add_uc(a, 32, 3, IP(10, 3, 0, 1), 0), 0, "/32 %u", j);
		}
		n = N24 + N24 / 3 + 1 + N32;
		cr_assert_eq(fib4_count(), n, "round %d: %u routes, %u expected", round, fib4_count(), n);
		for (uint32_t i = 0; i < N24; i++) {
			uint32_t a = IP(64, 0, 0, 0) + (i << 8) + 250;
			const struct rs_nh *nh = lookup_nh(a);
			cr_assert_not_null(nh, "/24 %u", i);
			cr_assert_eq(nh->iface, i % 3 == 0 ? 2 : 1, "/24 %u through %u", i, nh->iface);
			struct route4 got;
			cr_assert_eq(fib4_route_get(a, &got), 0);
			cr_assert(got.plen == 24 && got.metric == (i % 3 == 0 ? 5u : 10u));
		}
		for (uint32_t j = 0; j < N32; j++) {
			uint32_t a = IP(64, 0, 0, 0) + ((j / 200) << 8) + (j % 200);
			cr_assert_eq(lookup_nh(a)->iface, 3, "/32 %u", j);
		}
		if (round == 1)
			break;
		/* half of every kind goes: their prefixes are reused next round */
		for (uint32_t i = 0; i < N24; i += 2) {
			int want = i % 3 == 0 ? 2 : 1;
			cr_assert_eq(fib4_route_del(IP(64, 0, 0, 0) + (i << 8), 24, -1, -1,
						    FIB4_ANY_IFACE, 0), want);
		}
		for (uint32_t j = 0; j < N32; j += 2)
			cr_assert_eq(fib4_route_del(IP(64, 0, 0, 0) + ((j / 200) << 8) + (j % 200), 32,
						    -1, -1, FIB4_ANY_IFACE, 0), 1);
		uint32_t gone = 0;
		for (uint32_t i = 0; i < N24; i += 2)
			gone += i % 3 == 0 ? 2 : 1;
		gone += N32 / 2;
		cr_assert_eq(fib4_count(), n - gone);
		cr_assert_eq(fib4_lookup(IP(64, 0, 0, 250)), FIB4_NH_NONE);
		cr_assert_eq(lookup_nh(IP(64, 0, 1, 250))->iface, 1);
	}
	for (uint32_t i = 0; i < N24; i++)
		cr_assert_gt(fib4_route_del(IP(64, 0, 0, 0) + (i << 8), 24, -1, -1, FIB4_ANY_IFACE, 0), 0);
	for (uint32_t j = 0; j < N32; j++)
		cr_assert_eq(fib4_route_del(IP(64, 0, 0, 0) + ((j / 200) << 8) + (j % 200), 32, -1,
					    -1, FIB4_ANY_IFACE, 0), 1);
	cr_assert_eq(fib4_count(), 0);
	cr_assert_eq(fib4_lookup(IP(64, 0, 50, 1)), FIB4_NH_NONE);
}
