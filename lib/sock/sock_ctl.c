/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Applications and their sockets, on the control thread: segment creation,
 * control requests from the request ring, the demultiplexing table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_jhash.h>

#include "core/dp.h"
#include "core/module.h"
#include "route/fib4.h"
#include "sock/sock.h"
#include "util/rs_log.h"
#include "wire/wire.h"

struct rte_hash *sock_demux;
struct rs_apps_pub *_Atomic sock_apps_pub;
static struct rs_app *apps[RS_APP_MAX];
static uint32_t next_app_id = 1;
uint16_t sock_port_lo = RS_EPHEMERAL_LO, sock_port_hi = RS_EPHEMERAL_HI;
static uint16_t next_ephemeral;

#define SEG_HDR 4096
#define CTRL_RING 16384
#define SLOT_BYTES (2 * (128 + RS_SOCK_RING))

int sock_init(struct rte_rcu_qsbr *rcu)
{
	struct rte_hash_parameters hp = {
		.name = "rs_sock_demux",
		.entries = RS_APP_MAX * RS_APP_SOCKS * 2,
		.key_len = sizeof(struct sock_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	sock_demux = rte_hash_create(&hp);
	struct rs_apps_pub *pub = calloc(1, sizeof(*pub));
	if (sock_demux == NULL || pub == NULL) {
		rs_err_set("cannot create the socket table");
		return -ENOMEM;
	}
	struct rte_hash_rcu_config hrc = { .v = rcu, .mode = RTE_HASH_QSBR_MODE_DQ };
	if (rte_hash_rcu_qsbr_add(sock_demux, &hrc) != 0) {
		rs_err_set("cannot attach RCU to the socket table");
		return -EINVAL;
	}
	atomic_store(&sock_apps_pub, pub);
	return 0;
}

void sock_fini(void)
{
	for (unsigned i = 0; i < RS_APP_MAX; i++)
		if (apps[i])
			sock_app_detach(apps[i]);
	rs_sync();
	rte_hash_free(sock_demux);
	sock_demux = NULL;
	free(atomic_load(&sock_apps_pub));
}

static void publish_apps(void)
{
	struct rs_apps_pub *pub = calloc(1, sizeof(*pub));
	if (pub == NULL)
		return; /* keeps the old list: workers miss a new app's TX until the next change */
	for (unsigned i = 0; i < RS_APP_MAX; i++)
		if (apps[i] && !atomic_load(&apps[i]->corrupt))
			pub->apps[pub->n++] = apps[i];
	struct rs_apps_pub *old = atomic_exchange(&sock_apps_pub, pub);
	rs_defer_free(free, old);
}

/* ---- segment ---- */

static void desc(struct rs_shm_ring_desc *d, uint32_t off, uint32_t size)
{
	d->hdr_off = off;
	d->data_off = off + 128;
	d->size = size;
	d->pad = 0;
}

static int ring_view(struct shm_ring *r, uint8_t *base, const struct rs_shm_ring_desc *d, int side)
{
	return shm_ring_init(r, (struct shm_ring_hdr *)(base + d->hdr_off), base + d->data_off,
			     d->size, side);
}

/* The address list lives in the segment's header page, after the header. */
#define ADDRS_OFF 512
_Static_assert(ADDRS_OFF >= sizeof(struct rs_shm_hdr) &&
		       ADDRS_OFF + sizeof(struct rs_shm_addrs) <= SEG_HDR,
	       "address list in the header page");

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
			d->a[n].addr = htonl(ip);
			d->a[n].bcast = plen < 31 ? htonl(ip4_bcast_of(ip, plen)) : 0;
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
	for (int i = 0; i < RS_APP_MAX; i++)
		if (apps[i] != NULL && apps[i]->base != NULL)
			addrs_publish(apps[i], c);
}

struct rs_app *sock_app_attach(int fd, const void *body, uint32_t len)
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
	int slot = -1;
	for (int i = 0; i < RS_APP_MAX; i++)
		if (apps[i] == NULL) {
			slot = i;
			break;
		}
	if (slot < 0) {
		errno = EMFILE;
		return NULL;
	}
	struct rs_app *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->fd = fd;
	a->pid = req.pid;
	memcpy(a->name, req.name, sizeof(a->name) - 1);
	a->pending_fd = -1;
	a->id = next_app_id++;
	uint32_t socks_off = SEG_HDR + 3 * (128 + CTRL_RING);
	uint32_t pool_off = RTE_ALIGN_CEIL(socks_off + RS_APP_SOCKS * sizeof(struct rs_shm_sock), 4096);
	a->size = pool_off + (size_t)RS_APP_SOCKS * SLOT_BYTES;
	char nm[32];
	snprintf(nm, sizeof(nm), "ringstack-app%u", a->id);
	a->memfd = memfd_create(nm, MFD_CLOEXEC);
	if (a->memfd < 0 || ftruncate(a->memfd, (off_t)a->size) < 0)
		goto fail;
	a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, a->memfd, 0);
	if (a->base == MAP_FAILED) {
		a->base = NULL;
		goto fail;
	}
	struct rs_shm_hdr *h = (struct rs_shm_hdr *)a->base;
	h->magic = RS_SHM_MAGIC;
	h->version = RS_SHM_VERSION;
	h->size = a->size;
	h->max_socks = RS_APP_SOCKS;
	h->socks_off = socks_off;
	desc(&h->req, SEG_HDR, CTRL_RING);
	desc(&h->cpl, SEG_HDR + (128 + CTRL_RING), CTRL_RING);
	desc(&h->bell, SEG_HDR + 2 * (128 + CTRL_RING), CTRL_RING);
	h->addrs_off = ADDRS_OFF;
	addrs_publish(a, rs_cfg_current());
	/* the daemon's views come from its own values, never read back */
	struct rs_shm_ring_desc dreq, dcpl, dbell;
	desc(&dreq, SEG_HDR, CTRL_RING);
	desc(&dcpl, SEG_HDR + (128 + CTRL_RING), CTRL_RING);
	desc(&dbell, SEG_HDR + 2 * (128 + CTRL_RING), CTRL_RING);
	if (ring_view(&a->req, a->base, &dreq, SHM_RING_CONS) < 0 ||
	    ring_view(&a->cpl, a->base, &dcpl, SHM_RING_PROD) < 0 ||
	    ring_view(&a->bell, a->base, &dbell, SHM_RING_CONS) < 0)
		goto fail;
	struct rs_shm_sock *ss = (struct rs_shm_sock *)(a->base + socks_off);
	for (unsigned i = 0; i < RS_APP_SOCKS; i++) {
		struct rs_sock *s = &a->socks[i];
		s->idx = i;
		s->app = a;
		s->efd = -1;
		s->shm = &ss[i];
		uint32_t off = pool_off + i * SLOT_BYTES;
		desc(&ss[i].rx, off, RS_SOCK_RING);
		desc(&ss[i].tx, off + 128 + RS_SOCK_RING, RS_SOCK_RING);
		struct rs_shm_ring_desc rx, tx;
		desc(&rx, off, RS_SOCK_RING);
		desc(&tx, off + 128 + RS_SOCK_RING, RS_SOCK_RING);
		if (ring_view(&s->rx, a->base, &rx, SHM_RING_PROD) < 0 ||
		    ring_view(&s->tx, a->base, &tx, SHM_RING_CONS) < 0)
			goto fail;
	}
	apps[slot] = a;
	publish_apps();
	return a;
