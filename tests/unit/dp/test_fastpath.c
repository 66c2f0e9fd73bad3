/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_fastpath and ip6_fastpath against the general path: the same frames
 * (IPv4 and IPv6), valid and each
 * kind of invalid, go through the dataplane once with the fast path and once
 * without (rs_dp_params.no_fastpath), and must give the same frames out (on
 * the same ports, byte for byte), the same drop counters and the same
 * messages to the control thread. Each case also says which way the fast
 * path must have taken it, so a fast path that sent everything to the
 * general path (or took what it must not) fails too.
 *
 * Set-up as tests/fuzz/fuzz_rx.c: two net_ring ports (RX rings we fill, TX
 * rings we drain), one worker whose graph runs on this thread, the
 * configuration through the ringctl command dispatcher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_graph.h>
#include <rte_graph_worker.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "dp_eal.h"
#include "ip4/ip4.h"
#include "ip6/ip6.h"
#include "wire/ip6_wire.h"
#include "util/rs_csum.h"
#include "util/rs_json.h"
#include "util/rs_log.h"
#include "wire/wire.h"

#define NPORTS 2
struct ut_port {
	uint16_t id;
	struct rte_ring *rx, *tx;
	uint8_t mac[6];
};
static struct ut_port ports[NPORTS];
static struct rs_worker *wk;

static void settle(void);

static void run_cmd(const char *line)
{
	char copy[256], *argv[24];
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok(copy, " "); t != NULL && argc < 23; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	struct rs_buf out;
	rs_buf_init(&out);
	struct cmd_ctx ctx = { .json = false, .out = &out };
	int rc = cmd_exec(&ctx, argc, argv);
	rs_buf_free(&out);
	cr_assert_geq(rc, 0, "\"%s\": %s", line, rs_err_get());
	rs_cfg_commit();
}

/* Sends out what the control thread handed the worker (gratuitous ARPs
 * of the addresses) and throws it away: a quiet start. */
static void settle(void)
{
	struct rte_mbuf *m;
	for (int k = 0; k < 8; k++) {
		rs_worker_poll_once(wk);
		for (unsigned p = 0; p < NPORTS; p++)
			while (rte_ring_sc_dequeue(ports[p].tx, (void **)&m) == 0)
				rte_pktmbuf_free(m);
	}
	struct rs_msg msg;
	while (rte_ring_dequeue_elem(wk->to_ctl, &msg, sizeof(msg)) == 0)
		if (msg.m != NULL)
			rte_pktmbuf_free(msg.m);
	cr_assert_eq(rte_ring_count(wk->from_ctl), 0);
}

