/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock, readiness: rs_epoll_create1/ctl/wait, and rs_event_fd for
 * applications with their own event loop.
 *
 * An rs socket's readiness lives in its rings (rs_sock_mask), not in the
 * kernel: the kernel only learns of a datagram when the worker writes the
 * socket's eventfd, which it does only while app_wait is set. So:
 *
 *  - An rs epoll descriptor is a real kernel epoll fd (unique, and ordinary
 *    descriptors added to it are watched by the kernel as usual). Each rs
 *    socket added to it has its eventfd registered there too, edge-triggered,
 *    as a wake-up source only. rs_epoll_wait scans the rings of its rs
 *    sockets first (no system call when one is ready, except one
 *    non-blocking epoll_wait when ordinary descriptors are registered);
 *    only when nothing is ready does it set app_wait on them, scan again
 *    (a datagram the worker wrote before it could see app_wait is found
 *    here), and sleep in epoll_wait on the kernel fd. The wake descriptor
 *    is a datagram socket (one byte per wake-up): the wake-ups that woke
 *    the kernel epoll are consumed (rs_drain), or its receive buffer
 *    fills after a few hundred, the worker's next ones are refused and
 *    no edge ever comes again (an edge-triggered server stalled after a
 *    few MB). A thread blocked in rs_recv on the same socket may lose its
 *    wake-up that way; such sleeps are cut into RS_SHARED_SLICE_NS slices.
 *  - Edge-triggered rs sockets remember the rx producer index, the tx
 *    consumer index and whether an error was pending when last reported:
 *    a new datagram (for EPOLLIN), room freed by the worker (for EPOLLOUT)
 *    or a new error is an edge, as the wake-ups Linux's ep_poll_callback
 *    would see.
 *  - Nobody signals transmit room: while an rs socket waits for EPOLLOUT
 *    and the worker has datagrams to take from its ring, the sleep is cut
 *    into 1 ms slices.
 *
 * rs_event_fd: one more kernel epoll fd, holding the eventfds of every open
 * rs socket (edge-triggered). It is readable once the worker wrote one of
 * them, which it does only for sockets armed with rs_event_arm; that
 * harvests the epoll fd (so it is no longer readable), sets app_wait on
 * every socket and then looks at their rings.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <fcntl.h>

#include "ringstack/socket.h"
#include "rs_priv.h"

/* data.u64 of an ordinary descriptor in the kernel epoll; an rs socket's
 * eventfd has its bare descriptor number. */
#define KTAG (1ull << 32)
/* data.u64 of the daemon's socket in the kernel epoll (one-shot: its
 * hang-up wakes a sleeper once; then every rs socket of the set shows
 * EPOLLERR | EPOLLHUP, rs_sock_mask). */
#define KTAG_DAEMON (2ull << 32)
/* Events per kernel epoll_wait. */
#define KBATCH 64

static int
fail(int err)
{
	errno = err;
	return -1;
}

/*
 * The process-wide socket list and rs_event_fd.
 */

/* Order: list_lock, then a socket's wait_lock. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rs_sock *list_head;
static int ev_kfd = -1;		/* under list_lock */
static bool ev_daemon_watched;	/* the daemon's socket is in ev_kfd */

/* Puts the daemon's socket in the kernel epoll kfd, once (*watched):
 * one-shot, its hang-up wakes a sleeper once, and then every rs socket
 * shows EPOLLERR | EPOLLHUP (rs_sock_mask). Nothing before the attach. */
static void
watch_daemon_in(int kfd, bool *watched)
{
	struct epoll_event kev = { .events = EPOLLRDHUP | EPOLLONESHOT, .data.u64 = KTAG_DAEMON };
	int fd;

	if (*watched)
		return;
	fd = rs_daemon_watch_fd();
	if (fd >= 0 && epoll_ctl(kfd, EPOLL_CTL_ADD, fd, &kev) == 0)
		*watched = true;
}

