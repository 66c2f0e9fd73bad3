/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 addresses and Neighbor Discovery on the control thread: address
 * add/delete with their routes, stable link-local addresses (RFC 7217),
 * Duplicate Address Detection (RFC 4862 §5.4), the solicitations we send
 * (RFC 4861 §7.2.2) and MLDv2 reports (RFC 3810 §5.2) for the groups we
 * listen to. Packets are built here and handed to a worker's port_tx.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_random.h>

#include "core/dp.h"
#include "core/module.h"
#include "ip6/ip6.h"
#include "ip6/nd.h"
#include "route/fib6.h"
#include "sock/sock_mcast.h"
#include "util/rs_addr.h"
#include "util/rs_log.h"
#include "util/rs_siphash.h"
#include "wire/ip6_wire.h"

uint16_t nd_msg_dad_conflict, nd_msg_mld_query;
uint64_t ip6_local_bloom[1u << (IP6_LOCAL_BLOOM_LOG2 - 6)];
static uint8_t inj_port_tx;

/* RFC 4861 §10 RetransTimer, RFC 4862 DupAddrDetectTransmits 1 */
#define DAD_WAIT_NS 1000000000ull
#define DAD_MAX 256

struct dad {
	bool used;
	uint16_t iface;
	uint8_t ip[16];
	uint64_t deadline;
};
static struct dad dads[DAD_MAX];
static bool ll_done[RS_MAX_IFACES];
static struct rs_siphash_key ll_key;

/* ---- packet building ---- */

/* An Ethernet + IPv6 frame with room for an ICMPv6 message of len bytes
 * (ext bytes of extension headers between), headers written, payload
 * left for the caller at *icmp. */
static struct rte_mbuf *frame(uint16_t iface, const uint8_t dmac[6], const uint8_t src[16],
			      const uint8_t dst[16], uint8_t hlim, const uint8_t *ext,
			      uint16_t extlen, uint16_t len, uint8_t **icmp)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	if (!ifc->present || !ifc->up || ifc->loopback)
		return NULL;
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return NULL;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, ETH_HLEN + IP6_HLEN + extlen + len);
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth_write(b, dmac, ifc->mac.addr_bytes, ETH_P_IPV6);
	ip6_write(b + ETH_HLEN, 0, 0, (uint16_t)(extlen + len),
		  extlen ? IPPROTO_HOPOPTS_ : IPPROTO_ICMPV6_, hlim, src, dst);
	if (extlen != 0)
		memcpy(b + ETH_HLEN + IP6_HLEN, ext, extlen);
	*icmp = b + ETH_HLEN + IP6_HLEN + extlen;
	m->port = iface;
	return m;
}

static void icmp6_fill_csum(uint8_t *icmp, uint16_t len, const uint8_t src[16],
			    const uint8_t dst[16])
{
	rs_st16(icmp + 2, 0);
	uint32_t s = rs_csum_pseudo6(src, dst, IPPROTO_ICMPV6_, len);
	rs_st16(icmp + 2, rs_csum_fold(rs_csum_add(s, icmp, len)));
}

void nd_send_ns(uint16_t iface, const uint8_t target[16], const uint8_t *dmac, bool dad)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	static const uint8_t unspec[16];
	uint8_t dst[16], mac[6];
	const uint8_t *src;
	if (dad) {
		src = unspec;
	} else {
		src = ip6_iface_src(ifc, target);
		if (src == NULL)
			return; /* no usable address yet (DAD under way) */
	}
	if (dmac != NULL) {
		memcpy(dst, target, 16);
		memcpy(mac, dmac, 6);
	} else {
		ip6_solicited_node(dst, target);
		ip6_mcast_mac(mac, dst);
	}
	uint16_t len = (uint16_t)(ND_NS_LEN + (dad ? 0 : 8));
	uint8_t *p;
	struct rte_mbuf *m = frame(iface, mac, src, dst, 255, NULL, 0, len, &p);
	if (m == NULL)
		return;
	memset(p, 0, len);
	p[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(p + 8, target, 16);
	if (!dad) {
		p[24] = ND_OPT_SRC_LLADDR;
		p[25] = 1;
		memcpy(p + 26, ifc->mac.addr_bytes, 6);
	}
	icmp6_fill_csum(p, len, src, dst);
	rs_inject(m, inj_port_tx);
}

