/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl addr add|del A.B.C.D/LEN|X:X::X/LEN dev NAME | show [dev NAME] | flush dev NAME
 *
 * An address brings its routes, as on Linux: local A/32, the connected
 * subnet, and the subnet broadcast (for prefixes shorter than /31). Adding
 * one announces it with a gratuitous ARP (RFC 5227 §3).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "ctl/cmd.h"
#include "ip6/ip6.h"
#include "route/fib4.h"
#include "util/rs_log.h"
#include "wire/wire.h"

static int parse(int argc, char **argv, uint32_t *ip, uint8_t *plen, int *iface)
{
	if (argc != 3 || !cmd_is(argv[1], "dev", 1)) {
		rs_err_set("usage: addr add|del A.B.C.D/LEN dev NAME");
		return -EINVAL;
	}
	int rc = cmd_parse_prefix4(argv[0], ip, plen);
	if (rc < 0)
		return rc;
	if ((*iface = cmd_iface(argv[2])) < 0)
		return *iface;
	return 0;
}

/* does another address of iface cover the same subnet? */
static bool subnet_shared(const struct rs_iface *ifc, uint32_t ip, uint8_t plen)
{
	for (unsigned i = 0; i < ifc->naddrs; i++) {
		const struct rs_addr4 *a = &ifc->addrs[i];
		if (a->ip != ip && a->plen == plen && ((a->ip ^ ip) & ip4_mask(plen)) == 0)
			return true;
	}
	return false;
}

static void del_routes(uint16_t iface, uint32_t ip, uint8_t plen, bool shared)
{
	fib4_route_del(ip, 32, -1, RT_LOCAL, iface, 0);
	if (!shared) {
		fib4_route_del(ip & ip4_mask(plen), plen, -1,
			       iface == RS_LO_IFACE ? RT_LOCAL : RT_UNICAST, iface, 0);
		if (plen < 31)
			fib4_route_del(ip4_bcast_of(ip, plen), 32, -1, RT_BROADCAST, iface, 0);
	}
}

/* ringctl addr add|del X:X::X/LEN dev NAME (iproute2's syntax, IPv6) */
static int addr6(int argc, char **argv, bool add)
{
	uint8_t ip[16], plen;
	int i, rc;
	if (argc != 3 || !cmd_is(argv[1], "dev", 1)) {
		rs_err_set("usage: addr add|del X:X::X/LEN dev NAME");
		return -EINVAL;
	}
	if ((rc = cmd_parse_prefix6(argv[0], ip, &plen)) < 0)
		return rc;
	if ((i = cmd_iface(argv[2])) < 0)
		return i;
	return add ? ip6_addr_add((uint16_t)i, ip, plen, 0) : ip6_addr_del((uint16_t)i, ip, plen);
}

