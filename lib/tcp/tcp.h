/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TCP protocol engine: a pure state machine, DPDK-free.
 *
 * Every entry point is a function of (connection, input, now) that updates
 * the connection and returns what to do in a caller-provided struct
 * tcp_actions: segments to transmit, byte ranges to deliver to the
 * application, bytes the application's transmit ring may release, events,
 * and the next deadline at which tcp_timer() must be called. The engine
 * never reads a clock (time is passed in as now_ns, monotonic nanoseconds),
 * never allocates, and holds no hidden global state: per-worker state (keys,
 * parameters, counters, the buffer-free callback) is a struct tcp_ctx the
 * caller passes in.
 *
 * Payload storage is the caller's:
 *  - Transmit: the application's bytes stay in the caller's transmit ring.
 *    The caller tells the engine, on every call, how many bytes the ring
 *    holds from its head (struct tcp_io.snd_avail); the ring head is the
 *    first byte not yet acknowledged. A segment to send names its payload as
 *    (data_off, data_len) from the ring head, after the call's release has
 *    been applied (struct tcp_actions.release bytes dropped from the head
 *    first).
 *  - Receive: the caller tells the engine the free space of the receive
 *    ring (struct tcp_io.rcv_free). Payload is placed as "copy bytes
 *    [off, off + len) of this segment to `at` bytes past the ring's write
 *    point" (struct tcp_delivery) and made readable by publishing
 *    (struct tcp_actions.publish). Out-of-order data is placed in the ring
 *    at its offset too and published when the hole before it fills: the
 *    engine keeps only its sequence ranges, so the out-of-order queue is
 *    bounded by the receive window (bytes), never by the caller's buffers,
 *    and the engine never holds a caller's buffer.
 *
 * Concurrency: none inside. A connection, its listener and its context
 * belong to one thread (a worker) for their life; calls on them must not
 * run concurrently. Different contexts and their connections may be used
 * from different threads freely (nothing is shared).
 *
 * Conventions: functions return 0 or a negative errno; constructors of
 * state (tcp_conn_open_*) never fail for lack of memory since the caller
 * provides it. Sequence numbers are struct seq (tcp_seq.h).
 *
 * RFCs implemented: 9293 (TCP), 7323 (window scale, timestamps, PAWS),
 * 2018 and 2883 (SACK, D-SACK), 6675 (SACK loss recovery), 5681 and 6582
 * (congestion control, NewReno), 9438 (CUBIC), 6298 (RTO), 8985
 * (RACK-TLP), 5961 (blind attacks), 6528 (ISN), 4987 (SYN cookies), 6191
 * (TIME-WAIT reuse with timestamps), 6093 (urgent pointer), 1191 and 5927
 * (PMTU and ICMP checks), 1122 (delayed ACK, SWS, keepalive), 896 (Nagle).
 *
 * How a worker drives it:
 *  1. once: tcp_ctx_init() with 48 random bytes; one rs_wheel (util/rs_wheel.h).
 *  2. a segment arrives: validate IP and the checksum, tcp_seg_parse(), find
 *     the connection by 4-tuple. Found: tcp_input(). Not found, listener
 *     exists: a SYN goes to tcp_listen_syn() (then tcp_conn_open_passive()
 *     or the cookie SYN-ACK), a bare ACK to tcp_syncookie_check() and
 *     tcp_conn_open_cookie(); anything else gets tcp_rst_reply().
 *  3. process every struct tcp_actions in this order: release, deliveries
 *     (copies into the receive ring, not yet readable), publish, segments (build each with
 *     tcp_hdr_write(), payload from the ring at data_off, checksum),
 *     events; re-arm the connection's one wheel timer at a->deadline (or
 *     cancel it for UINT64_MAX); while a->more, tcp_output() and again.
 *     Free the connection after TCP_EV_CLOSED (tcp_conn_destroy() first
 *     when the worker itself tears it down).
 *  4. the wheel timer fires: tcp_timer(). The application wrote:
 *     tcp_output(); read: tcp_rcvd(); closed: tcp_close(); and so on.
 *
 * Deliberate differences from Linux (and what is not implemented):
 *  - SYN cookies carry a 28-bit MAC of (tuple, peer ISN, minute, MSS
 *    index) instead of Linux's hash-plus-ISN layout; the options in the
 *    timestamp are encoded as Linux's cookie_init_timestamp does. ECN is
 *    not negotiated (no ECN at all), so the ECN bit of a cookie is never set.
 *  - RTO = max(SRTT + max(G, 4 RTTVAR), 200 ms) (RFC 6298 with Linux's
 *    floor); Linux computes SRTT + max(4 mdev, 200 ms).
 *  - loss recovery follows RFC 6675's pipe (with RFC 3042 limited
 *    transmit), not Linux's PRR (RFC 6937); a loss episode whose every
 *    retransmission is D-SACKed is undone (RFC 3708, as Linux), but there
 *    is no Eifel (timestamp) detection and no F-RTO; CUBIC without
 *    HyStart++.
 *  - the scoreboard tracks bursts, not single segments (TCP_TXQ_MAX
 *    entries): RACK times a burst as one.
 *  - a SYN in SYN-RECEIVED that is not the retransmitted one gets a
 *    challenge ACK (RFC 5961) rather than a RST (Linux) or a return to
 *    LISTEN (RFC 9293); an RST in TIME-WAIT must match RCV.NXT exactly.
 *  - no TCP Fast Open, MD5/AO signatures, delayed-ACK ping-pong mode,
 *    tcp_abort_on_overflow, or TIME-WAIT mini-sockets (a
 *    connection in TIME-WAIT keeps its struct until TCP_EV_CLOSED).
 */
