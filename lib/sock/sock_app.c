/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Applications and their segments, on the control thread: attach, the
 * sealed memfd and its layout, descriptor slots, ring memory, wake pairs,
 * detach and release, per-user quotas.
 */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>

#include "core/dp.h"
#include "sock/sock.h"
#include "sock/sock_int.h"
#include "sock/sock_quota.h"
#include "util/rs_log.h"
#include "util/seg_alloc.h"
#include "wire/wire.h"

struct sock_limits sock_limits;
struct rs_apps_pub *_Atomic sock_apps_pub;

/* Every attached application (control thread). */
static struct rs_app **apps;
static uint32_t napps, capps;
static uint32_t next_app_id = 1;

#define SEG_HDR 4096
#define ADDRS_OFF 1024
#define CTRL_RING (64 * 1024)
#define BELL_RING (16 * 1024)
#define ARENA_MIN_BLOCK 4096
/* Freed ring blocks at least this large give their pages back. */
#define PUNCH_MIN (64 * 1024)

_Static_assert(ADDRS_OFF >= sizeof(struct rs_shm_hdr) &&
		       ADDRS_OFF + sizeof(struct rs_shm_addrs) <= SEG_HDR,
	       "address list in the header page");

void sock_limits_default(struct sock_limits *l)
{
	l->max_apps = 1024;
	l->apps_per_uid = 256;
	l->socks_per_app = 65536;
	l->socks_per_uid = 262144;
	l->arena_bytes = 16ull << 30; /* virtual: pages are used as data flows */
	l->app_budget_bytes = 256 * 1024;
	l->port_lo = RS_EPHEMERAL_LO;
	l->port_hi = RS_EPHEMERAL_HI;
}

/* ---- per-user accounting (sock_quota.h) ---- */

static struct sock_quota *quota;

int sock_quota_init(void)
{
	struct sock_quota_limits l = {
		.max_apps = sock_limits.max_apps,
		.apps_per_uid = sock_limits.apps_per_uid,
		.socks_per_uid = sock_limits.socks_per_uid,
	};
	quota = sock_quota_create(&l);
	return quota ? 0 : -ENOMEM;
}

void sock_quota_fini(void)
{
	sock_quota_destroy(quota);
	quota = NULL;
}

/* ---- publication ---- */

static void publish_apps(void)
{
	struct rs_apps_pub *pub = malloc(sizeof(*pub) + (size_t)(napps ? napps : 1) * sizeof(pub->apps[0]));
	if (pub == NULL) {
		/* keep the old list: wait for a grace period so that a removed
		 * app is not used, then publish a list without the removed
		 * ones by rewriting nothing: drop everyone out instead */
		rs_log("out of memory publishing the application list");
		return;
	}
	pub->n = 0;
	for (uint32_t i = 0; i < napps; i++)
		if (!apps[i]->detached && !atomic_load(&apps[i]->corrupt))
			pub->apps[pub->n++] = apps[i];
	struct rs_apps_pub *old = atomic_exchange(&sock_apps_pub, pub);
	rs_defer_free(free, old);
}

uint32_t sock_app_count(void)
{
	return napps;
}

/* ---- segment ---- */

static void desc(struct rs_shm_ring_desc *d, uint64_t off, uint32_t size)
{
	d->hdr_off = off;
	d->data_off = off + sizeof(struct shm_ring_hdr);
	d->size = size;
	d->pad = 0;
}

static int ring_view(struct shm_ring *r, uint8_t *base, const struct rs_shm_ring_desc *d,
		     enum shm_ring_side side)
{
	return shm_ring_init(r, (struct shm_ring_hdr *)(base + d->hdr_off), base + d->data_off,
			     d->size, side);
}

