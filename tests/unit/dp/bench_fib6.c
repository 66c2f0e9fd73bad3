/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 FIB against DPDK's rte_fib6 on one route table (not a test: the
 * numbers behind lib/route/dir6.h's choice).
 *
 *   bench_fib6 ROUTES_FILE [LOOKUPS [NEXT_HOPS]]
 *
 * ROUTES_FILE holds "route add PREFIX/LEN ..." lines (perf/fib6_routes.py
 * writes the table perf/fwd_bench.sh --ip6 loads). For each of
 *   fib6        lib/route/fib6.c (route store, shared next hops, dir6 trie),
 *   rte_fib6_4b RTE_FIB6_TRIE_4B with the tbl8 groups its reservation needs,
 *   rte_fib6_2b RTE_FIB6_TRIE_2B with its most groups (32767),
 * it prints the routes loaded, the load time, the memory the table holds
 * (resident pages for fib6/dir6; DPDK heap bytes for rte_fib6), and the
 * lookups per second to random destinations inside the routes, one at a
 * time (as ringstack's fast path calls them). The routes go to NEXT_HOPS
 * gateways (default 32, a hash of the prefix picks one): with a single one,
 * rte_fib6 folds every group whose entries are all that next hop, which a
 * real table's mix of peers does not allow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/dp.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

struct pfx6 {
	uint8_t a[16];
	uint8_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

static uint64_t rs_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd64(void)
{
	rs_state ^= rs_state >> 12;
	rs_state ^= rs_state << 25;
	rs_state ^= rs_state >> 27;
	return rs_state * 0x2545f4914f6cdd1dull;
}

static struct pfx6 *load_file(const char *path, uint32_t *n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	uint32_t cap = 1024, k = 0;
	struct pfx6 *v = malloc(cap * sizeof(*v));
	char line[512], pf[128];
	while (fgets(line, sizeof(line), f)) {
		unsigned len;
		if (sscanf(line, "route add %127[0-9a-fA-F:]/%u", pf, &len) != 2 || len > 128)
			continue;
		if (k == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		if (inet_pton(AF_INET6, pf, v[k].a) != 1)
			continue;
		v[k].len = (uint8_t)len;
		ip6_prefix_mask(v[k].a, v[k].len);
		k++;
	}
	fclose(f);
	*n = k;
	return v;
}

static uint32_t nnh = 32;

/* the next hop of a prefix: 1..nnh */
static uint32_t nh_of(const struct pfx6 *p)
{
	uint32_t h = p->len * 0x9e3779b1u;
	for (unsigned b = 0; b < 16; b++)
		h = (h ^ p->a[b]) * 0x01000193u;
	return 1 + (h >> 8) % nnh;
}

static uint8_t (*dsts)[16];
static uint32_t ndst;

static void make_dsts(const struct pfx6 *r, uint32_t n, uint32_t count)
{
	dsts = malloc((size_t)count * 16);
	ndst = count;
	for (uint32_t i = 0; i < count; i++) {
		const struct pfx6 *p = &r[rnd64() % n];
		for (unsigned b = 0; b < 16; b++) {
			uint8_t keep = p->len >= (b + 1) * 8 ? 0xff
				       : p->len <= b * 8    ? 0
							    : (uint8_t)(0xff << (8 - (p->len - b * 8)));
			dsts[i][b] = (uint8_t)((p->a[b] & keep) | ((uint8_t)rnd64() & ~keep));
		}
	}
}

static void report(const char *name, uint32_t loaded, uint32_t asked, double load_s,
		   double mem_mib, const char *mem_what, double lookups_s, uint64_t check)
{
	printf("%-12s %7u/%-7u routes  load %6.3f s (%8.0f routes/s)  %s %7.1f MiB  "
	       "%6.1f M lookups/s  (%llu)\n",
	       name, loaded, asked, load_s, loaded / load_s, mem_what, mem_mib, lookups_s / 1e6,
	       (unsigned long long)check);
}

static void bench_fib6(const struct pfx6 *r, uint32_t n)
{
	long rss0 = rss_kib();
	if (fib6_init(n + 16, D6_TBL8_MAX / 4) < 0) {
		fprintf(stderr, "fib6_init failed\n");
		return;
	}
	double t0 = now();
	uint32_t ok = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct route6 rt = { .plen = r[i].len, .type = RT_UNICAST, .proto = RTPROT_STATIC,
				     .iface = 1, .metric = 1024,
				     .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 } };
		memcpy(rt.prefix, r[i].a, 16);
		rt.gw[14] = (uint8_t)nh_of(&r[i]);
		if (fib6_route_add(&rt, false) == 0)
			ok++;
	}
	double t1 = now();
	long rss1 = rss_kib();
	uint64_t sum = 0;
	double t2 = 0, t3 = 0;
	for (int pass = 0; pass < 2; pass++) { /* the second one counts (warm) */
		sum = 0;
		t2 = now();
		for (uint32_t i = 0; i < ndst; i++)
			sum += fib6_lookup(dsts[i]);
		t3 = now();
	}
	report("fib6", ok, n, t1 - t0, (double)(rss1 - rss0) / 1024, "rss", ndst / (t3 - t2), sum);
	printf("             %u trie groups (%.1f MiB), %u next hops in use\n", fib6_tbl8_used(),
	       fib6_tbl8_used() / 1024.0, FIB6_NH_MAX - 1 - fib6_nh_free_count());
	/* replace every tenth route, as fwd_bench's updates do */
	t0 = now();
	uint32_t nupd = 0;
	for (uint32_t i = 0; i < n; i += 10, nupd++) {
		struct route6 rt = { .plen = r[i].len, .type = RT_UNICAST, .proto = RTPROT_STATIC,
				     .iface = 1, .metric = 1024,
				     .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 } };
		memcpy(rt.prefix, r[i].a, 16);
		rt.gw[14] = (uint8_t)nh_of(&r[i]);
		fib6_route_add(&rt, true);
	}
	t1 = now();
	printf("             %u replaces: %.0f /s\n", nupd, nupd / (t1 - t0));
	t0 = now();
	for (uint32_t i = 0; i < n; i++)
		fib6_route_del(r[i].a, r[i].len, -1, -1, FIB6_ANY_IFACE, NULL);
	t1 = now();
	rs_sync();
	printf("             %u deletes: %.0f /s; then %u groups in use\n", n, n / (t1 - t0),
	       fib6_tbl8_used());
	fib6_fini();
}