#ifndef RS_TCP_H
#define RS_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/tcp_seq.h"
#include "util/rs_siphash.h"
#include "wire/tcp_wire.h"

/* ---- sizes (compile-time bounds on per-connection memory) ---- */

/** Segments one struct tcp_actions holds; more are sent by calling
 * tcp_output() again while tcp_actions.more is set. */
#define TCP_ACT_SEGS 32
/** Out-of-order ranges (runs of received bytes beyond a hole, data in
 * the receive ring) a connection tracks (tcp_params.reass_max_bufs may
 * lower it). Adjacent data merges into one range, so this bounds the
 * holes, not the bytes: those are bounded by the receive window. */
#define TCP_REASS_MAX 128
/** Deliveries one call may return (parts of the current segment). */
#define TCP_ACT_DELIVER 2
/** Entries of the transmit scoreboard (each covers one or more segments
 * sent together; a SACK boundary may split one). */
#define TCP_TXQ_MAX 64
/** Bytes of private state a congestion control may keep per connection. */
#define TCP_CC_PRIV 96

/* ---- addresses ---- */

/** A connection's 4-tuple, either family. Addresses in network order
 * (IPv4 in the first 4 bytes of laddr/raddr); ports in host order. */
struct tcp_tuple {
	uint8_t family; /**< AF_INET or AF_INET6 */
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
};

/* ---- states (RFC 9293 §3.3.2) ---- */

enum tcp_state {
	TCP_CLOSED = 0,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP_NSTATES
};

/** The state's name as RFC 9293 writes it ("SYN-SENT"). */
const char *tcp_state_name(enum tcp_state s);

/* ---- per-worker context ---- */

struct tcp_cc_ops;

/** Parameters, Linux's sysctl defaults from tcp_params_default(). */
struct tcp_params {
	uint64_t rto_init_ns;        /**< 1 s (RFC 6298 §2.1) */
	uint64_t rto_min_ns;         /**< 200 ms (Linux TCP_RTO_MIN) */
	uint64_t rto_max_ns;         /**< 120 s (Linux TCP_RTO_MAX) */
	uint32_t syn_retries;        /**< 6 (tcp_syn_retries) */
	uint32_t synack_retries;     /**< 5 (tcp_synack_retries) */
	uint32_t retries2;           /**< 15 (tcp_retries2, as a time budget) */
	uint64_t delack_min_ns;      /**< 40 ms (TCP_ATO_MIN) */
	uint64_t delack_max_ns;      /**< 200 ms (TCP_DELACK_MAX) */
	uint64_t fin_timeout_ns;     /**< 60 s: FIN-WAIT-2 of a closed socket */
	uint32_t max_orphans;        /**< 4096: closed connections still finishing
					  (tcp_max_orphans, per context) */
	uint64_t time_wait_ns;       /**< 60 s: 2MSL (TCP_TIMEWAIT_LEN) */
	uint64_t keepalive_time_ns;  /**< 7200 s */
	uint64_t keepalive_intvl_ns; /**< 75 s */
	uint32_t keepalive_probes;   /**< 9 */
	uint32_t min_snd_mss;        /**< 48 (tcp_min_snd_mss: CVE-2019-11477/11479) */
	uint32_t min_pmtu4;          /**< 552 (ip_rt_min_pmtu) */
	uint32_t min_pmtu6;          /**< 1280 (RFC 8200) */
	uint32_t rcv_wnd_init;       /**< 65535: first receive window before auto-tuning */
	uint32_t rcv_wnd_max;        /**< 6 MiB (tcp_rmem[2]): auto-tuning ceiling */
	uint32_t init_cwnd;          /**< 10 segments (RFC 6928) */
	uint64_t cork_ns;            /**< 200 ms: TCP_CORK ceiling */
	uint64_t invalid_ratelimit_ns; /**< 500 ms: challenge/dup ACKs per connection */
	uint32_t reass_max_bufs;     /**< out-of-order ranges per connection (<= TCP_REASS_MAX) */
	uint32_t reass_max_bytes;    /**< out-of-order bytes per connection (0: the window's) */
	uint8_t syncookies;          /**< 0 never, 1 when the SYN queue is full, 2 always */
	bool timestamps;             /**< offer/accept RFC 7323 timestamps */
	bool window_scaling;         /**< offer/accept RFC 7323 window scale */
	bool sack;                   /**< offer/accept RFC 2018 SACK */
	bool rack;                   /**< RFC 8985 RACK loss detection */
	bool tlp;                    /**< RFC 8985 tail loss probes */
	bool frto;                   /**< RFC 5682 F-RTO (SACK-enhanced) after a timeout */
	bool dsack;                  /**< send RFC 2883 D-SACK blocks */
	const struct tcp_cc_ops *cc; /**< default congestion control (CUBIC) */
};

/** Counters per context, named after Linux's MIB where one exists. */
struct tcp_mib {
	uint64_t active_opens, passive_opens, attempt_fails, estab_resets;
	uint64_t in_segs, out_segs, retrans_segs, in_errs, out_rsts;
	uint64_t syncookies_sent, syncookies_recv, syncookies_failed;
	uint64_t listen_overflows, listen_drops, req_qfull_drops;
	uint64_t paws_drops, challenge_acks, challenge_acks_limited;
	uint64_t ooo_queued, ooo_dropped_full, ooo_dup, rcv_pruned;
	uint64_t rcv_qdrop;  /* Linux's TCPRcvQDrop: in-window data the ring had no room for */
	uint64_t sack_blocks_ignored, dsack_recv, dsack_sent;
	uint64_t dsack_undo;  /* Linux's TCPDSACKUndo: loss episodes undone by D-SACKs */
	uint64_t eifel_undo;  /* loss episodes undone by an echoed timestamp (RFC 3522;
	                       * Linux counts these in TCPLossUndo / TCPPartialUndo) */
	uint64_t frto_undo;   /* Linux's TCPSpuriousRTOs: timeouts F-RTO found spurious */
	uint64_t timeouts, tlp_probes, rack_losses, fast_retrans, sack_recoveries, reno_recoveries;
	uint64_t abort_on_data, abort_on_close, abort_on_timeout, abort_on_linger;
	uint64_t abort_on_memory;	/* Linux's TCPAbortOnMemory: too many orphans */
	uint64_t tw_recycled, pmtu_updates, icmp_ignored;
	uint64_t ack_old, ack_future, rst_ignored;
};

