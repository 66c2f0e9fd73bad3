/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the per-destination ICMP rate limit (lib/icmp/icmp_rl.c):
 * Linux's inet_peer_xrlim_allow semantics (a burst of 6, then one message
 * per second per destination), keys that carry their family, a fixed-size
 * table that replaces its least recently used entry, and a random run
 * against a reference model.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "icmp/icmp_rl.h"

#define MS 1000000ull
#define S 1000000000ull

static struct icmp_rl *mk(uint32_t entries)
{
	struct icmp_rl_params p;
	icmp_rl_params_default(&p);
	p.entries = entries;
	struct icmp_rl *t = icmp_rl_create(&p);
	cr_assert_not_null(t, "icmp_rl_create: %s", strerror(errno));
	return t;
}

static bool allow4(struct icmp_rl *t, uint32_t ip, uint64_t now)
{
	uint8_t a[4] = { ip >> 24, ip >> 16, ip >> 8, ip };
	return icmp_rl_allow(t, AF_INET, a, 4, now);
}

/* how many of n attempts at time now pass */
static unsigned burst4(struct icmp_rl *t, uint32_t ip, unsigned n, uint64_t now)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += allow4(t, ip, now);
	return ok;
}

Test(icmp_rl, defaults_are_linux)
{
	struct icmp_rl_params p;
	icmp_rl_params_default(&p);
	cr_assert_eq(p.interval_ns, 1000 * MS, "net.ipv4.icmp_ratelimit is 1000 ms");
	cr_assert_eq(p.burst, 6, "XRLIM_BURST_FACTOR is 6");
	cr_assert_gt(p.entries, 0);
}

Test(icmp_rl, create_rejects_bad_params)
{
	struct icmp_rl_params p;
	icmp_rl_params_default(&p);
	p.entries = 0;
	errno = 0;
	cr_assert_null(icmp_rl_create(&p));
	cr_assert_eq(errno, EINVAL);
	icmp_rl_params_default(&p);
	p.interval_ns = 0;
	cr_assert_null(icmp_rl_create(&p));
	icmp_rl_params_default(&p);
	p.burst = 0;
	cr_assert_null(icmp_rl_create(&p));
	icmp_rl_params_default(&p);
	p.burst = UINT32_MAX;
	p.interval_ns = UINT64_MAX / 2;
	cr_assert_null(icmp_rl_create(&p), "burst * interval overflows");
	cr_assert_null(icmp_rl_create(NULL));
	icmp_rl_destroy(NULL);
}

Test(icmp_rl, table_size_rounded_to_sets)
{
	struct icmp_rl *t = mk(5);
	struct icmp_rl_stats s;
	icmp_rl_get_stats(t, &s);
	cr_assert_eq(s.entries, 8);
	icmp_rl_destroy(t);
	t = mk(1);
	icmp_rl_get_stats(t, &s);
	cr_assert_eq(s.entries, ICMP_RL_WAYS);
	icmp_rl_destroy(t);
}

Test(icmp_rl, burst_then_one_per_second)
{
	struct icmp_rl *t = mk(64);
	uint64_t t0 = 1000 * S;
	cr_assert_eq(burst4(t, 0xc0000201, 200, t0), 6, "a burst of 200 gets 6");
	cr_assert_not(allow4(t, 0xc0000201, t0 + 999 * MS), "not before a second has passed");
	cr_assert(allow4(t, 0xc0000201, t0 + 1000 * MS), "one after a second");
	cr_assert_not(allow4(t, 0xc0000201, t0 + 1500 * MS));
	cr_assert(allow4(t, 0xc0000201, t0 + 2000 * MS));
	/* a long pause fills the bucket to the burst, no more */
	cr_assert_eq(burst4(t, 0xc0000201, 50, t0 + 3600 * S), 6);
	struct icmp_rl_stats s;
	icmp_rl_get_stats(t, &s);
	cr_assert_eq(s.allowed, 6 + 1 + 1 + 6);
	cr_assert_eq(s.limited, 194 + 1 + 1 + 44);
	cr_assert_eq(s.replaced, 0);
	icmp_rl_destroy(t);
}

Test(icmp_rl, sustained_probing_gets_one_per_second)
{
	struct icmp_rl *t = mk(64);
	unsigned ok = 0;
	/* 100 probes a second for 10 s */
	for (uint64_t ms = 0; ms < 10000; ms += 10)
		ok += allow4(t, 0x0a000002, 5 * S + ms * MS);
	/* 6 at once, then one at 1 s, 2 s, ... 9 s */
	cr_assert_eq(ok, 6 + 9, "got %u", ok);
	icmp_rl_destroy(t);
}

Test(icmp_rl, destinations_are_independent)
{
	struct icmp_rl *t = mk(64);
	cr_assert_eq(burst4(t, 0x0a000002, 100, S), 6);
	cr_assert_eq(burst4(t, 0x0a000003, 100, S), 6, "another peer has its own bucket");
	cr_assert_not(allow4(t, 0x0a000002, S));
	icmp_rl_destroy(t);
}

