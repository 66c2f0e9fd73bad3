/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Daemon side of application sockets (lib/sock/sock_shm.h is the contract).
 *
 * The control thread owns apps and sockets: it creates them, binds them and
 * publishes them to workers through the demultiplexing table (an rte_hash in
 * lock-free reader mode, like the neighbor table) and the published app
 * list; it frees them only after an RCU grace period. Workers deliver
 * received datagrams into a socket's rx ring (udp_input) and send what apps
 * put in tx rings (sock_tx, on worker 0: an app's doorbell ring has one
 * consumer).
 *
 * UDP demultiplexing follows Linux (docs/sockets.md): a connected socket's
 * exact 4-tuple first, then a socket bound to the destination address and
 * port, then one bound to INADDR_ANY and the port.
 */
#ifndef RS_SOCK_H
#define RS_SOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_hash.h>

#include "sock/sock_shm.h"
#include "util/rs_json.h"
#include "util/shm_ring.h"

#define RS_APP_MAX 64
#define RS_APP_SOCKS 64
#define RS_SOCK_RING (128 * 1024)
#define RS_EPHEMERAL_LO 32768 /* Linux's net.ipv4.ip_local_port_range */
#define RS_EPHEMERAL_HI 60999
/* ringstackd --port-range LO-HI */
extern uint16_t sock_port_lo, sock_port_hi;

struct rs_app;

struct rs_sock {
	bool used;
	uint32_t idx;
	int efd;                    /* the app's eventfd for this socket */
	struct rs_app *app;
	struct rs_shm_sock *shm;
	struct shm_ring rx;         /* producer: worker */
	struct shm_ring tx;         /* consumer: worker 0 */
	/* host byte order */
	uint32_t lip, rip;
	uint16_t lport, rport;
	bool bound, connected;
	bool lip_implicit;          /* the local address came from connect's route */
	bool port_implicit;         /* the port came from connect's auto-bind */
	bool reuseaddr, broadcast, reuseport;
	bool recv_ttl, recv_tos, recv_pktinfo; /* cmsgs the library builds from rx meta */
	int16_t ttl, tos;           /* -1: default */
	int32_t rcvbuf, sndbuf;
	int bind_iface;             /* SO_BINDTODEVICE, -1 none */
	bool in_demux;
	uint32_t key_lip, key_rip;  /* the key it is published under */
	uint16_t key_lport, key_rport;
};

struct rs_app {
	uint32_t id;
	int fd;                     /* its unix socket */
	uint32_t pid;
	char name[32];
	int memfd;
	uint8_t *base;
	size_t size;
	struct shm_ring req, cpl, bell;
	_Atomic uint32_t corrupt;   /* set by a worker that found its rings corrupt */
	int pending_fd;             /* eventfd received with the last kick */
	struct rs_sock socks[RS_APP_SOCKS];
	uint64_t tx_dgrams, rx_dgrams;
	uint32_t addrs_seq;         /* our copy of its rs_shm_addrs seq (never read back) */
};

/* SO_REUSEPORT: sockets sharing one demux key. Immutable once published;
 * the key's data then points at the group with the low bit set. */
#define RS_RP_MAX 32
struct rs_rp_group {
	uint32_t n;
	struct rs_sock *socks[RS_RP_MAX];
};

/* What workers see of the apps: immutable, swapped under RCU. */
struct rs_apps_pub {
	uint32_t n;
	struct rs_app *apps[RS_APP_MAX];
};

struct sock_key {
	uint32_t lip, rip;
	uint16_t lport, rport;
	uint32_t zero;
};

extern struct rte_hash *sock_demux;
extern struct rs_apps_pub *_Atomic sock_apps_pub;

/* Fast path: the socket a datagram to (dst, dport) from (src, sport) goes
 * to, or NULL (all host order). */
/* A demux entry: a socket, or (low bit set) an SO_REUSEPORT group from
 * which the flow's hash picks one member, so a flow stays on one socket. */
static inline struct rs_sock *sock_pick(void *d, uint32_t src, uint16_t sport)
{
	uintptr_t v = (uintptr_t)d;
	if (!(v & 1))
		return d;
	const struct rs_rp_group *g = (const struct rs_rp_group *)(v & ~(uintptr_t)1);
	uint32_t h = (src ^ (src >> 16) ^ sport) * 0x9e3779b1u;
	return g->socks[(h >> 16) % g->n];
}

static inline struct rs_sock *sock_lookup(uint32_t dst, uint16_t dport, uint32_t src,
					  uint16_t sport)
{
	struct sock_key k = { .lip = dst, .rip = src, .lport = dport, .rport = sport };
	void *d;
	if (rte_hash_lookup_data(sock_demux, &k, &d) >= 0)
		return sock_pick(d, src, sport);
	k.rip = 0;
	k.rport = 0;
	if (rte_hash_lookup_data(sock_demux, &k, &d) >= 0)
		return sock_pick(d, src, sport);
	k.lip = 0;
	if (rte_hash_lookup_data(sock_demux, &k, &d) >= 0)
		return sock_pick(d, src, sport);
	return NULL;
}

/* Fast path: the connected socket with exactly this 4-tuple, or NULL. */
static inline struct rs_sock *sock_lookup_exact(uint32_t lip, uint16_t lport, uint32_t rip,
						uint16_t rport)
{
	struct sock_key k = { .lip = lip, .rip = rip, .lport = lport, .rport = rport };
	void *d;
	if (rte_hash_lookup_data(sock_demux, &k, &d) >= 0)
		return sock_pick(d, rip, rport);
	return NULL;
}

/* ---- control thread ---- */
struct rte_rcu_qsbr;
int sock_init(struct rte_rcu_qsbr *rcu);
void sock_fini(void);
/* An attach frame arrived on fd: creates the app and its segment. Returns
 * the app (its segment: sock_app_memfd), or NULL with errno. */
struct rs_app *sock_app_attach(int fd, const void *req, uint32_t len);
/* Publishes the configuration's addresses into every app's segment when it
 * changed since the last call (control thread). */
void sock_addrs_sync(void);
/* The app's unix socket has n kick bytes (and maybe an fd): runs requests. */
void sock_app_kicks(struct rs_app *a, unsigned n, int fd_received);
/* The app hung up (or is corrupt): closes its sockets, frees it after a grace period. */
void sock_app_detach(struct rs_app *a);
/* The app's segment, to send at attach. */
int sock_app_memfd(const struct rs_app *a, size_t *size);
/* An app a worker found corrupt, or NULL. */
struct rs_app *sock_app_corrupt_next(void);
void sock_show(struct rs_buf *out, bool json);

#endif
