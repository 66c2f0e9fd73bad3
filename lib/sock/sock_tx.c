/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sock_tx (source, worker 0): sends what applications wrote into their
 * sockets' tx rings. Doorbells say which sockets have something; each is
 * drained, then disarmed and looked at once more (lib/sock/sock_shm.h).
 * Everything read from an application's segment is validated; a corrupt
 * ring marks the application for disconnection by the control thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <sys/uio.h>

#include <rte_ip.h>

#include "core/node.h"
#include "ip4/ip4.h"
#include "route/fib4.h"
#include "sock/sock.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_BAD,
	E_NOMEM,
	E_NB,
};

#define MAX_SEGS 40 /* 65507 bytes in 2 KiB segments */

/* Per worker: sockets with datagrams left over from the last walk. */
#define RS_TX_RETRY 256
static struct sock_tx_worker {
	uint16_t tx_nretry;
	struct {
		struct rs_app *app;
		uint32_t sd;
	} tx_retry[RS_TX_RETRY];
} __rte_cache_aligned sock_tx_workers[RS_MAX_WORKERS];
#define BURST_PER_SOCK 64
#define BELLS_PER_WALK 64

/* Reads one datagram from s's tx ring into a new mbuf chain with room for
 * the IP and UDP headers in front. NULL when the ring is empty (*st = 0),
 * on a bad record (*st = E_BAD, consumed) or with no mbufs (*st = E_NOMEM,
 * left in the ring). */
static struct rte_mbuf *read_dgram(struct rs_sock *s, struct rs_tx_meta *meta, int *st)
{
	struct shm_rec rec;
	int rc = shm_rec_peek(&s->tx, &rec);
	*st = 0;
	if (rc == -EAGAIN)
		return NULL;
	if (rc < 0) {
		atomic_store(&s->app->corrupt, 1);
		return NULL;
	}
	if (rec.meta_len != sizeof(*meta) || rec.len > 65507) {
		shm_rec_skip(&s->tx);
		*st = E_BAD;
		return NULL;
	}
	struct rte_mbuf *segs[MAX_SEGS];
	struct iovec iov[MAX_SEGS];
	unsigned n = 0;
	uint32_t left = rec.len;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
		if (m == NULL) {
			rte_pktmbuf_free_bulk(segs, n);
			*st = E_NOMEM;
			return NULL;
		}
		/* the first segment keeps headroom for Ethernet, IP and UDP */
		uint16_t room = rte_pktmbuf_tailroom(m);
		uint16_t take = left < room ? (uint16_t)left : room;
		iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[n].iov_len = take;
		m->data_len = take;
		segs[n++] = m;
		left -= take;
	} while (left > 0 && n < MAX_SEGS);
	ssize_t got = shm_rec_read(&s->tx, meta, sizeof(*meta), iov, (int)n, &rec);
	if (got < 0 || (uint32_t)got != rec.len || rec.meta_len != sizeof(*meta)) {
		rte_pktmbuf_free_bulk(segs, n);
		if (got < 0)
			atomic_store(&s->app->corrupt, 1);
		*st = E_BAD;
		return NULL;
	}
	struct rte_mbuf *head = segs[0];
	head->pkt_len = (uint32_t)got;
	head->nb_segs = (uint16_t)n;
	for (unsigned i = 1; i < n; i++) {
		segs[i - 1]->next = segs[i];
	}
	return head;
}