static int addr_add(int argc, char **argv)
{
	uint32_t ip;
	uint8_t plen;
	int i, rc;
	if (argc >= 1 && cmd_is_ip6(argv[0]))
		return addr6(argc, argv, true);
	if ((rc = parse(argc, argv, &ip, &plen, &i)) < 0)
		return rc;
	const struct rs_cfg *cur = rs_cfg_current();
	bool lo = cur->ifaces[i].loopback;
	/* 127.0.0.0/8 belongs on lo, and only there (RFC 1122 §3.2.1.3) */
	bool loopnet = (ip >> 24) == 127;
	if (lo != loopnet) {
		rs_err_set(lo ? "lo takes 127.0.0.0/8 addresses only"
			      : "%s is a loopback address: it belongs on lo", argv[0]);
		return -EINVAL;
	}
	if ((!loopnet && ip4_src_is_martian(ip)) || ip4_is_bcast_all(ip) || plen == 0) {
		rs_err_set("%s cannot be a host address", argv[0]);
		return -EINVAL;
	}
	if (plen < 31 && (ip == ip4_bcast_of(ip, plen) || ip == (ip & ip4_mask(plen)))) {
		rs_err_set("%s is the network or broadcast address of its subnet", argv[0]);
		return -EINVAL;
	}
	for (unsigned l = 0; l < RS_MAX_IFACES; l++)
		if (cur->ifaces[l].present && rs_iface_has_addr(&cur->ifaces[l], ip)) {
			rs_err_set("%s is already assigned to %s", argv[0], cur->ifaces[l].name);
			return -EEXIST;
		}
	const struct rs_iface *ifc = &cur->ifaces[i];
	if (ifc->naddrs >= RS_MAX_ADDRS) {
		rs_err_set("%s has %d addresses already", ifc->name, RS_MAX_ADDRS);
		return -ENOSPC;
	}
	bool shared = subnet_shared(ifc, ip, plen);
	struct route4 r = { .plen = 32, .type = RT_LOCAL, .proto = RTPROT_KERNEL,
			    .iface = (uint16_t)i, .prefix = ip };
	if ((rc = fib4_route_add(&r, true)) < 0)
		goto fail;
	if (!shared) {
		/* on lo the whole prefix is local, as Linux's "local
		 * 127.0.0.0/8 dev lo" */
		r = (struct route4){ .prefix = ip & ip4_mask(plen), .plen = plen,
				     .type = lo ? RT_LOCAL : RT_UNICAST,
				     .proto = RTPROT_KERNEL, .iface = (uint16_t)i };
		/* connected routes rank before static ones of the same prefix */
		if ((rc = fib4_route_add(&r, true)) < 0)
			goto fail;
		if (plen < 31 && !lo) {
			r = (struct route4){ .prefix = ip4_bcast_of(ip, plen), .plen = 32,
					     .type = RT_BROADCAST, .proto = RTPROT_KERNEL,
					     .iface = (uint16_t)i };
			if ((rc = fib4_route_add(&r, true)) < 0)
				goto fail;
		}
	}
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	struct rs_iface *e = &c->ifaces[i];
	e->addrs[e->naddrs].ip = ip;
	e->addrs[e->naddrs].plen = plen;
	e->naddrs++;
	/* publish before announcing: the announcement may draw replies */
	rs_cfg_commit();
	if (!lo)
		neigh_ctl_announce((uint16_t)i, ip);
	return 0;
fail:
	del_routes((uint16_t)i, ip, plen, shared);
	return rc;
}

static int addr_del(int argc, char **argv)
{
	uint32_t ip;
	uint8_t plen;
	int i, rc;
	if (argc >= 1 && cmd_is_ip6(argv[0]))
		return addr6(argc, argv, false);
	if ((rc = parse(argc, argv, &ip, &plen, &i)) < 0)
		return rc;
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	struct rs_iface *e = &c->ifaces[i];
	for (unsigned a = 0; a < e->naddrs; a++) {
		if (e->addrs[a].ip != ip || e->addrs[a].plen != plen)
			continue;
		bool shared = subnet_shared(e, ip, plen);
		memmove(&e->addrs[a], &e->addrs[a + 1], (e->naddrs - a - 1) * sizeof(e->addrs[0]));
		e->naddrs--;
		del_routes((uint16_t)i, ip, plen, shared);
		return 0;
	}
	rs_err_set("%s is not assigned to %s", argv[0], e->name);
	return -EADDRNOTAVAIL;
}

static int addr_flush(int argc, char **argv)
{
	if (argc != 2 || !cmd_is(argv[0], "dev", 1)) {
		rs_err_set("usage: addr flush dev NAME");
		return -EINVAL;
	}
	int i = cmd_iface(argv[1]);
	if (i < 0)
		return i;
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	struct rs_iface *e = &c->ifaces[i];
	while (e->naddrs) {
		struct rs_addr4 a = e->addrs[--e->naddrs];
		del_routes((uint16_t)i, a.ip, a.plen, subnet_shared(e, a.ip, a.plen));
	}
	rs_cfg_commit();
	/* the addresses the stack made (link-local, ::1) stay: Linux's flush
	 * removes them too and leaves the link without IPv6 until it is
	 * re-enabled (docs/divergences.md) */
	ip6_addr_flush((uint16_t)i, false);
	return 0;
}