static int
ev_add(int kfd, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = data };

	return epoll_ctl(kfd, EPOLL_CTL_ADD, fd, &ev);
}

void
rs_event_sock_open(struct rs_sock *s)
{
	pthread_mutex_lock(&list_lock);
	s->lprev = NULL;
	s->lnext = list_head;
	if (list_head != NULL)
		list_head->lprev = s;
	list_head = s;
	if (ev_kfd >= 0)
		ev_add(ev_kfd, s->fd, (uint64_t)s->fd);
	pthread_mutex_unlock(&list_lock);
}

void
rs_event_sock_close(struct rs_sock *s)
{
	pthread_mutex_lock(&list_lock);
	if (s->lprev != NULL)
		s->lprev->lnext = s->lnext;
	else if (list_head == s)
		list_head = s->lnext;
	if (s->lnext != NULL)
		s->lnext->lprev = s->lprev;
	s->lnext = s->lprev = NULL;
	/* The eventfd is still open (the caller holds a reference) and the
	 * daemon holds a copy, so the kernel would not drop it by itself. */
	if (ev_kfd >= 0)
		epoll_ctl(ev_kfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->ev_armed) {
		s->ev_armed = false;
		rs_wait_leave(s);
	}
	pthread_mutex_unlock(&list_lock);
}

int
rs_event_fd(void)
{
	struct rs_sock *s;
	int fd;

	pthread_mutex_lock(&list_lock);
	if (ev_kfd < 0) {
		fd = epoll_create1(EPOLL_CLOEXEC);
		if (fd < 0) {
			pthread_mutex_unlock(&list_lock);
			return -1;
		}
		for (s = list_head; s != NULL; s = s->lnext)
			ev_add(fd, s->fd, (uint64_t)s->fd);
		ev_kfd = fd;
	}
	fd = ev_kfd;
	pthread_mutex_unlock(&list_lock);
	return fd;
}

/* Under list_lock. */
static void
ev_disarm_locked(void)
{
	struct rs_sock *s;

	for (s = list_head; s != NULL; s = s->lnext) {
		if (s->ev_armed) {
			s->ev_armed = false;
			rs_wait_leave(s);
		}
	}
}

int
rs_event_arm(void)
{
	struct epoll_event kev[KBATCH];
	struct rs_sock *s;
	int n = 0, k;

	pthread_mutex_lock(&list_lock);
	/* Empty the ready list: the fd stops being readable. Edges that come
	 * after this are for datagrams the scan below may or may not see;
	 * either way nothing is lost, at worst one wake-up is spurious. */
	if (ev_kfd >= 0) {
		/* The daemon's hang-up wakes the application's loop too. */
		watch_daemon_in(ev_kfd, &ev_daemon_watched);
		do {
			k = epoll_wait(ev_kfd, kev, KBATCH, 0);
			for (int j = 0; j < k; j++)
				if (kev[j].data.u64 == KTAG_DAEMON)
					rs_daemon_gone();
		} while (k == KBATCH || (k < 0 && errno == EINTR));
	}
	for (s = list_head; s != NULL; s = s->lnext) {
		if (!s->ev_armed) {
			s->ev_armed = true;
			rs_wait_enter(s);
		} else {
			/* kept armed: one wake-up per arming */
			rs_wait_rearm(s);
		}
	}
	atomic_thread_fence(memory_order_seq_cst);
	/* After app_wait is visible (seq_cst in rs_wait_enter): either the
	 * worker sees it and writes the eventfd, or we see its datagram. */
	for (s = list_head; s != NULL; s = s->lnext)
		if (!atomic_load(&s->closed) && (rs_sock_mask(s) & (EPOLLIN | EPOLLERR)))
			n++;
	/* The application will not sleep: spare the worker the signals. */
	if (n > 0)
		ev_disarm_locked();
	pthread_mutex_unlock(&list_lock);
	return n;
}