bool nd_send_rs(uint16_t iface)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
	const uint8_t *src = ip6_iface_src(ifc, all_routers);
	if (src == NULL || !ip6_is_linklocal(src))
		return false;
	const uint16_t len = 8 + 8; /* the message and the source link-layer option */
	uint8_t mac[6], *p;
	ip6_mcast_mac(mac, all_routers);
	struct rte_mbuf *m = frame(iface, mac, src, all_routers, 255, NULL, 0, len, &p);
	if (m == NULL)
		return false;
	memset(p, 0, len);
	p[0] = ND_ROUTER_SOLICIT;
	p[8] = ND_OPT_SRC_LLADDR;
	p[9] = 1;
	memcpy(p + 10, ifc->mac.addr_bytes, 6);
	icmp6_fill_csum(p, len, src, all_routers);
	rs_inject(m, inj_port_tx);
	return true;
}

/* One MLDv2 report (RFC 3810 §5.2) of n records (type, group, no
 * sources) on iface, from the link-local address or :: while there is
 * none (§5.2.13), Hop Limit 1 with Router Alert (§5). */
static void mld_send(uint16_t iface, const uint8_t *types, const uint8_t (*groups)[16],
		     unsigned n)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	static const uint8_t unspec[16];
	static const uint8_t mld2[16] = { 0xff, 0x02, [15] = 0x16 };
	const uint8_t *src = ip6_iface_src(ifc, mld2);
	if (src == NULL || !ip6_is_linklocal(src))
		src = unspec;
	static const uint8_t hbh[8] = { IPPROTO_ICMPV6_, 0, 0x05, 0x02, 0, 0, 0x01, 0x00 };
	uint16_t len = (uint16_t)(8 + 20 * n);
	uint8_t mac[6], *p;
	ip6_mcast_mac(mac, mld2);
	struct rte_mbuf *m = frame(iface, mac, src, mld2, 1, hbh, sizeof(hbh), len, &p);
	if (m == NULL)
		return;
	memset(p, 0, len);
	p[0] = ICMP6_MLD2_REPORT;
	rs_st16(p + 6, (uint16_t)n);
	for (unsigned j = 0; j < n; j++) {
		uint8_t *r = p + 8 + 20 * j;
		r[0] = types[j];
		memcpy(r + 4, groups[j], 16);
	}
	icmp6_fill_csum(p, len, src, mld2);
	rs_inject(m, inj_port_tx);
}

/* RFC 3810 §6: no report for the all-nodes group, nor for reserved or
 * interface-local scopes. */
static bool mld_reported(const uint8_t g[16])
{
	return !ip6_is_all_nodes(g) && ip6_mcast_scope(g) > 1;
}

#define MLD_MAX_GROUPS (RS_MAX_ADDRS6 + 1 + SOCK_MC_MAX_HOST)

void nd_send_mld_report(uint16_t iface)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	if (!ifc->present || !ifc->up || ifc->loopback)
		return;
	/* the groups: each distinct solicited-node group, all-routers when
	 * forwarding, and those applications joined; all-nodes is never
	 * reported (RFC 3810 §6) */
	static uint8_t groups[MLD_MAX_GROUPS][16];
	static uint8_t types[MLD_MAX_GROUPS];
	static struct rs_ip joined[SOCK_MC_MAX_HOST];
	unsigned n = 0;
	for (unsigned i = 0; i < ifc->naddrs6; i++) {
		uint8_t g[16];
		ip6_solicited_node(g, ifc->addrs6[i].ip);
		bool dup = false;
		for (unsigned j = 0; j < n; j++)
			dup |= memcmp(groups[j], g, 16) == 0;
		if (!dup)
			memcpy(groups[n++], g, 16);
	}
	if (ifc->forwarding) {
		static const uint8_t ar[16] = { 0xff, 0x02, [15] = 2 };
		memcpy(groups[n++], ar, 16);
	}
	unsigned nj = sock_mc_host_groups(AF_INET6, iface, joined, SOCK_MC_MAX_HOST);
	for (unsigned i = 0; i < nj; i++) {
		bool dup = !mld_reported(joined[i].b);
		for (unsigned j = 0; j < n && !dup; j++)
			dup = memcmp(groups[j], joined[i].b, 16) == 0;
		if (!dup)
			memcpy(groups[n++], joined[i].b, 16);
	}
	/* MODE_IS_EXCLUDE with no sources: listening to all (§5.2.12);
	 * as many reports as the link's MTU needs (§5.2.15) */
	memset(types, MLD2_MODE_IS_EXCLUDE, n);
	unsigned per = ifc->mtu > IP6_HLEN + 8 + 8 + 20 ? (ifc->mtu - IP6_HLEN - 8 - 8) / 20 : 1;
	for (unsigned i = 0; i < n; i += per)
		mld_send(iface, types + i, groups + i, n - i < per ? n - i : per);
}

