/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the neighbor (ARP) state machine (lib/arp/neigh.c).
 *
 * Each test is a short script: put an entry in a state, feed it an input
 * (a packet, an ARP packet, the clock), and check exactly what the table
 * did through a recorder that stands in for struct neigh_ops. The clock is
 * injected: nothing here sleeps.
 *
 * Invariants checked on every test by the recorder and the fixture:
 *   - never two requests for one destination less than retrans_ns apart;
 *   - every packet offered is, by the end, transmitted or dropped exactly
 *     once (neigh_table_destroy() in the fixture drops what is left);
 *   - tx only with a usable mac; removed() only with an empty queue.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "arp/neigh.h"

/* The table is keyed by struct rs_ip; these tests speak IPv4 host-order
 * addresses (their arithmetic makes address ranges) and convert here. */
static inline int t_resolve(struct neigh_table *t, uint16_t i, uint32_t ip, void *pkt, uint64_t now)
{
	return neigh_resolve(t, i, rs_ip_from4(ip), pkt, now);
}
static inline struct neigh_entry *t_lookup(struct neigh_table *t, uint16_t i, uint32_t ip)
{
	return neigh_lookup(t, i, rs_ip_from4(ip));
}
static inline void t_on_arp(struct neigh_table *t, uint16_t i, uint32_t ip, const uint8_t mac[6],
			    enum neigh_src src, uint64_t now)
{
	neigh_on_arp(t, i, rs_ip_from4(ip), mac, src, now);
}
static inline int t_add_static(struct neigh_table *t, uint16_t i, uint32_t ip, const uint8_t mac[6],
			       uint64_t now)
{
	return neigh_add_static(t, i, rs_ip_from4(ip), mac, now);
}
static inline int t_del(struct neigh_table *t, uint16_t i, uint32_t ip)
{
	return neigh_del(t, i, rs_ip_from4(ip));
}

#define MS 1000000ull
#define S 1000000000ull
#define T0 (1000 * S) /* an arbitrary epoch: time is opaque to the table */

#define IF0 1
#define IF1 2
#define IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define IPA IP(10, 0, 0, 2)
#define IPB IP(10, 0, 0, 3)
#define IPC IP(10, 0, 0, 4)

#define REC_MAX 4096

struct rec_req {
	uint16_t iface;
	uint32_t ip;
	bool unicast;
	uint8_t mac[6];
	uint64_t at;
};

struct rec_pkt {
	uintptr_t id;
	uint32_t ip;
	uint8_t state;
	uint8_t mac[6];
};

struct rec {
	struct rec_req req[REC_MAX];
	unsigned int nreq;      /* stored (capped) */
	unsigned int nreq_all;  /* all */
	struct rec_pkt tx[REC_MAX];
	unsigned int ntx, ntx_all;
	struct rec_pkt drop[REC_MAX];
	unsigned int ndrop, ndrop_all;
	unsigned int npublish, nremoved;
	uint8_t last_published_state;
	unsigned int offered;
	unsigned int violations; /* invariant breaches, see the top comment */
	/* last request per destination, open addressing on (iface, ip) */
	struct {
		bool used;
		uint16_t iface;
		uint32_t ip;
		uint64_t at;
	} last[2 * REC_MAX];
};

static struct rec R;
static struct neigh_params prm;
static struct neigh_table *tbl;
static uint64_t now;