/* Turns a datagram into an IPv4/UDP packet for ip4_output. */
static int build(struct rs_worker *w, struct rs_sock *s, struct rte_mbuf *m,
		 const struct rs_tx_meta *meta)
{
	uint32_t dst;
	uint16_t dport;
	if (meta->to.family == AF_INET) {
		dst = ntohl(meta->to.addr);
		dport = ntohs(meta->to.port);
	} else if (s->connected) {
		dst = s->rip;
		dport = s->rport;
	} else {
		return -EDESTADDRREQ;
	}
	if (dport == 0)
		return -EINVAL;
	struct rs_priv *p = rs_priv(m);
	p->flags = 0;
	p->iface = 0;
	p->nh_ip = 0;
	bool bcast = ip4_is_bcast_all(dst);
	uint32_t nh = bcast ? FIB4_NH_NONE : fib4_lookup(dst);
	if (!bcast && nh != FIB4_NH_NONE && fib4_nh(nh)->type == RT_BROADCAST)
		bcast = true;
	if (bcast && !s->broadcast)
		return -EACCES; /* Linux: broadcast needs SO_BROADCAST */
	uint32_t src = meta->src ? ntohl(meta->src) : s->lip;
	if (meta->src) {
		/* IP_PKTINFO may only pick one of our addresses: never spoof */
		uint32_t snh = fib4_lookup(src);
		if (snh == FIB4_NH_NONE || fib4_nh(snh)->type != RT_LOCAL)
			return -EINVAL;
	}
	if (bcast && ip4_is_bcast_all(dst)) {
		int ifi = s->bind_iface >= 0 ? s->bind_iface : 0;
		p->flags = RS_PF_IFACE_SET;
		p->iface = (uint16_t)ifi;
		if (src == 0)
			src = rs_iface_src_for(&w->cfg->ifaces[ifi], 0);
	} else {
		if (nh == FIB4_NH_NONE)
			return -ENETUNREACH;
		if (src == 0) {
			const struct rs_nh *n = fib4_nh_select(fib4_nh(nh), dst ^ s->lport);
			src = rs_iface_src_for(&w->cfg->ifaces[n->iface], dst);
		}
	}
	uint32_t ulen = m->pkt_len + UDP_HLEN;
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, IP4_HLEN + UDP_HLEN);
	if (h == NULL || ulen > 65535 - IP4_HLEN)
		return -EMSGSIZE;
	uint8_t *u = h + IP4_HLEN;
	rs_st16(u, s->lport);
	rs_st16(u + 2, dport);
	rs_st16(u + 4, (uint16_t)ulen);
	rs_st16(u + 6, 0);
	uint16_t sum = 0;
	if (rte_raw_cksum_mbuf(m, IP4_HLEN, ulen, &sum) != 0)
		return -EMSGSIZE;
	uint16_t ck = rs_csum_fold(rs_csum_pseudo4(src, dst, IPPROTO_UDP_, (uint16_t)ulen) +
				   rte_be_to_cpu_16(sum));
	rs_st16(u + 6, ck ? ck : 0xffff); /* RFC 768: 0 means "no checksum" */
	int ttl = meta->ttl >= 0 ? meta->ttl : s->ttl >= 0 ? s->ttl : 64;
	int tos = meta->tos >= 0 ? meta->tos : s->tos >= 0 ? s->tos : 0;
	/* Linux sets DF on UDP only with IP_PMTUDISC_DO; never by default */
	ip4_write(h, (uint8_t)tos, (uint16_t)(IP4_HLEN + ulen), ip4_next_id(w), 0, (uint8_t)ttl,
		  IPPROTO_UDP_, src, dst);
	return 0;
}

static void set_error(struct rs_sock *s, int err)
{
	atomic_store_explicit(&s->shm->so_error, err, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst); /* see udp_input.c deliver() */
	if (atomic_load_explicit(&s->shm->app_wait, memory_order_relaxed)) {
		uint64_t one = 1;
		if (write(s->efd, &one, sizeof(one)) < 0) { /* already signalled */ }
	}
}

/* Sends what s has queued, up to a burst. Returns true when s still has
 * datagrams (burst reached or no mbufs): it stays armed and the caller
 * revisits it next walk, since no new doorbell will come. */
