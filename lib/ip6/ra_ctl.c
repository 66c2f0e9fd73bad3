/* SPDX-License-Identifier: BSD-3-Clause */
/* Router Advertisements, both sides (see ra.h). Control thread only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_random.h>

#include "core/dp.h"
#include "core/module.h"
#include "ctl/cmd.h"
#include "ip6/ip6.h"
#include "ip6/nd.h"
#include "ip6/ra.h"
#include "route/fib6.h"
#include "util/rs_addr.h"
#include "util/rs_log.h"
#include "wire/ip6_wire.h"

uint16_t ra_msg_ra, ra_msg_rs;
static uint8_t inj_port_tx;

#define RA_MAX_PREFIXES 4
#define RA_MAX_RDNSS 3
#define RA_MIN_DELAY_NS 3000000000ull /* RFC 4861 §10 MIN_DELAY_BETWEEN_RAS */
#define RA_NS_PER_S 1000000000ull

struct ra_prefix {
	uint8_t prefix[16];
	uint8_t plen;
	uint32_t valid, preferred; /* seconds; 0xffffffff infinite */
};

/* A link we advertise on (router side). */
struct ra_link {
	bool on;
	uint32_t interval_s;      /* MaxRtrAdvInterval */
	uint16_t lifetime_s;      /* router lifetime */
	unsigned nprefix, nrdnss;
	struct ra_prefix prefix[RA_MAX_PREFIXES];
	uint8_t rdnss[RA_MAX_RDNSS][16];
	uint32_t rdnss_lifetime;
	uint64_t next_ns, last_ns;
	unsigned initial;         /* RFC 4861 §6.2.4: the first few come faster */
	uint64_t sent;
	uint64_t solicited;       /* router solicitations received */
};
static struct ra_link links[RS_MAX_IFACES];

/* What a host learned (host side). */
#define SLAAC_MAX 32
struct slaac_addr {
	bool used;
	uint16_t iface;
	uint8_t ip[16];
	uint64_t valid_until; /* UINT64_MAX: infinite */
};
static struct slaac_addr slaac[SLAAC_MAX];
uint64_t ra_slaac_full;
struct learned_router {
	bool used;
	uint8_t ip[16];
	uint64_t until;
	uint8_t rdnss[RA_MAX_RDNSS][16];
	unsigned nrdnss;
};
static struct learned_router routers[RS_MAX_IFACES];

/* Router Solicitation as a host (RFC 4861 §6.3.7): when a link becomes a
 * host link that is up (at start, link up, forwarding turned off), up to
 * MAX_RTR_SOLICITATIONS (3), RTR_SOLICITATION_INTERVAL (4 s) apart, the
 * first after a random delay of up to MAX_RTR_SOLICITATION_DELAY (1 s),
 * until an RA arrives. From the link-local address once DAD passed it (as
 * Linux: addrconf_dad_completed), with the source link-layer option. */
#define RS_MAX_SOLICIT 3
#define RS_SOLICIT_INTERVAL_NS (4 * RA_NS_PER_S)
struct host_solicit {
	bool active;     /* the link is a host link and up */
	bool got_ra;     /* an RA came since it became one */
	unsigned n;      /* solicitations sent since */
	uint64_t next_ns;
	uint64_t sent;   /* in all */
};
static struct host_solicit solicit[RS_MAX_IFACES];

/* ---- router side ---- */