fail:;
	int e = errno ? errno : ENOMEM;
	if (a->base)
		munmap(a->base, a->size);
	if (a->memfd >= 0)
		close(a->memfd);
	free(a);
	errno = e;
	return NULL;
}

int sock_app_memfd(const struct rs_app *a, size_t *size)
{
	*size = a->size;
	return a->memfd;
}

/* ---- demultiplexing ---- */

/* Builds the entry for a key from its members: a socket, a group, or NULL. */
static int demux_set(const struct sock_key *k, struct rs_sock **m, uint32_t n, void *old)
{
	void *d = NULL;
	if (n == 1) {
		d = m[0];
	} else if (n > 1) {
		struct rs_rp_group *g = malloc(sizeof(*g));
		if (g == NULL)
			return -ENOBUFS;
		g->n = n;
		memcpy(g->socks, m, n * sizeof(m[0]));
		d = (void *)((uintptr_t)g | 1);
	}
	if (d == NULL)
		rte_hash_del_key(sock_demux, k);
	else if (rte_hash_add_key_data(sock_demux, k, d) < 0) /* replaces the data */
		return -ENOBUFS;
	if ((uintptr_t)old & 1) /* workers may hold the old group for a walk */
		rs_defer_free(free, (void *)((uintptr_t)old & ~(uintptr_t)1));
	return 0;
}