/* State-change reports (RFC 3810 §6.1) for groups applications join and
 * leave: sent at once, then [Robustness Variable] - 1 more times, each at
 * a random delay within [Unsolicited Report Interval] (§9.1, §9.11). */
#define MLD_ROBUSTNESS 2
#define MLD_UNSOL_NS 1000000000ull
#define MLD_PEND_MAX 256

struct mld_pend {
	bool used;
	uint8_t type;
	uint8_t left;
	uint16_t iface;
	uint8_t group[16];
	uint64_t deadline;
};
static struct mld_pend mld_pend[MLD_PEND_MAX];

static void mld_change(uint16_t iface, const struct rs_ip *group, bool join)
{
	if (!mld_reported(group->b))
		return;
	uint8_t type = join ? MLD2_CHANGE_TO_EXCLUDE : MLD2_CHANGE_TO_INCLUDE;
	mld_send(iface, &type, (const uint8_t(*)[16])group->b, 1);
	struct mld_pend *free_slot = NULL;
	for (unsigned i = 0; i < MLD_PEND_MAX; i++) {
		struct mld_pend *q = &mld_pend[i];
		if (q->used && q->iface == iface && memcmp(q->group, group->b, 16) == 0) {
			free_slot = q; /* the newer change replaces the older one's retransmissions */
			break;
		}
		if (!q->used && free_slot == NULL)
			free_slot = q;
	}
	if (free_slot == NULL)
		return; /* the first report went; only its repetition is lost */
	*free_slot = (struct mld_pend){ .used = true, .type = type, .left = MLD_ROBUSTNESS - 1,
					.iface = iface,
					.deadline = rs_now_ns() + rte_rand_max(MLD_UNSOL_NS) };
	memcpy(free_slot->group, group->b, 16);
}

static void mld_tick(uint64_t now)
{
	for (unsigned i = 0; i < MLD_PEND_MAX; i++) {
		struct mld_pend *q = &mld_pend[i];
		if (!q->used || now < q->deadline)
			continue;
		mld_send(q->iface, &q->type, (const uint8_t(*)[16])q->group, 1);
		if (--q->left == 0)
			q->used = false;
		else
			q->deadline = now + rte_rand_max(MLD_UNSOL_NS);
	}
}

/* ---- addresses ---- */

static int routes_add(uint16_t iface, const uint8_t a[16], uint8_t plen)
{
	struct route6 r = { .plen = 128, .type = RT_LOCAL, .proto = RTPROT_KERNEL,
			    .iface = iface };
	memcpy(r.prefix, a, 16);
	int rc = fib6_route_add(&r, true);
	if (rc < 0 || plen == 128)
		return rc;
	r = (struct route6){ .plen = plen, .type = RT_UNICAST, .proto = RTPROT_KERNEL,
			     .iface = iface, .metric = 256 };
	memcpy(r.prefix, a, 16);
	ip6_prefix_mask(r.prefix, plen);
	/* another address in the same prefix made it already: replace is harmless */
	return fib6_route_add(&r, true);
}

static bool prefix_shared(const struct rs_iface *ifc, const uint8_t a[16], uint8_t plen)
{
	for (unsigned i = 0; i < ifc->naddrs6; i++)
		if (memcmp(ifc->addrs6[i].ip, a, 16) != 0 && ifc->addrs6[i].plen == plen &&
		    ip6_prefix_eq(ifc->addrs6[i].ip, a, plen))
			return true;
	return false;
}