/** A worker's TCP context. Fill with tcp_ctx_init(); parameters may be
 * changed between calls (by the owning thread). */
struct tcp_ctx {
	struct tcp_params p;
	struct rs_siphash_key isn_key;    /**< RFC 6528 secret */
	struct rs_siphash_key cookie_key; /**< RFC 4987 secret */
	struct rs_siphash_key ts_key;     /**< per-path timestamp offsets */
	struct tcp_mib mib;
	uint32_t orphans;                 /**< closed by their application, not yet
					       done nor in TIME-WAIT */
};

/** Linux's defaults. */
void tcp_params_default(struct tcp_params *p);

/**
 * Initializes a context with default parameters.
 * @param x        the context (caller memory)
 * @param secret   48 bytes of secret randomness: the ISN, cookie and
 *                 timestamp keys (borrowed; copied)
 */
void tcp_ctx_init(struct tcp_ctx *x, const uint8_t secret[48]);

/* ---- congestion control ---- */

struct tcp_conn;

/**
 * A congestion control (the shape of Linux's struct tcp_congestion_ops).
 * Windows are in bytes. cong_avoid is called on ACKs that advance snd_una
 * outside loss recovery; ssthresh on entering recovery or on an RTO (it
 * returns the new slow-start threshold; the engine sets cwnd).
 */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_conn *c, uint64_t now_ns);
	uint32_t (*ssthresh)(struct tcp_conn *c, uint64_t now_ns);
	void (*cong_avoid)(struct tcp_conn *c, uint32_t acked, uint64_t now_ns);
	/** RTO fired (after ssthresh): reset any epoch. May be NULL. */
	void (*on_rto)(struct tcp_conn *c, uint64_t now_ns);
};

extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/** The congestion control named name ("cubic", "reno"), or NULL. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* ---- segments in and out ---- */

/** A parsed incoming segment. */
struct tcp_seg {
	struct seq seq;
	struct seq ack;
	uint8_t flags;   /**< TCP_SYN, TCP_ACK, ... */
	uint16_t wnd;    /**< window field as on the wire (unscaled) */
	uint16_t urp;    /**< urgent pointer field */
	uint32_t len;    /**< payload bytes */
	struct tcp_opts opts;
};

/**
 * Parses a TCP header and its options (tcp_check + tcp_opts_parse) from
 * len bytes at hdr (the IP payload; borrowed). The checksum is the
 * caller's. Returns 0 or a negative tcp_wire_err; on success s->len is the
 * payload length and the payload starts tcp header length bytes in.
 */
int tcp_seg_parse(struct tcp_seg *s, const void *hdr, size_t len);

/** A segment to transmit. Ports and addresses are the connection's (or,
 * for replies without a connection, the incoming segment's reversed). */
struct tcp_out_seg {
	struct seq seq;
	struct seq ack;
	uint8_t flags;
	uint16_t wnd;       /**< window field value (already scaled) */
	uint16_t urp;
	struct tcp_opts opts;
	uint32_t data_off;  /**< payload offset from the transmit ring's head */
	uint32_t data_len;  /**< payload bytes (0 for none) */
};

/** Bytes of the segment given to this call to copy into the receive
 * ring, not yet readable: payload [off, off + len) goes to `at` bytes past
 * the ring's write point as it was when the call began (at + len never
 * exceeds that call's tcp_io.rcv_free). */
struct tcp_delivery {
	uint32_t off;       /**< from the start of the segment's payload */
	uint32_t len;
	uint32_t at;
};

/* events */
#define TCP_EV_ESTABLISHED 0x0001 /**< connection synchronized (connect done / child ready to accept) */
#define TCP_EV_READABLE    0x0002 /**< data delivered */
#define TCP_EV_WRITABLE    0x0004 /**< transmit ring space released */
#define TCP_EV_PEER_FIN    0x0008 /**< the peer's FIN: end of stream after delivered data */
#define TCP_EV_ERROR       0x0010 /**< tcp_actions.err is set (SO_ERROR) */
#define TCP_EV_CLOSED      0x0020 /**< the engine is done with the connection: free it after
                                       processing these actions */
#define TCP_EV_TIME_WAIT   0x0040 /**< entered TIME-WAIT (the socket may be released; the
                                       connection lives until TCP_EV_CLOSED) */
#define TCP_EV_URGENT      0x0080 /**< a new urgent pointer (tcp_actions.urg_mark): the byte
                                       before it is the out-of-band byte (Linux) */
#define TCP_EV_TW_REUSE    0x0100 /**< TIME-WAIT ended by a new SYN (RFC 6191): hand the SYN to
                                       the listener with tcp_actions.tw_isn as the ISN */
#define TCP_EV_SHUT_WR_DONE 0x0200 /**< our FIN was acknowledged */

