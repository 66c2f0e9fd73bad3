/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's shared state: the configuration the control thread
 * publishes, the workers, packet metadata, and the clock.
 *
 * Concurrency contract
 *  - The control thread is the only writer of everything here except a
 *    worker's own struct rs_worker fields marked "worker-owned".
 *  - Configuration is published as an immutable struct rs_cfg through
 *    rs_cfg_publish(): workers load the pointer once per graph walk
 *    (rs_worker_cfg()), so one walk sees exactly one version. The old version
 *    is freed only after a grace period (an rte_rcu_qsbr token checked by
 *    rs_rcu_reclaim, or rs_sync): every worker reports a quiescent state once
 *    per loop, outside any walk, and is offline while it sleeps idle.
 *  - Workers never block, never lock, never malloc on the fast path; they
 *    post what they learn to the control thread over SP/SC rings.
 */
#ifndef RS_DP_H
#define RS_DP_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_graph.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "util/impair.h"

#define RS_MAX_WORKERS 16
/* Links: one per DPDK port (index == port id), and lo after them. */
#define RS_MAX_IFACES (RTE_MAX_ETHPORTS + 1)
#define RS_LO_IFACE RTE_MAX_ETHPORTS
#define RS_MAX_ADDRS 32
#define RS_IFNAMSIZ 32
#define RS_BURST 32
/* Frames port_rx asks a queue for per walk: the walk's fixed cost (every
 * source node, the clock, the RCU report) and ip4_fastpath's per-vector
 * memos (link, next hop, neighbour hash lookup) spread over more packets.
 * Measured (perf/fwd_bench.sh --callgrind): 64 -> 128 took ringstack's own
 * instructions per forwarded packet from 144 to 134; a full vector of 64-byte
 * frames is under 13 us at 10 Mpps. */
#define RS_RX_BURST 128

struct rs_addr4 {
	uint32_t ip; /* host order */
	uint8_t plen;
};

/* An IPv6 address of a link (RFC 4291), network byte order. */
struct rs_addr6 {
	uint8_t ip[16];
	uint8_t plen;
	uint8_t flags; /* RS_A6_* */
};
#define RS_A6_TENTATIVE 0x01 /* DAD under way (RFC 4862 §5.4): not ours yet */
#define RS_A6_LINKLOCAL 0x02 /* made by the stack (RFC 7217), fe80::/64 */
#define RS_A6_DADFAILED 0x04 /* a duplicate was found: never used */
#define RS_MAX_ADDRS6 16

/* One link as workers see it. Immutable once published. */
struct rs_iface {
	bool present;
	bool up;            /* admin state: down stops RX polling and TX */
	bool forwarding;    /* route packets not addressed to us (RFC 1812); derived */
	uint8_t fwd_mode;   /* RS_FWD_AUTO (on when there is more than one link), ON, OFF */
	bool tx_ip4_csum;   /* port offloads the IPv4 header checksum */
	bool rx_ip4_csum;   /* port reports IPv4 header checksum status */
	bool tx_multiseg;   /* port transmits chained mbufs */
	bool loopback;      /* lo: no port; packets to it never leave (ip4_output loops them) */
	uint16_t port;      /* DPDK port id == iface index */
	uint16_t mtu;       /* L3 MTU */
	uint16_t nb_queues; /* RX/TX queues configured (<= workers) */
	struct rte_ether_addr mac;
	char name[RS_IFNAMSIZ];
	uint16_t naddrs;
	struct rs_addr4 addrs[RS_MAX_ADDRS];
	uint16_t naddrs6;
	struct rs_addr6 addrs6[RS_MAX_ADDRS6];
	/* link impairment, [RS_IMPAIR_IN] and [RS_IMPAIR_OUT]; off unless set
	 * (lib/eth/impair_dp.h) */
	struct rs_impair impair[RS_IMPAIR_NDIR];
};

enum { RS_FWD_AUTO = 0, RS_FWD_ON, RS_FWD_OFF };

#define RS_LOCAL_BLOOM_LOG2 12 /* entries in rs_cfg.local_bloom: 4096 */

struct rs_rxq {
	uint16_t port;
	uint16_t queue;
};

