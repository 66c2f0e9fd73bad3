/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock, stream (TCP) data side: the byte rings of a stream socket
 * (lib/sock/sock_shm.h "Stream sockets"). Data is copied once each way,
 * between the application's buffers and the socket's rings; the worker
 * that owns the connection sends from the tx ring (consuming only what the
 * peer acknowledged) and delivers in-order data into the rx ring.
 *
 * Errors and readiness follow Linux's tcp_sendmsg, tcp_recvmsg and
 * tcp_poll, with the slot's state word (RS_SS_*) standing for the
 * kernel's sk_state / sk_shutdown / sk_err:
 *   TCP_CLOSE         state 0 (never connected) or RESET / CLOSED set
 *   SYN_SENT          CONNECTING without CONNECTED
 *   RCV_SHUTDOWN      RCV_EOF, RESET, CLOSED or our own SHUT_RD
 *   SEND_SHUTDOWN     SND_CLOSED or our own SHUT_WR
 * The worker wakes the socket's sleepers (app_wait) on data, on released
 * tx room and on every state change, so every wait here sleeps in the
 * kernel after a short spin; nothing polls on a timer.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ringstack/socket.h"
#include "rs_priv.h"

uint32_t
rs_stream_state(struct rs_sock *s)
{
	return atomic_load_explicit(&s->shm->state, memory_order_acquire);
}

uint32_t
rs_stream_accept_ready(struct rs_sock *s)
{
	uint32_t n = 0;

	/* Each worker's pair grows only; a difference beyond any backlog
	 * is the daemon's corruption and reads as "something": the accept
	 * request then answers. */
	for (uint32_t w = 0; w < rs_g.nworkers && w < RS_SHM_MAX_WORKERS; w++) {
		uint32_t p = atomic_load_explicit(&s->shm->accept_prod[w], memory_order_acquire);
		uint32_t c = atomic_load_explicit(&s->shm->accept_cons[w], memory_order_acquire);

		n += p - c;
	}
	return n;
}

/* Bytes waiting in the rx ring; -1 when the ring is corrupt. No lock:
 * prod is the worker's, cons ours (read from the shared header; a racing
 * reader in another thread only makes the answer stale). */
static int64_t
rx_avail(struct rs_sock *s)
{
	uint32_t prod = atomic_load_explicit(&s->rx.hdr->prod, memory_order_acquire);
	uint32_t cons = atomic_load_explicit(&s->rx.hdr->cons, memory_order_relaxed);

	if (prod - cons > s->rx.size)
		return -1;
	return prod - cons;
}

/* Bytes in the tx ring (unsent + unacknowledged): SIOCOUTQ. */
static uint32_t
tx_queued(struct rs_sock *s)
{
	uint32_t prod = atomic_load_explicit(&s->tx.hdr->prod, memory_order_relaxed);
	uint32_t cons = atomic_load_explicit(&s->tx.hdr->cons, memory_order_acquire);

	return prod - cons;
}

/* What a sender may have queued: the ring, or less when SO_SNDBUF was set
 * (Linux auto-tunes the send buffer unless the application locks it). */
static uint32_t
tx_limit(struct rs_sock *s)
{
	int32_t b = atomic_load(&s->sndbuf);

	if (atomic_load(&s->sndbuf_locked) && b > 0 && (uint32_t)b < s->tx.size)
		return (uint32_t)b;
	return s->tx.size;
}

/* Room a send may fill now (0 when full, or the ring is corrupt: the
 * write reports it). */
static uint32_t
tx_room(struct rs_sock *s)
{
	uint32_t used = tx_queued(s), lim = tx_limit(s);

	return used >= lim ? 0 : lim - used;
}

static bool
rcv_shut(struct rs_sock *s, uint32_t st)
{
	if (atomic_load(&s->disconnected))
		return atomic_load(&s->shut) & RS_SHUT_RD;
	return (st & (RS_SS_RCV_EOF | RS_SS_RESET | RS_SS_CLOSED)) ||
	       (atomic_load(&s->shut) & RS_SHUT_RD);
}