/** What a call asks the caller to do. The engine resets it on entry. */
struct tcp_actions {
	/** Apply first: drop this many bytes from the transmit ring's head. */
	uint32_t release;
	uint16_t nsegs;
	/** More segments are allowed now than segs holds: send these, then
	 * call tcp_output(). */
	bool more;
	uint16_t ndeliver;
	/** After the deliveries' copies: make this many bytes from the ring's
	 * write point readable (in-order data, and out-of-order data placed
	 * earlier whose hole has filled). */
	uint32_t publish;
	uint32_t events;     /**< TCP_EV_* */
	int err;             /**< with TCP_EV_ERROR: a positive errno as Linux reports it */
	struct seq urg_mark; /**< with TCP_EV_URGENT: sequence number after the urgent byte
	                          (never one before RCV.NXT as the call began) */
	struct seq tw_isn;   /**< with TCP_EV_TW_REUSE */
	/** When tcp_timer() must be called next (absolute ns), UINT64_MAX for
	 * never. Replaces any earlier deadline of this connection. */
	uint64_t deadline;
	struct tcp_out_seg segs[TCP_ACT_SEGS];
	struct tcp_delivery deliver[TCP_ACT_DELIVER];
};

/** Buffer state the caller reports on every call. */
struct tcp_io {
	uint64_t now_ns;
	/** Bytes in the transmit ring from its head (unacknowledged and
	 * unsent data). May only grow between calls, except by the
	 * releases the engine asks for. */
	uint32_t snd_avail;
	/** Free bytes in the receive ring, as tcp_rcv_free_within() gives
	 * them when the ring is larger than so.rcvbuf. */
	uint32_t rcv_free;
	/** MSG_OOB marked since the last call: the offset from the ring's
	 * head just past the last urgent byte, 1..snd_avail (else ignored);
	 * 0 for none. Every call takes it (as tcp_send_urgent()) before
	 * anything it sends, so that bytes the caller reports are never
	 * sent without their mark. */
	uint32_t snd_urg;
};

/**
 * What the caller reports as tcp_io.rcv_free for a receive ring of
 * ring_size bytes with ring_free of them free: the engine counts unread
 * bytes as so.rcvbuf - rcv_free, so with SO_RCVBUF below the ring's size
 * the room left within that bound (else the window never closes while
 * the unread bytes pile up in the larger ring); rcvbuf 0: not set yet.
 */
static inline uint32_t
tcp_rcv_free_within(uint32_t rcvbuf, uint32_t ring_size, uint32_t ring_free)
{
	if (rcvbuf == 0 || rcvbuf >= ring_size || ring_free > ring_size)
		return ring_free;
	uint32_t unread = ring_size - ring_free;
	return rcvbuf > unread ? rcvbuf - unread : 0;
}

/* ---- socket options a connection carries ---- */

struct tcp_sockopts {
	uint32_t rcvbuf;          /**< receive ring capacity in bytes (> 0) */
	bool rcvbuf_locked;       /**< SO_RCVBUF was set: no auto-tuning */
	uint16_t user_mss;        /**< TCP_MAXSEG, 0 for none */
	bool nodelay;             /**< TCP_NODELAY */
	bool cork;                /**< TCP_CORK */
	bool keepalive;           /**< SO_KEEPALIVE */
	uint32_t keepidle_s;      /**< TCP_KEEPIDLE, 0: the context's */
	uint32_t keepintvl_s;     /**< TCP_KEEPINTVL, 0: the context's */
	uint32_t keepcnt;         /**< TCP_KEEPCNT, 0: the context's */
	uint32_t user_timeout_ms; /**< TCP_USER_TIMEOUT, 0: none */
	const struct tcp_cc_ops *cc; /**< NULL: the context's */
};

/** Socket options tcp_setsockopt() knows, with Linux's semantics. */
enum tcp_sockopt {
	TCP_SO_NODELAY,       /**< bool */
	TCP_SO_CORK,          /**< bool; uncorking sends what was held */
	TCP_SO_MAXSEG,        /**< 0 or 88..32767, else -EINVAL */
	TCP_SO_KEEPALIVE,     /**< bool */
	TCP_SO_KEEPIDLE,      /**< seconds 1..32767 */
	TCP_SO_KEEPINTVL,     /**< seconds 1..32767 */
	TCP_SO_KEEPCNT,       /**< 1..127 */
	TCP_SO_USER_TIMEOUT,  /**< ms >= 0 */
	TCP_SO_RCVBUF,        /**< new receive ring capacity; locks auto-tuning */
	TCP_SO_QUICKACK,      /**< 1: leave delayed-ACK mode now (and ACK what is owed) */
};

/* ---- the connection ---- */

/** One entry of the transmit scoreboard: [start, end) sent at xmit_ns. */
struct tcp_txe {
	struct seq start;
	struct seq end;
	uint64_t xmit_ns;  /**< last (re)transmission */
	uint32_t tsval;    /**< timestamp value of that transmission */
	uint8_t flags;     /**< TXE_* (tcp_impl.h) */
};

/** One out-of-order range: bytes [seq, seq + len), already placed in the
 * receive ring at seq - rcv_nxt past its write point. */
struct tcp_ooo {
	struct seq seq;
	uint32_t len;
	uint32_t stamp;    /**< arrival order, for RFC 2018 §4's block order */
};

enum tcp_ca_state { TCP_CA_OPEN, TCP_CA_DISORDER, TCP_CA_RECOVERY, TCP_CA_LOSS };