void
rs_event_disarm(void)
{
	pthread_mutex_lock(&list_lock);
	ev_disarm_locked();
	pthread_mutex_unlock(&list_lock);
}

/*
 * rs epoll instances.
 */

struct rs_ep_item {
	int fd;
	struct rs_sock *s;	/* referenced; NULL: an ordinary descriptor */
	uint32_t events;	/* as given, plus EPOLLERR | EPOLLHUP */
	epoll_data_t data;
	bool off;		/* EPOLLONESHOT fired; until EPOLL_CTL_MOD */
	/* Edge-triggered state, for rs sockets. */
	bool fresh;		/* ADD/MOD: report the current state once */
	bool et_err;
	uint32_t et_rx;		/* rx prod at the last report */
	uint32_t et_tx;		/* tx cons at the last report */
	uint32_t et_st;		/* stream sockets: state word at the last report */
	uint32_t et_acc;	/* listeners: connections counted at the last report */
};

struct rs_ep {
	int kfd;		/* the descriptor: a kernel epoll fd */
	_Atomic int refs;	/* table reference + one per call in progress */
	pthread_mutex_t lock;	/* items, n, cap, nplain, rr */
	struct rs_ep_item *items;
	int n, cap;
	int nplain;		/* ordinary descriptors among the items */
	int rr;			/* where the next scan starts (fairness) */
	bool daemon_watched;	/* the daemon's socket is in kfd (KTAG_DAEMON) */
};

static pthread_rwlock_t ep_tab_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rs_ep *ep_tab[RS_MAX_FD];

static struct rs_ep *
ep_get(int fd)
{
	struct rs_ep *ep = NULL;

	if (fd < 0 || fd >= RS_MAX_FD)
		return NULL;
	pthread_rwlock_rdlock(&ep_tab_lock);
	ep = ep_tab[fd];
	if (ep != NULL)
		atomic_fetch_add(&ep->refs, 1);
	pthread_rwlock_unlock(&ep_tab_lock);
	return ep;
}

static void
ep_put(struct rs_ep *ep)
{
	int i;

	if (atomic_fetch_sub(&ep->refs, 1) != 1)
		return;
	for (i = 0; i < ep->n; i++)
		if (ep->items[i].s != NULL)
			rs_sock_put(ep->items[i].s);
	if (ep->kfd >= 0)
		close(ep->kfd);
	pthread_mutex_destroy(&ep->lock);
	free(ep->items);
	free(ep);
}

static struct rs_ep *
ep_unlink(int fd)
{
	struct rs_ep *ep = NULL;

	if (fd < 0 || fd >= RS_MAX_FD)
		return NULL;
	pthread_rwlock_wrlock(&ep_tab_lock);
	ep = ep_tab[fd];
	ep_tab[fd] = NULL;
	pthread_rwlock_unlock(&ep_tab_lock);
	return ep;
}

int
rs_ep_close(int fd)
{
	struct rs_ep *ep = ep_unlink(fd);

	if (ep == NULL)
		return -1;
	ep_put(ep);
	return 0;
}

void
rs_ep_forget(int fd)
{
	struct rs_ep *ep = ep_unlink(fd);

	if (ep == NULL)
		return;
	/* The application closed it with close(2): the number is somebody
	 * else's now. */
	ep->kfd = -1;
	ep_put(ep);
}

int
rs_epoll_create1(int flags)
{
	struct rs_ep *ep;
	int kfd;

	if (flags & ~EPOLL_CLOEXEC)
		return fail(EINVAL);
	kfd = epoll_create1(flags);
	if (kfd < 0)
		return -1;
	if (kfd >= RS_MAX_FD) {
		close(kfd);
		return fail(EMFILE);
	}
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL) {
		close(kfd);
		return fail(ENOMEM);
	}
	ep->kfd = kfd;
	atomic_init(&ep->refs, 1);
	pthread_mutex_init(&ep->lock, NULL);
	rs_ep_forget(kfd);
	pthread_rwlock_wrlock(&ep_tab_lock);
	ep_tab[kfd] = ep;
	pthread_rwlock_unlock(&ep_tab_lock);
	return kfd;
}

