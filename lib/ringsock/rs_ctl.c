/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock, control side: attaching to ringstackd (lib/sock/sock_shm.h),
 * the descriptor table, and every call that is a control operation.
 *
 * The segment comes from the daemon; it is validated once here (offsets,
 * sizes, ring geometry against the mapped length) so that a broken daemon
 * makes calls fail with EPROTO rather than make the application fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl_proto.h"
#include "ringstack/socket.h"
#include "rs_priv.h"

#define RS_CTL_DEFAULT "/run/ringstack/ctl.sock"
#define RS_ATTACH_TIMEOUT_S 5

struct rs_proc rs_g;
atomic_bool rs_confined;

void
rs_confine(void)
{
	atomic_store(&rs_confined, true);
}
pthread_mutex_t rs_bell_lock[RS_SHM_MAX_WORKERS] = {
	[0 ... RS_SHM_MAX_WORKERS - 1] = PTHREAD_MUTEX_INITIALIZER,
};

/* Control operations and the attach: one at a time per process, as the
 * contract requires (one request in flight). */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

/* fd -> socket. Read-locked for lookups, write-locked to insert/remove, so
 * that a lookup's reference is taken before rs_close can drop the table's. */
static pthread_rwlock_t tab_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rs_sock *tab[RS_MAX_FD];

int64_t
rs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* How long a blocking call polls its rings before it sleeps in the
 * kernel: RINGSTACK_SPIN_US microseconds (0-100000; 0 = sleep at once),
 * read once; RS_SPIN_NS_DEFAULT otherwise. */
int64_t
rs_spin_ns(void)
{
	static _Atomic int64_t v = -1;
	int64_t r = atomic_load_explicit(&v, memory_order_relaxed);
	const char *e;
	char *end;
	long u;

	if (r >= 0)
		return r;
	r = RS_SPIN_NS_DEFAULT;
	e = getenv("RINGSTACK_SPIN_US");
	if (e != NULL && *e != '\0') {
		errno = 0;
		u = strtol(e, &end, 10);
		if (errno == 0 && *end == '\0' && u >= 0 && u <= 100000)
			r = (int64_t)u * 1000;
	}
	atomic_store_explicit(&v, r, memory_order_relaxed);
	return r;
}

/*
 * Descriptor table.
 */

struct rs_sock *
rs_sock_get(int fd)
{
	struct rs_sock *s = NULL;

	if (fd >= 0 && fd < RS_MAX_FD) {
		pthread_rwlock_rdlock(&tab_lock);
		s = tab[fd];
		if (s != NULL)
			atomic_fetch_add(&s->refs, 1);
		pthread_rwlock_unlock(&tab_lock);
	}
	if (s == NULL)
		/* Open but not ours (a pipe, a kernel socket) is ENOTSOCK
		 * as the kernel says for non-sockets; closed is EBADF. */
		errno = (fd < 0 || fcntl(fd, F_GETFD) < 0) ? EBADF : ENOTSOCK;
	return s;
}

void
rs_sock_put(struct rs_sock *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	/* Last reference: no call is inside the socket any more, so the
	 * descriptor number can go back to the kernel. */
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->rx_lock);
	pthread_mutex_destroy(&s->tx_lock);
	pthread_mutex_destroy(&s->wait_lock);
	free(s);
}

/*
 * Waiting on the eventfd.
 */

void
rs_wait_enter(struct rs_sock *s)
{
	pthread_mutex_lock(&s->wait_lock);
	/* Armed again: the daemon sends one wake-up per arming (sock_shm.h),
	 * whoever of our threads or processes armed before. */
	rs_wait_rearm(s);
	/* seq_cst, then the caller checks the ring again: either the worker
	 * sees app_wait and signals, or we see its datagram (sock_shm.h).
	 * app_wait counts the processes with a sleeper (forked processes
	 * share the slot: docs/fork.md); the daemon only tests it for 0. */
	if (s->nwait++ == 0)
		atomic_fetch_add(&s->shm->app_wait, 1);
	else
		atomic_thread_fence(memory_order_seq_cst);
	pthread_mutex_unlock(&s->wait_lock);
}

/* One place decrements app_wait (it counts processes with a sleeper:
 * forked processes share the slot, docs/fork.md); drain: consume the
 * pending wake-ups, only when this is the process's last sleeper. */
static void
wait_leave(struct rs_sock *s, bool drain)
{
	pthread_mutex_lock(&s->wait_lock);
	/* Alone: nobody else can be between its check of the rings and its
	 * ppoll. A thread that enters after this checks the rings after the
	 * events whose wake-ups were consumed here were published. (Alone in
	 * this process: another process sharing the socket after fork sleeps
	 * in bounded slices, rs_wait_slice.) */
	if (drain && s->nwait == 1)
		rs_drain(s);
	if (--s->nwait == 0)
		atomic_fetch_sub(&s->shm->app_wait, 1);
	pthread_mutex_unlock(&s->wait_lock);
}

void
rs_wait_leave(struct rs_sock *s)
{
	wait_leave(s, false);
}

void
rs_wait_leave_drain(struct rs_sock *s)
{
	wait_leave(s, true);
}

void
rs_wait_rearm(struct rs_sock *s)
{
	/* Loaded first: the store dirties a line the worker reads. seq_cst
	 * store: it is visible before the caller looks at the rings. */
	if (atomic_load_explicit(&s->shm->app_woken, memory_order_relaxed) != 0)
		atomic_store(&s->shm->app_woken, 0);
}

void
rs_drain(struct rs_sock *s)
{
	char b[64];

	/* One byte per wake-up; a bounded number of reads (a full queue holds
	 * a few hundred): what is left only makes a sleeper look once more. */
	for (int i = 0; i < 8; i++)
		if (read(s->fd, b, sizeof(b)) <= 0)
			break;
	/* The wake-up is consumed: the next event sends another, for any
	 * other sleeper of the socket (a thread in another call, another
	 * process) that armed before us and whose byte this was. After the
	 * reads: one sent in between is then only spurious, not lost. */
	rs_wait_rearm(s);
}

int64_t
rs_wait_slice(struct rs_sock *s, int64_t left)
{
	int n;

	pthread_mutex_lock(&s->wait_lock);
	n = s->nwait;
	pthread_mutex_unlock(&s->wait_lock);
	/* another process asleep on the same socket (a shared listener) */
	if (rs_forked() && atomic_load_explicit(&s->shm->app_wait, memory_order_relaxed) > 1)
		n = 2;
	if (n > 1 && (left < 0 || left > RS_SHARED_SLICE_NS))
		return RS_SHARED_SLICE_NS;
	return left;
}

int
rs_take_so_error(struct rs_sock *s)
{
	int e;

	/* Cheap load first: the exchange dirties a line the worker writes. */
	if (atomic_load_explicit(&s->shm->so_error, memory_order_relaxed) == 0)
		return 0;
	e = atomic_exchange(&s->shm->so_error, 0);
	if (e < 0 || e > 4095)
		return EPROTO;	/* the daemon wrote garbage */
	return e;
}

int
rs_daemon_watch_fd(void)
{
	return rs_g.attached && !atomic_load(&rs_g.dead) ? rs_g.usock : -1;
}

bool
rs_daemon_gone(void)
{
	struct pollfd p;

	if (atomic_load(&rs_g.dead))
		return true;
	if (!rs_g.attached)
		return false;
	/* Only look for the hang-up: the bytes on the socket belong to the
	 * control operation that may be in flight in another thread. */
	p.fd = rs_g.usock;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
		atomic_store(&rs_g.dead, true);
	return atomic_load(&rs_g.dead);
}

/*
 * Attach.
 */

/* Read exactly len bytes; the first fd that comes with them lands in *fdp.
 * 0, or -errno (ETIMEDOUT when the receive timeout expires). */
static int
recv_full_fd(int sock, uint8_t *buf, size_t len, int *fdp)
{
	size_t got = 0;

	while (got < len) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * 4)];
		} cbuf;
		struct iovec iov = { buf + got, len - got };
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
		};
		struct cmsghdr *c;
		ssize_t n;

		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
			size_t i, nfd;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfd; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				/* Keep the first, close extras: a daemon
				 * that sends more must not leak them. */
				if (*fdp < 0)
					*fdp = fd;
				else
					close(fd);
			}
		}
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