static void setup(void)
{
	snprintf(ut_eal_prefix, sizeof(ut_eal_prefix), "rsfp%d", (int)getpid());
	char *eal[] = {
		"test_fastpath", "-l", "0,1", "--no-huge", "--no-pci", "-m", "256",
		"--file-prefix", ut_eal_prefix, "--log-level=*:error", "--no-telemetry", NULL,
	};
	int rc = rte_eal_init((int)RTE_DIM(eal) - 1, eal);
	if (rc < 0) {
		ut_rm_runtime_dir();
		cr_assert_fail("rte_eal_init: %s (these tests need root)", rte_strerror(rte_errno));
	}
	ut_eal_up = true;

	struct rs_dp_params p;
	rs_dp_params_default(&p);
	/* every ICMP error is sent: both runs of a case must be able to */
	p.icmp_ratelimit_ms = 0;
	p.icmp_rate = 1000000;
	p.icmp_burst = 1000000;
	cr_assert_eq(rs_dp_init(&p), 0, "rs_dp_init: %s", rs_err_get());
	/* no per-lcore cache: the free count is exact */
	rs_dp.pool = rte_pktmbuf_pool_create("rs_mbufs", 8192, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     (int)rte_socket_id());
	cr_assert_not_null(rs_dp.pool, "pool: %s", rte_strerror(rte_errno));
	for (unsigned i = 0; i < NPORTS; i++) {
		struct ut_port *pt = &ports[i];
		char name[32];
		snprintf(name, sizeof(name), "fp_rx%u", i);
		pt->rx = rte_ring_create(name, 1024, (int)rte_socket_id(),
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fp_tx%u", i);
		pt->tx = rte_ring_create(name, 1024, (int)rte_socket_id(),
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		cr_assert(pt->rx != NULL && pt->tx != NULL);
		snprintf(name, sizeof(name), "fp%u", i);
		int id = rte_eth_from_rings(name, &pt->rx, 1, &pt->tx, 1, (unsigned)rte_socket_id());
		cr_assert_geq(id, 0, "rte_eth_from_rings: %s", rte_strerror(rte_errno));
		pt->id = (uint16_t)id;
		snprintf(name, sizeof(name), "port%u", i);
		cr_assert_eq(rs_port_setup(pt->id, name), 0, "%s: %s", name, rs_err_get());
		/* net_ring's MAC is all zero: give the link a real one */
		uint8_t mac[6] = { 0x02, 0x52, 0x53, 0x00, 0x00, (uint8_t)(i + 1) };
		memcpy(pt->mac, mac, 6);
		memcpy(rs_cfg_edit()->ifaces[pt->id].mac.addr_bytes, mac, 6);
	}
	rs_cfg_commit();
	cr_assert_eq(rs_workers_create(), 0, "workers: %s", rs_err_get());
	wk = &rs_dp.workers[0];

	static const char *cmds[] = {
		"addr add 10.0.0.1/24 dev port0",
		"addr add 10.2.0.1/24 dev port1",
		"link set port1 mtu 1280",
		"neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev port0",
		"neigh add 10.2.0.2 lladdr 02:00:00:00:01:02 dev port1",
		"neigh add 10.2.0.4 lladdr 02:00:00:00:01:04 dev port1",
		"route add 203.0.113.0/24 via 10.2.0.2",
		"route add 203.0.113.64/28 via 10.2.0.4",
		"route add 172.16.0.0/12 via 10.2.0.3",
		"route add 192.0.2.0/24 nexthop via 10.2.0.2 nexthop via 10.2.0.4",
		"route add blackhole 198.51.100.0/24",
		"route add unreachable 198.51.101.0/24",
		"route add prohibit 198.51.102.0/24",
		/* IPv6 (the addresses stay tentative: no control thread runs
		 * DAD here; the connected routes and forwarding do not care) */
		"addr add 2001:db8:a::1/64 dev port0",
		"addr add 2001:db8:b::1/64 dev port1",
		"neigh add 2001:db8:a::2 lladdr 02:00:00:00:00:02 dev port0",
		"neigh add 2001:db8:b::2 lladdr 02:00:00:00:01:02 dev port1",
		"neigh add 2001:db8:b::4 lladdr 02:00:00:00:01:04 dev port1",
		/* on-link neighbours that share a leaf of the FIB6 (bytes 0-13:
		 * away from b::1's /128, which takes b::/120 down to byte 15) */
		"neigh add 2001:db8:b::1:2 lladdr 02:00:00:00:01:12 dev port1",
		"neigh add 2001:db8:b::1:4 lladdr 02:00:00:00:01:14 dev port1",
		"route add 2001:db8:99::/48 via 2001:db8:b::2",
		/* a /64 inside it, to another next hop: the same first bytes,
		 * another leaf of the FIB6 (ip6_fastpath's memo) */
		"route add 2001:db8:99:1::/64 via 2001:db8:b::4",
		"route add 2001:db8:98::/48 via 2001:db8:b::3",
		"route add 2001:db8:97::/48 nexthop via 2001:db8:b::2 nexthop via 2001:db8:b::4",
		"route add blackhole 2001:db8:96::/48",
	};
	for (unsigned i = 0; i < RTE_DIM(cmds); i++)
		run_cmd(cmds[i]);
	settle();
}

static void teardown(void)
{
	ut_eal_fini();
}

TestSuite(fastpath, .init = setup, .fini = teardown, .timeout = 120);

/* ---- frames ---- */

struct frame {
	uint8_t b[2048];
	uint16_t len;
	uint16_t seg; /* segment size; 0: one segment */
	uint64_t ol;  /* the port's checksum verdict (ol_flags), 0: none */
};

/* Ethernet to port0's MAC from 10.0.0.2's, IPv4 src -> dst, UDP with
 * payload bytes, a correct header checksum. */
static void mk_udp(struct frame *f, uint32_t src, uint32_t dst, uint8_t ttl, uint16_t payload)
{
	memset(f, 0, sizeof(*f));
	uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	eth_write(f->b, ports[0].mac, smac, ETH_P_IP);
	uint8_t *ip = f->b + ETH_HLEN;
	uint16_t tot = (uint16_t)(IP4_HLEN + UDP_HLEN + payload);
	ip4_write(ip, 0, tot, 0x1234, 0, ttl, IPPROTO_UDP_, src, dst);
	uint8_t *u = ip + IP4_HLEN;
	rs_st16(u, 1024);
	rs_st16(u + 2, 9);
	rs_st16(u + 4, (uint16_t)(UDP_HLEN + payload));
	for (uint16_t i = 0; i < payload; i++)
		u[UDP_HLEN + i] = (uint8_t)i;
	f->len = (uint16_t)(ETH_HLEN + tot);
}

static void fix_ip_csum(struct frame *f)
{
	uint8_t *ip = f->b + ETH_HLEN;
	ip4_set_csum(ip, (uint16_t)((ip[0] & 0xf) * 4));
}

static struct rte_mbuf *to_mbuf(const struct frame *f, uint16_t port)
{
	size_t seg = f->seg ? f->seg : f->len;
	struct rte_mbuf *head = NULL, *tail = NULL;
	size_t off = 0;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
		cr_assert_not_null(m);
		size_t n = f->len - off < seg ? f->len - off : seg;
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), f->b + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)n;
		}
		tail = m;
	} while (off < f->len);
	head->port = port;
	head->ol_flags |= f->ol;
	return head;
}

/* ---- what comes out ---- */

#define MAX_OUT 512
struct out_frame {
	uint16_t port;
	uint16_t len;
	uint8_t b[1600];
};
struct result {
	unsigned nout;
	struct out_frame out[MAX_OUT];
	unsigned nmsg;        /* messages to the control thread */
	uint64_t drops[256];  /* per drop:* node, in graph order */
	unsigned ndrops;
	uint64_t fast, slow;  /* forwarded by either fast path; handed to eth_input */
	uint64_t fast6;       /* of fast, forwarded by the IPv6 fast path */
};

static bool ours(uint32_t ip)
{
	return ip == 0x0a000001 || ip == 0x0a020001;
}