static void addrs_publish(struct rs_app *a, const struct rs_cfg *c)
{
	struct rs_shm_addrs *d = (struct rs_shm_addrs *)(a->base + ADDRS_OFF);
	uint32_t n = 0, truncated = 0;

	/* seqlock writer: odd, the entries, even again (release) */
	atomic_store_explicit(&d->seq, ++a->addrs_seq, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		const struct rs_iface *ifc = &c->ifaces[i];
		if (!ifc->present)
			continue;
		for (unsigned k = 0; k < ifc->naddrs; k++) {
			if (n == RS_SHM_MAX_ADDRS) {
				truncated = 1;
				break;
			}
			uint32_t ip = ifc->addrs[k].ip;
			uint8_t plen = ifc->addrs[k].plen;
			struct rs_ip x = rs_ip_from4(ip);
			memcpy(d->a[n].addr, x.b, 16);
			memset(d->a[n].bcast, 0, 16);
			if (plen < 31) {
				struct rs_ip bc = rs_ip_from4(ip4_bcast_of(ip, plen));
				memcpy(d->a[n].bcast, bc.b, 16);
			}
			n++;
		}
	}
	d->n = n;
	d->truncated = truncated;
	atomic_store_explicit(&d->seq, ++a->addrs_seq, memory_order_release);
}

static uint64_t addrs_gen = UINT64_MAX;

void sock_addrs_sync(void)
{
	const struct rs_cfg *c = rs_cfg_current();
	if (c->gen == addrs_gen)
		return;
	addrs_gen = c->gen;
	for (uint32_t i = 0; i < napps; i++)
		if (!apps[i]->detached)
			addrs_publish(apps[i], c);
}

static void app_free(void *arg)
{
	struct rs_app *a = arg;
	if (a->base)
		munmap(a->base, a->size);
	if (a->memfd >= 0)
		close(a->memfd);
	if (a->arena)
		seg_alloc_destroy(a->arena);
	free(a->socks);
	free(a->own);
	free(a->txq);
	free(a);
}