static int
send_full(int sock, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(sock, buf + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/* 0 if desc describes a ring inside the mapping. */
static int
desc_ok(const struct rs_shm_ring_desc *d, size_t map_len)
{
	return shm_ring_layout_check(map_len, d->hdr_off, d->data_off, d->size);
}

static int
view_init(struct shm_ring *r, uint8_t *base, const struct rs_shm_ring_desc *d,
	  enum shm_ring_side side)
{
	return shm_ring_init(r, (struct shm_ring_hdr *)(void *)(base + d->hdr_off),
			     base + d->data_off, d->size, side);
}

/* Validate the mapped segment and set up the process rings. 0 or -EPROTO. */
static int
segment_setup(uint8_t *base, size_t size)
{
	struct rs_shm_hdr h;
	uint64_t socks_end;

	/* One copy, validated, then used: the daemon could rewrite it. */
	memcpy(&h, base, sizeof(h));
	if (h.magic != RS_SHM_MAGIC || h.version != RS_SHM_VERSION || h.size != size)
		return -EPROTO;
	if (h.max_socks == 0 || h.socks_off % 64 != 0 || h.socks_off < sizeof(h) ||
	    h.socks_off > size || h.nworkers == 0 || h.nworkers > RS_SHM_MAX_WORKERS)
		return -EPROTO;
	socks_end = h.socks_off + (uint64_t)h.max_socks * sizeof(struct rs_shm_sock);
	if (socks_end > size || socks_end < h.socks_off)
		return -EPROTO;
	if (desc_ok(&h.req, size) < 0 || desc_ok(&h.cpl, size) < 0)
		return -EPROTO;
	if (view_init(&rs_g.req, base, &h.req, SHM_RING_PROD) < 0 ||
	    view_init(&rs_g.cpl, base, &h.cpl, SHM_RING_CONS) < 0)
		return -EPROTO;
	for (uint32_t w = 0; w < h.nworkers; w++)
		if (desc_ok(&h.bell[w], size) < 0 ||
		    view_init(&rs_g.bell[w], base, &h.bell[w], SHM_RING_PROD) < 0)
			return -EPROTO;
	rs_g.nworkers = h.nworkers;
	rs_g.max_socks = h.max_socks;
	rs_g.socks_off = h.socks_off;
	rs_g.addrs = NULL;
	if (h.addrs_off != 0) {
		if (h.addrs_off % 8 != 0 || h.addrs_off < sizeof(h) || h.addrs_off > size ||
		    h.addrs_off + sizeof(struct rs_shm_addrs) > size)
			return -EPROTO;
		rs_g.addrs = (const struct rs_shm_addrs *)(const void *)(base + h.addrs_off);
	}
	return 0;
}

/*
 * Processes sharing the attachment (rs_priv.h, docs/fork.md).
 */

void
rs_plock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		/* Its holder died inside: the rings it used are resynced by
		 * the next user; a request it left unanswered is skipped by
		 * sequence number. */
		pthread_mutex_consistent(m);
}

/* starttime (field 22) of /proc/PID/stat, 0 if the process is gone or a
 * zombie. */
static uint64_t
proc_start(int pid)
{
	char path[32], buf[512], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after the command name, which may hold anything but ends at the
	 * last ')': state is field 3, starttime field 22 */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (i = 3; i < 22 && p != NULL; i++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

/* Under procs->ctl: whether process entry i may still hold sockets. */
static bool
proc_alive(int i)
{
	struct rs_procs *pr = rs_g.procs;
	uint64_t now;

	if (pr->proc[i].pid == -1)
		return true;	/* a child being forked */
	if (pr->proc[i].pid <= 0)
		return false;
	now = proc_start(pr->proc[i].pid);
	if (now != 0)	/* start 0: it forked where /proc could not be read */
		return pr->proc[i].start == 0 || now == pr->proc[i].start;
	/* Gone or a zombie; or there is no /proc to read here (a chroot:
	 * sshd's privilege-separated child), where nobody can be proven
	 * dead: keep the holder, or its socket would close under it. */
	return proc_start(getpid()) == 0;
}

/* Under procs->ctl: entry i is dead: its holds go. */
static void
proc_forget(int i)
{
	struct rs_procs *pr = rs_g.procs;

	for (uint32_t sd = 0; sd < rs_g.max_socks; sd++)
		pr->holders[sd] &= ~(1ull << i);
	pr->proc[i].pid = 0;
	pr->proc[i].start = 0;
}

static int ctl_op_locked(struct rs_sreq *req, struct rs_scpl *cpl, int *newfd, bool nowait);
static void sreq_init(struct rs_sreq *req, enum rs_sop op, int sd);
static void pctl_lock(void);

/* Under ctl_lock and procs->ctl: entry i (not ours) is dead. Its holds go,
 * and a socket it was the last to hold is closed with the daemon, as the
 * kernel closes the descriptors of a process that died (a forked server
 * worker killed by a signal: its connections get their FIN or RST instead
 * of staying open for the life of the attachment). */
static void
proc_reap(int i)
{
	struct rs_procs *pr = rs_g.procs;

	for (uint32_t sd = 0; sd < rs_g.max_socks; sd++) {
		if (!(pr->holders[sd] & (1ull << i)))
			continue;
		pr->holders[sd] &= ~(1ull << i);
		if (pr->holders[sd] == 0 && !atomic_load(&rs_g.dead)) {
			struct rs_sreq req;
			struct rs_scpl cpl;

			sreq_init(&req, RS_SOP_CLOSE, (int)sd);
			ctl_op_locked(&req, &cpl, NULL, false);
		}
	}
	proc_forget(i);
}

void
rs_procs_sweep(void)
{
	struct rs_procs *pr = rs_g.procs;
	int64_t now, due;

	if (pr == NULL || !rs_forked())
		return;
	now = rs_now_ns();
	due = atomic_load_explicit(&pr->sweep_ns, memory_order_relaxed);
	if (now < due || !atomic_compare_exchange_strong(&pr->sweep_ns, &due,
							  now + RS_SWEEP_NS))
		return;	/* not yet, or another process took this round */
	pthread_mutex_lock(&ctl_lock);
	pctl_lock();
	for (int i = 0; i < RS_PROCS_MAX; i++)
		if (i != rs_g.pidx && pr->proc[i].pid != 0 && !proc_alive(i))
			proc_reap(i);
	pthread_mutex_unlock(&pr->ctl);
	pthread_mutex_unlock(&ctl_lock);
}

/* Under ctl_lock, at attach: the block forked processes will share, with
 * us as its first process. */
static int
procs_setup(void)
{
	pthread_mutexattr_t ma;
	struct rs_procs *pr;
	size_t len = sizeof(*pr) + (size_t)rs_g.max_socks * sizeof(uint64_t);
	int w;

	pr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pr == MAP_FAILED)
		return -errno;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&pr->ctl, &ma);
	for (w = 0; w < RS_SHM_MAX_WORKERS; w++)
		pthread_mutex_init(&pr->bell[w], &ma);
	pthread_mutexattr_destroy(&ma);
	pr->proc[0].pid = getpid();
	pr->proc[0].start = proc_start(getpid());
	rs_g.procs = pr;
	rs_g.procs_len = len;
	rs_g.pidx = 0;
	return 0;
}

/* Take the shared control lock, with the request and completion rings
 * resynced when other processes use them. */
static void
pctl_lock(void)
{
	rs_plock(&rs_g.procs->ctl);
	if (rs_forked()) {
		shm_ring_resync(&rs_g.req);
		shm_ring_resync(&rs_g.cpl);
	}
}

/* How long the attach may wait for the daemon's answer: 5 s, or
 * RINGSTACK_ATTACH_TIMEOUT seconds (1-3600) for a daemon that answers
 * slowly (under valgrind, on an overloaded machine). Anything else in it
 * is ignored: the default holds. */
static time_t
attach_timeout_s(void)
{
	const char *e = getenv("RINGSTACK_ATTACH_TIMEOUT");
	char *end;
	long v;

	if (e == NULL || *e == '\0')
		return RS_ATTACH_TIMEOUT_S;
	errno = 0;
	v = strtol(e, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 3600)
		return RS_ATTACH_TIMEOUT_S;
	return (time_t)v;
}

/* Under ctl_lock. 0 or -errno. */
static int
attach_locked(void)
{
	const char *path = getenv("RINGSTACK_CTL");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t frame[CTL_HDR_LEN + sizeof(struct rs_attach_req)];
	uint8_t reply[CTL_HDR_LEN + sizeof(struct rs_attach_rsp)];
	struct timeval tv = { attach_timeout_s(), 0 };
	struct rs_attach_req req;
	struct rs_attach_rsp rsp;
	struct ctl_hdr ch;
	struct stat st;
	int sock, memfd = -1, rc;
	void *base;

	if (atomic_load(&rs_g.dead))
		return -ECONNRESET;
	if (rs_g.attached)
		return 0;
	if (path == NULL || path[0] == '\0')
		path = RS_CTL_DEFAULT;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* A daemon that accepts but never answers must not hang us. */
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	memset(&req, 0, sizeof(req));
	req.version = RS_SHM_VERSION;
	req.pid = (uint32_t)getpid();
	strncpy(req.name, program_invocation_short_name, sizeof(req.name) - 1);
	ch = (struct ctl_hdr){
		.magic = CTL_MAGIC, .version = CTL_VERSION, .type = CTL_T_ATTACH,
		.seq = 1, .len = sizeof(req),
	};
	ctl_hdr_encode(frame, &ch);
	memcpy(frame + CTL_HDR_LEN, &req, sizeof(req));
	rc = send_full(sock, frame, sizeof(frame));
	if (rc < 0)
		goto fail;

	rc = recv_full_fd(sock, reply, CTL_HDR_LEN, &memfd);
	if (rc < 0)
		goto fail;
	/* ctl_hdr_decode knows only the ringctl types and answers -EBADMSG
	 * for CTL_T_ATTACH, but it fills the header first: check it here. */
	rc = ctl_hdr_decode(reply, &ch);
	if ((rc < 0 && rc != -EBADMSG) || ch.magic != CTL_MAGIC ||
	    ch.version != CTL_VERSION || ch.type != CTL_T_ATTACH ||
	    ch.len != sizeof(rsp)) {
		rc = -EPROTO;
		goto fail;
	}
	rc = recv_full_fd(sock, reply + CTL_HDR_LEN, sizeof(rsp), &memfd);
	if (rc < 0)
		goto fail;
	memcpy(&rsp, reply + CTL_HDR_LEN, sizeof(rsp));
	if (rsp.status < 0) {
		rc = rsp.status < -4095 ? -EPROTO : rsp.status;
		goto fail;
	}
	if (rsp.version != RS_SHM_VERSION || memfd < 0 ||
	    rsp.size < sizeof(struct rs_shm_hdr) || rsp.size > SIZE_MAX / 2) {
		rc = -EPROTO;
		goto fail;
	}
	/* Touching a page past the file's end raises SIGBUS: the memfd must
	 * really be as large as the daemon says. */
	if (fstat(memfd, &st) < 0 || (uint64_t)st.st_size < rsp.size) {
		rc = -EPROTO;
		goto fail;
	}
	base = mmap(NULL, rsp.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	close(memfd);
	memfd = -1;
	rc = segment_setup(base, rsp.size);
	if (rc < 0) {
		munmap(base, rsp.size);
		goto fail;
	}
	/* From now on the socket carries kicks; a control operation waits for
	 * its answer as long as the daemon takes (it hangs up if it dies). */
	tv = (struct timeval){ 0, 0 };
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rc = procs_setup();
	if (rc < 0) {
		munmap(base, rsp.size);
		goto fail;
	}
	rs_g.base = base;
	rs_g.size = rsp.size;
	rs_g.usock = sock;
	rs_g.seq = 0;
	rs_g.attached = true;
	return 0;
fail:
	if (memfd >= 0)
		close(memfd);
	close(sock);
	return rc;
}

/*
 * Control operations.
 */

/* Send the one-byte kick. */
static int
kick_send(void)
{
	uint8_t byte = 0;
	ssize_t n;

	do
		n = send(rs_g.usock, &byte, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -ECONNRESET;
}

/* The next completion. The contract names the record type only; accept it
 * as the payload or as the meta part, nothing else. */
static int
cpl_read(struct rs_scpl *cpl)
{
	struct rs_scpl meta;
	struct shm_rec rec;
	struct iovec iov = { cpl, sizeof(*cpl) };
	ssize_t n;

	n = shm_rec_read(&rs_g.cpl, &meta, sizeof(meta), &iov, 1, &rec);
	if (n < 0)
		return (int)n;
	if (rec.len == sizeof(*cpl) && rec.meta_len == 0)
		return 0;
	if (rec.meta_len == sizeof(*cpl) && rec.len == 0) {
		*cpl = meta;
		return 0;
	}
	return -EPROTO;
}

/*
 * One request, one completion. newfd: where the descriptor that comes with
 * the completion of RS_SOP_SOCKET / RS_SOP_ACCEPT goes (NULL otherwise: one
 * that comes anyway is closed). Returns cpl->ret (>= 0) or -errno;
 * attaches first if needed.
 */
static int ctl_op_locked(struct rs_sreq *req, struct rs_scpl *cpl, int *newfd, bool nowait);

static int
ctl_op(struct rs_sreq *req, struct rs_scpl *cpl, int *newfd)
{
	int rc;

	pthread_mutex_lock(&ctl_lock);
	rc = attach_locked();
	if (rc < 0) {
		pthread_mutex_unlock(&ctl_lock);
		return rc;
	}
	pctl_lock();
	rc = ctl_op_locked(req, cpl, newfd, false);
	pthread_mutex_unlock(&rs_g.procs->ctl);
	pthread_mutex_unlock(&ctl_lock);
	return rc;
}

/* Under ctl_lock and procs->ctl. nowait: a request whose answer nobody
 * needs (the close of a connection): sent, its kick owed (procs->owed) and
 * read by the next request that waits, unless RS_CTL_OWED_MAX are owed
 * already. Returns 0 then. */
static int
ctl_op_locked(struct rs_sreq *req, struct rs_scpl *cpl, int *newfd, bool nowait)
{
	struct iovec iov = { req, sizeof(*req) };
	int rc, fd = -1;

	if (atomic_load(&rs_g.dead)) {
		rc = -ECONNRESET;
		goto out;
	}
	if (rs_g.procs->owed >= RS_CTL_OWED_MAX)
		nowait = false;
	req->seq = ++rs_g.procs->seq;
	rc = shm_rec_write(&rs_g.req, NULL, 0, &iov, 1, 0);
	if (rc < 0) {
		/* One request in flight and the previous one answered: a
		 * full or broken ring is the daemon's fault. */
		rc = -EPROTO;
		goto out;
	}
	rc = kick_send();
	if (rc < 0)
		goto dead;
	if (nowait) {
		/* its completion is skipped as stale by a later request */
		rs_g.procs->owed++;
		goto out;
	}
	/* The kicks owed for earlier requests (of any process sharing the
	 * attachment) come before ours: the daemon answers in order, one
	 * kick each, so the one that carries a new socket's descriptor is
	 * never taken for another's. None of those carries one: read with
	 * ours, in one call when they are all there (the first descriptor
	 * that comes is ours). */
	uint32_t owed = rs_g.procs->owed;

	rs_g.procs->owed = 0;
	for (size_t want = 1 + (owed < RS_CTL_OWED_MAX ? owed : RS_CTL_OWED_MAX);; want = 1) {
		uint8_t kicks[RS_CTL_OWED_MAX + 1];

		rc = recv_full_fd(rs_g.usock, kicks, want, &fd);
		if (rc < 0) {
			rc = rc == -ETIMEDOUT ? -ECONNRESET : rc;
			goto dead;
		}
		/* A kick without a completion (one for something else) or a
		 * stale completion: wait for ours. */
		while ((rc = cpl_read(cpl)) == 0 && cpl->seq != req->seq)
			;
		if (rc == 0)
			break;
		if (rc != -EAGAIN) {
			rc = -EPROTO;
			goto out;
		}
	}
	if (cpl->ret > 0 && req->op != RS_SOP_SOCKET && req->op != RS_SOP_GETSOCKOPT &&
	    req->op != RS_SOP_ACCEPT)
		cpl->ret = 0;
	rc = cpl->ret < -4095 ? -EPROTO : cpl->ret;
	if (cpl->optlen > sizeof(cpl->opt))
		rc = -EPROTO;
	if (rc >= 0 && newfd != NULL) {
		if (fd < 0) {
			rc = -EPROTO; /* a socket without its wake descriptor */
		} else {
			*newfd = fd;
			fd = -1;
			/* a new socket: held by this process alone */
			if ((uint32_t)rc < rs_g.max_socks)
				rs_g.procs->holders[rc] = 1ull << rs_g.pidx;
		}
	}
	goto out;
dead:
	atomic_store(&rs_g.dead, true);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
fail(int err)
{
	errno = err;
	return -1;
}

static void
sreq_init(struct rs_sreq *req, enum rs_sop op, int sd)
{
	memset(req, 0, sizeof(*req));
	req->op = (uint16_t)op;
	req->sd = sd;
}

/* One control op on a socket: -1 with errno, or the result. */
static int
sock_op(struct rs_sock *s, struct rs_sreq *req, struct rs_scpl *cpl)
{
	int rc = ctl_op(req, cpl, NULL);

	return rc < 0 ? fail(-rc) : rc;
}

/*
 * Socket creation.
 */

/* Linux's checks in __sys_socket, __sock_create and inet_create, in that
 * order, for what ringstack serves. 0 or an errno. */
static int
socket_args_check(int domain, int type, int protocol)
{
	int kind = type & 0xf;	/* SOCK_TYPE_MASK */

	if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	if (domain < 0 || domain >= AF_MAX)
		return EAFNOSUPPORT;
	if (kind < SOCK_STREAM || kind > SOCK_PACKET)
		return EINVAL;
	if (domain != AF_INET && domain != AF_INET6)
		return EAFNOSUPPORT;
	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return EINVAL;
	switch (kind) {
	case SOCK_DGRAM:
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return EPROTONOSUPPORT;
		return 0;
	case SOCK_STREAM:
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return EPROTONOSUPPORT;
		return 0;
	case SOCK_RAW:
		return EPERM;	/* as for a process without CAP_NET_RAW */
	default:
		return ESOCKTNOSUPPORT;
	}
}

/* Views on the new slot's rings; 0 or -EPROTO. */
static int
sock_rings(struct rs_sock *s)
{
	struct rs_shm_sock *slot;
	struct rs_shm_sock copy;

	if (s->sd < 0 || (uint32_t)s->sd >= rs_g.max_socks)
		return -EPROTO;
	slot = (struct rs_shm_sock *)(void *)(rs_g.base + rs_g.socks_off +
					       (size_t)s->sd * sizeof(*slot));
	memcpy(&copy.rx, &slot->rx, sizeof(copy.rx));
	memcpy(&copy.tx, &slot->tx, sizeof(copy.tx));
	if (desc_ok(&copy.rx, rs_g.size) < 0 || desc_ok(&copy.tx, rs_g.size) < 0)
		return -EPROTO;
	if (view_init(&s->rx, rs_g.base, &copy.rx, SHM_RING_CONS) < 0 ||
	    view_init(&s->tx, rs_g.base, &copy.tx, SHM_RING_PROD) < 0)
		return -EPROTO;
	s->shm = slot;
	return 0;
}

static struct rs_sock *
sock_alloc(bool nonblock, bool stream)
{
	struct rs_sock *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fd = -1;
	s->stream = stream;
	atomic_init(&s->refs, 1);
	atomic_init(&s->nonblock, nonblock);
	atomic_init(&s->sndbuf, RS_SNDBUF_DEFAULT);
	pthread_mutex_init(&s->rx_lock, NULL);
	pthread_mutex_init(&s->tx_lock, NULL);
	pthread_mutex_init(&s->wait_lock, NULL);
	return s;
}

/* A socket the daemon made (slot sd, wake descriptor wfd) goes into the
 * table: its descriptor number, or -errno (the slot is closed again and
 * s freed). */
static int
sock_install(struct rs_sock *s, int sd, int wfd)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	int rc;

	s->sd = sd;
	s->fd = wfd;
	/* rs_drain reads it without waiting (read: what sandboxes allow) */
	if (wfd < RS_MAX_FD && fcntl(wfd, F_SETFL, O_NONBLOCK) < 0)
		rc = -errno;
	else
		rc = wfd >= RS_MAX_FD ? -EMFILE : sock_rings(s);
	if (rc < 0) {
		sreq_init(&req, RS_SOP_CLOSE, s->sd);
		ctl_op(&req, &cpl, NULL);
		rs_sock_put(s);
		return rc;
	}
	rs_ep_forget(wfd);
	pthread_rwlock_wrlock(&tab_lock);
	tab[wfd] = s;
	pthread_rwlock_unlock(&tab_lock);
	rs_event_sock_open(s);
	return wfd;
}

int
rs_socket(int domain, int type, int protocol)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	int err, rc, wfd = -1;

	err = socket_args_check(domain, type, protocol);
	if (err != 0)
		return fail(err);
	s = sock_alloc((type & SOCK_NONBLOCK) != 0, (type & 0xf) == SOCK_STREAM);
	if (s == NULL)
		return fail(ENOMEM);

	s->domain = domain;
	sreq_init(&req, RS_SOP_SOCKET, -1);
	req.a[0] = domain;
	req.a[1] = type & 0xf;
	req.a[2] = protocol;
	/* The daemon makes the wake pair and sends us our end: it becomes
	 * the socket's descriptor (sock_shm.h). */
	rc = ctl_op(&req, &cpl, &wfd);
	if (rc < 0) {
		rs_sock_put(s);
		return fail(-rc);
	}
	rc = sock_install(s, rc, wfd);
	return rc < 0 ? fail(-rc) : rc;
}

int
rs_shutdown(int fd, int how)
{
	struct rs_sock *s;
	int err = 0;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	/* inet_shutdown: SHUT_RD/WR/RDWR become bits 1/2/3 */
	if (how < SHUT_RD || how > SHUT_RDWR) {
		err = EINVAL;
		goto out;
	}
	if (s->stream) {
		/* The daemon's TCP shutdown (a FIN for SHUT_WR); it wakes the
		 * socket's sleepers, which look again and see it. */
		struct rs_sreq req;
		struct rs_scpl cpl;
		int rc;

		sreq_init(&req, RS_SOP_SHUTDOWN, s->sd);
		req.a[0] = how;
		rc = ctl_op(&req, &cpl, NULL);
		if (rc < 0) {
			err = -rc;
			goto out;
		}
		/* A listener shut for reading stopped listening and is a
		 * fresh closed socket again (tcp_disconnect clears
		 * sk_shutdown): it may listen() anew. */
		if (((how + 1) & RS_SHUT_RD) && atomic_load(&s->listening)) {
			atomic_store(&s->listening, false);
			goto out;
		}
		atomic_fetch_or(&s->shut, how + 1);
		goto out;
	}
	atomic_fetch_or(&s->shut, how + 1);
	/* An unconnected UDP socket is shut down all the same, and told
	 * ENOTCONN (Linux's TCP_CLOSE case falls through). */
	if (!atomic_load(&s->connected))
		err = ENOTCONN;
	/* Wake sleeping receivers: they look again and see the shutdown.
	 * Shutting our end of the wake pair for reading makes it readable
	 * for good, as a socket shut for reading is (datagram_poll). */
	if ((how + 1) & RS_SHUT_RD)
		shutdown(s->fd, SHUT_RD);
out:
	rs_sock_put(s);
	return err == 0 ? 0 : fail(err);
}

/* A datagram is on its way when send returns, as on Linux, but here it
 * may still sit in the transmit ring: close and exit wait, at most until
 * deadline, for the worker to take it before the daemon drops the ring. */
#define RS_DRAIN_NS 200000000

static void
tx_drain(struct rs_sock *s, int64_t deadline)
{
	struct timespec ts = { 0, 50000 };

	while (rs_tx_pending(s) && !rs_daemon_gone() && rs_now_ns() < deadline)
		nanosleep(&ts, NULL);
}

static bool close_op(struct rs_sreq *req, struct rs_scpl *cpl, struct rs_sock *conn);

/* SO_LINGER's wait (l_linger > 0): done when every byte sent is
 * acknowledged (the tx ring empty: SIOCOUTQ 0) or the connection is
 * over. A ring whose counters make no sense ends the wait. */
static bool
linger_done(struct rs_sock *s, void *arg)
{
	uint32_t st = rs_stream_state(s);
	uint32_t prod, cons;

	(void)arg;
	if (!(st & RS_SS_CONNECTED) || (st & (RS_SS_RESET | RS_SS_CLOSED)))
		return true;
	prod = atomic_load_explicit(&s->tx.hdr->prod, memory_order_relaxed);
	cons = atomic_load_explicit(&s->tx.hdr->cons, memory_order_acquire);
	return prod == cons || prod - cons > s->tx.size;
}

/* Linux's close with SO_LINGER on and l_linger > 0 blocks (even on a
 * non-blocking socket: inet_release) until what was sent is acknowledged
 * or l_linger seconds pass, and then returns 0 either way; the data
 * still goes after a timeout (no reset). Here the wait comes before the
 * close request, so the FIN follows the last ACK rather than the data. */
static void
linger_wait(struct rs_sock *s)
{
	int secs = atomic_load(&s->linger_s);
	int64_t deadline;

	if (secs <= 0 || atomic_load(&s->listening))
		return;
	/* 0 is rs_stream_sleep's "no deadline" */
	deadline = secs == INT_MAX ? 0 : rs_now_ns() + (int64_t)secs * 1000000000;
	while (!linger_done(s, NULL) && !rs_daemon_gone())
		if (rs_stream_sleep(s, deadline, linger_done, NULL) != 0)
			break;
}

__attribute__((destructor)) static void
exit_drain(void)
{
	int64_t deadline;
	int fd;

	if (!rs_g.attached)
		return;
	deadline = rs_now_ns() + RS_DRAIN_NS;
	pthread_rwlock_rdlock(&tab_lock);
	for (fd = 0; fd < RS_MAX_FD; fd++)
		if (tab[fd] != NULL)
			tx_drain(tab[fd], deadline);
	pthread_rwlock_unlock(&tab_lock);
	if (!rs_forked() || rs_daemon_gone())
		return;	/* the daemon closes everything when we hang up */
	/* Other processes share the attachment: the daemon will not see us
	 * go, so our sockets are closed as the kernel closes a dying
	 * process's descriptors (those others still hold stay open). */
	for (fd = 0; fd < RS_MAX_FD; fd++) {
		struct rs_sreq req;
		struct rs_scpl cpl;
		struct rs_sock *s = tab[fd];

		if (s == NULL)
			continue;
		sreq_init(&req, RS_SOP_CLOSE, s->sd);
		close_op(&req, &cpl, NULL);
	}
	pthread_mutex_lock(&ctl_lock);
	pctl_lock();
	proc_forget(rs_g.pidx);
	pthread_mutex_unlock(&rs_g.procs->ctl);
	pthread_mutex_unlock(&ctl_lock);
}

/* RS_SOP_CLOSE, sent only when no other live process holds the socket
 * (docs/fork.md); forgets our hold either way. Whether it was sent.
 * conn: a connected stream socket's close, not waited for (ctl_op_locked)
 * and told to its worker first (app_close and the doorbell, sock_shm.h),
 * which sends the FIN without waiting for the control thread. Before the
 * request: once the control thread has it, the slot may go to another
 * socket. */
static bool
close_op(struct rs_sreq *req, struct rs_scpl *cpl, struct rs_sock *conn)
{
	struct rs_procs *pr;
	uint64_t others;
	int i;

	pthread_mutex_lock(&ctl_lock);
	pr = rs_g.procs;
	if (pr == NULL || (uint32_t)req->sd >= rs_g.max_socks) {
		pthread_mutex_unlock(&ctl_lock);
		return true;
	}
	pctl_lock();
	pr->holders[req->sd] &= ~(1ull << rs_g.pidx);
	others = pr->holders[req->sd];
	for (i = 0; i < RS_PROCS_MAX; i++)
		if ((others & (1ull << i)) && !proc_alive(i)) {
			proc_reap(i);
			others &= ~(1ull << i);
		}
	if (others == 0 && conn != NULL) {
		atomic_store_explicit(&conn->shm->app_close, 1, memory_order_release);
		rs_doorbell(conn);
	}
	if (others == 0)
		ctl_op_locked(req, cpl, NULL, conn != NULL);
	pthread_mutex_unlock(&pr->ctl);
	pthread_mutex_unlock(&ctl_lock);
	return others == 0;
}

/* Whether a thread of ours sleeps on s's wake descriptor (or is between
 * its rs_wait_enter and its look at s->closed): the closer stores closed
 * first, so one that enters after this sees it and leaves. Nobody: the
 * shutdown that would wake them is a system call per close saved. */
static bool
wait_any(struct rs_sock *s)
{
	int n;

	pthread_mutex_lock(&s->wait_lock);
	n = s->nwait;
	pthread_mutex_unlock(&s->wait_lock);
	return n > 0;
}

int
rs_close(int fd)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s = NULL;

	if (fd >= 0 && fd < RS_MAX_FD) {
		pthread_rwlock_wrlock(&tab_lock);
		s = tab[fd];
		tab[fd] = NULL;
		pthread_rwlock_unlock(&tab_lock);
	}
	if (s == NULL) {
		/* An epoll descriptor from rs_epoll_create1 is closed here too. */
		if (rs_ep_close(fd) == 0)
			return 0;
		return fail((fd < 0 || fcntl(fd, F_GETFD) < 0) ? EBADF : ENOTSOCK);
	}
	tx_drain(s, rs_now_ns() + RS_DRAIN_NS);
	if (s->stream)
		linger_wait(s);
	atomic_store(&s->closed, true);
	rs_event_sock_close(s);
	/* Linux's close always succeeds; a daemon that is gone already
	 * dropped the socket. */
	sreq_init(&req, RS_SOP_CLOSE, s->sd);
	/* Blocked callers see closed and leave, dropping their references:
	 * shutting our end of the wake pair wakes every poller of it. Not
	 * while another process holds the socket: the pair is shared with
	 * it (fork), and shutdown acts on the socket, not our descriptor;
	 * our blocked callers then see closed at their next wake-up, as a
	 * thread blocked on a descriptor another thread closes on Linux. */
	/* A connection's close is not waited for: its FIN or reset is the
	 * worker's to send and the answer carries nothing (Linux's close
	 * always succeeds), so a short connection costs one round trip to
	 * the control thread (its accept), not two; and the worker hears of
	 * it from the doorbell (close_op), so the FIN does not wait for the
	 * control thread to wake either. Its port stays the
	 * daemon's until the connection ends anyway; a listener's or a
	 * datagram socket's close waits, so the port is free when close
	 * returns. */
	if (close_op(&req, &cpl, (s->stream && !atomic_load(&s->listening) &&
				  (rs_stream_state(s) & RS_SS_CONNECTED)) ? s : NULL) && wait_any(s))
		shutdown(s->fd, SHUT_RDWR);
	rs_sock_put(s);
	return 0;
}

static int sin_out(const struct rs_saddr *r, struct sockaddr *addr, socklen_t *addrlen);

/*
 * Listening and accepting (stream sockets).
 */

int
rs_listen(int fd, int backlog)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	int rc;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	/* The daemon bounds it as Linux does (somaxconn) and answers
	 * EOPNOTSUPP for a datagram socket, EINVAL for a connected one. */
	sreq_init(&req, RS_SOP_LISTEN, s->sd);
	req.a[0] = backlog;
	rc = sock_op(s, &req, &cpl);
	if (rc == 0) {
		atomic_store(&s->listening, true);
		atomic_store(&s->bound, true);
	}
	rs_sock_put(s);
	return rc;
}