/* The members of a key's entry (at most RS_RP_MAX). */
static uint32_t demux_members(const struct sock_key *k, struct rs_sock **m, void **data)
{
	void *d;
	*data = NULL;
	if (rte_hash_lookup_data(sock_demux, k, &d) < 0)
		return 0;
	*data = d;
	if (!((uintptr_t)d & 1)) {
		m[0] = d;
		return 1;
	}
	const struct rs_rp_group *g = (const void *)((uintptr_t)d & ~(uintptr_t)1);
	memcpy(m, g->socks, g->n * sizeof(m[0]));
	return g->n;
}

static int demux_add(struct rs_sock *s, uint32_t lip, uint16_t lport, uint32_t rip,
		     uint16_t rport);

static void demux_del(struct rs_sock *s)
{
	if (!s->in_demux)
		return;
	struct sock_key k = { .lip = s->key_lip, .rip = s->key_rip, .lport = s->key_lport,
			      .rport = s->key_rport };
	struct rs_sock *m[RS_RP_MAX];
	void *old;
	uint32_t n = demux_members(&k, m, &old), j = 0;
	for (uint32_t i = 0; i < n; i++)
		if (m[i] != s)
			m[j++] = m[i];
	demux_set(&k, m, j, old);
	s->in_demux = false;
	if (j > 0 || k.rip != 0)
		return;
	/* an SO_REUSEADDR twin bound to the same address and port takes over */
	for (unsigned i = 0; i < RS_APP_MAX; i++) {
		if (apps[i] == NULL)
			continue;
		for (unsigned q = 0; q < RS_APP_SOCKS; q++) {
			struct rs_sock *o = &apps[i]->socks[q];
			if (o != s && o->used && o->bound && !o->connected && !o->in_demux &&
			    o->lip == k.lip && o->lport == k.lport) {
				demux_add(o, o->lip, o->lport, 0, 0);
				return;
			}
		}
	}
}

static int demux_add(struct rs_sock *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct sock_key k = { .lip = lip, .rip = rip, .lport = lport, .rport = rport };
	struct rs_sock *m[RS_RP_MAX];
	void *old;
	uint32_t n = demux_members(&k, m, &old);
	if (n > 0) {
		/* SO_REUSEPORT: every member (and s) must have set it */
		if (!s->reuseport || n == RS_RP_MAX)
			return -EADDRINUSE;
		for (uint32_t i = 0; i < n; i++)
			if (!m[i]->reuseport)
				return -EADDRINUSE;
	}
	m[n++] = s;
	int rc = demux_set(&k, m, n, old);
	if (rc < 0)
		return rc;
	s->in_demux = true;
	s->key_lip = lip;
	s->key_rip = rip;
	s->key_lport = lport;
	s->key_rport = rport;
	return 0;
}

/* Is (ip, port) taken by another socket, as Linux's UDP bind sees it: the
 * same port with the same address, or either address the wildcard, unless
 * both set SO_REUSEADDR. */
static bool port_in_use(const struct rs_sock *me, uint32_t ip, uint16_t port)
{
	for (unsigned i = 0; i < RS_APP_MAX; i++) {
		if (apps[i] == NULL)
			continue;
		for (unsigned j = 0; j < RS_APP_SOCKS; j++) {
			const struct rs_sock *o = &apps[i]->socks[j];
			if (!o->used || o == me || !o->bound || o->lport != port)
				continue;
			if (o->lip == ip || o->lip == 0 || ip == 0) {
				if (!(o->reuseaddr && me->reuseaddr) &&
				    !(o->reuseport && me->reuseport && o->lip == ip))
					return true;
			}
		}
	}
	return false;
}