static bool drain(struct rte_graph *graph, struct rte_node *node, struct rs_worker *w,
		  struct rs_sock *s, uint16_t *sent)
{
	uint16_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		while (n < BURST_PER_SOCK) {
			struct rs_tx_meta meta;
			int st;
			struct rte_mbuf *m = read_dgram(s, &meta, &st);
			if (m == NULL) {
				if (st == 0)
					break;
				if (st == E_NOMEM) {
					*sent = (uint16_t)(*sent + n);
					return true;
				}
				s->app->tx_dgrams++;
				continue;
			}
			int rc = build(w, s, m, &meta);
			if (rc < 0) {
				set_error(s, -rc);
				rte_node_enqueue_x1(graph, node, E_BAD, m);
			} else {
				rte_node_enqueue_x1(graph, node, E_OUTPUT, m);
			}
			s->app->tx_dgrams++;
			n++;
		}
		if (n == BURST_PER_SOCK) {
			*sent = (uint16_t)(*sent + n);
			return true;
		}
		/* disarm, then look once more: a datagram written just before
		 * the app saw tx_armed == 0 has no doorbell of its own (the
		 * seq_cst store is a full barrier before the re-read) */
		atomic_store_explicit(&s->shm->tx_armed, 0, memory_order_seq_cst);
	}
	*sent = (uint16_t)(*sent + n);
	return false;
}

static bool app_alive(const struct rs_apps_pub *pub, const struct rs_app *a)
{
	for (uint32_t i = 0; i < pub->n; i++)
		if (pub->apps[i] == a)
			return true;
	return false;
}

static uint16_t sock_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	if (w->idx != 0)
		return 0;
	struct sock_tx_worker *tw = &sock_tx_workers[w->idx];
	struct rs_apps_pub *pub = atomic_load_explicit(&sock_apps_pub, memory_order_acquire);
	uint16_t total = 0;
	if (pub == NULL)
		return 0;
	/* sockets left with datagrams last walk: their app must still be in
	 * the published list (a pointer kept across walks is checked, never
	 * trusted: the app may have been freed after a grace period) */
	unsigned nretry = tw->tx_nretry;
	tw->tx_nretry = 0;
	for (unsigned r = 0; r < nretry; r++) {
		struct rs_app *a = tw->tx_retry[r].app;
		uint32_t sd = tw->tx_retry[r].sd;
		if (!app_alive(pub, a) || sd >= RS_APP_SOCKS || !a->socks[sd].used)
			continue;
		if (drain(graph, node, w, &a->socks[sd], &total) && tw->tx_nretry < RS_TX_RETRY) {
			tw->tx_retry[tw->tx_nretry].app = a;
			tw->tx_retry[tw->tx_nretry++].sd = sd;
		}
	}
	for (uint32_t i = 0; i < pub->n; i++) {
		struct rs_app *a = pub->apps[i];
		if (atomic_load_explicit(&a->corrupt, memory_order_relaxed))
			continue;
		for (int k = 0; k < BELLS_PER_WALK; k++) {
			struct rs_doorbell db;
			struct iovec iov = { &db, sizeof(db) };
			struct shm_rec rec;
			ssize_t got = shm_rec_read(&a->bell, NULL, 0, &iov, 1, &rec);
			if (got == -EAGAIN)
				break;
			if (got != (ssize_t)sizeof(db)) {
				atomic_store(&a->corrupt, 1);
				break;
			}
			if (db.sd >= RS_APP_SOCKS || !a->socks[db.sd].used)
				continue; /* a stale or bogus doorbell: nothing to do */
			if (drain(graph, node, w, &a->socks[db.sd], &total) &&
			    tw->tx_nretry < RS_TX_RETRY) {
				tw->tx_retry[tw->tx_nretry].app = a;
				tw->tx_retry[tw->tx_nretry++].sd = db.sd;
			}
		}
	}
	w->rx_pkts += total;
	return total;
}

static struct rte_node_register sock_tx_node = {
	.name = "sock_tx",
	.flags = RTE_NODE_SOURCE_F,
	.process = sock_tx_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_BAD] = RS_DROP_NODE(sock_tx_bad),
		[E_NOMEM] = RS_DROP_NODE(sock_tx_nomem),
	},
};
RTE_NODE_REGISTER(sock_tx_node);