static const uint8_t MAC1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC2[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t MAC3[6] = { 0x02, 0, 0, 0, 0, 0x03 };

/* ---- the recorder ---- */

static bool
mac_usable(const struct neigh_entry *e)
{
	static const uint8_t zero[6];

	return (e->state == NEIGH_REACHABLE || e->state == NEIGH_STALE ||
		e->state == NEIGH_DELAY || e->state == NEIGH_PROBE ||
		e->state == NEIGH_PERMANENT) &&
	       memcmp(e->mac, zero, 6) != 0;
}

static void
rec_send_request(void *ctx, const struct neigh_entry *e, bool unicast)
{
	struct rec *r = ctx;
	unsigned int i, n;

	/* one request per retrans_ns per destination */
	i = (rs_ip_v4(&e->ip) * 2654435761u + e->iface) % (2 * REC_MAX);
	for (n = 0; n < 2 * REC_MAX; n++, i = (i + 1) % (2 * REC_MAX)) {
		if (!r->last[i].used) {
			r->last[i].used = true;
			r->last[i].iface = e->iface;
			r->last[i].ip = rs_ip_v4(&e->ip);
			r->last[i].at = now;
			break;
		}
		if (r->last[i].ip == rs_ip_v4(&e->ip) && r->last[i].iface == e->iface) {
			if (now - r->last[i].at < prm.retrans_ns)
				r->violations++;
			r->last[i].at = now;
			break;
		}
	}
	if (unicast && !mac_usable(e))
		r->violations++;
	if (r->nreq < REC_MAX) {
		struct rec_req *q = &r->req[r->nreq++];

		q->iface = e->iface;
		q->ip = rs_ip_v4(&e->ip);
		q->unicast = unicast;
		memcpy(q->mac, e->mac, 6);
		q->at = now;
	}
	r->nreq_all++;
}

static void
rec_pkt(struct rec_pkt *p, const struct neigh_entry *e, void *pkt)
{
	p->id = (uintptr_t)pkt;
	p->ip = rs_ip_v4(&e->ip);
	p->state = e->state;
	memcpy(p->mac, e->mac, 6);
}

static void
rec_tx(void *ctx, const struct neigh_entry *e, void *pkt)
{
	struct rec *r = ctx;

	if (!mac_usable(e))
		r->violations++;
	if (r->ntx < REC_MAX)
		rec_pkt(&r->tx[r->ntx++], e, pkt);
	r->ntx_all++;
}

static void
rec_drop(void *ctx, const struct neigh_entry *e, void *pkt)
{
	struct rec *r = ctx;

	if (r->ndrop < REC_MAX)
		rec_pkt(&r->drop[r->ndrop++], e, pkt);
	r->ndrop_all++;
}

static void
rec_publish(void *ctx, struct neigh_entry *e)
{
	struct rec *r = ctx;

	if (e->state == NEIGH_NONE || e->state > NEIGH_PERMANENT)
		r->violations++;
	r->last_published_state = e->state;
	r->npublish++;
}

static void
rec_removed(void *ctx, struct neigh_entry *e)
{
	struct rec *r = ctx;

	if (e->qlen != 0)
		r->violations++;
	r->nremoved++;
}

static const struct neigh_ops rec_ops = {
	.send_request = rec_send_request,
	.tx_queued = rec_tx,
	.drop_queued = rec_drop,
	.publish = rec_publish,
	.removed = rec_removed,
};

/* ---- fixture and script helpers ---- */

static void
rec_reset(void)
{
	memset(&R, 0, sizeof(R));
}

static void
setup(void)
{
	rec_reset();
	neigh_params_default(&prm);
	now = T0;
	tbl = neigh_table_create(&prm, &rec_ops, &R);
	cr_assert_not_null(tbl);
}

/* Starts over with other parameters. */
static void
reinit(const struct neigh_params *p)
{
	neigh_table_destroy(tbl);
	rec_reset();
	prm = *p;
	tbl = neigh_table_create(&prm, &rec_ops, &R);
	cr_assert_not_null(tbl);
}

static void
teardown(void)
{
	neigh_table_destroy(tbl);
	tbl = NULL;
	cr_expect_eq(R.violations, 0, "recorder saw %u invariant violations",
		     R.violations);
	cr_expect_eq(R.ntx_all + R.ndrop_all, R.offered,
		     "packets: %u offered, %u sent, %u dropped", R.offered,
		     R.ntx_all, R.ndrop_all);
}

TestSuite(neigh, .init = setup, .fini = teardown);

static void *
pkt(uintptr_t id)
{
	return (void *)id;
}

/* Offers packet id for (iface, ip) now; returns neigh_resolve's result. */
static int
offer_if(uint16_t iface, uint32_t ip, uintptr_t id)
{
	R.offered++;
	return t_resolve(tbl, iface, ip, pkt(id), now);
}

static int
offer(uint32_t ip, uintptr_t id)
{
	return offer_if(IF0, ip, id);
}

/* Sets the clock to t and runs the timers. */
static void
tick_to(uint64_t t)
{
	now = t;
	neigh_timer(tbl, now);
}

/* Advances the clock in 10 ms ticks up to t, running timers at each. */
static void
run_until(uint64_t t)
{
	while (now + 10 * MS <= t)
		tick_to(now + 10 * MS);
	tick_to(t);
}

static void
arp(uint32_t ip, const uint8_t mac[6], enum neigh_src src)
{
	t_on_arp(tbl, IF0, ip, mac, src, now);
}

static struct neigh_entry *
get(uint32_t ip)
{
	return t_lookup(tbl, IF0, ip);
}

static uint8_t
state_of(uint32_t ip)
{
	struct neigh_entry *e = get(ip);

	return e != NULL ? e->state : NEIGH_NONE;
}

#define expect_state(ip, st)                                                  \
	cr_expect_eq(state_of(ip), (st), "state %s, expected %s",             \
		     neigh_state_name(state_of(ip)), neigh_state_name(st))

/* INCOMPLETE entry for ip with packet id queued, request sent at now. */
static void
make_incomplete(uint32_t ip, uintptr_t id)
{
	cr_assert_eq(offer(ip, id), 0);
	cr_assert_eq(state_of(ip), NEIGH_INCOMPLETE);
}

/* REACHABLE entry for ip with mac, confirmed at now (its queued packet sent). */
static void
make_reachable(uint32_t ip, const uint8_t mac[6], uintptr_t id)
{
	make_incomplete(ip, id);
	arp(ip, mac, NEIGH_SRC_REPLY);
	cr_assert_eq(state_of(ip), NEIGH_REACHABLE);
}

/* STALE entry learned from a request for us at now. */
static void
make_stale(uint32_t ip, const uint8_t mac[6])
{
	arp(ip, mac, NEIGH_SRC_REQUEST_FOR_US);
	cr_assert_eq(state_of(ip), NEIGH_STALE);
}

/* FAILED entry: resolution started at now, never answered. Returns with
 * the clock at the moment it failed. */
static void
make_failed(uint32_t ip, uintptr_t id)
{
	uint64_t start = now;
	uint32_t i;

	make_incomplete(ip, id);
	for (i = 1; i <= prm.mcast_probes; i++)
		tick_to(start + i * prm.retrans_ns);
	cr_assert_eq(state_of(ip), NEIGH_FAILED);
}

/* ---- parameters and names ---- */

Test(neigh, params_default_are_linux_defaults)
{
	struct neigh_params p;

	memset(&p, 0xa5, sizeof(p));
	neigh_params_default(&p);
	cr_expect_eq(p.reachable_ns, 30 * S);
	cr_expect_eq(p.retrans_ns, 1 * S);
	cr_expect_eq(p.delay_probe_ns, 5 * S);
	cr_expect_eq(p.mcast_probes, 3);
	cr_expect_eq(p.ucast_probes, 3);
	cr_expect_eq(p.gc_stale_ns, 60 * S);
	cr_expect_eq(p.failed_hold_ns, 3 * S);
	cr_expect_eq(p.max_entries, 4096);
	cr_expect_eq(p.queue_len, 101, "Linux's unres_qlen");
}

Test(neigh, state_names)
{
	cr_expect_str_eq(neigh_state_name(NEIGH_NONE), "NONE");
	cr_expect_str_eq(neigh_state_name(NEIGH_INCOMPLETE), "INCOMPLETE");
	cr_expect_str_eq(neigh_state_name(NEIGH_REACHABLE), "REACHABLE");
	cr_expect_str_eq(neigh_state_name(NEIGH_STALE), "STALE");
	cr_expect_str_eq(neigh_state_name(NEIGH_DELAY), "DELAY");
	cr_expect_str_eq(neigh_state_name(NEIGH_PROBE), "PROBE");
	cr_expect_str_eq(neigh_state_name(NEIGH_FAILED), "FAILED");
	cr_expect_str_eq(neigh_state_name(NEIGH_PERMANENT), "PERMANENT");
	cr_expect_not_null(neigh_state_name(200));
}

Test(neigh, create_rejects_bad_params)
{
	struct neigh_params p;

	neigh_params_default(&p);
	errno = 0;
	cr_expect_null(neigh_table_create(&p, NULL, NULL));
	cr_expect_eq(errno, EINVAL);

	p.max_entries = 0;
	errno = 0;
	cr_expect_null(neigh_table_create(&p, &rec_ops, &R));
	cr_expect_eq(errno, EINVAL);

	neigh_params_default(&p);
	p.retrans_ns = 0;
	errno = 0;
	cr_expect_null(neigh_table_create(&p, &rec_ops, &R));
	cr_expect_eq(errno, EINVAL);
}

Test(neigh, queue_len_is_clamped)
{
	struct neigh_params p;
	uintptr_t i;

	neigh_params_default(&p);
	p.queue_len = 1000;
	reinit(&p);
	for (i = 1; i <= NEIGH_QUEUE_MAX + 10; i++)
		cr_assert_eq(offer(IPA, i), 0);
	cr_expect_eq(get(IPA)->qlen, NEIGH_QUEUE_MAX);
	cr_expect_eq(R.ndrop, 10);
	cr_expect_eq(R.drop[0].id, 1);
	cr_expect_eq(R.drop[9].id, 10);
}

/* ---- INCOMPLETE ---- */

Test(neigh, resolve_unknown_starts_incomplete_with_broadcast)
{
	struct neigh_entry *e;

	cr_assert_eq(offer(IPA, 1), 0);
	e = get(IPA);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_INCOMPLETE);
	cr_expect_eq(rs_ip_v4(&e->ip), IPA);
	cr_expect_eq(e->iface, IF0);
	cr_expect_eq(e->probes, 1);
	cr_expect_eq(e->qlen, 1);
	cr_expect_eq(e->queue[0], pkt(1));
	cr_expect_eq(e->used_ns, T0);
	cr_expect_eq(e->timer_ns, T0 + 1 * S);
	cr_expect_eq(neigh_count(tbl), 1);
	cr_expect_eq(R.nreq, 1);
	cr_expect_eq(R.req[0].ip, IPA);
	cr_expect_not(R.req[0].unicast);
	cr_expect_eq(R.npublish, 1, "publish once after creation");
	cr_expect_eq(R.last_published_state, NEIGH_INCOMPLETE);
	cr_expect_eq(R.ntx, 0);
	cr_expect_eq(R.ndrop, 0);
}

Test(neigh, incomplete_retransmits_at_exact_boundaries_then_fails)
{
	make_incomplete(IPA, 1);
	cr_assert_eq(offer(IPA, 2), 0);

	tick_to(T0 + 1 * S - 1);
	cr_expect_eq(R.nreq, 1, "nothing before the retrans deadline");
	tick_to(T0 + 1 * S);
	cr_expect_eq(R.nreq, 2);
	cr_expect_not(R.req[1].unicast);
	cr_expect_eq(get(IPA)->probes, 2);
	tick_to(T0 + 2 * S - 1);
	cr_expect_eq(R.nreq, 2);
	tick_to(T0 + 2 * S);
	cr_expect_eq(R.nreq, 3);
	cr_expect_not(R.req[2].unicast);
	tick_to(T0 + 3 * S - 1);
	expect_state(IPA, NEIGH_INCOMPLETE);
	cr_expect_eq(R.ndrop, 0);

	tick_to(T0 + 3 * S);
	expect_state(IPA, NEIGH_FAILED);
	cr_expect_eq(R.nreq, 3, "mcast_probes requests in all");
	cr_expect_eq(R.ndrop, 2, "queued packets dropped on failure");
	cr_expect_eq(R.drop[0].id, 1);
	cr_expect_eq(R.drop[1].id, 2);
	cr_expect_eq(get(IPA)->qlen, 0);
	cr_expect_eq(R.last_published_state, NEIGH_FAILED);
	cr_expect_eq(R.ntx, 0);
}

Test(neigh, incomplete_more_packets_send_no_extra_request)
{
	uintptr_t i;

	make_incomplete(IPA, 1);
	for (i = 2; i <= 5; i++) {
		now += 200 * MS;
		cr_expect_eq(offer(IPA, i), 0);
		neigh_timer(tbl, now);
	}
	cr_expect_eq(R.nreq, 1, "one request per retrans_ns");
	cr_expect_eq(get(IPA)->qlen, 5);
	cr_expect_eq(get(IPA)->used_ns, now);
}

