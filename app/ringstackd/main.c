/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringstackd: the ringstack dataplane daemon.
 *   ringstackd [EAL args] -- [--ctl PATH] [--config FILE] [options]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <grp.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "ctl/ctl_proto.h"
#include "ctl/ctl_server.h"
#include "sock/sock.h"
#include "util/rs_args.h"
#include "util/rs_log.h"

#define DEFAULT_CTL "/run/ringstack/ctl.sock"

static void usage(FILE *f)
{
	fprintf(f,
"usage: ringstackd [EAL options] -- [options]\n"
"\n"
"The ringstack dataplane. EAL options go to rte_eal_init unchanged: lcores\n"
"(-l 0,1: the main lcore runs the control thread, every other lcore a worker),\n"
"ports (--vdev net_af_packet0,iface=veth0 ..., or PCI devices), memory\n"
"(--no-huge -m 512, or hugepages), --file-prefix NAME to run several daemons.\n"
"Every probed port becomes a link named port0, port1, ... in port-id order.\n"
"\n"
"options:\n"
"  --ctl PATH             management socket (default %s)\n"
"  --config FILE          ringctl commands run at start, one per line, # comments\n"
"  --admin-group GROUP    members may run management commands too (default:\n"
"                         root only; anyone connected may attach and show)\n"
"  --ctl-mode MODE        file mode of the socket, octal (default 0666)\n"
"  --ctl-group GROUP      group of the socket file (with --ctl-mode 0660: who\n"
"                         may connect at all)\n"
"  --max-clients N        connections to the socket at once, applications\n"
"                         included (default 4096; the last 16 for administrators)\n"
"  --max-clients-per-uid N  connections of one uid that is not an\n"
"                         administrator (default 1024)\n"
"  --idle-sleep US        sleep US microseconds when idle (default 0: busy poll)\n"
"  --idle-polls N         empty polls before sleeping (default 256)\n"
"  --mbufs N              mbufs in the packet pool (default: sized from ports)\n"
"  --rxd N / --txd N      RX / TX descriptors per queue (default 1024)\n"
"  --fib-max-routes N     IPv4 routes (default 65536)\n"
"  --fib-max-tbl8 N       IPv4 FIB tbl8 groups (default 4096)\n"
"  --fib6-max-routes N    IPv6 routes (default 65536)\n"
"  --fib6-max-tbl8 N      IPv6 FIB trie groups, 1 KiB each, reserved, touched as used\n"
"                         (default 262144, at most 4194304)\n"
"  --neigh-max N          neighbor entries (default 4096)\n"
"  --neigh-queue-max N    packets waiting for resolution, all neighbors (default 1024)\n"
"  --reass-timeout MS     IPv4 reassembly timeout (default 30000)\n"
"  --reass-max-frags N    fragments held per worker (default: an eighth of the\n"
"                         pool over the workers; one source a quarter of it)\n"
"  --icmp-rate N          ICMP errors per second per worker (default 1000, burst 50)\n"
"  --icmp-ratelimit MS    per destination: one ICMP error per MS, burst 6\n"
"                         (default 1000, Linux's icmp_ratelimit; 0: off)\n"
"  --icmp-dests N         destinations each worker tracks for it (default 4096)\n"
"  --port-range LO-HI     ephemeral ports for sockets (default 32768-60999)\n"
"  --tcp-max-conns N      TCP connections per worker (default 8192, about 4 KiB each)\n"
"  --tcp-max-orphans N    connections closed by their application and still\n"
"                         finishing, per worker (Linux's tcp_max_orphans);\n"
"                         one more is reset at close (default: half of\n"
"                         --tcp-max-conns)\n"
"  --no-fastpath          every frame through the general path (no ip4_fastpath; comparisons)\n"
"  --max-apps N           applications attached at once, all users (default 1024)\n"
"  --apps-per-uid N       applications one user may attach (default 256)\n"
"  --socks-per-app N      sockets one application may have open (default 65536)\n"
"  --socks-per-uid N      sockets one user's applications may have open (default 262144)\n"
"  --app-mem MB           socket ring memory per application, virtual: pages\n"
"                         are used as data flows (default 16384)\n"
"  -h, --help             this text\n", DEFAULT_CTL);
}

