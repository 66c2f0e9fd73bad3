/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-thread side of the neighbor table: drives the state machine
 * (neigh.c) with what workers report, publishes each entry's MAC and state to
 * workers as one atomic word, sends ARP requests and queued packets through
 * a worker (ctl_input).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "core/module.h"
#include "ip6/nd.h"
#include "wire/wire.h"
#include "util/rs_log.h"

struct rte_hash *neigh_hash;
uint64_t neigh_ctl_drop_queue;
uint16_t neigh_msg_resolve, neigh_msg_arp, neigh_msg_resolve6, neigh_msg_nd;

/* Where packets we hand to workers enter their graphs (core/module.h). */
static uint8_t inj_port_tx, inj_neigh_failed;

static struct neigh_table *tbl;
static struct neigh_pub *pubs;
static uint32_t *pub_free;
static uint32_t pub_nfree, pub_max;

static void pub_release(void *arg)
{
	pub_free[pub_nfree++] = (uint32_t)(uintptr_t)arg;
}

static uint64_t make_word(const struct neigh_entry *e)
{
	uint64_t w = NEIGH_PUB_VALID | ((uint64_t)e->state << 48);
	for (int i = 0; i < 6; i++)
		w |= (uint64_t)e->mac[i] << (40 - 8 * i);
	return w;
}

static struct rte_mbuf *arp_build(uint16_t iface, uint16_t op, const uint8_t *dmac,
				  uint32_t tip, const uint8_t *tha)
{
	const struct rs_cfg *c = rs_cfg_current();
	const struct rs_iface *ifc = &c->ifaces[iface];
	if (!ifc->present || !ifc->up)
		return NULL;
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return NULL;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, ETH_HLEN + ARP_LEN);
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	/* tha NULL: an announcement, sender address = target address */
	uint32_t sip = tha == NULL ? tip : rs_iface_src_for(ifc, tip);
	static const uint8_t zero[6];
	eth_write(b, dmac, ifc->mac.addr_bytes, ETH_P_ARP);
	arp_write(b + ETH_HLEN, op, ifc->mac.addr_bytes, sip, tha ? tha : zero, tip);
	m->port = iface;
	return m;
}

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

static void op_send_request(void *ctx, const struct neigh_entry *e, bool unicast)
{
	if (!rs_ip_is4(&e->ip)) {
		nd_send_ns(e->iface, e->ip.b, unicast ? e->mac : NULL, false);
		return;
	}
	struct rte_mbuf *m = arp_build(e->iface, ARP_OP_REQUEST, unicast ? e->mac : bcast_mac,
				       rs_ip_v4(&e->ip), zero_mac);
	if (m != NULL)
		rs_inject(m, inj_port_tx);
}

static void op_tx_queued(void *ctx, const struct neigh_entry *e, void *pkt)
{
	struct rte_mbuf *m = pkt;
	const struct rs_cfg *c = rs_cfg_current();
	const struct rs_iface *ifc = &c->ifaces[e->iface];
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);
	if (h == NULL || !ifc->present) {
		rte_pktmbuf_free(m);
		neigh_ctl_drop_queue++;
		return;
	}
	eth_write(h, e->mac, ifc->mac.addr_bytes, rs_ip_is4(&e->ip) ? ETH_P_IP : ETH_P_IPV6);
	m->port = e->iface;
	rs_inject(m, inj_port_tx);
}

static void op_drop_queued(void *ctx, const struct neigh_entry *e, void *pkt)
{
	if (e->state == NEIGH_FAILED && rs_ip_is4(&e->ip)) {
		/* a worker answers host unreachable and counts neigh_failed */
		rs_inject(pkt, inj_neigh_failed);
		return;
	}
	neigh_ctl_drop_queue++; /* pushed out of a full queue, or no room for an entry */
	rte_pktmbuf_free(pkt);
}

static void op_publish(void *ctx, struct neigh_entry *e)
{
	struct neigh_pub *p = e->priv;
	if (p == NULL) {
		if (pub_nfree == 0)
			return; /* cannot happen: as many slots as entries + in grace */
		uint32_t slot = pub_free[--pub_nfree];
		p = &pubs[slot];
		p->e = e;
		p->used = 0;
		p->confirmed = 0;
		atomic_store_explicit(&p->word, make_word(e), memory_order_relaxed);
		struct neigh_key k = { .ip = e->ip, .iface = e->iface, .zero = 0 };
		/* the word is written before the key becomes visible */
		if (rte_hash_add_key_data(neigh_hash, &k, p) < 0) {
			pub_free[pub_nfree++] = slot;
			return;
		}
		e->priv = p;
		return;
	}
	atomic_store_explicit(&p->word, make_word(e), memory_order_release);
}