static int pick_port(const struct rs_sock *s, uint32_t ip, uint16_t *port)
{
	if (next_ephemeral < sock_port_lo || next_ephemeral > sock_port_hi)
		next_ephemeral = sock_port_lo;
	for (unsigned n = 0; n <= (unsigned)(sock_port_hi - sock_port_lo); n++) {
		uint16_t p = next_ephemeral;
		next_ephemeral = next_ephemeral == sock_port_hi ? sock_port_lo
								: (uint16_t)(next_ephemeral + 1);
		if (!port_in_use(s, ip, p)) {
			*port = p;
			return 0;
		}
	}
	return -EAGAIN; /* Linux: EAGAIN when the ephemeral range is exhausted */
}

static bool is_local(uint32_t ip)
{
	uint32_t nh = fib4_lookup(ip);
	return nh != FIB4_NH_NONE && fib4_nh(nh)->type == RT_LOCAL;
}

static int sock_rekey(struct rs_sock *s)
{
	demux_del(s);
	if (!s->bound)
		return 0;
	int rc = s->connected ? demux_add(s, s->lip, s->lport, s->rip, s->rport)
			      : demux_add(s, s->lip, s->lport, 0, 0);
	/* SO_REUSEADDR twins share an address and port; one of them holds
	 * the key and receives (as one of them does on Linux) */
	if (rc == -EADDRINUSE && s->reuseaddr)
		return 0;
	return rc;
}

/* ---- requests ---- */

