/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The path MTU cache (pmtu.h): a set-associative table of RCU-replaced
 * entries; the bucket hash is keyed with a random seed, so that a remote
 * host cannot aim every destination at one bucket.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_random.h>

#include "core/dp.h"
#include "core/module.h"
#include "ip6/pmtu.h"
#include "util/rs_siphash.h"

struct pmtu_ent {
	struct rs_ip dst;
	uint32_t mtu;
	uint64_t expires;
};

static struct pmtu_ent *_Atomic tbl[PMTU_BUCKETS][PMTU_WAYS];
static struct rs_siphash_key key;
/* entries in the table (control thread writes): a host that never got a
 * Packet Too Big pays one load per packet, no hash */
static _Atomic uint32_t pmtu_entries;
static uint16_t msg_pmtu;

/* A Packet Too Big names any destination it likes (the quoted packet is
 * the sender's to forge): the bucket is a keyed PRF of it. */
static inline uint32_t bucket(const struct rs_ip *dst)
{
	return (uint32_t)rs_siphash24(&key, dst->b, 16) & (PMTU_BUCKETS - 1);
}

uint32_t pmtu_get(const struct rs_ip *dst, uint64_t now)
{
	if (atomic_load_explicit(&pmtu_entries, memory_order_relaxed) == 0)
		return 0;
	struct pmtu_ent *_Atomic *b = tbl[bucket(dst)];
	for (unsigned i = 0; i < PMTU_WAYS; i++) {
		const struct pmtu_ent *e = atomic_load_explicit(&b[i], memory_order_acquire);
		if (e != NULL && rs_ip_eq(&e->dst, dst))
			return now < e->expires ? e->mtu : 0;
	}
	return 0;
}

void pmtu_update(const struct rs_ip *dst, uint32_t mtu, uint64_t now)
{
	uint32_t floor = rs_ip_is4(dst) ? 552 : 1280;
	if (mtu < floor)
		mtu = floor; /* RFC 8201 §4: never below the IPv6 minimum */
	struct pmtu_ent *_Atomic *b = tbl[bucket(dst)];
	int slot = -1;
	uint64_t oldest = UINT64_MAX;
	for (unsigned i = 0; i < PMTU_WAYS; i++) {
		struct pmtu_ent *e = atomic_load_explicit(&b[i], memory_order_relaxed);
		if (e != NULL && rs_ip_eq(&e->dst, dst)) {
			/* §4: a larger value while the entry lives is ignored */
			if (now < e->expires && mtu >= e->mtu)
				return;
			slot = (int)i;
			break;
		}
		uint64_t age = e == NULL ? 0 : e->expires;
		if (age < oldest) {
			oldest = age;
			slot = (int)i;
		}
	}
	struct pmtu_ent *n = malloc(sizeof(*n));
	if (n == NULL)
		return;
	*n = (struct pmtu_ent){ .dst = *dst, .mtu = mtu, .expires = now + PMTU_EXPIRE_NS };
	struct pmtu_ent *old = atomic_exchange_explicit(&b[slot], n, memory_order_acq_rel);
	if (old != NULL)
		rs_defer_free(free, old);
	else
		atomic_fetch_add(&pmtu_entries, 1);
}

void pmtu_flush(void)
{
	for (unsigned i = 0; i < PMTU_BUCKETS; i++)
		for (unsigned j = 0; j < PMTU_WAYS; j++) {
			struct pmtu_ent *old = atomic_exchange(&tbl[i][j], NULL);
			if (old != NULL)
				rs_defer_free(free, old);
		}
	atomic_store(&pmtu_entries, 0);
}

void pmtu_learn(struct rs_worker *w, const struct rs_ip *dst, uint32_t mtu)
{
	struct rs_msg msg = { .type = msg_pmtu, .u32 = mtu };
	memcpy(msg.data, dst->b, 16);
	(void)rs_msg_post(w, &msg);
}

static void on_pmtu(const struct rs_msg *msg, uint64_t now)
{
	struct rs_ip dst;
	memcpy(dst.b, msg->data, 16);
	if (msg->m)
		rte_pktmbuf_free(msg->m);
	pmtu_update(&dst, msg->u32, now);
}

static int pmtu_init(void)
{
	uint8_t k[16];
	for (unsigned i = 0; i < sizeof(k); i += 8) {
		uint64_t r = rte_rand();
		memcpy(k + i, &r, 8);
	}
	rs_siphash_key_load(&key, k);
	return 0;
}

static void pmtu_fini(void)
{
	for (unsigned i = 0; i < PMTU_BUCKETS; i++)
		for (unsigned j = 0; j < PMTU_WAYS; j++)
			free(atomic_exchange(&tbl[i][j], NULL));
	atomic_store(&pmtu_entries, 0);
}

static struct rs_module pmtu_module = {
	.name = "pmtu",
	.order = 41,
	.init = pmtu_init,
	.fini = pmtu_fini,
};
RS_MODULE_REGISTER(pmtu_module);

RTE_INIT(pmtu_register)
{
	msg_pmtu = rs_msg_type_register("pmtu", on_pmtu);
}
