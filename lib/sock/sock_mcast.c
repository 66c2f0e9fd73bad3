/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast group membership, either family (sock_mcast.h). The control
 * thread keeps the host's groups as a counted array and publishes, after
 * each change, a sorted immutable copy that workers binary-search; each
 * socket's memberships are an immutable list swapped the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_random.h>

#include "core/dp.h"
#include "sock/sock.h"
#include "sock/sock_mcast.h"

struct host_ent {
	struct sock_mc_ent k;
	uint32_t refs;
};

/* What workers search: sorted by (iface, group). */
struct host_pub {
	uint32_t n;
	struct sock_mc_ent e[];
};

static struct host_ent hosts[SOCK_MC_MAX_HOST]; /* control thread */
/* bound, unconnected sockets with memberships (sock_mc_rekey); made on
 * first use by the control thread, then published for workers */
static struct sock_demux *_Atomic members;
static uint32_t nhosts;
static struct host_pub *_Atomic host_pub;
static sock_mc_change_fn *hook4, *hook6;

void sock_mc_set_change_hook(int family, sock_mc_change_fn *fn)
{
	if (family == AF_INET6)
		hook6 = fn;
	else
		hook4 = fn;
}

static int ent_cmp(const struct sock_mc_ent *a, const struct sock_mc_ent *b)
{
	if (a->iface != b->iface)
		return a->iface < b->iface ? -1 : 1;
	return memcmp(a->group.b, b->group.b, 16);
}

static int ent_qcmp(const void *a, const void *b)
{
	return ent_cmp(a, b);
}

/* Publishes the host's groups; the old copy goes after a grace period. */
static int host_publish(void)
{
	struct host_pub *p = malloc(sizeof(*p) + nhosts * sizeof(p->e[0]));
	if (p == NULL)
		return -ENOMEM;
	p->n = nhosts;
	for (uint32_t i = 0; i < nhosts; i++)
		p->e[i] = hosts[i].k;
	qsort(p->e, p->n, sizeof(p->e[0]), ent_qcmp);
	struct host_pub *old = atomic_exchange_explicit(&host_pub, p, memory_order_acq_rel);
	if (old != NULL)
		rs_defer_free(free, old);
	return 0;
}

static struct host_ent *host_find(const struct sock_mc_ent *k)
{
	for (uint32_t i = 0; i < nhosts; i++)
		if (ent_cmp(&hosts[i].k, k) == 0)
			return &hosts[i];
	return NULL;
}

static void host_changed(const struct sock_mc_ent *k, bool join)
{
	sock_mc_change_fn *fn = rs_ip_is4(&k->group) ? hook4 : hook6;
	if (fn != NULL)
		fn(k->iface, &k->group, join);
}

static int host_inc(const struct sock_mc_ent *k)
{
	struct host_ent *h = host_find(k);
	if (h != NULL) {
		h->refs++;
		return 0;
	}
	if (nhosts == SOCK_MC_MAX_HOST)
		return -ENOBUFS;
	hosts[nhosts] = (struct host_ent){ .k = *k, .refs = 1 };
	nhosts++;
	if (host_publish() < 0) {
		nhosts--;
		return -ENOMEM;
	}
	host_changed(k, true);
	return 0;
}

static void host_dec(const struct sock_mc_ent *k)
{
	struct host_ent *h = host_find(k);
	if (h == NULL || --h->refs > 0)
		return;
	*h = hosts[--nhosts];
	/* a failed publish leaves workers a superset: they deliver a group
	 * nobody listens to until the next change, and drop it at the socket */
	(void)host_publish();
	host_changed(k, false);
}

/* Replaces s's list with one of n entries (from, minus index skip, plus
 * add when non-NULL). */
static int list_set(struct rs_sock *s, const struct sock_mclist *from, int skip,
		    const struct sock_mc_ent *add)
{
	uint32_t n = from ? from->n : 0;
	uint32_t nn = n - (skip >= 0) + (add != NULL);
	struct sock_mclist *l = NULL;
	if (nn > 0) {
		l = malloc(sizeof(*l) + nn * sizeof(l->e[0]));
		if (l == NULL)
			return -ENOMEM;
		l->n = 0;
		for (uint32_t i = 0; i < n; i++)
			if ((int)i != skip)
				l->e[l->n++] = from->e[i];
		if (add != NULL)
			l->e[l->n++] = *add;
	}
	struct sock_mclist *old = atomic_exchange_explicit(&s->mc, l, memory_order_acq_rel);
	if (old != NULL)
		rs_defer_free(free, old);
	return 0;
}

