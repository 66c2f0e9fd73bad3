/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-destination ICMP rate limit (see icmp_rl.h for the contract).
 *
 * Each entry is a token bucket counted in nanoseconds of credit, as Linux's
 * inet_peer_xrlim_allow counts jiffies: credit grows with the time since
 * the destination was last seen, up to burst * interval, and a message
 * costs one interval.
 */
#include "icmp_rl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* More would only make a table nobody can fill; fewer than a set is none. */
#define ICMP_RL_MAX_ENTRIES (1u << 24)

struct icmp_rl_entry {
	uint64_t tokens_ns;
	uint64_t last_ns;   /* last time the destination asked: LRU order too */
	uint8_t addr[ICMP_RL_ADDR_MAX];
	uint8_t family;     /* 0: unused */
	uint8_t alen;
};

struct icmp_rl {
	uint64_t interval_ns;
	uint64_t cap_ns;      /* burst * interval */
	uint64_t seed[2];     /* the sender of what we answer picks the address */
	uint32_t set_mask;    /* sets - 1 */
	struct icmp_rl_stats stats;
	struct icmp_rl_entry *e; /* sets * ICMP_RL_WAYS */
};

void icmp_rl_params_default(struct icmp_rl_params *p)
{
	p->entries = 4096;
	p->interval_ns = 1000000000ull; /* net.ipv4.icmp_ratelimit = 1000 ms */
	p->burst = 6;                   /* XRLIM_BURST_FACTOR */
}

static uint64_t mix64(uint64_t k)
{
	/* murmur3 64-bit finalizer */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

static uint32_t icmp_rl_set(const struct icmp_rl *t, uint8_t family, const uint8_t *a,
			    uint8_t alen)
{
	uint8_t key[ICMP_RL_ADDR_MAX] = { 0 };
	uint64_t lo, hi;

	memcpy(key, a, alen);
	memcpy(&lo, key, 8);
	memcpy(&hi, key + 8, 8);
	/* Seeded and mixed twice so that the halves of an IPv6 address and
	 * the family all reach every bit of the set index. */
	uint64_t h = mix64(lo ^ t->seed[0] ^ ((uint64_t)family << 56 | alen));
	h = mix64(h ^ hi ^ t->seed[1]);
	return (uint32_t)h & t->set_mask;
}

static bool icmp_rl_match(const struct icmp_rl_entry *e, uint8_t family, const uint8_t *a,
			  uint8_t alen)
{
	return e->family == family && e->alen == alen && memcmp(e->addr, a, alen) == 0;
}

bool icmp_rl_allow(struct icmp_rl *t, uint8_t family, const void *addr, uint8_t alen,
		   uint64_t now)
{
	const uint8_t *a = addr;
	struct icmp_rl_entry *set, *e = NULL, *victim = NULL;

	if (alen == 0 || alen > ICMP_RL_ADDR_MAX || family == 0)
		return true; /* nothing to key on: the global bucket alone applies */
	set = &t->e[(size_t)icmp_rl_set(t, family, a, alen) * ICMP_RL_WAYS];
	for (unsigned i = 0; i < ICMP_RL_WAYS; i++) {
		if (set[i].family != 0 && icmp_rl_match(&set[i], family, a, alen)) {
			e = &set[i];
			break;
		}
		/* an unused way first, else the one quiet for longest */
		if (victim == NULL || (victim->family != 0 &&
				       (set[i].family == 0 || set[i].last_ns < victim->last_ns)))
			victim = &set[i];
	}
	if (e == NULL) {
		e = victim;
		if (e->family != 0)
			t->stats.replaced++;
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, a, alen);
		e->family = family;
		e->alen = alen;
		/* A destination not heard of for long has a full burst, as
		 * Linux's new inet_peer (rate_last 60 s in the past). */
		e->tokens_ns = t->cap_ns;
		e->last_ns = now;
	} else if (now > e->last_ns) {
		/* (a clock that went back gives no credit) */
		uint64_t add = now - e->last_ns;
		e->tokens_ns = add >= t->cap_ns - e->tokens_ns ? t->cap_ns : e->tokens_ns + add;
		e->last_ns = now;
	}
	if (e->tokens_ns < t->interval_ns) {
		t->stats.limited++;
		return false;
	}
	e->tokens_ns -= t->interval_ns;
	t->stats.allowed++;
	return true;
}

void icmp_rl_get_stats(const struct icmp_rl *t, struct icmp_rl_stats *s)
{
	*s = t->stats;
}

struct icmp_rl *icmp_rl_create(const struct icmp_rl_params *p)
{
	struct icmp_rl *t;
	uint32_t n = ICMP_RL_WAYS;

	if (p == NULL || p->entries == 0 || p->entries > ICMP_RL_MAX_ENTRIES ||
	    p->interval_ns == 0 || p->burst == 0 ||
	    p->interval_ns > UINT64_MAX / p->burst) {
		errno = EINVAL;
		return NULL;
	}
	while (n < p->entries)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->e = calloc(n, sizeof(t->e[0]));
	if (t->e == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->interval_ns = p->interval_ns;
	t->cap_ns = p->interval_ns * p->burst;
	t->set_mask = n / ICMP_RL_WAYS - 1;
	t->stats.entries = n;
	if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed)) {
		t->seed[0] = mix64((uint64_t)(uintptr_t)t);
		t->seed[1] = mix64((uint64_t)(uintptr_t)t->e);
	}
	return t;
}

void icmp_rl_destroy(struct icmp_rl *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t);
}
