/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl link show | set NAME [up|down] [mtu N] [forwarding on|off]
 *                   | set NAME impair off | loss P% delay MS ... (util/impair.h)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "arp/neigh_ctl.h"

#include "core/dp.h"
#include "eth/impair_dp.h"
#include "ctl/cmd.h"
#include "route/fib4.h"
#include "route/fib6.h"
#include "util/rs_log.h"

static const char *const impair_dir_name[RS_IMPAIR_NDIR] = { "in", "out" };

/* The impairment of each direction (text: those that are on). */
static void show_impair(struct cmd_ctx *ctx, const struct rs_iface *ifc)
{
	if (ctx->json) {
		rs_json_key(ctx->out, "impair");
		rs_json_obj_open(ctx->out);
	}
	for (unsigned d = 0; d < RS_IMPAIR_NDIR; d++) {
		const struct rs_impair *p = &ifc->impair[d];
		struct rs_impair_stats s;
		char params[256];
		impair_stats_sum(ifc->port, d, &s);
		rs_impair_format(p, params, sizeof(params));
		if (ctx->json) {
			rs_json_key(ctx->out, impair_dir_name[d]);
			rs_json_obj_open(ctx->out);
			rs_json_kbool(ctx->out, "on", p->on);
			rs_json_kstr(ctx->out, "params", params);
			rs_json_ku64(ctx->out, "loss_ppm", p->loss_ppm);
			rs_json_ku64(ctx->out, "delay_us", p->delay_us);
			rs_json_ku64(ctx->out, "jitter_us", p->jitter_us);
			rs_json_ku64(ctx->out, "reorder_ppm", p->reorder_ppm);
			rs_json_ku64(ctx->out, "duplicate_ppm", p->dup_ppm);
			rs_json_ku64(ctx->out, "corrupt_ppm", p->corrupt_ppm);
			rs_json_ku64(ctx->out, "seed", p->seed);
			rs_json_ku64(ctx->out, "dropped", s.dropped);
			rs_json_ku64(ctx->out, "delayed", s.delayed);
			rs_json_ku64(ctx->out, "reordered", s.reordered);
			rs_json_ku64(ctx->out, "duplicated", s.duplicated);
			rs_json_ku64(ctx->out, "corrupted", s.corrupted);
			rs_json_ku64(ctx->out, "queue_full", s.queue_full);
			rs_json_obj_close(ctx->out);
		} else if (p->on) {
			rs_buf_printf(ctx->out, "    impair %s: %s\n", impair_dir_name[d], params);
			rs_buf_printf(ctx->out,
				      "      dropped %" PRIu64 " delayed %" PRIu64 " reordered %" PRIu64
				      " duplicated %" PRIu64 " corrupted %" PRIu64
				      " queue_full %" PRIu64 "\n",
				      s.dropped, s.delayed, s.reordered, s.duplicated, s.corrupted,
				      s.queue_full);
		}
	}
	if (ctx->json)
		rs_json_obj_close(ctx->out);
}

