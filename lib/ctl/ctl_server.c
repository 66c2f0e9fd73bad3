/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's event loop: the management socket (framed requests,
 * lib/ctl/ctl_proto.h), a periodic tick that drains what workers post and
 * runs the neighbor timers, and SIGINT/SIGTERM through a signalfd.
 *
 * Requests from one client are answered in order. Several requests that
 * arrive together (ringctl -b) are executed, then published to workers with
 * one grace period, then answered: an answer always means "applied".
 *
 * Who may do what: see ctl_server.h. A client's credentials are read once,
 * at accept; a request that changes state from a client that is not an
 * administrator is answered -EPERM without being looked at further.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "core/module.h"
#include "ctl/cmd.h"
#include "ctl/ctl_proto.h"
#include "ctl/ctl_server.h"
#include "sock/sock.h"
#include "util/rs_log.h"

#define TICK_NS 1000000        /* drain worker rings every 1 ms */
#define ACCEPT_RETRY_NS 100000000 /* out of descriptors: try accept again in 100 ms */
#define CLIENT_IN_MAX (CTL_HDR_LEN + CTL_MAX_REQUEST)
#define CLIENT_IN_FIRST 512    /* a request buffer starts this small, grows to CLIENT_IN_MAX */
#define CLIENT_OUT_KEEP 65536  /* an empty output buffer larger than this is given back */

struct client {
	int fd;
	uint32_t slot;     /* index in clients[] */
	uint8_t *in;       /* requests received, not run yet */
	size_t inlen, incap;
	bool in_filled;    /* the last read filled the buffer: more is waiting */
	struct rs_buf out; /* encoded responses not yet written */
	size_t outoff;
	bool closing;      /* close once out is flushed */
	bool failed;       /* a CTL_F_STOP_ON_ERROR request failed */
	bool dead;         /* closed: freed after the event batch (defect 4) */
	struct client *next_dead;
	bool admin;        /* may manage (credentials at connect, ctl_server.h) */
	bool drop;         /* over its output cap: close without flushing */
	uint32_t events;   /* registered with epoll */
	uid_t uid;         /* SO_PEERCRED at connect */
	struct rs_app *app; /* an application attached: only kicks follow */
};

static int lfd = -1, efd = -1, tfd = -1, sfd = -1;
static char sock_path[108];
static struct ctl_server_params prm;
/* max_clients slots; free ones are stacked in free_slots */
static struct client **clients;
static uint32_t *free_slots;
static uint32_t nfree_slots, nclients, nadmins;
/* accept paused (out of descriptors) until this time; 0 when listening */
static uint64_t accept_resume_ns;
static struct ctl_server_stats st;

/*
 * Connections per uid (non-administrators), for --max-clients-per-uid: an
 * open-addressing table with linear probing, twice the slots there can be
 * clients, entries removed by backward shift so no tombstones build up.
 */
struct uid_count {
	uid_t uid;
	uint32_t n;        /* 0: free */
};
static struct uid_count *uids;
static uint32_t uid_mask;

static uint32_t uid_home(uid_t uid)
{
	return (uint32_t)(((uint64_t)uid * 0x9e3779b97f4a7c15ull) >> 32) & uid_mask;
}

static struct uid_count *uid_find(uid_t uid, bool add)
{
	for (uint32_t i = uid_home(uid);; i = (i + 1) & uid_mask) {
		if (uids[i].n != 0 && uids[i].uid == uid)
			return &uids[i];
		if (uids[i].n == 0) {
			if (!add)
				return NULL;
			uids[i].uid = uid; /* n set by the caller */
			return &uids[i];
		}
	}
}

