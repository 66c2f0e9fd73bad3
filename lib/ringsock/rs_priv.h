/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock internals shared by the control side (rs_ctl.c: attach,
 * descriptor table, control operations) and the data side (rs_data.c:
 * send, receive, poll). Nothing here is visible to applications.
 */
#ifndef RS_RINGSOCK_PRIV_H
#define RS_RINGSOCK_PRIV_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "sock/sock_shm.h"
#include "util/shm_ring.h"

/* Descriptors at or above this are refused (EMFILE): the table is a flat
 * array indexed by fd so that a lookup is one load under a read lock. */
#define RS_MAX_FD 65536

/* Largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header). */
#define RS_UDP_MAX 65507

/* Receive control messages the application asked for (IPPROTO_IP options
 * the daemon accepted). */
#define RS_RECV_PKTINFO 0x1
#define RS_RECV_TOS 0x2
#define RS_RECV_TTL 0x4
/* IPPROTO_IPV6 ones (AF_INET6 sockets) */
#define RS_RECV6_PKTINFO 0x8
#define RS_RECV6_HLIM 0x10
#define RS_RECV6_TCLASS 0x20
#define RS_RECV6_FLOW 0x40

/* rs_shutdown(): how + 1, as inet_shutdown maps it */
#define RS_SHUT_RD 1
#define RS_SHUT_WR 2

#define RS_BOUND6_ANY 0		/* :: or not bound by rs_bind */
#define RS_BOUND6_MAPPED 1	/* an IPv4-mapped address: IPv4 only */
#define RS_BOUND6_V6 2		/* an IPv6 address: IPv6 only */

struct rs_sock {
	int fd;			/* the wake descriptor the daemon gave: the socket's number */
	int sd;			/* daemon's slot index */
	int domain;		/* AF_INET, AF_INET6 */
	_Atomic int refs;	/* table reference + one per call in progress */
	_Atomic bool closed;
	_Atomic bool nonblock;
	_Atomic bool connected;	/* send() without address allowed */
	_Atomic bool bound;	/* has a local port (bind, connect or a first send) */
	_Atomic int recv_cmsg;	/* RS_RECV_* */
	/* Timeouts in ns, 0 = none (as SO_RCVTIMEO {0, 0}). */
	_Atomic int64_t rcvtimeo;
	_Atomic int64_t sndtimeo;
	/* SO_SNDBUF as the daemon reports it (Linux doubles what is asked):
	 * the bytes this socket may have in its tx ring. The ring's size is
	 * the hard bound; this is the one the application chose. */
	_Atomic int32_t sndbuf;
	_Atomic int shut;	/* RS_SHUT_RD | RS_SHUT_WR, as Linux's sk_shutdown */
	_Atomic bool broadcast;	/* SO_BROADCAST as the daemon accepted it */
	_Atomic bool v6only;	/* IPV6_V6ONLY as the daemon accepted it */
	/* AF_INET6: what rs_bind bound to (RS_BOUND6_*), which decides the
	 * destinations a send can reach (udpv6_sendmsg) */
	_Atomic int bound6;
	/* Stream (TCP) sockets: the rings are byte rings and the slot's
	 * state word tells the connection's life (sock_shm.h). */
	bool stream;
	_Atomic bool listening;	/* rs_listen succeeded */
	_Atomic bool connecting;	/* a non-blocking connect is in progress
					 * (EINPROGRESS given, outcome not yet
					 * reported by connect) */
	_Atomic bool sndbuf_locked;	/* SO_SNDBUF set: it bounds the tx ring */
	_Atomic int rcvlowat;		/* SO_RCVLOWAT as set, 0 before (1) */
	_Atomic bool oobinline;		/* SO_OOBINLINE (Linux's SOCK_URGINLINE) */
	_Atomic int linger_s;		/* SO_LINGER's l_linger when on and > 0
					 * (close waits), INT_MAX: for ever;
					 * 0: close does not wait */
	_Atomic int32_t rcvbuf_set;	/* SO_RCVBUF as reported once set, else 0 */
	_Atomic bool disconnected;	/* connect reported the connection's
					 * failure: as after Linux's
					 * tcp_disconnect, nothing is shut */
	struct rs_shm_sock *shm;	/* our slot in the segment */