/* A published configuration version. */
struct rs_cfg {
	uint64_t gen;
	struct rs_iface ifaces[RS_MAX_IFACES];
	uint16_t nrxq[RS_MAX_WORKERS];
	struct rs_rxq rxq[RS_MAX_WORKERS][RS_MAX_IFACES];
	/* Derived on commit (rs_cfg_commit): a Bloom filter (one hash) of
	 * every address of ours and every subnet broadcast address of ours,
	 * the only addresses the FIB can hold RT_LOCAL / RT_BROADCAST routes
	 * for (they are made from addresses, as /32s). See
	 * rs_cfg_maybe_local_src. One byte an entry (0 or 1), not one bit:
	 * ip4_fastpath tests an entry with one compare, where a bit took two
	 * shifts, a load and a bit test. */
	uint8_t local_bloom[1u << RS_LOCAL_BLOOM_LOG2];
};

/* A message worker -> control (fixed-size ring element). The type is one a
 * module registered (core/module.h); the rest is the module's business. */
struct rs_msg {
	uint16_t type;
	uint16_t iface;
	uint32_t u32;
	struct rte_mbuf *m;  /* ownership passes with the message when non-NULL */
	uint8_t data[48];
};
_Static_assert(sizeof(struct rs_msg) == 64, "ring element size: one cache line");

/* Per-packet metadata, in an mbuf dynamic field: it lives in the mbuf's
 * second cache line, which transmission touches anyway, rather than in a
 * private area that would be a third line per packet. */
struct rs_priv {
	uint32_t nh_ip;     /* next hop for eth_output (host order) */
	uint16_t iface;     /* ingress iface on input, egress iface on output */
	uint16_t flags;     /* RS_PF_* */
	uint32_t nh;        /* ip4_input's FIB result for ip4_forward; for IPv6 output
			     * the FIB6 next hop whose gateway eth_output6 resolves
			     * (FIB6_NH_NONE: the destination itself) */
	uint16_t owner;     /* sock_handoff: the worker the packet goes to */
	uint8_t inject;     /* rs_inject target id (core/module.h) for ctl_input */
};
#define RS_PF_L2_BCAST 0x01   /* received as link-layer broadcast/multicast */
#define RS_PF_OUT_BCAST 0x02  /* send to the link-layer broadcast address */
#define RS_PF_IFACE_SET 0x04  /* ip4_output: egress iface already chosen */
#define RS_PF_LOCAL_BCAST 0x08 /* arrived for a broadcast address of ours */
#define RS_PF_L4_OK 0x10      /* L4 length and checksum checked (a hand-off) */
#define RS_PF_LOOPBACK 0x20   /* looped back by ip4_output: never left the host */
#define RS_PF_MC_HANDED 0x40  /* a multicast copy for the sockets its worker owns */
#define RS_PF_NO_PMTU 0x80    /* ip6_output: the link's MTU, not the path's (IPV6_PMTUDISC_PROBE) */
#define RS_PF_CONFIRM 0x100   /* the sender saw forward progress: eth_output confirms the neighbour */

extern int rs_priv_offset;

static inline struct rs_priv *rs_priv(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, rs_priv_offset, struct rs_priv *);
}

/* The Bloom filter's hash, of the address as it lies in a header (network
 * order, loaded as is): ip4_fastpath hashes it without a byte swap. */
static inline uint32_t rs_local_bloom_hash_be(uint32_t ip_be)
{
	return (ip_be * 0x9e3779b1u) >> (32 - RS_LOCAL_BLOOM_LOG2);
}

/* The same for an address in host order. */
static inline uint32_t rs_local_bloom_hash(uint32_t ip)
{
	return rs_local_bloom_hash_be(rte_cpu_to_be_32(ip));
}

/*
 * Fast path: false when ip (host order) is certainly none of the addresses
 * in c->local_bloom, so a FIB lookup of it cannot give RT_LOCAL or
 * RT_BROADCAST (but see rs_cfg_commit for a change under way); true when it
 * may be one (then look it up).
 */