static void collect_out(struct result *r)
{
	struct rte_mbuf *pkts[64];
	unsigned n;
	for (unsigned p = 0; p < NPORTS; p++) {
		while ((n = rte_ring_sc_dequeue_burst(ports[p].tx, (void **)pkts, RTE_DIM(pkts),
						      NULL)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				struct rte_mbuf *m = pkts[i];
				cr_assert_lt(r->nout, MAX_OUT);
				struct out_frame *o = &r->out[r->nout++];
				cr_assert_leq(m->pkt_len, sizeof(o->b));
				o->port = (uint16_t)(p << 8 | m->port);
				o->len = (uint16_t)m->pkt_len;
				const void *d = rte_pktmbuf_read(m, 0, m->pkt_len, o->b);
				cr_assert_not_null(d);
				if (d != o->b)
					memcpy(o->b, d, m->pkt_len);
				/* what we originate carries this worker's next IP ID:
				 * not part of the comparison */
				if (o->len >= ETH_HLEN + IP4_HLEN && rs_ld16(o->b + 12) == ETH_P_IP &&
				    ours(rs_ld32(o->b + ETH_HLEN + 12))) {
					rs_st16(o->b + ETH_HLEN + 4, 0);
					rs_st16(o->b + ETH_HLEN + 10, 0);
				}
				rte_pktmbuf_free(m);
			}
		}
	}
	struct rs_msg msg;
	while (rte_ring_dequeue_elem(wk->to_ctl, &msg, sizeof(msg)) == 0) {
		r->nmsg++;
		if (msg.m != NULL)
			rte_pktmbuf_free(msg.m);
	}
}

static void snap_drops(uint64_t *v, unsigned *n)
{
	struct rte_node *node;
	rte_graph_off_t off;
	rte_node_t count;
	*n = 0;
	rte_graph_foreach_node(count, off, wk->graph, node) {
		if (strncmp(node->name, "drop:", 5) == 0 && *n < 256)
			v[(*n)++] = node->total_objs;
	}
}

static const char *drop_name(unsigned k)
{
	struct rte_node *node;
	rte_graph_off_t off;
	rte_node_t count;
	unsigned n = 0;
	rte_graph_foreach_node(count, off, wk->graph, node) {
		if (strncmp(node->name, "drop:", 5) == 0 && n++ == k)
			return node->name;
	}
	return "?";
}

/* Sends frames f[0..n) into port0 with the fast path on or off and records
 * everything that comes out. */
static void run(const struct frame *f, unsigned n, bool fast, struct result *r)
{
	memset(r, 0, sizeof(*r));
	rs_dp.params.no_fastpath = !fast;
	uint64_t before[256];
	unsigned nb;
	snap_drops(before, &nb);
	uint64_t f0 = ip4_fp_stats[0].fast, s0 = ip4_fp_stats[0].slow;
	uint64_t f6 = ip6_fp_stats[0].fast, s6 = ip6_fp_stats[0].slow;
	unsigned avail = rte_mempool_avail_count(rs_dp.pool);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(rte_ring_sp_enqueue(ports[0].rx, to_mbuf(&f[i], ports[0].id)), 0);
	for (int k = 0; k < 64; k++) {
		rs_worker_poll_once(wk);
		collect_out(r);
		if (rte_ring_count(ports[0].rx) == 0 && k > 2)
			break;
	}
	cr_assert_eq(rte_ring_count(ports[0].rx), 0);
	snap_drops(r->drops, &r->ndrops);
	cr_assert_eq(r->ndrops, nb);
	for (unsigned i = 0; i < nb; i++)
		r->drops[i] -= before[i];
	/* every frame meets ip4_fastpath; what it leaves, ip6_fastpath */
	f6 = ip6_fp_stats[0].fast - f6;
	r->fast = ip4_fp_stats[0].fast - f0 + f6;
	r->slow = ip4_fp_stats[0].slow - s0 - f6;
	r->fast6 = f6;
	/* what neither took: IPv6's slow count, the same as IPv4's less
	 * what IPv6 took */
	cr_assert_eq(ip6_fp_stats[0].slow - s6, r->slow, "fastpath6_slow %lu, want %lu",
		     ip6_fp_stats[0].slow - s6, r->slow);
	/* every buffer came back (out, dropped or given to the control thread) */
	cr_assert_eq(rte_mempool_avail_count(rs_dp.pool), avail, "mbufs: %u free, %u before (%s path)",
		     rte_mempool_avail_count(rs_dp.pool), avail, fast ? "fast" : "general");
}

static int cmp_out(const void *a, const void *b)
{
	const struct out_frame *x = a, *y = b;
	if (x->port != y->port)
		return x->port - y->port;
	if (x->len != y->len)
		return x->len - y->len;
	return memcmp(x->b, y->b, x->len);
}

/* fast6 of the last same()'s run with the fast path */
static uint64_t last_fast6;

/* The same frames through both paths: the same outcome. sorted: compare
 * outputs as multisets (a mixed vector's order across edges differs). */