static int op_socket(struct rs_app *a, const struct rs_sreq *r, int fd)
{
	if (r->a[0] != AF_INET)
		return -EAFNOSUPPORT;
	if (r->a[1] != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT; /* TCP comes later */
	if (r->a[2] != 0 && r->a[2] != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if (fd < 0)
		return -EINVAL;
	for (unsigned i = 0; i < RS_APP_SOCKS; i++) {
		struct rs_sock *s = &a->socks[i];
		if (s->used)
			continue;
		struct rs_app *keep_app = s->app;
		struct rs_shm_sock *keep_shm = s->shm;
		struct shm_ring rx = s->rx, tx = s->tx;
		memset(s, 0, sizeof(*s));
		s->idx = i;
		s->app = keep_app;
		s->shm = keep_shm;
		s->rx = rx;
		s->tx = tx;
		s->efd = fd;
		s->ttl = s->tos = -1;
		s->bind_iface = -1;
		s->rcvbuf = RS_RCVBUF_DEFAULT;
		s->sndbuf = RS_SNDBUF_DEFAULT;
		shm_ring_hdr_init(s->rx.hdr);
		shm_ring_hdr_init(s->tx.hdr);
		/* the views' own indices restart with the rings */
		shm_ring_init(&s->rx, s->rx.hdr, s->rx.data, s->rx.size, SHM_RING_PROD);
		shm_ring_init(&s->tx, s->tx.hdr, s->tx.data, s->tx.size, SHM_RING_CONS);
		atomic_store(&s->shm->app_wait, 0);
		atomic_store(&s->shm->tx_armed, 0);
		atomic_store(&s->shm->so_error, 0);
		atomic_store(&s->shm->rx_drops, 0);
		s->used = true;
		return (int)i;
	}
	return -EMFILE;
}

static struct rs_sock *sock_of(struct rs_app *a, int32_t sd)
{
	if (sd < 0 || sd >= RS_APP_SOCKS || !a->socks[sd].used)
		return NULL;
	return &a->socks[sd];
}

static void sock_release(void *arg)
{
	struct rs_sock *s = arg;
	if (s->efd >= 0)
		close(s->efd);
	s->efd = -1;
	s->used = false;
}

static int op_bind(struct rs_sock *s, const struct rs_sin *sin)
{
	if (sin->family != AF_INET)
		return -EAFNOSUPPORT;
	if (s->bound)
		return -EINVAL;
	uint32_t ip = ntohl(sin->addr);
	uint16_t port = ntohs(sin->port);
	/* Linux lets a UDP socket bind a local address, a broadcast address
	 * of ours or 255.255.255.255 (to receive broadcasts) */
	if (ip != 0 && !is_local(ip) && ip != 0xffffffffu) {
		uint32_t nh = fib4_lookup(ip);
		if (nh == FIB4_NH_NONE || fib4_nh(nh)->type != RT_BROADCAST)
			return -EADDRNOTAVAIL;
	}
	if (port == 0) {
		int rc = pick_port(s, ip, &port);
		if (rc < 0)
			return rc;
	} else if (port_in_use(s, ip, port)) {
		return -EADDRINUSE;
	}
	s->lip = ip;
	s->lport = port;
	s->bound = true;
	int rc = sock_rekey(s);
	if (rc < 0) {
		s->bound = false;
		return rc;
	}
	return 0;
}

static int op_connect(struct rs_sock *s, const struct rs_sin *sin)
{
	if (sin->family == AF_UNSPEC) {
		/* disconnect (Linux keeps an explicit bind, drops an implicit address) */
		s->connected = false;
		s->rip = 0;
		s->rport = 0;
		if (s->lip_implicit) {
			s->lip = 0;
			s->lip_implicit = false;
		}
		if (s->port_implicit) {
			/* Linux (__udp_disconnect) unbinds a port connect chose */
			s->bound = false;
			s->lport = 0;
			s->port_implicit = false;
		}
		return sock_rekey(s);
	}
	if (sin->family != AF_INET)
		return -EAFNOSUPPORT;
	uint32_t ip = ntohl(sin->addr);
	uint16_t port = ntohs(sin->port);
	if (port == 0)
		return -ECONNREFUSED; /* Linux: connect to port 0 fails on first use */
	/* ip4_datagram_connect: a broadcast peer needs SO_BROADCAST; the
	 * limited broadcast needs no route */
	struct route4 r = { .type = RT_BROADCAST, .iface = s->bind_iface >= 0 ? s->bind_iface : 0 };
	if (ip == 0xffffffffu) {
		if (!s->broadcast)
			return -EACCES;
	} else {
		if (fib4_route_get(ip, &r) < 0)
			return -ENETUNREACH;
		if (r.type == RT_BROADCAST && !s->broadcast)
			return -EACCES;
	}
	if (!s->bound) {
		uint16_t p;
		int rc = pick_port(s, 0, &p);
		if (rc < 0)
			return rc;
		s->lport = p;
		s->lip = 0;
		s->bound = true;
		s->port_implicit = true;
	}
	/* Linux (ip4_datagram_connect) fixes the local address to the route's
	 * source for the peer when the socket has none */
	if (s->lip == 0 && r.type <= RT_BROADCAST) {
		const struct rs_iface *ifc = &rs_cfg_current()->ifaces[r.iface];
		s->lip = rs_iface_src_for(ifc, ip);
		s->lip_implicit = true;
	}
	s->rip = ip;
	s->rport = port;
	s->connected = true;
	return sock_rekey(s);
}

static int op_close(struct rs_sock *s)
{
	demux_del(s);
	s->bound = s->connected = false;
	/* workers may still hold it for a walk: release after a grace period */
	rs_defer_free(sock_release, s);
	return 0;
}

static int get_int(const struct rs_sreq *r, int *v)
{
	if (r->optlen < sizeof(int))
		return -EINVAL;
	memcpy(v, r->opt, sizeof(int));
	return 0;
}

static int op_setsockopt(struct rs_sock *s, const struct rs_sreq *r)
{
	int v = 0, rc;
	int level = r->a[0], name = r->a[1];
	if (level == SOL_SOCKET && name == SO_BINDTODEVICE) {
		char ifn[IFNAMSIZ];
		uint32_t n = r->optlen < sizeof(ifn) - 1 ? r->optlen : sizeof(ifn) - 1;
		memcpy(ifn, r->opt, n);
		ifn[n] = '\0';
		if (ifn[0] == '\0') {
			s->bind_iface = -1;
			return 0;
		}
		int i = rs_iface_by_name(rs_cfg_current(), ifn);
		if (i < 0)
			return -ENODEV;
		s->bind_iface = i;
		return 0;
	}
	if ((rc = get_int(r, &v)) < 0)
		return rc;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: s->reuseaddr = v != 0; return 0;
		case SO_REUSEPORT: /* takes effect at the next bind, as on Linux */
			s->reuseport = v != 0;
			return 0;
		case SO_BROADCAST: s->broadcast = v != 0; return 0;
		/* Linux: min(val, {r,w}mem_max = 212992) doubled, with a floor */
		case SO_RCVBUF: {
			int64_t x = v < 0 ? 0 : v > 212992 ? 212992 : v;
			s->rcvbuf = (int32_t)(2 * x < 2304 ? 2304 : 2 * x);
			return 0;
		}
		case SO_SNDBUF: {
			int64_t x = v < 0 ? 0 : v > 212992 ? 212992 : v;
			s->sndbuf = (int32_t)(2 * x < 4608 ? 4608 : 2 * x);
			return 0;
		}
		default: return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			if (v == -1) { s->ttl = -1; return 0; }
			if (v < 1 || v > 255) return -EINVAL;
			s->ttl = (int16_t)v;
			return 0;
		case IP_TOS:
			s->tos = (int16_t)(v & 0xff); /* UDP keeps the ECN bits (Linux) */
			return 0;
		/* ancillary data on receive: every datagram's meta carries the
		 * TTL, TOS and destination; the library turns them into cmsgs */
		case IP_RECVTTL: s->recv_ttl = v != 0; return 0;
		case IP_RECVTOS: s->recv_tos = v != 0; return 0;
		case IP_PKTINFO: s->recv_pktinfo = v != 0; return 0;
		default: return -ENOPROTOOPT;
		}
	}
	return -ENOPROTOOPT;
}

