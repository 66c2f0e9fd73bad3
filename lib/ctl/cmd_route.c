/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl route [-6] show [all] | get ADDR
 *                  | add|replace|del PREFIX [via GW] [dev NAME] [metric N]
 *                  | add blackhole|unreachable|prohibit PREFIX
 *                  | add PREFIX nexthop via GW [dev NAME] nexthop via GW ...
 * iproute2's "ip route" / "ip -6 route" syntax. A command with -6, or whose
 * words hold an IPv6 address, is an IPv6 one. The words are parsed, checked
 * and shown here once for both families; struct route_fam holds what is
 * the family's: its addresses, its FIB, and where iproute2 shows the two
 * families differently. A link-local IPv6 gateway needs "dev NAME" (it
 * names no link by itself, RFC 4007).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "route/fib4.h"
#include "route/fib6.h"
#include "util/rs_addr.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"
#include "wire/wire.h"

#define RT_ECMP_MAX FIB4_ECMP_MAX
#define RT_ANY_IFACE FIB4_ANY_IFACE
_Static_assert(FIB4_ECMP_MAX == FIB6_ECMP_MAX, "one ECMP limit");
_Static_assert(FIB4_ANY_IFACE == FIB6_ANY_IFACE, "one any-link value");

/* An IPv4 address leaves the other 12 bytes zero (every rt_addr starts
 * zeroed), so that one test tells an unset address of either family. */
union rt_addr {
	uint32_t v4; /* host order */
	uint8_t v6[16];
};

static inline bool addr_is_zero(const union rt_addr *a)
{
	uint64_t w[2];
	memcpy(w, a, sizeof(w));
	return (w[0] | w[1]) == 0;
}

struct rt_path {
	union rt_addr gw;
	uint16_t iface;
};

/* A route of either family as the words give it or a FIB shows it. paths
 * points to RT_ECMP_MAX of them, apart so that a request is cheap to set
 * up (a batch of a million routes makes one each). */
struct rt_req {
	uint8_t type, proto, plen, npaths;
	uint16_t iface;
	uint32_t metric;
	union rt_addr prefix, gw;
	struct rt_path *paths;
};

typedef void (*rt_show_fn)(void *arg, const struct rt_req *r, bool installed);

struct route_fam {
	uint8_t alen;             /* address bits */
	uint32_t default_metric;  /* of an added route without "metric" */
	const char *get_usage, *fib_name, *lookup_name;
	/* how iproute2 shows the family: IPv4 leaves out "/32" of a host
	 * route that is not unicast and a metric of 0, and says "scope link"
	 * for an on-link route; IPv4 shows each ECMP path's link state */
	bool host_bare, metric_always, scope_link, path_state;
	int (*parse_addr)(const char *s, union rt_addr *a);
	/* a prefix, its host bits cleared */
	int (*parse_prefix)(const char *s, union rt_addr *a, uint8_t *plen);
	void (*fmt)(const union rt_addr *a, char *out, size_t n);
	/* the link through which gw is on-link, checked against want */
	int (*gw_iface)(const union rt_addr *gw, uint16_t want);
	int (*add)(const struct rt_req *q, bool replace);
	int (*del)(const struct rt_req *q, int64_t metric, int type);
	void (*foreach)(rt_show_fn fn, void *arg);
	/* the installed route to dst, and what the lookup structure says */
	int (*get)(const union rt_addr *dst, struct rt_req *out, uint32_t *store_nh,
		   uint32_t *lookup_nh);
};

/* ---- IPv4 ---- */

static int parse_addr4(const char *s, union rt_addr *a) { return cmd_parse_ip4(s, &a->v4); }
static int parse_prefix4(const char *s, union rt_addr *a, uint8_t *plen)
{
	int rc = cmd_parse_prefix4(s, &a->v4, plen);
	if (rc == 0)
		a->v4 &= ip4_mask(*plen);
	return rc;
}
static void fmt4(const union rt_addr *a, char *out, size_t n)
{
	(void)n; /* every caller's buffer holds an IPv6 address: >= 16 bytes */
	cmd_fmt_ip4(a->v4, out);
}