Test(neigh, incomplete_reply_flushes_queue_in_order)
{
	struct neigh_entry *e;
	unsigned int pub;

	make_incomplete(IPA, 1);
	cr_assert_eq(offer(IPA, 2), 0);
	cr_assert_eq(offer(IPA, 3), 0);
	pub = R.npublish;
	now += 300 * MS;
	arp(IPA, MAC1, NEIGH_SRC_REPLY);

	e = get(IPA);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_REACHABLE);
	cr_expect_arr_eq(e->mac, MAC1, 6);
	cr_expect_eq(e->confirmed_ns, now);
	cr_expect_eq(e->timer_ns, now + 30 * S);
	cr_expect_eq(e->qlen, 0);
	cr_expect_eq(R.npublish, pub + 1);
	cr_expect_eq(R.ntx, 3);
	cr_expect_eq(R.tx[0].id, 1);
	cr_expect_eq(R.tx[1].id, 2);
	cr_expect_eq(R.tx[2].id, 3);
	cr_expect_arr_eq(R.tx[0].mac, MAC1, 6);
	cr_expect_eq(R.tx[0].state, NEIGH_REACHABLE);

	run_until(now + 10 * S);
	cr_expect_eq(R.nreq, 1, "no request once resolved");
}

Test(neigh, queue_overflow_drops_oldest)
{
	uintptr_t i;

	for (i = 1; i <= 103; i++)
		cr_assert_eq(offer(IPA, i), 0);
	cr_expect_eq(get(IPA)->qlen, 101);
	cr_expect_eq(R.ndrop, 2);
	cr_expect_eq(R.drop[0].id, 1);
	cr_expect_eq(R.drop[1].id, 2);
	cr_expect_eq(R.drop[0].state, NEIGH_INCOMPLETE);

	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	cr_expect_eq(R.ntx, 101);
	for (i = 0; i < 101; i++)
		cr_expect_eq(R.tx[i].id, i + 3);
}

Test(neigh, queue_len_one_keeps_latest)
{
	struct neigh_params p;

	neigh_params_default(&p);
	p.queue_len = 1;
	reinit(&p);
	cr_assert_eq(offer(IPA, 1), 0);
	cr_assert_eq(offer(IPA, 2), 0);
	cr_assert_eq(offer(IPA, 3), 0);
	cr_expect_eq(R.ndrop, 2);
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	cr_expect_eq(R.ntx, 1);
	cr_expect_eq(R.tx[0].id, 3, "RFC 1122 §2.3.2.2: keep the latest");
}

/* ---- REACHABLE, STALE, DELAY, PROBE ---- */

Test(neigh, reachable_sends_immediately)
{
	make_reachable(IPA, MAC1, 1);
	now += 1 * S;
	cr_expect_eq(offer(IPA, 2), 0);
	cr_expect_eq(R.ntx, 2);
	cr_expect_eq(R.tx[1].id, 2);
	cr_expect_arr_eq(R.tx[1].mac, MAC1, 6);
	cr_expect_eq(get(IPA)->used_ns, now);
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_eq(R.nreq, 1);
}

Test(neigh, reachable_to_stale_at_exact_deadline)
{
	uint64_t confirmed;
	unsigned int pub;

	make_reachable(IPA, MAC1, 1);
	confirmed = now;
	pub = R.npublish;
	tick_to(confirmed + 30 * S - 1);
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_eq(R.npublish, pub);
	tick_to(confirmed + 30 * S);
	expect_state(IPA, NEIGH_STALE);
	cr_expect_eq(R.npublish, pub + 1);
	cr_expect_arr_eq(get(IPA)->mac, MAC1, 6, "STALE keeps the mac");
	cr_expect_eq(R.nreq, 1, "going STALE sends nothing");
}

Test(neigh, reply_refreshes_reachable_timer)
{
	make_reachable(IPA, MAC1, 1);
	tick_to(T0 + 20 * S);
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	tick_to(T0 + 30 * S);
	expect_state(IPA, NEIGH_REACHABLE);
	tick_to(T0 + 50 * S - 1);
	expect_state(IPA, NEIGH_REACHABLE);
	tick_to(T0 + 50 * S);
	expect_state(IPA, NEIGH_STALE);
}

Test(neigh, stale_resolve_sends_now_and_enters_delay)
{
	make_stale(IPA, MAC1);
	now += 2 * S;
	cr_expect_eq(offer(IPA, 1), 0);
	cr_expect_eq(R.ntx, 1);
	cr_expect_arr_eq(R.tx[0].mac, MAC1, 6);
	expect_state(IPA, NEIGH_DELAY);
	cr_expect_eq(get(IPA)->timer_ns, now + 5 * S);
	cr_expect_eq(get(IPA)->used_ns, now);
	cr_expect_eq(R.last_published_state, NEIGH_DELAY);
	cr_expect_eq(R.nreq, 0, "DELAY sends no request yet");
}

Test(neigh, delay_to_probe_unicast_then_failed)
{
	uint64_t d;

	make_stale(IPA, MAC1);
	cr_assert_eq(offer(IPA, 1), 0);
	d = now + 5 * S;

	tick_to(d - 1);
	expect_state(IPA, NEIGH_DELAY);
	cr_expect_eq(R.nreq, 0);
	tick_to(d);
	expect_state(IPA, NEIGH_PROBE);
	cr_assert_eq(R.nreq, 1);
	cr_expect(R.req[0].unicast);
	cr_expect_arr_eq(R.req[0].mac, MAC1, 6);
	cr_expect_eq(get(IPA)->probes, 1);

	/* PROBE still sends with the cached address */
	cr_expect_eq(offer(IPA, 2), 0);
	cr_expect_eq(R.ntx, 2);

	tick_to(d + 1 * S - 1);
	cr_expect_eq(R.nreq, 1);
	tick_to(d + 1 * S);
	cr_expect_eq(R.nreq, 2);
	tick_to(d + 2 * S);
	cr_expect_eq(R.nreq, 3);
	cr_expect(R.req[1].unicast);
	cr_expect(R.req[2].unicast);
	tick_to(d + 3 * S - 1);
	expect_state(IPA, NEIGH_PROBE);
	tick_to(d + 3 * S);
	expect_state(IPA, NEIGH_FAILED);
	cr_expect_eq(R.nreq, 3, "ucast_probes requests in all");
	cr_expect_eq(R.ndrop, 0);
}

Test(neigh, delay_reply_goes_reachable_without_probe)
{
	uint64_t d;

	make_stale(IPA, MAC1);
	cr_assert_eq(offer(IPA, 1), 0);
	d = now + 5 * S;
	tick_to(now + 2 * S);
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_eq(get(IPA)->confirmed_ns, now);
	run_until(d + 1 * S);
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_eq(R.nreq, 0);
}

Test(neigh, probe_reply_goes_reachable_and_stops_probing)
{
	uint64_t d;

	make_stale(IPA, MAC1);
	cr_assert_eq(offer(IPA, 1), 0);
	d = now + 5 * S;
	tick_to(d);
	expect_state(IPA, NEIGH_PROBE);
	tick_to(d + 500 * MS);
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_eq(get(IPA)->probes, 0);
	run_until(d + 10 * S);
	cr_expect_eq(R.nreq, 1);
	expect_state(IPA, NEIGH_REACHABLE);
}

Test(neigh, probe_reply_with_new_mac_updates)
{
	make_stale(IPA, MAC1);
	cr_assert_eq(offer(IPA, 1), 0);
	tick_to(now + 5 * S);
	expect_state(IPA, NEIGH_PROBE);
	arp(IPA, MAC2, NEIGH_SRC_REPLY);
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_arr_eq(get(IPA)->mac, MAC2, 6);
}

Test(neigh, used_moves_stale_to_delay)
{
	struct neigh_entry *e;
	struct neigh_entry bogus;

	make_stale(IPA, MAC1);
	e = get(IPA);
	now += 1 * S;
	neigh_used(tbl, e, now);
	cr_expect_eq(e->state, NEIGH_DELAY);
	cr_expect_eq(e->used_ns, now);
	cr_expect_eq(e->timer_ns, now + 5 * S);

	/* on other states it only records the use */
	make_reachable(IPB, MAC2, 1);
	now += 1 * S;
	neigh_used(tbl, get(IPB), now);
	expect_state(IPB, NEIGH_REACHABLE);
	cr_expect_eq(get(IPB)->used_ns, now);

	/* an entry that is not the table's is ignored */
	memset(&bogus, 0, sizeof(bogus));
	bogus.state = NEIGH_STALE;
	neigh_used(tbl, &bogus, now);
	cr_expect_eq(neigh_count(tbl), 2);
}

