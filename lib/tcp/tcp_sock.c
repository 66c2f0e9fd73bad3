/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP sockets: the protocol's operations for the socket layer
 * (lib/sock/sock.h). Control-thread operations (bind, listen, accept,
 * connect, shutdown, close, options) validate and record, then hand the
 * connection's work to its owner worker as a command; the worker-side
 * operations (tx, cmd) drive the engine there. Also the module: per-worker
 * state, nodes, and the messages workers send back.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_graph_worker.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "core/module.h"
#include "ip6/rt6_out.h"
#include "route/rt4_out.h"
#include "sock/sock_int.h"
#include "tcp/tcp_dp.h"
#include "util/rs_log.h"

uint16_t tcp_msg_release, tcp_msg_stock, tcp_msg_tw, tcp_msg_tw_done, tcp_msg_sigurg;
_Atomic uint32_t tcp_releases_lost;

/* A connection in TIME-WAIT whose socket is gone: it keeps the port and
 * the 4-tuple (as Linux's TIME-WAIT bucket does) until it ends. */
struct tcp_tw {
	struct tcp_key key;
	void *hold; /* passive: the counted holder of the listener's port (sock_ports_tw_get) */
};

/* Ring sizes of a TCP socket. The receive ring bounds the window the
 * engine advertises (auto-tuning grows within it); the send ring what an
 * application may queue. 256 KiB each: a full window at several Gbit/s
 * over the RTTs of a LAN. Virtual: pages are used as data flows. */
#define TCP_RING (256 * 1024)
/* Linux's tcp_rmem[1] / tcp_wmem[1]: what getsockopt shows on a new socket */
#define TCP_RCVBUF_DEFAULT 131072
#define TCP_SNDBUF_DEFAULT 16384
#define LISTEN_STOCK 64
#define SOMAXCONN_ 4096

/* Linux's IPPROTO_TCP option numbers (uapi linux/tcp.h; <netinet/tcp.h>
 * cannot be included beside the engine's state names). */
enum {
	O_NODELAY = 1, O_MAXSEG = 2, O_CORK = 3, O_KEEPIDLE = 4, O_KEEPINTVL = 5, O_KEEPCNT = 6,
	O_INFO = 11, O_QUICKACK = 12, O_CONGESTION = 13, O_USER_TIMEOUT = 18,
};

/* struct tcp_info as Linux 6.1 lays it out (uapi linux/tcp.h). */
struct linux_tcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options;
	uint8_t wscale;  /* snd_wscale : 4, rcv_wscale : 4 */
	uint8_t flags;   /* delivery_rate_app_limited : 1, fastopen_client_fail : 2 */
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
	uint32_t rcv_rtt, rcv_space;
	uint32_t total_retrans;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in;
	uint32_t notsent_bytes, min_rtt, data_segs_in, data_segs_out;
	uint64_t delivery_rate;
	uint64_t busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen;
	uint32_t rcv_ooopack;
	uint32_t snd_wnd;
};
_Static_assert(sizeof(struct linux_tcp_info) == 232, "Linux's struct tcp_info");

void tcp_sockopts_default(struct tcp_sockopts *so)
{
	memset(so, 0, sizeof(*so));
	so->rcvbuf = TCP_RING;
}

/* ---- the control thread's 4-tuples of active opens ---- */

static struct rte_hash *tuples;

static bool tuple_free(void *arg, uint16_t port)
{
	struct tcp_key k = *(const struct tcp_key *)arg;
	k.lport = port;
	return rte_hash_lookup(tuples, &k) < 0;
}

struct port_pick {
	struct tcp_key k;
	uint16_t worker;
};

/* An ephemeral port for an active open: its 4-tuple unused, and its hash
 * landing on the socket's worker (mTCP's trick, DESIGN.md "Multi-core"),
 * so RSS brings the replies where the connection lives. */
static bool port_for_worker(void *arg, uint16_t port)
{
	struct port_pick *p = arg;
	struct tcp_key k = p->k;
	k.lport = port;
	return tcp_key_worker(&k) == p->worker && rte_hash_lookup(tuples, &k) < 0;
}

static void key_of(const struct rs_sock *s, struct tcp_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->laddr, s->laddr.b, 16);
	memcpy(k->raddr, s->raddr.b, 16);
	k->lport = s->lport;
	k->rport = s->rport;
}

/* ---- listeners ---- */

/* Live listening sockets: messages name them by pointer, compared here
 * before any use (a message can outlive a listener by a tick). */
static struct rs_sock **live;
static uint32_t nlive, clive;

static bool listener_live(const struct rs_sock *s)
{
	for (uint32_t i = 0; i < nlive; i++)
		if (live[i] == s)
			return true;
	return false;
}

static void listener_unlive(const struct rs_sock *s)
{
	for (uint32_t i = 0; i < nlive; i++)
		if (live[i] == s) {
			live[i] = live[--nlive];
			return;
		}
}

static void free_psock_then_release(struct rs_sock *s);

static void stock_fill(struct rs_sock *ls, unsigned w)
{
	struct tcp_psock *lp = ls->proto_priv;
	struct tcp_lsock *l = lp->lsock;
	while (!l->ending && rte_ring_count(l->stock[w]) < l->stock_want) {
		int err;
		struct rs_sock *s = sock_prepare(ls->app, &tcp_proto, ls->domain, TCP_RING, TCP_RING,
						 &err);
		if (s == NULL)
			return; /* out of slots or ring memory: the ACK waits, counted */
		struct tcp_psock *ps = calloc(1, sizeof(*ps));
		if (ps == NULL) {
			s->dead = true;
			sock_release(s);
			return;
		}
		ps->so = lp->so;
		s->proto_priv = ps;
		s->rcvbuf = ls->rcvbuf;
		s->sndbuf = ls->sndbuf;
		s->ttl = ls->ttl;
		s->tos = ls->tos;
		s->hops = ls->hops;
		s->tclass = ls->tclass;
		s->v6only = ls->v6only;
		s->bind_iface = ls->bind_iface;
		s->reuseaddr = ls->reuseaddr; /* Linux's child: sk_reuse, sk_reuseport */
		s->reuseport = ls->reuseport;
		s->keepalive = ls->keepalive;
		s->linger = ls->linger;
		if (rte_ring_sp_enqueue(l->stock[w], s) != 0) {
			s->dead = true;
			sock_release(s);
			return;
		}
	}
}

static void lsock_free(struct tcp_lsock *l)
{
	for (unsigned w = 0; w < RS_MAX_WORKERS; w++) {
		rte_ring_free(l->stock[w]);
		rte_ring_free(l->acceptq[w]);
	}
	free(l);
}