static void same(const char *what, const struct frame *f, unsigned n, bool sorted,
		 uint64_t want_fast)
{
	static struct result a, b;
	run(f, n, true, &a);
	run(f, n, false, &b);
	cr_assert_eq(b.fast + b.slow, 0, "%s: the fast path ran with no_fastpath", what);
	cr_assert_eq(a.fast + a.slow, n, "%s: %lu frames seen by the fast path of %u", what,
		     a.fast + a.slow, n);
	cr_assert_eq(a.fast, want_fast, "%s: %lu frames forwarded by the fast path, want %lu",
		     what, a.fast, want_fast);
	last_fast6 = a.fast6;
	cr_assert_eq(a.nout, b.nout, "%s: %u frames out with the fast path, %u without", what,
		     a.nout, b.nout);
	cr_assert_eq(a.nmsg, b.nmsg, "%s: %u messages to control with the fast path, %u without",
		     what, a.nmsg, b.nmsg);
	for (unsigned i = 0; i < a.ndrops; i++)
		cr_assert_eq(a.drops[i], b.drops[i], "%s: %s %lu with the fast path, %lu without",
			     what, drop_name(i), a.drops[i], b.drops[i]);
	if (sorted) {
		qsort(a.out, a.nout, sizeof(a.out[0]), cmp_out);
		qsort(b.out, b.nout, sizeof(b.out[0]), cmp_out);
	}
	for (unsigned i = 0; i < a.nout; i++) {
		cr_assert_eq(a.out[i].port, b.out[i].port, "%s: frame %u on another port", what, i);
		cr_assert_eq(a.out[i].len, b.out[i].len, "%s: frame %u: %u bytes vs %u", what, i,
			     a.out[i].len, b.out[i].len);
		cr_assert_arr_eq(a.out[i].b, b.out[i].b, a.out[i].len, "%s: frame %u differs",
				 what, i);
	}
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SRC IP(10, 0, 0, 2)
#define DST IP(203, 0, 113, 5)

/* Every case: a name, the frame, and whether the fast path forwards it. */
struct kase {
	const char *name;
	struct frame f;
	bool fast;
};
static struct kase cases[128];
static unsigned ncases;

static struct frame *add(const char *name, bool fast, uint32_t src, uint32_t dst, uint8_t ttl,
			 uint16_t payload)
{
	cr_assert_lt(ncases, RTE_DIM(cases));
	struct kase *k = &cases[ncases++];
	k->name = name;
	k->fast = fast;
	mk_udp(&k->f, src, dst, ttl, payload);
	return &k->f;
}

/* Ethernet to port0's MAC, IPv6 src -> dst, UDP with payload bytes */
static void mk_udp6(struct frame *f, const char *src, const char *dst, uint8_t hlim,
		    uint16_t payload)
{
	memset(f, 0, sizeof(*f));
	uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x02 }, s[16], d[16];
	cr_assert_eq(inet_pton(AF_INET6, src, s), 1);
	cr_assert_eq(inet_pton(AF_INET6, dst, d), 1);
	eth_write(f->b, ports[0].mac, smac, ETH_P_IPV6);
	uint8_t *ip = f->b + ETH_HLEN;
	ip6_write(ip, 0, 0, (uint16_t)(UDP_HLEN + payload), IPPROTO_UDP_, hlim, s, d);
	uint8_t *u = ip + IP6_HLEN;
	rs_st16(u, 1024);
	rs_st16(u + 2, 9);
	rs_st16(u + 4, (uint16_t)(UDP_HLEN + payload));
	for (uint16_t i = 0; i < payload; i++)
		u[UDP_HLEN + i] = (uint8_t)i;
	f->len = (uint16_t)(ETH_HLEN + IP6_HLEN + UDP_HLEN + payload);
}

static struct frame *add6(const char *name, bool fast, const char *src, const char *dst,
			  uint8_t hlim, uint16_t payload)
{
	cr_assert_lt(ncases, RTE_DIM(cases));
	struct kase *k = &cases[ncases++];
	k->name = name;
	k->fast = fast;
	mk_udp6(&k->f, src, dst, hlim, payload);
	return &k->f;
}

#define SRC6 "2001:db8:a::2"
#define DST6 "2001:db8:99::5"

/* ip6_fastpath's cases (ip6_input, ip6_forward, eth_output6) */
static void make_cases6(void)
{
	struct frame *f;
	add6("v6 valid", true, SRC6, DST6, 64, 18);
	add6("v6 valid, hop limit 2", true, SRC6, DST6, 2, 18);
	add6("v6 valid, on-link destination", true, SRC6, "2001:db8:b::2", 64, 18);
	add6("v6 valid, 1280 bytes (the MTU)", true, SRC6, DST6, 64, 1280 - 48);
	f = add6("v6 valid, link padding", true, SRC6, DST6, 64, 0);
	f->len = 70; /* trailing bytes beyond the payload length */
	add6("v6 valid, empty payload", true, SRC6, DST6, 64, 0);
	add6("v6 back out of the ingress link", true, SRC6, "2001:db8:a::2", 64, 18);
	add6("v6 valid, a /64 inside the /48", true, SRC6, "2001:db8:99:1::5", 64, 18);
	add6("v6 valid, the /48 beside its /64", true, SRC6, "2001:db8:99:2::5", 64, 18);
	add6("v6 valid, another on-link destination", true, SRC6, "2001:db8:b::4", 64, 18);
	add6("v6 valid, on-link in a shared leaf", true, SRC6, "2001:db8:b::1:2", 64, 18);
	add6("v6 valid, on-link in a shared leaf, another", true, SRC6, "2001:db8:b::1:4", 64, 18);
	f = add6("v6 valid, traffic class and flow label", true, SRC6, DST6, 64, 18);
	f->b[ETH_HLEN] = 0x6a;
	f->b[ETH_HLEN + 1] = 0xbc;
	f->b[ETH_HLEN + 3] = 0x42;
	/* RFC 8200 §4: a router examines no extension header but Hop-by-Hop
	 * of a packet not addressed to it: forwarded as it is, both ways */
	f = add6("v6 routing header (not ours to read)", true, SRC6, DST6, 64, 18);
	f->b[ETH_HLEN + 6] = 43;
	add6("v6 hop limit 1", false, SRC6, DST6, 1, 18);
	add6("v6 hop limit 0", false, SRC6, DST6, 0, 18);
	add6("v6 over the MTU", false, SRC6, DST6, 64, 1300);
	f = add6("v6 hop-by-hop header", false, SRC6, DST6, 64, 18);
	f->b[ETH_HLEN + 6] = 0; /* the UDP header read as an HBH one */
	f = add6("v6 version 4", false, SRC6, DST6, 64, 18);
	f->b[ETH_HLEN] = 0x46;
	f = add6("v6 payload length beyond the frame", false, SRC6, DST6, 64, 18);
	rs_st16(f->b + ETH_HLEN + 4, 200);
	f = add6("v6 truncated header", false, SRC6, DST6, 64, 18);
	f->len = ETH_HLEN + 30;
	f = add6("v6 other host's MAC", false, SRC6, DST6, 64, 18);
	f->b[5] ^= 0x10;
	add6("v6 source multicast", false, "ff02::1", DST6, 64, 18);
	add6("v6 source link-local", false, "fe80::2", DST6, 64, 18);
	add6("v6 source loopback", false, "::1", DST6, 64, 18);
	add6("v6 source unspecified", false, "::", DST6, 64, 18);
	add6("v6 source IPv4-mapped", false, "::ffff:10.0.0.2", DST6, 64, 18);
	add6("v6 source is ours", false, "2001:db8:b::1", DST6, 64, 18);
	add6("v6 destination link-local", false, SRC6, "fe80::5", 64, 18);
	add6("v6 destination multicast", false, SRC6, "ff0e::5", 64, 18);
	add6("v6 destination loopback", false, SRC6, "::1", 64, 18);
	add6("v6 destination is ours", false, SRC6, "2001:db8:b::1", 64, 18);
	add6("v6 no route", false, SRC6, "2001:db8:ffff::1", 64, 18);
	add6("v6 blackhole", false, SRC6, "2001:db8:96::1", 64, 18);
	add6("v6 ECMP", false, SRC6, "2001:db8:97::1", 64, 18);
	add6("v6 neighbour unresolved", false, SRC6, "2001:db8:98::1", 64, 18);
	f = add6("v6 two segments", false, SRC6, DST6, 64, 100);
	f->seg = 64;
}

