/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 FIB (see fib4.h): the route store of rib_impl.h over 32-bit
 * prefixes, installing into the DIR-24-8 table (dir24.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dp.h"
#include "core/module.h"
#include "route/fib4.h"
#include "util/rs_log.h"

struct rs_nh fib4_nh_tab[FIB4_NH_MAX];
uint32_t fib4_grp_tab[FIB4_GRP_MAX * FIB4_ECMP_MAX];

/* The family's part of the route store (rib_impl.h). */
struct rib_key {
	uint32_t prefix; /* host order */
	uint8_t plen;
};

static inline uint32_t mask4(uint8_t plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

static inline void rib_key_of(struct rib_key *k, const struct route4 *r)
{
	k->prefix = r->prefix;
	k->plen = r->plen;
}

static inline void rib_key_mask(struct rib_key *k)
{
	k->prefix &= mask4(k->plen);
}

static inline void rib_key_shorten(struct rib_key *out, const struct rib_key *k, uint8_t plen)
{
	out->prefix = k->prefix & mask4(plen);
	out->plen = plen;
}

static inline bool rib_key_eq(const struct rib_key *a, const struct rib_key *b)
{
	return a->prefix == b->prefix && a->plen == b->plen;
}

static inline int rib_key_cmp(const struct rib_key *a, const struct rib_key *b)
{
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return (int)a->plen - (int)b->plen;
}

/* The key itself (RIB_KEY_EXACT): a store probe is one 64-bit compare. */
static inline uint64_t rib_key_hash(const struct rib_key *k)
{
	return (uint64_t)k->prefix << 8 | k->plen;
}

static inline void rib_route_mask(struct route4 *r)
{
	r->prefix &= mask4(r->plen);
}

static inline int rib_fib_add(const struct rib_key *k, uint32_t nh)
{
	return dir24_add(k->prefix, k->plen, nh);
}

static inline void rib_fib_del(const struct rib_key *k, int repl_len, uint32_t repl_nh)
{
	dir24_del(k->prefix, k->plen, repl_len, repl_nh);
}

#define RIB_ROUTE struct route4
#define RIB_PATH struct fib4_path
#define RIB_NH struct rs_nh
#define RIB_NH_TAB fib4_nh_tab
#define RIB_GRP_TAB fib4_grp_tab
#define RIB_NH_MAX FIB4_NH_MAX
#define RIB_ECMP_MAX FIB4_ECMP_MAX
#define RIB_GRP_MAX FIB4_GRP_MAX
#define RIB_NH_NONE FIB4_NH_NONE
#define RIB_ANY_IFACE FIB4_ANY_IFACE
#define RIB_ALEN 32
#define RIB_GW_SIZE 4
#define RIB_GW(x) (&(x))
#define RIB_KEY_EXACT 1
#define RIB_FN(name) fib4_##name
#define RIB_NH_HASH_NAME "rs_fib4_nh"
#define RIB_LOG_PREFIX ""
#define RIB_OPT_ROUTES "--fib-max-routes"
#define RIB_ERR_FIB_FULL "FIB full (raise --fib-max-routes/--fib-max-tbl8)"
#include "route/rib_impl.h"

int fib4_init(uint32_t max_routes, uint32_t max_tbl8, struct rte_rcu_qsbr *rcu)
{
	(void)rcu; /* reclamation goes through rs_defer_free */
	if (dir24_init(max_tbl8) < 0) {
		rs_err_set("cannot allocate the IPv4 FIB (64 MiB + %u tbl8 groups)", max_tbl8);
		return -ENOMEM;
	}
	if (rib_init(max_routes) < 0) {
		rs_err_set("cannot create the route store");
		return -ENOMEM;
	}
	return 0;
}

void fib4_fini(void)
{
	rib_fini();
	dir24_fini();
}

int fib4_route_del(uint32_t prefix, uint8_t plen, int64_t metric, int type, uint16_t iface,
		   uint32_t gw)
{
	struct rib_key k = { .prefix = prefix, .plen = plen };
	return rib_route_del(&k, metric, type, iface, &gw);
}

int fib4_route_get(uint32_t dst, struct route4 *out)
{
	const struct rib_key k = { .prefix = dst, .plen = 32 };
	return rib_route_get(&k, out);
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

/* a prefix of the store with its first route: one cache line (rib_impl.h) */
_Static_assert(sizeof(struct route4) == 32 && sizeof(struct pfx) == 64, "struct pfx grew");