/* RFC 4861 §7.3.1 upper-layer confirmation (TCP forward progress): an
 * entry confirmed all along never leaves REACHABLE and never probes, so
 * a bulk transfer cannot lose its neighbour to probes congestion dropped;
 * DELAY and PROBE go back to REACHABLE at once. */
Test(neigh, upper_layer_confirmation_keeps_reachable)
{
	struct neigh_entry bogus;
	uint64_t end;
	uint32_t req;

	make_reachable(IPA, MAC1, 1);
	req = R.nreq;
	end = now + 100 * S;
	while (now < end) {
		run_until(now + 1 * S);
		neigh_confirm(tbl, get(IPA), now);
		cr_assert_eq(offer(IPA, 2), 0);
	}
	expect_state(IPA, NEIGH_REACHABLE);
	cr_expect_eq(R.nreq, req, "no request while TCP confirms");
	cr_expect_eq(R.ndrop, 0);

	/* unconfirmed: the usual REACHABLE -> STALE -> DELAY -> PROBE */
	run_until(now + 31 * S);
	expect_state(IPA, NEIGH_STALE);
	cr_assert_eq(offer(IPA, 3), 0);
	expect_state(IPA, NEIGH_DELAY);
	neigh_confirm(tbl, get(IPA), now);
	expect_state(IPA, NEIGH_REACHABLE);
	run_until(now + 31 * S);
	cr_assert_eq(offer(IPA, 4), 0);
	run_until(now + 5 * S);
	expect_state(IPA, NEIGH_PROBE);
	neigh_confirm(tbl, get(IPA), now);
	expect_state(IPA, NEIGH_REACHABLE);
	run_until(now + 3 * S);
	expect_state(IPA, NEIGH_REACHABLE);

	/* INCOMPLETE has no address to confirm; a foreign entry is ignored */
	make_incomplete(IPB, 5);
	neigh_confirm(tbl, get(IPB), now);
	expect_state(IPB, NEIGH_INCOMPLETE);
	memset(&bogus, 0, sizeof(bogus));
	bogus.state = NEIGH_DELAY;
	neigh_confirm(tbl, &bogus, now);
	cr_expect_eq(neigh_count(tbl), 2);
}

/* ---- GC ---- */

Test(neigh, stale_unused_is_collected_after_gc_stale)
{
	unsigned int rm;

	make_stale(IPA, MAC1);
	rm = R.nremoved;
	tick_to(T0 + 60 * S - 1);
	expect_state(IPA, NEIGH_STALE);
	tick_to(T0 + 60 * S);
	cr_expect_null(get(IPA));
	cr_expect_eq(neigh_count(tbl), 0);
	cr_expect_eq(R.nremoved, rm + 1);
}

Test(neigh, stale_gc_counts_from_last_use)
{
	make_reachable(IPA, MAC1, 1);
	tick_to(T0 + 10 * S);
	cr_assert_eq(offer(IPA, 2), 0); /* used at T0 + 10 s */
	tick_to(T0 + 30 * S);
	expect_state(IPA, NEIGH_STALE);
	tick_to(T0 + 70 * S - 1);
	expect_state(IPA, NEIGH_STALE);
	tick_to(T0 + 70 * S);
	cr_expect_null(get(IPA));
}

Test(neigh, failed_is_removed_after_hold)
{
	uint64_t f;
	unsigned int rm;

	make_failed(IPA, 1);
	f = now;
	rm = R.nremoved;
	tick_to(f + 3 * S - 1);
	expect_state(IPA, NEIGH_FAILED);
	tick_to(f + 3 * S);
	cr_expect_null(get(IPA));
	cr_expect_eq(R.nremoved, rm + 1);
	cr_expect_eq(neigh_count(tbl), 0);
}

Test(neigh, big_clock_jump_does_not_burst_requests)
{
	make_incomplete(IPA, 1);
	tick_to(T0 + 100 * S);
	/* one step per call: a second broadcast, not all three at once */
	cr_expect_eq(R.nreq, 2);
	expect_state(IPA, NEIGH_INCOMPLETE);
	tick_to(T0 + 100 * S + 1 * S);
	cr_expect_eq(R.nreq, 3);
	tick_to(T0 + 100 * S + 2 * S);
	expect_state(IPA, NEIGH_FAILED);
}

Test(neigh, epoch_zero_clock)
{
	now = 0;
	cr_assert_eq(offer(IPA, 1), 0);
	cr_expect_neq(get(IPA)->timer_ns, 0);
	tick_to(1 * S);
	cr_expect_eq(R.nreq, 2);
	tick_to(2 * S);
	tick_to(3 * S);
	expect_state(IPA, NEIGH_FAILED);
}

/* ---- FAILED restart and the request rate limit ---- */

Test(neigh, failed_restarts_resolution_when_retrans_passed)
{
	struct neigh_entry *e;

	make_failed(IPA, 1);
	cr_expect_eq(R.nreq, 3);
	now += 1;
	cr_expect_eq(offer(IPA, 2), 0);
	e = get(IPA);
	cr_expect_eq(e->state, NEIGH_INCOMPLETE);
	cr_expect_eq(e->probes, 1);
	cr_expect_eq(e->qlen, 1);
	cr_expect_eq(R.nreq, 4);
	cr_expect_not(R.req[3].unicast);
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	cr_expect_eq(R.ntx, 1);
	cr_expect_eq(R.tx[0].id, 2);
}

/*
 * A FAILED entry whose last request is recent: reached through a short
 * DELAY with ucast_probes 0, one retrans_ns after the INCOMPLETE broadcast.
 */
static void
short_timers(struct neigh_params *p, uint32_t ucast)
{
	neigh_params_default(p);
	p->reachable_ns = 100 * MS;
	p->delay_probe_ns = 100 * MS;
	p->ucast_probes = ucast;
	reinit(p);
}

Test(neigh, failed_restart_is_rate_limited)
{
	struct neigh_params p;
	unsigned int pub;

	short_timers(&p, 0);
	make_reachable(IPA, MAC1, 1);    /* request at T0 */
	tick_to(T0 + 100 * MS);
	expect_state(IPA, NEIGH_STALE);
	cr_assert_eq(offer(IPA, 2), 0);  /* DELAY */
	tick_to(T0 + 200 * MS);
	expect_state(IPA, NEIGH_FAILED); /* no unicast probe allowed */
	cr_expect_eq(R.nreq, 1);

	now = T0 + 500 * MS;
	pub = R.npublish;
	cr_expect_eq(offer(IPA, 3), -EHOSTUNREACH);
	cr_expect_eq(R.ndrop, 1);
	cr_expect_eq(R.drop[0].id, 3);
	expect_state(IPA, NEIGH_FAILED);
	cr_expect_eq(R.npublish, pub);
	now = T0 + 1 * S - 1;
	cr_expect_eq(offer(IPA, 4), -EHOSTUNREACH);
	cr_expect_eq(R.nreq, 1);

	now = T0 + 1 * S;
	cr_expect_eq(offer(IPA, 5), 0);
	expect_state(IPA, NEIGH_INCOMPLETE);
	cr_expect_eq(R.nreq, 2);
	cr_expect_eq(R.req[1].at, T0 + 1 * S);
}

Test(neigh, probe_waits_for_retrans_after_recent_request)
{
	struct neigh_params p;

	short_timers(&p, 3);
	make_reachable(IPA, MAC1, 1);    /* broadcast at T0 */
	tick_to(T0 + 100 * MS);
	cr_assert_eq(offer(IPA, 2), 0);  /* DELAY */
	tick_to(T0 + 200 * MS);
	expect_state(IPA, NEIGH_PROBE);
	cr_expect_eq(R.nreq, 1, "first unicast probe deferred");
	cr_expect_eq(get(IPA)->timer_ns, T0 + 1 * S);
	tick_to(T0 + 1 * S - 1);
	cr_expect_eq(R.nreq, 1);
	tick_to(T0 + 1 * S);
	cr_expect_eq(R.nreq, 2);
	cr_expect(R.req[1].unicast);
}

/* Random traffic, ARP and clock over a few destinations: the recorder
 * flags any two requests for one destination within retrans_ns. */
