/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The segment an application shares with ringstackd (DESIGN.md "Sockets
 * over shared memory"). DPDK-free: libringsock and the daemon both include it.
 *
 * Attach. The application connects to the daemon's unix socket (the same one
 * ringctl uses) and sends one management frame (ctl_proto.h header) of type
 * CTL_T_ATTACH whose body is struct rs_attach_req. The daemon answers with a
 * CTL_T_ATTACH frame whose body is struct rs_attach_rsp, and, in the same
 * sendmsg, the segment's memfd as SCM_RIGHTS. The application mmaps it
 * (MAP_SHARED, rsp.size bytes) and validates every offset below against that
 * size (shm_ring_layout_check) before using it. From then on the unix socket
 * carries only "kicks", in both directions (below), and its hang-up is how
 * the daemon learns that the application died.
 *
 * Layout (all offsets from the segment's start, all rings lib/util/shm_ring.h):
 *   struct rs_shm_hdr at 0
 *   request ring   (record ring, app -> control thread): struct rs_sreq records
 *   completion ring (record ring, control thread -> app): struct rs_scpl records
 *   tx doorbell ring (record ring, app -> workers): struct rs_doorbell records
 *   struct rs_shm_sock[max_socks]
 *   per-socket rings, carved by the daemon when a socket is created:
 *     rx: record ring, worker -> app, one datagram per record, meta struct rs_rx_meta
 *     tx: record ring, app -> worker, one datagram per record, meta struct rs_tx_meta
 *
 * Control operations (socket, bind, connect, close, setsockopt, ...): the
 * application writes one rs_sreq into the request ring, then writes one byte
 * to the unix socket (the kick). The control thread answers with one rs_scpl
 * in the completion ring and one byte on the unix socket. One request is in
 * flight at a time per application (libringsock serialises them). A
 * RS_SOP_SOCKET request's kick carries, as SCM_RIGHTS, an eventfd the
 * application created for the new socket: the worker signals it when it adds
 * to the socket's rx ring while the application sleeps on it.
 *
 * Sending: the application writes the datagram into the socket's tx ring,
 * then, if tx_armed was 0, sets it to 1 and writes an rs_doorbell with the
 * socket's index into the doorbell ring. The worker that owns the socket
 * drains doorbells, sends every datagram in the socket's tx ring, stores
 * tx_armed = 0 and looks at the ring once more (so a datagram written in
 * between is not forgotten).
 *
 * Receiving: the worker writes the datagram into the rx ring; a full ring
 * drops it (counted in rx_drops). If app_wait is set the worker writes the
 * socket's eventfd (a syscall only when the application sleeps). The
 * application sets app_wait, checks the ring again, then blocks on the
 * eventfd; it clears app_wait when it wakes.
 *
 * Everything in the segment is hostile to the daemon: it never reads a
 * geometry field back from it (it keeps its own copy), bounds every index
 * and length, and disconnects an application whose rings are corrupt.
 */
#ifndef RS_SOCK_SHM_H
#define RS_SOCK_SHM_H

#include <stdatomic.h>
#include <stdint.h>

#define RS_SHM_MAGIC 0x5253534du /* 'RSSM' */
#define RS_SHM_VERSION 2
/* SO_RCVBUF and SO_SNDBUF of a new socket: Linux's {r,w}mem_default. */
#define RS_SNDBUF_DEFAULT 212992
#define RS_RCVBUF_DEFAULT 212992

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
	uint32_t hdr_off;    /* struct shm_ring_hdr, 64-aligned */
	uint32_t data_off;   /* 8-aligned */
	uint32_t size;       /* power of two */
	uint32_t pad;
};

struct rs_shm_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t size;
	uint32_t max_socks;
	uint32_t socks_off;          /* struct rs_shm_sock[max_socks] */
	struct rs_shm_ring_desc req;  /* rs_sreq records, app -> control */
	struct rs_shm_ring_desc cpl;  /* rs_scpl records, control -> app */
	struct rs_shm_ring_desc bell; /* rs_doorbell records, app -> workers */
	uint32_t addrs_off;           /* struct rs_shm_addrs; 0: none published */
	uint32_t pad;
};