static void make_cases(void)
{
	struct frame *f;
	uint8_t *ip;
	ncases = 0;
	add("valid", true, SRC, DST, 64, 18);
	add("valid, TTL 2", true, SRC, DST, 2, 18);
	add("valid, tbl8 /28", true, SRC, IP(203, 0, 113, 70), 64, 18);
	add("valid, on-link destination", true, SRC, IP(10, 2, 0, 2), 64, 18);
	add("valid, 1280 bytes (the MTU)", true, SRC, DST, 64, 1280 - 28);
	f = add("valid, link padding", true, SRC, DST, 64, 2);
	f->len = 60; /* padded to the Ethernet minimum */
	f = add("valid, fragment (MF)", true, SRC, DST, 64, 16);
	ip = f->b + ETH_HLEN;
	rs_st16(ip + 6, IP4_MF);
	fix_ip_csum(f);
	add("TTL 1", false, SRC, DST, 1, 18);
	add("TTL 0", false, SRC, DST, 0, 18);
	f = add("bad checksum", false, SRC, DST, 64, 18);
	f->b[ETH_HLEN + 10] ^= 0x40;
	f = add("version 6", false, SRC, DST, 64, 18);
	f->b[ETH_HLEN] = 0x65;
	fix_ip_csum(f);
	f = add("IHL 4", false, SRC, DST, 64, 18);
	f->b[ETH_HLEN] = 0x44;
	f = add("options (NOPs), forwarded", false, SRC, DST, 64, 20);
	ip = f->b + ETH_HLEN;
	memmove(ip + 24, ip + 20, 28);
	memset(ip + 20, 1, 4);
	ip[0] = 0x46;
	rs_st16(ip + 2, (uint16_t)(rs_ld16(ip + 2) + 4));
	f->len = (uint16_t)(f->len + 4);
	fix_ip_csum(f);
	f = add("bad options", false, SRC, DST, 64, 20);
	ip = f->b + ETH_HLEN;
	ip[0] = 0x46;
	ip[20] = 0x44; /* timestamp option with no length room */
	ip[21] = 0x40;
	fix_ip_csum(f);
	f = add("total length beyond the frame", false, SRC, DST, 64, 18);
	rs_st16(f->b + ETH_HLEN + 2, 200);
	fix_ip_csum(f);
	f = add("total length below 20", false, SRC, DST, 64, 18);
	rs_st16(f->b + ETH_HLEN + 2, 19);
	fix_ip_csum(f);
	f = add("truncated header", false, SRC, DST, 64, 18);
	f->len = ETH_HLEN + 12;
	f = add("truncated Ethernet", false, SRC, DST, 64, 18);
	f->len = 10;
	f = add("other host's MAC", false, SRC, DST, 64, 18);
	f->b[5] ^= 0x10;
	f = add("link-layer broadcast", false, SRC, DST, 64, 18);
	memset(f->b, 0xff, 6);
	f = add("link-layer multicast", false, SRC, DST, 64, 18);
	f->b[0] = 0x01;
	f = add("Ethertype ARP", false, SRC, DST, 64, 18);
	rs_st16(f->b + 12, ETH_P_ARP);
	f = add("Ethertype unknown", false, SRC, DST, 64, 18);
	rs_st16(f->b + 12, 0x88b5);
	f = add("VLAN", false, SRC, DST, 64, 18);
	rs_st16(f->b + 12, ETH_P_VLAN);
	add("source 0/8", false, IP(0, 1, 2, 3), DST, 64, 18);
	add("source 127/8", false, IP(127, 0, 0, 1), DST, 64, 18);
	add("source multicast", false, IP(224, 0, 0, 1), DST, 64, 18);
	add("source class E", false, IP(240, 0, 0, 1), DST, 64, 18);
	add("source 255.255.255.255", false, IP(255, 255, 255, 255), DST, 64, 18);
	add("destination 127/8", false, SRC, IP(127, 0, 0, 1), 64, 18);
	add("destination 0/8", false, SRC, IP(0, 0, 0, 1), 64, 18);
	add("destination class E", false, SRC, IP(240, 0, 0, 1), 64, 18);
	add("destination multicast", false, SRC, IP(224, 0, 0, 5), 64, 18);
	add("destination 255.255.255.255", false, SRC, IP(255, 255, 255, 255), 64, 18);
	add("source link-local", false, IP(169, 254, 1, 1), DST, 64, 18);
	add("destination link-local", false, SRC, IP(169, 254, 1, 1), 64, 18);
	add("source is ours", false, IP(10, 2, 0, 1), DST, 64, 18);
	add("source is our subnet broadcast", false, IP(10, 2, 0, 255), DST, 64, 18);
	add("destination is ours (UDP, no socket)", false, SRC, IP(10, 2, 0, 1), 64, 18);
	add("destination is our subnet broadcast", false, SRC, IP(10, 2, 0, 255), 64, 18);
	add("no route", false, SRC, IP(8, 8, 8, 8), 64, 18);
	add("blackhole", false, SRC, IP(198, 51, 100, 1), 64, 18);
	add("unreachable", false, SRC, IP(198, 51, 101, 1), 64, 18);
	add("prohibit", false, SRC, IP(198, 51, 102, 1), 64, 18);
	add("neighbour unresolved", false, SRC, IP(172, 16, 0, 1), 64, 18);
	add("ECMP", false, SRC, IP(192, 0, 2, 7), 64, 18);
	add("over the MTU, fragmented", false, SRC, DST, 64, 1400);
	f = add("over the MTU with DF", false, SRC, DST, 64, 1400);
	rs_st16(f->b + ETH_HLEN + 6, IP4_DF);
	fix_ip_csum(f);
	f = add("two segments", false, SRC, DST, 64, 100);
	f->seg = 64;
	f = add("back out of the ingress link", true, SRC, IP(10, 0, 0, 2), 64, 18);
	make_cases6();
}