static void ra_send(uint16_t iface, uint64_t now)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	struct ra_link *l = &links[iface];
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	/* RFC 4861 §6.1.2: from the link-local address (none yet: not now) */
	const uint8_t *src = ip6_iface_src(ifc, all_nodes);
	if (!ifc->present || !ifc->up || src == NULL || !ip6_is_linklocal(src))
		return;
	uint16_t len = (uint16_t)(16 + 8 + 8 + 32 * l->nprefix +
				  (l->nrdnss ? 8 + 16 * l->nrdnss : 0));
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH_HLEN + IP6_HLEN + len));
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t mac[6];
	ip6_mcast_mac(mac, all_nodes);
	eth_write(b, mac, ifc->mac.addr_bytes, ETH_P_IPV6);
	ip6_write(b + ETH_HLEN, 0, 0, len, IPPROTO_ICMPV6_, 255, src, all_nodes);
	uint8_t *p = b + ETH_HLEN + IP6_HLEN;
	memset(p, 0, len);
	p[0] = ND_ROUTER_ADVERT;
	p[4] = IP6_DEFAULT_HLIM; /* Cur Hop Limit */
	rs_st16(p + 6, l->lifetime_s);
	uint8_t *o = p + 16;
	o[0] = ND_OPT_SRC_LLADDR;
	o[1] = 1;
	memcpy(o + 2, ifc->mac.addr_bytes, 6);
	o += 8;
	o[0] = ND_OPT_MTU;
	o[1] = 1;
	rs_st32(o + 4, ifc->mtu);
	o += 8;
	for (unsigned i = 0; i < l->nprefix; i++, o += 32) {
		o[0] = ND_OPT_PREFIX_INFO;
		o[1] = 4;
		o[2] = l->prefix[i].plen;
		o[3] = 0xc0; /* L: on-link, A: autonomous (RFC 4861 §4.6.2) */
		rs_st32(o + 4, l->prefix[i].valid);
		rs_st32(o + 8, l->prefix[i].preferred);
		memcpy(o + 16, l->prefix[i].prefix, 16);
	}
	if (l->nrdnss) {
		o[0] = ND_OPT_RDNSS;
		o[1] = (uint8_t)(1 + 2 * l->nrdnss);
		rs_st32(o + 4, l->rdnss_lifetime);
		for (unsigned i = 0; i < l->nrdnss; i++)
			memcpy(o + 8 + 16 * i, l->rdnss[i], 16);
	}
	rs_st16(p + 2, 0);
	uint32_t s = rs_csum_pseudo6(src, all_nodes, IPPROTO_ICMPV6_, len);
	rs_st16(p + 2, rs_csum_fold(rs_csum_add(s, p, len)));
	m->port = iface;
	rs_inject(m, inj_port_tx);
	l->last_ns = now;
	l->sent++;
}

/* Host links: start soliciting when one becomes a host link that is up,
 * stop when it is no longer one, after three, or once an RA came. */
static void solicit_tick(unsigned i, const struct rs_iface *ifc, uint64_t now)
{
	struct host_solicit *h = &solicit[i];
	bool host_up = ifc->present && !ifc->loopback && ifc->up && !ifc->forwarding &&
		       !links[i].on;
	if (!host_up) {
		h->active = false;
		return;
	}
	if (!h->active) {
		h->active = true;
		h->got_ra = false;
		h->n = 0;
		h->next_ns = now + rte_rand() % RA_NS_PER_S;
		return;
	}
	if (h->got_ra || h->n >= RS_MAX_SOLICIT || now < h->next_ns)
		return;
	if (!nd_send_rs((uint16_t)i)) {
		h->next_ns = now + RA_NS_PER_S / 10; /* DAD not done yet: look again */
		return;
	}
	h->n++;
	h->sent++;
	h->next_ns = now + RS_SOLICIT_INTERVAL_NS;
}

static void on_rs(const struct rs_msg *msg, uint64_t now)
{
	if (msg->m)
		rte_pktmbuf_free(msg->m);
	if (msg->iface >= RS_MAX_IFACES || !links[msg->iface].on)
		return;
	struct ra_link *l = &links[msg->iface];
	l->solicited++;
	/* RFC 4861 §6.2.6: answer to all-nodes, at most one per
	 * MIN_DELAY_BETWEEN_RAS; a later one is moved earlier, not added */
	uint64_t at = l->last_ns + RA_MIN_DELAY_NS > now ? l->last_ns + RA_MIN_DELAY_NS : now;
	if (at < l->next_ns)
		l->next_ns = at;
}

/* ---- host side ---- */