static bool
snd_shut(struct rs_sock *s, uint32_t st)
{
	if (atomic_load(&s->disconnected))
		return atomic_load(&s->shut) & RS_SHUT_WR;
	return (st & (RS_SS_SND_CLOSED | RS_SS_RESET | RS_SS_CLOSED)) ||
	       (atomic_load(&s->shut) & RS_SHUT_WR);
}

/* Linux's sk_state == TCP_CLOSE */
static bool
st_closed(uint32_t st)
{
	return (st & ~RS_SS_LISTEN) == 0 || (st & (RS_SS_RESET | RS_SS_CLOSED));
}

/*
 * Urgent data (sock_shm.h "Urgent data"), Linux's tp->urg_data and
 * tp->urg_seq kept in the slot's application line so that every process
 * sharing the socket sees one state.
 */
struct urg_view {
	bool live;	/* a mark is pending (urg_data != 0) */
	bool read;	/* recv(MSG_OOB) took the byte (TCP_URG_READ) */
	bool arrived;	/* the byte is in the ring (TCP_URG_VALID) */
	uint32_t pos;	/* the urgent byte's ring index (urg_seq) */
};

/* Without the rx lock (readiness): what the state is or is about to be. */
static void
urg_look(struct rs_sock *s, uint32_t cons, uint32_t prod, struct urg_view *u)
{
	uint64_t v = atomic_load_explicit(&s->shm->urg_rx, memory_order_acquire);
	uint32_t st = atomic_load_explicit(&s->shm->urg_st, memory_order_acquire);
	uint32_t pos = atomic_load_explicit(&s->shm->urg_pos, memory_order_relaxed);

	if (RS_URG_GEN(v) != 0 &&
	    RS_URG_GEN(v) != atomic_load_explicit(&s->shm->urg_gen, memory_order_relaxed)) {
		pos = RS_URG_POS(v);
		st = RS_URG_ST_LIVE;
	}
	/* a read took the byte's place: the mark is gone (tcp_recvmsg) */
	if ((st & RS_URG_ST_LIVE) && (int32_t)(cons - pos) > 0)
		st = 0;
	u->live = st & RS_URG_ST_LIVE;
	u->read = u->live && (st & RS_URG_ST_READ);
	u->arrived = u->live && (int32_t)(prod - pos) > 0;
	u->pos = pos;
}

/* Under the rx lock: takes a new mark the owner published, and forgets a
 * mark a read went past. */
static void
urg_sync(struct rs_sock *s, struct urg_view *u)
{
	uint64_t v = atomic_load_explicit(&s->shm->urg_rx, memory_order_acquire);
	uint32_t prod = atomic_load_explicit(&s->rx.hdr->prod, memory_order_acquire);
	uint32_t st = atomic_load_explicit(&s->shm->urg_st, memory_order_relaxed);
	uint32_t pos = atomic_load_explicit(&s->shm->urg_pos, memory_order_relaxed);
	uint32_t gen = RS_URG_GEN(v);

	if (gen != 0 && gen != atomic_load_explicit(&s->shm->urg_gen, memory_order_relaxed)) {
		/* tcp_check_urg: a new mark while reads sit at the old
		 * urgent byte, which has arrived, steps over that byte
		 * (else it would be read as data) */
		if ((st & RS_URG_ST_LIVE) && s->rx.idx == pos && !atomic_load(&s->oobinline) &&
		    (int32_t)(prod - pos) > 0 && shm_bytes_skip(&s->rx, 1) != 1)
			prod = s->rx.idx; /* corrupt: the next read says so */
		pos = RS_URG_POS(v);
		st = RS_URG_ST_LIVE;
		atomic_store_explicit(&s->shm->urg_pos, pos, memory_order_relaxed);
		atomic_store_explicit(&s->shm->urg_gen, gen, memory_order_relaxed);
		atomic_store_explicit(&s->shm->urg_st, st, memory_order_release);
	}
	if ((st & RS_URG_ST_LIVE) && (int32_t)(s->rx.idx - pos) > 0) {
		st = 0;
		atomic_store_explicit(&s->shm->urg_st, st, memory_order_release);
	}
	u->live = st & RS_URG_ST_LIVE;
	u->read = u->live && (st & RS_URG_ST_READ);
	u->arrived = u->live && (int32_t)(prod - pos) > 0;
	u->pos = pos;
}