static void uid_put(uid_t uid)
{
	struct uid_count *u = uid_find(uid, false);
	if (u == NULL || --u->n != 0)
		return;
	/* backward shift: pull later entries of the probe run into the hole */
	uint32_t hole = (uint32_t)(u - uids);
	for (uint32_t j = (hole + 1) & uid_mask; uids[j].n != 0; j = (j + 1) & uid_mask) {
		uint32_t home = uid_home(uids[j].uid);
		/* movable unless its home lies cyclically in (hole, j] */
		if (((j - home) & uid_mask) >= ((j - hole) & uid_mask)) {
			uids[hole] = uids[j];
			uids[j].n = 0;
			hole = j;
		}
	}
}

static size_t client_pending(const struct client *c)
{
	return c->out.len - c->outoff;
}

static void client_close(struct client *c);

/* Clients closed during an event batch: the batch may still hold events
 * for them (epoll returned them together), so their memory lives until the
 * batch is done; an event for a dead client is ignored. */
static struct client *graveyard;

static void graveyard_flush(void)
{
	while (graveyard != NULL) {
		struct client *c = graveyard;
		graveyard = c->next_dead;
		free(c->in);
		rs_buf_free(&c->out);
		free(c);
	}
}

void ctl_poll_workers(void)
{
	uint64_t now = rs_now_ns();
	rs_msgs_drain(now);
	rs_modules_tick(now);
	/* applications a worker found corrupt are disconnected */
	struct rs_app *bad;
	while ((bad = sock_app_corrupt_next()) != NULL) {
		bool found = false;
		for (uint32_t i = 0; clients != NULL && i < prm.max_clients; i++)
			if (clients[i] && clients[i]->app == bad) {
				rs_log("app %u (pid %u) corrupted its segment: disconnected",
				       bad->id, bad->pid);
				client_close(clients[i]);
				found = true;
				break;
			}
		if (!found)
			sock_app_detach(bad);
	}
	/* packets the state machine queued for workers are out; what it freed
	 * is reclaimed once workers have passed a quiescent state (never
	 * waiting here: an idle or busy worker holds nothing up) */
	rs_rcu_reclaim();
}

void ctl_server_params_default(struct ctl_server_params *p)
{
	memset(p, 0, sizeof(*p));
	p->path = "/run/ringstack/ctl.sock";
	/* Anyone may attach an application (as anyone may open a socket on
	 * Linux); management is decided per request, not by the file mode. */
	p->mode = 0666;
	p->sock_gid = -1;
	p->admin_gid = -1;
	p->max_clients = 4096;
	p->max_clients_per_uid = 1024;
	p->admin_reserve = 16;
	p->out_soft = 1u << 20;
	p->out_max = 16u << 20;
}

bool ctl_peer_is_admin(const struct ctl_server_params *p, uid_t uid, gid_t gid,
		       const gid_t *groups, unsigned ngroups)
{
	if (uid == 0)
		return true;
	if (p->admin_gid < 0)
		return false;
	if (gid == (gid_t)p->admin_gid)
		return true;
	for (unsigned i = 0; i < ngroups; i++)
		if (groups[i] == (gid_t)p->admin_gid)
			return true;
	return false;
}

/*
 * The peer's credentials as the kernel recorded them at connect():
 * SO_PEERCRED (uid, gid) and SO_PEERGROUPS (supplementary groups, Linux
 * 4.13). Reading /proc/PID/status instead would race with the peer
 * changing its groups or exiting and its pid being reused; getgrouplist()
 * would ask the group database (which may block on a network directory,
 * and knows nothing of a uid without a passwd entry or of groups a process
 * dropped) rather than the process's credentials.
 */
static int peer_creds(int fd, struct client *c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr))
		return -errno;
	c->uid = cr.uid;
	c->admin = ctl_peer_is_admin(&prm, cr.uid, cr.gid, NULL, 0);
	if (c->admin || prm.admin_gid < 0)
		return 0;
	gid_t small[64], *g = small;
	len = sizeof(small);
	int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
	if (rc < 0 && errno == ERANGE) {
		/* len now says how much the list needs (NGROUPS_MAX bounds it) */
		g = malloc(len);
		if (g == NULL)
			return -ENOMEM;
		rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
	}
	if (rc == 0)
		c->admin = ctl_peer_is_admin(&prm, cr.uid, cr.gid, g, len / sizeof(gid_t));
	if (g != small)
		free(g);
	/* without the list (an old kernel): the primary group only */
	return 0;
}