static struct tcp_lsock *lsock_new(struct rs_sock *s, uint32_t backlog)
{
	struct tcp_lsock *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	static uint32_t serial;
	uint32_t id = serial++;
	uint32_t aq = rte_align32pow2(backlog + 2 > 64 ? backlog + 2 : 64);
	l->stock_want = backlog < LISTEN_STOCK ? (backlog < 8 ? 8 : backlog) : LISTEN_STOCK;
	struct tcp_psock *ps = s->proto_priv;
	for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
		char name[RTE_RING_NAMESIZE];
		tcp_listener_init(&l->l[w], backlog, &ps->so);
		snprintf(name, sizeof(name), "tcp_st%u_%u", id, w);
		l->stock[w] = rte_ring_create(name, rte_align32pow2(l->stock_want + 1),
					      (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tcp_aq%u_%u", id, w);
		l->acceptq[w] = rte_ring_create(name, aq, (int)rte_socket_id(),
						RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (l->stock[w] == NULL || l->acceptq[w] == NULL) {
			lsock_free(l);
			return NULL;
		}
	}
	return l;
}

/* Listeners being closed or stopped (shutdown): their per-worker state
 * is released once every worker has let go; a closed one's socket too. */
struct ending {
	struct rs_sock *s;
	struct tcp_lsock *l;
	_Atomic uint32_t ended; /* workers done: each adds 1 (listen_end) */
	bool keep;              /* stopped by shutdown: the socket stays */
	struct ending *next;
};
static struct ending *endings;

static struct ending *ending_of(const struct rs_sock *s)
{
	for (struct ending *e = endings; e != NULL; e = e->next)
		if (e->s == s)
			return e;
	return NULL;
}

static bool ending_done(struct ending *e)
{
	return atomic_load_explicit(&e->ended, memory_order_acquire) >= rs_dp.nb_workers;
}

static void ending_finish(struct ending *e);

/* A listener stopped by shutdown a moment ago: before it listens
 * again, its workers let go of the old listener and what is
 * left of it goes. They never block, but an idle one sleeps between
 * polls (idle_sleep_us, offline for RCU: rs_sync does not wait for it),
 * so this waits by the clock, a second at most. */
static int ending_wait(struct rs_sock *s)
{
	struct tcp_psock *ps = s->proto_priv;
	if (ps->listening || ps->lsock == NULL)
		return 0;
	struct ending *e = ending_of(s);
	if (e == NULL)
		return -EAGAIN; /* out of memory when it stopped: never here */
	uint64_t hz = rte_get_timer_hz(), t0 = rte_get_timer_cycles();
	while (!ending_done(e) && rte_get_timer_cycles() - t0 < hz) {
		struct timespec ts = { .tv_nsec = 20000 };
		nanosleep(&ts, NULL);
	}
	if (!ending_done(e))
		return -EAGAIN;
	struct ending **pe = &endings;
	while (*pe != e)
		pe = &(*pe)->next;
	*pe = e->next;
	ending_finish(e);
	return 0;
}

/* ---- control-thread operations ---- */

static int tcp_sock_init(struct rs_sock *s)
{
	struct tcp_psock *ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return -ENOMEM;
	tcp_sockopts_default(&ps->so);
	s->proto_priv = ps;
	s->rcvbuf = TCP_RCVBUF_DEFAULT;
	s->sndbuf = TCP_SNDBUF_DEFAULT;
	return sock_rings_alloc(s, TCP_RING, TCP_RING);
}

/* After every grace period (sock_free): no worker reads proto_priv now. */
static void tcp_sock_destroy(struct rs_sock *s)
{
	free(s->proto_priv);
	s->proto_priv = NULL;
}

static int tcp_bind(struct rs_sock *s, const struct rs_saddr *a)
{
	struct rs_ip ip;
	int oif;
	int rc = sock_req_addr(s, a, &ip, &oif);
	if (rc < 0)
		return rc;
	if (s->bound)
		return -EINVAL;
	if (!rs_ip_is4(&ip)) {
		if ((rc = sock_bind6_check(s, &ip, oif)) < 0)
			return rc;
	} else if (s->v6only) {
		return -EINVAL; /* inet6_bind: an IPv4-mapped address, IPV6_V6ONLY */
	} else if (!rs_ip_is_any(&ip) && !sock_addr_is_local(&ip)) {
		return -EADDRNOTAVAIL;
	}
	rc = sock_port_take(s, &ip, a->port, 0, NULL, NULL);
	if (rc < 0)
		return rc;
	s->laddr = ip;
	s->bound = true;
	/* bind to port 0 does not lock the port: a stopped listener or a
	 * dissolved connection gives it up (tcp_set_state(TCP_CLOSE)), and
	 * listen or connect takes a fresh one (conf_diff state_tcp_*_bind0) */
	s->port_implicit = a->port == 0;
	return 0;
}

static int tcp_listen(struct rs_sock *s, int backlog)
{
	struct tcp_psock *ps = s->proto_priv;
	uint32_t st = atomic_load(&s->shm->state);
	if (ps->connecting || (st & (RS_SS_CONNECTED | RS_SS_CONNECTING)))
		return -EINVAL;
	/* Linux: min(backlog, somaxconn); negative is somaxconn too */
	uint32_t bl = backlog < 0 || backlog > SOMAXCONN_ ? SOMAXCONN_ : (uint32_t)backlog;
	if (ps->listening) {
		for (unsigned w = 0; w < rs_dp.nb_workers; w++)
			ps->lsock->l[w].backlog = bl; /* as Linux: the new bound, at once */
		return 0;
	}
	int rc = ending_wait(s);
	if (rc < 0)
		return rc;
	bool took_port = !s->bound;
	uint16_t old_extra = s->port_extra;
	uint32_t old_rcvbuf = ps->so.rcvbuf;
	if (!s->bound) {
		rc = sock_port_take(s, &s->laddr, 0, SOCK_PORT_LISTEN, NULL, NULL);
		if (rc < 0)
			return rc;
		s->bound = true;
		s->port_implicit = true;
	} else if ((rc = sock_port_flags(s, SOCK_PORT_LISTEN)) < 0) {
		return rc;
	}
	/* the listener's window and scale cover the ring, unless SO_RCVBUF
	 * bounds them: then its connections inherit that bound (Linux) */
	if (!ps->so.rcvbuf_locked)
		ps->so.rcvbuf = TCP_RING;
	struct tcp_lsock *l = lsock_new(s, bl);
	if (l == NULL) {
		rc = -ENOBUFS;
		goto undo_port;
	}
	if (nlive == clive) {
		uint32_t c = clive ? clive * 2 : 16;
		struct rs_sock **p = realloc(live, c * sizeof(*p));
		if (p == NULL) {
			lsock_free(l);
			rc = -ENOBUFS;
			goto undo_port;
		}
		live = p;
		clive = c;
	}
	live[nlive++] = s;
	ps->lsock = l;
	ps->listening = true;
	ps->listen_stopped = false;
	for (unsigned w = 0; w < rs_dp.nb_workers; w++)
		stock_fill(s, w);
	atomic_store(&s->shm->state, RS_SS_LISTEN);
	/* published last: a worker that finds the listener finds it whole */
	rc = sock_rekey(s);
	if (rc == 0)
		return 0;
	/* Not published, so no worker saw the listener, its stock or its
	 * queues: all of it goes now, and the socket is as before listen
	 * (a listener half made would hold its stock's slots for ever and
	 * pass the "listening" checks without receiving anything). */
	listener_unlive(s);
	ps->listening = false;
	ps->lsock = NULL;
	for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
		struct rs_sock *c;
		while (rte_ring_sc_dequeue(l->stock[w], (void **)&c) == 0)
			free_psock_then_release(c);
	}
	lsock_free(l);
	atomic_store(&s->shm->state, 0);
undo_port:
	ps->so.rcvbuf = old_rcvbuf;
	if (took_port) {
		sock_port_drop(s);
		s->bound = false;
		s->port_implicit = false;
	} else {
		sock_port_flags(s, old_extra);
	}
	return rc;
}

static int post_opt(struct rs_sock *s, enum tcp_sockopt o, uint32_t val);

/* At accept: what was set on the listener after its stock was prepared
 * reaches the child, as Linux's child is cloned from the listener at the
 * handshake (the stock is filled at listen() and after each accept, so
 * without this an option set on a listening socket never reached the
 * children already in stock). Control thread; the connection lives on its
 * worker, so TCP options go there as setsockopt's do. */
static void inherit_late(const struct rs_sock *ls, struct rs_sock *s)
{
	const struct tcp_psock *lp = ls->proto_priv;
	struct tcp_psock *cp = s->proto_priv;
	const struct tcp_sockopts *lo = &lp->so;
	struct tcp_sockopts *co = &cp->so;

	s->ttl = ls->ttl;
	s->tos = ls->tos;
	s->hops = ls->hops;
	s->tclass = ls->tclass;
	s->linger = ls->linger;
	s->sndbuf = ls->sndbuf;
	s->keepalive = ls->keepalive;
	s->reuseaddr = ls->reuseaddr;
	s->reuseport = ls->reuseport;
#define INHERIT(field, opt)                                                                        \
	do {                                                                                       \
		if (co->field != lo->field)                                                        \
			post_opt(s, opt, (uint32_t)lo->field);                                     \
	} while (0)
	INHERIT(nodelay, TCP_SO_NODELAY);
	INHERIT(cork, TCP_SO_CORK);
	INHERIT(user_mss, TCP_SO_MAXSEG);
	INHERIT(keepalive, TCP_SO_KEEPALIVE);
	INHERIT(keepidle_s, TCP_SO_KEEPIDLE);
	INHERIT(keepintvl_s, TCP_SO_KEEPINTVL);
	INHERIT(keepcnt, TCP_SO_KEEPCNT);
	INHERIT(user_timeout_ms, TCP_SO_USER_TIMEOUT);
#undef INHERIT
	if (lo->rcvbuf_locked && (co->rcvbuf != lo->rcvbuf || !co->rcvbuf_locked)) {
		s->rcvbuf = ls->rcvbuf;
		post_opt(s, TCP_SO_RCVBUF, lo->rcvbuf);
	}
	if (co->cc != lo->cc && lo->cc != NULL) {
		struct sock_cmd cmd = { .s = s, .op = TCP_CMD_CONGESTION, .a1 = (uintptr_t)lo->cc };
		sock_cmd_post(atomic_load(&s->worker), &cmd);
	}
	*co = *lo;
}

static int tcp_accept(struct rs_sock *ls, struct rs_sock **child)
{
	struct tcp_psock *lp = ls->proto_priv;
	if (!lp->listening)
		return -EINVAL;
	struct tcp_lsock *l = lp->lsock;
	unsigned nw = rs_dp.nb_workers;
	for (unsigned i = 0; i < nw; i++) {
		unsigned w = (l->rr + i) % nw;
		struct rs_sock *s;
		if (rte_ring_sc_dequeue(l->acceptq[w], (void **)&s) != 0)
			continue;
		l->rr = w + 1;
		uint32_t c = atomic_load_explicit(&ls->shm->accept_cons[w], memory_order_relaxed);
		atomic_store_explicit(&ls->shm->accept_cons[w], c + 1, memory_order_release);
		struct tcp_psock *cp = s->proto_priv;
		cp->connecting = true; /* a connection lives on a worker */
		inherit_late(ls, s);
		struct sock_cmd cmd = { .s = s, .op = TCP_CMD_ACCEPTED };
		sock_cmd_post(atomic_load(&s->worker), &cmd);
		/* refilled once the answer is out (tcp_accepted): preparing a
		 * socket (slot, rings, wake pair) is not the caller's wait */
		l->refill |= 1u << w;
		*child = s;
		return 0;
	}
	return -EAGAIN;
}

static void tcp_accepted(struct rs_sock *ls)
{
	struct tcp_psock *lp = ls->proto_priv;
	struct tcp_lsock *l = lp->lsock;
	if (!lp->listening || l == NULL)
		return;
	for (unsigned w = 0; l->refill != 0 && w < RS_MAX_WORKERS; w++)
		if (l->refill & (1u << w)) {
			l->refill &= ~(1u << w);
			stock_fill(ls, w);
		}
}

/* The route of an active open to IPv4 ip: *laddr (when it is the
 * wildcard) becomes the route's source. 0 or -errno as Linux's connect. */
static int route4(struct rs_sock *s, struct rs_ip *ip, struct rs_ip *laddr)
{
	uint32_t dst = rs_ip_v4(ip);
	if (dst == 0)
		*ip = rs_ip_from4(dst = 0x7f000001); /* Linux: 0.0.0.0 means this host */
	struct rt4_out r;
	int rc = rt4_output(rs_cfg_current(), dst, 0, s->bind_iface, &r);
	if (rc < 0)
		return rc == -EINVAL ? -EINVAL : rc == -EACCES ? -EACCES : rc;
	if (r.type == RT_BROADCAST)
		return -ENETUNREACH; /* Linux: TCP never connects to a broadcast */
	if (rs_ip_is_any(laddr)) {
		if (r.src == 0)
			return -EADDRNOTAVAIL;
		*laddr = rs_ip_from4(r.src);
	}
	return 0;
}

/* The IPv6 twin (tcp_v6_connect, ip6_dst_lookup): :: means ::1, a
 * multicast peer is unreachable, a link-local one needs its link (the
 * scope id oif, or the bound device), which the socket is then bound to. */
static int route6(struct rs_sock *s, struct rs_ip *ip, int oif, struct rs_ip *laddr)
{
	if (rs_ip_is_any(ip))
		ip->b[15] = 1;
	if (ip6_is_mcast(ip->b))
		return -ENETUNREACH;
	bool ll = ip6_is_linklocal(ip->b);
	if (oif < 0 || !ll)
		oif = s->bind_iface;
	else if (s->bind_iface >= 0 && s->bind_iface != oif)
		return -EINVAL;
	if (ll && oif < 0)
		return -EINVAL;
	struct rt6_out r;
	int rc = rt6_output(rs_cfg_current(), ip->b, 0, oif, &r);
	if (rc < 0)
		return rc == -EINVAL || rc == -EACCES || rc == -EADDRNOTAVAIL ? rc : -ENETUNREACH;
	if (rs_ip_is_any(laddr))
		memcpy(laddr->b, r.src, 16);
	if (ll)
		s->bind_iface = oif; /* Linux: sk_bound_dev_if follows the scope */
	return 0;
}

/* A socket whose active open failed goes back to its state before the
 * connect (tcp_disconnect): its 4-tuple goes, and so does a port the
 * connect chose (inet_put_port without SOCK_BINDPORT_LOCK); a port it was
 * bound to stays. Control thread; the worker has let go of it. */
static void disconnect(struct rs_sock *s)
{
	struct tcp_psock *ps = s->proto_priv;
	if (ps->have_tuple) {
		struct tcp_key k;
		key_of(s, &k);
		rte_hash_del_key(tuples, &k);
		ps->have_tuple = false;
	}
	if (s->port_implicit) {
		sock_port_drop(s);
		s->bound = false;
		s->port_implicit = false;
	}
	/* inet_reset_saddr without SOCK_BINDADDR_LOCK: an address connect's
	 * route chose goes, one bind() named stays */
	if (s->lip_implicit) {
		s->laddr = rs_ip_any(s->domain);
		s->lip_implicit = false;
		if (s->in_ports)
			sock_ports_set_addr(sock_ports_tbl, IPPROTO_TCP, s->lport, s, &s->laddr);
	}
	memset(&s->raddr, 0, sizeof(s->raddr));
	s->rport = 0;
	s->connected = false;
	ps->connecting = false;
	atomic_store(&ps->conn_ended, false);
	atomic_store(&s->shm->state, 0);
}

static int listener_end(struct rs_sock *s, bool keep);

/*
 * connect(AF_UNSPEC) (Linux's __inet_stream_connect -> tcp_disconnect): a
 * listener stops listening; a connection on a worker is reset there (RST
 * when synchronized) and, once the worker let go of it, the socket is a
 * fresh closed one: unsent data dropped, the tuple and an implicit port
 * given up, ECONNRESET reported once. The library drops unread data. The
 * wait is a walk or two of the owner; bounded, as info_query's.
 */
static int tcp_disconnect_sock(struct rs_sock *s)
{
	struct tcp_psock *ps = s->proto_priv;
	if (ps->listening)
		return listener_end(s, true);
	if (!ps->connecting)
		return 0;
	bool on_worker = !atomic_load_explicit(&ps->conn_ended, memory_order_acquire);
	if (on_worker) {
		struct sock_cmd cmd = { .s = s, .op = TCP_CMD_CLOSE, .a0 = TCP_CLOSE_DISCONNECT };
		if (sock_cmd_post(atomic_load(&s->worker), &cmd) != 0)
			return -ENOBUFS;
		int i;
		for (i = 0; i < 200000; i++) {
			if (atomic_load_explicit(&ps->conn_ended, memory_order_acquire))
				break;
			nanosleep(&(struct timespec){ 0, 5000 }, NULL);
		}
		if (i == 200000)
			return -ETIMEDOUT; /* it ends later; a second call finishes */
	}
	disconnect(s);
	/* the worker let go: the send ring is ours to empty (its producer
	 * index is the application's: read once, bounded by the ring) */
	ssize_t q = shm_bytes_used(&s->tx);
	if (q > 0)
		shm_bytes_skip(&s->tx, (size_t)q);
	if (on_worker)
		atomic_store(&s->shm->so_error, ECONNRESET);
	return 0;
}

static int tcp_connect(struct rs_sock *s, const struct rs_saddr *a)
{
	struct tcp_psock *ps = s->proto_priv;
	uint32_t st = atomic_load(&s->shm->state);
	if (a->family == AF_UNSPEC)
		return tcp_disconnect_sock(s);
	if (ps->listening)
		return -EISCONN; /* __inet_stream_connect: sk_state is not TCP_CLOSE */
	if (st & RS_SS_CONNECTED)
		return -EISCONN;
	if (ps->connecting) {
		if (!(st & (RS_SS_RESET | RS_SS_CLOSED)))
			return -EALREADY;
		/* The handshake failed (refused, timed out, reset): as after
		 * Linux's tcp_disconnect the socket may connect again, once
		 * its worker let go of the connection. A connection that was
		 * established stays (EISCONN above, Linux's SS_CONNECTED). */
		if (!atomic_load_explicit(&ps->conn_ended, memory_order_acquire))
			return -ECONNABORTED;
		if (a->family == AF_UNSPEC)
			return 0;
		disconnect(s);
	}
	if (a->family == AF_UNSPEC)
		return 0; /* nothing to dissolve on a socket that never connected */
	/* Linux: a listener stopped by shutdown may listen again but not
	 * connect (EINVAL, as its kernel sockets answer; tcp_diff) */
	if (ps->listen_stopped)
		return -EINVAL;
	int rc;
	struct rs_ip ip;
	int oif;
	rc = sock_req_addr(s, a, &ip, &oif);
	if (rc < 0)
		return rc;
	if (a->port == 0 && rs_ip_is_any(&ip))
		return -ECONNREFUSED;
	/* tcp_v6_connect: an IPv4-mapped peer is IPv4 (unless V6ONLY), and
	 * a socket bound to one family's address cannot reach the other */
	if (s->v6only && rs_ip_is4(&ip))
		return -ENETUNREACH;
	if (!rs_ip_is_any(&s->laddr) && rs_ip_is4(&s->laddr) != rs_ip_is4(&ip))
		return -EAFNOSUPPORT;
	struct rs_ip laddr = s->laddr;
	rc = rs_ip_is4(&ip) ? route4(s, &ip, &laddr) : route6(s, &ip, oif, &laddr);
	if (rc < 0)
		return rc;
	struct port_pick pp = { .worker = atomic_load(&s->worker) };
	memcpy(pp.k.laddr, laddr.b, 16);
	memcpy(pp.k.raddr, ip.b, 16);
	pp.k.rport = a->port;
	if (!s->bound) {
		/* Linux: EADDRNOTAVAIL when no port is left for connect */
		rc = sock_port_take(s, &laddr, 0, SOCK_PORT_CONNECT, port_for_worker, &pp);
		if (rc < 0) /* no port lands on this worker: take any, hand off */
			rc = sock_port_take(s, &laddr, 0, SOCK_PORT_CONNECT, tuple_free, &pp.k);
		if (rc < 0)
			return rc == -EADDRINUSE ? -EADDRNOTAVAIL : rc;
		s->bound = true;
		s->port_implicit = true;
	} else {
		pp.k.lport = s->lport;
		if (rte_hash_lookup(tuples, &pp.k) >= 0)
			return -EADDRNOTAVAIL;
	}
	if (rs_ip_is_any(&s->laddr))
		s->lip_implicit = true;
	s->laddr = laddr;
	s->raddr = ip;
	s->rport = a->port;
	if (s->in_ports)
		sock_ports_set_addr(sock_ports_tbl, IPPROTO_TCP, s->lport, s, &s->laddr);
	struct tcp_key k;
	key_of(s, &k);
	if (rte_hash_add_key_data(tuples, &k, NULL) < 0)
		return -ENOBUFS;
	ps->have_tuple = true;
	/* the connection lives on the worker its flow hashes to */
	uint16_t w = tcp_key_worker(&k);
	sock_set_owner(s, w);
	ps->connecting = true;
	atomic_store(&s->shm->state, RS_SS_CONNECTING);
	struct sock_cmd cmd = { .s = s, .op = TCP_CMD_OPEN };
	if (sock_cmd_post(w, &cmd) != 0) {
		ps->connecting = false;
		atomic_store(&s->shm->state, 0);
		return -ENOBUFS;
	}
	s->connected = true;
	return 0;
}

/* Stop a listener: no SYN finds it from now on; every worker resets the
 * connections it has not handed over and lets go (listen_end), and
 * tcp_tick frees what is left once all have (ending_finish). keep
 * (shutdown, Linux's inet_csk_listen_stop): the socket stays, closed,
 * and may listen again; a port listen() chose or bind() was given as 0
 * is given up, one bind() named stays (tcp_set_state(TCP_CLOSE) without
 * SOCK_BINDPORT_LOCK).
 * Otherwise (close) the port goes at once too, as on Linux. */
static int listener_end(struct rs_sock *s, bool keep)
{
	struct tcp_psock *ps = s->proto_priv;
	struct tcp_lsock *l = ps->lsock;
	struct ending *e = calloc(1, sizeof(*e));
	if (e == NULL && keep)
		return -ENOMEM; /* nothing changed: it still listens */
	sock_unkey(s); /* no new SYN finds it */
	if (!keep || s->port_implicit) {
		sock_port_drop(s);
		if (keep) {
			s->bound = false;
			s->port_implicit = false;
		}
	} else {
		sock_port_flags(s, 0); /* bound, no longer listening */
	}
	l->ending = true;
	if (keep) {
		listener_unlive(s);
		ps->listening = false; /* accept: EINVAL */
		ps->listen_stopped = true;
		atomic_store(&s->shm->state, 0);
	}
	for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
		struct sock_cmd cmd = { .s = s, .op = TCP_CMD_LISTEN_END, .a1 = (uintptr_t)e };
		while (sock_cmd_post(w, &cmd) != 0)
			rs_sync(); /* a full ring: let the worker drain it */
	}
	if (e == NULL) {
		rs_log("out of memory closing a listener: it is leaked");
		return 0;
	}
	e->s = s;
	e->l = l;
	e->keep = keep;
	e->next = endings;
	endings = e;
	if (keep)
		sock_wake(s); /* accept sleepers look again: EINVAL */
	return 0;
}