/*
 * tcp_recvmsg at the urgent mark, under the rx lock, before taking bytes
 * at the ring's head with used bytes there and copied taken already:
 * how many may be taken (stopping before the mark), and *skip = 1 when
 * the read starts at the out-of-band byte without SO_OOBINLINE (it is
 * stepped over, not delivered). -1: the read ends here (it took bytes
 * and the mark is next).
 */
static int64_t
urg_span(struct rs_sock *s, uint32_t used, size_t copied, uint32_t *skip)
{
	struct urg_view u;
	uint32_t off;

	*skip = 0;
	urg_sync(s, &u);
	if (!u.live)
		return used;
	off = u.pos - s->rx.idx;
	if (off == 0) {
		if (copied > 0)
			return -1;
		if (!atomic_load(&s->oobinline) && used > 0) {
			*skip = 1;
			return used - 1;
		}
		return used;
	}
	return off < used ? off : used;
}

int64_t
rs_stream_inq(struct rs_sock *s)
{
	struct urg_view u;
	uint32_t prod, cons;
	int64_t n;

	rs_rx_lock(s);
	urg_sync(s, &u);
	prod = atomic_load_explicit(&s->rx.hdr->prod, memory_order_acquire);
	cons = s->rx.idx;
	if (prod - cons > s->rx.size)
		n = -1;
	else if (u.live && u.arrived && !atomic_load(&s->oobinline))
		/* tcp_inq: with an urgent byte waiting, up to the mark */
		n = u.pos - cons;
	else
		n = prod - cons;
	pthread_mutex_unlock(&s->rx_lock);
	return n;
}

int
rs_stream_atmark(struct rs_sock *s)
{
	struct urg_view u;
	int r;

	rs_rx_lock(s);
	urg_sync(s, &u);
	/* tcp_ioctl: urg_data && urg_seq == copied_seq */
	r = u.live && u.pos == s->rx.idx;
	pthread_mutex_unlock(&s->rx_lock);
	return r;
}

/* tcp_set_rcvlowat's bound: half the receive buffer, here the ring (the
 * window never exceeds it) or SO_RCVBUF once set, so that a read waiting
 * for the mark can always be satisfied. */
uint32_t
rs_stream_lowat_cap(struct rs_sock *s)
{
	uint32_t b = s->rx.size;
	int32_t set = atomic_load(&s->rcvbuf_set);

	if (set > 0 && (uint32_t)set < b)
		b = (uint32_t)set;
	return b / 2 > 0 ? b / 2 : 1;
}

/* SO_RCVLOWAT in bytes: what a read without MSG_WAITALL waits for, and
 * what EPOLLIN needs (sock_rcvlowat) */
static uint32_t
rcv_lowat(struct rs_sock *s)
{
	int v = atomic_load(&s->rcvlowat);
	uint32_t cap = rs_stream_lowat_cap(s);

	if (v <= 1)
		return 1;
	return (uint32_t)v < cap ? (uint32_t)v : cap;
}