static int addr_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	int only = -1;
	if (argc >= 2 && cmd_is(argv[0], "dev", 1)) {
		if ((only = cmd_iface(argv[1])) < 0)
			return only;
	} else if (argc == 1) {
		if ((only = cmd_iface(argv[0])) < 0)
			return only;
	}
	const struct rs_cfg *c = rs_cfg_current();
	if (ctx->json)
		rs_json_arr_open(ctx->out);
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		const struct rs_iface *ifc = &c->ifaces[i];
		if (!ifc->present || (only >= 0 && only != (int)i))
			continue;
		if (ctx->json) {
			rs_json_obj_open(ctx->out);
			rs_json_ku64(ctx->out, "index", i);
			rs_json_kstr(ctx->out, "dev", ifc->name);
			rs_json_key(ctx->out, "addrs");
			rs_json_arr_open(ctx->out);
		} else {
			rs_buf_printf(ctx->out, "%u: %s: <%s> mtu %u\n", i, ifc->name,
				      ifc->up ? "UP" : "DOWN", ifc->mtu);
		}
		for (unsigned a = 0; a < ifc->naddrs; a++) {
			char ip[16], brd[16];
			cmd_fmt_ip4(ifc->addrs[a].ip, ip);
			cmd_fmt_ip4(ip4_bcast_of(ifc->addrs[a].ip, ifc->addrs[a].plen), brd);
			if (ctx->json) {
				rs_json_obj_open(ctx->out);
				rs_json_kstr(ctx->out, "family", "inet");
				rs_json_kstr(ctx->out, "local", ip);
				rs_json_ku64(ctx->out, "prefixlen", ifc->addrs[a].plen);
				if (ifc->addrs[a].plen < 31)
					rs_json_kstr(ctx->out, "broadcast", brd);
				rs_json_obj_close(ctx->out);
			} else {
				rs_buf_printf(ctx->out, "    inet %s/%u", ip, ifc->addrs[a].plen);
				if (ifc->addrs[a].plen < 31)
					rs_buf_printf(ctx->out, " brd %s", brd);
				rs_buf_printf(ctx->out, "\n");
			}
		}
		for (unsigned a = 0; a < ifc->naddrs6 && a < RS_MAX_ADDRS6; a++) {
			const struct rs_addr6 *x = &ifc->addrs6[a];
			char ip[64];
			struct rs_ip r = rs_ip_from6(x->ip);
			rs_ip_str(&r, ip, sizeof(ip));
			const char *scope = ifc->loopback ? "host"
					    : ip6_is_linklocal(x->ip) ? "link" : "global";
			if (ctx->json) {
				rs_json_obj_open(ctx->out);
				rs_json_kstr(ctx->out, "family", "inet6");
				rs_json_kstr(ctx->out, "local", ip);
				rs_json_ku64(ctx->out, "prefixlen", x->plen);
				rs_json_kstr(ctx->out, "scope", scope);
				if (x->flags & RS_A6_TENTATIVE)
					rs_json_kbool(ctx->out, "tentative", true);
				if (x->flags & RS_A6_DADFAILED)
					rs_json_kbool(ctx->out, "dadfailed", true);
				rs_json_obj_close(ctx->out);
			} else {
				rs_buf_printf(ctx->out, "    inet6 %s/%u scope %s%s%s\n", ip, x->plen,
					      scope, x->flags & RS_A6_TENTATIVE ? " tentative" : "",
					      x->flags & RS_A6_DADFAILED ? " dadfailed" : "");
			}
		}
		if (ctx->json) {
			rs_json_arr_close(ctx->out);
			rs_json_obj_close(ctx->out);
		}
	}
	if (ctx->json)
		rs_json_arr_close(ctx->out);
	return 0;
}

int cmd_addr(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1))
		return addr_show(ctx, argc ? argc - 1 : 0, argv + 1);
	if (cmd_is(argv[0], "add", 1))
		return addr_add(argc - 1, argv + 1);
	if (cmd_is(argv[0], "del", 1) || cmd_is(argv[0], "delete", 1))
		return addr_del(argc - 1, argv + 1);
	if (cmd_is(argv[0], "flush", 1))
		return addr_flush(argc - 1, argv + 1);
	rs_err_set("unknown addr command \"%s\" (add, del, show, flush)", argv[0]);
	return -EINVAL;
}