/** Deadlines a connection keeps (absolute ns, UINT64_MAX when off). */
enum tcp_timer_kind {
	TCP_T_RTX,       /**< retransmission, SYN/SYN-ACK retransmission */
	TCP_T_PTO,       /**< RFC 8985 tail loss probe */
	TCP_T_REO,       /**< RFC 8985 RACK reordering timer */
	TCP_T_PERSIST,   /**< zero window probe */
	TCP_T_DELACK,    /**< delayed ACK */
	TCP_T_KEEPALIVE, /**< keepalive */
	TCP_T_CORK,      /**< TCP_CORK / Nagle ceiling */
	TCP_T_2MSL,      /**< TIME-WAIT, and FIN-WAIT-2 of a closed socket */
	TCP_T_N
};

struct tcp_listener;

/**
 * A connection. The caller allocates it (sizeof(struct tcp_conn)), opens it
 * with tcp_conn_open_active/passive/cookie, and frees it after the event
 * TCP_EV_CLOSED (or after tcp_conn_destroy). All fields are the engine's:
 * read them only through the functions below.
 */
struct tcp_conn {
	enum tcp_state state;
	struct tcp_tuple tuple;
	struct tcp_listener *listener; /* embryonic or not yet accepted child */
	bool in_accept_queue;
	bool orphan;                   /* the application closed it */
	bool orphan_counted;           /* in tcp_ctx.orphans */
	bool shut_rd;
	struct tcp_sockopts so;
	uint8_t family_hdr;            /* IP header bytes: 20 or 40 */

	/* send sequence space (RFC 9293 §3.3.1) */
	struct seq iss;
	struct seq snd_una;
	struct seq snd_nxt;            /* highest sent + 1 (Linux's snd_nxt; never pulled back) */
	struct seq snd_wl1, snd_wl2;
	struct seq snd_up;             /* urgent pointer to send, valid with snd_up_valid */
	bool snd_up_valid;
	struct seq snd_base;           /* sequence number of the transmit ring's head byte */
	uint32_t snd_avail;            /* last reported ring bytes */
	uint32_t snd_wnd;              /* peer's window, scaled */
	uint32_t max_snd_wnd;
	uint8_t snd_wscale;
	bool fin_queued;               /* application shut down writing */
	struct seq fin_seq;            /* sequence number of our FIN, with fin_queued */

	/* receive sequence space */
	struct seq irs;
	struct seq rcv_nxt;
	struct seq rcv_adv;            /* right edge advertised */
	struct seq rcv_up;
	bool rcv_up_valid;
	uint8_t rcv_wscale;
	bool fin_rcvd;                 /* the peer's FIN was processed */
	bool ooo_fin;                  /* a FIN beyond a hole */
	struct seq ooo_fin_seq;
	uint32_t rcv_free;             /* free bytes the caller last reported (after deliveries) */
	uint64_t delivered_total;      /* bytes ever delivered */
	struct seq last_ack_sent;

	/* options */
	bool ws_ok, ts_ok, sack_ok;
	uint16_t peer_mss;             /* MSS option received (or default) */
	uint16_t adv_mss;              /* MSS option sent */
	uint32_t pmtu;
	uint32_t mss;                  /* payload bytes per full segment, options excluded */
	uint32_t rcv_mss;              /* estimate of the peer's segment size */
	uint32_t ts_off;
	uint32_t ts_recent;
	uint64_t ts_recent_ns;

	/* RTT and RTO (RFC 6298), in ns */
	uint64_t srtt, rttvar, rto, min_rtt, min_rtt_stamp;
	bool rtt_valid;
	uint8_t backoff;               /* RTO doublings in a row */
	uint8_t syn_retx;              /* SYN / SYN-ACK retransmissions */
	uint64_t rtx_start_ns;         /* first retransmission of the head (timeout budget) */
	uint64_t persist_start_ns;
	uint8_t probes_out;            /* persist / keepalive probes unanswered */
	uint8_t persist_backoff;       /* zero window probes sent while the window stays shut */

	/* congestion control */
	const struct tcp_cc_ops *cc;
	uint32_t cwnd, ssthresh;       /* bytes */
	uint32_t bytes_acked_ca;       /* RFC 3465 byte counting in congestion avoidance */
	uint64_t last_cwnd_use_ns;
	enum tcp_ca_state ca_state;
	struct seq recover;            /* RFC 6582 / RFC 6675 RecoveryPoint */
	uint32_t dupacks;
	uint32_t prior_cwnd;
	/* D-SACK undo (RFC 3708 §3, Linux's undo_marker/undo_retrans): a
	 * loss episode (fast recovery or RTO) keeps the window it reduced;
	 * when D-SACKs show every byte it retransmitted reached the peer
	 * twice, the reduction was for nothing and is undone */
	uint32_t prior_ssthresh;
	uint32_t undo_retrans;         /* bytes retransmitted in the episode not D-SACKed yet;
	                                * UINT32_MAX: none retransmitted (nothing to undo) */
	struct seq undo_marker;        /* SND.UNA when the episode began */
	struct seq undo_lo, undo_hi;   /* what it retransmitted lies in [lo, hi) */
	bool undo_on;                  /* an episode that may still be undone */
	/* Eifel detection (RFC 3522, Linux's retrans_stamp and
	 * tcp_packet_delayed): the TSval of the episode's first
	 * retransmission; an ACK echoing an older one answers an original */
	bool undo_ts;                  /* undo_tsval is set */
	uint32_t undo_tsval;
	_Alignas(8) uint8_t cc_priv[TCP_CC_PRIV];

	/* transmit scoreboard: [snd_una, snd_nxt) in order */
	uint16_t ntx;
	struct tcp_txe tx[TCP_TXQ_MAX];
	uint32_t sacked_bytes, lost_bytes, retrans_bytes;
	struct seq high_sacked;        /* highest SACKed end */