static struct slaac_addr *slaac_find(uint16_t iface, const uint8_t ip[16])
{
	for (unsigned i = 0; i < SLAAC_MAX; i++)
		if (slaac[i].used && slaac[i].iface == iface && memcmp(slaac[i].ip, ip, 16) == 0)
			return &slaac[i];
	return NULL;
}

static uint64_t deadline(uint64_t now, uint32_t s)
{
	return s == 0xffffffffu ? UINT64_MAX : now + (uint64_t)s * RA_NS_PER_S;
}

static void slaac_prefix(uint16_t iface, const uint8_t *pio, uint64_t now)
{
	/* the current version: an earlier prefix's address may have replaced it */
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	uint8_t plen = pio[2], flags = pio[3];
	uint32_t valid = rs_ld32(pio + 4), preferred = rs_ld32(pio + 8);
	const uint8_t *prefix = pio + 16;
	/* RFC 4862 §5.5.3: a) autonomous flag, b) not link-local, c) preferred
	 * <= valid; an IID of 64 bits needs a /64 (RFC 4291 §2.5.1) */
	if (!(flags & 0x40) || ip6_is_linklocal(prefix) || preferred > valid || plen != 64 ||
	    ip6_is_mcast(prefix))
		return;
	uint8_t a[16];
	ip6_stable_addr(a, prefix, ifc->mac.addr_bytes, 0);
	struct slaac_addr *s = slaac_find(iface, a);
	if (s == NULL) {
		/* d) a new prefix with valid lifetime 0 is ignored */
		if (valid == 0)
			return;
		unsigned i = 0;
		while (i < SLAAC_MAX && slaac[i].used)
			i++;
		if (i == SLAAC_MAX || ip6_addr_add(iface, a, 64, 0) < 0) {
			ra_slaac_full++; /* an RA flood's prefixes stop here */
			return;
		}
		slaac[i] = (struct slaac_addr){ .used = true, .iface = iface,
						.valid_until = deadline(now, valid) };
		memcpy(slaac[i].ip, a, 16);
		return;
	}
	/* e) the two-hour rule: a short lifetime cannot cut a long one down
	 * below two hours (an unauthenticated RA could otherwise kill it) */
	const uint64_t two_h = 7200ull * RA_NS_PER_S;
	uint64_t remaining = s->valid_until == UINT64_MAX ? UINT64_MAX : s->valid_until - now;
	if (valid == 0xffffffffu || (uint64_t)valid * RA_NS_PER_S > two_h ||
	    (uint64_t)valid * RA_NS_PER_S > remaining)
		s->valid_until = deadline(now, valid);
	else if (remaining > two_h)
		s->valid_until = now + two_h;
}

