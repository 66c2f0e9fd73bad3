/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of sock_demux_lookup (not a test; not in any default
 * run): a table of N connected UDP sockets (distinct peers of
 * 10.0.0.1:80) and one wildcard socket 0.0.0.0:80, looked up in random
 * order
 *  - "exact": packets from those peers (step 1 hits);
 *  - "wildcard": packets from other peers (steps 1 and 2 miss, step 3
 *    hits).
 *   bench_sock_demux [N=10000] [lookups=4000000] [exact|wildcard]
 * Prints ns of this thread's CPU time per lookup (other load on the
 * machine inflates wall time, less CPU time), the best of 5 rounds.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sock/sock_demux.h"

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct pkt {
	struct rs_ip src;
	uint16_t sport;
	uint32_t hash;
};

static double
run(const struct sock_demux *d, const struct pkt *p, unsigned int n, unsigned long lookups,
    const void *want_any, int expect_exact)
{
	const struct rs_ip dst = rs_ip_from4(0x0a000001);
	double best = 1e30;
	unsigned int round;

	for (round = 0; round < 5; round++) {
		uintptr_t sink = 0;
		unsigned long i, bad = 0;
		double t0 = now_ns(), t;

		for (i = 0; i < lookups; i++) {
			const struct pkt *q = &p[i % n];
			void *s = sock_demux_lookup(d, IPPROTO_UDP, &dst, 80, &q->src, q->sport,
						    q->hash);

			sink += (uintptr_t)s;
			bad += expect_exact ? s == want_any : s != want_any;
		}
		t = (now_ns() - t0) / (double)lookups;
		if (bad != 0 || sink == 0) {
			fprintf(stderr, "wrong answers: %lu\n", bad);
			exit(1);
		}
		if (t < best)
			best = t;
	}
	return best;
}

int
main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 10000;
	unsigned long lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 4000000;
	struct sock_demux *d = sock_demux_create(n, 0x12345678, NULL);
	struct pkt *hit = calloc(n, sizeof(*hit)), *miss = calloc(n, sizeof(*miss));
	char *socks = calloc(n + 1, 1);
	struct sock_demux_key k;
	uint64_t s = 1;
	unsigned int i;

	if (d == NULL || hit == NULL || miss == NULL || socks == NULL || n == 0)
		return 1;
	memset(&k, 0, sizeof(k));
	k.proto = IPPROTO_UDP;
	k.laddr = rs_ip_from4(0x0a000001);
	k.lport = 80;
	for (i = 0; i < n; i++) {
		k.raddr = rs_ip_from4(0xc0000000u + i);
		k.rport = (uint16_t)(1024 + i % 50000);
		if (sock_demux_add(d, &k, &socks[i + 1], 0, 0) != 0)
			return 1;
	}
	k.laddr = rs_ip_from4(0);
	k.raddr = (struct rs_ip){ { { 0 } } };
	k.rport = 0;
	if (sock_demux_add(d, &k, &socks[0], 0, 0) != 0)
		return 1;
	/* Random order, so that the cache sees the table, not a walk. */
	for (i = 0; i < n; i++) {
		uint32_t j = (uint32_t)(rnd(&s) % n);

		hit[i].src = rs_ip_from4(0xc0000000u + j);
		hit[i].sport = (uint16_t)(1024 + j % 50000);
		hit[i].hash = (uint32_t)rnd(&s);
		miss[i].src = rs_ip_from4(0xc8000000u + (uint32_t)(rnd(&s) % n));
		miss[i].sport = (uint16_t)(1024 + rnd(&s) % 50000);
		miss[i].hash = (uint32_t)rnd(&s);
	}
	if (argc > 3 && strcmp(argv[3], "exact") == 0)
		printf("keys %u: exact hit %.1f ns per lookup\n", n + 1,
		       run(d, hit, n, lookups, &socks[0], 1));
	else if (argc > 3 && strcmp(argv[3], "wildcard") == 0)
		printf("keys %u: wildcard fallback %.1f ns per lookup\n", n + 1,
		       run(d, miss, n, lookups, &socks[0], 0));
	else
		printf("keys %u: exact hit %.1f ns, wildcard fallback %.1f ns per lookup\n", n + 1,
		       run(d, hit, n, lookups, &socks[0], 1),
		       run(d, miss, n, lookups, &socks[0], 0));
	sock_demux_destroy(d);
	free(hit);
	free(miss);
	free(socks);
	return 0;
}