	/* RACK-TLP (RFC 8985) */
	uint64_t rack_xmit_ns;
	struct seq rack_end;
	uint64_t rack_rtt;
	bool rack_reord;
	struct seq rack_fack;
	uint32_t rack_reo_mult;
	int32_t rack_reo_persist;
	bool rack_dsack_round_on;
	struct seq rack_dsack_round;
	bool tlp_out;
	bool tlp_retrans;
	struct seq tlp_end;
	bool dsack_seen;               /* on the ACK being processed */

	/* out-of-order queue, sorted by seq, non-overlapping */
	uint16_t nooo;
	uint32_t ooo_bytes;
	uint32_t ooo_stamp;
	struct tcp_ooo ooo[TCP_REASS_MAX];
	bool dsack_pending;
	struct tcp_sack_block dsack;

	/* ACK state */
	bool ack_now;                  /* an ACK must go out in this call */
	bool ack_pending;              /* a delayed ACK is owed */
	uint32_t segs_unacked;         /* full-sized segments received since the last ACK */
	uint32_t quickacks;            /* segments still ACKed at once */
	uint64_t ato;                  /* delayed ACK timeout */
	uint64_t last_data_rcv_ns;
	uint64_t last_oow_ack_ns;      /* RFC 5961 / tcp_invalid_ratelimit */

	/* receive auto-tuning (Linux DRS) */
	uint32_t rcv_wnd_clamp;
	uint32_t rcvq_space;
	uint64_t rcvq_time_ns;
	uint64_t rcvq_copied_mark;
	uint64_t rcv_rtt;              /* receiver's RTT estimate, ns */
	struct seq rcv_rtt_seq;
	uint64_t rcv_rtt_time;

	/* Nagle / cork */
	struct seq snd_sml;            /* end of the last small segment sent (Minshall) */
	uint64_t cork_since_ns;

	/* one-shot permissions for the next output */
	bool force_retx;               /* RFC 6675 (4.3): first retransmission ignores cwnd */
	/* F-RTO (RFC 5682 §3.1, SACK-enhanced, as Linux's tp->frto): after a
	 * timeout, the first ACK that advances sends new data instead of
	 * retransmitting; an ACK for data sent before the timeout and never
	 * retransmitted then shows the timeout was spurious */
	bool frto;                     /* the episode is being checked */
	bool frto_new;                 /* the next transmission: new data only */
	bool tlp_force;                /* RFC 8985 §7.3: the probe ignores cwnd */
	bool wnd_force;                /* persist: send what the window takes, SWS aside */
	bool cork_force;               /* TCP_CORK ceiling reached */
	bool pto_rearm;
	bool cwnd_limited;             /* output stopped on cwnd since the last ACK */
	uint64_t syn_sent_ns;          /* SYN / SYN-ACK first transmission */

	/* times */
	uint64_t deadline[TCP_T_N];
	uint64_t last_rcv_ns;          /* any segment */
	uint64_t last_ack_rcv_ns;
	uint64_t last_data_snd_ns;
	uint64_t estab_ns;

	/* errors */
	int soft_err;                  /* ICMP soft error, reported on timeout */

	/* statistics (TCP_INFO) */
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
	uint32_t total_retrans;
	uint32_t reordering;
	uint64_t delivered, delivered_mark, delivered_mark_ns;
	uint64_t delivery_rate;        /* bytes per second, last sample */
	uint32_t challenge_acks;
	uint32_t dsack_sent_count;
};

/* ---- listener ---- */

/**
 * A listening socket's per-worker state: queue bounds and counts, and the
 * socket options children inherit. The caller owns it; the engine counts
 * children in the queues through the conn->listener link.
 */
struct tcp_listener {
	uint32_t backlog;       /**< accept queue bound (listen()'s argument, Linux: full above it) */
	uint32_t syn_backlog;   /**< SYN queue bound: cookies (or drops) beyond it */
	uint32_t syn_qlen;      /**< embryonic children (SYN-RECEIVED) */
	uint32_t accept_qlen;   /**< established children not yet accepted */
	struct tcp_sockopts so; /**< inherited by children */
	uint64_t overflows;     /**< ACKs completing a handshake dropped: accept queue full */
	uint64_t drops;         /**< SYNs dropped */
};

/** Initializes a listener; so is copied (children inherit it). */
void tcp_listener_init(struct tcp_listener *l, uint32_t backlog, const struct tcp_sockopts *so);

/** What to do with a SYN for a listener. */
enum tcp_syn_verdict {
	TCP_SYN_CREATE, /**< allocate a connection and call tcp_conn_open_passive() */
	TCP_SYN_COOKIE, /**< a->segs[0] is a SYN-ACK with a cookie: send it, keep no state */
	TCP_SYN_DROP,   /**< drop it (queues full, cookies off, or not a valid SYN) */
};

/**
 * Decides what to do with a segment that carries SYN (and not ACK or RST)
 * for a listener. With TCP_SYN_COOKIE the reply is in a (segs[0]).
 * @param mtu  the route MTU toward the peer (for the MSS option)
 * @param rcv_free free bytes the child's receive ring would have
 */
enum tcp_syn_verdict tcp_listen_syn(struct tcp_ctx *x, struct tcp_listener *l,
				    const struct tcp_tuple *t, const struct tcp_seg *syn,
				    uint32_t mtu, uint64_t now_ns, struct tcp_actions *a);

/**
 * Whether a segment for a listener that is neither a SYN it takes nor a
 * SYN cookie's ACK gets a RST (RFC 9293 3.10.7.2, as Linux): only when it
 * carries ACK and not RST; anything else (a bare FIN, data without ACK) is
 * dropped silently.
 */
static inline bool
tcp_listen_wants_rst(const struct tcp_seg *seg)
{
	return (seg->flags & (TCP_ACK | TCP_RST)) == TCP_ACK;
}