int ctl_server_open(const struct ctl_server_params *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = p->path;

	prm = *p;
	if (prm.max_clients == 0 || prm.max_clients > (1u << 24) ||
	    prm.admin_reserve >= prm.max_clients || prm.max_clients_per_uid == 0 ||
	    prm.out_soft == 0 || prm.out_max < prm.out_soft) {
		rs_err_set("invalid management socket bounds");
		return -EINVAL;
	}
	clients = calloc(prm.max_clients, sizeof(clients[0]));
	free_slots = malloc(prm.max_clients * sizeof(free_slots[0]));
	uint32_t nu = 2;
	while (nu < 2 * prm.max_clients)
		nu <<= 1;
	uids = calloc(nu, sizeof(uids[0]));
	uid_mask = nu - 1;
	if (clients == NULL || free_slots == NULL || uids == NULL) {
		rs_err_set("cannot allocate the client table");
		return -ENOMEM;
	}
	for (uint32_t i = prm.max_clients; i > 0; i--)
		free_slots[nfree_slots++] = i - 1;
	/* every client is a descriptor: use what the hard limit allows (the
	 * soft default, 1024, is a fraction of what --max-clients wants) */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		rs_err_set("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	snprintf(sock_path, sizeof(sock_path), "%s", path);

	/* refuse to steal the socket of a running daemon */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		rs_err_set("another ringstackd is listening on %s", path);
		sock_path[0] = '\0';
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);

	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (p->sock_gid >= 0 && chown(path, (uid_t)-1, (gid_t)p->sock_gid) < 0) ||
	    chmod(path, p->mode) < 0 || listen(lfd, SOMAXCONN) < 0) {
		int e = errno;
		rs_err_set("cannot listen on %s: %s", path, strerror(e));
		return -e;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || efd < 0) {
		rs_err_set("cannot create the control loop: %s", strerror(errno));
		return -errno;
	}
	struct itimerspec its = { { 0, TICK_NS }, { 0, TICK_NS } };
	timerfd_settime(tfd, 0, &its, NULL);
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.ptr = &lfd;
	epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &tfd;
	epoll_ctl(efd, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.ptr = &sfd;
	epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev);
	return 0;
}

static void client_close(struct client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->app != NULL) {
		/* the application is gone (exit, kill -9) or corrupt: its
		 * sockets close and its ports are free at once */
		sock_app_detach(c->app);
		c->app = NULL;
	}
	epoll_ctl(efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	clients[c->slot] = NULL;
	free_slots[nfree_slots++] = c->slot;
	nclients--;
	if (c->admin)
		nadmins--;
	else
		uid_put(c->uid);
	/* freed after the event batch: it may still have an event in it */
	c->next_dead = graveyard;
	graveyard = c;
}

static void client_set_events(struct client *c, uint32_t events)
{
	if (events == c->events)
		return;
	struct epoll_event ev = { .events = events, .data.ptr = c };
	epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = events;
}

/*
 * A new connection with these credentials, or -errno when it may not have
 * one: out of slots (the last admin_reserve only for administrators), or
 * over its uid's quota. Takes fd (closed on failure).
 */
static int client_add(int fd, uid_t uid, bool admin)
{
	uint32_t open_to_all = nfree_slots > prm.admin_reserve ? nfree_slots - prm.admin_reserve : 0;
	if (nfree_slots == 0 || (!admin && open_to_all == 0)) {
		st.refused_full++;
		close(fd);
		return -ENOSPC;
	}
	struct uid_count *u = NULL;
	if (!admin) {
		u = uid_find(uid, true);
		if (u->n >= prm.max_clients_per_uid) {
			st.refused_uid++;
			close(fd);
			return -EDQUOT;
		}
	}
	struct client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return -ENOMEM; /* a fresh uid entry is left with n 0: free */
	}
	if (u != NULL)
		u->n++;
	c->fd = fd;
	c->uid = uid;
	c->admin = admin;
	c->slot = free_slots[--nfree_slots];
	rs_buf_init(&c->out);
	clients[c->slot] = c;
	nclients++;
	if (admin)
		nadmins++;
	c->events = EPOLLIN;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	if (epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		client_close(c);
		return -e;
	}
	return 0;
}