static inline bool rs_cfg_maybe_local_src(const struct rs_cfg *c, uint32_t ip)
{
	return c->local_bloom[rs_local_bloom_hash(ip)];
}

/* The same, with rs_priv_offset loaded once per vector by the caller (the
 * compiler cannot keep the global in a register across the packet stores). */
static inline struct rs_priv *rs_priv_at(struct rte_mbuf *m, int off)
{
	return RTE_MBUF_DYNFIELD(m, off, struct rs_priv *);
}

/*
 * A worker. Protocol modules keep their own per-worker state, indexed by
 * idx (core/module.h); only what every walk needs is here.
 */
struct rs_worker {
	unsigned lcore;
	uint16_t idx;            /* worker index == RX/TX queue index */
	uint16_t pad;
	struct rte_graph *graph;
	rte_graph_t graph_id;
	struct rte_ring *to_ctl;   /* struct rs_msg, SP (worker) / SC (control) */
	struct rte_ring *from_ctl; /* mbufs, SP (control) / SC (worker) */
	/* worker-owned below */
	struct rs_cfg *cfg;        /* version in use during this walk */
	uint64_t now_ns;           /* clock sampled once per walk */
	uint64_t rx_pkts;          /* received in this walk (for idle detection) */
	uint64_t loops;
	uint64_t idle_sleeps;
	uint64_t msg_drops;        /* rs_msg_post found the ring full */
} __rte_cache_aligned;

struct rs_dp_params {
	uint32_t nb_mbufs;      /* 0 = sized from ports/queues */
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint32_t idle_sleep_us; /* 0 = busy poll */
	uint32_t idle_polls;    /* empty loops before sleeping */
	uint32_t fib_max_routes;
	uint32_t fib_max_tbl8;
	uint32_t fib6_max_routes; /* sized apart: an IPv6 route costs more */
	uint32_t fib6_max_tbl8;
	uint32_t neigh_max;
	uint32_t neigh_queue_max;  /* packets waiting for resolution, all neighbors */
	uint32_t reass_max_datagrams;
	uint32_t reass_max_bytes;
	uint32_t reass_max_frags;  /* fragments held per worker; 0 = pool / (8 * workers) */
	uint32_t reass_timeout_ms;
	uint32_t tcp_max_conns; /* TCP connections per worker (pool and table) */
	uint32_t tcp_max_orphans; /* closed, still finishing, per worker; 0 = half of tcp_max_conns */
	uint32_t icmp_rate;     /* ICMP errors per second per worker */
	uint32_t icmp_burst;
	uint32_t icmp_ratelimit_ms; /* per destination (Linux icmp_ratelimit); 0 = off */
	uint32_t icmp_dests;        /* destinations each worker remembers for it */
	/* every frame through the general path (eth_input), none through
	 * ip4_fastpath: for comparisons; read by port_rx once per call */
	bool no_fastpath;
};

/* The daemon: one per process. */
struct rs_dp {
	struct rs_dp_params params;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *rcu;
	uint16_t nb_workers;
	struct rs_worker workers[RS_MAX_WORKERS];
	struct rs_cfg *_Atomic cfg; /* current published version */
	struct rs_cfg *staging;     /* control-thread working copy */
	volatile bool stop;
	uint64_t tsc_hz;
	uint64_t clock_offset_ns;   /* tests/fuzzing advance the clock */
	uint32_t next_rr;           /* control -> worker round robin */
};

extern struct rs_dp rs_dp;

void rs_dp_params_default(struct rs_dp_params *p);

/* Every how many walks a worker times its walk node by node (a power of
 * 2): the graph's per-node cycles are an estimate from that sample (calls
 * and objects are counted at every walk). See rs_worker_poll_once. */
#define RS_NODE_CYCLES_EVERY 16

/* Nanoseconds at TSC value t, plus the test offset. */
static inline uint64_t rs_tsc_to_ns(uint64_t t)
{
	return (uint64_t)((__uint128_t)t * 1000000000u / rs_dp.tsc_hz) + rs_dp.clock_offset_ns;
}

/* Nanoseconds from the TSC, monotonic, plus the test offset. */
static inline uint64_t rs_now_ns(void)
{
	return rs_tsc_to_ns(rte_get_tsc_cycles());
}