Test(icmp_rl, family_is_part_of_the_key)
{
	struct icmp_rl *t = mk(64);
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t a4[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	unsigned ok = 0;
	for (int i = 0; i < 20; i++)
		ok += icmp_rl_allow(t, AF_INET, a4, 4, S);
	cr_assert_eq(ok, 6);
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += icmp_rl_allow(t, AF_INET6, a6, 16, S);
	cr_assert_eq(ok, 6, "an IPv6 address is not the IPv4 one with the same first bytes");
	/* two IPv6 addresses differing only in their last byte */
	a6[15] = 1;
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += icmp_rl_allow(t, AF_INET6, a6, 16, S);
	cr_assert_eq(ok, 6);
	/* nothing to key on: not limited here (the global bucket still is) */
	cr_assert(icmp_rl_allow(t, AF_INET, a4, 0, S));
	icmp_rl_destroy(t);
}

Test(icmp_rl, clock_going_back_gives_no_credit)
{
	struct icmp_rl *t = mk(64);
	cr_assert_eq(burst4(t, 1, 10, 100 * S), 6);
	cr_assert_eq(burst4(t, 1, 10, 50 * S), 0, "earlier time: no credit");
	cr_assert_eq(burst4(t, 1, 10, 100 * S), 0, "back at the last time: still none");
	cr_assert_eq(burst4(t, 1, 10, 101 * S), 1);
	icmp_rl_destroy(t);
}

/* One set: the least recently used destination is the one replaced. */
Test(icmp_rl, full_set_replaces_least_recently_used)
{
	struct icmp_rl *t = mk(ICMP_RL_WAYS);
	uint64_t now = S;
	for (uint32_t d = 1; d <= ICMP_RL_WAYS; d++, now += MS)
		cr_assert_eq(burst4(t, d, 10, now), 6);
	/* 1 asks again: 2 is now the least recently used */
	cr_assert_not(allow4(t, 1, now));
	now += MS;
	cr_assert_eq(burst4(t, 100, 10, now), 6, "a new destination takes a way");
	struct icmp_rl_stats s;
	icmp_rl_get_stats(t, &s);
	cr_assert_eq(s.replaced, 1);
	cr_assert_not(allow4(t, 1, now), "1 kept its (empty) bucket");
	for (uint32_t d = 3; d <= ICMP_RL_WAYS; d++)
		cr_assert_not(allow4(t, d, now), "%u kept its bucket", d);
	/* 2 was forgotten: it comes back with a fresh burst (the documented
	 * cost of a bounded table; the global bucket still applies) */
	cr_assert_eq(burst4(t, 2, 10, now), 6);
	icmp_rl_destroy(t);
}

/* A flood of distinct destinations costs no memory beyond the table. */
Test(icmp_rl, bounded_under_a_flood_of_destinations)
{
	struct icmp_rl *t = mk(256);
	for (uint32_t d = 0; d < 200000; d++)
		allow4(t, 0x0b000000 + d, S + d);
	struct icmp_rl_stats s;
	icmp_rl_get_stats(t, &s);
	cr_assert_eq(s.entries, 256);
	cr_assert_eq(s.allowed, 200000, "every new destination starts with a burst");
	cr_assert_eq(s.replaced, 200000 - 256);
	icmp_rl_destroy(t);
}

/*
 * Reference model: an unbounded list of buckets with the same arithmetic.
 * With few destinations in a large table no entry is ever replaced, so the
 * table must agree with the model on every single decision.
 */
struct model_dst {
	uint8_t fam;
	uint8_t a[16];
	uint8_t alen;
	uint64_t tokens, last;
};

Test(icmp_rl, random_against_model)
{
	enum { ND = 16 };
	struct icmp_rl_params p = { .entries = 4096, .interval_ns = 1000 * MS, .burst = 6 };
	struct icmp_rl *t = icmp_rl_create(&p);
	cr_assert_not_null(t);
	struct model_dst m[ND];
	unsigned seed = 12345;
	for (int i = 0; i < ND; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].fam = i % 3 == 0 ? AF_INET6 : AF_INET;
		m[i].alen = m[i].fam == AF_INET6 ? 16 : 4;
		for (int k = 0; k < m[i].alen; k++)
			m[i].a[k] = (uint8_t)rand_r(&seed);
		m[i].a[0] = (uint8_t)i; /* distinct */
	}
	bool seen[ND] = { false };
	uint64_t now = 10 * S;
	const uint64_t cap = p.burst * p.interval_ns;
	unsigned agree = 0;
	for (int step = 0; step < 200000; step++) {
		/* time moves by 0..300 ms, sometimes not at all */
		unsigned r = (unsigned)rand_r(&seed);
		if (r % 4 == 0)
			now += (uint64_t)(r % 300) * MS;
		int i = (int)((unsigned)rand_r(&seed) % ND);
		struct model_dst *d = &m[i];
		if (!seen[i]) {
			seen[i] = true;
			d->tokens = cap;
			d->last = now;
		} else if (now > d->last) {
			d->tokens += now - d->last;
			if (d->tokens > cap)
				d->tokens = cap;
			d->last = now;
		}
		bool want = d->tokens >= p.interval_ns;
		if (want)
			d->tokens -= p.interval_ns;
		bool got = icmp_rl_allow(t, d->fam, d->a, d->alen, now);
		cr_assert_eq(got, want, "step %d, destination %d: table %d, model %d", step, i, got,
			     want);
		agree++;
	}
	struct icmp_rl_stats s;
	icmp_rl_get_stats(t, &s);
	cr_assert_eq(s.replaced, 0);
	cr_assert_eq(s.allowed + s.limited, agree);
	icmp_rl_destroy(t);
}