static bool is_ip6(const struct frame *f)
{
	return rs_ld16(f->b + 12) == ETH_P_IPV6;
}

Test(fastpath, each_case_alone)
{
	make_cases();
	for (unsigned i = 0; i < ncases; i++) {
		same(cases[i].name, &cases[i].f, 1, false, cases[i].fast);
		/* fastpath6_fast counts the IPv6 frames it forwarded, only */
		cr_assert_eq(last_fast6, cases[i].fast && is_ip6(&cases[i].f),
			     "%s: fastpath6_fast %lu", cases[i].name, last_fast6);
	}
}

/* All cases in one burst, three times over, so that they share vectors
 * (and groups of four) with each other: the same outcome as a multiset. */
Test(fastpath, mixed_vectors)
{
	make_cases();
	static struct frame all[3 * RTE_DIM(cases)];
	unsigned n = 0, nfast = 0, nfast6 = 0;
	for (unsigned r = 0; r < 3; r++)
		for (unsigned i = 0; i < ncases; i++) {
			/* a different interleaving each round */
			unsigned k = (i * (2 * r + 1) + r) % ncases;
			all[n++] = cases[k].f;
			nfast += cases[k].fast;
			nfast6 += cases[k].fast && is_ip6(&cases[k].f);
		}
	same("mixed", all, n, true, nfast);
	cr_assert_eq(last_fast6, nfast6, "mixed: fastpath6_fast %lu, want %u", last_fast6, nfast6);
}

/* Vectors of only valid frames, of every length up to two bursts: the
 * groups of four and the tail. */
Test(fastpath, valid_vectors_of_every_length)
{
	static struct frame f[64];
	for (unsigned n = 1; n <= 64; n++) {
		for (unsigned i = 0; i < n; i++) {
			mk_udp(&f[i], SRC, IP(203, 0, 113, (uint8_t)(i * 7 % 200)), (uint8_t)(2 + i),
			       (uint16_t)(18 + i));
		}
		char what[32];
		snprintf(what, sizeof(what), "%u valid", n);
		same(what, f, n, false, n);
	}
}

/* IPv6 vectors of valid frames, of every length up to two bursts, their
 * destinations alternating between leaves of the FIB6 (a /48, a /64 in it,
 * the /48 beside the /64, first-level entries) and on-link neighbours
 * (whose memo holds for one address): each frame gets its own next hop's
 * header. */
Test(fastpath, valid_vectors6_of_every_length)
{
	static const char *dsts[] = {
		"2001:db8:99::5", "2001:db8:99:1::5", "2001:db8:99::6", "2001:db8:b::2",
		"2001:db8:b::4", "2001:db8:99:1::7", "2001:db8:99:2::1", "2001:db8:b::1:2",
		"2001:db8:b::1:4", "2001:db8:a::2",
	};
	static struct frame f[64];
	for (unsigned n = 1; n <= 64; n++) {
		for (unsigned i = 0; i < n; i++)
			mk_udp6(&f[i], SRC6, dsts[(i + n) % RTE_DIM(dsts)], (uint8_t)(2 + i),
				(uint16_t)(18 + i));
		char what[32];
		snprintf(what, sizeof(what), "%u valid IPv6", n);
		same(what, f, n, false, n);
		cr_assert_eq(last_fast6, n, "%s: fastpath6_fast %lu", what, last_fast6);
	}
}

/* Both families in one vector, in runs of every length: the node switches
 * between its IPv4 and IPv6 loops where the Ethertype changes. */
