/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_rx: libFuzzer harness for the whole receive path of the dataplane.
 *
 * One-time set-up (LLVMFuzzerInitialize): the EAL without hugepages or PCI,
 * two net_ring ports (each an RX ring we fill and a TX ring we drain), the
 * dataplane with one worker whose graph runs on this thread (never
 * launched), and a small configuration through the ringctl command
 * dispatcher (see setup_cmds below): two addresses on port0, one on port1
 * (MTU 1280), a static neighbor on each, routes via a resolved and via an
 * unresolved gateway, blackhole/unreachable/prohibit routes. With two links
 * forwarding is on (auto), so ip4_forward is reached too.
 *
 * Each input is a sequence of records (fuzz_rx_format.h): frames, clock
 * advances, control-thread polls. Oracles, besides ASan/UBSan:
 *  - mbufs: the pool uses a mempool driver of ours that poisons a buffer
 *    for ASan while it is free (use after free / double free of an mbuf is
 *    reported where it happens) and has no per-lcore cache, so its count is
 *    exact; at the end of an input, after the clock has run past every
 *    timeout (reassembly, neighbor resolution), every mbuf must be back.
 *  - what the stack transmits: a valid mbuf chain, our source MAC, ARP or
 *    IPv4 only, IPv4 header valid with a correct checksum and total length
 *    equal to the frame, never larger than the link MTU, ICMP checksum valid.
 *  - dynamic neighbor entries all expire when idle (only the static one and
 *    entries of the initial configuration remain).
 *
 * Environment:
 *   FUZZ_RX_PREFIX          DPDK --file-prefix stem (the pid is appended)
 *   FUZZ_RX_STATS=1         print the per-node graph counters at exit
 *   FUZZ_RX_KNOWN_BUGS      lib/ bugs to step over (see known_bug())
 *   FUZZ_RX_SELFTEST        leak|uaf|double_free: check that the oracles fire
 *   FUZZ_RX_DEFAULT_LIMITS  keep the daemon's table sizes (by default the
 *                           neighbor table holds 16 entries and reassembly 8
 *                           datagrams / 66 KB, so that eviction is reached)
 *   FUZZ_RX_VERBOSE=1       keep the EAL's log
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_graph.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "ctl/cmd.h"
#include "fuzz_rx_format.h"
#include "ip4/ip4.h"
#include "ip4/reass.h"
#include "ip6/ip6.h"
#include "util/rs_json.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"
#include "wire/wire.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if !defined(FZ_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NPORTS 2
struct fz_port {
	uint16_t id;
	uint16_t mtu;
	struct rte_ring *rx, *tx;
	struct rte_ether_addr mac;
};
static struct fz_port ports[FZ_NPORTS];
static struct rs_worker *wk;
static unsigned base_avail;
static uint32_t base_neigh;
static uint64_t n_inputs, n_frames_in, n_frames_out;

#define FZ_NS_PER_MS 1000000ull
#define FZ_SETTLE_STEP_NS (31ull * 1000000000ull) /* > reassembly timeout (30 s) */
#define FZ_SETTLE_MAX 40

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\nfuzz_rx: INVARIANT VIOLATED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
#ifdef FZ_ASAN
	__sanitizer_print_stack_trace();
#endif
	abort();
}

/* ---- a mempool driver that poisons free buffers for ASan ---- */

/* off while the pool is made: rte_pktmbuf_init writes every free buffer */
static bool fz_poison;

static int fz_pool_alloc(struct rte_mempool *mp)
{
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "fzmp_%.20s", mp->name);
	struct rte_ring *r = rte_ring_create(name, rte_align32pow2(mp->size + 1), mp->socket_id,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r == NULL)
		return -rte_errno;
	mp->pool_data = r;
	return 0;
}

static void fz_pool_free(struct rte_mempool *mp)
{
	rte_ring_free(mp->pool_data);
}

static int fz_pool_enqueue(struct rte_mempool *mp, void *const *objs, unsigned n)
{
#ifdef FZ_ASAN
	for (unsigned i = 0; fz_poison && i < n; i++) {
		if (__asan_address_is_poisoned(objs[i]))
			fail("mbuf %p freed twice (it is already in the pool)", objs[i]);
		ASAN_POISON_MEMORY_REGION(objs[i], mp->elt_size);
	}
#endif
	/* single thread: sizes make the ring big enough for every object */
	return rte_ring_sp_enqueue_bulk(mp->pool_data, objs, n, NULL) == n ? 0 : -ENOBUFS;
}