static int tsk_shutdown(struct rs_sock *s, int how)
{
	struct tcp_psock *ps = s->proto_priv;
	uint32_t st = atomic_load(&s->shm->state);
	if (ps->listening) {
		/* Linux: SHUT_RD (or RDWR) on a listener stops it listening
		 * (inet_shutdown -> tcp_disconnect), SHUT_WR does nothing */
		return (how == SHUT_WR) ? 0 : listener_end(s, true);
	}
	if (!ps->connecting || (st & RS_SS_CLOSED))
		return -ENOTCONN;
	struct sock_cmd cmd = { .s = s, .op = TCP_CMD_SHUTDOWN, .a0 = (uint32_t)how };
	return sock_cmd_post(atomic_load(&s->worker), &cmd);
}

static void tsk_close(struct rs_sock *s, bool dead_app)
{
	struct tcp_psock *ps = s->proto_priv;
	(void)dead_app;
	if (ps == NULL) {
		sock_release(s);
		return;
	}
	if (ps->listening) {
		listener_end(s, false);
		return;
	}
	struct ending *e = ps->lsock != NULL && !ps->connecting ? ending_of(s) : NULL;
	if (e != NULL) {
		/* stopped by shutdown, its workers not all done yet: the
		 * socket goes with the rest of it (ending_finish) */
		sock_port_drop(s);
		e->keep = false;
		return;
	}
	/* Decided by the daemon's own flag, never the slot's state word,
	 * which the application can rewrite: claiming CONNECTED would only
	 * send a close to a worker that holds nothing, but clearing it made
	 * a connection's socket go while its worker still used it. */
	if (!ps->connecting) {
		free_psock_then_release(s); /* never connected: nothing on a worker */
		return;
	}
	/* the owner decides FIN or RST (unread data, SO_LINGER 0) and
	 * releases the socket when the connection lets go of it */
	struct sock_cmd cmd = { .s = s, .op = TCP_CMD_CLOSE,
				.a0 = s->linger == 0 ? TCP_CLOSE_LINGER0 : 0 };
	while (sock_cmd_post(atomic_load(&s->worker), &cmd) != 0)
		rs_sync();
}