struct rs_app *sock_app_attach(int fd, const void *body, uint32_t len, uint32_t pid,
			       uint32_t uid, uint32_t gid)
{
	struct rs_attach_req req;
	if (len != sizeof(req)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(&req, body, sizeof(req));
	if (req.version != RS_SHM_VERSION) {
		errno = EPROTO;
		return NULL;
	}
	if (napps == capps) {
		uint32_t c = capps ? capps * 2 : 16;
		struct rs_app **p = realloc(apps, c * sizeof(*p));
		if (p == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		apps = p;
		capps = c;
	}
	/* EUSERS ("too many users"): the quota of applications */
	int qrc = sock_quota_app_get(quota, uid);
	if (qrc < 0) {
		errno = -qrc;
		return NULL;
	}
	struct rs_app *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		sock_quota_app_put(quota, uid);
		return NULL;
	}
	a->fd = fd;
	a->pid = pid;
	a->uid = uid;
	a->gid = gid;
	memcpy(a->name, req.name, sizeof(a->name) - 1);
	a->memfd = -1;
	a->id = next_app_id++;
	a->max_socks = sock_limits.socks_per_app;
	unsigned nw = rs_dp.nb_workers ? rs_dp.nb_workers : 1;

	uint64_t off = SEG_HDR;
	uint64_t req_off = off;
	off += sizeof(struct shm_ring_hdr) + CTRL_RING;
	uint64_t cpl_off = off;
	off += sizeof(struct shm_ring_hdr) + CTRL_RING;
	uint64_t bell_off = off;
	off += (uint64_t)nw * (sizeof(struct shm_ring_hdr) + BELL_RING);
	uint64_t socks_off = RTE_ALIGN_CEIL(off, 4096);
	off = socks_off + (uint64_t)a->max_socks * sizeof(struct rs_shm_sock);
	uint64_t arena_size = rte_align64pow2(sock_limits.arena_bytes);
	uint64_t arena_off = RTE_ALIGN_CEIL(off, arena_size < (1ull << 21) ? arena_size : (1ull << 21));
	a->size = arena_off + arena_size;

	a->socks = calloc(a->max_socks, sizeof(a->socks[0]));
	a->own = calloc(a->max_socks, sizeof(a->own[0]));
	a->txq = aligned_alloc(64, nw * sizeof(struct sock_txq));
	if (a->txq != NULL)
		memset(a->txq, 0, nw * sizeof(struct sock_txq));
	a->arena = seg_alloc_create(arena_off, arena_size, ARENA_MIN_BLOCK);
	char nm[32];
	snprintf(nm, sizeof(nm), "ringstack-app%u", a->id);
	a->memfd = memfd_create(nm, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (a->socks == NULL || a->own == NULL || a->txq == NULL || a->arena == NULL || a->memfd < 0 ||
	    ftruncate(a->memfd, (off_t)a->size) < 0)
		goto fail;
	/* Sealed before it is shared: the application can never shrink (or
	 * grow) the file under the daemon's mapping, so no access the daemon
	 * makes inside it can raise SIGBUS (sock_shm.h). */
	if (fcntl(a->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       a->memfd, 0);
	if (a->base == MAP_FAILED) {
		a->base = NULL;
		goto fail;
	}
	struct rs_shm_hdr *h = (struct rs_shm_hdr *)a->base;
	h->magic = RS_SHM_MAGIC;
	h->version = RS_SHM_VERSION;
	h->size = a->size;
	h->max_socks = a->max_socks;
	h->nworkers = nw;
	h->socks_off = socks_off;
	a->socks_off = socks_off;
	h->addrs_off = ADDRS_OFF;
	desc(&h->req, req_off, CTRL_RING);
	desc(&h->cpl, cpl_off, CTRL_RING);
	addrs_publish(a, rs_cfg_current());
	/* the daemon's views come from its own values, never read back */
	struct rs_shm_ring_desc d;
	desc(&d, req_off, CTRL_RING);
	if (ring_view(&a->req, a->base, &d, SHM_RING_CONS) < 0)
		goto fail;
	desc(&d, cpl_off, CTRL_RING);
	if (ring_view(&a->cpl, a->base, &d, SHM_RING_PROD) < 0)
		goto fail;
	for (unsigned w = 0; w < nw; w++) {
		uint64_t o = bell_off + (uint64_t)w * (sizeof(struct shm_ring_hdr) + BELL_RING);
		desc(&h->bell[w], o, BELL_RING);
		desc(&d, o, BELL_RING);
		if (ring_view(&a->bell[w], a->base, &d, SHM_RING_CONS) < 0)
			goto fail;
	}
	apps[napps++] = a;
	publish_apps();
	return a;
fail:;
	int e = errno ? errno : ENOMEM;
	sock_quota_app_put(quota, uid);
	app_free(a);
	errno = e;
	return NULL;
}

int sock_app_memfd(const struct rs_app *a, size_t *size)
{
	*size = a->size;
	return a->memfd;
}

struct rs_app *sock_app_corrupt_next(void)
{
	for (uint32_t i = 0; i < napps; i++)
		if (!apps[i]->detached && atomic_load(&apps[i]->corrupt))
			return apps[i];
	return NULL;
}

/* Removes a from apps[] and frees it after a grace period. */
static void app_finish(struct rs_app *a)
{
	for (uint32_t i = 0; i < napps; i++)
		if (apps[i] == a) {
			apps[i] = apps[--napps];
			break;
		}
	sock_quota_app_put(quota, a->uid);
	publish_apps();
	rs_defer_free(app_free, a);
}

void sock_app_detach(struct rs_app *a)
{
	if (a->detached)
		return;
	a->detached = true;
	a->fd = -1;
	/* Workers stop serving its doorbells now; its sockets close as on
	 * a process exit (TCP: reset or finish as Linux would). */
	publish_apps();
	for (uint32_t sd = 0; sd < a->max_socks && a->nsocks > 0; sd++) {
		struct rs_sock *s = a->own[sd];
		/* a prepared socket (a listener's stock or a child not yet
		 * accepted) belongs to its listener, which lets it go */
		if (s != NULL && !s->dead && s->app_fd < 0)
			sock_close(s, true);
	}
	if (a->nsocks == 0)
		app_finish(a);
}

/* ---- slots, rings, wake pairs ---- */

/* One ring: its data block from the arena (exactly a power of two), its
 * index header in the socket's slot. */
static int ring_alloc(struct rs_sock *s, uint32_t len, uint8_t *hdr, struct rs_shm_ring_desc *pub,
		      struct shm_ring *r, enum shm_ring_side side, uint64_t *blk, uint32_t *blk_len)
{
	struct rs_app *a = s->app;
	uint32_t size = (uint32_t)rte_align32pow2(len);
	uint64_t off = seg_alloc_get(a->arena, size);
	if (off == UINT64_MAX)
		return -ENOBUFS;
	*blk = off;
	*blk_len = size;
	struct rs_shm_ring_desc d = {
		.hdr_off = (uint64_t)(hdr - a->base),
		.data_off = off,
		.size = size,
	};
	shm_ring_hdr_init((struct shm_ring_hdr *)hdr);
	shm_ring_init(r, (struct shm_ring_hdr *)hdr, a->base + off, size, side);
	*pub = d;
	return 0;
}

int sock_rings_alloc(struct rs_sock *s, uint32_t rx_len, uint32_t tx_len)
{
	int rc = 0;
	if (rx_len)
		rc = ring_alloc(s, rx_len, s->shm->rx_ring_hdr, &s->shm->rx, &s->rx, SHM_RING_PROD,
				&s->rx_blk, &s->rx_blk_len);
	if (rc == 0 && tx_len)
		rc = ring_alloc(s, tx_len, s->shm->tx_ring_hdr, &s->shm->tx, &s->tx, SHM_RING_CONS,
				&s->tx_blk, &s->tx_blk_len);
	return rc;
}

static void blk_put(struct rs_app *a, uint64_t off, uint32_t len)
{
	if (off == UINT64_MAX)
		return;
	uint64_t blk = seg_alloc_block_size(a->arena, len);
	/* give the pages back (the application may still touch them: it
	 * then only gets zero pages of its own) */
	if (blk >= PUNCH_MIN)
		fallocate(a->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			  (off_t)blk);
	seg_alloc_put(a->arena, off, len);
}

/* Creates the socket object in a free slot with a wake pair: the app's
 * end is returned in *app_fd (the caller sends it). */
struct rs_sock *sock_new(struct rs_app *a, const struct sock_proto *p, int domain, int *app_fd,
			 int *err)
{
	*app_fd = -1;
	if (a->nsocks >= a->max_socks) {
		*err = EMFILE; /* Linux: the per-process descriptor limit */
		return NULL;
	}
	int qrc = sock_quota_sock_get(quota, a->uid);
	if (qrc < 0) {
		*err = -qrc;
		return NULL;
	}
	uint32_t sd = a->next_sd;
	for (uint32_t n = 0; n < a->max_socks; n++, sd = sd + 1 == a->max_socks ? 0 : sd + 1)
		if (a->own[sd] == NULL)
			break;
	a->next_sd = sd + 1 == a->max_socks ? 0 : sd + 1;
	struct rs_sock *s = calloc(1, sizeof(*s));
	int sv[2];
	if (s == NULL || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(s);
		sock_quota_sock_put(quota, a->uid);
		*err = errno == EMFILE || errno == ENFILE ? ENFILE : ENOBUFS;
		return NULL;
	}
	/* The daemon's end: never blocks (MSG_DONTWAIT on every send, and
	 * O_NONBLOCK on its own file description), and receives nothing, so
	 * an application cannot park data in it. */
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	shutdown(sv[0], SHUT_RD);
	s->wake_fd = sv[0];
	s->app_fd = -1;
	*app_fd = sv[1];
	s->sd = sd;
	s->app = a;
	s->proto = p;
	s->domain = domain;
	/* never through the segment's header: the application may have
	 * rewritten socks_off to aim the slot anywhere (sock_shm.h) */
	s->shm = (struct rs_shm_sock *)(a->base + a->socks_off) + sd;
	/* the slot header is ours to reset: a previous socket's values, or
	 * whatever the application wrote, are gone */
	memset(s->shm, 0, sizeof(*s->shm));
	s->rx_blk = s->tx_blk = UINT64_MAX;
	s->ttl = s->tos = -1;
	s->hops = s->tclass = -1;
	s->mc_hops = -1;
	s->mc_oif = -1;
	s->mc_loop = s->mc_all = true;
	s->mc4_ttl = 1;
	s->mc4_oif = -1;
	s->mc4_loop = s->mc4_all = true;
	s->pmtudisc6 = IPV6_PMTUDISC_WANT;
	s->bind_iface = -1;
	s->linger = -1;
	s->rcvbuf = RS_RCVBUF_DEFAULT;
	s->sndbuf = RS_SNDBUF_DEFAULT;
	s->laddr = rs_ip_any(domain);
	/* spread sockets over workers until a flow says otherwise */
	static uint32_t rr;
	uint16_t w = (uint16_t)(rr++ % (rs_dp.nb_workers ? rs_dp.nb_workers : 1));
	atomic_store_explicit(&s->worker, w, memory_order_relaxed);
	atomic_store_explicit(&s->shm->worker, w, memory_order_relaxed);
	a->own[sd] = s;
	a->nsocks++;
	return s;
}

/* Makes s visible to workers in its slot (after the rings exist). */
void sock_publish(struct rs_sock *s)
{
	atomic_store_explicit(&s->app->socks[s->sd], s, memory_order_release);
}

void sock_set_owner(struct rs_sock *s, uint16_t w)
{
	if (atomic_load_explicit(&s->worker, memory_order_relaxed) == w)
		return;
	atomic_store_explicit(&s->worker, w, memory_order_release);
	atomic_store_explicit(&s->shm->worker, w, memory_order_relaxed);
	/* The old owner may be inside a walk that loaded the old value: after
	 * a grace period it no longer touches the socket, so the rings have
	 * one producer and one consumer again. Then ring the new owner's
	 * bell ourselves: a doorbell the application put in the old owner's
	 * ring is ignored there. */
	rs_sync();
	sock_tx_kick(s);
}

static void sock_free(void *arg)
{
	struct rs_sock *s = arg;
	struct rs_app *a = s->app;
	if (s->proto->destroy != NULL)
		s->proto->destroy(s);
	blk_put(a, s->rx_blk, s->rx_blk_len);
	blk_put(a, s->tx_blk, s->tx_blk_len);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->app_fd >= 0)
		close(s->app_fd);
	a->own[s->sd] = NULL; /* the slot may be handed out again */
	free(s);
	a->nsocks--;
	sock_quota_sock_put(quota, a->uid);
	if (a->detached && a->nsocks == 0)
		app_finish(a);
}

/* The first grace period after release has passed: wait for another. */
static void sock_free_later(void *arg)
{
	rs_defer_free(sock_free, arg);
}

void sock_release(struct rs_sock *s)
{
	if (s->released)
		return;
	s->released = true;
	sock_unkey(s);
	sock_port_drop(s);
	/* Workers reach the socket through the slot: clear it now; the slot
	 * is handed out again only after the grace period (sock_free clears
	 * own[]), when no worker can hold this socket any more. */
	atomic_store_explicit(&s->app->socks[s->sd], NULL, memory_order_release);
	rs_defer_free(sock_free_later, s);
}

struct rs_sock *sock_prepare(struct rs_app *a, const struct sock_proto *p, int domain,
			     uint32_t rx_len, uint32_t tx_len, int *err)
{
	int app_fd;
	struct rs_sock *s = sock_new(a, p, domain, &app_fd, err);
	if (s == NULL)
		return NULL;
	s->app_fd = app_fd;
	int rc = sock_rings_alloc(s, rx_len, tx_len);
	if (rc < 0) {
		*err = -rc;
		s->dead = true;
		sock_release(s);
		return NULL;
	}
	return s;
}


static void foreach(void (*fn)(void *arg, struct rs_sock *s), void *arg, bool stock)
{
	for (uint32_t i = 0; i < napps; i++) {
		struct rs_app *a = apps[i];
		for (uint32_t sd = 0, seen = 0; sd < a->max_socks && seen < a->nsocks; sd++) {
			struct rs_sock *s = a->own[sd];
			if (s == NULL)
				continue;
			seen++;
			if (!s->released && (stock || s->app_fd < 0)) /* a listener's stock? */
				fn(arg, s);
		}
	}
}

void sock_foreach(void (*fn)(void *arg, struct rs_sock *s), void *arg)
{
	foreach(fn, arg, false);
}

void sock_foreach_held(void (*fn)(void *arg, struct rs_sock *s), void *arg)
{
	foreach(fn, arg, true);
}