int ctl_server_adopt(int fd, uid_t uid, bool admin)
{
	if (clients == NULL) {
		close(fd);
		return -ENODEV;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return client_add(fd, uid, admin);
}

static void client_accept(void)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct client tmp = { .fd = fd };
		if (peer_creds(fd, &tmp) < 0) {
			close(fd);
			continue;
		}
		client_add(fd, tmp.uid, tmp.admin);
	}
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
		/* The pending connection stays queued and the listener stays
		 * readable: waiting on it now would spin. Stop listening until
		 * the tick retries (a connection closing frees a descriptor). */
		struct epoll_event ev = { .events = 0, .data.ptr = &lfd };
		epoll_ctl(efd, EPOLL_CTL_MOD, lfd, &ev);
		accept_resume_ns = rs_now_ns() + ACCEPT_RETRY_NS;
		if (st.accept_paused++ == 0)
			rs_log("accept: %s: pausing 100 ms at a time until descriptors free up",
			       strerror(errno));
	}
}

static void accept_maybe_resume(void)
{
	if (accept_resume_ns == 0 || rs_now_ns() < accept_resume_ns)
		return;
	accept_resume_ns = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &lfd };
	epoll_ctl(efd, EPOLL_CTL_MOD, lfd, &ev);
}

static void respond(struct client *c, uint32_t seq, int status, const char *msg, size_t len)
{
	char m[512];
	if (status < 0 && len > 0) {
		/* An error is one line of text (ctl_proto.h), but messages quote
		 * the words they reject, which the peer chose: control bytes
		 * (a newline, an escape sequence for the terminal) become '?'. */
		if (len > sizeof(m))
			len = sizeof(m);
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)msg[i];
			m[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		msg = m;
	}
	if (len > CTL_MAX_RESPONSE - 64) {
		status = -E2BIG;
		msg = "output too large";
		len = strlen(msg);
	}
	if (!c->admin && CTL_HDR_LEN + 8 + len > prm.out_max) {
		/* one answer larger than a non-administrator may hold */
		status = -E2BIG;
		len = (size_t)snprintf(m, sizeof(m), "output too large (over %zu MiB): run it as root",
				       prm.out_max >> 20);
		msg = m;
	}
	size_t need = CTL_HDR_LEN + 8 + len;
	if (!c->admin && client_pending(c) + need > prm.out_max) {
		/* Backpressure stops a peer's requests past out_soft, so only
		 * a peer that does not read its answers gets here. */
		c->drop = true;
		st.dropped++;
		return;
	}
	size_t start = c->out.len;
	char *frame = rs_buf_extend(&c->out, need); /* encoded in place */
	if (frame == NULL) {
		c->closing = true;
		return;
	}
	long n = ctl_response_encode((uint8_t *)frame, need, seq, status, msg, len);
	if (n < 0)
		c->closing = true;
	else
		c->out.len = start + (size_t)n;
}