int
rs_epoll_create(int size)
{
	if (size <= 0)
		return fail(EINVAL);
	return rs_epoll_create1(0);
}

/* Under ep->lock. */
static int
item_find(const struct rs_ep *ep, int fd)
{
	int i;

	for (i = 0; i < ep->n; i++)
		if (ep->items[i].fd == fd)
			return i;
	return -1;
}

/* Under ep->lock: forget item i (its reference, not its registration). */
static void
item_drop(struct rs_ep *ep, int i)
{
	struct rs_ep_item *it = &ep->items[i];

	if (it->s != NULL)
		rs_sock_put(it->s);
	else
		ep->nplain--;
	ep->items[i] = ep->items[--ep->n];
	if (ep->rr >= ep->n)
		ep->rr = 0;
}

/* Under ep->lock: drop item i (kernel registration, reference). */
static void
item_remove(struct rs_ep *ep, int i)
{
	struct rs_ep_item *it = &ep->items[i];
	int saved = errno;

	/* EBADF or ENOENT when an ordinary descriptor was closed meanwhile:
	 * the kernel dropped it already. */
	epoll_ctl(ep->kfd, EPOLL_CTL_DEL, it->s != NULL ? it->s->fd : it->fd, NULL);
	errno = saved;
	item_drop(ep, i);
}

/* Under ep->lock: rs sockets closed since they were added go, as close(2)
 * removes a descriptor from every epoll set. */
static void
sweep_closed(struct rs_ep *ep)
{
	int i = 0;

	while (i < ep->n) {
		if (ep->items[i].s != NULL && atomic_load(&ep->items[i].s->closed))
			item_remove(ep, i);
		else
			i++;
	}
}

static void
et_snapshot(struct rs_ep_item *it, uint32_t *rx, uint32_t *tx, bool *err, uint32_t *st,
	    uint32_t *acc)
{
	struct rs_sock *s = it->s;

	*rx = atomic_load_explicit(&s->rx.hdr->prod, memory_order_relaxed);
	*tx = atomic_load_explicit(&s->tx.hdr->cons, memory_order_relaxed);
	*err = atomic_load_explicit(&s->shm->so_error, memory_order_relaxed) != 0;
	*st = *acc = 0;
	if (s->stream) {
		/* A state change (connected, peer FIN, reset) is an edge, as
		 * sk_state_change wakes epoll; a new connection on a
		 * listener is one too. accept_prod only grows. */
		*st = rs_stream_state(s) | ((uint32_t)atomic_load(&s->shut) << 16);
		for (uint32_t w = 0; w < rs_g.nworkers && w < RS_SHM_MAX_WORKERS; w++)
			*acc += atomic_load_explicit(&s->shm->accept_prod[w], memory_order_relaxed);
	}
}

/*
 * Report ready rs sockets into evs[n, max). *tx_poll: an rs socket waits
 * for transmit room that nobody will signal. Returns the new n.
 */