static int fz_pool_dequeue(struct rte_mempool *mp, void **objs, unsigned n)
{
	if (rte_ring_sc_dequeue_bulk(mp->pool_data, objs, n, NULL) != n)
		return -ENOENT;
#ifdef FZ_ASAN
	for (unsigned i = 0; i < n; i++)
		ASAN_UNPOISON_MEMORY_REGION(objs[i], mp->elt_size);
#endif
	return 0;
}

static void fz_poison_obj(struct rte_mempool *mp, void *opaque, void *obj, unsigned idx)
{
#ifdef FZ_ASAN
	ASAN_POISON_MEMORY_REGION(obj, mp->elt_size);
#endif
}

static unsigned fz_pool_count(const struct rte_mempool *mp)
{
	return rte_ring_count(mp->pool_data);
}

static const struct rte_mempool_ops fz_pool_ops = {
	.name = "fuzz_asan",
	.alloc = fz_pool_alloc,
	.free = fz_pool_free,
	.enqueue = fz_pool_enqueue,
	.dequeue = fz_pool_dequeue,
	.get_count = fz_pool_count,
};
RTE_MEMPOOL_REGISTER_OPS(fz_pool_ops);

/* ---- checks on what the stack transmits ---- */

static uint8_t out_buf[65536 + 64];

/*
 * Known lib/ bugs the harness steps over so that fuzzing goes on (each has
 * a reproducer in tests/fuzz/crashers/): FUZZ_RX_KNOWN_BUGS is a comma
 * separated list, default empty (chain_trim is fixed); set it empty to fail on them too.
 */