	/* The ring views are private; the rings are SPSC, so each side of a
	 * socket is used by one thread at a time. */
	pthread_mutex_t rx_lock;
	struct shm_ring rx;		/* consumer */
	pthread_mutex_t tx_lock;
	struct shm_ring tx;		/* producer */

	/* Threads sleeping on the wake descriptor (recv and poll). app_wait is set
	 * while there is at least one; the count lives under its own lock so
	 * that the first to come and the last to go cannot race. */
	pthread_mutex_t wait_lock;
	int nwait;

	/* Every open socket, for rs_event_fd()/rs_event_arm(): linked and
	 * ev_armed (holds one nwait) under the list lock in rs_epoll.c. */
	struct rs_sock *lnext, *lprev;
	bool ev_armed;
};

/*
 * Processes sharing one attachment (docs/fork.md). fork() gives the child
 * the parent's segment, connection to the daemon and sockets, as Linux
 * gives it the parent's descriptors; what the contract makes single-
 * producer or one-at-a-time (the request ring and its completions, the
 * doorbell rings) is then serialised between processes by locks in this
 * block: anonymous MAP_SHARED memory made at attach, inherited by fork,
 * never seen by the daemon (which trusts no lock). A socket is closed
 * with the daemon when the last process holding it closes it (or exits):
 * holders[sd] has one bit per process entry of proc[].
 */
#define RS_PROCS_MAX 64
/* Requests sent without waiting for their answer (a connection's close)
 * whose kicks are unread: at most this many, so that neither the
 * completion ring (the daemon disconnects an application whose ring is
 * full) nor the unix socket fills; at the bound the request waits. */
#define RS_CTL_OWED_MAX 8
struct rs_procs {
	pthread_mutex_t ctl;	/* process-shared, robust: one request in flight */
	pthread_mutex_t bell[RS_SHM_MAX_WORKERS];	/* doorbell ring w's producers */
	uint32_t seq;		/* request sequence, under ctl */
	uint32_t owed;		/* kicks of requests not waited for, under ctl */
	_Atomic bool forked;	/* a fork happened: rings are resynced under their locks */
	_Atomic int64_t sweep_ns;	/* rs_procs_sweep: next round (rs_now_ns) */
	struct {
		int32_t pid;	/* 0: free; -1: reserved for a child being forked */
		uint64_t start;	/* /proc/PID/stat starttime: tells a reused pid */
	} proc[RS_PROCS_MAX];	/* under ctl */
	uint64_t holders[];	/* [max_socks], under ctl */
};

/* Process-wide state; set once by the attach, then read-only except where
 * a lock is named. */
struct rs_proc {
	bool attached;
	_Atomic bool dead;	/* the daemon hung up: everything fails */
	int usock;		/* unix socket to the daemon */
	uint8_t *base;
	size_t size;
	uint32_t max_socks;
	uint64_t socks_off;
	/* the daemon's addresses (sock_shm.h), NULL when not published */
	const struct rs_shm_addrs *addrs;
	uint32_t seq;		/* under ctl_lock */
	struct shm_ring req;	/* producer, under ctl_lock */
	struct shm_ring cpl;	/* consumer, under ctl_lock */
	uint32_t nworkers;	/* doorbell rings */
	struct shm_ring bell[RS_SHM_MAX_WORKERS];	/* producers, under rs_bell_lock[w] */
	struct rs_procs *procs;	/* shared with forked processes; NULL before attach */
	size_t procs_len;
	int pidx;		/* our entry in procs->proc[] */
};

extern struct rs_proc rs_g;
extern pthread_mutex_t rs_bell_lock[RS_SHM_MAX_WORKERS];

/* rs_confine() was called: no sched_yield (a seccomp filter may kill). */
extern atomic_bool rs_confined;