uint32_t
rs_stream_mask(struct rs_sock *s)
{
	uint32_t st = rs_stream_state(s), m = 0;
	/* Read once, after the state, and used for EPOLLERR below: a second
	 * read at the end found so_error stored after this look at the state
	 * (worker: so_error, then RESET), and gave EPOLLERR alone for a
	 * refused connect - seen once in 200 runs, state 0x40 with so_error
	 * set, the reset landing microseconds later. */
	int err = atomic_load_explicit(&s->shm->so_error, memory_order_acquire);
	int64_t avail;

	/* The owner stores so_error and then the state that goes with it
	 * (RESET): a look between the two stores would give EPOLLERR without
	 * the EPOLLIN | EPOLLHUP of a reset, which a woken poller never sees
	 * on Linux (tcp_reset sets sk_err before tcp_done). Wait that window
	 * out. It is two adjacent stores, but the worker can be preempted
	 * between them, so the bound is time, 5 ms, read from the vDSO clock
	 * every 256 pauses (no syscall: seccomp'd callers, rs_confine). For
	 * TCP the daemon sets so_error only with that state, so only a daemon
	 * that stopped between the stores costs a caller the 5 ms. (The
	 * EPOLLERR-alone failures once blamed on a too-short bound were the
	 * second read of so_error above.) */
	if (!(st & (RS_SS_RESET | RS_SS_CLOSED | RS_SS_LISTEN)) && err != 0) {
		int64_t end = 0;

		for (uint32_t i = 0; !(st & (RS_SS_RESET | RS_SS_CLOSED)); i++) {
			if ((i & 255) == 0) {
				int64_t now = rs_now_ns();

				if (end == 0)
					end = now + 5000000;
				else if (now > end)
					break;
			}
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			st = rs_stream_state(s);
		}
	}

	if (st & RS_SS_LISTEN)
		/* inet_csk_listen_poll */
		return rs_stream_accept_ready(s) ? EPOLLIN | EPOLLRDNORM : 0;
	if ((rcv_shut(s, st) && snd_shut(s, st)) || st_closed(st))
		m |= EPOLLHUP;
	if (rcv_shut(s, st))
		m |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (!(st & RS_SS_CONNECTING) || (st & (RS_SS_CONNECTED | RS_SS_RESET | RS_SS_CLOSED))) {
		uint32_t cons = atomic_load_explicit(&s->rx.hdr->cons, memory_order_relaxed);
		uint32_t prod = atomic_load_explicit(&s->rx.hdr->prod, memory_order_acquire);
		uint64_t lowat = rcv_lowat(s);
		struct urg_view u;

		avail = rx_avail(s);
		urg_look(s, cons, prod, &u);
		/* tcp_poll: the out-of-band byte next in line is not data
		 * to read; a byte not yet taken with MSG_OOB is EPOLLPRI */
		if (u.live && u.pos == cons && !atomic_load(&s->oobinline))
			lowat++;
		if (u.arrived && !u.read)
			m |= EPOLLPRI;
		/* a corrupt ring is readable: the read says so */
		if (avail < 0 || (avail > 0 && (uint64_t)avail >= lowat))
			m |= EPOLLIN | EPOLLRDNORM;
		if (snd_shut(s, st)) {
			m |= EPOLLOUT | EPOLLWRNORM;
		} else {
			/* __sk_stream_is_writeable: free space at least half
			 * of what is queued */
			uint32_t used = tx_queued(s), lim = tx_limit(s);

			if (used > s->tx.size || (used < lim && lim - used >= used / 2))
				m |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (err != 0)
		m |= EPOLLERR;
	return m;
}

int
rs_stream_sleep(struct rs_sock *s, int64_t deadline, bool (*ready)(struct rs_sock *, void *),
		void *arg)
{
	struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
			       { .fd = rs_daemon_watch_fd(), .events = POLLRDHUP } };
	struct timespec ts, *tsp = NULL;
	int64_t spin_end = rs_now_ns() + rs_spin_ns(), left = -1;
	int rc = 0;

	/* A short polite spin first: a peer on this host answers fast. */
	while (rs_now_ns() < spin_end) {
		if (ready(s, arg) || atomic_load(&s->closed))
			return atomic_load(&s->closed) ? EBADF : 0;
		rs_relax();
	}
	rs_wait_enter(s);
	/* Checked after app_wait is visible: whatever the worker did before
	 * it could see app_wait is found here; after, it wakes us. */
	if (atomic_load(&s->closed)) {
		rc = EBADF;
		goto out;
	}
	if (ready(s, arg))
		goto out;
	/* Only before a real sleep (a system call): a gone daemon wakes
	 * nobody. */
	if (rs_daemon_gone()) {
		rc = ECONNRESET;
		goto out;
	}
	if (deadline != 0) {
		left = deadline - rs_now_ns();
		if (left <= 0) {
			rc = EAGAIN;
			goto out;
		}
	}
	left = rs_wait_slice(s, left);
	if (left >= 0) {
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		tsp = &ts;
	}
	if (ppoll(p, 2, tsp, NULL) < 0 && errno == EINTR)
		rc = EINTR;
	rs_wait_leave_drain(s);
	return rc;
out:
	rs_wait_leave(s);
	return rc;
}

static ssize_t
fail(int err)
{
	errno = err;
	return -1;
}

static int64_t
deadline_of(int64_t timeo)
{
	return timeo == 0 ? 0 : rs_now_ns() + timeo;
}

/*
 * Sending.
 */

static bool
connect_done(struct rs_sock *s, void *arg)
{
	uint32_t st = rs_stream_state(s);

	(void)arg;
	return !(st & RS_SS_CONNECTING) || (st & (RS_SS_CONNECTED | RS_SS_RESET | RS_SS_CLOSED));
}

static bool
tx_ready(struct rs_sock *s, void *arg)
{
	uint32_t st = rs_stream_state(s);

	(void)arg;
	return tx_room(s) > 0 || snd_shut(s, st) || atomic_load(&s->shm->so_error) != 0;
}

/* send(MSG_OOB), under the tx lock: the urgent pointer goes just past
 * tx ring index pos (Linux's tcp_mark_urg: snd_up = write_seq). */
static void
urg_tx_mark(struct rs_sock *s, uint32_t pos)
{
	uint64_t v = atomic_load_explicit(&s->shm->urg_tx, memory_order_relaxed);
	uint32_t gen = RS_URG_GEN(v) + 1;

	if (gen == 0)
		gen = 1;
	atomic_store_explicit(&s->shm->urg_tx, RS_URG_MAKE(gen, pos), memory_order_release);
}

ssize_t
rs_stream_sendmsg(struct rs_sock *s, const struct msghdr *msg, int flags)
{
	bool nonblock = atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT);
	int64_t deadline = -1;
	size_t total = 0, copied = 0, iv = 0, ivoff = 0;
	uint32_t st;
	int err = 0;

	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > SSIZE_MAX - total)
			return fail(EINVAL);
		total += msg->msg_iov[i].iov_len;
	}
	/* sk_stream_wait_connect: wait out an active open */
	if (atomic_load(&s->disconnected)) {
		err = EPIPE;	/* TCP_CLOSE after a failed connect */
		goto do_error;
	}
	for (;;) {
		st = rs_stream_state(s);
		if ((st & RS_SS_CONNECTED) || (st & (RS_SS_RESET | RS_SS_CLOSED)))
			break;
		if (!(st & RS_SS_CONNECTING)) {
			err = EPIPE;	/* never connected, or a listener */
			goto do_error;
		}
		if (nonblock)
			return fail(EAGAIN);
		if (deadline < 0)
			deadline = deadline_of(atomic_load(&s->sndtimeo));
		err = rs_stream_sleep(s, deadline, connect_done, NULL);
		if (err != 0)
			return fail(err);
	}
	rs_tx_lock(s);
	for (;;) {
		uint32_t room;

		st = rs_stream_state(s);
		if (atomic_load(&s->shm->so_error) != 0 || snd_shut(s, st)) {
			err = EPIPE;
			break;
		}
		if (copied == total)
			break;
		room = tx_room(s);
		while (room > 0 && iv < msg->msg_iovlen) {
			const struct iovec *v = &msg->msg_iov[iv];
			size_t want = v->iov_len - ivoff;
			ssize_t n;

			if (want == 0) {
				iv++;
				ivoff = 0;
				continue;
			}
			if (want > room)
				want = room;
			if ((flags & MSG_OOB) && copied + want == total)
				/* the last bytes: marked before they are
				 * published, so the worker never sends them
				 * without URG (sock_shm.h) */
				urg_tx_mark(s, s->tx.idx + (uint32_t)want);
			n = shm_bytes_write(&s->tx, (const uint8_t *)v->iov_base + ivoff, want);
			if (n < 0) {
				err = EPROTO;
				break;
			}
			if (n == 0)
				break;
			room -= (uint32_t)n;
			copied += (size_t)n;
			ivoff += (size_t)n;
			if (ivoff == v->iov_len) {
				iv++;
				ivoff = 0;
			}
		}
		if (err != 0)
			break;
		if (copied == total)
			break;
		/* Full: let the worker send what is there while we wait. */
		if (copied > 0) {
			err = rs_doorbell(s);
			if (err != 0)
				break;
		}
		if (nonblock) {
			err = EAGAIN;
			break;
		}
		if (deadline < 0)
			deadline = deadline_of(atomic_load(&s->sndtimeo));
		err = rs_stream_sleep(s, deadline, tx_ready, NULL);
		if (err != 0)
			break;
	}
	/* tcp_sendmsg: a partial send marks the end of what it queued */
	if ((flags & MSG_OOB) && copied > 0 && copied < total)
		urg_tx_mark(s, s->tx.idx);
	pthread_mutex_unlock(&s->tx_lock);
	if (copied > 0) {
		int e = rs_doorbell(s);

		if (e != 0 && err == 0)
			err = e;
		return (ssize_t)copied;
	}
	if (err == 0)
		return 0;