static bool known_bug(const char *name)
{
	static bool noted;
	const char *l = getenv("FUZZ_RX_KNOWN_BUGS");
	if (l == NULL)
		l = "";
	size_t n = strlen(name);
	for (const char *p = strstr(l, name); p != NULL; p = strstr(p + 1, name))
		if ((p == l || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) {
			if (!noted)
				fprintf(stderr, "fuzz_rx: note: stepping over known bug %s\n", name);
			noted = true;
			return true;
		}
	return false;
}

static bool ours(uint32_t ip)
{
	const struct rs_cfg *c = rs_cfg_current();
	for (unsigned i = 0; i < FZ_NPORTS; i++)
		if (rs_iface_has_addr(&c->ifaces[ports[i].id], ip))
			return true;
	return false;
}

static void check_tx(const struct fz_port *pt, struct rte_mbuf *m)
{
	const char *why = NULL;
	if (rte_mbuf_check(m, 1, &why) != 0)
		fail("transmitted mbuf is inconsistent: %s", why);
	uint32_t len = m->pkt_len;
	if (len > sizeof(out_buf))
		fail("transmitted frame of %" PRIu32 " bytes", len);
	const uint8_t *f = rte_pktmbuf_read(m, 0, len, out_buf);
	if (f == NULL)
		fail("transmitted frame unreadable (pkt_len %" PRIu32 ")", len);
	if (len < ETH_HLEN)
		fail("transmitted frame of %" PRIu32 " bytes, shorter than Ethernet", len);
	if (memcmp(f + 6, pt->mac.addr_bytes, 6) != 0)
		fail("transmitted frame on port %u with a source MAC not its own", pt->id);
	if (m->port != pt->id)
		fail("transmitted frame on port %u with m->port %u", pt->id, m->port);
	uint16_t type = rs_ld16(f + 12);
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t l3len = len - ETH_HLEN;
	if (type == ETH_P_ARP) {
		struct arp_view a;
		if (arp_check(&a, l3, l3len) != 0)
			fail("transmitted a malformed ARP packet (%" PRIu32 " bytes)", l3len);
		if (l3len != ARP_LEN && !(m->nb_segs > 1 && known_bug("chain_trim")))
			fail("transmitted an ARP packet of %" PRIu32 " bytes", l3len);
		if (memcmp(arp_sha(&a), pt->mac.addr_bytes, 6) != 0)
			fail("transmitted ARP on port %u with a sender MAC not its own", pt->id);
		return;
	}
	if (type == ETH_P_IPV6) {
		struct ip6_view v6;
		if (l3len > pt->mtu)
			fail("transmitted an IPv6 packet of %" PRIu32 " bytes over a %u MTU", l3len,
			     pt->mtu);
		int rc6 = ip6_check(&v6, l3, l3len);
		if (rc6 != 0)
			fail("transmitted an invalid IPv6 header (wire error %d)", rc6);
		if ((uint32_t)IP6_HLEN + v6.plen != l3len)
			fail("transmitted IPv6 payload length %u in a %" PRIu32 "-byte packet",
			     v6.plen, l3len);
		if (ip6_hop_limit(l3) == 0)
			fail("transmitted an IPv6 packet with hop limit 0");
		if (ip6_is_unspec(ip6_dst(l3)) || ip6_is_mcast(ip6_src(l3)))
			fail("transmitted an IPv6 packet to :: or from a group");
		/* TCP we originate (a RST from one of our global addresses:
		 * forwarded packets never have our source) has a valid
		 * checksum over the IPv6 pseudo-header */
		static const uint8_t us1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		static const uint8_t us2[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 };
		if (ip6_nexthdr(l3) == IPPROTO_TCP_ && m->nb_segs == 1 && l3len >= IP6_HLEN + 20 &&
		    (memcmp(ip6_src(l3), us1, 16) == 0 || memcmp(ip6_src(l3), us2, 16) == 0)) {
			uint32_t tl = l3len - IP6_HLEN;
			uint32_t cs = rs_csum_pseudo6(ip6_src(l3), ip6_dst(l3), IPPROTO_TCP_, tl);
			if (rs_csum_fold(rs_csum_add(cs, l3 + IP6_HLEN, tl)) != 0)
				fail("transmitted a TCP segment over IPv6 with a bad checksum");
		}
		return;
	}
	if (type != ETH_P_IP)
		fail("transmitted ethertype 0x%04x", type);
	if (l3len > pt->mtu)
		fail("transmitted an IPv4 packet of %" PRIu32 " bytes over a %u MTU", l3len,
		     pt->mtu);
	struct ip4_view v;
	int rc = ip4_check(&v, l3, l3len);
	if (rc != 0)
		fail("transmitted an invalid IPv4 header (wire error %d)", rc);
	if (v.tot_len < l3len && m->nb_segs > 1 && known_bug("chain_trim")) {
		/* tests/fuzz/crashers/chain_trim_forward.bin: ip4_input cannot
		 * trim link-layer padding off a chain, so it travels on */
	} else if (v.tot_len != l3len)
		fail("transmitted IPv4 total length %u in a %" PRIu32 "-byte packet", v.tot_len,
		     l3len);
	if (!(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) && !ip4_csum_ok(&v))
		fail("transmitted an IPv4 header with a bad checksum");
	/* what we originate (not what we forward) has a correct ICMP checksum */
	if (ip4_proto(&v) == IPPROTO_ICMP_ && !ip4_is_fragment(&v) && ours(ip4_src(&v))) {
		if (l3len - v.hlen < ICMP4_HLEN)
			fail("transmitted a truncated ICMP message");
		if (rs_csum(l3 + v.hlen, l3len - v.hlen) != 0)
			fail("transmitted an ICMP message with a bad checksum");
	}
}

static void drain_tx(void)
{
	struct rte_mbuf *pkts[64];
	unsigned n;
	for (unsigned p = 0; p < FZ_NPORTS; p++) {
		while ((n = rte_ring_sc_dequeue_burst(ports[p].tx, (void **)pkts, RTE_DIM(pkts),
						      NULL)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				check_tx(&ports[p], pkts[i]);
				rte_pktmbuf_free(pkts[i]);
			}
			n_frames_out += n;
		}
	}
}

static bool rx_empty(void)
{
	for (unsigned p = 0; p < FZ_NPORTS; p++)
		if (rte_ring_count(ports[p].rx) != 0)
			return false;
	return true;
}

/* Worker walks until the RX rings and the control->worker ring are empty. */
static void pump(void)
{
	for (int i = 0; i < 256; i++) {
		rs_worker_poll_once(wk);
		drain_tx();
		if (rx_empty() && rte_ring_count(wk->from_ctl) == 0)
			break;
	}
}

static void ctl_round(void)
{
	do {
		ctl_poll_workers();
		pump();
	} while (rte_ring_count(wk->to_ctl) != 0);
}

static bool quiet(void)
{
	struct reass_stats rs, rs6;
	reass_get_stats(ip4_worker(wk)->rg.reass, &rs);
	reass_get_stats(ip6_worker(wk)->rg.reass, &rs6);
	return rte_mempool_avail_count(rs_dp.pool) == base_avail && rs.datagrams == 0 &&
	       rs6.datagrams == 0 &&
	       neigh_ctl_count() <= base_neigh && rx_empty() &&
	       rte_ring_count(wk->to_ctl) == 0 && rte_ring_count(wk->from_ctl) == 0;
}

/* Runs the clock past every timeout until nothing is held any more. */
static void settle(bool check)
{
	pump();
	ctl_round();
	for (int step = 0; step < FZ_SETTLE_MAX; step++) {
		rs_dp.clock_offset_ns += FZ_SETTLE_STEP_NS;
		ctl_round();
		if (step >= 1 && quiet())
			return;
	}
	if (!check)
		return;
	struct reass_stats rs;
	reass_get_stats(ip4_worker(wk)->rg.reass, &rs);
	unsigned avail = rte_mempool_avail_count(rs_dp.pool);
	if (avail < base_avail)
		fail("%u mbuf(s) leaked (pool has %u free, %u at start; reassembly holds %u "
		     "datagrams, %u neighbor entries)",
		     base_avail - avail, avail, base_avail, rs.datagrams, neigh_ctl_count());
	if (avail > base_avail)
		fail("%u mbuf(s) more in the pool than at start: freed twice", avail - base_avail);
	if (rs.datagrams)
		fail("reassembly still holds %u datagram(s) after %d s idle", rs.datagrams,
		     FZ_SETTLE_MAX * 31);
	if (neigh_ctl_count() > base_neigh)
		fail("%u neighbor entries after %d s idle (%u at start)", neigh_ctl_count(),
		     FZ_SETTLE_MAX * 31, base_neigh);
	fail("rings not empty after %d s idle", FZ_SETTLE_MAX * 31);
}

/* ---- frames ---- */

static uint8_t frame[FZ_MAX_FRAME];

/* FZ_F_L4CSUM on IPv6: the ICMPv6, TCP or UDP checksum of a packet whose
 * fixed header names that protocol (over what the frame holds of its
 * payload). */
static void fix_checksums6(uint8_t *f, size_t len, uint8_t op)
{
	if (!(op & FZ_F_L4CSUM) || len < ETH_HLEN + IP6_HLEN + ICMP6_HLEN)
		return;
	uint8_t *ip = f + ETH_HLEN;
	uint8_t proto = ip[6];
	size_t at = proto == IPPROTO_ICMPV6_ ? 2 : proto == IPPROTO_TCP_ ? 16
		  : proto == IPPROTO_UDP_ ? 6 : 0;
	if (at == 0)
		return;
	size_t l4len = rs_ld16(ip + 4);
	if (l4len > len - ETH_HLEN - IP6_HLEN)
		l4len = len - ETH_HLEN - IP6_HLEN;
	if (l4len < at + 2)
		return;
	uint8_t *l4 = ip + IP6_HLEN;
	rs_st16(l4 + at, 0);
	uint32_t s = rs_csum_pseudo6(ip + 8, ip + 24, proto, (uint32_t)l4len);
	uint16_t c = rs_csum_fold(rs_csum_add(s, l4, l4len));
	rs_st16(l4 + at, c == 0 && proto == IPPROTO_UDP_ ? 0xffff : c);
}

static void fix_checksums(uint8_t *f, size_t len, uint8_t op)
{
	if (len >= ETH_HLEN && rs_ld16(f + 12) == ETH_P_IPV6) {
		fix_checksums6(f, len, op);
		return;
	}
	if (len < ETH_HLEN + IP4_HLEN || rs_ld16(f + 12) != ETH_P_IP)
		return;
	uint8_t *ip = f + ETH_HLEN;
	size_t avail = len - ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < IP4_HLEN || ihl > avail)
		return;
	uint16_t frag = rs_ld16(ip + 6);
	if ((op & FZ_F_L4CSUM) && !(frag & (IP4_MF | IP4_OFFMASK))) {
		size_t tot = rs_ld16(ip + 2);
		if (tot > avail)
			tot = avail;
		if (tot >= ihl) {
			uint8_t *l4 = ip + ihl;
			size_t l4len = tot - ihl;
			if (ip[9] == IPPROTO_ICMP_ && l4len >= ICMP4_HLEN) {
				rs_st16(l4 + 2, 0);
				rs_st16(l4 + 2, rs_csum(l4, l4len));
			} else if (ip[9] == IPPROTO_UDP_ && l4len >= UDP_HLEN) {
				uint16_t ulen = rs_ld16(l4 + 4);
				if (ulen < UDP_HLEN || ulen > l4len)
					ulen = (uint16_t)l4len;
				rs_st16(l4 + 6, 0);
				uint32_t s = rs_csum_pseudo4(rs_ld32(ip + 12), rs_ld32(ip + 16),
							     IPPROTO_UDP_, ulen);
				uint16_t c = rs_csum_fold(rs_csum_add(s, l4, ulen));
				rs_st16(l4 + 6, c ? c : 0xffff);
			}
		}
	}
	if (op & FZ_F_IPCSUM)
		ip4_set_csum(ip, (uint16_t)ihl);
}