static void show_one(struct cmd_ctx *ctx, const struct rs_iface *ifc)
{
	struct rte_eth_link link;
	struct rte_eth_dev_info info;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	memset(&link, 0, sizeof(link));
	const char *drv = "loopback";
	if (ifc->loopback) {
		link.link_status = 1;
	} else {
		rte_eth_link_get_nowait(ifc->port, &link);
		drv = rte_eth_dev_info_get(ifc->port, &info) == 0 ? info.driver_name : "?";
	}
	rte_ether_format_addr(mac, sizeof(mac), &ifc->mac);
	const char *carrier = link.link_status ? "up" : "down";
	if (ctx->json) {
		rs_json_obj_open(ctx->out);
		rs_json_ku64(ctx->out, "index", ifc->port);
		rs_json_kstr(ctx->out, "name", ifc->name);
		rs_json_kstr(ctx->out, "admin", ifc->up ? "up" : "down");
		rs_json_kstr(ctx->out, "carrier", carrier);
		rs_json_ku64(ctx->out, "mtu", ifc->mtu);
		rs_json_kstr(ctx->out, "lladdr", mac);
		rs_json_kstr(ctx->out, "driver", drv);
		rs_json_ku64(ctx->out, "queues", ifc->nb_queues);
		rs_json_kbool(ctx->out, "forwarding", ifc->forwarding);
		rs_json_kstr(ctx->out, "forwarding_mode", ifc->fwd_mode == RS_FWD_ON ? "on"
				   : ifc->fwd_mode == RS_FWD_OFF ? "off" : "auto");
		rs_json_ku64(ctx->out, "speed_mbps", link.link_speed);
		rs_json_key(ctx->out, "offloads");
		rs_json_arr_open(ctx->out);
		if (ifc->rx_ip4_csum)
			rs_json_str(ctx->out, "rx-ipv4-cksum");
		if (ifc->tx_ip4_csum)
			rs_json_str(ctx->out, "tx-ipv4-cksum");
		if (ifc->tx_multiseg)
			rs_json_str(ctx->out, "tx-multi-segs");
		rs_json_arr_close(ctx->out);
		show_impair(ctx, ifc);
		rs_json_obj_close(ctx->out);
	} else {
		rs_buf_printf(ctx->out, "%u: %s: <%s%s> mtu %u state %s carrier %s\n", ifc->port,
			      ifc->name, ifc->up ? "UP" : "DOWN",
			      ifc->forwarding ? ",FORWARDING" : "", ifc->mtu,
			      ifc->up ? "UP" : "DOWN", carrier);
		if (ifc->loopback)
			rs_buf_printf(ctx->out, "    link/loopback\n");
		else
			rs_buf_printf(ctx->out, "    link/ether %s driver %s queues %u\n", mac, drv,
				      ifc->nb_queues);
		show_impair(ctx, ifc);
	}
}

static int link_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct rs_cfg *c = rs_cfg_current();
	int only = -1;
	if (argc >= 1) {
		const char *name = argv[0];
		if (cmd_is(argv[0], "dev", 1) && argc >= 2)
			name = argv[1];
		if ((only = cmd_iface(name)) < 0)
			return only;
	}
	if (ctx->json)
		rs_json_arr_open(ctx->out);
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		if (c->ifaces[i].present && (only < 0 || only == (int)i))
			show_one(ctx, &c->ifaces[i]);
	if (ctx->json)
		rs_json_arr_close(ctx->out);
	return 0;
}

/*
 * link set NAME impair off | [loss P%] [delay MS] [jitter MS] [reorder P%]
 * [duplicate P%] [corrupt P%] [seed N] [direction in|out|both]: replaces
 * the impairment of the direction(s) named (both by default), published
 * with the configuration; packets already held leave at their time.
 */
static int link_set_impair(int i, int argc, char **argv)
{
	if (i == RS_LO_IFACE) {
		rs_err_set("lo has no port to impair");
		return -EINVAL;
	}
	const struct rs_cfg *cur = rs_cfg_current();
	struct rs_impair p[RS_IMPAIR_NDIR];
	char err[160];
	memcpy(p, cur->ifaces[i].impair, sizeof(p));
	if (rs_impair_parse(argc, argv, p, err, sizeof(err)) < 0) {
		rs_err_set("%s", err);
		return -EINVAL;
	}
	/* a generation no earlier setting of any link had, so workers reseed
	 * even when a deleted link's id comes back */
	static uint32_t impair_gen;
	for (unsigned d = 0; d < RS_IMPAIR_NDIR; d++)
		if (p[d].gen != cur->ifaces[i].impair[d].gen)
			p[d].gen = ++impair_gen;
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	memcpy(c->ifaces[i].impair, p, sizeof(p));
	return 0;
}