static void on_ra(const struct rs_msg *msg, uint64_t now)
{
	struct rte_mbuf *m = msg->m;
	uint16_t iface = msg->iface;
	if (m == NULL)
		return;
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	/* a router does not configure itself from others' RAs (RFC 4861 §6.2.7
	 * has it only check consistency) */
	if (iface >= RS_MAX_IFACES || !ifc->present || ifc->forwarding || links[iface].on ||
	    m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	solicit[iface].got_ra = true; /* §6.3.7: no more solicitations */
	/* the worker validated the fixed part (icmp6_input); parse again,
	 * every length against the buffer */
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off = m->l3_len, len = m->data_len;
	if (off + 16 > len) {
		rte_pktmbuf_free(m);
		return;
	}
	const uint8_t *ra = b + off;
	const uint8_t *router = ip6_src(b);
	uint16_t lifetime = rs_ld16(ra + 6);
	struct learned_router *r = &routers[iface];
	/* RFC 4861 §6.3.4: the default router list; we keep one per link */
	struct route6 dr = { .plen = 0, .type = RT_UNICAST, .proto = RTPROT_KERNEL,
			     .iface = iface, .metric = 1024 };
	memcpy(dr.gw, router, 16);
	if (lifetime != 0) {
		if (!r->used || memcmp(r->ip, router, 16) != 0) {
			if (r->used)
				fib6_route_del(dr.prefix, 0, 1024, RT_UNICAST, iface, r->ip);
			fib6_route_add(&dr, true);
		}
		r->used = true;
		memcpy(r->ip, router, 16);
		r->until = now + (uint64_t)lifetime * RA_NS_PER_S;
	} else if (r->used && memcmp(r->ip, router, 16) == 0) {
		fib6_route_del(dr.prefix, 0, 1024, RT_UNICAST, iface, r->ip);
		r->used = false;
	}
	for (uint32_t i = off + 16; i + 2 <= len;) {
		uint32_t olen = (uint32_t)ra[i - off + 1] * 8;
		if (olen == 0 || i + olen > len)
			break; /* malformed: the rest is ignored (RFC 4861 §6.1.2 dropped it) */
		const uint8_t *o = b + i;
		if (o[0] == ND_OPT_PREFIX_INFO && olen == 32)
			slaac_prefix(iface, o, now);
		else if (o[0] == ND_OPT_RDNSS && olen >= 24) {
			r->nrdnss = 0;
			for (uint32_t k = 8; k + 16 <= olen && r->nrdnss < RA_MAX_RDNSS; k += 16)
				memcpy(r->rdnss[r->nrdnss++], o + k, 16);
		}
		i += olen;
	}
	rte_pktmbuf_free(m);
}

static void ra_tick(uint64_t now)
{
	const struct rs_cfg *c = rs_cfg_current();
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		struct ra_link *l = &links[i];
		if (!c->ifaces[i].present) {
			l->on = false;
			routers[i].used = false;
		}
		solicit_tick(i, &c->ifaces[i], now);
		if (l->on && now >= l->next_ns) {
			ra_send((uint16_t)i, now);
			/* RFC 4861 §6.2.4: the first MAX_INITIAL_RTR_ADVERTISEMENTS
			 * (3) at most MAX_INITIAL_RTR_ADVERT_INTERVAL (16 s) apart */
			uint64_t iv = (uint64_t)l->interval_s * RA_NS_PER_S;
			if (l->initial < 3) {
				l->initial++;
				if (iv > 16 * RA_NS_PER_S)
					iv = 16 * RA_NS_PER_S;
			}
			l->next_ns = now + iv;
		}
		struct learned_router *r = &routers[i];
		if (r->used && now >= r->until) {
			const uint8_t zero[16] = { 0 };
			fib6_route_del(zero, 0, 1024, RT_UNICAST, (uint16_t)i, r->ip);
			r->used = false;
		}
	}
	for (unsigned i = 0; i < SLAAC_MAX; i++) {
		if (!slaac[i].used || now < slaac[i].valid_until)
			continue;
		slaac[i].used = false;
		ip6_addr_del(slaac[i].iface, slaac[i].ip, 64);
	}
}

/* ---- ringctl ra ---- */

static int parse_u32(const char *s, uint32_t *v)
{
	if (strcmp(s, "infinity") == 0) {
		*v = 0xffffffffu;
		return 0;
	}
	return cmd_parse_u32(s, 0xfffffffeu, v);
}

/* ra set DEV [prefix P/LEN [valid S] [preferred S]]... [rdnss ADDR]...
 *        [lifetime S] [interval S] | ra del DEV | ra show */