do_error:
	/* sk_stream_error: a pending error first, then EPIPE and SIGPIPE */
	if (err == EPIPE) {
		int e = rs_take_so_error(s);

		if (e != 0)
			err = e;
	}
	if (err == EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return fail(err);
}

/*
 * Receiving.
 */

/* After a read of n bytes from a ring that had free bytes before it:
 * whether the worker should look at its window (sock_shm.h). Emptying the
 * ring counts too: the engine's window is bounded by its auto-tuned clamp
 * as well as by the ring (a 64 KiB clamp is shut by one loopback segment
 * while the ring is three quarters free), and only the worker knows which;
 * an application that took everything is where Linux's tcp_cleanup_rbuf
 * would reopen the window. */
static bool
rx_notify(struct rs_sock *s, uint32_t free_before, uint32_t n)
{
	uint32_t q = s->rx.size / 4;

	return n >= q || (free_before < q && free_before + n >= q) ||
	       (n > 0 && free_before + n >= s->rx.size);
}

struct rx_need {
	uint32_t bytes;	/* ready once this many bytes are queued */
};

static bool
rx_ready(struct rs_sock *s, void *arg)
{
	const struct rx_need *need = arg;
	int64_t avail = rx_avail(s);

	return avail < 0 || avail >= need->bytes || atomic_load(&s->shm->so_error) != 0 ||
	       rcv_shut(s, rs_stream_state(s));
}

