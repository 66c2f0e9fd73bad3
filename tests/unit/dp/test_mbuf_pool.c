/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet pool and an AF_XDP UMEM (lib/core/ports.c): DPDK 22.11's
 * net_af_xdp registers populated_size x object size bytes from the page of
 * the pool's first object, and the kernel drops every descriptor naming an
 * mbuf outside that range. Every object of rs_pktmbuf_pool_create's pool
 * must lie inside it. These tests run without hugepages (dp_eal.h), where
 * a plain rte_pktmbuf_pool_create pool pads each object to a 4 KiB page and
 * fails the check (the 10,000-connection stall).
 */
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp_eal.h"

struct umem {
	uintptr_t base;
	uint64_t size;
	size_t obj_sz;
	uint32_t hdr;
	uint32_t outside;
	uint32_t n;
};

/* the UMEM net_af_xdp 22.11 (xdp_umem_configure, zero-copy mbufs) makes */
static void umem_of(struct rte_mempool *mp, struct umem *u)
{
	struct rte_mempool_memhdr *mh = STAILQ_FIRST(&mp->mem_list);
	uintptr_t first = (uintptr_t)mh->addr;
	u->base = first & ~((uintptr_t)getpagesize() - 1);
	u->obj_sz = rte_mempool_calc_obj_size(mp->elt_size, mp->flags, NULL);
	u->size = (uint64_t)mp->populated_size * u->obj_sz + (first - u->base);
	u->hdr = mp->header_size;
	u->outside = 0;
	u->n = 0;
}

static void count_outside(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct umem *u = arg;
	struct rte_mbuf *m = obj;
	(void)mp;
	(void)idx;
	/* the frame the kernel sees: from the object's header to the end
	 * of the mbuf's buffer */
	uintptr_t start = (uintptr_t)obj - u->hdr;
	uintptr_t end = (uintptr_t)m->buf_addr + m->buf_len;
	if (start < u->base || end > u->base + u->size)
		u->outside++;
	u->n++;
}

static void setup(void)
{
	ut_eal_init();
}

static void teardown(void)
{
	ut_eal_fini();
}

TestSuite(mbuf_pool, .init = setup, .fini = teardown, .timeout = 120);

Test(mbuf_pool, every_mbuf_inside_an_af_xdp_umem)
{
	struct rte_mempool *mp = rs_pktmbuf_pool_create("ut_pool", 4096, 256, RTE_MBUF_DEFAULT_BUF_SIZE,
							 SOCKET_ID_ANY);
	cr_assert_not_null(mp, "pool: %s", rte_strerror(rte_errno));
	struct umem u;
	umem_of(mp, &u);
	rte_mempool_obj_iter(mp, count_outside, &u);
	cr_assert_eq(u.n, 4096);
	cr_assert_eq(u.outside, 0, "%u of %u mbufs outside the UMEM (%lu bytes)", u.outside, u.n,
		     (unsigned long)u.size);
	/* still an ordinary packet pool */
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	cr_assert_not_null(m);
	cr_assert_eq(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_BUF_SIZE);
	cr_assert_eq(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);
	cr_assert_not_null(rte_pktmbuf_append(m, 1500));
	rte_pktmbuf_free(m);
	cr_assert_eq(rte_mempool_avail_count(mp), 4096);
	rte_mempool_free(mp);
}

/* the check above can fail: a pool made as before, without hugepages */
Test(mbuf_pool, plain_pool_pads_objects_without_hugepages)
{
	cr_assert_not(rte_eal_has_hugepages(), "these tests run with --no-huge");
	struct rte_mempool *mp = rte_pktmbuf_pool_create("ut_plain", 4096, 256, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	cr_assert_not_null(mp, "pool: %s", rte_strerror(rte_errno));
	struct umem u;
	umem_of(mp, &u);
	rte_mempool_obj_iter(mp, count_outside, &u);
	cr_assert_gt(u.outside, 0, "a padded pool would have fit (page size %d)", getpagesize());
	rte_mempool_free(mp);
}