static void routes_del(uint16_t iface, const uint8_t a[16], uint8_t plen, bool shared)
{
	fib6_route_del(a, 128, -1, RT_LOCAL, iface, NULL);
	if (!shared && plen < 128)
		fib6_route_del(a, plen, 256, RT_UNICAST, iface, NULL);
}

static void dad_start(uint16_t iface, const uint8_t a[16])
{
	for (unsigned i = 0; i < DAD_MAX; i++) {
		if (dads[i].used)
			continue;
		dads[i] = (struct dad){ .used = true, .iface = iface,
					.deadline = rs_now_ns() + DAD_WAIT_NS };
		memcpy(dads[i].ip, a, 16);
		/* join the solicited-node group first (RFC 4862 §5.4.2) */
		nd_send_mld_report(iface);
		nd_send_ns(iface, a, NULL, true);
		return;
	}
	/* no DAD slot: the address stays tentative until removed */
	rs_log("DAD: too many addresses under test");
}

static void dad_cancel(uint16_t iface, const uint8_t a[16])
{
	for (unsigned i = 0; i < DAD_MAX; i++)
		if (dads[i].used && dads[i].iface == iface && memcmp(dads[i].ip, a, 16) == 0)
			dads[i].used = false;
}

/* Sets or clears flags of (iface, a) in a new configuration version. */
static void addr_flags(uint16_t iface, const uint8_t a[16], uint8_t set, uint8_t clear)
{
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return;
	struct rs_iface *e = &c->ifaces[iface];
	for (unsigned i = 0; i < e->naddrs6; i++)
		if (memcmp(e->addrs6[i].ip, a, 16) == 0)
			e->addrs6[i].flags = (uint8_t)((e->addrs6[i].flags | set) & ~clear);
	rs_cfg_commit();
}

int ip6_addr_add(uint16_t iface, const uint8_t a[16], uint8_t plen, uint8_t flags)
{
	const struct rs_cfg *cur = rs_cfg_current();
	const struct rs_iface *ifc = &cur->ifaces[iface];
	char txt[64];
	struct rs_ip ip = rs_ip_from6(a);
	rs_ip_str(&ip, txt, sizeof(txt));
	if (plen > 128 || plen == 0) {
		rs_err_set("prefix length of %s must be 1-128", txt);
		return -EINVAL;
	}
	if (ip6_is_mcast(a) || ip6_is_unspec(a) || ip6_is_v4mapped(a)) {
		rs_err_set("%s cannot be a host address", txt);
		return -EINVAL;
	}
	if (ip6_is_loopback(a) != ifc->loopback) {
		rs_err_set(ifc->loopback ? "lo takes ::1 only" : "::1 belongs on lo");
		return -EINVAL;
	}
	for (unsigned l = 0; l < RS_MAX_IFACES; l++)
		if (cur->ifaces[l].present && ip6_iface_addr(&cur->ifaces[l], a) != NULL &&
		    !(ip6_is_linklocal(a) && l != iface)) {
			rs_err_set("%s is already assigned to %s", txt, cur->ifaces[l].name);
			return -EEXIST;
		}
	if (ifc->naddrs6 >= RS_MAX_ADDRS6) {
		rs_err_set("%s has %d IPv6 addresses already", ifc->name, RS_MAX_ADDRS6);
		return -ENOSPC;
	}
	bool shared = prefix_shared(ifc, a, plen);
	uint32_t h = ip6_local_bloom_hash(a);
	__atomic_store_n(&ip6_local_bloom[h >> 6], ip6_local_bloom[h >> 6] | 1ull << (h & 63),
			 __ATOMIC_RELEASE);
	int rc = routes_add(iface, a, plen);
	if (rc < 0) {
		routes_del(iface, a, plen, shared);
		return rc;
	}
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL) {
		routes_del(iface, a, plen, shared);
		return -ENOMEM;
	}
	struct rs_iface *e = &c->ifaces[iface];
	struct rs_addr6 *n = &e->addrs6[e->naddrs6++];
	memcpy(n->ip, a, 16);
	n->plen = plen;
	/* lo needs no DAD (RFC 4862 §5.4: not on a link with neighbours) */
	bool lo = ifc->loopback;
	n->flags = (uint8_t)(flags | (lo ? 0 : RS_A6_TENTATIVE));
	rs_cfg_commit(); /* frees the version ifc points into */
	if (!lo)
		dad_start(iface, a);
	return 0;
}