/* Copies a frame into an mbuf chain of segments of at most seg bytes. */
static struct rte_mbuf *make_mbuf(const uint8_t *d, size_t len, size_t seg, uint16_t port)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	size_t off = 0;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		size_t n = len - off;
		if (n > seg)
			n = seg;
		if (n > rte_pktmbuf_tailroom(m))
			n = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), d + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)n;
		}
		tail = m;
	} while (off < len);
	head->port = port;
	return head;
}

static void inject(const struct fz_port *pt, uint8_t op, const uint8_t *d, size_t len)
{
	size_t seg = RTE_MBUF_DEFAULT_DATAROOM;
	if (op & FZ_F_SEGS) {
		if (len == 0)
			return;
		seg = 16 + 8 * (size_t)d[0];
		d++;
		len--;
	}
	if (len > FZ_MAX_FRAME)
		len = FZ_MAX_FRAME;
	memcpy(frame, d, len);
	if ((op & FZ_F_OURMAC) && len >= 6)
		memcpy(frame, pt->mac.addr_bytes, 6);
	if (op & (FZ_F_IPCSUM | FZ_F_L4CSUM))
		fix_checksums(frame, len, op);
	struct rte_mbuf *m = make_mbuf(frame, len, seg, pt->id);
	if (m == NULL)
		fail("mbuf pool exhausted while injecting (%u free)",
		     rte_mempool_avail_count(rs_dp.pool));
	if (rte_ring_sp_enqueue(pt->rx, m) != 0) {
		/* RX ring full (a long burst): as a NIC, drop it */
		rte_pktmbuf_free(m);
		return;
	}
	n_frames_in++;
	if (!(op & FZ_F_NOPOLL))
		pump();
}