static int op_getsockopt(struct rs_sock *s, const struct rs_sreq *r, struct rs_scpl *c)
{
	int v;
	int level = r->a[0], name = r->a[1];
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: v = s->reuseaddr; break;
		case SO_REUSEPORT: v = s->reuseport; break;
		case SO_BROADCAST: v = s->broadcast; break;
		case SO_RCVBUF: v = s->rcvbuf; break;
		case SO_SNDBUF: v = s->sndbuf; break;
		case SO_TYPE: v = SOCK_DGRAM; break;
		case SO_PROTOCOL: v = IPPROTO_UDP; break;
		case SO_DOMAIN: v = AF_INET; break;
		case SO_ERROR: v = atomic_exchange(&s->shm->so_error, 0); break;
		default: return -ENOPROTOOPT;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL: v = s->ttl < 0 ? 64 : s->ttl; break;
		case IP_TOS: v = s->tos < 0 ? 0 : s->tos; break;
		case IP_RECVTTL: v = s->recv_ttl; break;
		case IP_RECVTOS: v = s->recv_tos; break;
		case IP_PKTINFO: v = s->recv_pktinfo; break;
		default: return -ENOPROTOOPT;
		}
	} else {
		return -EOPNOTSUPP; /* Linux: an unknown level to getsockopt */
	}
	memcpy(c->opt, &v, sizeof(v));
	c->optlen = sizeof(v);
	return 0;
}

static void fill_sin(struct rs_sin *o, uint32_t ip, uint16_t port)
{
	o->family = AF_INET;
	o->addr = htonl(ip);
	o->port = htons(port);
}