static bool
accept_ready(struct rs_sock *s, void *arg)
{
	(void)arg;
	return rs_stream_accept_ready(s) > 0 || !(rs_stream_state(s) & RS_SS_LISTEN);
}

int
rs_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s, *c = NULL;
	int64_t deadline = -1;
	int rc, wfd, err = 0;

	/* __sys_accept4 checks the flags before the descriptor */
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return fail(EINVAL);
	rs_procs_sweep();
	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	if (addr != NULL && (addrlen == NULL)) {
		err = EFAULT;
		goto out;
	}
	if (addr != NULL && (int)*addrlen < 0) {
		err = EINVAL;
		goto out;
	}
	for (;;) {
		/* Nothing waiting: no request at all (the common case of a
		 * non-blocking accept loop costs no round trip). A
		 * connection counted in accept_prod is in the daemon's
		 * queue already. */
		if (atomic_load(&s->listening) && rs_stream_accept_ready(s) == 0 &&
		    (rs_stream_state(s) & RS_SS_LISTEN)) {
			if (atomic_load(&s->nonblock)) {
				err = EAGAIN;
				goto out;
			}
			if (deadline < 0) {
				int64_t t = atomic_load(&s->rcvtimeo);

				deadline = t == 0 ? 0 : rs_now_ns() + t;
			}
			err = rs_stream_sleep(s, deadline, accept_ready, NULL);
			if (err != 0)
				goto out;
			continue;
		}
		c = sock_alloc((flags & SOCK_NONBLOCK) != 0, true);
		if (c == NULL) {
			err = ENOMEM;
			goto out;
		}
		c->domain = s->domain;
		/* sk_clone_lock copies sk_rcvlowat */
		atomic_store(&c->rcvlowat, atomic_load(&s->rcvlowat));
		atomic_store(&c->oobinline, atomic_load(&s->oobinline));
		/* the daemon's child inherits the listener's SO_LINGER */
		atomic_store(&c->linger_s, atomic_load(&s->linger_s));
		sreq_init(&req, RS_SOP_ACCEPT, s->sd);
		wfd = -1;
		rc = ctl_op(&req, &cpl, &wfd);
		if (rc == -EAGAIN && atomic_load(&s->listening) && !atomic_load(&s->nonblock)) {
			/* taken by another thread meanwhile */
			rs_sock_put(c);
			c = NULL;
			continue;
		}
		if (rc < 0) {
			rs_sock_put(c);
			err = -rc;
			goto out;
		}
		atomic_store(&c->connected, true);
		atomic_store(&c->bound, true);
		rc = sock_install(c, rc, wfd);
		if (rc < 0) {
			err = -rc;
			goto out;
		}
		if (addr != NULL)
			sin_out(&cpl.addr, addr, addrlen);
		rs_sock_put(s);
		return rc;
	}