/*
 * The daemon's IPv4 addresses and the broadcast address of each subnet, so
 * that a send can fail at once where Linux's does (an IP_PKTINFO source that
 * is not local: ENETUNREACH; a broadcast destination without SO_BROADCAST:
 * EACCES) instead of through SO_ERROR after the worker found out. Written
 * by the control thread whenever the configuration changes, under a
 * sequence counter (odd while it writes): a reader copies, then retries if
 * seq was odd or changed. A hint to the library: the worker checks again.
 */
#define RS_SHM_MAX_ADDRS 64
struct rs_shm_addr {
	uint32_t addr;  /* network order */
	uint32_t bcast; /* network order; 0 when the prefix has none (/31, /32) */
};
struct rs_shm_addrs {
	_Atomic uint32_t seq;
	uint32_t n;     /* entries valid; readers clamp to RS_SHM_MAX_ADDRS */
	uint32_t truncated; /* 1: more addresses than entries (checks are skipped) */
	uint32_t pad;
	struct rs_shm_addr a[RS_SHM_MAX_ADDRS];
};

/* Per socket slot. The ring descriptors are written by the daemon before it
 * completes RS_SOP_SOCKET and never change while the socket lives. */
struct rs_shm_sock {
	struct rs_shm_ring_desc rx;
	struct rs_shm_ring_desc tx;
	_Atomic uint32_t app_wait;   /* app: "I sleep on the eventfd" */
	_Atomic uint32_t tx_armed;   /* app sets with a doorbell; worker clears */
	_Atomic int32_t so_error;    /* daemon: pending asynchronous error (positive errno) */
	_Atomic uint32_t rx_drops;   /* daemon: datagrams dropped, rx ring full */
	uint32_t pad[8];
};

enum rs_sop {
	RS_SOP_SOCKET = 1,   /* a[0] domain, a[1] type (flags masked), a[2] protocol -> sd */
	RS_SOP_BIND,         /* sd, addr */
	RS_SOP_CONNECT,      /* sd, addr (AF_UNSPEC: disconnect) */
	RS_SOP_CLOSE,        /* sd */
	RS_SOP_SETSOCKOPT,   /* sd, a[0] level, a[1] optname, opt[optlen] */
	RS_SOP_GETSOCKOPT,   /* sd, a[0] level, a[1] optname -> opt[optlen] */
	RS_SOP_GETSOCKNAME,  /* sd -> addr */
	RS_SOP_GETPEERNAME,  /* sd -> addr */
};

/* struct sockaddr_in, fixed layout on the wire between app and daemon */
struct rs_sin {
	uint16_t family;     /* AF_INET, AF_UNSPEC */
	uint16_t port;       /* network byte order, as in sockaddr_in */
	uint32_t addr;       /* network byte order */
};

struct rs_sreq {
	uint32_t seq;
	uint16_t op;         /* enum rs_sop */
	uint16_t pad;
	int32_t sd;          /* socket slot index */
	int32_t a[3];
	struct rs_sin addr;
	uint32_t optlen;
	uint8_t opt[64];
};

struct rs_scpl {
	uint32_t seq;
	int32_t ret;         /* >= 0, or -errno as Linux would set */
	struct rs_sin addr;
	uint32_t optlen;
	uint8_t opt[64];
};

struct rs_doorbell {
	uint32_t sd;
};

/* Datagram metadata. */
struct rs_rx_meta {
	struct rs_sin from;  /* source address and port */
	uint32_t dst;        /* destination address (IP_PKTINFO), network order */
	uint16_t iface;      /* link it came in on */
	uint8_t tos, ttl;
};

struct rs_tx_meta {
	struct rs_sin to;    /* destination (the connected peer when family 0) */
	uint32_t src;        /* IP_PKTINFO source, 0: chosen by route; network order */
	int16_t tos, ttl;    /* -1: the socket's setting */
};

#endif