/* tcp_recv_urg: the out-of-band byte, never waiting. */
static ssize_t
recv_urg(struct rs_sock *s, struct msghdr *msg, size_t total, int flags)
{
	struct urg_view u;
	uint32_t st;
	uint8_t c;
	ssize_t n;

	if (atomic_load(&s->oobinline))
		return fail(EINVAL);	/* "Yes this is right !" (Linux) */
	rs_rx_lock(s);
	urg_sync(s, &u);
	if (!u.live || u.read) {
		pthread_mutex_unlock(&s->rx_lock);
		return fail(EINVAL);
	}
	if (u.arrived) {
		n = shm_bytes_peek_at(&s->rx, u.pos - s->rx.idx, &c, 1);
		if (n != 1) {
			pthread_mutex_unlock(&s->rx_lock);
			return fail(EPROTO);
		}
		if (!(flags & MSG_PEEK))
			atomic_store_explicit(&s->shm->urg_st, RS_URG_ST_LIVE | RS_URG_ST_READ,
					      memory_order_release);
		pthread_mutex_unlock(&s->rx_lock);
		msg->msg_flags |= MSG_OOB;
		if (total == 0) {
			msg->msg_flags |= MSG_TRUNC;
			return 0;
		}
		if (!(flags & MSG_TRUNC)) {
			for (size_t i = 0; i < msg->msg_iovlen; i++) {
				if (msg->msg_iov[i].iov_len > 0) {
					*(uint8_t *)msg->msg_iov[i].iov_base = c;
					break;
				}
			}
		}
		return 1;
	}
	pthread_mutex_unlock(&s->rx_lock);
	st = rs_stream_state(s);
	if (st_closed(st) || rcv_shut(s, st))
		return 0;
	/* the pointer came, its byte not yet: BSD and Linux never wait */
	return fail(EAGAIN);
}