out:
	rs_sock_put(s);
	return fail(err);
}

int
rs_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return rs_accept4(fd, addr, addrlen, 0);
}

/*
 * Addresses.
 */

static void
sin_to_rs(struct rs_saddr *r, const struct sockaddr_in *sin)
{
	uint32_t a = ntohl(sin->sin_addr.s_addr);

	memset(r, 0, sizeof(*r));
	r->family = AF_INET;
	r->port = ntohs(sin->sin_port);
	/* IPv4-mapped, as struct rs_ip (sock_shm.h) */
	r->addr[10] = 0xff;
	r->addr[11] = 0xff;
	r->addr[12] = (uint8_t)(a >> 24);
	r->addr[13] = (uint8_t)(a >> 16);
	r->addr[14] = (uint8_t)(a >> 8);
	r->addr[15] = (uint8_t)a;
}

int
rs_sa6_in(const struct sockaddr *a, socklen_t len, struct rs_saddr *r, bool allow4)
{
	struct sockaddr_in6 sin6;
	sa_family_t fam;

	memset(r, 0, sizeof(*r));
	if (len < sizeof(sa_family_t))
		return EINVAL;
	memcpy(&fam, &a->sa_family, sizeof(fam));
	if (fam == AF_INET && allow4) {
		struct sockaddr_in sin;

		if (len < sizeof(sin))
			return EINVAL;
		memcpy(&sin, a, sizeof(sin));
		sin_to_rs(r, &sin);
		r->family = AF_INET6;
		return 0;
	}
	/* SIN6_LEN_RFC2133: the size before sin6_scope_id existed */
	if (len < 24)
		return EINVAL;
	if (fam != AF_INET6)
		return EAFNOSUPPORT;
	memset(&sin6, 0, sizeof(sin6));
	memcpy(&sin6, a, len < sizeof(sin6) ? len : sizeof(sin6));
	r->family = AF_INET6;
	r->port = ntohs(sin6.sin6_port);
	r->flowinfo = ntohl(sin6.sin6_flowinfo);
	r->scope = sin6.sin6_scope_id;
	memcpy(r->addr, sin6.sin6_addr.s6_addr, 16);
	return 0;
}

