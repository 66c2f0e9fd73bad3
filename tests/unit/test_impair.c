/* SPDX-License-Identifier: BSD-3-Clause */
/* Link impairment logic (util/impair.h): parameters, PRNG, decisions. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/impair.h"

/* parses a space-separated line into p (both directions start off) */
static int parse(const char *line, struct rs_impair p[RS_IMPAIR_NDIR], char *err)
{
	static char buf[256];
	char *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t != NULL && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	return rs_impair_parse(argc, argv, p, err, 160);
}

Test(impair_parse, full_line)
{
	struct rs_impair p[2] = { 0 };
	char err[160];
	cr_assert_eq(parse("loss 1% delay 20ms jitter 5ms reorder 5% duplicate 1% corrupt 0.1% seed 42",
			   p, err), 0, "%s", err);
	for (int d = 0; d < 2; d++) {
		cr_assert(p[d].on);
		cr_assert_eq(p[d].loss_ppm, 10000);
		cr_assert_eq(p[d].delay_us, 20000);
		cr_assert_eq(p[d].jitter_us, 5000);
		cr_assert_eq(p[d].reorder_ppm, 50000);
		cr_assert_eq(p[d].dup_ppm, 10000);
		cr_assert_eq(p[d].corrupt_ppm, 1000);
		cr_assert_eq(p[d].seed, 42);
		cr_assert_eq(p[d].gen, 1);
	}
	char out[256];
	rs_impair_format(&p[0], out, sizeof(out));
	cr_assert_str_eq(out, "loss 1% delay 20ms jitter 5ms reorder 5% duplicate 1% corrupt 0.1% seed 42");
}

Test(impair_parse, units_and_direction)
{
	struct rs_impair p[2] = { 0 };
	char err[160];
	cr_assert_eq(parse("loss 0.0001 delay 1.5 direction out", p, err), 0, "%s", err);
	cr_assert_not(p[RS_IMPAIR_IN].on);
	cr_assert(p[RS_IMPAIR_OUT].on);
	cr_assert_eq(p[RS_IMPAIR_OUT].loss_ppm, 1);
	cr_assert_eq(p[RS_IMPAIR_OUT].delay_us, 1500);
	cr_assert_eq(parse("loss 100% direction in", p, err), 0, "%s", err);
	cr_assert_eq(p[RS_IMPAIR_IN].loss_ppm, RS_IMPAIR_PPM);
	cr_assert_eq(p[RS_IMPAIR_OUT].delay_us, 1500, "the other direction keeps its setting");
	cr_assert_eq(parse("off", p, err), 0);
	cr_assert_not(p[0].on);
	cr_assert_not(p[1].on);
	cr_assert_eq(p[1].gen, 2);
}

Test(impair_parse, refusals_change_nothing)
{
	static const char *const bad[] = {
		"", "loss", "loss 101%", "loss -1%", "loss 1.00001%", "loss x", "loss 1%%",
		"delay 10001ms", "delay 1.0001", "delay ms", "jitter 5ms", "delay 5 jitter 6",
		"seed", "seed -3", "seed 12x", "direction up", "bogus 1", "off now", "loss .",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rs_impair p[2] = { 0 }, before[2];
		char err[160] = "";
		memcpy(before, p, sizeof(p));
		cr_assert_eq(parse(bad[i], p, err), -EINVAL, "\"%s\" accepted", bad[i]);
		cr_assert_neq(err[0], '\0', "\"%s\": no message", bad[i]);
		cr_assert_null(strchr(err, '\n'));
		cr_assert_eq(memcmp(p, before, sizeof(p)), 0, "\"%s\" changed the parameters", bad[i]);
	}
}

Test(impair_rng, deterministic)
{
	struct rs_impair_rng a, b, c;
	rs_impair_rng_seed(&a, 7, 0, 1, 0);
	rs_impair_rng_seed(&b, 7, 0, 1, 0);
	rs_impair_rng_seed(&c, 8, 0, 1, 0);
	int same_c = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rs_impair_rng_next(&a);
		cr_assert_eq(x, rs_impair_rng_next(&b));
		same_c += x == rs_impair_rng_next(&c);
	}
	cr_assert_eq(same_c, 0, "seeds 7 and 8 give related streams");
	/* each worker, link and direction its own stream */
	rs_impair_rng_seed(&a, 7, 1, 1, 0);
	rs_impair_rng_seed(&b, 7, 0, 1, 1);
	cr_assert_neq(rs_impair_rng_next(&a), rs_impair_rng_next(&b));
	/* the same first value on every machine (splitmix64 is specified) */
	struct rs_impair_rng z = { .s = 0 };
	cr_assert_eq(rs_impair_rng_next(&z), 0xe220a8397b1dcdafull);
}

static void rates(const struct rs_impair *p, unsigned n, unsigned *drop, unsigned *dup,
		  unsigned *cor, unsigned *reo)
{
	struct rs_impair_rng r;
	struct rs_impair_verdict v;
	rs_impair_rng_seed(&r, p->seed, 0, 0, 0);
	*drop = *dup = *cor = *reo = 0;
	for (unsigned i = 0; i < n; i++) {
		rs_impair_decide(p, &r, &v);
		*drop += v.drop;
		*dup += v.dup;
		*cor += v.corrupt;
		*reo += v.reorder;
		if (!v.drop && !v.reorder) {
			cr_assert_geq(v.hold_ns, (uint64_t)(p->delay_us - p->jitter_us) * 1000);
			cr_assert_leq(v.hold_ns, (uint64_t)(p->delay_us + p->jitter_us) * 1000);
		}
		if (v.reorder && !v.drop)
			cr_assert_eq(v.hold_ns, p->delay_us ? 0 : RS_IMPAIR_REORDER_HOLD_NS);
	}
}

Test(impair_decide, rates_match_the_settings)
{
	struct rs_impair p = { .on = true, .loss_ppm = 20000, .dup_ppm = 10000, .corrupt_ppm = 1000,
			       .reorder_ppm = 50000, .delay_us = 20000, .jitter_us = 5000, .seed = 1 };
	unsigned n = 200000, drop, dup, cor, reo;
	rates(&p, n, &drop, &dup, &cor, &reo);
	/* within 10 % of the expectation (several standard deviations) */
	cr_assert(drop > 3600 && drop < 4400, "loss %u", drop);
	cr_assert(dup > 1760 && dup < 2160, "dup %u", dup);     /* of the 98 % not lost */
	cr_assert(cor > 150 && cor < 250, "corrupt %u", cor);
	cr_assert(reo > 8800 && reo < 10800, "reorder %u", reo);
	/* the same seed decides the same way */
	unsigned drop2, dup2, cor2, reo2;
	rates(&p, n, &drop2, &dup2, &cor2, &reo2);
	cr_assert(drop == drop2 && dup == dup2 && cor == cor2 && reo == reo2);
}

Test(impair_decide, extremes)
{
	struct rs_impair p = { .on = true, .loss_ppm = RS_IMPAIR_PPM, .seed = 3 };
	unsigned drop, dup, cor, reo;
	rates(&p, 1000, &drop, &dup, &cor, &reo);
	cr_assert_eq(drop, 1000);
	p.loss_ppm = 0;
	rates(&p, 1000, &drop, &dup, &cor, &reo);
	cr_assert_eq(drop + dup + cor + reo, 0);
	/* reorder without delay: held so that later packets overtake */
	p.reorder_ppm = RS_IMPAIR_PPM;
	rates(&p, 100, &drop, &dup, &cor, &reo);
	cr_assert_eq(reo, 100);
}