static int opt_int(const void *v, uint32_t len, int *x)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(x, v, sizeof(int));
	return 0;
}

static int post_opt(struct rs_sock *s, enum tcp_sockopt o, uint32_t val)
{
	struct tcp_psock *ps = s->proto_priv;
	if (!ps->connecting)
		return 0;
	struct sock_cmd cmd = { .s = s, .op = TCP_CMD_SETOPT, .a0 = o, .a1 = val };
	return sock_cmd_post(atomic_load(&s->worker), &cmd);
}

static int tsk_setsockopt(struct rs_sock *s, int level, int name, const void *v, uint32_t len)
{
	struct tcp_psock *ps = s->proto_priv;
	int x = 0, rc;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_KEEPALIVE:
			ps->so.keepalive = s->keepalive;
			return post_opt(s, TCP_SO_KEEPALIVE, s->keepalive);
		case SO_RCVBUF: {
			/* a fixed ring: the window is bounded by it and by the
			 * value asked for (Linux doubles it) */
			uint32_t b = (uint32_t)s->rcvbuf < TCP_RING ? (uint32_t)s->rcvbuf : TCP_RING;
			ps->so.rcvbuf = b;
			ps->so.rcvbuf_locked = true;
			return post_opt(s, TCP_SO_RCVBUF, b);
		}
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP)
		return -ENOPROTOOPT; /* the layer keeps them */
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (name == O_CONGESTION) {
		char cc[16];
		uint32_t n = len < sizeof(cc) - 1 ? len : sizeof(cc) - 1;
		memcpy(cc, v, n);
		cc[n] = 0;
		const struct tcp_cc_ops *ops = tcp_cc_find(cc);
		if (ops == NULL)
			return -ENOENT;
		ps->so.cc = ops;
		if (!ps->connecting)
			return 0;
		struct sock_cmd cmd = { .s = s, .op = TCP_CMD_CONGESTION, .a1 = (uintptr_t)ops };
		return sock_cmd_post(atomic_load(&s->worker), &cmd);
	}
	if ((rc = opt_int(v, len, &x)) < 0)
		return rc;
	switch (name) {
	case O_NODELAY:
		ps->so.nodelay = x != 0;
		return post_opt(s, TCP_SO_NODELAY, x != 0);
	case O_CORK:
		ps->so.cork = x != 0;
		return post_opt(s, TCP_SO_CORK, x != 0);
	case O_MAXSEG:
		if (x != 0 && (x < 88 || x > 32767))
			return -EINVAL;
		ps->so.user_mss = (uint16_t)x;
		return post_opt(s, TCP_SO_MAXSEG, (uint32_t)x);
	case O_KEEPIDLE:
	case O_KEEPINTVL:
		if (x < 1 || x > 32767)
			return -EINVAL;
		if (name == O_KEEPIDLE)
			ps->so.keepidle_s = (uint32_t)x;
		else
			ps->so.keepintvl_s = (uint32_t)x;
		return post_opt(s, name == O_KEEPIDLE ? TCP_SO_KEEPIDLE : TCP_SO_KEEPINTVL,
				(uint32_t)x);
	case O_KEEPCNT:
		if (x < 1 || x > 127)
			return -EINVAL;
		ps->so.keepcnt = (uint32_t)x;
		return post_opt(s, TCP_SO_KEEPCNT, (uint32_t)x);
	case O_USER_TIMEOUT:
		if (x < 0)
			return -EINVAL;
		ps->so.user_timeout_ms = (uint32_t)x;
		return post_opt(s, TCP_SO_USER_TIMEOUT, (uint32_t)x);
	case O_QUICKACK:
		return post_opt(s, TCP_SO_QUICKACK, x != 0);
	default:
		return -ENOPROTOOPT;
	}
}