/* One turn of a short wait: give the core away, as the peer we wait for
 * may need it, unless the program's seccomp filter forbids that. */
static inline void
rs_relax(void)
{
	if (!atomic_load_explicit(&rs_confined, memory_order_relaxed))
		sched_yield();
}

/* Whether other processes may use the segment's rings (a fork happened). */
static inline bool
rs_forked(void)
{
	return rs_g.procs != NULL && atomic_load_explicit(&rs_g.procs->forked, memory_order_relaxed);
}

/* A process-shared robust lock: one whose holder died is taken over
 * (what it was doing is lost; the rings' indices are resynced anyway). */
void rs_plock(pthread_mutex_t *m);

/* A socket's rings, each side used by one thread at a time in a process
 * (its private lock) and by one process at a time (docs/fork.md): after a
 * fork the index another process left in shared memory is taken back. */
static inline void
rs_rx_lock(struct rs_sock *s)
{
	pthread_mutex_lock(&s->rx_lock);
	if (rs_forked())
		shm_ring_resync(&s->rx);
}
static inline void
rs_tx_lock(struct rs_sock *s)
{
	pthread_mutex_lock(&s->tx_lock);
	if (rs_forked())
		shm_ring_resync(&s->tx);
}

/* Descriptor lookup: a referenced socket, or NULL with errno EBADF/ENOTSOCK.
 * Every rs_sock_get is paired with one rs_sock_put. */
struct rs_sock *rs_sock_get(int fd);
void rs_sock_put(struct rs_sock *s);

/* True (and rs_g.dead set) once the daemon's socket has hung up. */
bool rs_daemon_gone(void);
/* The connection to the daemon, for a sleeper to watch (POLLRDHUP): its
 * hang-up wakes every sleeper when the daemon dies (the wake descriptors
 * are datagram pairs, whose peer's close wakes nobody). -1 when there is
 * none to watch (not attached, or gone already). */
int rs_daemon_watch_fd(void);
/* A caller's address for an AF_INET6 socket (inet6_bind's and
 * ip6_datagram_connect's checks): 0 or an errno. IPv4 (AF_INET) is taken
 * in mapped form when allow4. */
int rs_sa6_in(const struct sockaddr *a, socklen_t len, struct rs_saddr *r, bool allow4);
/* An address of the daemon's out as getsockname(2) does, in the family
 * the daemon wrote (sockaddr_in6 for an AF_INET6 socket). */
void rs_sa_out(const struct rs_saddr *r, struct sockaddr *addr, socklen_t *addrlen);

/* Monotonic clock in ns. */
int64_t rs_now_ns(void);
/* How long a blocking call polls before it sleeps (RINGSTACK_SPIN_US). */
#define RS_SPIN_NS_DEFAULT 20000
int64_t rs_spin_ns(void);

/* Sleep on the socket's wake descriptor: enter sets app_wait, leave clears
 * it when the last sleeper goes. */
void rs_wait_enter(struct rs_sock *s);
void rs_wait_leave(struct rs_sock *s);
/* rs_wait_leave after a sleep on the wake descriptor (ppoll): the pending
 * wake-ups are consumed only by the last sleeper to leave. One wake-up
 * (one byte) may be meant for another thread that has set app_wait and
 * checked the rings but is not yet inside ppoll; consumed under its feet,
 * that thread would sleep through the event it waits for. Left in place,
 * it makes every ppoll on the socket return until the last one goes. */
void rs_wait_leave_drain(struct rs_sock *s);
/* Consume pending wake-ups (the daemon's one-byte datagrams), then arm
 * again (below). */
void rs_drain(struct rs_sock *s);
/* The daemon sends one wake-up per arming (sock_shm.h: app_woken): clear
 * app_woken before looking at the rings and sleeping (rs_wait_enter does;
 * rs_event_arm for the sockets it keeps armed) and after consuming the
 * pending wake-ups (rs_drain does). No lock. */
void rs_wait_rearm(struct rs_sock *s);
/* How long a sleeper may wait before looking again: with another thread
 * sleeping on the same socket, that thread may consume the wake-up meant
 * for both (the library cannot signal its own wake descriptor), so sleeps
 * are cut into slices of RS_SHARED_SLICE_NS. */