static int gw_iface4(const union rt_addr *gw, uint16_t want)
{
	char g[16]; /* formatted for an error only (snprintf per route showed
		     * in the profile of a million-route batch) */
	/* one LPM lookup: the installed route to gw must be a connected one */
	uint32_t nhi = fib4_lookup(gw->v4);
	const struct rs_nh *nh = nhi == FIB4_NH_NONE ? NULL : fib4_nh(nhi);
	if (nh == NULL || nh->type != RT_UNICAST || nh->gw != 0) {
		cmd_fmt_ip4(gw->v4, g);
		rs_err_set("gateway %s is not on a connected subnet", g);
		return -ENETUNREACH;
	}
	if (want != FIB4_ANY_IFACE && want != nh->iface) {
		cmd_fmt_ip4(gw->v4, g);
		rs_err_set("gateway %s is not reachable through %s", g,
			   rs_cfg_current()->ifaces[want].name);
		return -ENETUNREACH;
	}
	return nh->iface;
}

static int add4(const struct rt_req *q, bool replace)
{
	struct fib4_path paths[RT_ECMP_MAX];
	struct route4 r = { .prefix = q->prefix.v4, .plen = q->plen, .type = q->type,
			    .proto = q->proto, .iface = q->iface, .gw = q->gw.v4,
			    .metric = q->metric, .npaths = q->npaths };
	for (unsigned k = 0; k < q->npaths; k++)
		paths[k] = (struct fib4_path){ .gw = q->paths[k].gw.v4, .iface = q->paths[k].iface };
	if (q->npaths)
		r.paths = paths;
	return fib4_route_add(&r, replace);
}

static int del4(const struct rt_req *q, int64_t metric, int type)
{
	return fib4_route_del(q->prefix.v4, q->plen, metric, type, q->iface, q->gw.v4);
}

static void req_of4(struct rt_req *q, const struct route4 *r, struct rt_path *paths)
{
	*q = (struct rt_req){ .type = r->type, .proto = r->proto, .plen = r->plen,
			      .npaths = r->npaths, .iface = r->iface, .metric = r->metric,
			      .prefix.v4 = r->prefix, .gw.v4 = r->gw, .paths = paths };
	for (unsigned k = 0; k < r->npaths && k < RT_ECMP_MAX; k++) {
		q->paths[k].gw = (union rt_addr){ .v4 = r->paths[k].gw };
		q->paths[k].iface = r->paths[k].iface;
	}
}

struct each_ctx {
	rt_show_fn fn;
	void *arg;
};

static void each4(void *arg, const struct route4 *r, bool installed)
{
	struct each_ctx *e = arg;
	struct rt_path paths[RT_ECMP_MAX];
	struct rt_req q;
	req_of4(&q, r, paths);
	e->fn(e->arg, &q, installed);
}

static void foreach4(rt_show_fn fn, void *arg)
{
	struct each_ctx e = { fn, arg };
	fib4_foreach(each4, &e);
}

static int get4(const union rt_addr *dst, struct rt_req *out, uint32_t *store_nh,
		uint32_t *lookup_nh)
{
	struct route4 r;
	if (fib4_route_get(dst->v4, &r) < 0)
		return -ENETUNREACH;
	req_of4(out, &r, out->paths);
	*store_nh = r.nh;
	*lookup_nh = fib4_lookup(dst->v4);
	return 0;
}

static const struct route_fam fam4 = {
	.alen = 32, .default_metric = 0,
	.get_usage = "usage: route get A.B.C.D", .fib_name = "FIB", .lookup_name = "lpm",
	.host_bare = true, .metric_always = false, .scope_link = true, .path_state = true,
	.parse_addr = parse_addr4, .parse_prefix = parse_prefix4,
	.fmt = fmt4, .gw_iface = gw_iface4, .add = add4, .del = del4,
	.foreach = foreach4, .get = get4,
};

/* ---- IPv6 ---- */

static int parse_addr6(const char *s, union rt_addr *a)
{
	uint8_t plen;
	if (strchr(s, '/') != NULL || cmd_parse_prefix6(s, a->v6, &plen) < 0) {
		rs_err_set("invalid IPv6 address \"%s\"", s);
		return -EINVAL;
	}
	return 0;
}
static int parse_prefix6(const char *s, union rt_addr *a, uint8_t *plen)
{
	int rc = cmd_parse_prefix6(s, a->v6, plen);
	if (rc == 0)
		ip6_prefix_mask(a->v6, *plen);
	return rc;
}
static void fmt6(const union rt_addr *a, char *out, size_t n)
{
	struct rs_ip ip = rs_ip_from6(a->v6);
	rs_ip_str(&ip, out, n);
}