/* Asks the owner for the connection's TCP_INFO fields and waits (a walk
 * or two) for the answer. 0, or -ETIMEDOUT. */
static int info_query(struct rs_sock *s)
{
	struct tcp_psock *ps = s->proto_priv;
	uint32_t q = ++ps->info_req;
	struct sock_cmd cmd = { .s = s, .op = TCP_CMD_INFO, .a0 = q };
	if (sock_cmd_post(atomic_load(&s->worker), &cmd) != 0)
		return -ENOBUFS;
	for (int i = 0; i < 20000; i++) {
		if (atomic_load_explicit(&ps->info_seq, memory_order_acquire) == q)
			return 0;
		nanosleep(&(struct timespec){ 0, 5000 }, NULL);
	}
	return -ETIMEDOUT;
}

/* Linux's struct tcp_info from the engine's fields. */
static void fill_tcp_info(const struct tcp_conn_info *i, struct linux_tcp_info *t)
{
	memset(t, 0, sizeof(*t));
	/* Linux's state numbers (TCP_ESTABLISHED = 1, ...) */
	static const uint8_t st[] = {
		[TCP_CLOSED] = 7, [TCP_LISTEN] = 10, [TCP_SYN_SENT] = 2, [TCP_SYN_RECEIVED] = 3,
		[TCP_ESTABLISHED] = 1, [TCP_FIN_WAIT_1] = 4, [TCP_FIN_WAIT_2] = 5,
		[TCP_CLOSE_WAIT] = 8, [TCP_CLOSING] = 11, [TCP_LAST_ACK] = 9, [TCP_TIME_WAIT] = 6,
	};
	t->state = i->state < TCP_NSTATES ? st[i->state] : 7;
	t->ca_state = i->ca_state;
	t->retransmits = i->retransmits;
	t->probes = i->probes;
	t->backoff = i->backoff;
	t->options = i->options;
	t->wscale = (uint8_t)((i->snd_wscale & 0xf) | (i->rcv_wscale & 0xf) << 4);
	t->rto = i->rto_us;
	t->ato = i->ato_us;
	t->snd_mss = i->snd_mss;
	t->rcv_mss = i->rcv_mss;
	t->unacked = i->unacked;
	t->sacked = i->sacked;
	t->lost = i->lost;
	t->retrans = i->retrans;
	t->last_data_sent = i->last_data_sent_ms;
	t->last_data_recv = i->last_data_recv_ms;
	t->last_ack_recv = i->last_ack_recv_ms;
	t->pmtu = i->pmtu;
	t->rcv_ssthresh = i->rcv_ssthresh;
	t->rtt = i->rtt_us;
	t->rttvar = i->rttvar_us;
	t->snd_ssthresh = i->snd_ssthresh;
	t->snd_cwnd = i->snd_cwnd;
	t->advmss = i->advmss;
	t->reordering = i->reordering;
	t->rcv_rtt = i->rcv_rtt_us;
	t->rcv_space = i->rcv_space;
	t->total_retrans = i->total_retrans;
	t->bytes_acked = i->bytes_acked;
	t->bytes_received = i->bytes_received;
	t->segs_out = i->segs_out;
	t->segs_in = i->segs_in;
	t->notsent_bytes = i->notsent_bytes;
	t->min_rtt = (uint32_t)i->min_rtt_us;
	t->data_segs_in = i->data_segs_in;
	t->data_segs_out = i->data_segs_out;
	t->delivery_rate = i->delivery_rate;
	t->bytes_sent = i->bytes_sent;
	t->bytes_retrans = i->bytes_retrans;
	t->snd_wnd = i->snd_wnd;
}