int ip6_addr_del(uint16_t iface, const uint8_t a[16], uint8_t plen)
{
	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	struct rs_iface *e = &c->ifaces[iface];
	for (unsigned i = 0; i < e->naddrs6; i++) {
		if (memcmp(e->addrs6[i].ip, a, 16) != 0 || (plen && e->addrs6[i].plen != plen))
			continue;
		uint8_t pl = e->addrs6[i].plen;
		bool shared = prefix_shared(e, a, pl);
		memmove(&e->addrs6[i], &e->addrs6[i + 1],
			(e->naddrs6 - i - 1) * sizeof(e->addrs6[0]));
		e->naddrs6--;
		rs_cfg_commit();
		routes_del(iface, a, pl, shared);
		dad_cancel(iface, a);
		return 0;
	}
	rs_err_set("no such IPv6 address on %s", e->name);
	return -EADDRNOTAVAIL;
}

void ip6_addr_flush(uint16_t iface, bool all)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	for (unsigned i = ifc->naddrs6; i > 0; i--) {
		ifc = &rs_cfg_current()->ifaces[iface];
		const struct rs_addr6 *a = &ifc->addrs6[i - 1];
		if (!all && ((a->flags & RS_A6_LINKLOCAL) || ip6_is_loopback(a->ip)))
			continue;
		uint8_t ip[16];
		memcpy(ip, a->ip, 16);
		ip6_addr_del(iface, ip, a->plen);
	}
}

/*
 * RFC 7217 §5: IID = F(Prefix, Net_Iface, Network_ID, DAD_Counter,
 * secret_key), F SipHash-2-4. Net_Iface is the link's MAC (stable across
 * restarts, unlike port numbers); the secret is /etc/machine-id when
 * readable (stable across reboots, §5 "secret_key"), else random per run.
 */
static void ll_key_init(void)
{
	uint8_t k[16] = { 0 };
	int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	char id[33] = { 0 };
	if (fd >= 0 && read(fd, id, 32) == 32) {
		for (int i = 0; i < 16; i++) {
			unsigned v;
			if (sscanf(id + 2 * i, "%2x", &v) != 1)
				break;
			k[i] = (uint8_t)v;
		}
	} else if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
		rs_log("no randomness for the link-local secret: using the clock");
		uint64_t t = rs_now_ns();
		memcpy(k, &t, 8);
	}
	if (fd >= 0)
		close(fd);
	rs_siphash_key_load(&ll_key, k);
}

void ip6_stable_addr(uint8_t a[16], const uint8_t prefix[8], const uint8_t mac[6],
		     uint8_t dad_counter)
{
	uint8_t in[8 + 6 + 1];
	memcpy(in, prefix, 8);
	memcpy(in + 8, mac, 6);
	in[14] = dad_counter;
	uint64_t iid = rs_siphash24(&ll_key, in, sizeof(in));
	memcpy(a, prefix, 8);
	for (int i = 0; i < 8; i++)
		a[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
}

void ip6_iface_added(uint16_t iface)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	static const uint8_t ll[8] = { 0xfe, 0x80 };
	uint8_t a[16];
	for (uint8_t dad_counter = 0; dad_counter < 3; dad_counter++) {
		ip6_stable_addr(a, ll, ifc->mac.addr_bytes, dad_counter);
		if (ip6_addr_add(iface, a, 64, RS_A6_LINKLOCAL) == 0)
			return;
	}
	rs_log("%s: no link-local address: %s", ifc->name, rs_err_get());
}

/* ---- messages from workers, timers ---- */