Test(fastpath, families_interleaved)
{
	static struct frame f[64];
	for (unsigned run = 1; run <= 9; run++) {
		unsigned n6 = 0;
		for (unsigned i = 0; i < 64; i++) {
			if ((i / run) % 2) {
				/* odd runs: every frame to port1 (the node
				 * transmits the vector itself); even runs: some
				 * IPv6 frames back to port0 */
				const char *d6 = i % 3 ? DST6
					       : run % 2 ? "2001:db8:b::4" : "2001:db8:a::2";
				mk_udp6(&f[i], SRC6, d6, 64, (uint16_t)(18 + i));
				n6++;
			} else {
				mk_udp(&f[i], SRC, IP(203, 0, 113, (uint8_t)(i * 7 % 200)), 64,
				       (uint16_t)(18 + i));
			}
		}
		char what0[32];
		snprintf(what0, sizeof(what0), "runs of %u, all valid", run);
		same(what0, f, 64, true, 64);
		cr_assert_eq(last_fast6, n6, "%s: fastpath6_fast %lu, want %u", what0, last_fast6,
			     n6);
		/* one frame of each family the fast paths leave: TTL and
		 * Hop Limit 1 (f[0] is IPv4, f[run] IPv6) */
		mk_udp(&f[0], SRC, DST, 1, 18);
		mk_udp6(&f[run], SRC6, DST6, 1, 18);
		char what[32];
		snprintf(what, sizeof(what), "runs of %u", run);
		same(what, f, 64, true, 62);
		cr_assert_eq(last_fast6, n6 - 1, "%s: fastpath6_fast %lu, want %u", what, last_fast6,
			     n6 - 1);
	}
}

/* A link that goes down, a neighbour that changes, a route that goes: the
 * fast path follows the published configuration as the general one does. */
Test(fastpath, follows_configuration_changes)
{
	struct frame f;
	mk_udp(&f, SRC, DST, 64, 18);
	same("before", &f, 1, false, 1);
	run_cmd("neigh del 10.2.0.2 dev port1");
	run_cmd("neigh add 10.2.0.2 lladdr 02:00:00:00:01:99 dev port1");
	same("new MAC", &f, 1, false, 1);
	struct frame big;
	mk_udp(&big, SRC, DST, 64, 200);
	same("228 bytes, MTU 1280", &big, 1, false, 1);
	run_cmd("link set port1 mtu 100");
	same("228 bytes, MTU 100: fragmented", &big, 1, false, 0);
	same("46 bytes, MTU 100", &f, 1, false, 1);
	run_cmd("link set port1 mtu 1500");
	run_cmd("link set port1 down");
	same("egress link down", &f, 1, false, 0);
	run_cmd("link set port1 up");
	run_cmd("link set port0 forwarding off");
	same("forwarding off", &f, 1, false, 0);
	run_cmd("link set port0 forwarding on");
	run_cmd("route del 203.0.113.0/24");
	same("route gone", &f, 1, false, 0);
}

/* A destination whose FIB entry is a plain tbl24 one (203.0.113/24 holds a
 * /28, so its entries are tbl8 ones, and an on-link memo holds for one
 * destination): ip4_fastpath's hot loop forwards the frames after a
 * vector's first only to such a destination, without returning to the
 * step that changes the memos. */
#define HOT_DST(x) IP(198, 18, 1, (x))
static void hot_route(bool add)
{
	run_cmd(add ? "route add 198.18.0.0/16 via 10.2.0.2" : "route del 198.18.0.0/16");
}

/* The port's IPv4 checksum verdict (ol_flags), on a link that gives none
 * (ip4_input ignores it there: the checksum is computed) and on one that
 * gives it (trusted when good or bad, computed when unknown or none), alone
 * and in vectors where the hot loop meets a frame it cannot decide. */
static void verdict_cases(bool port_verdict)
{
	static const uint64_t verdicts[] = {
		0,
		RTE_MBUF_F_RX_IP_CKSUM_GOOD,
		RTE_MBUF_F_RX_IP_CKSUM_BAD,
		RTE_MBUF_F_RX_IP_CKSUM_NONE,
	};
	static struct frame v[64];
	unsigned n = 0, nfast = 0;
	for (unsigned i = 0; i < RTE_DIM(verdicts); i++) {
		for (int bad = 0; bad <= 1; bad++) {
			struct frame f;
			mk_udp(&f, SRC, HOT_DST(5), 64, 18);
			if (bad)
				f.b[ETH_HLEN + 10] ^= 0x40;
			f.ol = verdicts[i];
			bool fast;
			if (!port_verdict || verdicts[i] == 0 || verdicts[i] == RTE_MBUF_F_RX_IP_CKSUM_NONE)
				fast = !bad; /* computed */
			else
				fast = verdicts[i] == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			char what[96];
			snprintf(what, sizeof(what), "%s, checksum %s, verdict %#lx",
				 port_verdict ? "link with a verdict" : "link without one",
				 bad ? "bad" : "good", (unsigned long)verdicts[i]);
			same(what, &f, 1, false, fast);
			/* in a vector: valid frames the port calls good around it */
			for (unsigned k = 0; k < 5; k++) {
				struct frame *g = &v[n++];
				if (k == 2) {
					*g = f;
					nfast += fast;
				} else {
					mk_udp(g, SRC, HOT_DST((uint8_t)n), 64, 18);
					g->ol = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
					nfast++;
				}
			}
		}
	}
	same(port_verdict ? "vector, link with a verdict" : "vector, link without one", v, n, true,
	     nfast);
}

Test(fastpath, port_checksum_verdict)
{
	hot_route(true);
	verdict_cases(false);
	rs_cfg_edit()->ifaces[ports[0].id].rx_ip4_csum = true;
	rs_cfg_commit();
	verdict_cases(true);
	rs_cfg_edit()->ifaces[ports[0].id].rx_ip4_csum = false;
	rs_cfg_commit();
	hot_route(false);
}

/* A header checksum field of 0xfffe or 0xffff (0x0000's other form): the
 * TTL decrement's checksum update has its other case there (RFC 1624), which
 * the hot loop leaves to the step that changes the memos. Alone and amid
 * ordinary frames. */