static int ra_set(int argc, char **argv)
{
	if (argc < 1)
		goto usage;
	int i = cmd_iface(argv[0]);
	if (i < 0)
		return i;
	if (rs_cfg_current()->ifaces[i].loopback) {
		rs_err_set("no router advertisements on lo");
		return -EINVAL;
	}
	struct ra_link l = { .on = true, .interval_s = 600, .lifetime_s = 1800,
			     .rdnss_lifetime = 1200 };
	for (int a = 1; a < argc; a++) {
		uint32_t v;
		if (strcmp(argv[a], "prefix") == 0 && a + 1 < argc) {
			if (l.nprefix == RA_MAX_PREFIXES) {
				rs_err_set("at most %d prefixes", RA_MAX_PREFIXES);
				return -EINVAL;
			}
			struct ra_prefix *p = &l.prefix[l.nprefix++];
			if (cmd_parse_prefix6(argv[++a], p->prefix, &p->plen) < 0)
				return -EINVAL;
			ip6_prefix_mask(p->prefix, p->plen);
			/* RFC 4861 §6.2.1 AdvValidLifetime / AdvPreferredLifetime */
			p->valid = 2592000;
			p->preferred = 604800;
			while (a + 2 < argc && (strcmp(argv[a + 1], "valid") == 0 ||
						strcmp(argv[a + 1], "preferred") == 0)) {
				if (parse_u32(argv[a + 2], &v) < 0)
					return -EINVAL;
				if (argv[a + 1][0] == 'v')
					p->valid = v;
				else
					p->preferred = v;
				a += 2;
			}
			if (p->preferred > p->valid) {
				rs_err_set("preferred lifetime above the valid one");
				return -EINVAL;
			}
		} else if (strcmp(argv[a], "rdnss") == 0 && a + 1 < argc) {
			uint8_t plen;
			if (l.nrdnss == RA_MAX_RDNSS) {
				rs_err_set("at most %d RDNSS addresses", RA_MAX_RDNSS);
				return -EINVAL;
			}
			if (strchr(argv[a + 1], '/') || cmd_parse_prefix6(argv[++a], l.rdnss[l.nrdnss++], &plen) < 0) {
				rs_err_set("invalid RDNSS address");
				return -EINVAL;
			}
		} else if (strcmp(argv[a], "lifetime") == 0 && a + 1 < argc) {
			if (cmd_parse_u32(argv[++a], 9000, &v) < 0)
				return -EINVAL;
			l.lifetime_s = (uint16_t)v;
		} else if (strcmp(argv[a], "interval") == 0 && a + 1 < argc) {
			/* RFC 4861 §6.2.1: 4 to 1800 s */
			if (cmd_parse_u32(argv[++a], 1800, &v) < 0 || v < 4) {
				rs_err_set("interval must be 4-1800 s");
				return -EINVAL;
			}
			l.interval_s = v;
		} else {
			goto usage;
		}
	}
	l.next_ns = rs_now_ns(); /* the first one at once */
	links[i] = l;
	return 0;
usage:
	rs_err_set("usage: ra set DEV [prefix P/LEN [valid S] [preferred S]]... "
		   "[rdnss ADDR]... [lifetime S] [interval S]");
	return -EINVAL;
}

static void fmt6(const uint8_t *a, char *out, size_t n)
{
	struct rs_ip ip = rs_ip_from6(a);
	rs_ip_str(&ip, out, n);
}