/* FUZZ_RX_SELFTEST=leak|uaf|double_free: proves each oracle fires. */
static const char *selftest;

static void run_selftest(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return;
	if (strcmp(selftest, "leak") == 0)
		return;
	rte_pktmbuf_free(m);
	if (strcmp(selftest, "uaf") == 0)
		fprintf(stderr, "fuzz_rx: selftest read %u\n", *(volatile uint16_t *)&m->data_off);
	else if (strcmp(selftest, "double_free") == 0)
		rte_pktmbuf_free_bulk(&m, 1); /* uninstrumented DPDK code: the pool sees it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	n_inputs++;
	while (size - i >= 3) {
		uint8_t op = data[i];
		size_t len = rs_ld16le(data + i + 1);
		i += 3;
		switch (op & FZ_OP_KIND_MASK) {
		case FZ_OP_CLOCK:
			rs_dp.clock_offset_ns += (uint64_t)len * FZ_NS_PER_MS;
			pump();
			break;
		case FZ_OP_CTL:
			ctl_poll_workers();
			pump();
			break;
		case FZ_OP_POLL:
			pump();
			break;
		default:
			if (len > size - i)
				len = size - i;
			inject(&ports[(op & FZ_OP_KIND_MASK) == FZ_OP_INJECT_P1 ? 1 : 0], op,
			       data + i, len);
			i += len;
			break;
		}
	}
	if (selftest != NULL)
		run_selftest();
	settle(true);
	return 0;
}

/* ---- set-up ---- */

static void run_cmd(const char *line)
{
	char copy[256], *argv[16];
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok(copy, " "); t != NULL && argc < 15; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	struct rs_buf out;
	rs_buf_init(&out);
	struct cmd_ctx ctx = { .json = false, .out = &out };
	if (cmd_exec(&ctx, argc, argv) < 0) {
		fprintf(stderr, "fuzz_rx: \"%s\": %s\n", line, rs_err_get());
		exit(1);
	}
	rs_cfg_commit();
	rs_buf_free(&out);
}

static void print_stats(void)
{
	fprintf(stderr, "fuzz_rx: %" PRIu64 " inputs, %" PRIu64 " frames in, %" PRIu64
		" frames out\n", n_inputs, n_frames_in, n_frames_out);
	const char *pattern = "worker0";
	struct rte_graph_cluster_stats_param sp = {
		.socket_id = SOCKET_ID_ANY,
		.fn = NULL,
		.f = stderr,
		.nb_graph_patterns = 1,
		.graph_patterns = &pattern,
	};
	struct rte_graph_cluster_stats *st = rte_graph_cluster_stats_create(&sp);
	if (st == NULL)
		return;
	rte_graph_cluster_stats_get(st, false);
	rte_graph_cluster_stats_destroy(st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	const char *env = getenv("FUZZ_RX_PREFIX");
	if (env != NULL && *env)
		snprintf(prefix, sizeof(prefix), "--file-prefix=%s%d", env, (int)getpid());
	else
		snprintf(prefix, sizeof(prefix), "--file-prefix=fuzzrx%d", (int)getpid());
	bool verbose = getenv("FUZZ_RX_VERBOSE") != NULL;
	char *eal[] = {
		"fuzz_rx", "-l", "0,1", "--no-huge", "--no-pci", "-m", "512", prefix,
		verbose ? "--log-level=*:info" : "--log-level=*:error", "--no-telemetry", NULL,
	};
	int eargc = (int)RTE_DIM(eal) - 1;
	if (rte_eal_init(eargc, eal) < 0) {
		fprintf(stderr, "fuzz_rx: rte_eal_init: %s\n", rte_strerror(rte_errno));
		exit(1);
	}

	struct rs_dp_params p;
	rs_dp_params_default(&p);
	if (getenv("FUZZ_RX_DEFAULT_LIMITS") == NULL) {
		/* Small tables (values the daemon accepts) so that inputs of a
		 * few kilobytes reach eviction: neighbor table full, reassembly
		 * out of descriptors or bytes. A 64 KB datagram still fits. */
		p.neigh_max = 16;
		p.reass_max_datagrams = 8;
		p.reass_max_bytes = 66 * 1024;
	}
	if (rs_dp_init(&p) < 0) {
		fprintf(stderr, "fuzz_rx: rs_dp_init: %s\n", rs_err_get());
		exit(1);
	}
	/* The pool the daemon would make (same size and buffers), but without
	 * the per-lcore cache and on our poisoning driver. */
	unsigned nmbufs = 4 * rs_dp.nb_workers * (p.rx_desc + p.tx_desc) +
			  rs_dp.nb_workers * 4096 + 8192;
	rs_dp.pool = rte_pktmbuf_pool_create_by_ops("rs_mbufs", nmbufs, 0, 0,
						    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id(),
						    fz_pool_ops.name);
	if (rs_dp.pool == NULL) {
		fprintf(stderr, "fuzz_rx: mbuf pool: %s\n", rte_strerror(rte_errno));
		exit(1);
	}

	/* every buffer is free now */
	rte_mempool_obj_iter(rs_dp.pool, fz_poison_obj, NULL);
	fz_poison = true;

	for (unsigned i = 0; i < FZ_NPORTS; i++) {
		struct fz_port *pt = &ports[i];
		char name[32];
		snprintf(name, sizeof(name), "fz_rx%u", i);
		pt->rx = rte_ring_create(name, 4096, (int)rte_socket_id(),
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fz_tx%u", i);
		pt->tx = rte_ring_create(name, 4096, (int)rte_socket_id(),
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (pt->rx == NULL || pt->tx == NULL) {
			fprintf(stderr, "fuzz_rx: rings: %s\n", rte_strerror(rte_errno));
			exit(1);
		}
		snprintf(name, sizeof(name), "fz%u", i);
		int id = rte_eth_from_rings(name, &pt->rx, 1, &pt->tx, 1,
					    (unsigned)rte_socket_id());
		if (id < 0) {
			fprintf(stderr, "fuzz_rx: rte_eth_from_rings: %s\n",
				rte_strerror(rte_errno));
			exit(1);
		}
		pt->id = (uint16_t)id;
		snprintf(name, sizeof(name), "port%u", i);
		if (rs_port_setup(pt->id, name) < 0) {
			fprintf(stderr, "fuzz_rx: %s setup: %s\n", name, rs_err_get());
			exit(1);
		}
		/* net_ring has an all-zero MAC and cannot change it: give the
		 * stack's view of the link a real one */
		struct rte_ether_addr mac = {
			.addr_bytes = { 0x02, 0x52, 0x53, 0x00, 0x00, (uint8_t)(i + 1) } };
		rs_cfg_edit()->ifaces[pt->id].mac = mac;
	}
	rs_cfg_commit();
	if (rs_workers_create() < 0) {
		fprintf(stderr, "fuzz_rx: workers: %s\n", rs_err_get());
		exit(1);
	}
	wk = &rs_dp.workers[0];

	static const char *setup_cmds[] = {
		"addr add 10.0.0.1/24 dev port0",
		"addr add 10.1.0.1/16 dev port0",
		"addr add 10.2.0.1/24 dev port1",
		"link set port1 mtu 1280",
		"neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev port0",
		"neigh add 10.2.0.2 lladdr 02:00:00:00:01:02 dev port1",
		"route add 192.168.0.0/16 via 10.0.0.2",
		"route add 172.16.0.0/12 via 10.0.0.3",
		"route add 203.0.113.0/24 via 10.2.0.2",
		"route add blackhole 198.51.100.0/24",
		"route add unreachable 198.51.101.0/24",
		"route add prohibit 198.51.102.0/24",
		"addr add 2001:db8::1/64 dev port0",
		"addr add 2001:db8:2::1/64 dev port1",
		"neigh add 2001:db8::2 lladdr 02:00:00:00:00:02 dev port0",
		"neigh add 2001:db8:2::2 lladdr 02:00:00:00:01:02 dev port1",
		"route add 2001:db8:99::/48 via 2001:db8::2",
		"route add 2001:db8:98::/48 via 2001:db8:2::2",
		"route add 2001:db8:97::/48 via 2001:db8::3",
		"route add blackhole 2001:db8:96::/48",
	};
	for (unsigned i = 0; i < RTE_DIM(setup_cmds); i++)
		run_cmd(setup_cmds[i]);
	for (unsigned i = 0; i < FZ_NPORTS; i++) {
		const struct rs_iface *ifc = &rs_cfg_current()->ifaces[ports[i].id];
		ports[i].mtu = ifc->mtu;
		ports[i].mac = ifc->mac;
	}

	/* gratuitous ARPs of the addresses go out; then a quiet start */
	settle(false);
	base_avail = rte_mempool_avail_count(rs_dp.pool);
	base_neigh = neigh_ctl_count();
	if (base_avail != rs_dp.pool->size) {
		fprintf(stderr, "fuzz_rx: %u of %u mbufs in use after set-up\n",
			rs_dp.pool->size - base_avail, rs_dp.pool->size);
		exit(1);
	}
	for (unsigned i = 0; i < FZ_NPORTS; i++) {
		const uint8_t *a = ports[i].mac.addr_bytes;
		fprintf(stderr, "fuzz_rx: port%u (id %u) mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u%s\n",
			i, ports[i].id, a[0], a[1], a[2], a[3], a[4], a[5], ports[i].mtu,
			rs_cfg_current()->ifaces[ports[i].id].forwarding ? " forwarding" : "");
	}
	fprintf(stderr, "fuzz_rx: %u mbufs, %u neighbor(s)\n", base_avail, base_neigh);
	selftest = getenv("FUZZ_RX_SELFTEST");
	if (getenv("FUZZ_RX_STATS") != NULL)
		atexit(print_stats);
	return 0;
}