static int
scan_rs(struct rs_ep *ep, struct epoll_event *evs, int n, int max, bool *tx_poll)
{
	int k, i, cnt, last = -1;

	pthread_mutex_lock(&ep->lock);
	sweep_closed(ep);
	cnt = ep->n;
	for (k = 0; k < cnt && n < max; k++) {
		struct rs_ep_item *it;
		uint32_t rev, rx = 0, tx = 0, st = 0, acc = 0;
		bool err = false;

		i = (ep->rr + k) % cnt;
		it = &ep->items[i];
		if (it->s == NULL || it->off)
			continue;
		/* Error and state before the mask: a reset that lands after
		 * this look is a later edge. The ring indices after it: data
		 * (or room, or a connection) that lands between is part of
		 * this report, as an arrival Linux queues before
		 * ep_send_events collects the item, and an edge-triggered
		 * reader drains to EAGAIN and reads it. Taken before the mask,
		 * one datagram landing in between was reported twice. */
		if (it->events & EPOLLET)
			et_snapshot(it, &rx, &tx, &err, &st, &acc);
		rev = rs_sock_mask(it->s) & it->events;
		if (it->events & EPOLLET) {
			bool err2;
			uint32_t st2;

			et_snapshot(it, &rx, &tx, &err2, &st2, &acc);
		}
		if ((it->events & EPOLLOUT) && rs_tx_pending(it->s) &&
		    (!(rev & EPOLLOUT) || (it->events & EPOLLET)))
			*tx_poll = true;
		if (rev == 0)
			continue;
		if (it->events & EPOLLET) {
			bool edge = it->fresh ||
				((it->events & EPOLLIN) && rx != it->et_rx) ||
				((it->events & EPOLLOUT) && tx != it->et_tx) ||
				(err && !it->et_err) || st != it->et_st ||
				((it->events & EPOLLIN) && acc != it->et_acc);

			it->et_err = err;
			if (!edge)
				continue;
			it->fresh = false;
			it->et_rx = rx;
			it->et_tx = tx;
			it->et_st = st;
			it->et_acc = acc;
		}
		evs[n].events = rev;
		evs[n].data = it->data;
		n++;
		last = i;
		if (it->events & EPOLLONESHOT)
			it->off = true;
	}
	/* Level-triggered sockets that stay ready go to the back, as Linux
	 * requeues them: a small maxevents does not starve the others. */
	if (last >= 0 && cnt > 0)
		ep->rr = (last + 1) % cnt;
	pthread_mutex_unlock(&ep->lock);
	return n;
}

/*
 * Harvest the kernel epoll (timeout in ms, -1: forever): ordinary
 * descriptors' events go into evs[n, max) with the caller's data; rs
 * eventfds only woke us. Returns the new n, or -1 with errno (EINTR).
 */
static int
harvest(struct rs_ep *ep, struct epoll_event *evs, int n, int max, int timeout)
{
	struct epoll_event kbuf[KBATCH], *kev = kbuf;
	int want = max - n, k, j, i, nitems;

	/* One kernel call for up to every registration (each item has one:
	 * its descriptor or its wake descriptor), so that a set with more
	 * than KBATCH ready descriptors is reported up to maxevents at once,
	 * each once, as epoll_wait(2) does. */
	pthread_mutex_lock(&ep->lock);
	nitems = ep->n;
	pthread_mutex_unlock(&ep->lock);
	if (want > nitems)
		want = nitems > 0 ? nitems : 1;
	if (want <= 0)
		return n;
	if (want > KBATCH) {
		kev = malloc((size_t)want * sizeof(*kev));
		if (kev == NULL) {
			kev = kbuf;
			want = KBATCH;
		}
	}
	k = epoll_wait(ep->kfd, kev, want, timeout);
	if (k <= 0) {
		if (kev != kbuf)
			free(kev);
		return k < 0 ? -1 : n;
	}
	pthread_mutex_lock(&ep->lock);
	for (j = 0; j < k; j++) {
		if (kev[j].data.u64 == KTAG_DAEMON) {
			rs_daemon_gone();
			continue;
		}
		if (!(kev[j].data.u64 & KTAG)) {
			/* An rs socket's wake descriptor: consume its
			 * datagrams. Left queued they fill its receive
			 * buffer, the worker's next wake-ups are refused and
			 * an edge-triggered sleeper never wakes again. */
			i = item_find(ep, (int)(uint32_t)kev[j].data.u64);
			if (i >= 0 && ep->items[i].s != NULL)
				rs_drain(ep->items[i].s);
			continue;
		}
		i = item_find(ep, (int)(uint32_t)kev[j].data.u64);
		/* Removed meanwhile: the event is for nobody. */
		if (i < 0 || ep->items[i].s != NULL)
			continue;
		evs[n].events = kev[j].events;
		evs[n].data = ep->items[i].data;
		n++;
	}
	pthread_mutex_unlock(&ep->lock);
	if (kev != kbuf)
		free(kev);
	return n;
}