void
rs_sa_out(const struct rs_saddr *r, struct sockaddr *addr, socklen_t *addrlen)
{
	sin_out(r, addr, addrlen);
}

/* Copy a daemon address out as getsockname(2) does. */
static int
sin_out(const struct rs_saddr *r, struct sockaddr *addr, socklen_t *addrlen)
{
	struct sockaddr_in sin;
	size_t n;

	if (r->family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(r->port);
		memcpy(sin6.sin6_addr.s6_addr, r->addr, 16);
		/* the scope of a link-local address only */
		if (r->addr[0] == 0xfe && (r->addr[1] & 0xc0) == 0x80)
			sin6.sin6_scope_id = r->scope;
		n = (size_t)*addrlen < sizeof(sin6) ? (size_t)*addrlen : sizeof(sin6);
		if (addr != NULL)
			memcpy(addr, &sin6, n);
		*addrlen = sizeof(sin6);
		return 0;
	}

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(r->port);
	memcpy(&sin.sin_addr.s_addr, r->addr + 12, 4);
	n = (size_t)*addrlen < sizeof(sin) ? (size_t)*addrlen : sizeof(sin);
	if (addr != NULL)
		memcpy(addr, &sin, n);
	*addrlen = sizeof(sin);
	return 0;
}

int
rs_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct sockaddr_in sin;
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	int rc;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	rc = -1;
	if (addr == NULL) {
		errno = EFAULT;
		goto out;
	}
	if (s->domain == AF_INET6) {
		int err = rs_sa6_in(addr, addrlen, &req.addr, false);

		if (err != 0) {
			errno = err;
			goto out;
		}
		sreq_init(&req, RS_SOP_BIND, s->sd);
		err = rs_sa6_in(addr, addrlen, &req.addr, false);
		rc = sock_op(s, &req, &cpl);
		if (rc == 0) {
			static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };
			static const uint8_t any[16];

			atomic_store(&s->bound, true);
			atomic_store(&s->bound6, memcmp(req.addr.addr, pfx, 12) == 0 ?
							 RS_BOUND6_MAPPED :
						 memcmp(req.addr.addr, any, 16) != 0 ?
							 RS_BOUND6_V6 : RS_BOUND6_ANY);
		}
		goto out;
	}
	if (addrlen < sizeof(sin)) {
		errno = EINVAL;
		goto out;
	}
	memcpy(&sin, addr, sizeof(sin));
	/* inet_bind's "compatibility games": AF_UNSPEC passes for INADDR_ANY. */
	if (sin.sin_family != AF_INET &&
	    (sin.sin_family != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY))) {
		errno = EAFNOSUPPORT;
		goto out;
	}
	sreq_init(&req, RS_SOP_BIND, s->sd);
	sin_to_rs(&req.addr, &sin);
	rc = sock_op(s, &req, &cpl);
	if (rc == 0)
		atomic_store(&s->bound, true);
