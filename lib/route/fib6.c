/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 FIB (see fib6.h): the route store of rib_impl.h over 128-bit
 * prefixes, installing into the trie (dir6.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dp.h"
#include "core/module.h"
#include "route/fib6.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"

struct rs_nh6 fib6_nh_tab[FIB6_NH_MAX];
uint32_t fib6_grp_tab[FIB6_GRP_MAX * FIB6_ECMP_MAX];

/* The family's part of the route store (rib_impl.h). */
struct rib_key {
	uint8_t prefix[16];
	uint8_t plen;
};

static inline void rib_key_of(struct rib_key *k, const struct route6 *r)
{
	memcpy(k->prefix, r->prefix, 16);
	k->plen = r->plen;
}

static inline void rib_key_mask(struct rib_key *k)
{
	ip6_prefix_mask(k->prefix, k->plen);
}

static inline void rib_key_shorten(struct rib_key *out, const struct rib_key *k, uint8_t plen)
{
	memcpy(out->prefix, k->prefix, 16);
	out->plen = plen;
	ip6_prefix_mask(out->prefix, plen);
}

static inline bool rib_key_eq(const struct rib_key *a, const struct rib_key *b)
{
	return a->plen == b->plen && memcmp(a->prefix, b->prefix, 16) == 0;
}

static inline int rib_key_cmp(const struct rib_key *a, const struct rib_key *b)
{
	int c = memcmp(a->prefix, b->prefix, 16);
	if (c != 0)
		return c;
	return (int)a->plen - (int)b->plen;
}

/* A 64-bit mix of prefix and length; the store compares whole keys on a
 * hash match (RIB_KEY_EXACT 0). */
static inline uint64_t rib_key_hash(const struct rib_key *k)
{
	uint64_t a, b;
	memcpy(&a, k->prefix, 8);
	memcpy(&b, k->prefix + 8, 8);
	uint64_t h = (a ^ (b * 0xc2b2ae3d27d4eb4full) ^ k->plen) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 31);
}

static inline void rib_route_mask(struct route6 *r)
{
	ip6_prefix_mask(r->prefix, r->plen);
}

static inline int rib_fib_add(const struct rib_key *k, uint32_t nh)
{
	return dir6_add(k->prefix, k->plen, nh);
}

static inline void rib_fib_del(const struct rib_key *k, int repl_len, uint32_t repl_nh)
{
	dir6_del(k->prefix, k->plen, repl_len, repl_nh);
}

#define RIB_ROUTE struct route6
#define RIB_PATH struct fib6_path
#define RIB_NH struct rs_nh6
#define RIB_NH_TAB fib6_nh_tab
#define RIB_GRP_TAB fib6_grp_tab
#define RIB_NH_MAX FIB6_NH_MAX
#define RIB_ECMP_MAX FIB6_ECMP_MAX
#define RIB_GRP_MAX FIB6_GRP_MAX
#define RIB_NH_NONE FIB6_NH_NONE
#define RIB_ANY_IFACE FIB6_ANY_IFACE
#define RIB_ALEN 128
#define RIB_GW_SIZE 16
#define RIB_GW(x) (x)
#define RIB_KEY_EXACT 0
#define RIB_FN(name) fib6_##name
#define RIB_NH_HASH_NAME "rs_fib6_nh"
#define RIB_LOG_PREFIX "IPv6 "
#define RIB_OPT_ROUTES "--fib6-max-routes"
#define RIB_ERR_FIB_FULL "IPv6 FIB full (raise --fib6-max-tbl8)"
#include "route/rib_impl.h"

int fib6_init(uint32_t max_routes, uint32_t max_tbl8)
{
	if (max_tbl8 > D6_TBL8_MAX)
		max_tbl8 = D6_TBL8_MAX;
	if (dir6_init(max_tbl8) < 0) {
		rs_err_set("cannot reserve the IPv6 FIB (64 MiB + %u groups of 1 KiB)", max_tbl8);
		return -ENOMEM;
	}
	if (rib_init(max_routes) < 0) {
		rs_err_set("cannot create the IPv6 route store (%u routes)", max_routes);
		dir6_fini();
		return -ENOMEM;
	}
	return 0;
}

void fib6_fini(void)
{
	rib_fini();
	dir6_fini();
}

int fib6_route_del(const uint8_t prefix[16], uint8_t plen, int64_t metric, int type,
		   uint16_t iface, const uint8_t *gw)
{
	struct rib_key k = { .plen = plen };
	memcpy(k.prefix, prefix, 16);
	return rib_route_del(&k, metric, type, iface, gw);
}

int fib6_route_get(const uint8_t dst[16], struct route6 *out)
{
	struct rib_key k = { .plen = 128 };
	memcpy(k.prefix, dst, 16);
	return rib_route_get(&k, out);
}

uint32_t fib6_tbl8_used(void) { return dir6_tbl8_used(); }
uint32_t fib6_tbl8_total(void) { return dir6_tbl8_total(); }

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