/* Without sleeping: rs sockets, then ordinary descriptors. */
static int
collect(struct rs_ep *ep, struct epoll_event *evs, int max, bool *tx_poll)
{
	int n, nplain;

	*tx_poll = false;
	n = scan_rs(ep, evs, 0, max, tx_poll);
	pthread_mutex_lock(&ep->lock);
	nplain = ep->nplain;
	pthread_mutex_unlock(&ep->lock);
	if (nplain > 0 && n < max) {
		int m = harvest(ep, evs, n, max, 0);

		if (m >= 0)
			n = m;
	}
	return n;
}

/* Set (enter) or clear (leave) app_wait on every rs socket of ep, taking
 * references in *socks (freed by the caller) so that the leave matches the
 * enter even if the set changes meanwhile. Returns the count, -1: ENOMEM. */
static int
wait_all(struct rs_ep *ep, struct rs_sock ***socks)
{
	struct rs_sock **v;
	int i, k = 0;

	pthread_mutex_lock(&ep->lock);
	v = malloc(((size_t)ep->n + 1) * sizeof(*v));
	if (v == NULL) {
		pthread_mutex_unlock(&ep->lock);
		return -1;
	}
	for (i = 0; i < ep->n; i++) {
		struct rs_sock *s = ep->items[i].s;

		if (s == NULL || ep->items[i].off)
			continue;
		atomic_fetch_add(&s->refs, 1);
		rs_wait_enter(s);
		v[k++] = s;
	}
	pthread_mutex_unlock(&ep->lock);
	*socks = v;
	return k;
}

static void
leave_all(struct rs_sock **v, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		rs_wait_leave(v[i]);
		rs_sock_put(v[i]);
	}
	free(v);
}

int
rs_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	struct rs_ep *ep;
	int64_t deadline, spin_end = 0;
	bool tx_poll;
	int n = 0, err = 0;

	/* do_epoll_wait's order of checks. */
	if (maxevents <= 0 || maxevents > INT32_MAX / (int)sizeof(struct epoll_event))
		return fail(EINVAL);
	if (events == NULL)
		return fail(EFAULT);
	ep = ep_get(epfd);
	if (ep == NULL)
		/* A kernel epoll fd of the application's, or no epoll at all:
		 * the kernel answers (EBADF, EINVAL). */
		return epoll_wait(epfd, events, maxevents, timeout);
	rs_procs_sweep();
	deadline = timeout < 0 ? 0 : rs_now_ns() + (int64_t)timeout * 1000000;
	for (;;) {
		struct rs_sock **socks;
		int64_t left;
		int k, ms;

		n = collect(ep, events, maxevents, &tx_poll);
		if (n > 0 || timeout == 0)
			break;
		if (spin_end == 0)
			spin_end = rs_now_ns() + rs_spin_ns();
		if (rs_now_ns() < spin_end) {
			rs_relax();
			continue;
		}
		ms = -1;
		if (deadline != 0) {
			left = deadline - rs_now_ns();
			if (left <= 0)
				break;
			ms = (int)((left + 999999) / 1000000);
		}
		if (tx_poll && (ms < 0 || ms > 1))
			ms = 1;
		/* Sleep: app_wait on, look again, then the kernel (which the
		 * daemon's hang-up also wakes). */
		pthread_mutex_lock(&ep->lock);
		watch_daemon_in(ep->kfd, &ep->daemon_watched);
		pthread_mutex_unlock(&ep->lock);
		k = wait_all(ep, &socks);
		if (k < 0) {
			err = ENOMEM;
			break;
		}
		tx_poll = false;
		n = scan_rs(ep, events, 0, maxevents, &tx_poll);
		if (n == 0) {
			n = harvest(ep, events, 0, maxevents, ms);
			if (n < 0)
				err = errno;
			else if (n < maxevents)
				n = scan_rs(ep, events, n, maxevents, &tx_poll);
		}
		leave_all(socks, k);
		if (err != 0 || n > 0)
			break;
	}
	ep_put(ep);
	return err != 0 ? fail(err) : n;
}

