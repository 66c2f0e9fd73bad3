/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl route show | get A | add|replace PREFIX [via GW] [dev NAME] [metric N]
 *                   | add blackhole|unreachable|prohibit PREFIX | del PREFIX [...]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "route/fib4.h"
#include "util/rs_log.h"
#include "wire/wire.h"

static const char *type_name[] = {
	[RT_UNICAST] = "unicast", [RT_LOCAL] = "local", [RT_BROADCAST] = "broadcast",
	[RT_BLACKHOLE] = "blackhole", [RT_UNREACHABLE] = "unreachable",
	[RT_PROHIBIT] = "prohibit",
};

struct show_ctx {
	struct cmd_ctx *ctx;
	bool all; /* include local and broadcast routes (the "local table") */
};

static void show_route(struct cmd_ctx *ctx, const struct route4 *r, bool installed)
{
	const struct rs_cfg *c = rs_cfg_current();
	char pfx[24], gw[16];
	cmd_fmt_ip4(r->prefix, pfx);
	if (r->plen == 0)
		snprintf(pfx, sizeof(pfx), "default");
	else if (r->plen != 32 || r->type == RT_UNICAST)
		snprintf(pfx + strlen(pfx), sizeof(pfx) - strlen(pfx), "/%u", r->plen);
	cmd_fmt_ip4(r->gw, gw);
	const char *dev = r->type <= RT_BROADCAST && c->ifaces[r->iface].present
				  ? c->ifaces[r->iface].name : NULL;
	const char *proto = r->proto == RTPROT_KERNEL ? "kernel" : "static";
	if (r->npaths > 1)
		dev = NULL;
	if (ctx->json) {
		rs_json_obj_open(ctx->out);
		rs_json_kstr(ctx->out, "type", type_name[r->type]);
		rs_json_kstr(ctx->out, "dst", pfx);
		if (r->gw && r->npaths <= 1)
			rs_json_kstr(ctx->out, "gateway", gw);
		if (dev)
			rs_json_kstr(ctx->out, "dev", dev);
		if (r->npaths > 1) {
			rs_json_key(ctx->out, "nexthops");
			rs_json_arr_open(ctx->out);
			for (unsigned k = 0; k < r->npaths; k++) {
				char g[16];
				cmd_fmt_ip4(r->paths[k].gw, g);
				rs_json_obj_open(ctx->out);
				rs_json_kstr(ctx->out, "gateway", g);
				rs_json_kstr(ctx->out, "dev", c->ifaces[r->paths[k].iface].name);
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
	if (r->gw && r->npaths <= 1)
		rs_buf_printf(ctx->out, " via %s", gw);
	if (dev)
		rs_buf_printf(ctx->out, " dev %s", dev);
	rs_buf_printf(ctx->out, " proto %s", proto);
	if (r->type == RT_UNICAST && !r->gw)
		rs_buf_printf(ctx->out, " scope link");
	if (r->metric)
		rs_buf_printf(ctx->out, " metric %u", r->metric);
	if (!installed)
		rs_buf_printf(ctx->out, " linkdown");
	rs_buf_printf(ctx->out, "\n");
	for (unsigned k = 0; r->npaths > 1 && k < r->npaths; k++) {
		char g[16];
		cmd_fmt_ip4(r->paths[k].gw, g);
		rs_buf_printf(ctx->out, "\tnexthop via %s dev %s%s\n", g,
			      c->ifaces[r->paths[k].iface].name,
			      c->ifaces[r->paths[k].iface].up ? "" : " linkdown");
	}
}

static void show_cb(void *arg, const struct route4 *r, bool installed)
{
	struct show_ctx *s = arg;
	if (!s->all && (r->type == RT_LOCAL || r->type == RT_BROADCAST))
		return;
	show_route(s->ctx, r, installed);
}

static int route_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct show_ctx s = { ctx, false };
	if (argc >= 1 && (strcmp(argv[0], "all") == 0 ||
			  (strcmp(argv[0], "table") == 0 && argc >= 2 &&
			   (strcmp(argv[1], "all") == 0 || strcmp(argv[1], "local") == 0))))
		s.all = true;
	if (ctx->json)
		rs_json_arr_open(ctx->out);
	fib4_foreach(show_cb, &s);
	if (ctx->json)
		rs_json_arr_close(ctx->out);
	return 0;
}

static int route_get(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint32_t dst;
	if (argc < 1 || cmd_parse_ip4(argv[0], &dst) < 0) {
		rs_err_set("usage: route get A.B.C.D");
		return -EINVAL;
	}
	struct route4 r;
	if (fib4_route_get(dst, &r) < 0) {
		rs_err_set("no route to %s", argv[0]);
		return -ENETUNREACH;
	}
	/* the route that the LPM holds must be the one the store says */
	uint32_t nh = fib4_lookup(dst);
	if (nh != r.nh) {
		rs_err_set("FIB inconsistent for %s (lpm %u, store %u)", argv[0], nh, r.nh);
		return -EIO;
	}
	show_route(ctx, &r, true);
	return 0;
}

/* The link through which gw is on-link (a connected route), checked
 * against a link the user named. */
static int gw_iface(uint32_t gw, uint16_t want)
{
	char g[16]; /* formatted for an error only (snprintf per route showed
		     * in the profile of a million-route batch) */
	/* one LPM lookup: the installed route to gw must be a connected one */
	uint32_t nhi = fib4_lookup(gw);
	const struct rs_nh *nh = nhi == FIB4_NH_NONE ? NULL : fib4_nh(nhi);
	if (nh == NULL || nh->type != RT_UNICAST || nh->gw != 0) {
		cmd_fmt_ip4(gw, g);
		rs_err_set("gateway %s is not on a connected subnet", g);
		return -ENETUNREACH;
	}
	if (want != FIB4_ANY_IFACE && want != nh->iface) {
		cmd_fmt_ip4(gw, g);
		rs_err_set("gateway %s is not reachable through %s", g,
			   rs_cfg_current()->ifaces[want].name);
		return -ENETUNREACH;
	}
	return nh->iface;
}

static int route_change(int argc, char **argv, bool add, bool replace)
{
	struct route4 r = { .type = RT_UNICAST, .proto = RTPROT_STATIC, .iface = FIB4_ANY_IFACE };
	struct fib4_path paths[FIB4_ECMP_MAX];
	bool has_pfx = false, has_metric = false, has_type = false;
	int rc;
	for (int a = 0; a < argc; a++) {
		if (strcmp(argv[a], "nexthop") == 0) {
			/* nexthop via GW [dev NAME] [weight 1] */
			if (r.npaths == FIB4_ECMP_MAX) {
				rs_err_set("at most %d nexthops", FIB4_ECMP_MAX);
				return -EINVAL;
			}
			struct fib4_path *pa = &paths[r.npaths];
			pa->gw = 0;
			pa->iface = FIB4_ANY_IFACE;
			while (a + 2 < argc + 1 && a + 1 < argc) {
				if (strcmp(argv[a + 1], "via") == 0 && a + 2 < argc) {
					if (cmd_parse_ip4(argv[a + 2], &pa->gw) < 0)
						return -EINVAL;
				} else if (cmd_is(argv[a + 1], "dev", 1) && a + 2 < argc) {
					if ((rc = cmd_iface(argv[a + 2])) < 0)
						return rc;
					pa->iface = (uint16_t)rc;
				} else if (strcmp(argv[a + 1], "weight") == 0 && a + 2 < argc) {
					if (strcmp(argv[a + 2], "1") != 0) {
						rs_err_set("only equal weights are supported");
						return -EINVAL;
					}
				} else {
					break;
				}
				a += 2;
			}
			if (pa->gw == 0) {
				rs_err_set("nexthop needs via GW");
				return -EINVAL;
			}
			r.npaths++;
		} else if (strcmp(argv[a], "via") == 0 && a + 1 < argc) {
			if (cmd_parse_ip4(argv[++a], &r.gw) < 0)
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
			r.type = argv[a][0] == 'b' ? RT_BLACKHOLE : argv[a][0] == 'u' && argv[a][2] == 'r'
				 ? RT_UNREACHABLE : argv[a][0] == 'p' ? RT_PROHIBIT : RT_UNICAST;
			has_type = true;
		} else if (!has_pfx) {
			if (cmd_parse_prefix4(argv[a], &r.prefix, &r.plen) < 0)
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
	r.prefix &= ip4_mask(r.plen);
	if (r.npaths && (r.gw || r.type != RT_UNICAST)) {
		rs_err_set("nexthop cannot be combined with via or a route type");
		return -EINVAL;
	}
	if (!add) {
		rc = fib4_route_del(r.prefix, r.plen, has_metric ? (int64_t)r.metric : -1,
				    has_type ? r.type : -1, r.iface, r.gw);
		if (rc < 0) {
			rs_err_set("no such route");
			return -ESRCH;
		}
		return 0;
	}
	if (r.npaths == 1) {
		/* one nexthop is a plain route */
		r.gw = paths[0].gw;
		r.iface = paths[0].iface;
		r.npaths = 0;
	}
	if (r.npaths > 1) {
		for (unsigned k = 0; k < r.npaths; k++) {
			if ((rc = gw_iface(paths[k].gw, paths[k].iface)) < 0)
				return rc;
			paths[k].iface = (uint16_t)rc;
		}
		r.paths = paths;
		r.iface = 0;
	} else if (r.type == RT_UNICAST) {
		if (r.gw) {
			if ((rc = gw_iface(r.gw, r.iface)) < 0)
				return rc;
			r.iface = (uint16_t)rc;
		} else if (r.iface == FIB4_ANY_IFACE) {
			rs_err_set("a unicast route needs via GW or dev NAME");
			return -EINVAL;
		}
	} else {
		r.iface = 0;
	}
	return fib4_route_add(&r, replace);
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
		return cmd_route6(ctx, n, argv);
	}
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1))
		return route_show(ctx, argc ? argc - 1 : 0, argv + 1);
	if (cmd_is(argv[0], "get", 1))
		return route_get(ctx, argc - 1, argv + 1);
	if (cmd_is(argv[0], "add", 1))
		return route_change(argc - 1, argv + 1, true, false);
	if (cmd_is(argv[0], "replace", 3))
		return route_change(argc - 1, argv + 1, true, true);
	if (cmd_is(argv[0], "del", 1) || cmd_is(argv[0], "delete", 1))
		return route_change(argc - 1, argv + 1, false, false);
	rs_err_set("unknown route command \"%s\" (show, get, add, replace, del)", argv[0]);
	return -EINVAL;
}
