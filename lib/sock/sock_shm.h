/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The segment an application shares with ringstackd (DESIGN.md "Sockets
 * over shared memory"). DPDK-free: libringsock and the daemon both include
 * it. Version 3 (the urgent-data fields took padding that older peers leave zero).
 *
 * Attach. The application connects to the daemon's unix socket (the same
 * one ringctl uses) and sends one management frame (ctl_proto.h header) of
 * type CTL_T_ATTACH whose body is struct rs_attach_req. The daemon answers
 * with a CTL_T_ATTACH frame whose body is struct rs_attach_rsp and, in the
 * same sendmsg, the segment's memfd as SCM_RIGHTS. The memfd is sealed
 * (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) before it is sent: no one can
 * change its size, so no access by the daemon inside it can fault. The
 * application mmaps it (MAP_SHARED, rsp.size bytes) and validates every
 * offset below against that size before using it. From then on the unix
 * socket carries only "kicks", in both directions, and its hang-up is how
 * the daemon learns that the application died.
 *
 * Layout (all offsets from the segment's start; rings: lib/util/shm_ring.h):
 *   struct rs_shm_hdr at 0, struct rs_shm_addrs in the same page
 *   request ring    (record ring, app -> control thread): struct rs_sreq
 *   completion ring (record ring, control thread -> app): struct rs_scpl
 *   one doorbell ring per worker (record ring, app -> worker w):
 *     struct rs_doorbell
 *   struct rs_shm_sock[max_socks]: one slot per socket descriptor, with
 *     its rings' index headers
 *   the ring arena: per-socket ring data, carved by the daemon on demand (a
 *     buddy allocator kept in the daemon's private memory) and given back
 *     when the socket closes.
 *
 * Control operations (socket, bind, connect, listen, accept, close,
 * setsockopt, ...): the application writes one rs_sreq into the request
 * ring, then writes one byte to the unix socket (the kick). The control
 * thread answers with one rs_scpl in the completion ring and one byte on
 * the unix socket; for RS_SOP_SOCKET and RS_SOP_ACCEPT that byte carries,
 * as SCM_RIGHTS, the new socket's wake descriptor (below). One request is
 * in flight at a time per application (libringsock serialises them),
 * except that libringsock sends the RS_SOP_CLOSE of a connected stream
 * socket without waiting for its answer (at most 8 unanswered; the
 * completions and kicks come in order and it skips them later).
 * A descriptor is dead the moment its RS_SOP_CLOSE is taken: any later
 * request naming it (in the same batch too) gets EBADF.
 *
 * Waking. Each socket has a wake descriptor: the application's end of a
 * SOCK_DGRAM unix socket pair made by the daemon, which keeps the other
 * end. The application uses it as the socket's descriptor number and
 * sleeps on it (poll: POLLIN); the worker that owns the socket sends one
 * byte on its end, MSG_DONTWAIT, only while app_wait is set, and one per
 * arming: the daemon sends only when it changes app_woken from 0 to 1
 * (exchange); the application stores app_woken = 0 each time a thread is
 * about to sleep, before it checks its rings, and after it consumed the
 * pending bytes. A bulk receiver asleep while a burst lands costs the
 * worker one send, not one per segment. Nothing the
 * application can do to its end (fill it, shrink its buffers, shut it down,
 * clear O_NONBLOCK, close it) can make that send block: MSG_DONTWAIT is per
 * call, and a full or broken pair only means the application already has
 * a wake-up pending or lost its own. Never a descriptor the application
 * supplied, which could block a worker (and with it every RCU grace
 * period).
 *
 * Sending: the application writes into the socket's tx ring, then, if
 * tx_armed was 0, sets it to 1 and writes an rs_doorbell with the socket's
 * index into the doorbell ring of the worker the slot names (worker). That
 * worker drains its doorbells, sends what the ring holds, stores
 * tx_armed = 0 and looks at the ring once more (so data written in between
 * is not forgotten). A doorbell in the wrong worker's ring (the socket
 * moved, or the application lied) is ignored by that worker; the owner
 * looks at the ring again whenever a socket moves to it.
 *
 * Receiving: the owner writes into the rx ring; a full datagram ring drops
 * (counted in rx_drops), then wakes the application if app_wait is set.
 * The application sets app_wait (and clears app_woken), checks the ring
 * again, then sleeps; it clears app_wait when it wakes.
 *
 * Stream sockets (SOCK_STREAM: TCP). The rx ring is a byte ring of
 * in-order data (producer: the owner worker); the tx ring a byte ring of
 * data to send (producer: the application). The worker consumes tx bytes
 * only when the peer has acknowledged them, so the ring's used bytes are
 * unacknowledged + unsent (SIOCOUTQ) and its free space what a send may
 * write. After reading, the application rings the socket's doorbell when
 * the read freed at least a quarter of the rx ring, brought its free
 * space from below a quarter to above it, or emptied it: the worker then
 * decides whether to send a window update. Closing a connected stream
 * socket, the application stores app_close = 1 and rings the doorbell
 * before it sends RS_SOP_CLOSE: the owner then closes the connection (FIN,
 * or a reset for unread data or SO_LINGER 0) without waiting for the
 * control thread, whose RS_SOP_CLOSE later lets the socket go. The daemon
 * reads app_close only as "the application closed its connection" (which
 * the application may say of its own connections at any time); the slot
 * stays the application's until RS_SOP_CLOSE. The slot's state word (RS_SS_*) and so_error
 * tell the connection's life:
 *   RS_SS_CONNECTING  set by the control thread when RS_SOP_CONNECT starts
 *                     an active open (the request answers 0 at once; the
 *                     library's blocking connect waits for the outcome);
 *   RS_SS_CONNECTED   established (set with CONNECTING cleared);
 *   RS_SS_RCV_EOF     the peer's FIN: every byte before it is in the rx
 *                     ring; once the ring is empty reads return 0;
 *   RS_SS_SND_CLOSED  sends fail with EPIPE (our FIN queued, or a reset);
 *   RS_SS_RESET       reset, refused, timed out or aborted: so_error says
 *                     why (ECONNRESET, ECONNREFUSED, ETIMEDOUT, ...); data
 *                     already in the rx ring stays readable first;
 *   RS_SS_CLOSED      the connection is over (no more changes);
 *   RS_SS_LISTEN      a listener: accept_prod[w] - accept_cons[w], summed
 *                     over workers, is the number of connections waiting
 *                     (each worker w writes only accept_prod[w], the
 *                     control thread only accept_cons[w]; both only grow,
 *                     modulo 2^32). RS_SOP_ACCEPT answers EAGAIN when none
 *                     is left; the listener is woken when one arrives.
 * The owner wakes the application (wake descriptor, while app_wait is set)
 * on every state change, on data, and when tx space is released.
 *
 * Everything in the segment is hostile to the daemon: it never reads a
 * geometry field back (it keeps its own copy), reads every record once into
 * private memory before validating it, bounds every index and length, and
 * disconnects an application whose rings are corrupt.
 */
#ifndef RS_SOCK_SHM_H
#define RS_SOCK_SHM_H

#include <stdatomic.h>
#include <stdint.h>

#define RS_SHM_MAGIC 0x5253534du /* 'RSSM' */
#define RS_SHM_VERSION 5 /* 4: app_woken, 5: app_close */
#define RS_SHM_MAX_WORKERS 16
/* SO_RCVBUF and SO_SNDBUF of a new socket: Linux's {r,w}mem_default. */
#define RS_SNDBUF_DEFAULT 212992
#define RS_RCVBUF_DEFAULT 212992
/* Linux's {r,w}mem_max: the most SO_RCVBUF/SO_SNDBUF grant (doubled). */
#define RS_BUF_MAX 212992

struct rs_attach_req {
	uint32_t version;    /* RS_SHM_VERSION */
	uint32_t pid;        /* for ringctl sock show (informational) */
	char name[32];       /* program name, NUL-terminated (informational) */
};

struct rs_attach_rsp {
	int32_t status;      /* 0 or -errno */
	uint32_t version;
	uint64_t size;       /* bytes to mmap */
};

struct rs_shm_ring_desc {
	uint64_t hdr_off;    /* struct shm_ring_hdr, 64-aligned; 0: no ring */
	uint64_t data_off;   /* 8-aligned */
	uint32_t size;       /* power of two */
	uint32_t pad;
};

struct rs_shm_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t size;
	uint32_t max_socks;
	uint32_t nworkers;            /* doorbell rings in bell[] */
	uint64_t socks_off;           /* struct rs_shm_sock[max_socks] */
	uint64_t addrs_off;           /* struct rs_shm_addrs; 0: none published */
	struct rs_shm_ring_desc req;  /* rs_sreq records, app -> control */
	struct rs_shm_ring_desc cpl;  /* rs_scpl records, control -> app */
	struct rs_shm_ring_desc bell[RS_SHM_MAX_WORKERS]; /* rs_doorbell, app -> worker w */
};

/*
 * The daemon's addresses and the broadcast address of each IPv4 subnet, so
 * that a send can fail at once where Linux's does (an IP_PKTINFO source
 * that is not local: EINVAL/ENETUNREACH; a broadcast destination without
 * SO_BROADCAST: EACCES) instead of through SO_ERROR after the worker found
 * out. Written by the control thread whenever the configuration changes,
 * under a sequence counter (odd while it writes): a reader copies, then
 * retries if seq was odd or changed. A hint to the library: the worker
 * checks again. Addresses in struct rs_ip form (IPv4-mapped for IPv4).
 */
#define RS_SHM_MAX_ADDRS 64
struct rs_shm_addr {
	uint8_t addr[16];
	uint8_t bcast[16];  /* IPv4 subnet broadcast; all zero when none */
};
struct rs_shm_addrs {
	_Atomic uint32_t seq;
	uint32_t n;         /* entries valid; readers clamp to RS_SHM_MAX_ADDRS */
	uint32_t truncated; /* 1: more addresses than entries (checks are skipped) */
	uint32_t pad;
	struct rs_shm_addr a[RS_SHM_MAX_ADDRS];
};

/* Stream socket state bits (rs_shm_sock.state), written by the owner. */
#define RS_SS_CONNECTED 0x01 /* established: data may flow */
#define RS_SS_RCV_EOF 0x02   /* the peer's FIN: reads end after the ring */
#define RS_SS_SND_CLOSED 0x04 /* no more sends (reset, or our FIN sent) */
#define RS_SS_RESET 0x08     /* the connection was reset or failed (so_error says why) */
#define RS_SS_CLOSED 0x10    /* the protocol is done with the socket */
#define RS_SS_LISTEN 0x20    /* a listener: accept_prod/accept_cons count connections ready */
#define RS_SS_CONNECTING 0x40 /* an active open in progress */

/*
 * Urgent data (stream sockets) as Linux keeps it (tcp_check_urg, tcp_urg,
 * tcp_recvmsg): the byte before the urgent pointer is the out-of-band
 * byte; it stays in the rx ring, where reads stop before it and, without
 * SO_OOBINLINE, step over it. The owner publishes each new pointer in
 * urg_rx (one 64-bit store); the library keeps the rest in its line:
 *   RS_URG_ST_LIVE  a mark is pending (Linux's urg_data != 0): reads stop
 *                   at it, SIOCATMARK reports it; cleared once a read
 *                   passes the byte
 *   RS_URG_ST_READ  recv(MSG_OOB) took the byte (Linux's TCP_URG_READ)
 * The byte has arrived (TCP_URG_VALID) when the rx ring's prod is past
 * pos; recv(MSG_OOB) and POLLPRI read it from the ring.
 */
#define RS_URG_MAKE(gen, pos) (((uint64_t)(gen) << 32) | (uint32_t)(pos))
#define RS_URG_GEN(v) ((uint32_t)((v) >> 32))
#define RS_URG_POS(v) ((uint32_t)(v))
#define RS_URG_ST_LIVE 0x1
#define RS_URG_ST_READ 0x2

/*
 * Per socket slot. The first two cache lines are written by the daemon
 * only (ring descriptors before it completes the request that made the
 * socket; the rest by the owner worker), the third by the application
 * only, so neither side's stores invalidate a line the other side writes.
 * The rings' index headers live in the slot too (their data areas, powers
 * of two, in the arena), each index on its own line.
 */
struct rs_shm_sock {
	struct rs_shm_ring_desc rx;  /* worker -> app */
	struct rs_shm_ring_desc tx;  /* app -> worker */
	_Atomic int32_t so_error;    /* pending asynchronous error (positive errno) */
	_Atomic uint32_t rx_drops;   /* datagrams dropped, rx ring full */
	_Atomic uint32_t worker;     /* whose doorbell ring serves this socket's tx */
	_Atomic uint32_t state;      /* RS_SS_* (stream sockets) */
	/* stream sockets, urgent data received (RS_URG_MAKE(gen, pos)): the
	 * latest urgent pointer the owner took, gen counting them from 1
	 * (0: none yet), pos the rx ring index of the urgent byte */
	_Atomic uint64_t urg_rx;
	uint32_t pad0[10];
	/* line 2: the application's */
	_Alignas(64) _Atomic uint32_t app_wait; /* "a thread sleeps on the wake descriptor" */
	_Atomic uint32_t tx_armed;   /* app sets with a doorbell; worker clears */
	_Atomic uint32_t app_woken;  /* worker sets with a wake-up; app clears when it arms */
	uint32_t pad_woken; /* urg_tx is 8-aligned */
	/* stream sockets, urgent data sent (send MSG_OOB): RS_URG_MAKE(gen,
	 * pos), pos the tx ring index just past the last urgent byte; a new
	 * gen is taken with the next doorbell (hostile: the owner ignores a
	 * pos outside the bytes the ring holds) */
	_Atomic uint64_t urg_tx;
	/* the library's view of urg_rx (never read by the daemon): the gen
	 * it took, the urgent byte's position, RS_URG_ST_* */
	_Atomic uint32_t urg_gen;
	_Atomic uint32_t urg_pos;
	_Atomic uint32_t urg_st;
	_Atomic uint32_t app_close;  /* the application closed it (stream sockets) */
	uint32_t pad1[6];
	uint8_t pad2[64];
	/* the rings' indices (struct shm_ring_hdr: prod line, cons line) */
	_Alignas(64) uint8_t rx_ring_hdr[128];
	uint8_t tx_ring_hdr[128];
	/* listeners: connections made by worker w / taken by accept */
	_Alignas(64) _Atomic uint32_t accept_prod[RS_SHM_MAX_WORKERS];
	_Alignas(64) _Atomic uint32_t accept_cons[RS_SHM_MAX_WORKERS];
	uint8_t pad3[128];
};
_Static_assert(sizeof(struct rs_shm_sock) == 768, "slot layout is shared");

enum rs_sop {
	RS_SOP_SOCKET = 1,   /* a[0] domain, a[1] type (flags masked), a[2] protocol -> sd */
	RS_SOP_BIND,         /* sd, addr */
	RS_SOP_CONNECT,      /* sd, addr (AF_UNSPEC: disconnect) */
	RS_SOP_CLOSE,        /* sd */
	RS_SOP_SETSOCKOPT,   /* sd, a[0] level, a[1] optname, opt[optlen] */
	RS_SOP_GETSOCKOPT,   /* sd, a[0] level, a[1] optname, a[2] buffer length -> opt[optlen] */
	RS_SOP_GETSOCKNAME,  /* sd -> addr */
	RS_SOP_GETPEERNAME,  /* sd -> addr */
	RS_SOP_LISTEN,       /* sd, a[0] backlog */
	RS_SOP_ACCEPT,       /* sd -> new sd, addr = peer */
	RS_SOP_SHUTDOWN,     /* sd, a[0] how (SHUT_RD/WR/RDWR) */
};

/* A socket address between app and daemon: family as the application
 * gave it (an AF_INET6 socket may name IPv4-mapped addresses), the
 * address in struct rs_ip form (IPv4-mapped for AF_INET). */
struct rs_saddr {
	uint16_t family;     /* AF_INET, AF_INET6, AF_UNSPEC */
	uint16_t port;       /* host byte order */
	uint32_t flowinfo;   /* sin6_flowinfo */
	uint32_t scope;      /* sin6_scope_id */
	uint8_t addr[16];
};

#define RS_SOPT_MAX 256
/* RS_SOP_SETSOCKOPT at SOL_SOCKET: the socket's owner as F_SETOWN names it
 * (> 0 a process, < 0 a process group, 0 none), sent SIGURG when urgent
 * data arrives (the library sends it at F_SETOWN; not an option Linux
 * has). */
#define RS_SO_OWNER 0x5253
/* RS_SOP_GETSOCKOPT at IPPROTO_TCP: SIOCOUTQNSD, bytes written but not
 * yet sent (Linux's write_seq - snd_nxt), which only the connection's
 * owner knows (not an option Linux has). */
#define RS_TCP_OUTQNSD 0x5254
/* Linux's <linux/in6.h> option glibc's <netinet/in.h> does not name */
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif
struct rs_sreq {
	uint32_t seq;
	uint16_t op;         /* enum rs_sop */
	uint16_t pad;
	int32_t sd;          /* socket slot index */
	int32_t a[3];
	struct rs_saddr addr;
	uint32_t optlen;
	uint8_t opt[RS_SOPT_MAX];
};

struct rs_scpl {
	uint32_t seq;
	int32_t ret;         /* >= 0, or -errno as Linux would set */
	struct rs_saddr addr;
	uint32_t optlen;
	uint8_t opt[RS_SOPT_MAX];
};

struct rs_doorbell {
	uint32_t sd;
};

/* Datagram metadata. */
struct rs_rx_meta {
	struct rs_saddr from; /* source address and port */
	uint8_t dst[16];      /* destination address (IP_PKTINFO), rs_ip form */
	uint16_t iface;       /* link it came in on */
	uint8_t tos, ttl;     /* TOS / traffic class, TTL / hop limit */
};

struct rs_tx_meta {
	struct rs_saddr to;   /* destination (the connected peer when family 0) */
	uint8_t src[16];      /* IP_PKTINFO source, all zero: chosen by route; rs_ip form */
	int16_t tos, ttl;     /* -1: the socket's setting */
	int32_t ifindex;      /* IP_PKTINFO ipi_ifindex, 0: none */
};

#endif