static int parse_num(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x < min || x > max) {
		fprintf(stderr, "ringstackd: %s: invalid value \"%s\" (%u..%u)\n", opt, s, min, max);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

/*
 * Every socket of every application holds one descriptor in the daemon (its
 * end of the wake pair, lib/sock/sock_shm.h): raise the descriptor limit as
 * far as we may (root: fs.nr_open), so tens of thousands of sockets fit.
 */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = rl.rlim_max;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long nr;
	if (f != NULL) {
		if (fscanf(f, "%lu", &nr) == 1 && nr > want)
			want = nr;
		fclose(f);
	}
	struct rlimit up = { want, want };
	if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
		up.rlim_cur = up.rlim_max = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &up);
	}
}

/* A group name or number; -1 with a message when it is neither. */
static long parse_group(const char *opt, const char *s, char *name, size_t namelen)
{
	struct group *g = getgrnam(s);
	if (g != NULL) {
		if (name != NULL)
			snprintf(name, namelen, "%s", g->gr_name);
		return (long)g->gr_gid;
	}
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x >= (gid_t)-1) {
		fprintf(stderr, "ringstackd: %s: no group \"%s\"\n", opt, s);
		return -1;
	}
	if (name != NULL) {
		g = getgrgid((gid_t)x);
		snprintf(name, namelen, "%s", g != NULL ? g->gr_name : s);
	}
	return (long)x;
}