/* A link-local gateway is on the link the user named. */
static int gw_iface6(const union rt_addr *gw, uint16_t want)
{
	char g[64];
	fmt6(gw, g, sizeof(g));
	if (ip6_is_linklocal(gw->v6)) {
		if (want == FIB6_ANY_IFACE) {
			rs_err_set("link-local gateway %s needs dev NAME", g);
			return -EINVAL;
		}
		return want;
	}
	uint32_t nhi = fib6_lookup(gw->v6);
	const struct rs_nh6 *nh = nhi == FIB6_NH_NONE ? NULL : fib6_nh(nhi);
	if (nh == NULL || nh->type != RT_UNICAST || !ip6_is_unspec(nh->gw)) {
		rs_err_set("gateway %s is not on a connected prefix", g);
		return -ENETUNREACH;
	}
	if (want != FIB6_ANY_IFACE && want != nh->iface) {
		rs_err_set("gateway %s is not reachable through %s", g,
			   rs_cfg_current()->ifaces[want].name);
		return -ENETUNREACH;
	}
	return nh->iface;
}

static int add6(const struct rt_req *q, bool replace)
{
	struct fib6_path paths[RT_ECMP_MAX];
	struct route6 r = { .plen = q->plen, .type = q->type, .proto = q->proto,
			    .npaths = q->npaths, .iface = q->iface, .metric = q->metric };
	memcpy(r.prefix, q->prefix.v6, 16);
	memcpy(r.gw, q->gw.v6, 16);
	for (unsigned k = 0; k < q->npaths; k++) {
		memcpy(paths[k].gw, q->paths[k].gw.v6, 16);
		paths[k].iface = q->paths[k].iface;
	}
	if (q->npaths)
		r.paths = paths;
	return fib6_route_add(&r, replace);
}

static int del6(const struct rt_req *q, int64_t metric, int type)
{
	return fib6_route_del(q->prefix.v6, q->plen, metric, type, q->iface, q->gw.v6);
}

static void req_of6(struct rt_req *q, const struct route6 *r, struct rt_path *paths)
{
	*q = (struct rt_req){ .type = r->type, .proto = r->proto, .plen = r->plen,
			      .npaths = r->npaths, .iface = r->iface, .metric = r->metric,
			      .paths = paths };
	memcpy(q->prefix.v6, r->prefix, 16);
	memcpy(q->gw.v6, r->gw, 16);
	for (unsigned k = 0; k < r->npaths && k < RT_ECMP_MAX; k++) {
		memcpy(q->paths[k].gw.v6, r->paths[k].gw, 16);
		q->paths[k].iface = r->paths[k].iface;
	}
}

static void each6(void *arg, const struct route6 *r, bool installed)
{
	struct each_ctx *e = arg;
	struct rt_path paths[RT_ECMP_MAX];
	struct rt_req q;
	req_of6(&q, r, paths);
	e->fn(e->arg, &q, installed);
}

static void foreach6(rt_show_fn fn, void *arg)
{
	struct each_ctx e = { fn, arg };
	fib6_foreach(each6, &e);
}

static int get6(const union rt_addr *dst, struct rt_req *out, uint32_t *store_nh,
		uint32_t *lookup_nh)
{
	struct route6 r;
	if (fib6_route_get(dst->v6, &r) < 0)
		return -ENETUNREACH;
	req_of6(out, &r, out->paths);
	*store_nh = r.nh;
	*lookup_nh = fib6_lookup(dst->v6);
	return 0;
}

static const struct route_fam fam6 = {
	.alen = 128, .default_metric = 1024,
	.get_usage = "usage: route get X:X::X", .fib_name = "FIB6", .lookup_name = "trie",
	.host_bare = false, .metric_always = true, .scope_link = false, .path_state = false,
	.parse_addr = parse_addr6, .parse_prefix = parse_prefix6,
	.fmt = fmt6, .gw_iface = gw_iface6, .add = add6, .del = del6,
	.foreach = foreach6, .get = get6,
};

/* ---- both families ---- */