/* An application attaches: answer with its segment's memfd (SCM_RIGHTS). */
static void client_attach(struct client *c, const struct ctl_hdr *h, const uint8_t *body)
{
	struct rs_attach_rsp rsp = { .version = RS_SHM_VERSION };
	struct ucred cr = { 0 };
	socklen_t crl = sizeof(cr);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) < 0) {
		cr.pid = 0;
		cr.uid = cr.gid = (uid_t)-1; /* unknown: quotas still apply to it */
	}
	struct rs_app *a = sock_app_attach(c->fd, body, h->len, (uint32_t)cr.pid, cr.uid, cr.gid);
	int memfd = -1;
	if (a == NULL) {
		rsp.status = -errno;
	} else {
		size_t size;
		memfd = sock_app_memfd(a, &size);
		rsp.size = size;
	}
	struct ctl_hdr rh = { .magic = CTL_MAGIC, .version = CTL_VERSION, .type = CTL_T_ATTACH,
			      .seq = h->seq, .len = sizeof(rsp) };
	uint8_t frame[CTL_HDR_LEN + sizeof(rsp)];
	ctl_hdr_encode(frame, &rh);
	memcpy(frame + CTL_HDR_LEN, &rsp, sizeof(rsp));
	struct iovec iov = { frame, sizeof(frame) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (memfd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
	}
	if (sendmsg(c->fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(frame)) {
		if (a != NULL)
			sock_app_detach(a);
		c->closing = true;
		return;
	}
	if (a == NULL) {
		c->closing = true;
		return;
	}
	c->app = a;
}

/* Kicks from an attached application: one byte per request. Descriptors
 * it sends are not wanted: closed at once. */
static void app_readable(struct client *c)
{
	char buf[256];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		client_close(c);
		return;
	}
	if (n < 0)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t k = 0; k < nfd; k++) {
			int f;
			memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			close(f);
		}
	}
	/* No grace period here: what a request publishes (a demux entry, a
	 * port) is visible to workers as it is stored (lock-free readers);
	 * what it unlinks is freed by rs_defer_free after the next one (the
	 * tick's rs_rcu_reclaim). A socket call costs no wait for the workers. */
	sock_app_kicks(c->app, (unsigned)n);
}

/* Set by client_process when a request that ran needs a grace period
 * before its answer goes out (anything but reading and route changes). */
static bool batch_needs_grace;

/* Executes every complete request in c->in; returns how many ran. */
static int client_process(struct client *c)
{
	static struct ctl_request req;
	struct rs_buf out;
	int ran = 0;
	size_t off = 0;

	rs_buf_init(&out);
	/* past out_soft the peer's requests wait until it reads (ctl_server.h) */
	while (!c->closing && !c->drop && client_pending(c) <= prm.out_soft &&
	       c->inlen - off >= CTL_HDR_LEN) {
		struct ctl_hdr h;
		int rc = ctl_hdr_decode(c->in + off, &h);
		if (rc == 0 && h.type == CTL_T_ATTACH) {
			if (c->inlen - off < CTL_HDR_LEN + (size_t)h.len)
				break;
			client_attach(c, &h, c->in + off + CTL_HDR_LEN);
			off += CTL_HDR_LEN + h.len;
			/* anything after the attach frame is a kick */
			if (c->app != NULL && c->inlen > off)
				sock_app_kicks(c->app, (unsigned)(c->inlen - off));
			off = c->inlen;
			break;
		}
		if (rc == 0 && h.type != CTL_T_REQUEST)
			rc = -EBADMSG;
		if (rc < 0) {
			/* cannot find the next frame: answer and hang up */
			const char *m = rc == -EPROTO ? "unsupported protocol version"
				       : rc == -EMSGSIZE ? "request too large" : "malformed frame";
			respond(c, h.seq, rc, m, strlen(m));
			c->closing = true;
			break;
		}
		if (c->inlen - off < CTL_HDR_LEN + (size_t)h.len)
			break;
		const uint8_t *body = c->in + off + CTL_HDR_LEN;
		off += CTL_HDR_LEN + h.len;
		rc = ctl_request_decode(body, h.len, &req);
		if (rc < 0) {
			const char *m = "malformed request";
			respond(c, h.seq, rc, m, strlen(m));
			continue;
		}
		if ((req.flags & CTL_F_STOP_ON_ERROR) && c->failed) {
			const char *m = "not run: an earlier command of the batch failed";
			respond(c, h.seq, -ECANCELED, m, strlen(m));
			ran++;
			continue;
		}
		if (!c->admin && !cmd_is_readonly(req.argc, req.argv)) {
			char m[160];
			if (prm.admin_gid >= 0)
				snprintf(m, sizeof(m),
					 "permission denied: management needs root or group '%s'",
					 prm.admin_group);
			else
				snprintf(m, sizeof(m), "permission denied: management needs root");
			if (req.flags & CTL_F_STOP_ON_ERROR)
				c->failed = true;
			respond(c, h.seq, -EPERM, m, strlen(m));
			ran++;
			continue;
		}
		rs_buf_reset(&out);
		struct cmd_ctx ctx = { .json = (req.flags & CTL_F_JSON) != 0, .out = &out };
		/* Earlier requests of this batch may have staged edits not yet
		 * published: a failing request must take back only its own. */
		static struct rs_cfg backup;
		bool had_staging = rs_dp.staging != NULL;
		if (had_staging)
			memcpy(&backup, rs_dp.staging, sizeof(backup));
		if (cmd_needs_grace(req.argc, req.argv))
			batch_needs_grace = true;
		rc = cmd_exec(&ctx, req.argc, req.argv);
		if (rc < 0) {
			if (had_staging) {
				memcpy(rs_dp.staging, &backup, sizeof(backup));
			} else {
				free(rs_dp.staging);
				rs_dp.staging = NULL;
			}
			if (req.flags & CTL_F_STOP_ON_ERROR)
				c->failed = true;
			const char *m = rs_err_get();
			respond(c, h.seq, rc, m, strlen(m));
		} else {
			if (rs_buf_failed(&out)) {
				const char *m = "out of memory formatting the output";
				respond(c, h.seq, -ENOMEM, m, strlen(m));
			} else {
				respond(c, h.seq, 0, out.s ? out.s : "", out.len);
			}
		}
		ran++;
		/* bound the work per wakeup so workers' messages keep flowing */
		if (ran >= 4096)
			break;
	}
	rs_buf_free(&out);
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return ran;
}