static void
random_script(uint32_t seed, uint64_t max_step_ms)
{
	uint32_t x = seed;
	uintptr_t id = 1;
	int step;

	for (step = 0; step < 20000; step++) {
		uint32_t ip, op;

		x = x * 1103515245 + 12345;
		ip = IP(10, 0, 0, 2 + ((x >> 8) % 4));
		op = (x >> 16) % 16;
		if (op < 8) {
			offer(ip, id++);
		} else if (op == 8) {
			arp(ip, MAC1, NEIGH_SRC_REPLY);
		} else if (op == 9) {
			arp(ip, (x & 0x1000000) ? MAC1 : MAC2,
			    NEIGH_SRC_REQUEST_FOR_US);
		} else if (op == 10) {
			arp(ip, MAC3, NEIGH_SRC_OTHER);
		} else if (op == 11 && get(ip) != NULL) {
			neigh_used(tbl, get(ip), now);
		}
		x = x * 1103515245 + 12345;
		now += ((x >> 8) % max_step_ms) * MS + (x & 0xff);
		neigh_timer(tbl, now);
	}
	cr_expect_gt(R.nreq_all, 100);
	cr_expect_eq(R.violations, 0);
}

Test(neigh, at_most_one_request_per_retrans_in_every_state)
{
	random_script(12345, 700);
}

/* Timers shorter than retrans_ns: DELAY, PROBE and FAILED restarts all
 * come back within a second of the previous request. */
static void
short_random_script(uint32_t ucast, uint32_t seed)
{
	struct neigh_params p;

	neigh_params_default(&p);
	p.reachable_ns = 50 * MS;
	p.delay_probe_ns = 30 * MS;
	p.failed_hold_ns = 2 * S;
	p.ucast_probes = ucast;
	p.mcast_probes = 1;
	reinit(&p);
	random_script(seed, 300);
}

Test(neigh, at_most_one_request_per_retrans_with_short_timers)
{
	short_random_script(1, 777);
}

Test(neigh, at_most_one_request_per_retrans_without_unicast_probes)
{
	short_random_script(0, 4242);
}

/* ---- ARP input ---- */

Test(neigh, unsolicited_reply_for_unknown_is_ignored)
{
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	cr_expect_null(get(IPA));
	cr_expect_eq(neigh_count(tbl), 0);
	cr_expect_eq(R.npublish, 0);
}

Test(neigh, other_for_unknown_is_ignored)
{
	uint32_t i;

	for (i = 0; i < 1000; i++)
		arp(IP(10, 1, i >> 8, i & 0xff), MAC1, NEIGH_SRC_OTHER);
	for (i = 0; i < 1000; i++)
		arp(IP(10, 2, i >> 8, i & 0xff), MAC1, NEIGH_SRC_REPLY);
	cr_expect_eq(neigh_count(tbl), 0);
	cr_expect_eq(R.npublish, 0);
}

Test(neigh, request_for_us_from_unknown_creates_stale)
{
	struct neigh_entry *e;

	arp(IPA, MAC1, NEIGH_SRC_REQUEST_FOR_US);
	e = get(IPA);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_STALE);
	cr_expect_arr_eq(e->mac, MAC1, 6);
	cr_expect_eq(e->used_ns, now);
	cr_expect_eq(e->timer_ns, now + 60 * S);
	cr_expect_eq(R.npublish, 1);
	cr_expect_eq(R.nreq, 0, "learning sends nothing");
}

Test(neigh, request_for_us_resolves_incomplete_and_flushes)
{
	make_incomplete(IPA, 1);
	cr_assert_eq(offer(IPA, 2), 0);
	now += 100 * MS;
	arp(IPA, MAC1, NEIGH_SRC_REQUEST_FOR_US);
	expect_state(IPA, NEIGH_STALE);
	cr_expect_arr_eq(get(IPA)->mac, MAC1, 6);
	cr_expect_eq(get(IPA)->qlen, 0);
	cr_expect_eq(R.ntx, 2);
	cr_expect_eq(R.tx[0].id, 1);
	cr_expect_eq(R.tx[1].id, 2);
	cr_expect_eq(R.tx[0].state, NEIGH_STALE);
	run_until(T0 + 5 * S);
	cr_expect_eq(R.nreq, 1, "resolution stopped");
}

Test(neigh, request_for_us_same_mac_leaves_entry_alone)
{
	struct neigh_entry *e;
	unsigned int pub;
	uint64_t upd;

	make_reachable(IPA, MAC1, 1);
	e = get(IPA);
	pub = R.npublish;
	upd = e->updated_ns;
	now += 1 * S;
	arp(IPA, MAC1, NEIGH_SRC_REQUEST_FOR_US);
	cr_expect_eq(e->state, NEIGH_REACHABLE);
	cr_expect_eq(e->updated_ns, upd);
	cr_expect_eq(R.npublish, pub);
	arp(IPA, MAC1, NEIGH_SRC_OTHER);
	cr_expect_eq(e->state, NEIGH_REACHABLE);
	cr_expect_eq(R.npublish, pub);
}

Test(neigh, request_for_us_new_mac_goes_stale)
{
	struct neigh_entry *e;
	unsigned int pub;

	make_reachable(IPA, MAC1, 1);
	e = get(IPA);
	pub = R.npublish;
	now += 1 * S;
	arp(IPA, MAC2, NEIGH_SRC_REQUEST_FOR_US);
	cr_expect_eq(e->state, NEIGH_STALE);
	cr_expect_arr_eq(e->mac, MAC2, 6);
	cr_expect_eq(e->updated_ns, now);
	cr_expect_eq(R.npublish, pub + 1);
}

Test(neigh, other_updates_changed_mac_only)
{
	make_reachable(IPA, MAC1, 1);
	arp(IPA, MAC2, NEIGH_SRC_OTHER);
	expect_state(IPA, NEIGH_STALE);
	cr_expect_arr_eq(get(IPA)->mac, MAC2, 6);

	/* DELAY and PROBE entries too */
	make_stale(IPB, MAC1);
	cr_assert_eq(offer(IPB, 2), 0);
	expect_state(IPB, NEIGH_DELAY);
	arp(IPB, MAC1, NEIGH_SRC_OTHER);
	expect_state(IPB, NEIGH_DELAY);
	arp(IPB, MAC3, NEIGH_SRC_OTHER);
	expect_state(IPB, NEIGH_STALE);
	cr_expect_arr_eq(get(IPB)->mac, MAC3, 6);
}

Test(neigh, other_resolves_incomplete_and_flushes)
{
	make_incomplete(IPA, 1);
	arp(IPA, MAC1, NEIGH_SRC_OTHER);
	expect_state(IPA, NEIGH_STALE);
	cr_expect_arr_eq(get(IPA)->mac, MAC1, 6);
	cr_expect_eq(R.ntx, 1);
	cr_expect_eq(R.tx[0].id, 1);
}

Test(neigh, arp_on_failed_entry)
{
	unsigned int pub;

	/* OTHER: no valid mac to refresh, so nothing changes */
	make_failed(IPA, 1);
	pub = R.npublish;
	arp(IPA, MAC1, NEIGH_SRC_OTHER);
	expect_state(IPA, NEIGH_FAILED);
	cr_expect_eq(R.npublish, pub);
	/* a request for us teaches the address */
	arp(IPA, MAC1, NEIGH_SRC_REQUEST_FOR_US);
	expect_state(IPA, NEIGH_STALE);
	cr_expect_arr_eq(get(IPA)->mac, MAC1, 6);
	cr_expect_eq(R.npublish, pub + 1);

	/* a late reply confirms it */
	now = T0 + 100 * S;
	make_failed(IPB, 2);
	arp(IPB, MAC2, NEIGH_SRC_REPLY);
	expect_state(IPB, NEIGH_REACHABLE);
	cr_expect_arr_eq(get(IPB)->mac, MAC2, 6);
}

Test(neigh, arp_with_bogus_sender_is_ignored)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t zero[6];

	arp(IPA, bcast, NEIGH_SRC_REQUEST_FOR_US);
	arp(IPA, mcast, NEIGH_SRC_REQUEST_FOR_US);
	arp(IPA, zero, NEIGH_SRC_REQUEST_FOR_US);
	arp(0, MAC1, NEIGH_SRC_REQUEST_FOR_US);
	cr_expect_eq(neigh_count(tbl), 0);

	make_reachable(IPB, MAC1, 1);
	arp(IPB, bcast, NEIGH_SRC_REPLY);
	arp(IPB, mcast, NEIGH_SRC_OTHER);
	expect_state(IPB, NEIGH_REACHABLE);
	cr_expect_arr_eq(get(IPB)->mac, MAC1, 6);
}

