/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket layer, daemon side (lib/sock/sock_shm.h is the contract with
 * applications). It owns what every socket has, whatever its protocol and
 * family: applications and their segments, the descriptor (slot) table,
 * ring memory, demultiplexing (sock_demux.h), local ports (sock_port.h),
 * ownership by a worker, wake-ups and SO_ERROR. Each transport plugs in
 * with one table of operations (struct sock_proto, as Linux's struct proto
 * and VPP's transport_proto_vft_t): UDP is the first, TCP the second.
 *
 * Threads.
 *  - The control thread creates, binds, connects and closes sockets, and is
 *    the only writer of the demux and port tables, of apps[] and of each
 *    app's slot table; it frees nothing a worker may hold before an RCU
 *    grace period (rs_defer_free).
 *  - Each socket has one owner worker (s->worker): the only producer of
 *    its rx ring, the only consumer of its tx ring, the only writer of its
 *    slot's daemon line. Packets for it that arrive on another worker are
 *    handed over (sock_handoff). The owner changes only on the control
 *    thread, between two grace periods (sock_set_owner).
 *  - Workers find apps through the published list (sock_apps_pub) and
 *    sockets through app->socks[], both RCU-protected.
 */
#ifndef RS_SOCK_H
#define RS_SOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sock/sock_demux.h"
#include "sock/sock_shm.h"
#include "util/rs_addr.h"
#include "util/rs_json.h"
#include "util/shm_ring.h"

#define RS_EPHEMERAL_LO 32768 /* Linux's net.ipv4.ip_local_port_range */
#define RS_EPHEMERAL_HI 60999

/* Limits (ringstackd options; sock_limits). */
struct sock_limits {
	uint32_t max_apps;          /* attached applications, all users */
	uint32_t apps_per_uid;
	uint32_t socks_per_app;     /* descriptor slots in a segment */
	uint32_t socks_per_uid;
	uint64_t arena_bytes;       /* ring memory per application (virtual; pages on use) */
	uint32_t app_budget_bytes;  /* tx bytes a worker takes from one app per walk */
	uint16_t port_lo, port_hi;  /* ephemeral range */
};
extern struct sock_limits sock_limits;
void sock_limits_default(struct sock_limits *l);

struct rs_app;
struct rs_sock;
struct rs_worker;
struct sock_txq;
struct sock_cmd;
struct sock_icmp;
struct sock_mclist;
struct rte_graph;
struct rte_node;
struct rte_mbuf;

/*
 * A transport's operations. Control-thread operations return 0 or -errno
 * as Linux's would for that protocol; NULL means EOPNOTSUPP (or, for
 * setsockopt/getsockopt, ENOPROTOOPT).
 */
struct sock_proto {
	const char *name;          /* "udp", "tcp" (ringctl sock show) */
	int type;                  /* SOCK_DGRAM, SOCK_STREAM */
	uint8_t ipproto;           /* IPPROTO_UDP, ... */
	bool stream;               /* byte rings (else record rings) */
	/* control thread */
	int (*init)(struct rs_sock *s);            /* a new socket */
	int (*bind)(struct rs_sock *s, const struct rs_saddr *a);
	int (*connect)(struct rs_sock *s, const struct rs_saddr *a);
	int (*listen)(struct rs_sock *s, int backlog);
	/* accept: the oldest connection waiting on listener s, as a socket
	 * made with sock_prepare (its slot, rings and wake pair ready); the
	 * layer publishes it and gives the application its descriptor.
	 * -EAGAIN when none waits. */
	int (*accept)(struct rs_sock *s, struct rs_sock **child);
	/* after a successful accept's answer went out (completion and kick):
	 * work that need not delay the application, such as preparing the
	 * sockets of future connections. NULL: none. */
	void (*accepted)(struct rs_sock *s);
	int (*shutdown)(struct rs_sock *s, int how);
	/* the application closed s (or died: dead_app). The protocol calls
	 * sock_release(s) when it no longer needs the socket's rings (at once
	 * for UDP; after the connection ends for TCP). */
	void (*close)(struct rs_sock *s, bool dead_app);
	/* s is being freed, every grace period past (no worker holds it):
	 * the protocol's private state (proto_priv) goes. NULL: none. */
	void (*destroy)(struct rs_sock *s);
	int (*setsockopt)(struct rs_sock *s, int level, int name, const void *v, uint32_t len);
	int (*getsockopt)(struct rs_sock *s, int level, int name, void *v, uint32_t *len);
	/* worker (the owner): send what the application queued, up to about
	 * budget bytes; returns the bytes taken. Enqueues packets into the
	 * graph from node (sock_tx). Returns with *more set when data is left
	 * (budget or no mbufs): the socket is revisited next walk. */
	uint32_t (*tx)(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		       struct rs_sock *s, uint32_t budget, bool *more);
	/* worker (the owner): a command the control thread posted with
	 * sock_cmd_post; s stays allocated until every command posted before
	 * its release has run (sock_release waits two grace periods). */
	void (*cmd)(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		    struct rs_sock *s, const struct sock_cmd *c);
	/* ringctl sock show: the protocol's columns */
	void (*show)(const struct rs_sock *s, struct rs_buf *out, bool json);
	/* worker: an ICMP error about one of the protocol's packets. Returns
	 * the worker it belongs to when that is not w (the caller hands the
	 * ICMP packet over), else -1 (handled or not ours). */
	int (*icmp)(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		    const struct sock_icmp *e);
};

/* The protocol registered for ipproto, or NULL (ICMP dispatch). */
const struct sock_proto *sock_proto_of(uint8_t ipproto);

/* An ICMP error about a packet one of our sockets sent (RFC 1122 §4.2.3.9,
 * §4.1.3.3), decoded from the quoted header. */
struct sock_icmp {
	uint8_t type, code;      /* as on the wire */
	bool frag_needed;        /* PMTU: mtu is the next hop's */
	bool hard;               /* Linux's icmp_err_convert "fatal" */
	int err;                 /* the errno Linux maps it to */
	uint32_t mtu;
	struct rs_ip laddr, raddr; /* the quoted source (ours), destination */
	uint16_t lport, rport;   /* host order */
	uint32_t seq;            /* TCP: the quoted sequence number */
};

/* A control -> worker command (sock_cmd_post). */
struct sock_cmd {
	struct rs_sock *s;
	uint16_t op;       /* the protocol's; SOCK_CMD_KICK is the layer's */
	uint16_t pad;
	uint32_t a0;
	uint64_t a1;
};
#define SOCK_CMD_KICK 0    /* look at the tx ring (the socket moved here) */

/* Control thread: posts c to worker w (s's owner). Never blocks: 0, or
 * -ENOBUFS when the ring is full (the caller fails the request). */
int sock_cmd_post(uint16_t w, const struct sock_cmd *c);

/* Edges of the sock_tx node a protocol's tx operation enqueues to. */
enum {
	SOCK_TX_E_IP4,   /* ip4_output: an IPv4 packet, header complete */
	SOCK_TX_E_BAD,   /* drop: sock_tx_bad */
	SOCK_TX_E_IP6,   /* ip6_output: an IPv6 packet, header complete */
	SOCK_TX_E_IP6_LOCAL, /* ip6_local: a looped-back copy (IPV6_MULTICAST_LOOP) */
	SOCK_TX_E_IP4_LOCAL, /* ip4_local: a looped-back copy (IP_MULTICAST_LOOP) */
	SOCK_TX_E_NB,
};

/* Registered from constructors; the layer dispatches on (type, protocol). */
void sock_proto_register(const struct sock_proto *p);

struct rs_sock {
	uint32_t sd;                 /* slot index in the app's segment */
	struct rs_app *app;
	const struct sock_proto *proto;
	int domain;                  /* AF_INET, AF_INET6 */
	int wake_fd;                 /* the daemon's end of the wake pair (-1: none) */
	int app_fd;                  /* the app's end until accept hands it over (sock_prepare) */
	struct rs_shm_sock *shm;     /* the slot */
	struct shm_ring rx;          /* producer: the owner */
	struct shm_ring tx;          /* consumer: the owner */
	uint64_t rx_blk, tx_blk;     /* arena blocks (offsets), UINT64_MAX: none */
	uint32_t rx_blk_len, tx_blk_len;
	_Atomic uint16_t worker;     /* owner */
	_Atomic int32_t sig_owner;   /* F_SETOWN (RS_SO_OWNER): whom SIGURG goes to, 0 none */
	bool dead;                   /* closed by the app: its sd is EBADF */
	bool released;               /* the protocol let go: slot reusable after a grace period */

	/* addressing (control thread writes; workers read a published socket) */
	struct rs_ip laddr, raddr;
	uint16_t lport, rport;       /* host order */
	bool bound, connected;
	bool lip_implicit;           /* the local address came from connect's route */
	/* the port is not locked (Linux's SOCK_BINDPORT_LOCK unset): an
	 * automatic bind chose it, or bind() was given port 0. A disconnect
	 * or a stopped listener gives it up; a port bind() named stays. */
	bool port_implicit;
	bool in_ports;               /* holds lport in the port table */
	uint16_t port_extra;         /* SOCK_PORT_LISTEN etc. it holds it with */
	bool in_demux;
	struct sock_demux_key key;   /* the key it is published under */

	/* options */
	bool reuseaddr, reuseport, broadcast, v6only, keepalive;
	bool recv_ttl, recv_tos, recv_pktinfo;
	int16_t ttl, tos;            /* -1: default */
	/* IPPROTO_IPV6 (an AF_INET6 socket's IPv6 traffic) */
	int16_t hops, tclass;        /* IPV6_UNICAST_HOPS, IPV6_TCLASS; -1: default */
	bool recv6_pktinfo, recv6_hlim, recv6_tclass, recv6_flow;
	/* multicast (sock_mcast.h): memberships (RCU-published, workers
	 * read), IPV6_MULTICAST_HOPS (-1: default 1), IPV6_MULTICAST_IF
	 * (a link index, -1: none), IPV6_MULTICAST_LOOP, IPV6_MULTICAST_ALL */
	struct sock_mclist *_Atomic mc;
	bool in_mc_demux;            /* published in the members' table (sock_mcast.c) */
	struct sock_demux_key mc_key;
	int16_t mc_hops;
	int mc_oif;
	bool mc_loop, mc_all;
	/* IPPROTO_IP multicast (IPv4 groups, either family's socket, as
	 * Linux's inet->mc_*): IP_MULTICAST_TTL, IP_MULTICAST_IF (a link
	 * index, -1: none, and the address it was named by), LOOP, ALL */
	uint8_t mc4_ttl;
	int mc4_oif;
	uint32_t mc4_addr;
	bool mc4_loop, mc4_all;
	/* path MTU (RFC 8201): IPV6_MTU_DISCOVER (IPV6_PMTUDISC_*, default
	 * WANT), IPV6_DONTFRAG, IPV6_MTU (0: none) */
	uint8_t pmtudisc6;
	bool dontfrag6;
	uint16_t mtu6;
	int32_t rcvbuf, sndbuf;      /* as getsockopt reports (doubled) */
	int bind_iface;              /* SO_BINDTODEVICE, -1 none */
	int32_t linger;              /* SO_LINGER seconds, -1 off */

	uint64_t rx_dgrams, tx_dgrams; /* owner-written counters */
	void *proto_priv;            /* the transport's state (TCP connection) */
};

struct rs_app {
	uint32_t id;
	int fd;                      /* its unix socket */
	uint32_t pid, uid, gid;      /* SO_PEERCRED at attach */
	char name[32];
	int memfd;
	uint8_t *base;
	size_t size;
	uint32_t max_socks;
	uint64_t socks_off;          /* our copy: the segment's is the app's to rewrite */
	struct shm_ring req, cpl;    /* control thread: consumer / producer */
	struct shm_ring bell[RS_SHM_MAX_WORKERS]; /* consumer: worker w */
	struct seg_alloc *arena;
	/* slot -> socket; workers load entries (RCU), the control thread
	 * stores them. NULL: free. */
	struct rs_sock *_Atomic *socks;
	/* slot -> socket for the control thread: set from creation until the
	 * grace period after release, so a slot is never reused early */
	struct rs_sock **own;
	uint32_t nsocks;             /* slots in use (control thread) */
	uint32_t next_sd;            /* where the next slot search starts */
	_Atomic uint32_t corrupt;    /* set by a worker that found its rings corrupt */
	struct sock_txq *txq;        /* [workers]: each written by its worker only */
	bool detached;               /* the app hung up: freed once nsocks is 0 */
	uint32_t addrs_seq;          /* our copy of its rs_shm_addrs seq (never read back) */
};

/* What workers see of the apps: immutable, swapped under RCU. */
struct rs_apps_pub {
	uint32_t n;
	struct rs_app *apps[];
};
extern struct rs_apps_pub *_Atomic sock_apps_pub;
extern struct sock_demux *sock_demux_tbl;

/* Worker: the socket in slot sd of app a, or NULL (free or out of range). */
static inline struct rs_sock *sock_slot(const struct rs_app *a, uint32_t sd)
{
	if (sd >= a->max_socks)
		return NULL;
	return atomic_load_explicit(&a->socks[sd], memory_order_acquire);
}

/*
 * Wake the application if a thread sleeps on the socket (owner worker, or
 * the control thread). Dekker with the library (store app_wait; load the
 * ring) against ours (publish to the ring; load app_wait): without the
 * fence the release store of the ring index may pass the load of app_wait
 * (x86 store buffer) and a sleeper would never be woken. The send is
 * MSG_DONTWAIT on a pair the daemon made: it never blocks (sock_shm.h).
 * One system call, only when the application sleeps.
 */
void sock_wake(struct rs_sock *s);
/* Wake-ups sent (one send(2) each), every worker and the control thread:
 * ringctl -j stats, "sock": {"wakeups"}. */
extern _Atomic uint64_t sock_wakeups;
/* Set a pending asynchronous error (positive errno) and wake. */
void sock_set_error(struct rs_sock *s, int err);
/* Control thread: SIGURG to an F_SETOWN owner (> 0 a process, < 0 a
 * process group) on behalf of an application whose effective uid is euid,
 * only where Linux's sigio_perm would let it. Returns how many got it. */
int sock_send_sigurg(int32_t owner, uint32_t euid);
/* Owner: a corrupt ring or record from the application: disconnect it. */
static inline void sock_app_corrupt(struct rs_sock *s)
{
	atomic_store_explicit(&s->app->corrupt, 1, memory_order_relaxed);
}

/* ---- control thread ---- */
int sock_init(void);
void sock_fini(void);
/* An attach frame arrived on fd from a peer with these credentials:
 * creates the app and its segment, or NULL with errno. */
struct rs_app *sock_app_attach(int fd, const void *req, uint32_t len, uint32_t pid,
			       uint32_t uid, uint32_t gid);
/* Publishes the configuration's addresses into every app's segment when it
 * changed since the last call. */
void sock_addrs_sync(void);
/* The app's unix socket has n kick bytes: runs up to n requests. */
void sock_app_kicks(struct rs_app *a, unsigned n);
/* Worker init/fini of the socket layer's per-worker parts. */
int sock_tx_worker_init(struct rs_worker *w);
void sock_tx_worker_fini(struct rs_worker *w);
/* The app hung up (or is corrupt): closes its sockets; the app is freed
 * after its last socket is released and a grace period. */
void sock_app_detach(struct rs_app *a);
/* The app's segment, to send at attach. */
int sock_app_memfd(const struct rs_app *a, size_t *size);
/* An app a worker found corrupt, or NULL. */
struct rs_app *sock_app_corrupt_next(void);
void sock_show(struct rs_buf *out, bool json);
/* Calls fn for every live socket of every app (control thread). */
void sock_foreach(void (*fn)(void *arg, struct rs_sock *s), void *arg);
/* The same over every socket not yet released, listeners' stock and
 * unaccepted children too (a protocol's sweep). */
void sock_foreach_held(void (*fn)(void *arg, struct rs_sock *s), void *arg);
/* Apps attached / sockets open, for quotas and stats. */
uint32_t sock_app_count(void);

/* For protocols (control thread). */
/* Allocates s's rings in the arena: rx_len / tx_len bytes each (0: none). */
int sock_rings_alloc(struct rs_sock *s, uint32_t rx_len, uint32_t tx_len);
/* Demux membership: publishes s under its current addressing (bound or
 * connected), replacing any earlier key. */
int sock_rekey(struct rs_sock *s);
void sock_unkey(struct rs_sock *s);
/* Local port: takes lport (0: an ephemeral one, optionally filtered);
 * sock_port_flags replaces the extra flags (SOCK_PORT_LISTEN, ...). */
int sock_port_take(struct rs_sock *s, const struct rs_ip *laddr, uint16_t port,
		   uint16_t extra_flags, bool (*filter)(void *arg, uint16_t port), void *arg);
void sock_port_drop(struct rs_sock *s);
int sock_port_flags(struct rs_sock *s, uint16_t flags);
/* Makes w the owner of s (after a grace period, the old owner no longer
 * touches it). */
void sock_set_owner(struct rs_sock *s, uint16_t w);
/* The worker a flow belongs to: the one RSS (or the software Toeplitz hash
 * where the port has no usable RSS) steers (src:sport -> dst:dport) to. */
uint16_t sock_flow_worker(const struct rs_ip *src, uint16_t sport, const struct rs_ip *dst,
			  uint16_t dport);
/* The Toeplitz hash itself (core/rss.h). */
uint32_t sock_flow_hash(const struct rs_ip *src, uint16_t sport, const struct rs_ip *dst,
			uint16_t dport);
/* The protocol is done with s: the slot and rings are freed after two
 * grace periods (the second lets a worker finish a command it dequeued in
 * the walk that ended the first), and the app too when it was its last
 * socket of a dead app. */
void sock_release(struct rs_sock *s);
/* A socket of a's for a connection that arrives later (a listener's
 * stock): slot, rings (rx_len/tx_len), wake pair; not published, and its
 * app end kept in s->app_fd. NULL with -errno in *err. */
struct rs_sock *sock_prepare(struct rs_app *a, const struct sock_proto *p, int domain,
			     uint32_t rx_len, uint32_t tx_len, int *err);
/* From a constructor: the node a packet handed to its owner worker
 * re-enters at (sock_handoff). The handing node sets priv->owner and
 * priv->inject = this id and enqueues to "sock_handoff". */
uint8_t sock_handoff_target(const char *node);

/* Whether ip is one of our addresses (a local route). */
bool sock_addr_is_local(const struct rs_ip *ip);

/* The address of a bind or connect request, either family's socket. An
 * AF_INET6 socket takes IPv6 addresses and IPv4-mapped ones (dual stack;
 * the caller checks IPV6_V6ONLY); *oif is the link a link-local or
 * multicast address's scope id names (-1: none). 0, -EAFNOSUPPORT,
 * -EINVAL, or -ENODEV (a scope id naming no link). */
int sock_req_addr(const struct rs_sock *s, const struct rs_saddr *a, struct rs_ip *ip, int *oif);
/* inet6_bind's checks of an IPv6 (not IPv4-mapped) address: 0 or
 * -errno; a link-local address binds s to its link (the scope id oif, or
 * the bound device). */
int sock_bind6_check(struct rs_sock *s, const struct rs_ip *ip, int oif);

#endif