static void bench_rte(const struct pfx6 *r, uint32_t n, enum rte_fib_trie_nh_sz sz,
		      uint32_t ntbl8, const char *name)
{
	size_t h0 = heap_bytes();
	struct rte_fib6_conf fc = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = (int)n + 16,
		.trie = { .nh_sz = sz, .num_tbl8 = ntbl8 },
	};
	double t0 = now();
	struct rte_fib6 *f = rte_fib6_create(name, 0, &fc);
	if (f == NULL) {
		printf("%-12s cannot create (%u tbl8 groups): %s\n", name, ntbl8,
		       rte_strerror(rte_errno));
		return;
	}
	uint32_t ok = 0;
	for (uint32_t i = 0; i < n; i++)
		if (rte_fib6_add(f, r[i].a, r[i].len, nh_of(&r[i])) == 0)
			ok++;
	double t1 = now();
	size_t h1 = heap_bytes();
	uint64_t sum = 0;
	double t2 = 0, t3 = 0;
	for (int pass = 0; pass < 2; pass++) {
		sum = 0;
		t2 = now();
		for (uint32_t i = 0; i < ndst; i++) {
			uint64_t nh;
			rte_fib6_lookup_bulk(f, &dsts[i], &nh, 1);
			sum += nh;
		}
		t3 = now();
	}
	report(name, ok, n, t1 - t0, (double)(h1 - h0) / (1 << 20), "heap", ndst / (t3 - t2), sum);
	rte_fib6_free(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_fib6 ROUTES_FILE [LOOKUPS]\n");
		return 2;
	}
	uint32_t n, lookups = argc > 2 ? (uint32_t)atoi(argv[2]) : 4000000;
	if (argc > 3 && atoi(argv[3]) > 0)
		nnh = (uint32_t)atoi(argv[3]);
	struct pfx6 *r = load_file(argv[1], &n);
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "rsbf6%d", (int)getpid());
	char *eal[] = { argv[0], "-l", "0", "--no-huge", "--no-pci", "-m", "3072",
			"--no-telemetry", "--log-level=*:error", "--file-prefix", prefix };
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "rte_eal_init failed (root?)\n");
		return 1;
	}
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	rs_dp.rcu = rte_zmalloc("bf6_rcu", sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(rs_dp.rcu, 1);
	make_dsts(r, n, lookups);
	/* rte_fib6's trie reserves a group per level below the first for
	 * every route (trie.c: depth_diff); give it that many */
	uint64_t need = 0;
	for (uint32_t i = 0; i < n; i++)
		need += r[i].len > 24 ? (r[i].len - 24u + 7) / 8 : 0;
	printf("%u routes to %u next hops, %u random destinations inside them; "
	       "rte_fib6 4B reserves %llu groups\n",
	       n, nnh, ndst, (unsigned long long)need);
	bench_fib6(r, n);
	bench_rte(r, n, RTE_FIB6_TRIE_4B, (uint32_t)need + 1024, "rte_fib6_4b");
	bench_rte(r, n, RTE_FIB6_TRIE_2B, 32767, "rte_fib6_2b");
	rte_eal_cleanup();
	char dir[128];
	snprintf(dir, sizeof(dir), "rm -rf /var/run/dpdk/%s", prefix);
	if (system(dir) != 0)
		return 1;
	return 0;
}