Test(neigh, entries_are_keyed_by_iface_and_ip)
{
	cr_assert_eq(offer_if(IF0, IPA, 1), 0);
	cr_assert_eq(offer_if(IF1, IPA, 2), 0);
	cr_expect_eq(neigh_count(tbl), 2);
	cr_expect_eq(R.nreq, 2, "one broadcast per link");
	t_on_arp(tbl, IF1, IPA, MAC2, NEIGH_SRC_REPLY, now);
	cr_expect_eq(t_lookup(tbl, IF1, IPA)->state, NEIGH_REACHABLE);
	cr_expect_eq(t_lookup(tbl, IF0, IPA)->state, NEIGH_INCOMPLETE);
	cr_expect_eq(R.ntx, 1);
	cr_expect_eq(R.tx[0].id, 2);
}

/* ---- PERMANENT ---- */

Test(neigh, static_entry_is_immune_to_arp_and_timers)
{
	struct neigh_entry *e;
	unsigned int pub;

	cr_assert_eq(t_add_static(tbl, IF0, IPA, MAC1, now), 0);
	e = get(IPA);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_PERMANENT);
	cr_expect_eq(e->timer_ns, 0);
	pub = R.npublish;
	cr_expect_eq(pub, 1);

	arp(IPA, MAC2, NEIGH_SRC_REPLY);
	arp(IPA, MAC2, NEIGH_SRC_REQUEST_FOR_US);
	arp(IPA, MAC2, NEIGH_SRC_OTHER);
	cr_expect_arr_eq(e->mac, MAC1, 6);
	cr_expect_eq(e->state, NEIGH_PERMANENT);
	cr_expect_eq(R.npublish, pub);

	tick_to(now + 3600 * S);
	cr_expect_eq(state_of(IPA), NEIGH_PERMANENT);
	cr_expect_eq(offer(IPA, 1), 0);
	cr_expect_eq(R.ntx, 1);
	cr_expect_arr_eq(R.tx[0].mac, MAC1, 6);
	cr_expect_eq(R.nreq, 0);
}

Test(neigh, static_overwrites_incomplete_and_flushes)
{
	make_incomplete(IPA, 1);
	cr_assert_eq(offer(IPA, 2), 0);
	cr_expect_eq(t_add_static(tbl, IF0, IPA, MAC2, now), 0);
	expect_state(IPA, NEIGH_PERMANENT);
	cr_expect_eq(R.ntx, 2);
	cr_expect_eq(R.tx[0].id, 1);
	cr_expect_eq(R.tx[1].id, 2);
	cr_expect_arr_eq(R.tx[0].mac, MAC2, 6);
	run_until(T0 + 5 * S);
	cr_expect_eq(R.nreq, 1, "no more requests");

	/* and overwrites a static one */
	cr_expect_eq(t_add_static(tbl, IF0, IPA, MAC3, now), 0);
	cr_expect_arr_eq(get(IPA)->mac, MAC3, 6);
	cr_expect_eq(neigh_count(tbl), 1);
}

/* ---- del, flush, foreach, destroy ---- */

Test(neigh, del_removes_and_drops_queue)
{
	make_incomplete(IPA, 1);
	cr_assert_eq(offer(IPA, 2), 0);
	cr_expect_eq(t_del(tbl, IF0, IPA), 0);
	cr_expect_null(get(IPA));
	cr_expect_eq(R.ndrop, 2);
	cr_expect_eq(R.drop[0].id, 1);
	cr_expect_eq(R.drop[1].id, 2);
	cr_expect_eq(R.nremoved, 1);
	cr_expect_eq(t_del(tbl, IF0, IPA), -ENOENT);
	cr_expect_eq(t_add_static(tbl, IF0, IPB, MAC1, now), 0);
	cr_expect_eq(t_del(tbl, IF0, IPB), 0, "del removes static too");
	cr_expect_eq(neigh_count(tbl), 0);

	/* its timers died with it */
	run_until(T0 + 5 * S);
	cr_expect_eq(R.nreq, 1);
}

Test(neigh, flush_spares_static_unless_asked)
{
	make_incomplete(IPA, 1);
	make_stale(IPB, MAC1);
	cr_assert_eq(t_add_static(tbl, IF0, IPC, MAC2, now), 0);
	t_on_arp(tbl, IF1, IPA, MAC3, NEIGH_SRC_REQUEST_FOR_US, now);
	cr_assert_eq(t_add_static(tbl, IF1, IPC, MAC2, now), 0);
	cr_assert_eq(neigh_count(tbl), 5);

	cr_expect_eq(neigh_flush(tbl, IF0, false), 2);
	cr_expect_eq(R.ndrop, 1, "queued packet dropped");
	cr_expect_eq(state_of(IPC), NEIGH_PERMANENT);
	cr_expect_not_null(t_lookup(tbl, IF1, IPA));
	cr_expect_eq(neigh_count(tbl), 3);

	cr_expect_eq(neigh_flush(tbl, NEIGH_ANY_IFACE, false), 1);
	cr_expect_eq(neigh_count(tbl), 2);
	cr_expect_eq(neigh_flush(tbl, IF1, true), 1);
	cr_expect_eq(state_of(IPC), NEIGH_PERMANENT);
	cr_expect_eq(neigh_flush(tbl, NEIGH_ANY_IFACE, true), 1);
	cr_expect_eq(neigh_count(tbl), 0);
	cr_expect_eq(R.nremoved, 5);
}

struct visit {
	unsigned int n;
	uint32_t ips;
};

static void
visit_fn(void *arg, const struct neigh_entry *e)
{
	struct visit *v = arg;

	v->n++;
	v->ips ^= rs_ip_v4(&e->ip);
}

Test(neigh, foreach_visits_every_entry_once)
{
	struct visit v = { 0, 0 };

	make_incomplete(IPA, 1);
	make_stale(IPB, MAC1);
	cr_assert_eq(t_add_static(tbl, IF0, IPC, MAC2, now), 0);
	neigh_foreach(tbl, visit_fn, &v);
	cr_expect_eq(v.n, 3);
	cr_expect_eq(v.ips, IPA ^ IPB ^ IPC);
	cr_expect_eq(neigh_count(tbl), 3);
}

Test(neigh, destroy_drops_queued_packets)
{
	make_incomplete(IPA, 1);
	cr_assert_eq(offer(IPA, 2), 0);
	make_incomplete(IPB, 3);
	make_reachable(IPC, MAC1, 4);
	neigh_table_destroy(tbl);
	tbl = NULL;
	cr_expect_eq(R.ndrop, 3);
	cr_expect_eq(R.nremoved, 3);
	cr_expect_eq(R.ntx, 1);
	/* the fixture's teardown checks nothing leaked */
}

/* ---- bounds and eviction ---- */

static void
small_table(uint32_t max)
{
	struct neigh_params p;

	neigh_params_default(&p);
	p.max_entries = max;
	/* keep FAILED entries around long enough to be eviction victims */
	p.failed_hold_ns = 100 * S;
	reinit(&p);
}

Test(neigh, request_flood_stays_bounded)
{
	uint32_t i;

	make_reachable(IPA, MAC1, 1);
	make_incomplete(IPB, 2);
	cr_assert_eq(t_add_static(tbl, IF0, IPC, MAC2, now), 0);
	for (i = 0; i < 100000; i++) {
		uint8_t mac[6] = { 0x02, 0x10, 0, (uint8_t)(i >> 16),
				   (uint8_t)(i >> 8), (uint8_t)i };

		now += 1000;
		arp(IP(172, 16, 0, 0) + i, mac, NEIGH_SRC_REQUEST_FOR_US);
		cr_assert_leq(neigh_count(tbl), prm.max_entries);
	}
	cr_expect_eq(neigh_count(tbl), prm.max_entries);
	/* entries in use survive the flood */
	expect_state(IPA, NEIGH_REACHABLE);
	expect_state(IPB, NEIGH_INCOMPLETE);
	expect_state(IPC, NEIGH_PERMANENT);
	/* the newest senders are the ones kept */
	cr_expect_not_null(get(IP(172, 16, 0, 0) + 99999));
	cr_expect_null(get(IP(172, 16, 0, 0) + 0));
	/* and resolution still works */
	cr_expect_eq(offer(IP(192, 168, 0, 1), 3), 0);
	expect_state(IP(192, 168, 0, 1), NEIGH_INCOMPLETE);
	cr_expect_eq(neigh_count(tbl), prm.max_entries);
}