static int tsk_getsockopt(struct rs_sock *s, int level, int name, void *v, uint32_t *len)
{
	struct tcp_psock *ps = s->proto_priv;
	int x;
	if (level == SOL_SOCKET) {
		if (name != SO_ACCEPTCONN)
			return -ENOPROTOOPT;
		x = ps->listening;
		goto out_int;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case O_NODELAY: x = ps->so.nodelay; break;
	case O_CORK: x = ps->so.cork; break;
	case O_MAXSEG: {
		x = ps->so.user_mss ? ps->so.user_mss : 536; /* Linux: TCP_MSS_DEFAULT unconnected */
		if ((atomic_load(&s->shm->state) & RS_SS_CONNECTED) && info_query(s) == 0)
			x = (int)ps->info.snd_mss;
		break;
	}
	case O_KEEPIDLE: x = ps->so.keepidle_s ? (int)ps->so.keepidle_s : 7200; break;
	case O_KEEPINTVL: x = ps->so.keepintvl_s ? (int)ps->so.keepintvl_s : 75; break;
	case O_KEEPCNT: x = ps->so.keepcnt ? (int)ps->so.keepcnt : 9; break;
	case O_USER_TIMEOUT: x = (int)ps->so.user_timeout_ms; break;
	case O_CONGESTION: {
		/* Linux copies TCP_CA_NAME_MAX (16) bytes, the name
		 * zero-padded, and reports that length */
		char nb[16] = "";
		const char *n = ps->so.cc ? ps->so.cc->name : "cubic";
		uint32_t l = sizeof(nb) < *len ? (uint32_t)sizeof(nb) : *len;
		strncpy(nb, n, sizeof(nb) - 1);
		memcpy(v, nb, l);
		*len = l;
		return 0;
	}
	case RS_TCP_OUTQNSD: {
		/* tcp_ioctl's SIOCOUTQNSD, write_seq - snd_nxt: the bytes in
		 * the send ring (written, not yet released by an ACK) less
		 * those in flight, as the owner last counted them. 0 before
		 * the handshake is over (Linux: SYN_SENT, SYN_RECV) and once
		 * the connection was reset or closed. */
		x = 0;
		uint32_t st = atomic_load(&s->shm->state);
		if (ps->connecting && (st & RS_SS_CONNECTED) &&
		    !(st & (RS_SS_RESET | RS_SS_CLOSED)) && info_query(s) == 0) {
			/* the ring's producer index is the application's:
			 * shm_bytes_used bounds it (< 0: corrupt, say 0) */
			ssize_t q = shm_bytes_used(&s->tx);
			uint32_t known = ps->info.outq_bytes, unsent = ps->info.notsent_bytes;
			uint32_t flight = known > unsent ? known - unsent : 0;
			if (q > 0 && (uint64_t)q > flight)
				x = (int)((uint64_t)q - flight);
		}
		goto out_int;
	}
	case O_INFO: {
		struct linux_tcp_info t;
		memset(&t, 0, sizeof(t));
		if (ps->connecting && info_query(s) == 0)
			fill_tcp_info(&ps->info, &t);
		else
			t.state = ps->listening ? 10 : 7;
		uint32_t l = sizeof(t) < *len ? (uint32_t)sizeof(t) : *len;
		memcpy(v, &t, l);
		*len = l;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
out_int:
	memcpy(v, &x, sizeof(x));
	*len = sizeof(x);
	return 0;
}

static void tcp_show(const struct rs_sock *s, struct rs_buf *out, bool json)
{
	struct tcp_psock *ps = s->proto_priv;
	if (ps == NULL)
		return;
	uint8_t st = atomic_load(&ps->snap_state);
	const char *name = ps->listening ? "LISTEN" : ps->connecting ? tcp_state_name(st) : "CLOSED";
	uint32_t cwnd = atomic_load(&ps->snap_cwnd), rtt = atomic_load(&ps->snap_srtt_us);
	uint32_t retr = atomic_load(&ps->snap_retrans), unacked = atomic_load(&ps->snap_unacked);
	ssize_t txq = s->tx.hdr ? shm_bytes_used(&s->tx) : 0;
	if (json) {
		rs_json_kstr(out, "state", name);
		rs_json_ki64(out, "send_q", txq < 0 ? -1 : txq);
		rs_json_ku64(out, "cwnd", cwnd);
		rs_json_ku64(out, "rtt_us", rtt);
		rs_json_ku64(out, "rto_us", atomic_load(&ps->snap_rto_us));
		rs_json_ku64(out, "unacked", unacked);
		rs_json_ku64(out, "retrans", retr);
	} else {
		rs_buf_printf(out, " %s cwnd:%u rtt:%u.%03ums unacked:%u retrans:%u send-q:%zd", name,
			      cwnd, rtt / 1000, rtt % 1000, unacked, retr, txq);
	}
}

/* ---- ringctl stats ---- */

#define MIB(f) { #f, offsetof(struct tcp_mib, f) }
static const struct { const char *name; size_t off; } tcp_mib_names[] = {
	MIB(active_opens), MIB(passive_opens), MIB(attempt_fails), MIB(estab_resets),
	MIB(in_segs), MIB(out_segs), MIB(retrans_segs), MIB(in_errs), MIB(out_rsts),
	MIB(syncookies_sent), MIB(syncookies_recv), MIB(syncookies_failed),
	MIB(listen_overflows), MIB(listen_drops), MIB(req_qfull_drops),
	MIB(paws_drops), MIB(challenge_acks), MIB(challenge_acks_limited),
	MIB(ooo_queued), MIB(ooo_dropped_full), MIB(ooo_dup), MIB(rcv_pruned), MIB(rcv_qdrop),
	MIB(sack_blocks_ignored), MIB(dsack_recv), MIB(dsack_sent), MIB(dsack_undo), MIB(eifel_undo), MIB(frto_undo),
	MIB(timeouts), MIB(tlp_probes), MIB(rack_losses), MIB(fast_retrans),
	MIB(sack_recoveries), MIB(reno_recoveries),
	MIB(abort_on_data), MIB(abort_on_close), MIB(abort_on_timeout), MIB(abort_on_linger), MIB(abort_on_memory),
	MIB(tw_recycled), MIB(pmtu_updates), MIB(icmp_ignored),
	MIB(ack_old), MIB(ack_future), MIB(rst_ignored),
};
#undef MIB
_Static_assert(sizeof(tcp_mib_names) / sizeof(tcp_mib_names[0]) ==
		       sizeof(struct tcp_mib) / sizeof(uint64_t),
	       "every tcp_mib counter has a name");

static void stat_line(struct rs_buf *out, bool json, const char *name, uint64_t v)
{
	if (json)
		rs_json_ku64(out, name, v);
	else if (v)
		rs_buf_printf(out, "%-24s %14lu\n", name, (unsigned long)v);
}

void tcp_stats_show(struct rs_buf *out, bool json)
{
	uint64_t sum[sizeof(tcp_mib_names) / sizeof(tcp_mib_names[0])] = { 0 };
	uint64_t conns = 0, no_conn_mem = 0, no_stock = 0, out_nomem = 0, app_lied = 0;
	uint64_t tw_overflow = 0, sigurg_lost = 0;
	for (unsigned w = 0; w < RS_MAX_WORKERS; w++) {
		const struct tcp_worker *tw = tcp_workers[w];
		if (tw == NULL)
			continue;
		const uint8_t *m = (const uint8_t *)&tw->ctx.mib;
		for (size_t i = 0; i < RTE_DIM(sum); i++)
			sum[i] += __atomic_load_n((const uint64_t *)(m + tcp_mib_names[i].off),
						  __ATOMIC_RELAXED);
		conns += __atomic_load_n(&tw->nconns, __ATOMIC_RELAXED);
		no_conn_mem += __atomic_load_n(&tw->no_conn_mem, __ATOMIC_RELAXED);
		no_stock += __atomic_load_n(&tw->no_stock, __ATOMIC_RELAXED);
		out_nomem += __atomic_load_n(&tw->out_nomem, __ATOMIC_RELAXED);
		app_lied += __atomic_load_n(&tw->app_lied, __ATOMIC_RELAXED);
		tw_overflow += __atomic_load_n(&tw->tw_overflow, __ATOMIC_RELAXED);
		sigurg_lost += __atomic_load_n(&tw->sigurg_lost, __ATOMIC_RELAXED);
	}
	if (json) {
		rs_json_key(out, "tcp");
		rs_json_obj_open(out);
	} else {
		rs_buf_printf(out, "\n%-24s %14s\n", "tcp", "count");
	}
	stat_line(out, json, "conns", conns); /* in the tables, every state */
	for (size_t i = 0; i < RTE_DIM(sum); i++)
		stat_line(out, json, tcp_mib_names[i].name, sum[i]);
	stat_line(out, json, "no_conn_mem", no_conn_mem);
	stat_line(out, json, "no_stock", no_stock);
	stat_line(out, json, "out_nomem", out_nomem);
	stat_line(out, json, "app_lied", app_lied);
	stat_line(out, json, "tw_overflow", tw_overflow);
	stat_line(out, json, "sigurg_lost", sigurg_lost);
	if (json)
		rs_json_obj_close(out);
}

/* ---- worker operations ---- */

/* The application's close of s, on its connection sc: FIN, or a reset
 * for unread data or SO_LINGER 0 (Linux's tcp_close). In TIME-WAIT
 * already (a shutdown, then the peer's FIN), the connection lets go of
 * the socket at once when the application is done with it (app_closed),
 * as at the start of a TIME-WAIT the application closed before. */
static void app_close(struct tcp_worker *tw, struct rs_worker *w, struct rs_sock *s,
		      struct tcp_sconn *sc, bool linger0)
{
	struct tcp_io io;
	ssize_t fr = shm_bytes_free(&s->rx);
	uint32_t unread = fr < 0 ? 1 : s->rx.size - (uint32_t)fr;
	sc->app_fin = true;
	tcp_io_fill(tw, w, sc, &io);
	tcp_close(&tw->ctx, &sc->c, unread, linger0, &io, &tw->act);
	if (sc->c.state == TCP_TIME_WAIT && sc->app_closed)
		tw->act.events |= TCP_EV_TIME_WAIT;
	tcp_act_run(tw, w, sc);
}

static uint32_t tcp_tx(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		       struct rs_sock *s, uint32_t budget, bool *more)
{
	struct tcp_worker *tw = tcp_workers[w->idx];
	struct tcp_psock *ps = s->proto_priv;
	struct tcp_sconn *sc = ps->conn;
	(void)budget;
	*more = false;
	/* disarm first: a doorbell rung after this is not lost, and what the
	 * application wrote before it is seen below (seq_cst) */
	atomic_store_explicit(&s->shm->tx_armed, 0, memory_order_seq_cst);
	if (sc == NULL)
		return 0;
	tw->g = g;
	tw->node = node;
	tw->out_edge = SOCK_TX_E_IP4;
	tw->out_edge6 = SOCK_TX_E_IP6;
	struct tcp_io io;
	uint32_t before = sc->snd_last;
	tcp_io_fill(tw, w, sc, &io);
	tcp_output(&tw->ctx, &sc->c, &io, &tw->act);
	tcp_act_run(tw, w, sc);
	if (ps->conn != sc)
		return 0; /* closed */
	if (!sc->app_fin && !sc->app_closed &&
	    atomic_load_explicit(&s->shm->app_close, memory_order_acquire) != 0) {
		/* the application closed it: its FIN (or reset) goes now, not
		 * after the control thread's RS_SOP_CLOSE, which then only
		 * lets the socket go (TCP_CMD_CLOSE) */
		uint32_t took = sc->snd_last > before ? sc->snd_last - before : 0;
		app_close(tw, w, s, sc, s->linger == 0);
		return took;
	}
	/* the application read: maybe a window update */
	tcp_io_fill(tw, w, sc, &io);
	tcp_rcvd(&tw->ctx, &sc->c, &io, &tw->act);
	tcp_act_run(tw, w, sc);
	return sc->snd_last > before ? sc->snd_last - before : 0;
}

static void listen_end(struct tcp_worker *tw, struct rs_worker *w, struct rs_sock *ls,
		       struct ending *e)
{
	struct tcp_psock *lp = ls->proto_priv;
	struct tcp_lsock *l = e != NULL ? e->l : lp->lsock;
	struct tcp_listener *mine = &l->l[w->idx];
	/* children still on this worker: embryonic or established, not yet
	 * accepted (reset as Linux does when the listener closes) */
	const void *key;
	void *data;
	uint32_t it = 0;
	struct tcp_sconn *gone[256];
	for (;;) {
		unsigned n = 0;
		it = 0;
		while (n < RTE_DIM(gone) && rte_hash_iterate(tw->conns, &key, &data, &it) >= 0) {
			struct tcp_sconn *sc = data;
			if (sc->c.listener == mine || sc->ls == ls)
				gone[n++] = sc;
		}
		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			struct tcp_sconn *sc = gone[i];
			struct tcp_io io;
			sc->ls = NULL;
			sc->app_closed = true; /* nobody will accept it */
			tcp_io_fill(tw, w, sc, &io);
			tcp_conn_listener_gone(&tw->ctx, &sc->c, &io, &tw->act);
			tcp_act_run(tw, w, sc);
		}
	}
	struct rs_sock *s;
	while (rte_ring_sc_dequeue(l->stock[w->idx], (void **)&s) == 0)
		tcp_sock_post_release(w, s);
	if (e != NULL) /* "done with it here" */
		atomic_fetch_add_explicit(&e->ended, 1, memory_order_release);
}

static void tcp_cmd(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		    struct rs_sock *s, const struct sock_cmd *c)
{
	struct tcp_worker *tw = tcp_workers[w->idx];
	struct tcp_psock *ps = s->proto_priv;
	struct tcp_sconn *sc = ps->conn;
	struct tcp_io io;
	tw->g = g;
	tw->node = node;
	tw->out_edge = SOCK_TX_E_IP4;
	tw->out_edge6 = SOCK_TX_E_IP6;
	switch (c->op) {
	case TCP_CMD_OPEN: {
		sc = tcp_sconn_alloc(tw);
		if (sc == NULL) {
			tw->no_conn_mem++;
			atomic_store(&s->shm->so_error, ENOBUFS);
			atomic_store(&s->shm->state, RS_SS_RESET | RS_SS_CLOSED | RS_SS_SND_CLOSED);
			sock_wake(s);
			return;
		}
		memcpy(sc->key.laddr, s->laddr.b, 16);
		memcpy(sc->key.raddr, s->raddr.b, 16);
		sc->key.lport = s->lport;
		sc->key.rport = s->rport;
		if (!rs_ip_is4(&s->raddr) && ip6_is_linklocal(s->raddr.b))
			sc->oif = (int16_t)s->bind_iface; /* set by connect */
		sc->s = s;
		ps->conn = sc;
		struct tcp_tuple t;
		tcp_key_tuple(&sc->key, &t);
		tcp_io_fill(tw, w, sc, &io);
		tcp_conn_open_active(&tw->ctx, &sc->c, &t, &ps->so,
				     tcp_route_mtu(w, &sc->key, sc->oif), c->a0, &io, &tw->act);
		tcp_sconn_insert(tw, sc);
		tcp_act_run(tw, w, sc);
		return;
	}
	case TCP_CMD_CLOSE:
		if (c->a0 & TCP_CLOSE_DISCONNECT) {
			/* connect(AF_UNSPEC): the connection goes, the socket
			 * stays (tcp_connect waits for conn_ended) */
			if (sc == NULL)
				return;
			tcp_io_fill(tw, w, sc, &io);
			tcp_disconnect(&tw->ctx, &sc->c, &io, &tw->act);
			tcp_act_run(tw, w, sc);
			return;
		}
		if (sc == NULL) {
			tcp_sock_post_release(w, s);
			return;
		}
		sc->app_closed = true;
		if (!sc->app_fin) {
			app_close(tw, w, s, sc, (c->a0 & TCP_CLOSE_LINGER0) != 0);
			return;
		}
		/* closed already (app_close): the socket goes now, or with its
		 * TIME-WAIT's start (tcp_act_run), as it goes when the
		 * application closes in TIME-WAIT (below) */
		tcp_io_fill(tw, w, sc, &io);
		tcp_close(&tw->ctx, &sc->c, 0, false, &io, &tw->act);
		if (sc->c.state == TCP_TIME_WAIT)
			tw->act.events |= TCP_EV_TIME_WAIT;
		tcp_act_run(tw, w, sc);
		return;
	case TCP_CMD_SHUTDOWN:
		if (sc == NULL)
			return;
		if (c->a0 == SHUT_RD || c->a0 == SHUT_RDWR)
			sc->shut_rd = true;
		tcp_io_fill(tw, w, sc, &io);
		tcp_shutdown(&tw->ctx, &sc->c, (int)c->a0, &io, &tw->act);
		tcp_act_run(tw, w, sc);
		/* as Linux's shutdown wakes the socket's waiters: a reader
		 * blocked on an empty ring returns 0, a writer EPIPE */
		if (ps->conn == sc)
			sock_wake(s);
		return;
	case TCP_CMD_SETOPT:
		if (sc == NULL)
			return;
		tcp_io_fill(tw, w, sc, &io);
		tcp_setsockopt(&tw->ctx, &sc->c, (enum tcp_sockopt)c->a0, (uint32_t)c->a1, &io,
			       &tw->act);
		tcp_act_run(tw, w, sc);
		return;
	case TCP_CMD_CONGESTION:
		if (sc != NULL)
			tcp_set_congestion(&sc->c, ((const struct tcp_cc_ops *)(uintptr_t)c->a1)->name,
					   w->now_ns);
		return;
	case TCP_CMD_INFO:
		if (sc != NULL)
			tcp_conn_get_info(&sc->c, w->now_ns, &ps->info);
		else
			memset(&ps->info, 0, sizeof(ps->info));
		atomic_store_explicit(&ps->info_seq, c->a0, memory_order_release);
		return;
	case TCP_CMD_ACCEPTED:
		if (sc != NULL && sc->c.listener != NULL)
			tcp_listener_accepted(sc->c.listener, &sc->c);
		return;
	case TCP_CMD_LISTEN_END:
		listen_end(tw, w, s, (struct ending *)(uintptr_t)c->a1);
		return;
	}
}

/* An ICMP error quoting one of our segments (RFC 5927): on the owner, to
 * the engine (which checks the quoted sequence number). */
static int tsk_icmp(struct rs_worker *w, struct rte_graph *g, struct rte_node *node,
		    const struct sock_icmp *e)
{
	struct tcp_worker *tw = tcp_workers[w->idx];
	struct tcp_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.laddr, e->laddr.b, 16);
	memcpy(k.raddr, e->raddr.b, 16);
	k.lport = e->lport;
	k.rport = e->rport;
	uint16_t owner = tcp_key_worker(&k);
	if (owner != w->idx)
		return owner;
	struct tcp_sconn *sc = tcp_sconn_lookup(tw, &k);
	if (sc == NULL)
		return -1;
	tw->g = g;
	tw->node = node;
	/* icmp4_input's edge to ip4_output, icmp6_input's to ip6_output */
	tw->out_edge = 0;
	tw->out_edge6 = 0;
	struct tcp_io io;
	tcp_io_fill(tw, w, sc, &io);
	enum tcp_icmp_kind kind = e->frag_needed ? TCP_ICMP_FRAG_NEEDED
				  : e->hard ? TCP_ICMP_HARD : TCP_ICMP_SOFT;
	tcp_icmp(&tw->ctx, &sc->c, kind, e->seq, e->mtu, e->err, &io, &tw->act);
	tcp_act_run(tw, w, sc);
	return -1;
}