void sock_mc_rekey(struct rs_sock *s)
{
	struct sock_demux *d = atomic_load_explicit(&members, memory_order_relaxed);
	if (s->in_mc_demux) {
		sock_demux_del(d, &s->mc_key, s);
		s->in_mc_demux = false;
	}
	/* those with memberships, and SO_REUSEADDR twins the socket demux
	 * has no room for (IPV6_MULTICAST_ALL gives them the host's groups) */
	bool joined = atomic_load_explicit(&s->mc, memory_order_relaxed) != NULL;
	if (!s->bound || s->connected || s->dead || s->proto->type != SOCK_DGRAM ||
	    (!joined && (s->in_demux || !s->reuseaddr)))
		return;
	if (d == NULL) {
		d = sock_demux_create(256, (uint32_t)rte_rand(), rs_defer_free);
		if (d == NULL)
			return; /* it still gets them through the socket demux when it holds the key */
		atomic_store_explicit(&members, d, memory_order_release);
	}
	struct sock_demux_key k = { .laddr = s->laddr, .lport = s->lport,
				    .proto = s->proto->ipproto };
	/* every member may share: one uid, all "reuseport" (the port table
	 * already decided who may bind here) */
	if (sock_demux_add(d, &k, s, 0, SOCK_DEMUX_REUSEPORT) == 0) {
		s->in_mc_demux = true;
		s->mc_key = k;
	}
}

void sock_mc_members(const struct rs_ip *addr, uint16_t port, uint8_t proto,
		     void (*fn)(void *arg, void *sock), void *arg)
{
	const struct sock_demux *d = atomic_load_explicit(&members, memory_order_acquire);
	if (d == NULL)
		return;
	struct sock_demux_key k = { .laddr = *addr, .lport = port, .proto = proto };
	sock_demux_members(d, &k, fn, arg);
}

int sock_mc_join(struct rs_sock *s, const struct rs_ip *group, uint16_t iface)
{
	const struct sock_mclist *l = atomic_load_explicit(&s->mc, memory_order_relaxed);
	uint32_t n = l ? l->n : 0;
	for (uint32_t i = 0; i < n; i++)
		if (l->e[i].iface == iface && rs_ip_eq(&l->e[i].group, group))
			return -EADDRINUSE;
	if (n >= SOCK_MC_MAX_PER_SOCK)
		return -ENOBUFS;
	struct sock_mc_ent k = { .group = *group, .iface = iface };
	int rc = host_inc(&k);
	if (rc < 0)
		return rc;
	rc = list_set(s, l, -1, &k);
	if (rc < 0)
		host_dec(&k);
	else if (n == 0)
		sock_mc_rekey(s);
	return rc;
}

int sock_mc_leave(struct rs_sock *s, const struct rs_ip *group, int iface)
{
	const struct sock_mclist *l = atomic_load_explicit(&s->mc, memory_order_relaxed);
	uint32_t n = l ? l->n : 0;
	for (uint32_t i = 0; i < n; i++) {
		if ((iface < 0 || l->e[i].iface == iface) && rs_ip_eq(&l->e[i].group, group)) {
			struct sock_mc_ent k = l->e[i];
			if (list_set(s, l, (int)i, NULL) < 0)
				return -ENOMEM;
			host_dec(&k);
			if (n == 1)
				sock_mc_rekey(s);
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

void sock_mc_drop_all(struct rs_sock *s)
{
	struct sock_mclist *l = atomic_exchange_explicit(&s->mc, NULL, memory_order_acq_rel);
	if (l == NULL)
		return;
	sock_mc_rekey(s);
	for (uint32_t i = 0; i < l->n; i++)
		host_dec(&l->e[i]);
	rs_defer_free(free, l);
}

unsigned sock_mc_host_groups(int family, uint16_t iface, struct rs_ip *out, unsigned max)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < nhosts && n < max; i++)
		if (hosts[i].k.iface == iface && rs_ip_family(&hosts[i].k.group) == family)
			out[n++] = hosts[i].k.group;
	return n;
}

bool sock_mc_host_joined(uint16_t iface, const struct rs_ip *group)
{
	const struct host_pub *p = atomic_load_explicit(&host_pub, memory_order_acquire);
	if (p == NULL)
		return false;
	struct sock_mc_ent k = { .group = *group, .iface = iface };
	uint32_t lo = 0, hi = p->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = ent_cmp(&p->e[mid], &k);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool sock_mc_accepts(const struct rs_sock *s, const struct rs_ip *group, uint16_t iface)
{
	/* IPv4 (ip_mc_sf_allow) matches a membership on the arrival link
	 * only; IPv6 (inet6_mc_check) one on any link */
	bool v4 = rs_ip_is4(group);
	const struct sock_mclist *l = atomic_load_explicit(&s->mc, memory_order_acquire);
	if (l != NULL)
		for (uint32_t i = 0; i < l->n; i++)
			if (rs_ip_eq(&l->e[i].group, group) && (!v4 || l->e[i].iface == iface))
				return true;
	return v4 ? s->mc4_all : s->mc_all;
}