Test(neigh, eviction_prefers_oldest_failed)
{
	small_table(4);
	make_stale(IP(10, 0, 1, 1), MAC1);   /* LRU STALE */
	make_failed(IP(10, 0, 1, 2), 1);     /* FAILED at T0 + 3 s */
	now += 1 * S;
	make_failed(IP(10, 0, 1, 3), 2);     /* FAILED at T0 + 7 s */
	make_stale(IP(10, 0, 1, 4), MAC2);
	cr_assert_eq(neigh_count(tbl), 4);

	make_stale(IP(10, 0, 2, 1), MAC3);
	cr_expect_null(get(IP(10, 0, 1, 2)), "oldest FAILED goes first");
	cr_expect_not_null(get(IP(10, 0, 1, 3)));
	cr_expect_not_null(get(IP(10, 0, 1, 1)));

	make_stale(IP(10, 0, 2, 2), MAC3);
	cr_expect_null(get(IP(10, 0, 1, 3)), "then the other FAILED");
	cr_expect_not_null(get(IP(10, 0, 1, 1)));

	make_stale(IP(10, 0, 2, 3), MAC3);
	cr_expect_null(get(IP(10, 0, 1, 1)), "then the LRU STALE");
	cr_expect_eq(neigh_count(tbl), 4);
}

Test(neigh, eviction_picks_least_recently_used_stale)
{
	small_table(3);
	make_stale(IPA, MAC1);              /* used T0 */
	now += 1 * S;
	make_stale(IPB, MAC1);              /* used T0 + 1 s */
	now += 1 * S;
	make_stale(IPC, MAC1);              /* used T0 + 2 s */
	now += 1 * S;
	/* IPA used again: DELAY, then confirmed; REACHABLE is not evictable */
	cr_assert_eq(offer(IPA, 1), 0);
	arp(IPA, MAC1, NEIGH_SRC_REPLY);

	make_stale(IP(10, 0, 9, 1), MAC2);
	cr_expect_null(get(IPB), "least recently used STALE evicted");
	cr_expect_not_null(get(IPA));
	cr_expect_not_null(get(IPC));
}

Test(neigh, eviction_ties_on_use_break_by_update)
{
	small_table(2);
	make_stale(IPA, MAC1);              /* used and updated at T0 */
	make_stale(IPB, MAC1);              /* used at T0 */
	now += 1 * S;
	arp(IPA, MAC2, NEIGH_SRC_REQUEST_FOR_US); /* IPA updated at T0 + 1 s */
	cr_assert_eq(get(IPA)->used_ns, get(IPB)->used_ns);

	make_stale(IPC, MAC3);
	cr_expect_null(get(IPB), "older update evicted first");
	cr_expect_not_null(get(IPA));
}

Test(neigh, full_table_without_victim_fails_with_enospc)
{
	unsigned int pub;

	small_table(3);
	make_incomplete(IPA, 1);
	make_reachable(IPB, MAC1, 2);
	cr_assert_eq(t_add_static(tbl, IF0, IPC, MAC2, now), 0);
	pub = R.npublish;

	cr_expect_eq(offer(IP(10, 0, 9, 1), 3), -ENOSPC);
	cr_expect_eq(R.ndrop, 1);
	cr_expect_eq(R.drop[0].id, 3);
	cr_expect_eq(R.drop[0].ip, IP(10, 0, 9, 1));
	arp(IP(10, 0, 9, 2), MAC3, NEIGH_SRC_REQUEST_FOR_US);
	cr_expect_eq(t_add_static(tbl, IF0, IP(10, 0, 9, 3), MAC3, now),
		     -ENOSPC);
	cr_expect_eq(neigh_count(tbl), 3);
	cr_expect_eq(R.npublish, pub);
	cr_expect_eq(R.nremoved, 0);

	/* nor is DELAY */
	arp(IPB, MAC2, NEIGH_SRC_OTHER);    /* STALE */
	cr_assert_eq(offer(IPB, 4), 0);     /* DELAY until T0 + 5 s */
	cr_expect_eq(offer(IP(10, 0, 9, 1), 5), -ENOSPC);

	/* IPA's resolution runs out at T0 + 3 s: FAILED is a victim */
	run_until(T0 + 3 * S);
	expect_state(IPA, NEIGH_FAILED);
	cr_expect_eq(offer(IP(10, 0, 9, 1), 6), 0, "FAILED evicted");
	cr_expect_null(get(IPA));
	cr_expect_eq(R.nremoved, 1);

	/* nor is PROBE (IPB) or INCOMPLETE holding a packet (10.0.9.1) */
	run_until(T0 + 5 * S);
	expect_state(IPB, NEIGH_PROBE);
	expect_state(IP(10, 0, 9, 1), NEIGH_INCOMPLETE);
	cr_expect_eq(offer(IP(10, 0, 9, 4), 7), -ENOSPC);
	cr_expect_eq(neigh_count(tbl), 3);
}

Test(neigh, flood_against_full_table_of_reachable_creates_nothing)
{
	uint32_t i;

	small_table(8);
	for (i = 0; i < 8; i++)
		make_reachable(IP(10, 0, 1, i + 1), MAC1, i + 1);
	for (i = 0; i < 10000; i++) {
		uint8_t mac[6] = { 0x02, 0x20, 0, 0, (uint8_t)(i >> 8),
				   (uint8_t)i };

		arp(IP(172, 16, 0, 0) + i, mac, NEIGH_SRC_REQUEST_FOR_US);
	}
	cr_expect_eq(neigh_count(tbl), 8);
	for (i = 0; i < 8; i++)
		expect_state(IP(10, 0, 1, i + 1), NEIGH_REACHABLE);
}

/* 4096 entries through their whole life at a 10 ms tick: all go STALE at
 * confirmed + reachable_ns and are collected at used + gc_stale_ns. */
Test(neigh, full_table_lifecycle_at_10ms_tick)
{
	uint32_t i;

	for (i = 0; i < prm.max_entries; i++) {
		uint8_t mac[6] = { 0x02, 0x30, 0, 0, (uint8_t)(i >> 8),
				   (uint8_t)i };

		R.offered++;
		cr_assert_eq(t_resolve(tbl, IF0, IP(10, 8, 0, 0) + i,
					   pkt(i + 1), now), 0);
		t_on_arp(tbl, IF0, IP(10, 8, 0, 0) + i, mac,
			     NEIGH_SRC_REPLY, now);
	}
	cr_assert_eq(neigh_count(tbl), 4096);
	cr_expect_eq(R.ntx_all, 4096);
	run_until(T0 + 30 * S - 10 * MS);
	cr_expect_eq(state_of(IP(10, 8, 0, 0)), NEIGH_REACHABLE);
	run_until(T0 + 30 * S);
	cr_expect_eq(state_of(IP(10, 8, 0, 0)), NEIGH_STALE);
	cr_expect_eq(state_of(IP(10, 8, 0, 0) + 4095), NEIGH_STALE);
	run_until(T0 + 60 * S);
	cr_expect_eq(neigh_count(tbl), 0);
	cr_expect_eq(R.nremoved, 4096);
	cr_expect_eq(R.nreq_all, 4096);
}

/* ---- a bound on packets queued across entries ---- */

static uint32_t
queued_sum(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		struct neigh_entry *e = t_lookup(tbl, IF0, IP(10, 1, 0, 0) + i);
		if (e != NULL)
			n += e->qlen;
	}
	return n;
}

/* The report's flood: 4096 unresolvable destinations x 8 packets used to
 * pin 32768 packet buffers. Now the total stays at max_queued. */
Test(neigh, flood_of_unresolved_destinations_is_bounded)
{
	cr_assert_eq(prm.max_queued, 1024, "default");
	for (uint32_t i = 0; i < 4096; i++)
		for (uint32_t k = 0; k < 8; k++) {
			offer(IP(10, 1, 0, 0) + i, 1 + i * 8 + k);
			cr_assert_leq(neigh_queued(tbl), 1024);
		}
	cr_assert_eq(neigh_count(tbl), 4096);
	cr_assert_eq(neigh_queued(tbl), 1024);
	cr_assert_eq(queued_sum(), 1024);
	cr_assert_eq(R.ndrop_all, 4096 * 8 - 1024);
	/* every entry keeps its share: the latest destinations have a packet */
	cr_assert_geq(get(IP(10, 1, 0, 0) + 4095)->qlen, 1);
}