Test(fastpath, checksum_field_fffe_ffff)
{
	static struct frame v[32];
	unsigned n = 0;
	hot_route(true);
	for (int want = 0; want < 2; want++) {
		struct frame f;
		uint8_t *ip = f.b + ETH_HLEN;
		bool found = false;
		for (uint32_t id = 0; id < 65536 && !found; id++) {
			mk_udp(&f, SRC, HOT_DST(5), 64, 18);
			rs_st16(ip + 4, (uint16_t)id);
			fix_ip_csum(&f);
			found = rs_ld16(ip + 10) == (want ? 0x0000 : 0xfffe);
		}
		cr_assert(found);
		if (want)
			rs_st16(ip + 10, 0xffff);
		same(want ? "checksum field 0xffff" : "checksum field 0xfffe", &f, 1, false, 1);
		for (unsigned k = 0; k < 12; k++) {
			if (k == 5 || k == 6)
				v[n] = f;
			else
				mk_udp(&v[n], SRC, HOT_DST((uint8_t)n), 64, 18);
			n++;
		}
	}
	same("checksum fields 0xfffe and 0xffff in a vector", v, n, false, n);
	hot_route(false);
}

/* valid_vectors_of_every_length and mixed_vectors through the hot loop:
 * to a destination it keeps its memo for (HOT_DST) */
Test(fastpath, hot_loop_vectors)
{
	hot_route(true);
	static struct frame f[64];
	for (unsigned n = 1; n <= 64; n++) {
		for (unsigned i = 0; i < n; i++)
			mk_udp(&f[i], SRC, HOT_DST((uint8_t)(i * 7 % 200)), (uint8_t)(2 + i),
			       (uint16_t)(18 + i));
		char what[48];
		snprintf(what, sizeof(what), "%u valid, hot loop", n);
		same(what, f, n, false, n);
	}
	/* every case amid frames the hot loop takes */
	make_cases();
	static struct frame all[2 * RTE_DIM(cases)];
	unsigned n = 0, nfast = 0;
	for (unsigned i = 0; i < ncases; i++) {
		mk_udp(&all[n++], SRC, HOT_DST((uint8_t)i), 64, 18);
		all[n++] = cases[i].f;
		nfast += 1 + cases[i].fast;
	}
	same("every case amid hot-loop frames", all, n, true, nfast);
	hot_route(false);
}

/* The same for IPv6, and a longer prefix that appears inside a leaf the
 * fast path's memo held in an earlier vector. */
Test(fastpath, follows_configuration_changes6)
{
	struct frame f;
	mk_udp6(&f, SRC6, "2001:db8:99:5::1", 64, 18);
	same("before", &f, 1, false, 1);
	run_cmd("neigh del 2001:db8:b::2 dev port1");
	run_cmd("neigh add 2001:db8:b::2 lladdr 02:00:00:00:01:99 dev port1");
	same("new MAC", &f, 1, false, 1);
	run_cmd("route add 2001:db8:99:5::/64 via 2001:db8:b::4");
	same("a /64 inside the /48", &f, 1, false, 1);
	run_cmd("route add 2001:db8:99:5::/64 via 2001:db8:b::3 metric 1");
	same("the /64 to an unresolved neighbour", &f, 1, false, 0);
	run_cmd("route del 2001:db8:99:5::/64 via 2001:db8:b::3");
	struct frame big;
	mk_udp6(&big, SRC6, DST6, 64, 1400);
	same("1462 bytes, MTU 1280: Packet Too Big", &big, 1, false, 0);
	run_cmd("link set port1 mtu 1500");
	same("1462 bytes, MTU 1500", &big, 1, false, 1);
	run_cmd("link set port1 down");
	same("egress link down", &f, 1, false, 0);
	run_cmd("link set port1 up");
	run_cmd("link set port0 forwarding off");
	same("forwarding off", &f, 1, false, 0);
	run_cmd("link set port0 forwarding on");
	run_cmd("route del 2001:db8:99::/48");
	mk_udp6(&f, SRC6, DST6, 64, 18);
	same("route gone", &f, 1, false, 0);
}

static struct rte_node *node_named(const char *name)
{
	struct rte_node *node;
	rte_graph_off_t off;
	rte_node_t count;
	rte_graph_foreach_node(count, off, wk->graph, node) {
		if (strcmp(node->name, name) == 0)
			return node;
	}
	cr_assert_fail("no node %s", name);
	return NULL;
}

/* The graph's per-node counters of port_rx (a source node, called at every
 * walk): calls at every walk, cycles only at the walks that are timed, one
 * in RS_NODE_CYCLES_EVERY (the TSC is read once in the others). */
Test(fastpath, node_cycles_sampled)
{
	settle();
	struct rte_node *rx = node_named("port_rx");
	/* up to the next timed walk */
	while ((wk->loops & (RS_NODE_CYCLES_EVERY - 1)) != 0)
		rs_worker_poll_once(wk);
	uint64_t calls = rx->total_calls, cyc = rx->total_cycles;
	rs_worker_poll_once(wk);
	cr_assert_eq(rx->total_calls, calls + 1);
	cr_assert_gt(rx->total_cycles, cyc, "a timed walk counts cycles");
	/* the walk's cycles come scaled to the walks the sample stands for */
	cr_assert_eq((rx->total_cycles - cyc) % RS_NODE_CYCLES_EVERY, 0);
	cyc = rx->total_cycles;
	for (unsigned k = 1; k < RS_NODE_CYCLES_EVERY; k++)
		rs_worker_poll_once(wk);
	cr_assert_eq(rx->total_calls, calls + RS_NODE_CYCLES_EVERY);
	cr_assert_eq(rx->total_cycles, cyc, "an untimed walk reads no TSC for the nodes");
}