ssize_t
rs_stream_recvmsg(struct rs_sock *s, struct msghdr *msg, int flags)
{
	bool nonblock = atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT);
	bool peek = (flags & MSG_PEEK) != 0, trunc = (flags & MSG_TRUNC) != 0;
	int64_t deadline = -1;
	size_t total = 0, copied = 0, iv = 0, ivoff = 0, target;
	uint32_t peek_skip = 0;	/* a peek steps over the out-of-band byte */
	bool notify = false;
	int err = 0;

	if (flags & MSG_ERRQUEUE)
		return fail(EAGAIN);	/* no error queue is kept */
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > SSIZE_MAX - total)
			return fail(EINVAL);
		total += msg->msg_iov[i].iov_len;
	}
	if (atomic_load(&s->listening) || (rs_stream_state(s) & RS_SS_LISTEN))
		return fail(ENOTCONN);
	msg->msg_namelen = 0;
	msg->msg_controllen = 0;
	msg->msg_flags = 0;
	if (flags & MSG_OOB)
		return recv_urg(s, msg, total, flags);
	/* sock_rcvlowat: MSG_WAITALL wants everything, else SO_RCVLOWAT */
	target = (flags & MSG_WAITALL) ? total : rcv_lowat(s) < total ? rcv_lowat(s) : total;
	if (target > s->rx.size && peek)
		target = s->rx.size;	/* a peek can never see more than the ring */
	if (total == 0)
		target = 0;

	rs_rx_lock(s);
	for (;;) {
		ssize_t used = shm_bytes_used(&s->rx);
		uint32_t st;

		if (used < 0) {
			err = EPROTO;
			break;
		}
		if (peek) {
			/* Linux copies as it peeks: what is there once no
			 * more will come, or the caller will not wait */
			uint32_t skip = 0;
			int64_t span = used > 0 ? urg_span(s, (uint32_t)used, 0, &skip) : 0;

			peek_skip = skip;
			if (span > 0 &&
			    ((size_t)used >= target || nonblock ||
			     atomic_load(&s->shm->so_error) != 0 ||
			     rcv_shut(s, rs_stream_state(s)))) {
				size_t off = skip, end = skip + (size_t)span;

				/* as tcp_recvmsg peeks: past the out-of-band
				 * byte at the head, up to the next mark */
				for (size_t i = 0; i < msg->msg_iovlen && off < end; i++) {
					size_t want = msg->msg_iov[i].iov_len;
					ssize_t n;

					if (want > end - off)
						want = end - off;
					n = shm_bytes_peek_at(&s->rx, off, msg->msg_iov[i].iov_base, want);
					if (n < 0) {
						err = EPROTO;
						break;
					}
					off += (size_t)n;
				}
				copied = off - skip;
				break;
			}
		} else if (used > 0 && copied < total) {
			uint32_t free_before = s->rx.size - (uint32_t)used, got = 0, skip = 0;
			int64_t span = urg_span(s, (uint32_t)used, copied, &skip);

			if (span < 0)
				break;	/* tcp_recvmsg: stop before the urgent mark */
			if (skip > 0) {
				/* the out-of-band byte is not data (no
				 * SO_OOBINLINE): stepped over */
				if (shm_bytes_skip(&s->rx, skip) != (ssize_t)skip) {
					err = EPROTO;
					break;
				}
				got += skip;
				if (span == 0) {
					if (rx_notify(s, free_before, got))
						notify = true;
					continue;
				}
			}
			while (iv < msg->msg_iovlen && copied < total && span > 0) {
				const struct iovec *v = &msg->msg_iov[iv];
				size_t want = v->iov_len - ivoff;
				ssize_t n;

				if (want == 0) {
					iv++;
					ivoff = 0;
					continue;
				}
				if (want > (uint64_t)span)
					want = (size_t)span;
				n = trunc ? shm_bytes_skip(&s->rx, want)
					  : shm_bytes_read(&s->rx, (uint8_t *)v->iov_base + ivoff, want);
				if (n < 0) {
					err = EPROTO;
					break;
				}
				if (n == 0)
					break;
				span -= n;
				got += (uint32_t)n;
				copied += (size_t)n;
				ivoff += (size_t)n;
				if (ivoff == v->iov_len) {
					iv++;
					ivoff = 0;
				}
			}
			if (rx_notify(s, free_before, got))
				notify = true;
			if (err != 0)
				break;
			if (copied >= target)
				break;
			continue;
		}
		/* a zero-length read returns 0 once data is there, and
		 * otherwise waits or fails as any read (tcp_recvmsg's
		 * target is at least 1) */
		if (copied >= target && !peek && (total > 0 || used > 0))
			break;
		/* Nothing (more) to take now: tcp_recvmsg's order. */
		st = rs_stream_state(s);
		if (copied > 0) {
			if (nonblock || atomic_load(&s->shm->so_error) != 0 || rcv_shut(s, st))
				break;
		} else {
			if (atomic_load(&s->shm->so_error) != 0) {
				err = rs_take_so_error(s);
				if (err != 0)
					break;
			}
			if (rcv_shut(s, st))
				break;	/* end of stream: 0 */
			if (!(st & (RS_SS_CONNECTED | RS_SS_CONNECTING))) {
				err = ENOTCONN;
				break;
			}
			if (nonblock) {
				err = EAGAIN;
				break;
			}
		}
		/* Sleep without the lock: another thread may poll the ring. */
		if (notify) {
			rs_doorbell(s);
			notify = false;
		}
		pthread_mutex_unlock(&s->rx_lock);
		if (deadline < 0)
			deadline = deadline_of(atomic_load(&s->rcvtimeo));
		{
			struct rx_need need = {
				.bytes = peek ? (uint32_t)(target > s->rx.size ? s->rx.size : target)
					      : 1,
			};

			if (peek && need.bytes < s->rx.size)
				need.bytes += peek_skip;

			if (need.bytes == 0)
				need.bytes = 1;
			err = rs_stream_sleep(s, deadline, rx_ready, &need);
		}
		rs_rx_lock(s);
		if (err != 0)
			break;
	}
	pthread_mutex_unlock(&s->rx_lock);
	if (notify)
		rs_doorbell(s);
	if (copied > 0)
		return (ssize_t)copied;
	return err == 0 ? 0 : fail(err);
}