static int link_set(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		rs_err_set("usage: link set NAME [up|down] [mtu N] [address MAC] [forwarding on|off|auto] | "
			   "impair off | impair [loss P%%] [delay MS] [jitter MS] [reorder P%%] "
			   "[duplicate P%%] [corrupt P%%] [seed N] [direction in|out|both]");
		return -EINVAL;
	}
	const char *name = argv[0];
	if (cmd_is(argv[0], "dev", 3) && argc >= 3) {
		name = argv[1];
		argc--;
		argv++;
	}
	int i = cmd_iface(name);
	if (i < 0)
		return i;
	if (strcmp(argv[1], "impair") == 0)
		return link_set_impair(i, argc - 2, argv + 2);
	/* parse everything first: an error changes nothing */
	int up = -1, fwd = -1;
	uint32_t mtu = 0;
	bool set_mac = false;
	uint8_t mac[6];
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "up") == 0) {
			up = 1;
		} else if (strcmp(argv[a], "down") == 0) {
			up = 0;
		} else if (strcmp(argv[a], "mtu") == 0 && a + 1 < argc) {
			/* RFC 791: every link carries 68 bytes; a plain mbuf one frame */
			if (cmd_parse_u32(argv[++a],
					  i == RS_LO_IFACE ? 65535
							   : RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN,
					  &mtu) < 0)
				return -EINVAL;
			if (mtu < 68) {
				rs_err_set("mtu %u below the IPv4 minimum of 68", mtu);
				return -EINVAL;
			}
		} else if ((strcmp(argv[a], "address") == 0 || strcmp(argv[a], "addr") == 0) &&
			   a + 1 < argc) {
			if (cmd_parse_mac(argv[++a], mac) < 0)
				return -EINVAL;
			if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
				rs_err_set("%s is not a unicast address", argv[a]);
				return -EINVAL;
			}
			set_mac = true;
		} else if (strcmp(argv[a], "forwarding") == 0 && a + 1 < argc) {
			a++;
			if (strcmp(argv[a], "on") == 0)
				fwd = RS_FWD_ON;
			else if (strcmp(argv[a], "off") == 0)
				fwd = RS_FWD_OFF;
			else if (strcmp(argv[a], "auto") == 0)
				fwd = RS_FWD_AUTO;
			else {
				rs_err_set("forwarding takes on, off or auto");
				return -EINVAL;
			}
		} else {
			rs_err_set("unknown link attribute \"%s\"", argv[a]);
			return -EINVAL;
		}
	}
	if ((set_mac || fwd >= 0) && i == RS_LO_IFACE) {
		rs_err_set("lo has no link-layer address and never forwards");
		return -EINVAL;
	}
	if (mtu && i == RS_LO_IFACE && mtu != 65535) {
		/* the loopback path does not fragment: its MTU stays the largest
		 * datagram (docs/divergences.md) */
		rs_err_set("lo's MTU is fixed at 65535");
		return -EINVAL;
	}
	if (set_mac) {
		struct rte_ether_addr ea;
		memcpy(ea.addr_bytes, mac, 6);
		int rc = rte_eth_dev_default_mac_addr_set((uint16_t)i, &ea);
		if (rc == -ENOTSUP) {
			/* the port cannot filter on it (pcap, some vdevs): take
			 * everything and let eth_input filter on the new address */
			rc = rte_eth_promiscuous_enable((uint16_t)i);
			if (rc == -ENOTSUP)
				rc = 0;
		}
		if (rc < 0) {
			rs_err_set("%s: cannot set the MAC address: %s", name, rte_strerror(-rc));
			return rc;
		}
	}
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	struct rs_iface *ifc = &c->ifaces[i];
	if (set_mac)
		memcpy(ifc->mac.addr_bytes, mac, 6);
	if (mtu && !ifc->loopback) { /* lo: 65535, checked above */
		int rc = rte_eth_dev_set_mtu(ifc->port, (uint16_t)mtu);
		/* virtual ports may refuse; the stack enforces the MTU itself */
		if (rc < 0 && rc != -ENOTSUP && rc != -EINVAL)
			rs_log("%s: port MTU not changed (%s), enforcing %u in software", ifc->name,
			       rte_strerror(-rc), mtu);
		ifc->mtu = (uint16_t)mtu;
	}
	if (fwd >= 0)
		ifc->fwd_mode = (uint8_t)fwd;
	if (up >= 0 && ifc->up != (bool)up) {
		ifc->up = up;
		fib4_iface_set_up((uint16_t)i, up);
		fib6_iface_set_up((uint16_t)i, up);
	}
	(void)ctx;
	return 0;
}