out:
	rs_sock_put(s);
	return rc;
}

static bool
connect_settled(struct rs_sock *s, void *arg)
{
	uint32_t st = rs_stream_state(s);

	(void)arg;
	return !(st & RS_SS_CONNECTING) || (st & (RS_SS_CONNECTED | RS_SS_RESET | RS_SS_CLOSED));
}

/*
 * connect(AF_UNSPEC) succeeded (Linux's tcp_disconnect): a listener is a
 * closed socket again; a connection is gone (the daemon reset it and
 * dropped unsent data), its unread data goes here, nothing is shut, and
 * the socket may connect again.
 */
static void
stream_disconnected(struct rs_sock *s)
{
	ssize_t n;

	if (atomic_load(&s->listening)) {
		atomic_store(&s->listening, false);
		return;
	}
	rs_rx_lock(s);
	n = shm_bytes_used(&s->rx);
	if (n > 0)
		shm_bytes_skip(&s->rx, (size_t)n);
	pthread_mutex_unlock(&s->rx_lock);
	atomic_store(&s->shut, 0);
	atomic_store(&s->connected, false);
	atomic_store(&s->connecting, false);
	atomic_store(&s->disconnected, true);
}

/*
 * connect(2) on a stream socket. req: the request to send, or NULL when a
 * non-blocking connect is already in progress. Blocking connects wait for
 * the handshake (SO_SNDTIMEO bounds the wait: then EINPROGRESS, as Linux);
 * the outcome is the pending error (ECONNREFUSED, ETIMEDOUT, ...) or 0.
 * -1 with errno, or 0.
 */
static int
stream_connect(struct rs_sock *s, struct rs_sreq *req)
{
	struct rs_scpl cpl;
	int64_t deadline = 0;
	uint32_t st;
	int rc, err;

	if (req != NULL) {
		rc = ctl_op(req, &cpl, NULL);
		if (rc < 0)
			return fail(-rc);
		if (req->addr.family == AF_UNSPEC)
			return 0;
		atomic_store(&s->bound, true);
		atomic_store(&s->disconnected, false);	/* a new attempt */
		atomic_store(&s->connecting, true);
		if (atomic_load(&s->nonblock))
			return fail(EINPROGRESS);
	}
	for (;;) {
		st = rs_stream_state(s);
		if (st & (RS_SS_RESET | RS_SS_CLOSED)) {
			/* sock_error ?: -ECONNABORTED, then tcp_disconnect
			 * clears the shutdown bits */
			atomic_store(&s->connecting, false);
			atomic_store(&s->disconnected, true);
			err = rs_take_so_error(s);
			return fail(err != 0 ? err : ECONNABORTED);
		}
		if (st & RS_SS_CONNECTED) {
			atomic_store(&s->connecting, false);
			atomic_store(&s->connected, true);
			return 0;
		}
		if (atomic_load(&s->nonblock))
			return fail(req != NULL ? EINPROGRESS : EALREADY);
		if (deadline == 0) {
			int64_t t = atomic_load(&s->sndtimeo);

			deadline = t == 0 ? -1 : rs_now_ns() + t;
		}
		err = rs_stream_sleep(s, deadline < 0 ? 0 : deadline, connect_settled, NULL);
		if (err == EAGAIN)
			return fail(EINPROGRESS);	/* SO_SNDTIMEO ran out */
		if (err != 0)
			return fail(err);		/* EINTR: it goes on */
	}
}

int
rs_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct sockaddr_in sin;
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	int rc;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	rc = -1;
	/* the length first: connect(fd, NULL, 0) is EINVAL on Linux */
	if (addrlen < sizeof(sa_family_t)) {
		errno = EINVAL;
		goto out;
	}
	if (addr == NULL) {
		errno = EFAULT;
		goto out;
	}
	sreq_init(&req, RS_SOP_CONNECT, s->sd);
	/* __inet_stream_connect looks at AF_UNSPEC first, in any state */
	if (addr->sa_family == AF_UNSPEC) {
		req.addr.family = AF_UNSPEC;
		rc = sock_op(s, &req, &cpl);
		if (rc == 0) {
			atomic_store(&s->connected, false);
			if (s->stream)
				stream_disconnected(s);
		}
		goto out;
	}
	if (s->stream && atomic_load(&s->connecting)) {
		/* A non-blocking connect in progress: its outcome, as
		 * __inet_stream_connect reports it in SS_CONNECTING. */
		rc = stream_connect(s, NULL);
		goto out;
	}
	if (s->domain == AF_INET6) {
		/* ip6_datagram_connect takes an AF_INET peer (dual stack) */
		int err = rs_sa6_in(addr, addrlen, &req.addr, !s->stream);

		if (err != 0) {
			errno = err;
			goto out;
		}
	} else {
		if (addrlen < sizeof(sin)) {
			errno = EINVAL;
			goto out;
		}
		memcpy(&sin, addr, sizeof(sin));
		if (sin.sin_family != AF_INET) {
			errno = EAFNOSUPPORT;
			goto out;
		}
		sin_to_rs(&req.addr, &sin);
	}
	if (s->stream) {
		rc = stream_connect(s, &req);
		goto out;
	}
	rc = sock_op(s, &req, &cpl);
	if (rc == 0) {
		atomic_store(&s->connected, true);
		atomic_store(&s->bound, true); /* connect binds an unbound socket */
	}
out:
	rs_sock_put(s);
	return rc;
}

static int
name_op(int fd, enum rs_sop op, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	int rc;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	rc = -1;
	if (addrlen == NULL) {
		errno = EFAULT;
		goto out;
	}
	if ((int)*addrlen < 0) {
		errno = EINVAL;
		goto out;
	}
	if (op == RS_SOP_GETPEERNAME && s->stream) {
		/* inet_getname: TCP_CLOSE and SYN_SENT have no peer */
		uint32_t st = rs_stream_state(s);

		if (!(st & RS_SS_CONNECTED) || (st & (RS_SS_RESET | RS_SS_CLOSED))) {
			errno = ENOTCONN;
			goto out;
		}
	}
	sreq_init(&req, op, s->sd);
	rc = sock_op(s, &req, &cpl);
	if (rc == 0)
		rc = sin_out(&cpl.addr, addr, addrlen);
out:
	rs_sock_put(s);
	return rc;
}

int
rs_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return name_op(fd, RS_SOP_GETSOCKNAME, addr, addrlen);
}

int
rs_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return name_op(fd, RS_SOP_GETPEERNAME, addr, addrlen);
}

/*
 * Options.
 */

