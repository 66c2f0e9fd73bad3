/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP in the dataplane: the pure engine (tcp.h) driven by workers, plugged
 * into the socket layer (lib/sock/sock.h) as its second protocol.
 *
 * Ownership (DESIGN.md "Multi-core"). A connection lives on one worker for
 * its life: the worker RSS steers its packets to (core/rss.h). Every
 * worker keeps its own connection table, connection pool, timer wheel and
 * engine context; none of it is shared, so the fast path takes no lock and
 * no atomic read-modify-write. A segment that arrives on another worker is
 * handed to the owner (sock_handoff). Listeners exist on every worker: a
 * listening socket carries one struct tcp_listener per worker.
 *
 * Sockets. An active open's socket is the application's (RS_SOP_CONNECT
 * picks a local port whose hash lands on the socket's worker). A passive
 * open's socket comes from its listener's stock: sockets the control
 * thread prepared ahead (sock_prepare: slot, rings, wake pair) and handed
 * to each worker over an SP/SC ring, so a worker gives an established
 * connection its rings at once, data before accept() included; accept()
 * then only publishes it. Established children go back to the control
 * thread over a per-worker accept ring.
 *
 * Control -> worker: sock_cmd_post (open, close, shutdown, options, info).
 * Worker -> control: rs_msg (release a socket, refill a stock).
 */
#ifndef RS_TCP_DP_H
#define RS_TCP_DP_H

#include <stdatomic.h>

#include <rte_graph.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "core/dp.h"
#include "sock/sock.h"
#include "tcp/tcp.h"
#include "util/rs_wheel.h"

/* What a worker's table is keyed by: the connection's tuple. */
struct tcp_key {
	uint8_t laddr[16], raddr[16]; /* struct rs_ip form */
	uint16_t lport, rport;
};

struct tcp_lsock;

/* A connection on a worker. */
struct tcp_sconn {
	struct tcp_conn c;          /* the engine's state */
	struct rs_timer timer;      /* at the engine's deadline */
	struct rs_sock *s;          /* its socket; NULL while embryonic or with no stock */
	struct rs_sock *ls;         /* passive: the listening socket (until accepted) */
	struct tcp_key key;
	int16_t oif;                /* IPv6 link-local peer: its link (the scope), else -1 */
	uint32_t snd_last;          /* ring bytes last reported to the engine (hostile check) */
	uint64_t sigurg_ns;         /* when this connection last asked for a SIGURG */
	bool in_table;
	bool app_closed;            /* the application closed the socket */
	bool app_fin;               /* its close (app_close) is applied: FIN or reset */
	bool orphan_tw;             /* in TIME-WAIT without its socket (released) */
	bool shut_rd;
};

/* Commands (struct sock_cmd.op) to a TCP socket's worker. */
enum {
	TCP_CMD_OPEN = 1,   /* active open of s (addressing set); a0: initial ISN (0: RFC 6528) */
	TCP_CMD_CLOSE,      /* the application closed s, or disconnects it; a0: TCP_CLOSE_* */
	TCP_CMD_SHUTDOWN,   /* a0: how */
	TCP_CMD_SETOPT,     /* a0: enum tcp_sockopt, a1: value */
	TCP_CMD_CONGESTION, /* a1: const struct tcp_cc_ops * */
	TCP_CMD_INFO,       /* fill the socket's info snapshot (query) */
	TCP_CMD_ACCEPTED,   /* s (a child) was accepted */
	TCP_CMD_LISTEN_END, /* s, a listener, is closing: reset its children here */
};
/* TCP_CMD_CLOSE's a0 */
#define TCP_CLOSE_LINGER0 1u    /* SO_LINGER {1, 0}: reset */
#define TCP_CLOSE_DISCONNECT 2u /* connect(AF_UNSPEC): the socket stays */

/* A socket's TCP state on the control side (s->proto_priv). */
struct tcp_psock {
	struct tcp_sockopts so;     /* options to open or inherit with */
	struct tcp_sconn *conn;     /* owner worker only */
	/* the owner's answer to TCP_CMD_INFO */
	_Atomic uint32_t info_seq;  /* the query the snapshot answers */
	uint32_t info_req;          /* control thread: the last query asked */
	struct tcp_conn_info info;
	/* for ringctl sock show, refreshed by the owner after every event */
	_Atomic uint8_t snap_state;
	_Atomic uint32_t snap_cwnd, snap_srtt_us, snap_rto_us, snap_retrans, snap_unacked;
	bool connecting;            /* control thread: an active open was started */
	bool listening;
	bool listen_stopped;        /* control thread: shut down while listening */
	struct tcp_lsock *lsock;    /* a listener's per-worker state */
	bool have_tuple;            /* control thread: registered in the 4-tuple set */
	/* the owner let go of an active open's connection (it ended): the
	 * control thread may connect the socket again (tcp_connect). Not the
	 * segment's state word, which the application can write. */
	_Atomic bool conn_ended;
	/* the owner let go of the socket but its release message found the
	 * worker -> control ring full: the control thread's sweep releases it */
	_Atomic uint32_t release_lost;
	/* urgent data (sock_shm.h "Urgent data"), owner worker only: the
	 * generation last published in urg_rx, and the last urg_tx
	 * generation taken from the application */
	uint32_t urg_rx_gen;
	uint32_t urg_tx_gen;
};

/* A listening socket, per worker. */
struct tcp_lsock {
	struct tcp_listener l[RS_MAX_WORKERS];     /* worker w's */
	struct rte_ring *stock[RS_MAX_WORKERS];    /* control -> w: prepared sockets */
	struct rte_ring *acceptq[RS_MAX_WORKERS];  /* w -> control: established children */
	uint32_t stock_want;                        /* sockets to keep in each stock */
	uint32_t rr;                                /* control: accept round robin */
	uint32_t refill;                            /* control: stocks to refill after an accept's answer (bit w) */
	bool ending;
};

/* Per worker. */
struct tcp_worker {
	struct tcp_ctx ctx;
	struct rte_hash *conns;     /* struct tcp_key -> struct tcp_sconn *; this worker only */
	struct tcp_sconn *last;     /* the last connection tcp_sconn_lookup found (in conns):
				     * a burst of one flow's segments hashes its key once */
	struct rte_mempool *pool;   /* struct tcp_sconn */
	struct rs_wheel wheel;
	struct rte_graph *g;        /* set during a node's process call */
	struct rte_node *node;      /* the node enqueuing output (tcp_input, tcp_timer, sock_tx) */
	rte_edge_t out_edge;        /* that node's edge to ip4_output */
	rte_edge_t out_edge6;       /* and to ip6_output */
	struct rte_mbuf *cur;       /* the segment being input (what deliveries copy from) */
	bool confirm;               /* segments built now follow an ACK of new data:
				     * they confirm the neighbour (RS_PF_CONFIRM) */
	uint64_t nconns;
	uint64_t no_conn_mem;       /* SYNs refused: pool empty */
	uint64_t no_stock;          /* established children that waited for a socket */
	uint64_t out_nomem;         /* segments not sent: no mbuf */
	uint64_t app_lied;          /* transmit rings that shrank under us */
	uint64_t tw_overflow;       /* TIME-WAITs cut short: the table was filling */
	uint64_t sigurg_lost;       /* SIGURGs not sent: the message ring was full */
	uint64_t max_conns;         /* the pool's and the table's size */
	struct tcp_actions act;     /* scratch for one engine call */
} __rte_cache_aligned;

extern struct tcp_worker *tcp_workers[RS_MAX_WORKERS];
extern uint16_t tcp_msg_release, tcp_msg_stock, tcp_msg_tw, tcp_msg_tw_done, tcp_msg_sigurg;
extern const struct sock_proto tcp_proto;

/* Worker side (tcp_io.c). */
/* Runs w->act for sc after an engine call; m is the segment just input
 * (or NULL). Calls tcp_output again while the engine says more. */
void tcp_act_run(struct tcp_worker *tw, struct rs_worker *w, struct tcp_sconn *sc);
/* The buffer state the engine is told on every call. */
void tcp_io_fill(struct tcp_worker *tw, struct rs_worker *w, struct tcp_sconn *sc,
		 struct tcp_io *io);
/* Sends a segment with no connection (a RST, a cookie SYN-ACK); oif as
 * tcp_sconn.oif. */
void tcp_send_bare(struct tcp_worker *tw, struct rs_worker *w, const struct tcp_key *k, int oif,
		   const struct tcp_out_seg *o);
struct tcp_sconn *tcp_sconn_alloc(struct tcp_worker *tw);
void tcp_sconn_insert(struct tcp_worker *tw, struct tcp_sconn *sc);
struct tcp_sconn *tcp_sconn_lookup(struct tcp_worker *tw, const struct tcp_key *k);
/* The engine said CLOSED: drop sc from the table and the wheel, free it. */
void tcp_sconn_done(struct tcp_worker *tw, struct tcp_sconn *sc);
/* A socket for an established child of ls, from this worker's stock. */
struct rs_sock *tcp_stock_take(struct tcp_worker *tw, struct rs_worker *w, struct rs_sock *ls);
/* Worker: s is no longer used here; the control thread releases it. */
void tcp_sock_post_release(struct rs_worker *w, struct rs_sock *s);
/* Release messages lost to a full ring (workers add; tcp_tick sweeps). */
extern _Atomic uint32_t tcp_releases_lost;
/* The tuple as the engine sees it. */
void tcp_key_tuple(const struct tcp_key *k, struct tcp_tuple *t);
/* The MTU of the route toward the peer, either family (oif as
 * tcp_sconn.oif). */
uint32_t tcp_route_mtu(struct rs_worker *w, const struct tcp_key *k, int oif);
/* The worker a tuple belongs to (core/rss.h). */
uint16_t tcp_key_worker(const struct tcp_key *k);

/* Control side (tcp_sock.c). */
void tcp_sockopts_default(struct tcp_sockopts *so);
/* ringctl stats: the engine's MIB summed over workers, then the workers'
 * own counters, as a "tcp" object (json) or a table. Read without stopping
 * the workers (64-bit loads; a value may be one burst old); absolute, as
 * nstat -a: "stats clear" leaves them. */
void tcp_stats_show(struct rs_buf *out, bool json);

#endif