const struct sock_proto tcp_proto = {
	.name = "tcp",
	.type = SOCK_STREAM,
	.ipproto = IPPROTO_TCP,
	.stream = true,
	.init = tcp_sock_init,
	.destroy = tcp_sock_destroy,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.accepted = tcp_accepted,
	.shutdown = tsk_shutdown,
	.close = tsk_close,
	.setsockopt = tsk_setsockopt,
	.getsockopt = tsk_getsockopt,
	.tx = tcp_tx,
	.cmd = tcp_cmd,
	.show = tcp_show,
	.icmp = tsk_icmp,
};

/* ---- messages from workers ---- */

static void free_psock_then_release(struct rs_sock *s)
{
	struct tcp_psock *ps = s->proto_priv;
	if (ps != NULL && ps->have_tuple) {
		struct tcp_key k;
		key_of(s, &k);
		rte_hash_del_key(tuples, &k);
		ps->have_tuple = false;
	}
	s->dead = true;
	sock_release(s);
}

/* The connection of s entered TIME-WAIT after the application closed
 * it: s goes, its port and 4-tuple pass to a placeholder. */
static void on_tw(const struct rs_msg *msg, uint64_t now)
{
	struct rs_sock *s;
	(void)now;
	memcpy(&s, msg->data, sizeof(s));
	struct tcp_psock *ps = s->proto_priv;
	if (ps != NULL && ps->have_tuple && s->in_ports) {
		struct tcp_tw *tw = malloc(sizeof(*tw));
		struct tcp_key k;
		key_of(s, &k);
		if (tw != NULL) {
			tw->key = k;
			tw->hold = NULL;
			sock_ports_rehome(sock_ports_tbl, IPPROTO_TCP, s->lport, s, tw,
					  SOCK_PORT_TIMEWAIT | SOCK_PORT_CONNECT |
						  (s->reuseaddr ? SOCK_PORT_REUSEADDR : 0) |
						  (s->reuseport ? SOCK_PORT_REUSEPORT : 0));
			s->in_ports = false;
			rte_hash_add_key_data(tuples, &k, tw); /* replaces: now the placeholder's */
			ps->have_tuple = false;
		}
	} else if (ps != NULL && !ps->have_tuple && !s->in_ports && s->connected && s->lport != 0) {
		/* Passively opened: the connection holds its listener's port
		 * until it ends, as Linux's TIME-WAIT bucket (bind() without
		 * SO_REUSEADDR fails meanwhile), through a holder counted per
		 * port and address, not an entry each. */
		struct sock_binder b = {
			.laddr = s->laddr,
			.uid = s->app->uid,
			.ifindex = s->bind_iface,
			.flags = (uint16_t)((s->reuseaddr ? SOCK_PORT_REUSEADDR : 0) |
					    (s->reuseport ? SOCK_PORT_REUSEPORT : 0)),
			.port = s->lport,
			.proto = IPPROTO_TCP,
		};
		struct tcp_tw *tw = malloc(sizeof(*tw));
		struct tcp_key k;
		key_of(s, &k);
		if (tw != NULL) {
			tw->key = k;
			tw->hold = sock_ports_tw_get(sock_ports_tbl, &b);
			if (tw->hold == NULL || rte_hash_add_key_data(tuples, &k, tw) < 0) {
				sock_ports_tw_put(sock_ports_tbl, tw->hold);
				free(tw);
			}
		}
	}
	free_psock_then_release(s);
}