#define RS_SHARED_SLICE_NS 10000000
int64_t rs_wait_slice(struct rs_sock *s, int64_t left);

/* A pending asynchronous error, consumed: positive errno or 0. */
int rs_take_so_error(struct rs_sock *s);

/* Readiness now, as Linux's udp_poll reports it: EPOLLIN|EPOLLRDNORM when a
 * datagram is queued (or the ring is broken: the read reports it),
 * EPOLLOUT|EPOLLWRNORM|EPOLLWRBAND when the transmit ring has room for an
 * empty datagram, EPOLLERR when an asynchronous error is pending. The
 * EPOLL* bits have the values of the POLL* bits. No system call. */
uint32_t rs_sock_mask(struct rs_sock *s);
/* True while the worker has not taken every datagram of the transmit ring:
 * room may appear without anyone signalling it. */
bool rs_tx_pending(struct rs_sock *s);

/* Stream sockets (rs_stream.c). */
/* The slot's state word (RS_SS_*), read once. */
uint32_t rs_stream_state(struct rs_sock *s);
/* Connections waiting on a listener (accept_prod - accept_cons summed). */
uint32_t rs_stream_accept_ready(struct rs_sock *s);
/* tcp_poll's mask for a stream socket. */
uint32_t rs_stream_mask(struct rs_sock *s);
/* SIOCATMARK: 1 when the next byte a read takes is at the urgent mark */
int rs_stream_atmark(struct rs_sock *s);
/* FIONREAD (tcp_inq): bytes readable, up to the urgent mark while its
 * byte waits; -1: the ring is corrupt */
int64_t rs_stream_inq(struct rs_sock *s);
uint32_t rs_stream_lowat_cap(struct rs_sock *s);
ssize_t rs_stream_sendmsg(struct rs_sock *s, const struct msghdr *msg, int flags);
ssize_t rs_stream_recvmsg(struct rs_sock *s, struct msghdr *msg, int flags);
/* Sleep on the wake descriptor until ready(s) or the deadline (0: none).
 * 0, EAGAIN (deadline), EINTR, EBADF (closed). */
int rs_stream_sleep(struct rs_sock *s, int64_t deadline,
		    bool (*ready)(struct rs_sock *, void *), void *arg);
/* Ring the socket's doorbell unless one is pending (rs_data.c). 0 or an
 * errno. */
int rs_doorbell(struct rs_sock *s);

/* rs_epoll.c: the process-wide socket list (rs_socket, rs_close), and
 * epoll descriptors closed with rs_close or left stale by close(2). */
void rs_event_sock_open(struct rs_sock *s);
void rs_event_sock_close(struct rs_sock *s);
/* 0 if fd was an rs epoll descriptor (now closed), -1 otherwise. */
int rs_ep_close(int fd);
/* A new descriptor number fd: forget an epoll entry the application closed
 * with close(2) instead of rs_close (without closing fd again). */
void rs_ep_forget(int fd);

/* rs_proc.c's helpers: whether fd is in the socket (rs_ctl.c) or epoll
 * (rs_epoll.c) table, without locks; and the child's side of fork(). */
bool rs_sock_present(int fd);
bool rs_ep_present(int fd);
void rs_ctl_fork_prepare(void);
void rs_ctl_fork_parent(void);
void rs_ctl_fork_failed(void);
/* true: the child kept the attachment and its sockets */
bool rs_ctl_fork_child(void (*orphan)(int fd));
void rs_ctl_fork_relist(void);
/* Processes sharing the attachment: sockets held only by processes that
 * died without closing them (a signal, _exit) are closed with the daemon.
 * At most once per RS_SWEEP_NS over all processes, called where servers
 * call often (epoll_wait, poll, accept); also done at fork() and close(). */
#define RS_SWEEP_NS 1000000000
void rs_procs_sweep(void);
void rs_ep_fork_child(bool keep);

#endif
