/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl route for IPv6 (iproute2's "ip -6 route" syntax):
 *   route -6 show [all] | get X:X::X | add|replace|del PREFIX [via GW] [dev NAME]
 *   [metric N] | add blackhole|unreachable|prohibit PREFIX
 *   | add PREFIX nexthop via GW [dev NAME] nexthop via GW ...
 * cmd_route sends here any command with -6 or whose words hold an IPv6
 * address. A link-local gateway needs "dev NAME" (it names no link by
 * itself, RFC 4007).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "route/fib6.h"
#include "util/rs_addr.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"

static const char *type_name[] = {
	[RT_UNICAST] = "unicast", [RT_LOCAL] = "local", [RT_BROADCAST] = "broadcast",
	[RT_BLACKHOLE] = "blackhole", [RT_UNREACHABLE] = "unreachable",
	[RT_PROHIBIT] = "prohibit",
};

static void fmt6(const uint8_t a[16], char *out, size_t n)
{
	struct rs_ip ip = rs_ip_from6(a);
	rs_ip_str(&ip, out, n);
}

struct show6 {
	struct cmd_ctx *ctx;
	bool all;
};

static void show_route6(struct cmd_ctx *ctx, const struct route6 *r, bool installed)
{
	const struct rs_cfg *c = rs_cfg_current();
	char pfx[64], gw[64];
	fmt6(r->prefix, pfx, sizeof(pfx));
	if (r->plen == 0)
		snprintf(pfx, sizeof(pfx), "default");
	else
		snprintf(pfx + strlen(pfx), sizeof(pfx) - strlen(pfx), "/%u", r->plen);
	fmt6(r->gw, gw, sizeof(gw));
	bool has_gw = !ip6_is_unspec(r->gw) && r->npaths <= 1;
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
				fmt6(r->paths[k].gw, g, sizeof(g));
				rs_json_obj_open(ctx->out);
				rs_json_kstr(ctx->out, "gateway", g);
				rs_json_kstr(ctx->out, "dev", c->ifaces[r->paths[k].iface].name);
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
	rs_buf_printf(ctx->out, " proto %s metric %u%s\n", proto, r->metric,
		      installed ? "" : " linkdown");
	for (unsigned k = 0; r->npaths > 1 && k < r->npaths; k++) {
		char g[64];
		fmt6(r->paths[k].gw, g, sizeof(g));
		rs_buf_printf(ctx->out, "\tnexthop via %s dev %s\n", g,
			      c->ifaces[r->paths[k].iface].name);
	}
}

static void show_cb(void *arg, const struct route6 *r, bool installed)
{
	struct show6 *s = arg;
	if (!s->all && r->type == RT_LOCAL)
		return;
	show_route6(s->ctx, r, installed);
}

static int parse_addr6(const char *s, uint8_t a[16])
{
	uint8_t plen;
	if (strchr(s, '/') != NULL || cmd_parse_prefix6(s, a, &plen) < 0) {
		rs_err_set("invalid IPv6 address \"%s\"", s);
		return -EINVAL;
	}
	return 0;
}

/* The link through which gw is on-link (a connected route), checked
 * against a link the user named; a link-local gateway is on the named link. */
static int gw_iface6(const uint8_t gw[16], uint16_t want)
{
	char g[64];
	fmt6(gw, g, sizeof(g));
	if (ip6_is_linklocal(gw)) {
		if (want == FIB6_ANY_IFACE) {
			rs_err_set("link-local gateway %s needs dev NAME", g);
			return -EINVAL;
		}
		return want;
	}
	uint32_t nhi = fib6_lookup(gw);
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

static int route6_change(int argc, char **argv, bool add, bool replace)
{
	struct route6 r = { .type = RT_UNICAST, .proto = RTPROT_STATIC, .iface = FIB6_ANY_IFACE,
			    .metric = 1024 };
	struct fib6_path paths[FIB6_ECMP_MAX];
	bool has_pfx = false, has_metric = false, has_type = false;
	int rc;
	for (int a = 0; a < argc; a++) {
		if (strcmp(argv[a], "nexthop") == 0) {
			if (r.npaths == FIB6_ECMP_MAX) {
				rs_err_set("at most %d nexthops", FIB6_ECMP_MAX);
				return -EINVAL;
			}
			struct fib6_path *pa = &paths[r.npaths];
			memset(pa, 0, sizeof(*pa));
			pa->iface = FIB6_ANY_IFACE;
			while (a + 2 < argc) {
				if (strcmp(argv[a + 1], "via") == 0) {
					if (parse_addr6(argv[a + 2], pa->gw) < 0)
						return -EINVAL;
				} else if (cmd_is(argv[a + 1], "dev", 1)) {
					if ((rc = cmd_iface(argv[a + 2])) < 0)
						return rc;
					pa->iface = (uint16_t)rc;
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
			if (ip6_is_unspec(pa->gw)) {
				rs_err_set("nexthop needs via GW");
				return -EINVAL;
			}
			r.npaths++;
		} else if (strcmp(argv[a], "via") == 0 && a + 1 < argc) {
			if (parse_addr6(argv[++a], r.gw) < 0)
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
			if (cmd_parse_prefix6(argv[a], r.prefix, &r.plen) < 0)
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
	ip6_prefix_mask(r.prefix, r.plen);
	if (r.npaths && (!ip6_is_unspec(r.gw) || r.type != RT_UNICAST)) {
		rs_err_set("nexthop cannot be combined with via or a route type");
		return -EINVAL;
	}
	if (!add) {
		rc = fib6_route_del(r.prefix, r.plen, has_metric ? (int64_t)r.metric : -1,
				    has_type ? r.type : -1, r.iface, r.gw);
		if (rc < 0) {
			rs_err_set("no such route");
			return -ESRCH;
		}
		return 0;
	}
	if (r.npaths == 1) {
		memcpy(r.gw, paths[0].gw, 16);
		r.iface = paths[0].iface;
		r.npaths = 0;
	}
	if (r.npaths > 1) {
		for (unsigned k = 0; k < r.npaths; k++) {
			if ((rc = gw_iface6(paths[k].gw, paths[k].iface)) < 0)
				return rc;
			paths[k].iface = (uint16_t)rc;
		}
		r.paths = paths;
		r.iface = 0;
	} else if (r.type == RT_UNICAST) {
		if (!ip6_is_unspec(r.gw)) {
			if ((rc = gw_iface6(r.gw, r.iface)) < 0)
				return rc;
			r.iface = (uint16_t)rc;
		} else if (r.iface == FIB6_ANY_IFACE) {
			rs_err_set("a unicast route needs via GW or dev NAME");
			return -EINVAL;
		}
	} else {
		r.iface = 0;
	}
	return fib6_route_add(&r, replace);
}

int cmd_route6(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1)) {
		struct show6 s = { ctx, false };
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], "all") == 0 || strcmp(argv[a], "local") == 0)
				s.all = true;
		if (ctx->json)
			rs_json_arr_open(ctx->out);
		fib6_foreach(show_cb, &s);
		if (ctx->json)
			rs_json_arr_close(ctx->out);
		return 0;
	}
	if (cmd_is(argv[0], "get", 1)) {
		uint8_t dst[16];
		if (argc < 2 || parse_addr6(argv[1], dst) < 0) {
			rs_err_set("usage: route get X:X::X");
			return -EINVAL;
		}
		struct route6 r;
		if (fib6_route_get(dst, &r) < 0) {
			rs_err_set("no route to %s", argv[1]);
			return -ENETUNREACH;
		}
		/* what the trie holds must be what the store says */
		uint32_t nh = fib6_lookup(dst);
		if (nh != r.nh) {
			rs_err_set("FIB6 inconsistent for %s (trie %u, store %u)", argv[1], nh, r.nh);
			return -EIO;
		}
		show_route6(ctx, &r, true);
		return 0;
	}
	if (cmd_is(argv[0], "add", 1))
		return route6_change(argc - 1, argv + 1, true, false);
	if (cmd_is(argv[0], "replace", 3))
		return route6_change(argc - 1, argv + 1, true, true);
	if (cmd_is(argv[0], "del", 1) || cmd_is(argv[0], "delete", 1))
		return route6_change(argc - 1, argv + 1, false, false);
	rs_err_set("unknown route command \"%s\" (show, get, add, replace, del)", argv[0]);
	return -EINVAL;
}