static const char *type_name[] = {
	[RT_UNICAST] = "unicast", [RT_LOCAL] = "local", [RT_BROADCAST] = "broadcast",
	[RT_BLACKHOLE] = "blackhole", [RT_UNREACHABLE] = "unreachable",
	[RT_PROHIBIT] = "prohibit",
};

static void show_route(struct cmd_ctx *ctx, const struct route_fam *f, const struct rt_req *r,
		       bool installed)
{
	const struct rs_cfg *c = rs_cfg_current();
	char pfx[64], gw[64];
	f->fmt(&r->prefix, pfx, sizeof(pfx));
	if (r->plen == 0)
		snprintf(pfx, sizeof(pfx), "default");
	else if (!f->host_bare || r->plen != f->alen || r->type == RT_UNICAST)
		snprintf(pfx + strlen(pfx), sizeof(pfx) - strlen(pfx), "/%u", r->plen);
	f->fmt(&r->gw, gw, sizeof(gw));
	bool has_gw = !addr_is_zero(&r->gw) && r->npaths <= 1;
	const char *dev = r->type <= RT_BROADCAST && r->npaths <= 1 && c->ifaces[r->iface].present
				  ? c->ifaces[r->iface].name : NULL;
	const char *proto = r->proto == RTPROT_KERNEL ? "kernel" : "static";
	if (ctx->json) {
		rs_json_obj_open(ctx->out);
		rs_json_kstr(ctx->out, "type", type_name[r->type]);
		rs_json_kstr(ctx->out, "dst", pfx);
		if (has_gw)
			rs_json_kstr(ctx->out, "gateway", gw);
		if (dev)
			rs_json_kstr(ctx->out, "dev", dev);
		if (r->npaths > 1) {
			rs_json_key(ctx->out, "nexthops");
			rs_json_arr_open(ctx->out);
			for (unsigned k = 0; k < r->npaths; k++) {
				char g[64];
				f->fmt(&r->paths[k].gw, g, sizeof(g));
				rs_json_obj_open(ctx->out);
				rs_json_kstr(ctx->out, "gateway", g);
				rs_json_kstr(ctx->out, "dev", c->ifaces[r->paths[k].iface].name);
				if (f->path_state)
					rs_json_kbool(ctx->out, "up", c->ifaces[r->paths[k].iface].up);
				rs_json_obj_close(ctx->out);
			}
			rs_json_arr_close(ctx->out);
		}
		rs_json_kstr(ctx->out, "protocol", proto);
		rs_json_ku64(ctx->out, "metric", r->metric);
		rs_json_kbool(ctx->out, "installed", installed);
		rs_json_obj_close(ctx->out);
		return;
	}
	if (r->type != RT_UNICAST)
		rs_buf_printf(ctx->out, "%s ", type_name[r->type]);
	rs_buf_printf(ctx->out, "%s", pfx);
	if (has_gw)
		rs_buf_printf(ctx->out, " via %s", gw);
	if (dev)
		rs_buf_printf(ctx->out, " dev %s", dev);
	rs_buf_printf(ctx->out, " proto %s", proto);
	if (f->scope_link && r->type == RT_UNICAST && addr_is_zero(&r->gw))
		rs_buf_printf(ctx->out, " scope link");
	if (f->metric_always || r->metric)
		rs_buf_printf(ctx->out, " metric %u", r->metric);
	if (!installed)
		rs_buf_printf(ctx->out, " linkdown");
	rs_buf_printf(ctx->out, "\n");
	for (unsigned k = 0; r->npaths > 1 && k < r->npaths; k++) {
		char g[64];
		f->fmt(&r->paths[k].gw, g, sizeof(g));
		rs_buf_printf(ctx->out, "\tnexthop via %s dev %s%s\n", g,
			      c->ifaces[r->paths[k].iface].name,
			      f->path_state && !c->ifaces[r->paths[k].iface].up ? " linkdown" : "");
	}
}

struct show_ctx {
	struct cmd_ctx *ctx;
	const struct route_fam *f;
	bool all; /* include local and broadcast routes (the "local table") */
};

static void show_cb(void *arg, const struct rt_req *r, bool installed)
{
	struct show_ctx *s = arg;
	if (!s->all && (r->type == RT_LOCAL || r->type == RT_BROADCAST))
		return;
	show_route(s->ctx, s->f, r, installed);
}