/* A full total: a new packet takes the place of the oldest packet of the
 * longest queue, until queues are as even as they can be; the packets
 * kept are each entry's latest. */
Test(neigh, full_total_takes_from_the_longest_queue)
{
	struct neigh_params p = prm;
	p.max_queued = 16;
	reinit(&p);
	for (uintptr_t k = 0; k < 8; k++) {
		offer(IPA, 100 + k);
		offer(IPB, 200 + k);
	}
	cr_assert_eq(neigh_queued(tbl), 16);
	cr_assert_eq(R.ndrop_all, 0);
	for (uintptr_t k = 0; k < 100; k++)
		offer(IPC, 300 + k);
	cr_assert_eq(neigh_queued(tbl), 16);
	cr_assert_geq(get(IPA)->qlen, 5);
	cr_assert_geq(get(IPB)->qlen, 5);
	cr_assert_leq(get(IPC)->qlen, 6);
	cr_assert_eq(get(IPA)->qlen + get(IPB)->qlen + get(IPC)->qlen, 16);
	/* each keeps its latest packets, in order */
	struct neigh_entry *c = get(IPC);
	for (uint32_t i = 0; i < c->qlen; i++)
		cr_assert_eq((uintptr_t)c->queue[i], 300 + 100 - c->qlen + i);
	struct neigh_entry *a = get(IPA);
	for (uint32_t i = 0; i < a->qlen; i++)
		cr_assert_eq((uintptr_t)a->queue[i], 100 + 8 - a->qlen + i);
	/* a reply sends what is left, in order */
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	cr_assert_eq(get(IPA)->qlen, 0);
	cr_assert_eq(neigh_queued(tbl), get(IPB)->qlen + get(IPC)->qlen);
}

/* With more unresolved destinations than the total allows, the newest
 * still gets its packet queued (RFC 1122 §2.3.2.2: keep the latest). */
Test(neigh, newest_destination_always_queues_its_packet)
{
	struct neigh_params p = prm;
	p.max_queued = 32;
	reinit(&p);
	for (uint32_t i = 0; i < 500; i++) {
		cr_assert_eq(offer(IP(10, 1, 0, 0) + i, 1 + i), 0);
		struct neigh_entry *e = t_lookup(tbl, IF0, IP(10, 1, 0, 0) + i);
		cr_assert_eq(e->qlen, 1, "destination %u", i);
		cr_assert_eq((uintptr_t)e->queue[0], 1 + i);
		cr_assert_leq(neigh_queued(tbl), 32);
	}
	cr_assert_eq(queued_sum(), 32);
}

/*
 * Random resolutions, replies and timers against a plain count:
 * the total never exceeds max_queued and equals the sum of the queues and
 * the packets offered and not yet sent or dropped; no queue is longer than
 * queue_len; and a packet dropped for the total comes from a queue at least
 * as long as every other (checked in the recorder through drop order).
 */
Test(neigh, random_total_bound)
{
	struct neigh_params p = prm;
	p.max_queued = 40;
	p.max_entries = 64;
	reinit(&p);
	uint64_t seed = 99;
	uint32_t checked = 0;
	for (uint32_t step = 0; step < 50000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		uint32_t ip = IP(10, 1, 0, 0) + r % 80;
		switch ((r >> 8) % 16) {
		case 0:
			arp(ip, MAC1, NEIGH_SRC_REPLY);
			break;
		case 2:
			run_until(now + (r >> 12) % (2 * S));
			break;
		default: {
			/* the longest queue before the offer */
			uint32_t before = neigh_queued(tbl), e_len = 0, longest = 0;
			for (uint32_t i = 0; i < 80; i++) {
				struct neigh_entry *e = t_lookup(tbl, IF0, IP(10, 1, 0, 0) + i);
				if (e == NULL)
					continue;
				if (e->qlen > longest)
					longest = e->qlen;
				if (IP(10, 1, 0, 0) + i == ip)
					e_len = e->qlen;
			}
			unsigned d0 = R.ndrop_all;
			offer(ip, 1000000 + step);
			if (before == p.max_queued && e_len < p.queue_len && R.ndrop > 0 &&
			    R.ndrop_all == d0 + 1 && R.drop[(R.ndrop - 1)].ip != ip) {
				/* another entry paid: it had the longest queue */
				struct neigh_entry *v = t_lookup(tbl, IF0, R.drop[R.ndrop - 1].ip);
				cr_assert_not_null(v);
				cr_assert_eq(v->qlen + 1, longest, "step %u", step);
				cr_assert_gt(longest, e_len, "step %u", step);
				checked++;
			}
			if (R.ndrop >= REC_MAX - 8)
				R.ndrop = 0;
			if (R.ntx >= REC_MAX - 80)
				R.ntx = 0;
			break;
		}
		}
		cr_assert_leq(neigh_queued(tbl), p.max_queued);
		cr_assert_eq(neigh_queued(tbl), queued_sum(), "step %u", step);
		cr_assert_eq(neigh_queued(tbl), R.offered - R.ntx_all - R.ndrop_all, "step %u", step);
	}
	cr_assert_gt(checked, 100, "the total was reached %u times only", checked);
}

/* ---- both families in one table (NDP shares the state machine) ---- */

Test(neigh, ipv6_entries_share_the_state_machine_and_not_the_key)
{
	/* 2001:db8::a00:2 ends in the same 32 bits as IPA (10.0.0.2) */
	const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [12] = 10, 0, 0, 2 };
	const struct rs_ip v6 = rs_ip_from6(a6);
	R.offered++;
	cr_assert_eq(neigh_resolve(tbl, IF0, v6, pkt(1), now), 0);
	struct neigh_entry *e = neigh_lookup(tbl, IF0, v6);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_INCOMPLETE);
	cr_expect(!rs_ip_is4(&e->ip));
	cr_expect_eq(R.nreq, 1, "a solicitation asked for");
	cr_expect_null(get(IPA), "the IPv4 address with the same low bits is another entry");
	/* an ARP reply from 10.0.0.2 does not resolve the IPv6 neighbour */
	arp(IPA, MAC1, NEIGH_SRC_REPLY);
	cr_expect_eq(e->state, NEIGH_INCOMPLETE);
	cr_expect_eq(R.ntx, 0);
	/* a solicited NA does (RFC 4861 §7.2.5): REACHABLE, the queue goes */
	neigh_on_arp(tbl, IF0, v6, MAC2, NEIGH_SRC_REPLY, now);
	cr_expect_eq(e->state, NEIGH_REACHABLE);
	cr_expect_eq(memcmp(e->mac, MAC2, 6), 0);
	cr_expect_eq(R.ntx, 1);
	/* the same timers: STALE after reachable_ns */
	run_until(now + prm.reachable_ns + 10 * MS);
	cr_expect_eq(e->state, NEIGH_STALE);
	/* an NS for us from an unknown IPv6 neighbour creates it STALE (§7.2.3) */
	const uint8_t b6[16] = { 0xfe, 0x80, [15] = 9 };
	neigh_on_arp(tbl, IF1, rs_ip_from6(b6), MAC3, NEIGH_SRC_REQUEST_FOR_US, now);
	struct neigh_entry *f = neigh_lookup(tbl, IF1, rs_ip_from6(b6));
	cr_assert_not_null(f);
	cr_expect_eq(f->state, NEIGH_STALE);
	/* an unsolicited NA for an unknown neighbour creates nothing */
	const uint8_t c6[16] = { 0xfe, 0x80, [15] = 10 };
	neigh_on_arp(tbl, IF1, rs_ip_from6(c6), MAC3, NEIGH_SRC_OTHER, now);
	cr_expect_null(neigh_lookup(tbl, IF1, rs_ip_from6(c6)));
	/* :: names no neighbour */
	const uint8_t z6[16] = { 0 };
	neigh_on_arp(tbl, IF1, rs_ip_from6(z6), MAC3, NEIGH_SRC_REQUEST_FOR_US, now);
	cr_expect_null(neigh_lookup(tbl, IF1, rs_ip_from6(z6)));
}