/* SO_RCVTIMEO/SO_SNDTIMEO as sock_set_timeout() reads them. */
static int
timeo_set(_Atomic int64_t *t, const void *optval, socklen_t optlen)
{
	struct timeval tv;

	if (optlen < sizeof(tv))
		return EINVAL;
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return EDOM;
	if (tv.tv_sec < 0) {
		/* Linux: a negative timeout means "do not wait". */
		atomic_store(t, 1);
		return 0;
	}
	if (tv.tv_sec > INT64_MAX / 1000000000 - 1)
		atomic_store(t, 0);
	else
		atomic_store(t, (int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000);
	return 0;
}

static void
timeo_get(_Atomic int64_t *t, struct timeval *tv)
{
	int64_t ns = atomic_load(t);

	tv->tv_sec = ns / 1000000000;
	tv->tv_usec = (ns % 1000000000) / 1000;
}

int
rs_setsockopt(int fd, int level, int optname, const void *optval,
	      socklen_t optlen)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	int rc = -1, err;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	if ((int)optlen < 0) {
		errno = EINVAL;
		goto out;
	}
	if (optval == NULL && optlen > 0) {
		errno = EFAULT;
		goto out;
	}
	if (level == SOL_SOCKET && (optname == SO_RCVTIMEO || optname == SO_SNDTIMEO)) {
		err = timeo_set(optname == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo,
				optval, optlen);
		rc = err == 0 ? 0 : fail(err);
		goto out;
	}
	if (level == SOL_SOCKET && optname == SO_OOBINLINE) {
		/* the library reads the rings: it keeps the flag
		 * (sock_setsockopt: any socket, an int, as a bool) */
		int v;

		if (optlen < sizeof(int)) {
			errno = EINVAL;
			goto out;
		}
		memcpy(&v, optval, sizeof(v));
		atomic_store(&s->oobinline, v != 0);
		rc = 0;
		goto out;
	}
	if (level == SOL_SOCKET && optname == SO_RCVLOWAT) {
		/* the library reads the rings: it keeps the low mark */
		int v;

		if (optlen < sizeof(int)) {
			errno = EINVAL;
			goto out;
		}
		memcpy(&v, optval, sizeof(v));
		if (v < 0)
			v = INT_MAX;
		if (s->stream && (uint32_t)v > rs_stream_lowat_cap(s))
			v = (int)rs_stream_lowat_cap(s);
		atomic_store(&s->rcvlowat, v != 0 ? v : 1);
		rc = 0;
		goto out;
	}
	if (optlen > sizeof(req.opt)) {
		/* No option the daemon knows takes more; Linux answers
		 * oversized values of known options with EINVAL too. */
		errno = EINVAL;
		goto out;
	}
	/* The worker reads a datagram socket's IP options (hop limits,
	 * multicast link and loop, TOS) when it builds each datagram: let it
	 * take those queued already first, so they leave with the values in
	 * force when they were sent, as on Linux. (A worker takes them in
	 * microseconds; the bound is for a daemon that stopped serving.) */
	if (!s->stream && (level == IPPROTO_IP || level == IPPROTO_IPV6 ||
			   (level == SOL_SOCKET && optname == SO_BINDTODEVICE)))
		tx_drain(s, rs_now_ns() + 5 * RS_DRAIN_NS);
	sreq_init(&req, RS_SOP_SETSOCKOPT, s->sd);
	req.a[0] = level;
	req.a[1] = optname;
	req.optlen = optlen;
	if (optlen > 0)
		memcpy(req.opt, optval, optlen);
	rc = sock_op(s, &req, &cpl);
	if (rc == 0 && level == SOL_SOCKET && optname == SO_BROADCAST && optlen >= sizeof(int)) {
		int on;

		memcpy(&on, optval, sizeof(on));
		atomic_store(&s->broadcast, on != 0);
	}
	if (rc == 0 && level == SOL_SOCKET && optname == SO_SNDBUF) {
		/* The daemon applied Linux's rule (doubled, bounded): take
		 * the value it reports, which sends then respect. */
		int v = 0;
		socklen_t vl = sizeof(v);

		if (rs_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &vl) == 0 && v > 0) {
			atomic_store(&s->sndbuf, v);
			/* SOCK_SNDBUF_LOCK: no more auto-tuning, the value
			 * bounds what a stream socket queues */
			atomic_store(&s->sndbuf_locked, true);
		}
	}
	if (rc == 0 && level == SOL_SOCKET && optname == SO_RCVBUF && s->stream) {
		/* SOCK_RCVBUF_LOCK: the window is bounded by it, and so is
		 * SO_RCVLOWAT (tcp_set_rcvlowat) */
		int v = 0;
		socklen_t vl = sizeof(v);

		if (rs_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v > 0)
			atomic_store(&s->rcvbuf_set, v);
	}
	if (rc == 0 && level == SOL_SOCKET && optname == SO_LINGER && s->stream &&
	    optlen >= sizeof(struct linger)) {
		/* close waits for it (sock_setsockopt: a negative or huge
		 * l_linger is for ever) */
		struct linger l;

		memcpy(&l, optval, sizeof(l));
		atomic_store(&s->linger_s, !l.l_onoff || l.l_linger == 0 ? 0 :
				 l.l_linger < 0 ? INT_MAX : l.l_linger);
	}
	if (rc == 0 && level == IPPROTO_IPV6 && optname == IPV6_V6ONLY && optlen >= sizeof(int)) {
		int on;

		memcpy(&on, optval, sizeof(on));
		atomic_store(&s->v6only, on != 0);
	}
	if (rc == 0 && level == IPPROTO_IPV6 &&
	    (optname == IPV6_RECVPKTINFO || optname == IPV6_RECVHOPLIMIT ||
	     optname == IPV6_RECVTCLASS || optname == IPV6_FLOWINFO)) {
		int bit = optname == IPV6_RECVPKTINFO ? RS_RECV6_PKTINFO :
			  optname == IPV6_RECVHOPLIMIT ? RS_RECV6_HLIM :
			  optname == IPV6_FLOWINFO ? RS_RECV6_FLOW : RS_RECV6_TCLASS;
		int on = 0;

		if (optlen >= sizeof(int))
			memcpy(&on, optval, sizeof(int));
		if (on)
			atomic_fetch_or(&s->recv_cmsg, bit);
		else
			atomic_fetch_and(&s->recv_cmsg, ~bit);
	}
	if (rc == 0 && level == IPPROTO_IP &&
	    (optname == IP_PKTINFO || optname == IP_RECVTOS || optname == IP_RECVTTL)) {
		/* The daemon accepted it: remember which control messages
		 * recvmsg delivers (they come from the rx metadata). */
		int bit = optname == IP_PKTINFO ? RS_RECV_PKTINFO :
			  optname == IP_RECVTOS ? RS_RECV_TOS : RS_RECV_TTL;
		int on = 0;

		if (optlen >= sizeof(int))
			memcpy(&on, optval, sizeof(int));
		else if (optlen >= 1)
			on = *(const uint8_t *)optval;
		if (on)
			atomic_fetch_or(&s->recv_cmsg, bit);
		else
			atomic_fetch_and(&s->recv_cmsg, ~bit);
	}
out:
	rs_sock_put(s);
	return rc;
}

/* Copy an int option out as sock_getsockopt() does. */
static int
int_out(int v, void *optval, socklen_t *optlen)
{
	size_t n = (size_t)*optlen < sizeof(v) ? (size_t)*optlen : sizeof(v);

	memcpy(optval, &v, n);
	*optlen = (socklen_t)n;
	return 0;
}

int
rs_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	struct rs_sock *s;
	struct timeval tv;
	int rc = -1;
	size_t n;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	if (optlen == NULL || (optval == NULL && *optlen > 0)) {
		errno = EFAULT;
		goto out;
	}
	/* do_ipv6_getsockopt takes the length as unsigned (a negative
	 * one is large enough); the other levels refuse it */
	if ((int)*optlen < 0 && level != IPPROTO_IPV6) {
		errno = EINVAL;
		goto out;
	}
	if (level == SOL_SOCKET) {
		switch (optname) {
		case SO_TYPE:
			rc = int_out(s->stream ? SOCK_STREAM : SOCK_DGRAM, optval, optlen);
			goto out;
		case SO_DOMAIN:
			rc = int_out(s->domain, optval, optlen);
			goto out;
		case SO_PROTOCOL:
			rc = int_out(s->stream ? IPPROTO_TCP : IPPROTO_UDP, optval, optlen);
			goto out;
		case SO_ERROR:
			rc = int_out(rs_take_so_error(s), optval, optlen);
			goto out;
		case SO_OOBINLINE:
			rc = int_out(atomic_load(&s->oobinline), optval, optlen);
			goto out;
		case SO_RCVLOWAT: {
			int v = atomic_load(&s->rcvlowat);

			rc = int_out(v != 0 ? v : 1, optval, optlen);
			goto out;
		}
		case SO_RCVTIMEO:
		case SO_SNDTIMEO:
			timeo_get(optname == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo, &tv);
			n = (size_t)*optlen < sizeof(tv) ? (size_t)*optlen : sizeof(tv);
			memcpy(optval, &tv, n);
			*optlen = (socklen_t)n;
			rc = 0;
			goto out;
		default:
			break;
		}
	}
	sreq_init(&req, RS_SOP_GETSOCKOPT, s->sd);
	req.a[0] = level;
	req.a[1] = optname;
	/* What the caller can take, so the daemon can answer EINVAL where
	 * Linux does for short buffers. */
	req.optlen = *optlen < sizeof(req.opt) ? *optlen : sizeof(req.opt);
	rc = sock_op(s, &req, &cpl);
	if (rc < 0)
		goto out;
	n = cpl.optlen < *optlen ? cpl.optlen : *optlen;
	memcpy(optval, cpl.opt, n);
	*optlen = (socklen_t)n;
	rc = 0;
out:
	rs_sock_put(s);
	return rc;
}

/*
 * fcntl, ioctl.
 */

int
rs_fcntl(int fd, int cmd, ...)
{
	struct rs_sock *s;
	va_list ap;
	long arg;
	int rc;

	va_start(ap, cmd);
	arg = va_arg(ap, long);	/* F_GETFL/F_GETFD pass none: unused then */
	va_end(ap);
	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	switch (cmd) {
	case F_GETFL:
		rc = O_RDWR | (atomic_load(&s->nonblock) ? O_NONBLOCK : 0);
		break;
	case F_SETFL:
		atomic_store(&s->nonblock, (arg & O_NONBLOCK) != 0);
		rc = 0;
		break;
	case F_GETFD:
	case F_SETFD:
		/* The descriptor is a real one: the kernel keeps its flags. */
		rc = fcntl(fd, cmd, (int)arg);
		break;
	case F_GETOWN:
	case F_GETOWN_EX:
		/* the kernel keeps the owner (F_SETOWN set it on the
		 * descriptor too) */
		rc = fcntl(fd, cmd, arg);
		break;
	case F_SETOWN:
	case F_SETOWN_EX: {
		/* The kernel checks the owner and keeps it; the daemon sends
		 * SIGURG to it when urgent data arrives (Linux's
		 * sk_send_sigurg), so it learns it too. */
		int owner = (int)arg;

		rc = fcntl(fd, cmd, arg); /* first: it checks the pointer */
		if (rc == 0 && cmd == F_SETOWN_EX) {
			struct f_owner_ex ex;

			memcpy(&ex, (const void *)arg, sizeof(ex));
			owner = ex.type == F_OWNER_PGRP ? -ex.pid : ex.pid;
		}
		if (rc == 0 && rs_setsockopt(fd, SOL_SOCKET, RS_SO_OWNER, &owner,
					     sizeof(owner)) != 0)
			rc = -1;
		break;
	}
	default:
		/* F_DUPFD and friends would make a descriptor the table
		 * does not know. */
		rc = fail(EINVAL);
		break;
	}
	rs_sock_put(s);
	return rc;
}

/* tcp_ioctl's SIOCINQ / SIOCOUTQ: bytes readable now, bytes not yet
 * acknowledged; EINVAL on a listener. */