static int route_show(struct cmd_ctx *ctx, const struct route_fam *f, int argc, char **argv)
{
	struct show_ctx s = { ctx, f, false };
	if (f == &fam4) {
		/* "all", "table all", "table local" */
		s.all = argc >= 1 &&
			(strcmp(argv[0], "all") == 0 ||
			 (strcmp(argv[0], "table") == 0 && argc >= 2 &&
			  (strcmp(argv[1], "all") == 0 || strcmp(argv[1], "local") == 0)));
	} else {
		/* "all" or "local" anywhere */
		for (int a = 0; a < argc; a++)
			if (strcmp(argv[a], "all") == 0 || strcmp(argv[a], "local") == 0)
				s.all = true;
	}
	if (ctx->json)
		rs_json_arr_open(ctx->out);
	f->foreach(show_cb, &s);
	if (ctx->json)
		rs_json_arr_close(ctx->out);
	return 0;
}

static int route_get(struct cmd_ctx *ctx, const struct route_fam *f, int argc, char **argv)
{
	union rt_addr dst;
	if (argc < 1 || f->parse_addr(argv[0], &dst) < 0) {
		rs_err_set("%s", f->get_usage);
		return -EINVAL;
	}
	struct rt_path paths[RT_ECMP_MAX];
	struct rt_req r = { .paths = paths };
	uint32_t store_nh, lookup_nh;
	if (f->get(&dst, &r, &store_nh, &lookup_nh) < 0) {
		rs_err_set("no route to %s", argv[0]);
		return -ENETUNREACH;
	}
	/* the route that the lookup structure holds must be the one the store says */
	if (lookup_nh != store_nh) {
		rs_err_set("%s inconsistent for %s (%s %u, store %u)", f->fib_name, argv[0],
			   f->lookup_name, lookup_nh, store_nh);
		return -EIO;
	}
	show_route(ctx, f, &r, true);
	return 0;
}

/* Inlined into each family's route_cmd, where f is a constant: the
 * family's hooks become direct calls (a route load makes a million). */