static int run_request(struct rs_app *a, const struct rs_sreq *r, struct rs_scpl *c, int *fd)
{
	if (r->op == RS_SOP_SOCKET) {
		int rc = op_socket(a, r, *fd);
		if (rc >= 0)
			*fd = -1; /* the socket owns it now */
		return rc;
	}
	struct rs_sock *s = sock_of(a, r->sd);
	if (s == NULL)
		return -EBADF;
	switch (r->op) {
	case RS_SOP_BIND: return op_bind(s, &r->addr);
	case RS_SOP_CONNECT: return op_connect(s, &r->addr);
	case RS_SOP_CLOSE: return op_close(s);
	case RS_SOP_SETSOCKOPT: return op_setsockopt(s, r);
	case RS_SOP_GETSOCKOPT: return op_getsockopt(s, r, c);
	case RS_SOP_GETSOCKNAME:
		fill_sin(&c->addr, s->lip, s->bound ? s->lport : 0);
		return 0;
	case RS_SOP_GETPEERNAME:
		if (!s->connected)
			return -ENOTCONN;
		fill_sin(&c->addr, s->rip, s->rport);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

void sock_app_kicks(struct rs_app *a, unsigned n, int fd)
{
	for (unsigned i = 0; i < n; i++) {
		struct rs_sreq r;
		struct shm_rec rec;
		struct iovec iov = { &r, sizeof(r) };
		ssize_t got = shm_rec_read(&a->req, NULL, 0, &iov, 1, &rec);
		if (got == -EAGAIN)
			break;
		if (got < 0 || rec.len != sizeof(r)) {
			atomic_store(&a->corrupt, 1); /* a malformed request: disconnect */
			break;
		}
		struct rs_scpl c;
		memset(&c, 0, sizeof(c));
		c.seq = r.seq;
		c.ret = run_request(a, &r, &c, &fd);
		struct iovec ci = { &c, sizeof(c) };
		if (shm_rec_write(&a->cpl, NULL, 0, &ci, 1, 0) < 0) {
			atomic_store(&a->corrupt, 1);
			break;
		}
		char b = 'c';
		if (write(a->fd, &b, 1) != 1) { /* the hang-up path cleans up */ }
	}
	if (fd >= 0)
		close(fd); /* an eventfd no request took */
}

static void app_free(void *arg)
{
	struct rs_app *a = arg;
	for (unsigned i = 0; i < RS_APP_SOCKS; i++)
		if (a->socks[i].efd >= 0)
			close(a->socks[i].efd);
	if (a->base)
		munmap(a->base, a->size);
	if (a->memfd >= 0)
		close(a->memfd);
	free(a);
}

void sock_app_detach(struct rs_app *a)
{
	for (unsigned i = 0; i < RS_APP_MAX; i++)
		if (apps[i] == a)
			apps[i] = NULL;
	for (unsigned i = 0; i < RS_APP_SOCKS; i++) {
		struct rs_sock *s = &a->socks[i];
		if (s->used)
			demux_del(s);
	}
	publish_apps();
	/* no worker can reach it after the grace period */
	rs_defer_free(app_free, a);
}

struct rs_app *sock_app_corrupt_next(void)
{
	for (unsigned i = 0; i < RS_APP_MAX; i++)
		if (apps[i] && atomic_load(&apps[i]->corrupt))
			return apps[i];
	return NULL;
}

void sock_show(struct rs_buf *out, bool json)
{
	if (json)
		rs_json_arr_open(out);
	else
		rs_buf_printf(out, "%-6s %-22s %-22s %8s %8s %10s %s\n", "Netid", "Local", "Peer",
			      "Recv-Q", "Drops", "pid", "program");
	for (unsigned i = 0; i < RS_APP_MAX; i++) {
		struct rs_app *a = apps[i];
		if (a == NULL)
			continue;
		for (unsigned j = 0; j < RS_APP_SOCKS; j++) {
			struct rs_sock *s = &a->socks[j];
			if (!s->used)
				continue;
			char l[32], p[32];
			snprintf(l, sizeof(l), "%u.%u.%u.%u:%u", s->lip >> 24, (s->lip >> 16) & 255,
				 (s->lip >> 8) & 255, s->lip & 255, s->bound ? s->lport : 0);
			if (s->connected)
				snprintf(p, sizeof(p), "%u.%u.%u.%u:%u", s->rip >> 24,
					 (s->rip >> 16) & 255, (s->rip >> 8) & 255, s->rip & 255, s->rport);
			else
				snprintf(p, sizeof(p), "*:*");
			ssize_t fr = shm_bytes_free(&s->rx); /* we are its producer */
			long q = fr < 0 ? -1 : (long)s->rx.size - (long)fr;
			uint32_t drops = atomic_load(&s->shm->rx_drops);
			if (json) {
				rs_json_obj_open(out);
				rs_json_kstr(out, "proto", "udp");
				rs_json_kstr(out, "local", l);
				rs_json_kstr(out, "peer", p);
				rs_json_ki64(out, "recv_q", q < 0 ? -1 : q);
				rs_json_ku64(out, "drops", drops);
				rs_json_ku64(out, "pid", a->pid);
				rs_json_kstr(out, "program", a->name);
				rs_json_obj_close(out);
			} else {
				rs_buf_printf(out, "%-6s %-22s %-22s %8ld %8u %10u %s\n", "udp", l, p, q,
					      drops, a->pid, a->name);
			}
		}
	}
	if (json)
		rs_json_arr_close(out);
}

static int sock_module_init(void)
{
	return sock_init(rs_dp.rcu);
}

static const char *const sock_nodes[] = { "sock_tx", NULL };

static struct rs_module sock_module = {
	.name = "sock",
	.order = 60,
	.init = sock_module_init,
	.fini = sock_fini,
	.nodes = sock_nodes,
};
RS_MODULE_REGISTER(sock_module);