static void on_dad_conflict(const struct rs_msg *msg, uint64_t now)
{
	(void)now;
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[msg->iface];
	const struct rs_addr6 *a = ip6_iface_addr(ifc, msg->data);
	if (msg->m)
		rte_pktmbuf_free(msg->m);
	if (a == NULL || !(a->flags & RS_A6_TENTATIVE))
		return; /* a late echo; a used address is defended by NA (§5.4.4) */
	char txt[64];
	struct rs_ip ip = rs_ip_from6(msg->data);
	rs_log("%s: duplicate address %s detected: not used (RFC 4862 §5.4.5)", ifc->name,
	       rs_ip_str(&ip, txt, sizeof(txt)));
	dad_cancel(msg->iface, msg->data);
	addr_flags(msg->iface, msg->data, RS_A6_DADFAILED, 0);
	/* the owner's, not ours: no local route (the address stays listed,
	 * flagged, as Linux's "dadfailed", until deleted) */
	fib6_route_del(msg->data, 128, -1, RT_LOCAL, msg->iface, NULL);
}

/* RFC 3810 §6.2: a general query gets our whole state, a group-specific
 * one only that group's, and only when we listen to it. One answer per
 * link per interval: a flood of queries costs one report a second, not
 * one per query (§6.2 merges pending responses the same way). */
#define MLD_ANSWER_GAP_NS 1000000000ull
static uint64_t mld_answered[RS_MAX_IFACES];

static void on_mld_query(const struct rs_msg *msg, uint64_t now)
{
	if (msg->m)
		rte_pktmbuf_free(msg->m);
	if (msg->iface >= RS_MAX_IFACES)
		return;
	const uint8_t *g = msg->data;
	if (!ip6_is_unspec(g)) {
		const struct rs_iface *ifc = &rs_cfg_current()->ifaces[msg->iface];
		struct rs_ip gi = rs_ip_from6(g);
		if (!ip6_is_mcast(g) || !mld_reported(g) || !ifc->present || !ifc->up ||
		    ifc->loopback ||
		    (!ip6_iface_in_group(ifc, g) && !sock_mc_host_joined(msg->iface, &gi)))
			return;
		uint8_t type = MLD2_MODE_IS_EXCLUDE;
		mld_send(msg->iface, &type, (const uint8_t(*)[16])g, 1);
		return;
	}
	if (mld_answered[msg->iface] != 0 && now - mld_answered[msg->iface] < MLD_ANSWER_GAP_NS)
		return;
	mld_answered[msg->iface] = now;
	nd_send_mld_report(msg->iface);
}

static void ip6_ctl_tick(uint64_t now)
{
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		/* re-read each time: adding an address publishes a new version
		 * and frees the one read before */
		const struct rs_iface *ifc = &rs_cfg_current()->ifaces[i];
		if (!ifc->present) {
			ll_done[i] = false;
			continue;
		}
		if (ll_done[i])
			continue;
		ll_done[i] = true;
		if (ifc->loopback) {
			static const uint8_t lo6[16] = { [15] = 1 };
			if (ip6_iface_addr(ifc, lo6) == NULL)
				ip6_addr_add((uint16_t)i, lo6, 128, 0);
		} else {
			ip6_iface_added((uint16_t)i);
		}
	}
	for (unsigned i = 0; i < DAD_MAX; i++) {
		if (!dads[i].used || now < dads[i].deadline)
			continue;
		dads[i].used = false;
		/* RFC 4862 §5.4: no conflict within RetransTimer: ours */
		addr_flags(dads[i].iface, dads[i].ip, 0, RS_A6_TENTATIVE);
		nd_send_mld_report(dads[i].iface);
	}
	mld_tick(now);
}

static int ip6_ctl_init(void)
{
	ll_key_init();
	memset(dads, 0, sizeof(dads));
	memset(ll_done, 0, sizeof(ll_done));
	memset(mld_pend, 0, sizeof(mld_pend));
	memset(mld_answered, 0, sizeof(mld_answered));
	sock_mc_set_change_hook(AF_INET6, mld_change);
	return 0;
}

static struct rs_module nd_module = {
	.name = "nd",
	.order = 40,
	.init = ip6_ctl_init,
	.tick = ip6_ctl_tick,
};
RS_MODULE_REGISTER(nd_module);

RTE_INIT(nd_ctl_register)
{
	nd_msg_dad_conflict = rs_msg_type_register("nd_dad_conflict", on_dad_conflict);
	nd_msg_mld_query = rs_msg_type_register("nd_mld_query", on_mld_query);
	inj_port_tx = rs_inject_target_register("port_tx");
}