static inline __attribute__((always_inline)) int
route_change(const struct route_fam *f, int argc, char **argv, bool add, bool replace)
{
	struct rt_path paths[RT_ECMP_MAX];
	struct rt_req r = { .type = RT_UNICAST, .proto = RTPROT_STATIC, .iface = RT_ANY_IFACE,
			    .metric = f->default_metric, .paths = paths };
	bool has_pfx = false, has_metric = false, has_type = false;
	int rc;
	for (int a = 0; a < argc; a++) {
		if (strcmp(argv[a], "nexthop") == 0) {
			/* nexthop via GW [dev NAME] [weight 1] */
			if (r.npaths == RT_ECMP_MAX) {
				rs_err_set("at most %d nexthops", RT_ECMP_MAX);
				return -EINVAL;
			}
			union rt_addr *gw = &r.paths[r.npaths].gw;
			uint16_t *iface = &r.paths[r.npaths].iface;
			memset(gw, 0, sizeof(*gw));
			*iface = RT_ANY_IFACE;
			while (a + 2 < argc) {
				if (strcmp(argv[a + 1], "via") == 0) {
					if (f->parse_addr(argv[a + 2], gw) < 0)
						return -EINVAL;
				} else if (cmd_is(argv[a + 1], "dev", 1)) {
					if ((rc = cmd_iface(argv[a + 2])) < 0)
						return rc;
					*iface = (uint16_t)rc;
				} else if (strcmp(argv[a + 1], "weight") == 0) {
					if (strcmp(argv[a + 2], "1") != 0) {
						rs_err_set("only equal weights are supported");
						return -EINVAL;
					}
				} else {
					break;
				}
				a += 2;
			}
			if (addr_is_zero(gw)) {
				rs_err_set("nexthop needs via GW");
				return -EINVAL;
			}
			r.npaths++;
		} else if (strcmp(argv[a], "via") == 0 && a + 1 < argc) {
			if (f->parse_addr(argv[++a], &r.gw) < 0)
				return -EINVAL;
		} else if (cmd_is(argv[a], "dev", 1) && a + 1 < argc) {
			if ((rc = cmd_iface(argv[++a])) < 0)
				return rc;
			r.iface = (uint16_t)rc;
		} else if ((strcmp(argv[a], "metric") == 0 || strcmp(argv[a], "preference") == 0) &&
			   a + 1 < argc) {
			if (cmd_parse_u32(argv[++a], UINT32_MAX, &r.metric) < 0)
				return -EINVAL;
			has_metric = true;
		} else if (!has_type && !has_pfx && (strcmp(argv[a], "blackhole") == 0 ||
						     strcmp(argv[a], "unreachable") == 0 ||
						     strcmp(argv[a], "prohibit") == 0 ||
						     strcmp(argv[a], "unicast") == 0)) {
			r.type = argv[a][0] == 'b' ? RT_BLACKHOLE
				 : argv[a][0] == 'p' ? RT_PROHIBIT
				 : argv[a][2] == 'r' ? RT_UNREACHABLE : RT_UNICAST;
			has_type = true;
		} else if (!has_pfx) {
			if (f->parse_prefix(argv[a], &r.prefix, &r.plen) < 0)
				return -EINVAL;
			has_pfx = true;
		} else {
			rs_err_set("unexpected \"%s\"", argv[a]);
			return -EINVAL;
		}
	}
	if (!has_pfx) {
		rs_err_set("usage: route add|del|replace PREFIX [via GW] [dev NAME] [metric N]");
		return -EINVAL;
	}
	if (r.npaths && (!addr_is_zero(&r.gw) || r.type != RT_UNICAST)) {
		rs_err_set("nexthop cannot be combined with via or a route type");
		return -EINVAL;
	}
	if (!add) {
		rc = f->del(&r, has_metric ? (int64_t)r.metric : -1, has_type ? r.type : -1);
		if (rc < 0) {
			rs_err_set("no such route");
			return -ESRCH;
		}
		return 0;
	}
	if (r.npaths == 1) {
		/* one nexthop is a plain route */
		r.gw = r.paths[0].gw;
		r.iface = r.paths[0].iface;
		r.npaths = 0;
	}
	if (r.npaths > 1) {
		for (unsigned k = 0; k < r.npaths; k++) {
			if ((rc = f->gw_iface(&r.paths[k].gw, r.paths[k].iface)) < 0)
				return rc;
			r.paths[k].iface = (uint16_t)rc;
		}
		r.iface = 0;
	} else if (r.type == RT_UNICAST) {
		if (!addr_is_zero(&r.gw)) {
			if ((rc = f->gw_iface(&r.gw, r.iface)) < 0)
				return rc;
			r.iface = (uint16_t)rc;
		} else if (r.iface == RT_ANY_IFACE) {
			rs_err_set("a unicast route needs via GW or dev NAME");
			return -EINVAL;
		}
	} else {
		r.iface = 0;
	}
	return f->add(&r, replace);
}

static inline __attribute__((always_inline)) int
route_cmd(struct cmd_ctx *ctx, const struct route_fam *f, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1))
		return route_show(ctx, f, argc ? argc - 1 : 0, argv + 1);
	if (cmd_is(argv[0], "get", 1))
		return route_get(ctx, f, argc - 1, argv + 1);
	if (cmd_is(argv[0], "add", 1))
		return route_change(f, argc - 1, argv + 1, true, false);
	if (cmd_is(argv[0], "replace", 3))
		return route_change(f, argc - 1, argv + 1, true, true);
	if (cmd_is(argv[0], "del", 1) || cmd_is(argv[0], "delete", 1))
		return route_change(f, argc - 1, argv + 1, false, false);
	rs_err_set("unknown route command \"%s\" (show, get, add, replace, del)", argv[0]);
	return -EINVAL;
}

int cmd_route(struct cmd_ctx *ctx, int argc, char **argv)
{
	/* IPv6: "route -6 ...", "route show -6", or an IPv6 address in the words */
	bool v6 = false;
	if (argc >= 1 && strcmp(argv[0], "-6") == 0) {
		argc--, argv++;
		v6 = true;
	}
	for (int a = 0; a < argc && !v6; a++)
		v6 = strcmp(argv[a], "-6") == 0 || (a > 0 && cmd_is_ip6(argv[a]));
	if (v6) {
		int n = 0;
		for (int a = 0; a < argc; a++)
			if (strcmp(argv[a], "-6") != 0)
				argv[n++] = argv[a];
		argc = n;
	}
	/* each family's calls name its route_fam (see route_change) */
	return v6 ? route_cmd(ctx, &fam6, argc, argv) : route_cmd(ctx, &fam4, argc, argv);
}