/** Builds a cookie SYN-ACK for syn in a (reset first; e.g. when no
 * connection could be allocated after TCP_SYN_CREATE). Returns 0 or
 * -EINVAL (not a SYN). */
int tcp_syncookie_reply(struct tcp_ctx *x, const struct tcp_listener *l,
			const struct tcp_tuple *t, const struct tcp_seg *syn,
			uint32_t mtu, uint64_t now_ns, struct tcp_actions *a);

/** What a valid cookie carried. */
struct tcp_cookie_info {
	uint16_t mss;       /**< from the MSS table */
	bool ts_ok;         /**< timestamps in use (the ACK carries one) */
	bool sack_ok;
	bool ws_ok;
	uint8_t snd_wscale; /**< the peer's window scale */
	bool ecn_ok;
};

/**
 * Checks whether an ACK (no SYN, no RST) for a listener with no matching
 * connection completes a cookie handshake (RFC 4987 §3.1): its ack - 1 must
 * be a cookie of this tuple and the peer's ISN (seq - 1), at most 2
 * minutes old, and its timestamp echo must decode to options we allow.
 * Returns 0 with *info filled, or -EINVAL.
 */
int tcp_syncookie_check(struct tcp_ctx *x, const struct tcp_tuple *t, const struct tcp_seg *ack,
			uint64_t now_ns, struct tcp_cookie_info *info);

/* ---- opening and closing ---- */

/**
 * Active open (connect): c becomes SYN-SENT and a->segs holds the SYN.
 * @param c    caller storage; overwritten
 * @param so   socket options (copied)
 * @param mtu  route MTU toward the peer
 * @param iss  0 to compute the RFC 6528 ISN, else this ISN (tests)
 */
void tcp_conn_open_active(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_tuple *t,
			  const struct tcp_sockopts *so, uint32_t mtu, uint32_t iss,
			  const struct tcp_io *io, struct tcp_actions *a);

/**
 * Passive open after TCP_SYN_CREATE: c becomes SYN-RECEIVED as a child of
 * l (counted in l->syn_qlen) and a->segs holds the SYN-ACK. When c becomes
 * ESTABLISHED it moves to the accept queue (event TCP_EV_ESTABLISHED); the
 * caller reports the application's accept with tcp_listener_accepted().
 * @param isn  0 for the RFC 6528 ISN, else this one (TIME-WAIT reuse: the
 *             tw_isn of TCP_EV_TW_REUSE)
 */
void tcp_conn_open_passive(struct tcp_ctx *x, struct tcp_listener *l, struct tcp_conn *c,
			   const struct tcp_tuple *t, const struct tcp_seg *syn, uint32_t mtu,
			   uint32_t isn, const struct tcp_io *io, struct tcp_actions *a);

/**
 * Opens c ESTABLISHED from an ACK that tcp_syncookie_check() accepted,
 * then processes that ACK (it may carry data, as for tcp_input()).
 * Returns 0, or -ENOBUFS when l's accept queue is full (c is then not
 * opened; the ACK is dropped and counted, as Linux does).
 */
int tcp_conn_open_cookie(struct tcp_ctx *x, struct tcp_listener *l, struct tcp_conn *c,
			 const struct tcp_tuple *t, const struct tcp_seg *ack,
			 const struct tcp_cookie_info *info, uint32_t mtu, const struct tcp_io *io,
			 struct tcp_actions *a);

/** The application accepted c: it leaves l's accept queue. */
void tcp_listener_accepted(struct tcp_listener *l, struct tcp_conn *c);

/**
 * The listener goes away: c (an embryonic or unaccepted child) is reset
 * (RST sent when synchronized) and closed (TCP_EV_CLOSED).
 */
void tcp_conn_listener_gone(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io,
			    struct tcp_actions *a);

/**
 * close(): with unread > 0 (data the application never read) or linger0
 * (SO_LINGER with 0 timeout) the connection is reset (RST, CLOSED) as
 * Linux does; otherwise a FIN is queued after the data and the connection
 * finishes in the background (orphan: FIN-WAIT-2 limited by
 * fin_timeout_ns, data arriving afterwards answered with RST).
 */
/* connect(AF_UNSPEC) (Linux's tcp_disconnect): a synchronized connection
 * is reset (RST sent), any other ends at once; TCP_EV_CLOSED either way,
 * and the socket may connect again. */
void tcp_disconnect(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io,
		    struct tcp_actions *a);
void tcp_close(struct tcp_ctx *x, struct tcp_conn *c, uint32_t unread, bool linger0,
	       const struct tcp_io *io, struct tcp_actions *a);
/** Linux's tcp_out_of_resources for an orphan: with more than
 * max_orphans in the context, a counted orphan is reset (RST, CLOSED,
 * abort_on_memory). Called at close and when an orphan's retransmission
 * or probe timer fires. True if it was. */
bool tcp_orphan_oom(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io,
		    struct tcp_actions *a);

/** shutdown(): how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2). Returns
 * 0, or -ENOTCONN (not connected, as Linux), -EINVAL (bad how). */
int tcp_shutdown(struct tcp_ctx *x, struct tcp_conn *c, int how, const struct tcp_io *io,
		 struct tcp_actions *a);

/** Abort: RST if synchronized, CLOSED at once (ECONNABORTED not reported). */
void tcp_abort(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);

/** Forgets out-of-order data and marks c CLOSED. Sends
 * nothing. Safe in any state; c may be freed afterwards. */
void tcp_conn_destroy(struct tcp_ctx *x, struct tcp_conn *c);

/* ---- the running connection ---- */