static int ra_show(struct cmd_ctx *ctx)
{
	const struct rs_cfg *c = rs_cfg_current();
	if (ctx->json)
		rs_json_arr_open(ctx->out);
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		const struct ra_link *l = &links[i];
		const struct learned_router *r = &routers[i];
		const struct host_solicit *h = &solicit[i];
		if (!c->ifaces[i].present || (!l->on && !r->used && h->sent == 0))
			continue;
		char t[64];
		if (ctx->json) {
			rs_json_obj_open(ctx->out);
			rs_json_kstr(ctx->out, "dev", c->ifaces[i].name);
			rs_json_kbool(ctx->out, "advertising", l->on);
		} else {
			rs_buf_printf(ctx->out, "%s:", c->ifaces[i].name);
		}
		if (l->on) {
			if (ctx->json) {
				rs_json_ku64(ctx->out, "interval", l->interval_s);
				rs_json_ku64(ctx->out, "lifetime", l->lifetime_s);
				rs_json_ku64(ctx->out, "sent", l->sent);
				rs_json_ku64(ctx->out, "solicitations", l->solicited);
				rs_json_key(ctx->out, "prefixes");
				rs_json_arr_open(ctx->out);
			} else {
				rs_buf_printf(ctx->out, " advertising every %us lifetime %us, %" PRIu64
					      " sent, %" PRIu64 " solicitations\n", l->interval_s,
					      l->lifetime_s, l->sent, l->solicited);
			}
			for (unsigned k = 0; k < l->nprefix; k++) {
				char p[80];
				fmt6(l->prefix[k].prefix, t, sizeof(t));
				snprintf(p, sizeof(p), "%s/%u", t, l->prefix[k].plen);
				if (ctx->json) {
					rs_json_obj_open(ctx->out);
					rs_json_kstr(ctx->out, "prefix", p);
					rs_json_ku64(ctx->out, "valid", l->prefix[k].valid);
					rs_json_ku64(ctx->out, "preferred", l->prefix[k].preferred);
					rs_json_obj_close(ctx->out);
				} else {
					rs_buf_printf(ctx->out, "    prefix %s valid %u preferred %u\n",
						      p, l->prefix[k].valid, l->prefix[k].preferred);
				}
			}
			if (ctx->json) {
				rs_json_arr_close(ctx->out);
				rs_json_key(ctx->out, "rdnss");
				rs_json_arr_open(ctx->out);
			}
			for (unsigned k = 0; k < l->nrdnss; k++) {
				fmt6(l->rdnss[k], t, sizeof(t));
				if (ctx->json)
					rs_json_str(ctx->out, t);
				else
					rs_buf_printf(ctx->out, "    rdnss %s\n", t);
			}
			if (ctx->json)
				rs_json_arr_close(ctx->out);
		}
		if (!l->on) {
			if (ctx->json)
				rs_json_ku64(ctx->out, "solicitations_sent", h->sent);
			else
				rs_buf_printf(ctx->out, " host, %" PRIu64 " solicitations sent\n", h->sent);
		}
		if (r->used) {
			fmt6(r->ip, t, sizeof(t));
			if (ctx->json) {
				rs_json_kstr(ctx->out, "router", t);
				rs_json_key(ctx->out, "learned_rdnss");
				rs_json_arr_open(ctx->out);
			} else {
				rs_buf_printf(ctx->out, " default router %s\n", t);
			}
			for (unsigned k = 0; k < r->nrdnss; k++) {
				fmt6(r->rdnss[k], t, sizeof(t));
				if (ctx->json)
					rs_json_str(ctx->out, t);
				else
					rs_buf_printf(ctx->out, "    rdnss %s\n", t);
			}
			if (ctx->json)
				rs_json_arr_close(ctx->out);
		}
		if (ctx->json)
			rs_json_obj_close(ctx->out);
	}
	if (ctx->json)
		rs_json_arr_close(ctx->out);
	return 0;
}

int cmd_ra(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1))
		return ra_show(ctx);
	if (cmd_is(argv[0], "set", 2))
		return ra_set(argc - 1, argv + 1);
	if (cmd_is(argv[0], "del", 1) || cmd_is(argv[0], "delete", 1)) {
		if (argc != 2) {
			rs_err_set("usage: ra del DEV");
			return -EINVAL;
		}
		int i = cmd_iface(argv[1]);
		if (i < 0)
			return i;
		links[i].on = false;
		return 0;
	}
	rs_err_set("unknown ra command \"%s\" (show, set, del)", argv[0]);
	return -EINVAL;
}

static int ra_init(void)
{
	memset(links, 0, sizeof(links));
	memset(slaac, 0, sizeof(slaac));
	memset(routers, 0, sizeof(routers));
	memset(solicit, 0, sizeof(solicit));
	return 0;
}

static struct rs_module ra_module = {
	.name = "ra",
	.order = 41,
	.init = ra_init,
	.tick = ra_tick,
};
RS_MODULE_REGISTER(ra_module);

RTE_INIT(ra_register)
{
	ra_msg_ra = rs_msg_type_register("ra_ra", on_ra);
	ra_msg_rs = rs_msg_type_register("ra_rs", on_rs);
	inj_port_tx = rs_inject_target_register("port_tx");
}