static bool valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len >= RS_IFNAMSIZ)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

/*
 * link add NAME devargs DEVARGS: hot-plugs a DPDK device (rte_dev_probe),
 * sets up one queue pair per worker, starts it; the next published
 * configuration makes the workers poll it.
 */
static int link_add(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "devargs") != 0) {
		rs_err_set("usage: link add NAME devargs DEVARGS (e.g. net_af_xdp1,iface=veth1)");
		return -EINVAL;
	}
	const char *name = argv[0], *devargs = argv[2];
	if (!valid_name(name)) {
		rs_err_set("invalid link name \"%s\" (letters, digits, _ - ., up to %d)", name,
			   RS_IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (rs_iface_by_name(rs_cfg_current(), name) >= 0) {
		rs_err_set("link %s exists", name);
		return -EEXIST;
	}
	char devname[RTE_DEV_NAME_MAX_LEN];
	snprintf(devname, sizeof(devname), "%s", devargs);
	devname[strcspn(devname, ",")] = '\0';
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(devname, &port) == 0) {
		rs_err_set("device %s is already in use", devname);
		return -EEXIST;
	}
	int rc = rte_dev_probe(devargs);
	if (rc < 0) {
		rs_err_set("cannot probe \"%s\": %s", devargs, rte_strerror(-rc));
		return rc;
	}
	if (rte_eth_dev_get_port_by_name(devname, &port) != 0) {
		rs_err_set("\"%s\" probed but no ethdev port named %s appeared", devargs, devname);
		return -ENODEV;
	}
	if (port >= RS_MAX_IFACES) {
		rs_err_set("port id %u beyond %d links", port, RS_MAX_IFACES);
		rc = -ENOSPC;
		goto undo;
	}
	if ((rc = rs_port_setup(port, name)) < 0)
		goto undo;
	cmd_stats_port_reset(port);
	return 0;
undo:;
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port, &info) == 0) {
		rte_eth_dev_close(port);
		rte_dev_remove(info.device);
	}
	return rc;
}

/*
 * link del NAME: the link leaves the published configuration first (workers
 * stop polling it and drop what is routed to it), then, after a grace
 * period, its routes, neighbors and queued packets go and the device is
 * released. Other links never stop.
 */
static int link_del(int argc, char **argv)
{
	if (argc != 1) {
		rs_err_set("usage: link del NAME");
		return -EINVAL;
	}
	int i = cmd_iface(argv[0]);
	if (i < 0)
		return i;
	if (i == RS_LO_IFACE) {
		rs_err_set("lo cannot be removed");
		return -EPERM;
	}
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	memset(&c->ifaces[i], 0, sizeof(c->ifaces[i]));
	fib4_iface_set_up((uint16_t)i, false);
	fib6_iface_set_up((uint16_t)i, false);
	rs_cfg_commit(); /* returns after a grace period: no worker uses the port */
	fib4_iface_flush((uint16_t)i);
	fib4_iface_reset((uint16_t)i); /* the port id may be reused */
	fib6_iface_flush((uint16_t)i);
	fib6_iface_reset((uint16_t)i);
	neigh_ctl_flush((uint16_t)i, true);
	rs_sync();
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get((uint16_t)i, &info);
	rte_eth_dev_stop((uint16_t)i);
	/* the driver's remove closes the port and frees what it holds */
	if (rc != 0 || info.device == NULL || rte_dev_remove(info.device) != 0)
		rte_eth_dev_close((uint16_t)i);
	return 0;
}

int cmd_link(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1))
		return link_show(ctx, argc ? argc - 1 : 0, argv + 1);
	if (cmd_is(argv[0], "set", 1))
		return link_set(ctx, argc - 1, argv + 1);
	if (cmd_is(argv[0], "add", 1))
		return link_add(argc - 1, argv + 1);
	if (cmd_is(argv[0], "del", 1) || cmd_is(argv[0], "delete", 1))
		return link_del(argc - 1, argv + 1);
	rs_err_set("unknown link command \"%s\" (show, set, add, del)", argv[0]);
	return -EINVAL;
}