/**
 * A segment for c arrived (the caller's demultiplexing found c).
 * Its payload (seg->len bytes) stays the caller's: deliveries name
 * ranges of it to copy when the call's actions are carried out.
 */
void tcp_input(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
	       const struct tcp_io *io, struct tcp_actions *a);

/** Sends what may be sent now: new data the application queued (call it
 * after snd_avail grew), and the rest of a transmit burst (a->more). */
void tcp_output(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);

/** The deadline reported in a->deadline passed (calling early is harmless). */
void tcp_timer(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);

/** The application read data (rcv_free grew): sends a window update when
 * the window opens enough (RFC 9293 §3.8.6.2.2). */
void tcp_rcvd(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);

/**
 * MSG_OOB: the byte up_off - 1 bytes from the transmit ring's head is the
 * last urgent byte (RFC 6093 §4, Linux's tcp_mark_urg: the pointer points
 * after it); segments carry URG while the pointer is ahead of them. Then
 * sends what may be sent, as tcp_output(). Returns 0, or -EINVAL (up_off
 * 0 or beyond io->snd_avail, or our FIN queued: nothing marked).
 */
int tcp_send_urgent(struct tcp_ctx *x, struct tcp_conn *c, uint32_t up_off, const struct tcp_io *io,
		    struct tcp_actions *a);

/** Sets an option (see enum tcp_sockopt). Returns 0 or -EINVAL. May send
 * (uncork, quick ACK). */
int tcp_setsockopt(struct tcp_ctx *x, struct tcp_conn *c, enum tcp_sockopt opt, uint32_t val,
		   const struct tcp_io *io, struct tcp_actions *a);

/** TCP_CONGESTION: 0, or -ENOENT for an unknown name (Linux). */
int tcp_set_congestion(struct tcp_conn *c, const char *name, uint64_t now_ns);

/** ICMP errors about a segment of c. */
enum tcp_icmp_kind {
	TCP_ICMP_FRAG_NEEDED, /**< IPv4 type 3 code 4 / ICMPv6 packet too big: mtu is set */
	TCP_ICMP_HARD,        /**< error that aborts a connection being opened (err) */
	TCP_ICMP_SOFT,        /**< error kept as the soft error (err) */
};

/**
 * An ICMP error quoting a segment of c. quoted_seq is the sequence number
 * in the quoted TCP header; the error is ignored (counted) unless it lies
 * in [snd_una, snd_nxt) (RFC 5927 §4.1; SYN-SENT: the ISN). Fragmentation
 * needed lowers the path MTU (never below min_pmtu4/6) and retransmits
 * what no longer fits; a hard error in SYN-SENT / SYN-RECEIVED aborts
 * with err (Linux: ECONNREFUSED for port unreachable, EHOSTUNREACH...),
 * in a synchronized state it is kept as the soft error as Linux does
 * without IP_RECVERR.
 */
void tcp_icmp(struct tcp_ctx *x, struct tcp_conn *c, enum tcp_icmp_kind kind, uint32_t quoted_seq,
	      uint32_t mtu, int err, const struct tcp_io *io, struct tcp_actions *a);

/**
 * The RST that answers a segment no connection takes (RFC 9293 §3.10.7.1):
 * fills out and returns true, or false when in carries RST itself. The
 * reply goes to in's source with the ports swapped.
 */
bool tcp_rst_reply(const struct tcp_seg *in, struct tcp_out_seg *out);

/* ---- reading state ---- */

/** The earliest deadline of c (UINT64_MAX for none): what a->deadline said. */
uint64_t tcp_conn_deadline(const struct tcp_conn *c);

/** Bytes sent and not acknowledged. */
uint32_t tcp_conn_unacked(const struct tcp_conn *c);

/** The fields ss -i / TCP_INFO show (Linux's struct tcp_info names). */
struct tcp_conn_info {
	uint8_t state;          /**< enum tcp_state */
	uint8_t ca_state;       /**< enum tcp_ca_state */
	uint8_t retransmits;    /**< RTO backoffs in a row */
	uint8_t probes;
	uint8_t backoff;
	uint8_t options;        /**< TCPI_OPT_* as Linux: 1 TS, 2 SACK, 4 WSCALE */
	uint8_t snd_wscale, rcv_wscale;
	uint32_t rto_us, ato_us, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans; /**< segments */
	uint32_t last_data_sent_ms, last_data_recv_ms, last_ack_recv_ms;
	uint32_t pmtu, rcv_ssthresh, rtt_us, rttvar_us, snd_ssthresh, snd_cwnd; /**< cwnd, ssthresh: segments */
	uint32_t advmss, reordering, rcv_rtt_us, rcv_space;
	uint32_t total_retrans;
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
	uint64_t delivery_rate;  /**< bytes/s */
	uint32_t snd_wnd, rcv_wnd;
	uint32_t outq_bytes;     /**< SIOCOUTQ: bytes queued, sent or not, not acknowledged */
	uint32_t notsent_bytes;  /**< SIOCOUTQNSD / tcpi_notsent_bytes */
	uint64_t min_rtt_us;
};

/** Fills *i from c at now_ns. */
void tcp_conn_get_info(const struct tcp_conn *c, uint64_t now_ns, struct tcp_conn_info *i);

/* ---- hashes (also used by tests) ---- */

/** RFC 6528 ISN for t at now_ns: SipHash-2-4 of the 4-tuple under the
 * context's secret plus a 4 µs clock. */
uint32_t tcp_isn(const struct tcp_ctx *x, const struct tcp_tuple *t, uint64_t now_ns);

/** Default MSS when the peer sends none (RFC 9293 §3.7.1, RFC 8200):
 * 536 for IPv4, 1220 for IPv6. */
uint16_t tcp_default_mss(uint8_t family);

#endif