static void op_removed(void *ctx, struct neigh_entry *e)
{
	struct neigh_pub *p = e->priv;
	if (p == NULL)
		return;
	struct neigh_key k = { .ip = e->ip, .iface = e->iface, .zero = 0 };
	rte_hash_del_key(neigh_hash, &k);
	atomic_store_explicit(&p->word, 0, memory_order_release);
	p->e = NULL;
	e->priv = NULL;
	rs_defer_free(pub_release, (void *)(uintptr_t)(p - pubs));
}

static const struct neigh_ops ops = {
	.send_request = op_send_request,
	.tx_queued = op_tx_queued,
	.drop_queued = op_drop_queued,
	.publish = op_publish,
	.removed = op_removed,
};

int neigh_ctl_init(uint32_t max_entries, uint32_t max_queued, struct rte_rcu_qsbr *rcu)
{
	struct neigh_params np;
	neigh_params_default(&np);
	np.max_entries = max_entries;
	if (max_queued != 0)
		np.max_queued = max_queued;
	/* Twice the slots: removed entries' slots wait out a grace period. */
	pub_max = max_entries * 2;
	pubs = rte_zmalloc("rs_neigh_pub", sizeof(*pubs) * pub_max, RTE_CACHE_LINE_SIZE);
	pub_free = malloc(sizeof(*pub_free) * pub_max);
	struct rte_hash_parameters hp = {
		.name = "rs_neigh",
		.entries = pub_max,
		.key_len = sizeof(struct neigh_key),
		/* CRC32-C (SSE4.2 where the CPU has it): the forwarding path
		 * looks a neighbour up per vector, and jhash took 80
		 * instructions for the 20-byte key (test_neigh, fwd_bench) */
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	neigh_hash = rte_hash_create(&hp);
	if (pubs == NULL || pub_free == NULL || neigh_hash == NULL) {
		rs_err_set("cannot allocate the neighbor table");
		return -ENOMEM;
	}
	struct rte_hash_rcu_config hrc = {
		.v = rcu,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};
	if (rte_hash_rcu_qsbr_add(neigh_hash, &hrc) != 0) {
		rs_err_set("cannot attach RCU to the neighbor hash");
		return -EINVAL;
	}
	for (uint32_t i = pub_max; i > 0; i--)
		pub_free[pub_nfree++] = i - 1;
	tbl = neigh_table_create(&np, &ops, NULL);
	if (tbl == NULL) {
		rs_err_set("cannot create the neighbor table");
		return -ENOMEM;
	}
	return 0;
}

void neigh_ctl_fini(void)
{
	if (tbl)
		neigh_table_destroy(tbl);
	tbl = NULL;
	rte_hash_free(neigh_hash);
	neigh_hash = NULL;
	rte_free(pubs);
	free(pub_free);
	pubs = NULL;
	pub_free = NULL;
	pub_nfree = 0;
}

/* A worker's packet needs (iface, msg->u32) resolved; the mbuf passes. */
static void on_msg_resolve(const struct rs_msg *msg, uint64_t now)
{
	neigh_resolve(tbl, msg->iface, rs_ip_from4(msg->u32), msg->m, now);
}

static void on_msg_resolve6(const struct rs_msg *msg, uint64_t now)
{
	neigh_resolve(tbl, msg->iface, rs_ip_from6(msg->data), msg->m, now);
}

/* A worker saw an ND sender or target (struct rs_msg in neigh_ctl.h). */
static void on_msg_nd(const struct rs_msg *msg, uint64_t now)
{
	neigh_on_arp(tbl, msg->iface, rs_ip_from6(msg->data), msg->data + 16,
		     (enum neigh_src)msg->data[22], now);
	if (msg->m)
		rte_pktmbuf_free(msg->m);
}

/* A worker saw an ARP sender (iface, u32, mac in data[0..6), src in data[6]). */
static void on_msg_arp(const struct rs_msg *msg, uint64_t now)
{
	neigh_on_arp(tbl, msg->iface, rs_ip_from4(msg->u32), msg->data,
		     (enum neigh_src)msg->data[6], now);
	if (msg->m)
		rte_pktmbuf_free(msg->m);
}

static void tick_used(void *arg, const struct neigh_entry *e)
{
	struct neigh_pub *p = e->priv;
	if (p != NULL && (p->used || p->confirmed))
		*(bool *)arg = true;
}

void neigh_ctl_tick(uint64_t now)
{
	/* the module tick comes every millisecond; the timers need 10 */
	static uint64_t next_ns;
	if (now < next_ns)
		return;
	next_ns = now + 10000000;
	/* Entries workers sent through while STALE: STALE -> DELAY. Only
	 * STALE entries are flagged, and only when there are entries.
	 * Entries TCP confirmed: REACHABLE. */
	if (neigh_count(tbl) == 0)
		return;
	bool any = false;
	neigh_foreach(tbl, tick_used, &any);
	if (any) {
		for (uint32_t i = 0; i < pub_max; i++) {
			struct neigh_pub *p = &pubs[i];
			if (p->used && p->e != NULL) {
				p->used = 0;
				neigh_used(tbl, p->e, now);
			}
			if (p->confirmed && p->e != NULL) {
				p->confirmed = 0;
				neigh_confirm(tbl, p->e, now);
			}
		}
	}
	neigh_timer(tbl, now);
}

void neigh_ctl_announce(uint16_t iface, uint32_t ip)
{
	/* RFC 5227 §3: an ARP request with sender and target both ip */
	struct rte_mbuf *m = arp_build(iface, ARP_OP_REQUEST, bcast_mac, ip, NULL);
	if (m != NULL)
		rs_inject(m, inj_port_tx);
}

int neigh_ctl_add(uint16_t iface, struct rs_ip ip, const uint8_t mac[6])
{
	return neigh_add_static(tbl, iface, ip, mac, rs_now_ns());
}

int neigh_ctl_del(uint16_t iface, struct rs_ip ip)
{
	return neigh_del(tbl, iface, ip);
}

uint32_t neigh_ctl_flush(uint16_t iface, bool include_static)
{
	return neigh_flush(tbl, iface, include_static);
}

uint32_t neigh_ctl_queued(void)
{
	return tbl != NULL ? neigh_queued(tbl) : 0;
}

uint32_t neigh_ctl_count(void)
{
	return neigh_count(tbl);
}

struct show_ctx {
	struct rs_buf *out;
	bool json;
	int iface;
	uint32_t n;
	struct neigh_entry *v;
	uint32_t cap;
};

static void collect(void *arg, const struct neigh_entry *e)
{
	struct show_ctx *s = arg;
	if (s->iface >= 0 && e->iface != s->iface)
		return;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct neigh_entry *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *e;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct neigh_entry *x = a, *y = b;
	if (x->iface != y->iface)
		return x->iface < y->iface ? -1 : 1;
	/* IPv4 (::ffff:0:0/96) sorts before the IPv6 global addresses */
	bool x4 = rs_ip_is4(&x->ip), y4 = rs_ip_is4(&y->ip);
	if (x4 != y4)
		return x4 ? -1 : 1;
	return memcmp(x->ip.b, y->ip.b, 16);
}

void neigh_ctl_show(struct rs_buf *out, bool json, int iface)
{
	struct show_ctx s = { .out = out, .json = json, .iface = iface };
	neigh_foreach(tbl, collect, &s);
	if (s.n > 1) /* s.v is NULL for an empty table: not for qsort */
		qsort(s.v, s.n, sizeof(*s.v), cmp_entry);
	const struct rs_cfg *c = rs_cfg_current();
	if (json)
		rs_json_arr_open(out);
	for (uint32_t i = 0; i < s.n; i++) {
		const struct neigh_entry *e = &s.v[i];
		char ip[64], mac[18];
		rs_ip_str(&e->ip, ip, sizeof(ip));
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0], e->mac[1],
			 e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		bool has_mac = e->state != NEIGH_INCOMPLETE && e->state != NEIGH_FAILED;
		const char *dev = c->ifaces[e->iface].present ? c->ifaces[e->iface].name : "?";
		if (json) {
			rs_json_obj_open(out);
			rs_json_kstr(out, "dst", ip);
			rs_json_kstr(out, "dev", dev);
			if (has_mac)
				rs_json_kstr(out, "lladdr", mac);
			rs_json_kstr(out, "state", neigh_state_name(e->state));
			rs_json_ku64(out, "queued", e->qlen);
			rs_json_obj_close(out);
		} else {
			rs_buf_printf(out, "%s dev %s", ip, dev);
			if (has_mac)
				rs_buf_printf(out, " lladdr %s", mac);
			rs_buf_printf(out, " %s\n", neigh_state_name(e->state));
		}
	}
	if (json)
		rs_json_arr_close(out);
	free(s.v);
}

static int neigh_module_init(void)
{
	return neigh_ctl_init(rs_dp.params.neigh_max, rs_dp.params.neigh_queue_max, rs_dp.rcu);
}

static const char *const neigh_nodes[] = { "arp_input", NULL };

static struct rs_module neigh_module = {
	.name = "neigh",
	.order = 20,
	.init = neigh_module_init,
	.fini = neigh_ctl_fini,
	.tick = neigh_ctl_tick,
	.nodes = neigh_nodes,
};
RS_MODULE_REGISTER(neigh_module);

RTE_INIT(neigh_ctl_register)
{
	neigh_msg_resolve = rs_msg_type_register("neigh_resolve", on_msg_resolve);
	neigh_msg_arp = rs_msg_type_register("neigh_arp", on_msg_arp);
	neigh_msg_resolve6 = rs_msg_type_register("neigh_resolve6", on_msg_resolve6);
	neigh_msg_nd = rs_msg_type_register("neigh_nd", on_msg_nd);
	inj_port_tx = rs_inject_target_register("port_tx");
	inj_neigh_failed = rs_inject_target_register("ip4_neigh_failed");
}