/* A connection that kept its socket's port and 4-tuple in TIME-WAIT ended. */
static void on_tw_done(const struct rs_msg *msg, uint64_t now)
{
	struct tcp_key k;
	void *d;
	(void)now;
	memcpy(&k, msg->data, sizeof(k));
	if (rte_hash_lookup_data(tuples, &k, &d) < 0 || d == NULL)
		return;
	struct tcp_tw *tw = d;
	if (tw->hold != NULL)
		sock_ports_tw_put(sock_ports_tbl, tw->hold);
	else
		sock_ports_unbind(sock_ports_tbl, IPPROTO_TCP, k.lport, tw);
	rte_hash_del_key(tuples, &k);
	free(tw);
}

/* New urgent data on a socket with an F_SETOWN owner (data: the owner,
 * u32: the application's effective uid): SIGURG, as Linux's
 * sk_send_sigurg. The worker copied both; no socket is read here. */
static void on_sigurg(const struct rs_msg *msg, uint64_t now)
{
	int32_t owner;
	(void)now;
	memcpy(&owner, msg->data, sizeof(owner));
	sock_send_sigurg(owner, msg->u32);
}

static void on_release(const struct rs_msg *msg, uint64_t now)
{
	struct rs_sock *s;
	(void)now;
	memcpy(&s, msg->data, sizeof(s));
	free_psock_then_release(s);
}

/* A worker's stock of a listener runs low (u32: the worker). */
static void on_stock(const struct rs_msg *msg, uint64_t now)
{
	struct rs_sock *ls;
	(void)now;
	memcpy(&ls, msg->data, sizeof(ls));
	/* compared by pointer before anything is read through it */
	if (msg->u32 < rs_dp.nb_workers && listener_live(ls))
		stock_fill(ls, msg->u32);
}

/* Listeners whose workers all let go: their children are reset, their
 * stock released, and the listening socket goes. */
static void sweep_one(void *arg, struct rs_sock *s)
{
	(void)arg;
	struct tcp_psock *ps = s->proto_priv;
	if (s->proto == &tcp_proto && ps != NULL &&
	    atomic_exchange_explicit(&ps->release_lost, 0, memory_order_acquire))
		free_psock_then_release(s);
}

/* Every worker let go of a stopped listener (unlinked from endings):
 * the children it queued and never handed over are reset (Linux), its
 * stock released, and a closed listener's socket goes. */
static void ending_finish(struct ending *e)
{
	struct tcp_lsock *l = e->l;
	for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
		struct rs_sock *s;
		while (rte_ring_sc_dequeue(l->stock[w], (void **)&s) == 0)
			free_psock_then_release(s);
		while (rte_ring_sc_dequeue(l->acceptq[w], (void **)&s) == 0) {
			/* established, never accepted: reset (Linux). It
			 * lives on its worker (which may have let go
			 * already, in listen_end) */
			if (s->released)
				continue;
			struct tcp_psock *cp = s->proto_priv;
			if (cp != NULL)
				cp->connecting = true;
			s->linger = 0;
			tsk_close(s, true);
		}
	}
	listener_unlive(e->s);
	struct tcp_psock *ps = e->s->proto_priv;
	ps->lsock = NULL;
	ps->listening = false;
	rs_defer_free((void (*)(void *))lsock_free, l);
	if (!e->keep) {
		e->s->dead = true;
		sock_release(e->s);
	}
	free(e);
}

static void tcp_tick(uint64_t now)
{
	(void)now;
	/* release messages a full ring lost: the sockets they named */
	static uint32_t lost_seen;
	uint32_t lost = atomic_load_explicit(&tcp_releases_lost, memory_order_acquire);
	if (lost != lost_seen) {
		lost_seen = lost;
		sock_foreach_held(sweep_one, NULL);
	}
	struct ending **pe = &endings;
	while (*pe != NULL) {
		struct ending *e = *pe;
		if (!ending_done(e)) {
			pe = &e->next;
			continue;
		}
		*pe = e->next;
		ending_finish(e);
	}
}

/* ---- the module ---- */

static int tcp_worker_init(struct rs_worker *w)
{
	char name[RTE_HASH_NAMESIZE];
	struct tcp_worker *tw = rte_zmalloc_socket("tcp_worker", sizeof(*tw), RTE_CACHE_LINE_SIZE,
						   (int)rte_socket_id());
	if (tw == NULL)
		return -ENOMEM;
	uint8_t secret[48];
	for (unsigned i = 0; i < sizeof(secret); i += 8) {
		uint64_t r = rte_rand();
		memcpy(secret + i, &r, 8);
	}
	tcp_ctx_init(&tw->ctx, secret);
	snprintf(name, sizeof(name), "tcp_conns_%u", w->idx);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = rs_dp.params.tcp_max_conns,
		.key_len = sizeof(struct tcp_key),
		.hash_func = rte_jhash,
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	tw->conns = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "tcp_pool_%u", w->idx);
	tw->pool = rte_mempool_create(name, rs_dp.params.tcp_max_conns, sizeof(struct tcp_sconn), 0,
				      0, NULL, NULL, NULL, NULL, (int)rte_socket_id(),
				      MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET);
	if (tw->conns == NULL || tw->pool == NULL) {
		rs_err_set("cannot create the TCP tables of worker %u: %s", w->idx,
			   rte_strerror(rte_errno));
		rte_hash_free(tw->conns);
		rte_mempool_free(tw->pool);
		rte_free(tw);
		return -ENOMEM;
	}
	tw->max_conns = rs_dp.params.tcp_max_conns;
	/* Linux sizes tcp_max_orphans at half its connection hash; here half
	 * the pool, so that connections their applications closed leave at
	 * least half of it to live ones */
	tw->ctx.p.max_orphans = rs_dp.params.tcp_max_orphans ? rs_dp.params.tcp_max_orphans
							     : rs_dp.params.tcp_max_conns / 2;
	rs_wheel_init(&tw->wheel, 1000000, rs_now_ns());
	tcp_workers[w->idx] = tw;
	return 0;
}

static void tcp_worker_fini(struct rs_worker *w)
{
	struct tcp_worker *tw = tcp_workers[w->idx];
	if (tw == NULL)
		return;
	const void *key;
	void *data;
	uint32_t it = 0;
	while (rte_hash_iterate(tw->conns, &key, &data, &it) >= 0) {
		struct tcp_sconn *sc = data;
		tcp_conn_destroy(&tw->ctx, &sc->c);
	}
	rte_hash_free(tw->conns);
	rte_mempool_free(tw->pool);
	rte_free(tw);
	tcp_workers[w->idx] = NULL;
}

static int tcp_module_init(void)
{
	struct rte_hash_parameters hp = {
		.name = "tcp_tuples",
		.entries = 1u << 18,
		.key_len = sizeof(struct tcp_key),
		.hash_func = rte_jhash,
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	tuples = rte_hash_create(&hp);
	if (tuples == NULL) {
		rs_err_set("cannot create the TCP tuple table");
		return -ENOMEM;
	}
	return 0;
}

static void tcp_module_fini(void)
{
	const void *key;
	void *data;
	uint32_t it = 0;
	while (tuples != NULL && rte_hash_iterate(tuples, &key, &data, &it) >= 0)
		free(data); /* TIME-WAIT placeholders (NULL for live sockets) */
	rte_hash_free(tuples);
	tuples = NULL;
	free(live);
	live = NULL;
	nlive = clive = 0;
}

static const char *const tcp_nodes[] = { "tcp_input", "tcp_timer", NULL };

static struct rs_module tcp_module = {
	.name = "tcp",
	.order = 55,
	.init = tcp_module_init,
	.fini = tcp_module_fini,
	.worker_init = tcp_worker_init,
	.worker_fini = tcp_worker_fini,
	.tick = tcp_tick,
	.nodes = tcp_nodes,
};
RS_MODULE_REGISTER(tcp_module);

RTE_INIT(tcp_sock_register)
{
	sock_proto_register(&tcp_proto);
	tcp_msg_release = rs_msg_type_register("tcp_release", on_release);
	tcp_msg_stock = rs_msg_type_register("tcp_stock", on_stock);
	tcp_msg_tw = rs_msg_type_register("tcp_tw", on_tw);
	tcp_msg_tw_done = rs_msg_type_register("tcp_tw_done", on_tw_done);
	tcp_msg_sigurg = rs_msg_type_register("tcp_sigurg", on_sigurg);
}