/* Writes what the peer takes; false when the connection is to be closed. */
static bool client_write(struct client *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = write(c->fd, c->out.s + c->outoff, c->out.len - c->outoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->out.len) {
		/* a large buffer is not kept for a peer that is now idle */
		if (c->out.cap > CLIENT_OUT_KEEP)
			rs_buf_free(&c->out);
		else
			rs_buf_reset(&c->out);
		c->outoff = 0;
	} else if (c->outoff > client_pending(c)) {
		/* a slow reader: move the rest to the front, or a buffer that
		 * never empties would grow with every answer */
		memmove(c->out.s, c->out.s + c->outoff, client_pending(c));
		c->out.len -= c->outoff;
		c->outoff = 0;
	}
	return !(c->closing && c->out.len == 0);
}

/* Reads what fits in the request buffer; false on hang-up or error. */
static bool client_read(struct client *c)
{
	/* The buffer grows when it is full, and when the last read filled
	 * it: a batch (ringctl -b) then comes in reads of up to
	 * CLIENT_IN_MAX, where it came 512 bytes (8 route adds) a wakeup,
	 * three system calls each */
	if (c->inlen == c->incap || (c->in_filled && c->incap < CLIENT_IN_MAX)) {
		if (c->inlen == c->incap && c->incap == CLIENT_IN_MAX)
			return true; /* full of complete requests: run them first */
		size_t cap = c->incap ? c->incap * 2 : CLIENT_IN_FIRST;
		if (cap > CLIENT_IN_MAX)
			cap = CLIENT_IN_MAX;
		uint8_t *in = realloc(c->in, cap);
		if (in == NULL)
			return true; /* tried again on the next event */
		c->in = in;
		c->incap = cap;
	}
	ssize_t n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	c->in_filled = n > 0 && (size_t)n == c->incap - c->inlen;
	if (n > 0)
		c->inlen += (size_t)n;
	return true;
}