static int run_config(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "ringstackd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[CTL_MAX_REQUEST];
	char *argv[CTL_MAX_ARGS + 1];
	unsigned lineno = 0;
	struct rs_buf out;
	rs_buf_init(&out);
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		const char *err = NULL;
		int argc = rs_args_split(line, argv, CTL_MAX_ARGS, &err);
		if (argc < 0) {
			fprintf(stderr, "ringstackd: %s:%u: %s\n", path, lineno, err);
			rc = -1;
			break;
		}
		if (argc == 0)
			continue;
		rs_buf_reset(&out);
		struct cmd_ctx ctx = { .json = false, .out = &out };
		int r = cmd_exec(&ctx, argc, argv);
		if (r < 0) {
			fprintf(stderr, "ringstackd: %s:%u: %s\n", path, lineno, rs_err_get());
			free(rs_dp.staging);
			rs_dp.staging = NULL;
			rc = -1;
			break;
		}
		/* as the control socket does: a route line does not wait
		 * for the workers; the file as a whole does, below */
		if (cmd_needs_grace(argc, argv)) {
			rs_cfg_commit();
		} else {
			rs_cfg_publish();
			rs_rcu_reclaim();
		}
		if (out.len)
			fputs(out.s, stdout);
	}
	rs_cfg_commit();
	rs_buf_free(&out);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	/* --help must work without privileges, before the EAL wants any */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			continue;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			bool after = false;
			for (int j = 1; j < i; j++)
				if (strcmp(argv[j], "--") == 0)
					after = true;
			if (after || i == 1) {
				usage(stdout);
				return 0;
			}
		}
	}

	/* Signals are taken through a signalfd on the control thread: block them
	 * before the EAL creates its threads so they inherit the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "ringstackd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;

	struct rs_dp_params p;
	raise_nofile();
	rs_dp_params_default(&p);
	sock_limits_default(&sock_limits);
	const char *ctl = getenv("RINGSTACK_CTL") ? getenv("RINGSTACK_CTL") : DEFAULT_CTL;
	const char *config = NULL;
	struct ctl_server_params sp;
	ctl_server_params_default(&sp);
	enum { O_CTL = 256, O_ADMIN_GROUP, O_CTL_MODE, O_CTL_GROUP, O_MAX_CLIENTS, O_MAX_PER_UID, O_CONFIG, O_SLEEP, O_POLLS, O_MBUFS, O_RXD, O_TXD, O_ROUTES, O_TBL8, O_ROUTES6, O_TBL86,
	       O_NEIGH, O_REASS, O_ICMP, O_PORTS, O_ICMP_RL, O_ICMP_DESTS, O_NEIGH_Q, O_REASS_FRAGS,
	       O_MAX_APPS, O_APPS_UID, O_SOCKS_APP, O_SOCKS_UID, O_APP_MEM, O_TCP_CONNS, O_TCP_ORPHANS, O_NO_FASTPATH };
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, O_CTL },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "admin-group", required_argument, NULL, O_ADMIN_GROUP },
		{ "ctl-mode", required_argument, NULL, O_CTL_MODE },
		{ "ctl-group", required_argument, NULL, O_CTL_GROUP },
		{ "max-clients", required_argument, NULL, O_MAX_CLIENTS },
		{ "max-clients-per-uid", required_argument, NULL, O_MAX_PER_UID },
		{ "idle-sleep", required_argument, NULL, O_SLEEP },
		{ "idle-polls", required_argument, NULL, O_POLLS },
		{ "mbufs", required_argument, NULL, O_MBUFS },
		{ "rxd", required_argument, NULL, O_RXD },
		{ "txd", required_argument, NULL, O_TXD },
		{ "fib-max-routes", required_argument, NULL, O_ROUTES },
		{ "fib-max-tbl8", required_argument, NULL, O_TBL8 },
		{ "fib6-max-routes", required_argument, NULL, O_ROUTES6 },
		{ "fib6-max-tbl8", required_argument, NULL, O_TBL86 },
		{ "neigh-max", required_argument, NULL, O_NEIGH },
		{ "neigh-queue-max", required_argument, NULL, O_NEIGH_Q },
		{ "reass-max-frags", required_argument, NULL, O_REASS_FRAGS },
		{ "reass-timeout", required_argument, NULL, O_REASS },
		{ "icmp-rate", required_argument, NULL, O_ICMP },
		{ "icmp-ratelimit", required_argument, NULL, O_ICMP_RL },
		{ "icmp-dests", required_argument, NULL, O_ICMP_DESTS },
		{ "port-range", required_argument, NULL, O_PORTS },
		{ "max-apps", required_argument, NULL, O_MAX_APPS },
		{ "apps-per-uid", required_argument, NULL, O_APPS_UID },
		{ "socks-per-app", required_argument, NULL, O_SOCKS_APP },
		{ "socks-per-uid", required_argument, NULL, O_SOCKS_UID },
		{ "app-mem", required_argument, NULL, O_APP_MEM },
		{ "tcp-max-conns", required_argument, NULL, O_TCP_CONNS },
		{ "tcp-max-orphans", required_argument, NULL, O_TCP_ORPHANS },
		{ "no-fastpath", no_argument, NULL, O_NO_FASTPATH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	uint32_t v;
	optind = 1;
	opterr = 0; /* our own one-line messages */
	while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		int bad = 0;
		switch (o) {
		case O_CTL: ctl = optarg; break;
		case O_CONFIG: config = optarg; break;
		case O_ADMIN_GROUP:
			sp.admin_gid = parse_group("--admin-group", optarg, sp.admin_group,
						   sizeof(sp.admin_group));
			bad = sp.admin_gid < 0;
			break;
		case O_CTL_GROUP:
			sp.sock_gid = parse_group("--ctl-group", optarg, NULL, 0);
			bad = sp.sock_gid < 0;
			break;
		case O_MAX_CLIENTS:
			bad = parse_num("--max-clients", optarg, 4, 1u << 24, &sp.max_clients);
			/* a few slots always left for administrators */
			sp.admin_reserve = sp.max_clients >= 64 ? 16 : sp.max_clients / 4;
			break;
		case O_MAX_PER_UID:
			bad = parse_num("--max-clients-per-uid", optarg, 1, 1u << 24,
					&sp.max_clients_per_uid);
			break;
		case O_CTL_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (end == optarg || *end || m > 0777) {
				fprintf(stderr, "ringstackd: --ctl-mode: invalid mode \"%s\" (octal, e.g. 0660)\n",
					optarg);
				bad = 1;
			}
			sp.mode = (unsigned)m;
			break;
		}
		case O_SLEEP: bad = parse_num("--idle-sleep", optarg, 0, 1000000, &p.idle_sleep_us); break;
		case O_POLLS: bad = parse_num("--idle-polls", optarg, 1, 1u << 30, &p.idle_polls); break;
		case O_MBUFS: bad = parse_num("--mbufs", optarg, 1024, 1u << 26, &p.nb_mbufs); break;
		case O_RXD: bad = parse_num("--rxd", optarg, 32, 32768, &v); p.rx_desc = (uint16_t)v; break;
		case O_TXD: bad = parse_num("--txd", optarg, 32, 32768, &v); p.tx_desc = (uint16_t)v; break;
		case O_ROUTES: bad = parse_num("--fib-max-routes", optarg, 16, 1u << 24, &p.fib_max_routes); break;
		case O_TBL8: bad = parse_num("--fib-max-tbl8", optarg, 16, 1u << 24, &p.fib_max_tbl8); break;
		case O_ROUTES6: bad = parse_num("--fib6-max-routes", optarg, 16, 1u << 24, &p.fib6_max_routes); break;
		case O_TBL86: bad = parse_num("--fib6-max-tbl8", optarg, 16, 1u << 22, &p.fib6_max_tbl8); break;
		case O_NEIGH: bad = parse_num("--neigh-max", optarg, 16, 1u << 22, &p.neigh_max); break;
		case O_NEIGH_Q: bad = parse_num("--neigh-queue-max", optarg, 1, 1u << 24, &p.neigh_queue_max); break;
		case O_REASS_FRAGS: bad = parse_num("--reass-max-frags", optarg, 64, 1u << 24, &p.reass_max_frags); break;
		case O_REASS: bad = parse_num("--reass-timeout", optarg, 1, 120000, &p.reass_timeout_ms); break;
		case O_ICMP: bad = parse_num("--icmp-rate", optarg, 1, 1000000, &p.icmp_rate); break;
		case O_ICMP_RL: bad = parse_num("--icmp-ratelimit", optarg, 0, 3600000, &p.icmp_ratelimit_ms); break;
		case O_ICMP_DESTS: bad = parse_num("--icmp-dests", optarg, 4, 1u << 22, &p.icmp_dests); break;
		case O_PORTS: {
			unsigned lo, hi;
			char extra;
			if (sscanf(optarg, "%u-%u%c", &lo, &hi, &extra) != 2 || lo < 1 || lo > hi ||
			    hi > 65535) {
				fprintf(stderr, "ringstackd: --port-range: invalid \"%s\" (LO-HI, 1..65535)\n",
					optarg);
				bad = 1;
				break;
			}
			sock_limits.port_lo = (uint16_t)lo;
			sock_limits.port_hi = (uint16_t)hi;
			break;
		}
		case O_MAX_APPS: bad = parse_num("--max-apps", optarg, 1, 1u << 16, &sock_limits.max_apps); break;
		case O_APPS_UID: bad = parse_num("--apps-per-uid", optarg, 1, 1u << 16, &sock_limits.apps_per_uid); break;
		case O_SOCKS_APP: bad = parse_num("--socks-per-app", optarg, 16, 1u << 20, &sock_limits.socks_per_app); break;
		case O_SOCKS_UID: bad = parse_num("--socks-per-uid", optarg, 16, 1u << 24, &sock_limits.socks_per_uid); break;
		case O_TCP_CONNS: bad = parse_num("--tcp-max-conns", optarg, 64, 1u << 22, &p.tcp_max_conns); break;
		case O_TCP_ORPHANS: bad = parse_num("--tcp-max-orphans", optarg, 1, 1u << 22, &p.tcp_max_orphans); break;
		case O_NO_FASTPATH: p.no_fastpath = true; break;
		case O_APP_MEM:
			bad = parse_num("--app-mem", optarg, 16, 1u << 20, &v);
			sock_limits.arena_bytes = (uint64_t)v << 20;
			break;
		case 'h': usage(stdout); rte_eal_cleanup(); return 0;
		case ':':
			fprintf(stderr, "ringstackd: option %s needs a value; try 'ringstackd --help'\n",
				argv[optind - 1]);
			rte_eal_cleanup();
			return 2;
		default:
			fprintf(stderr, "ringstackd: unknown option \"%s\"; try 'ringstackd --help'\n",
				argv[optind - 1]);
			rte_eal_cleanup();
			return 2;
		}
		if (bad) {
			rte_eal_cleanup();
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ringstackd: unexpected argument \"%s\"; try 'ringstackd --help'\n",
			argv[optind]);
		rte_eal_cleanup();
		return 2;
	}

	int rc = 1;
	bool workers = false, server = false;
	if (rs_dp_init(&p) < 0 || rs_ports_init() < 0) {
		fprintf(stderr, "ringstackd: %s\n", rs_err_get());
		goto out;
	}
	rs_cfg_commit();
	if (cmd_defaults() < 0) {
		fprintf(stderr, "ringstackd: %s\n", rs_err_get());
		goto out;
	}
	if (rs_workers_create() < 0 || rs_workers_launch() < 0) {
		fprintf(stderr, "ringstackd: %s\n", rs_err_get());
		goto out;
	}
	workers = true;
	if (config && run_config(config) < 0)
		goto out;
	if (strncmp(ctl, DEFAULT_CTL, strlen(DEFAULT_CTL)) == 0)
		mkdir("/run/ringstack", 0755);
	sp.path = ctl;
	if (ctl_server_open(&sp) < 0) {
		fprintf(stderr, "ringstackd: %s\n", rs_err_get());
		goto out;
	}
	server = true;
	rs_log("running: %u worker(s), %u port(s), control socket %s", rs_dp.nb_workers,
	       rte_eth_dev_count_avail(), ctl);
	rc = ctl_server_run() < 0;
out:
	if (server)
		ctl_server_close();
	if (workers)
		rs_workers_stop();
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port)
		rs_port_teardown(port);
	rs_dp_fini();
	rte_eal_cleanup();
	return rc;
}