int
rs_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct epoll_event kev;
	struct rs_ep_item *it;
	struct rs_sock *s;
	struct rs_ep *ep;
	int i, rc = 0, saved = errno;

	/* The order of Linux's checks (do_epoll_ctl). */
	if (op != EPOLL_CTL_DEL && event == NULL)
		return fail(EFAULT);
	ep = ep_get(epfd);
	s = rs_sock_get(fd);
	errno = saved;
	if (ep == NULL) {
		if (s == NULL)
			/* Not ours at all: the kernel's business. */
			return epoll_ctl(epfd, op, fd, event);
		rs_sock_put(s);
		if (fcntl(epfd, F_GETFD) < 0)
			return fail(EBADF);
		/* An rs socket in a kernel epoll set would be its bare
		 * eventfd, never ready: refused (use rs_event_fd). */
		return fail(EPERM);
	}
	if (s == NULL && fcntl(fd, F_GETFD) < 0) {
		rc = fail(EBADF);
		goto out;
	}
	if (fd == epfd) {
		rc = fail(EINVAL);
		goto out;
	}
	if (op != EPOLL_CTL_DEL && (event->events & EPOLLEXCLUSIVE) && op == EPOLL_CTL_MOD) {
		rc = fail(EINVAL);
		goto out;
	}
	pthread_mutex_lock(&ep->lock);
	sweep_closed(ep);
	i = item_find(ep, fd);
	/* An rs socket closed while in this set kept its number until the
	 * sweep just now: closed is EBADF, as the kernel says. */
	if (s == NULL && i < 0 && fcntl(fd, F_GETFD) < 0) {
		pthread_mutex_unlock(&ep->lock);
		rc = fail(EBADF);
		goto out;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i >= 0 && ep->items[i].s == NULL) {
			/* An ordinary descriptor closed without EPOLL_CTL_DEL
			 * left the kernel's set by itself; its number may be
			 * back. The kernel knows whether it is the same file. */
			if (s == NULL) {
				kev.events = event->events;
				kev.data.u64 = KTAG | (uint32_t)fd;
				if (epoll_ctl(ep->kfd, EPOLL_CTL_ADD, fd, &kev) < 0) {
					rc = -1;	/* EEXIST: it is */
					break;
				}
				ep->items[i].events = event->events | EPOLLERR | EPOLLHUP;
				ep->items[i].data = event->data;
				break;
			}
			/* Now an rs socket: the old file is gone. */
			item_drop(ep, i);
			i = -1;
		}
		if (i >= 0) {
			rc = fail(EEXIST);
			break;
		}
		if (ep->n == ep->cap) {
			int cap = ep->cap ? ep->cap * 2 : 8;
			struct rs_ep_item *v = realloc(ep->items, (size_t)cap * sizeof(*v));

			if (v == NULL) {
				rc = fail(ENOMEM);
				break;
			}
			ep->items = v;
			ep->cap = cap;
		}
		if (s != NULL) {
			rc = ev_add(ep->kfd, s->fd, (uint64_t)fd);
		} else {
			kev.events = event->events;
			kev.data.u64 = KTAG | (uint32_t)fd;
			rc = epoll_ctl(ep->kfd, EPOLL_CTL_ADD, fd, &kev);
		}
		if (rc < 0)
			break;
		it = &ep->items[ep->n++];
		memset(it, 0, sizeof(*it));
		it->fd = fd;
		it->s = s;
		it->events = event->events | EPOLLERR | EPOLLHUP;
		it->data = event->data;
		it->fresh = true;
		if (s == NULL)
			ep->nplain++;
		s = NULL;	/* the item keeps the reference */
		break;
	case EPOLL_CTL_MOD:
		if (i < 0) {
			rc = fail(ENOENT);
			break;
		}
		it = &ep->items[i];
		if (it->events & EPOLLEXCLUSIVE) {
			rc = fail(EINVAL);
			break;
		}
		if (it->s == NULL) {
			kev.events = event->events;
			kev.data.u64 = KTAG | (uint32_t)fd;
			rc = epoll_ctl(ep->kfd, EPOLL_CTL_MOD, fd, &kev);
			if (rc < 0) {
				if (errno == ENOENT)
					/* Closed and reopened (see ADD). */
					item_drop(ep, i);
				break;
			}
		}
		it->events = event->events | EPOLLERR | EPOLLHUP;
		it->data = event->data;
		it->off = false;
		it->fresh = true;
		break;
	case EPOLL_CTL_DEL:
		if (i < 0) {
			rc = fail(ENOENT);
			break;
		}
		if (ep->items[i].s == NULL) {
			/* ENOENT: closed and reopened (see ADD), so not in the
			 * set; either way the item goes. */
			rc = epoll_ctl(ep->kfd, EPOLL_CTL_DEL, fd, NULL);
			item_drop(ep, i);
		} else {
			item_remove(ep, i);
		}
		break;
	default:
		rc = fail(EINVAL);
		break;
	}
	pthread_mutex_unlock(&ep->lock);