/* ---- control thread API (lib/core) ---- */
int rs_dp_init(const struct rs_dp_params *p);  /* after rte_eal_init */
int rs_ports_init(void);                        /* configure + start every probed port */
uint32_t rs_pool_size(void);                    /* mbufs in the pool (made or to be made) */
/* A packet mbuf pool as rte_pktmbuf_pool_create (no private area), with its
 * objects packed end to end when the EAL runs without hugepages (ports.c:
 * what an AF_XDP UMEM made from it covers). NULL with rte_errno set. */
struct rte_mempool *rs_pktmbuf_pool_create(const char *name, uint32_t n, uint32_t cache,
					   uint16_t data_room, int socket);
int rs_port_setup(uint16_t port, const char *name); /* one port (hot-plug too) */
void rs_port_teardown(uint16_t port);
int rs_workers_create(void);                    /* graphs + rings; after ports */
int rs_workers_launch(void);
void rs_workers_stop(void);
void rs_dp_fini(void);

/* Run one graph walk of worker w on the calling thread (fuzzing, tests). */
void rs_worker_poll_once(struct rs_worker *w);

/* Configuration publication (control thread only). */
struct rs_cfg *rs_cfg_edit(void);     /* the staging copy to modify */
/* Publish staging (if any) and queue the old version for reclamation;
 * never waits. true when a version was published. */
bool rs_cfg_publish(void);
void rs_cfg_commit(void);             /* publish staging; wait for a grace period */
void rs_cfg_rebuild_rxqs(struct rs_cfg *c);
const struct rs_cfg *rs_cfg_current(void);
int rs_iface_by_name(const struct rs_cfg *c, const char *name);
/* Deferred free: fn(arg) runs once every worker online at the time has
 * reported a quiescent state after the command that deferred it (at the
 * latest at the next rs_sync). Unlink first, then defer. */
void rs_defer_free(void (*fn)(void *), void *arg);
void rs_sync(void);                   /* grace period + run deferred frees */
/* Runs the deferred frees whose grace period has ended; never waits.
 * Returns how many ran. */
size_t rs_rcu_reclaim(void);
/* Inside a command that ran out of something (next hops, tbl8 groups):
 * waits for a grace period and runs what earlier commands deferred; what
 * this one deferred stays queued (it may still be linked). */
size_t rs_rcu_reclaim_wait(void);
size_t rs_defer_pending(void);        /* queued, not freed yet */
/* Entries the queue holds before rs_defer_free waits for a grace period
 * (rs_sync) instead; returns the previous bound (tests). */
#define RS_DEFER_MAX (1u << 20)
size_t rs_defer_set_max(size_t max);
struct rs_defer_stats {
	uint64_t deferred;   /* entries queued */
	uint64_t freed;      /* callbacks run */
	uint64_t syncs;      /* blocking grace periods (rs_sync) */
	uint64_t syncs_full; /* of them, forced by a full queue */
	uint64_t pending;    /* queued now */
};
void rs_defer_get_stats(struct rs_defer_stats *st);

/* Hand a packet from the control thread to a worker, entering its graph
 * at the node registered as inject target `where` (core/module.h).
 * Consumes m. 0 or -ENOBUFS. */
int rs_inject(struct rte_mbuf *m, uint8_t where);

/* Worker: post a message to the control thread. Never blocks: 0, or
 * -ENOBUFS when the ring is full (counted in w->msg_drops; a carried mbuf
 * stays the caller's). */
static inline int rs_msg_post(struct rs_worker *w, const struct rs_msg *msg)
{
	if (rte_ring_sp_enqueue_elem(w->to_ctl, (void *)(uintptr_t)msg, sizeof(*msg)) != 0) {
		w->msg_drops++;
		return -ENOBUFS;
	}
	return 0;
}

/* First address of iface in the same subnet as ip, else its first address, else 0. */
uint32_t rs_iface_src_for(const struct rs_iface *ifc, uint32_t ip);
/* true when ip is one of iface's addresses */
bool rs_iface_has_addr(const struct rs_iface *ifc, uint32_t ip);

#endif