static int
stream_ioctl(struct rs_sock *s, unsigned long request, int *argp)
{
	struct shm_ring *r = request == FIONREAD ? &s->rx : &s->tx;
	uint32_t prod, cons;

	if (atomic_load(&s->listening) || (rs_stream_state(s) & RS_SS_LISTEN))
		return fail(EINVAL);
	if (request == FIONREAD) {
		int64_t n = rs_stream_inq(s);

		if (n < 0)
			return fail(EPROTO);
		*argp = (int)n;
		return 0;
	}
	prod = atomic_load_explicit(&r->hdr->prod, memory_order_acquire);
	cons = atomic_load_explicit(&r->hdr->cons, memory_order_acquire);
	if (prod - cons > r->size)
		return fail(EPROTO);
	*argp = (int)(prod - cons);
	return 0;
}

/* SIOCOUTQNSD: EINVAL on a listener, 0 before the handshake is over;
 * then only the connection's owner knows what it sent (the daemon asks
 * it: a round trip, as TCP_INFO). */
static int
stream_outqnsd(struct rs_sock *s, int *argp)
{
	struct rs_sreq req;
	struct rs_scpl cpl;
	uint32_t st = rs_stream_state(s);
	int v;

	if (atomic_load(&s->listening) || (st & RS_SS_LISTEN))
		return fail(EINVAL);
	if (!(st & RS_SS_CONNECTED) || (st & (RS_SS_RESET | RS_SS_CLOSED))) {
		*argp = 0;
		return 0;
	}
	sreq_init(&req, RS_SOP_GETSOCKOPT, s->sd);
	req.a[0] = IPPROTO_TCP;
	req.a[1] = RS_TCP_OUTQNSD;
	req.optlen = sizeof(v);
	if (sock_op(s, &req, &cpl) < 0)
		return -1;
	if (cpl.optlen != sizeof(v))
		return fail(EPROTO);
	memcpy(&v, cpl.opt, sizeof(v));
	*argp = v;
	return 0;
}

int
rs_ioctl(int fd, unsigned long request, ...)
{
	struct shm_rec rec;
	struct rs_sock *s;
	va_list ap;
	int *argp, rc;

	va_start(ap, request);
	argp = va_arg(ap, int *);
	va_end(ap);
	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	switch (request) {
	case FIONREAD:	/* SIOCINQ */
	case TIOCOUTQ:	/* SIOCOUTQ */
		if (argp == NULL) {
			rc = fail(EFAULT);
			break;
		}
		if (s->stream) {
			rc = stream_ioctl(s, request, argp);
			break;
		}
		if (request == TIOCOUTQ) {
			/* Linux's UDP SIOCOUTQ: bytes queued to send */
			uint32_t prod = atomic_load_explicit(&s->tx.hdr->prod, memory_order_relaxed);
			uint32_t cons = atomic_load_explicit(&s->tx.hdr->cons, memory_order_acquire);

			*argp = prod - cons > s->tx.size ? 0 : (int)(prod - cons);
			rc = 0;
			break;
		}
		/* Linux's UDP FIONREAD: the next datagram's payload length. */
		rs_rx_lock(s);
		rc = shm_rec_peek(&s->rx, &rec);
		pthread_mutex_unlock(&s->rx_lock);
		if (rc == 0)
			*argp = rec.len > INT_MAX ? INT_MAX : (int)rec.len;
		else if (rc == -EAGAIN)
			*argp = 0;
		else {
			rc = fail(EPROTO);
			break;
		}
		rc = 0;
		break;
	case SIOCOUTQNSD:
	case SIOCATMARK:
		/* tcp_ioctl only (written, not yet sent; at the urgent mark):
		 * ENOTTY elsewhere, as udp_ioctl has neither */
		if (!s->stream) {
			rc = fail(ENOTTY);
			break;
		}
		if (argp == NULL) {
			rc = fail(EFAULT);
			break;
		}
		if (request == SIOCOUTQNSD) {
			rc = stream_outqnsd(s, argp);
			break;
		}
		*argp = rs_stream_atmark(s);
		rc = 0;
		break;
	case FIONBIO:
		if (argp == NULL) {
			rc = fail(EFAULT);
			break;
		}
		atomic_store(&s->nonblock, *argp != 0);
		rc = 0;
		break;
	default:
		rc = fail(ENOTTY);
		break;
	}
	rs_sock_put(s);
	return rc;
}

/*
 * For rs_fd_kind and rs_fork_child (rs_proc.c).
 */

bool
rs_sock_present(int fd)
{
	/* A hint without the table lock: one load, never dereferenced. */
	return fd >= 0 && fd < RS_MAX_FD &&
	       __atomic_load_n(&tab[fd], __ATOMIC_ACQUIRE) != NULL;
}

/*
 * fork() (docs/fork.md). Prepare, in the parent: every private lock is
 * taken (no thread of ours is inside a control operation, a doorbell or
 * the table across the fork), a process entry is reserved for the child
 * and the child is made a holder of every socket in the table, before
 * fork() returns anywhere (so a parent that closes a socket at once does
 * not close it under the child). Parent: the locks go. Child: its locks
 * start afresh (only the forking thread lives on), it takes its entry and
 * keeps the attachment, the segment and its sockets.
 */
static int fork_pidx = -1;	/* the entry reserved by rs_fork_prepare */

void
rs_ctl_fork_prepare(void)
{
	struct rs_procs *pr;
	int fd, i, w;

	pthread_mutex_lock(&ctl_lock);
	for (w = 0; w < RS_SHM_MAX_WORKERS; w++)
		pthread_mutex_lock(&rs_bell_lock[w]);
	pthread_rwlock_rdlock(&tab_lock);
	fork_pidx = -1;
	pr = rs_g.procs;
	if (!rs_g.attached || pr == NULL)
		return;
	pctl_lock();
	for (i = 0; i < RS_PROCS_MAX; i++) {
		if (i == rs_g.pidx)
			continue;
		if (pr->proc[i].pid != 0 && !proc_alive(i))
			proc_reap(i);
		if (pr->proc[i].pid == 0)
			break;
	}
	if (i < RS_PROCS_MAX) {
		fork_pidx = i;
		pr->proc[i].pid = -1;
		pr->proc[i].start = 0;
		for (fd = 0; fd < RS_MAX_FD; fd++)
			if (tab[fd] != NULL && (uint32_t)tab[fd]->sd < rs_g.max_socks)
				pr->holders[tab[fd]->sd] |= 1ull << i;
		/* From now on every process resyncs rings under their locks. */
		atomic_store(&pr->forked, true);
	}
	pthread_mutex_unlock(&pr->ctl);
}

void
rs_ctl_fork_parent(void)
{
	pthread_rwlock_unlock(&tab_lock);
	for (int w = RS_SHM_MAX_WORKERS - 1; w >= 0; w--)
		pthread_mutex_unlock(&rs_bell_lock[w]);
	pthread_mutex_unlock(&ctl_lock);
}

void
rs_ctl_fork_failed(void)
{
	struct rs_procs *pr = rs_g.procs;
	int i = fork_pidx;

	if (pr == NULL || i < 0)
		return;
	pthread_mutex_lock(&ctl_lock);
	pctl_lock();
	if (pr->proc[i].pid == -1)
		proc_forget(i);
	pthread_mutex_unlock(&pr->ctl);
	pthread_mutex_unlock(&ctl_lock);
	fork_pidx = -1;
}

bool
rs_ctl_fork_child(void (*orphan)(int fd))
{
	int fd, w;

	/* Only the forking thread lives on: a lock another thread held at
	 * fork() stays held for ever, so every lock starts afresh. */
	pthread_mutex_init(&ctl_lock, NULL);
	pthread_rwlock_init(&tab_lock, NULL);
	for (w = 0; w < RS_SHM_MAX_WORKERS; w++)
		pthread_mutex_init(&rs_bell_lock[w], NULL);
	if (rs_g.attached && fork_pidx >= 0) {
		/* Our entry; the sockets are ours too (holders set by the
		 * parent). A socket's own locks may have been held by a
		 * thread of the parent; no call is in progress here. */
		struct rs_procs *pr = rs_g.procs;

		pctl_lock();
		pr->proc[fork_pidx].start = proc_start(getpid());
		pr->proc[fork_pidx].pid = getpid();
		pthread_mutex_unlock(&pr->ctl);
		rs_g.pidx = fork_pidx;
		fork_pidx = -1;
		for (fd = 0; fd < RS_MAX_FD; fd++) {
			struct rs_sock *s = tab[fd];

			if (s == NULL)
				continue;
			pthread_mutex_init(&s->rx_lock, NULL);
			pthread_mutex_init(&s->tx_lock, NULL);
			pthread_mutex_init(&s->wait_lock, NULL);
			atomic_store(&s->refs, 1);
			s->nwait = 0;
			s->ev_armed = false;
			s->lnext = s->lprev = NULL;
		}
		return true;
	}
	/* No entry (not attached, or RS_PROCS_MAX processes share the
	 * attachment already): the inherited sockets are forgotten, not
	 * freed, and the child attaches anew as a process of its own. */
	for (fd = 0; fd < RS_MAX_FD; fd++) {
		if (tab[fd] == NULL)
			continue;
		tab[fd] = NULL;
		if (orphan != NULL)
			orphan(fd);
	}
	if (rs_g.attached) {
		close(rs_g.usock);
		munmap(rs_g.base, rs_g.size);
		if (rs_g.procs != NULL)
			munmap(rs_g.procs, rs_g.procs_len);
	}
	memset(&rs_g, 0, sizeof(rs_g));
	fork_pidx = -1;
	return false;
}

/* The child's sockets back in the process-wide list (rs_epoll.c), after
 * rs_ep_fork_child emptied it. */
void
rs_ctl_fork_relist(void)
{
	for (int fd = 0; fd < RS_MAX_FD; fd++)
		if (tab[fd] != NULL)
			rs_event_sock_open(tab[fd]);
}