static void client_event(struct client *c, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP)) {
		client_close(c);
		return;
	}
	if ((events & EPOLLIN) && c->app != NULL) {
		app_readable(c);
		return;
	}
	if ((events & EPOLLOUT) && !client_write(c)) {
		client_close(c);
		return;
	}
	if ((events & EPOLLIN) && client_pending(c) <= prm.out_soft && !client_read(c)) {
		client_close(c);
		return;
	}
	int ran = 0, r;
	batch_needs_grace = false;
	while ((r = client_process(c)) > 0) {
		ran += r;
		if (r < 4096)
			break;
	}
	if (ran > 0 && batch_needs_grace) {
		rs_cfg_commit(); /* publish + grace period before answering */
	} else if (ran > 0) {
		/* Reading and route changes: a route is in the FIB as it is
		 * stored, so the answer need not wait for the workers; what
		 * the changes unlinked is freed once they have moved on. */
		rs_cfg_publish();
		rs_rcu_reclaim();
	}
	/* and the addresses applications check their sends against, before
	 * the answer: "ringctl addr add" returning means a running
	 * application already sees the address */
	if (ran > 0)
		sock_addrs_sync();
	if (c->drop) {
		rs_log("client uid %u: %zu bytes of answers unread: disconnected", (unsigned)c->uid,
		       client_pending(c));
		client_close(c);
		return;
	}
	if (!client_write(c)) {
		client_close(c);
		return;
	}
	/* Requests are read while the answers the peer has not read stay
	 * under out_soft; a hang-up is reported either way. */
	uint32_t want = 0;
	if (client_pending(c) > 0)
		want |= EPOLLOUT;
	if (client_pending(c) <= prm.out_soft)
		want |= EPOLLIN;
	client_set_events(c, want);
}

int ctl_server_poll(int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(efd, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	st.wakeups++;
	for (int i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;
		if (p == &lfd) {
			client_accept();
		} else if (p == &tfd) {
			uint64_t x;
			if (read(tfd, &x, sizeof(x)) < 0) { /* nothing */ }
			ctl_poll_workers();
			accept_maybe_resume();
		} else if (p == &sfd) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				rs_log("signal %u: stopping", si.ssi_signo);
			return 1;
		} else if (!((struct client *)p)->dead) {
			client_event(p, evs[i].events);
		}
	}
	graveyard_flush();
	/* a command may have changed the addresses applications check their
	 * sends against */
	sock_addrs_sync();
	return 0;
}

int ctl_server_run(void)
{
	while (!rs_dp.stop) {
		int rc = ctl_server_poll(-1);
		if (rc < 0) {
			rs_log("epoll_wait: %s", strerror(-rc));
			return rc;
		}
		if (rc > 0)
			return 0;
	}
	return 0;
}

void ctl_server_get_stats(struct ctl_server_stats *s)
{
	*s = st;
	s->clients = nclients;
	s->admins = nadmins;
	for (uint32_t i = 0; clients != NULL && i < prm.max_clients; i++) {
		const struct client *c = clients[i];
		if (c == NULL)
			continue;
		size_t p = client_pending(c);
		s->apps += c->app != NULL;
		s->throttled += p > prm.out_soft;
		s->out_bytes += p;
		if (p > s->out_max)
			s->out_max = p;
	}
}

void ctl_server_close(void)
{
	for (uint32_t i = 0; clients != NULL && i < prm.max_clients; i++)
		if (clients[i])
			client_close(clients[i]);
	graveyard_flush();
	free(clients);
	free(free_slots);
	free(uids);
	clients = NULL;
	free_slots = NULL;
	uids = NULL;
	nfree_slots = nclients = nadmins = 0;
	accept_resume_ns = 0;
	memset(&st, 0, sizeof(st));
	if (lfd >= 0)
		close(lfd);
	if (sock_path[0])
		unlink(sock_path);
	if (efd >= 0)
		close(efd);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	lfd = efd = tfd = sfd = -1;
}
