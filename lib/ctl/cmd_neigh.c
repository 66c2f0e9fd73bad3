/* SPDX-License-Identifier: BSD-3-Clause */
/* ringctl neigh show [dev NAME] | add A lladdr MAC dev NAME | del A dev NAME | flush [dev NAME]
 * (A: IPv4 or IPv6) */
#include <errno.h>
#include <string.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "ctl/cmd.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"
#include "wire/wire.h"

/* Parses "[A] [lladdr MAC] [dev NAME]" in any order. */
static int parse(int argc, char **argv, struct rs_ip *ip, bool *has_ip, uint8_t mac[6],
		 bool *has_mac, int *iface)
{
	*has_ip = *has_mac = false;
	*iface = -1;
	for (int a = 0; a < argc; a++) {
		if (cmd_is(argv[a], "dev", 1) && a + 1 < argc) {
			if ((*iface = cmd_iface(argv[++a])) < 0)
				return *iface;
		} else if (cmd_is(argv[a], "lladdr", 1) && a + 1 < argc) {
			if (cmd_parse_mac(argv[++a], mac) < 0)
				return -EINVAL;
			*has_mac = true;
		} else if (strcmp(argv[a], "nud") == 0 && a + 1 < argc) {
			if (strcmp(argv[++a], "permanent") != 0) {
				rs_err_set("only nud permanent entries can be added");
				return -EINVAL;
			}
		} else if (!*has_ip && cmd_is_ip6(argv[a])) {
			uint8_t a6[16], plen;
			if (strchr(argv[a], '/') != NULL || cmd_parse_prefix6(argv[a], a6, &plen) < 0) {
				rs_err_set("invalid IPv6 address \"%s\"", argv[a]);
				return -EINVAL;
			}
			*ip = rs_ip_from6(a6);
			*has_ip = true;
		} else if (!*has_ip) {
			uint32_t v4;
			if (cmd_parse_ip4(argv[a], &v4) < 0)
				return -EINVAL;
			*ip = rs_ip_from4(v4);
			*has_ip = true;
		} else {
			rs_err_set("unexpected \"%s\"", argv[a]);
			return -EINVAL;
		}
	}
	return 0;
}

int cmd_neigh(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rs_ip ip = rs_ip_from4(0);
	uint8_t mac[6];
	bool has_ip, has_mac;
	int iface, rc;
	const char *verb = argc ? argv[0] : "show";

	if (argc)
		argc--, argv++;
	if ((rc = parse(argc, argv, &ip, &has_ip, mac, &has_mac, &iface)) < 0)
		return rc;
	if (cmd_is(verb, "show", 1) || cmd_is(verb, "list", 1)) {
		neigh_ctl_show(ctx->out, ctx->json, iface);
		return 0;
	}
	if (cmd_is(verb, "add", 1) || cmd_is(verb, "replace", 3)) {
		if (!has_ip || !has_mac || iface < 0) {
			rs_err_set("usage: neigh add A.B.C.D lladdr MAC dev NAME");
			return -EINVAL;
		}
		bool bad = rs_ip_is4(&ip) ? ip4_src_is_martian(rs_ip_v4(&ip)) ||
						     ip4_is_bcast_all(rs_ip_v4(&ip))
					  : ip6_is_mcast(ip.b) || ip6_is_unspec(ip.b) ||
						     ip6_is_loopback(ip.b);
		if (eth_is_mcast(mac) || bad) {
			rs_err_set("invalid neighbor");
			return -EINVAL;
		}
		return neigh_ctl_add((uint16_t)iface, ip, mac);
	}
	if (cmd_is(verb, "del", 1) || cmd_is(verb, "delete", 1)) {
		if (!has_ip || iface < 0) {
			rs_err_set("usage: neigh del A.B.C.D dev NAME");
			return -EINVAL;
		}
		if (neigh_ctl_del((uint16_t)iface, ip) < 0) {
			rs_err_set("no neighbor %s on %s", argv[0], rs_cfg_current()->ifaces[iface].name);
			return -ENOENT;
		}
		return 0;
	}
	if (cmd_is(verb, "flush", 1)) {
		neigh_ctl_flush(iface < 0 ? NEIGH_ANY_IFACE : (uint16_t)iface, false);
		return 0;
	}
	rs_err_set("unknown neigh command \"%s\" (show, add, del, flush)", verb);
	return -EINVAL;
}