out:
	if (s != NULL)
		rs_sock_put(s);
	ep_put(ep);
	return rc;
}

/*
 * For rs_fd_kind and rs_fork_child (rs_proc.c).
 */

bool
rs_ep_present(int fd)
{
	/* A hint without the table lock: one load, never dereferenced. */
	return fd >= 0 && fd < RS_MAX_FD &&
	       __atomic_load_n(&ep_tab[fd], __ATOMIC_ACQUIRE) != NULL;
}

void
rs_ep_fork_child(bool keep)
{
	struct rs_ep *ep;
	int fd, i, j;

	/* As rs_ctl_fork_child: fresh locks; the inherited sockets are
	 * forgotten. An epoll descriptor stays one (for its ordinary
	 * descriptors) but loses its rs sockets. The kernel epoll instance is
	 * shared with the parent, as fork(2) shares it: the child does not
	 * touch it, and the rs sockets' wake descriptors in it are ignored
	 * (no item of the child's names them). */
	pthread_mutex_init(&list_lock, NULL);
	pthread_rwlock_init(&ep_tab_lock, NULL);
	list_head = NULL;
	ev_kfd = -1;	/* left open: the application may hold the number */
	ev_daemon_watched = false;
	for (fd = 0; fd < RS_MAX_FD; fd++) {
		ep = ep_tab[fd];
		if (ep == NULL)
			continue;
		pthread_mutex_init(&ep->lock, NULL);
		atomic_store(&ep->refs, 1);
		/* keep: the child kept the attachment and the sockets still
		 * in the table (rs_ctl_fork_child), whose references are
		 * counted afresh: one for the table, one per item. */
		for (i = 0, j = 0; i < ep->n; i++) {
			struct rs_sock *s = ep->items[i].s;

			if (s != NULL && (!keep || atomic_load(&s->closed) || !rs_sock_present(s->fd)))
				continue;
			if (s != NULL)
				atomic_fetch_add(&s->refs, 1);
			ep->items[j++] = ep->items[i];
		}
		ep->n = j;
		ep->rr = 0;
	}
}
