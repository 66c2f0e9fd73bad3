/* SPDX-License-Identifier: BSD-3-Clause */
/* Link impairment: parameters, PRNG, decisions, holding heap (impair.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/impair.h"

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "12", "1.5", "0.0001" (an optional suffix already stripped) scaled by
 * 10^frac_digits; false on anything else or above max. */
static bool parse_fixed(const char *s, size_t n, unsigned frac_digits, uint64_t max,
			uint64_t *out)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool dot = false, digits = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' && !dot) {
			dot = true;
			continue;
		}
		if (c < '0' || c > '9')
			return false;
		if (dot && ++frac > frac_digits)
			return false;
		v = v * 10 + (uint64_t)(c - '0');
		if (v > max * 1000000ull)
			return false;
		digits = true;
	}
	if (!digits)
		return false;
	for (; frac < frac_digits; frac++)
		v *= 10;
	if (v > max)
		return false;
	*out = v;
	return true;
}

static int parse_pct(const char *s, uint32_t *ppm, char *err, size_t len)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '%')
		n--;
	uint64_t v;
	/* percent with 4 decimals == ppm */
	if (!parse_fixed(s, n, 4, RS_IMPAIR_PPM, &v))
		return fail(err, len, "\"%s\" is not a percentage from 0 to 100 (up to 4 decimals)", s);
	*ppm = (uint32_t)v;
	return 0;
}

static int parse_ms(const char *s, uint32_t *us, char *err, size_t len)
{
	size_t n = strlen(s);
	if (n > 2 && strcmp(s + n - 2, "ms") == 0)
		n -= 2;
	uint64_t v;
	if (!parse_fixed(s, n, 3, (uint64_t)RS_IMPAIR_MAX_DELAY_MS * 1000, &v))
		return fail(err, len, "\"%s\" is not a time in ms from 0 to %u (up to 3 decimals)",
			    s, RS_IMPAIR_MAX_DELAY_MS);
	*us = (uint32_t)v;
	return 0;
}

int rs_impair_parse(int argc, char **argv, struct rs_impair p[RS_IMPAIR_NDIR], char *err,
		    size_t errlen)
{
	if (argc == 1 && strcmp(argv[0], "off") == 0) {
		for (int d = 0; d < RS_IMPAIR_NDIR; d++) {
			uint32_t gen = p[d].gen;
			memset(&p[d], 0, sizeof(p[d]));
			p[d].gen = gen + 1;
		}
		return 0;
	}
	if (argc == 0)
		return fail(err, errlen, "impair takes off, or loss P%% delay MS jitter MS reorder P%% "
				 "duplicate P%% corrupt P%% seed N direction in|out|both");
	struct rs_impair n = { .on = true, .seed = 1 };
	bool in = true, out = true;
	for (int a = 0; a < argc; a++) {
		const char *k = argv[a];
		if (a + 1 >= argc)
			return fail(err, errlen, "impair %s needs a value", k);
		const char *v = argv[++a];
		int rc = 0;
		if (strcmp(k, "loss") == 0)
			rc = parse_pct(v, &n.loss_ppm, err, errlen);
		else if (strcmp(k, "reorder") == 0)
			rc = parse_pct(v, &n.reorder_ppm, err, errlen);
		else if (strcmp(k, "duplicate") == 0 || strcmp(k, "dup") == 0)
			rc = parse_pct(v, &n.dup_ppm, err, errlen);
		else if (strcmp(k, "corrupt") == 0)
			rc = parse_pct(v, &n.corrupt_ppm, err, errlen);
		else if (strcmp(k, "delay") == 0)
			rc = parse_ms(v, &n.delay_us, err, errlen);
		else if (strcmp(k, "jitter") == 0)
			rc = parse_ms(v, &n.jitter_us, err, errlen);
		else if (strcmp(k, "seed") == 0) {
			char *end;
			errno = 0;
			unsigned long long s = strtoull(v, &end, 0);
			if (errno != 0 || end == v || *end != '\0' || v[0] == '-')
				return fail(err, errlen, "seed \"%s\" is not a number", v);
			n.seed = s;
		} else if (strcmp(k, "direction") == 0 || strcmp(k, "dir") == 0) {
			if (strcmp(v, "in") == 0)
				in = true, out = false;
			else if (strcmp(v, "out") == 0)
				in = false, out = true;
			else if (strcmp(v, "both") == 0)
				in = out = true;
			else
				return fail(err, errlen, "direction takes in, out or both");
		} else
			return fail(err, errlen, "unknown impair parameter \"%s\"", k);
		if (rc < 0)
			return rc;
	}
	if (n.jitter_us > n.delay_us)
		return fail(err, errlen, "jitter (%u us) larger than delay (%u us)", n.jitter_us,
			    n.delay_us);
	if (in) {
		n.gen = p[RS_IMPAIR_IN].gen + 1;
		p[RS_IMPAIR_IN] = n;
	}
	if (out) {
		n.gen = p[RS_IMPAIR_OUT].gen + 1;
		p[RS_IMPAIR_OUT] = n;
	}
	return 0;
}

static int fmt_pct(char *b, size_t len, const char *k, uint32_t ppm)
{
	if (ppm % 10000 == 0)
		return snprintf(b, len, " %s %u%%", k, ppm / 10000);
	char frac[8];
	snprintf(frac, sizeof(frac), "%04u", ppm % 10000);
	for (int i = 3; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	return snprintf(b, len, " %s %u.%s%%", k, ppm / 10000, frac);
}

static int fmt_ms(char *b, size_t len, const char *k, uint32_t us)
{
	if (us % 1000 == 0)
		return snprintf(b, len, " %s %ums", k, us / 1000);
	return snprintf(b, len, " %s %u.%03ums", k, us / 1000, us % 1000);
}

int rs_impair_format(const struct rs_impair *p, char *buf, size_t len)
{
	size_t o = 0;
	if (len)
		buf[0] = '\0';
#define ADD(expr)                                                                                  \
	do {                                                                                       \
		int r_ = (expr);                                                                   \
		if (r_ > 0 && o + (size_t)r_ < len)                                                \
			o += (size_t)r_;                                                           \
	} while (0)
	if (!p->on) {
		ADD(snprintf(buf + o, len - o, "off"));
		return (int)o;
	}
	ADD(fmt_pct(buf + o, len - o, "loss", p->loss_ppm));
	ADD(fmt_ms(buf + o, len - o, "delay", p->delay_us));
	ADD(fmt_ms(buf + o, len - o, "jitter", p->jitter_us));
	ADD(fmt_pct(buf + o, len - o, "reorder", p->reorder_ppm));
	ADD(fmt_pct(buf + o, len - o, "duplicate", p->dup_ppm));
	ADD(fmt_pct(buf + o, len - o, "corrupt", p->corrupt_ppm));
	ADD(snprintf(buf + o, len - o, " seed %llu", (unsigned long long)p->seed));
#undef ADD
	/* drop the leading space */
	if (o > 0 && buf[0] == ' ') {
		memmove(buf, buf + 1, o);
		o--;
	}
	return (int)o;
}

void rs_impair_rng_seed(struct rs_impair_rng *r, uint64_t seed, uint32_t worker, uint32_t link,
			uint32_t dir)
{
	r->s = seed ^ ((uint64_t)worker << 48) ^ ((uint64_t)link << 8) ^ dir;
	/* stir so that neighbouring seeds give unrelated streams */
	r->s = rs_impair_rng_next(r);
}

void rs_impair_decide(const struct rs_impair *p, struct rs_impair_rng *r,
		      struct rs_impair_verdict *v)
{
	memset(v, 0, sizeof(*v));
	/* a fixed number of draws per packet: one decision never shifts the
	 * stream of the next ones, so a run with one knob changed stays
	 * comparable */
	uint64_t d_loss = rs_impair_rng_next(r), d_dup = rs_impair_rng_next(r);
	uint64_t d_cor = rs_impair_rng_next(r), d_reo = rs_impair_rng_next(r);
	uint64_t d_jit = rs_impair_rng_next(r);
#define HIT(d, ppm) ((ppm) != 0 && (uint32_t)(((d) >> 32) % RS_IMPAIR_PPM) < (ppm))
	if (HIT(d_loss, p->loss_ppm)) {
		v->drop = true;
		return;
	}
	v->dup = HIT(d_dup, p->dup_ppm);
	if (HIT(d_cor, p->corrupt_ppm)) {
		v->corrupt = true;
		v->corrupt_at = (uint32_t)d_cor;
		v->corrupt_bit = (uint8_t)((d_cor >> 24) & 7);
	}
	v->reorder = HIT(d_reo, p->reorder_ppm);
#undef HIT
	uint64_t hold = (uint64_t)p->delay_us * 1000;
	if (p->jitter_us != 0) {
		uint64_t span = (uint64_t)p->jitter_us * 2000 + 1;
		hold = hold + (d_jit % span) - (uint64_t)p->jitter_us * 1000;
	}
	if (v->reorder)
		/* netem's way: a reordered packet skips the delay and overtakes
		 * the ones held; with no delay to skip it is held itself */
		hold = p->delay_us ? 0 : RS_IMPAIR_REORDER_HOLD_NS;
	v->hold_ns = hold;
}

static bool held_before(const struct rs_impair_held *a, const struct rs_impair_held *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

int rs_impair_heap_push(struct rs_impair_heap *h, uint64_t due_ns, void *pkt, uint16_t link,
			uint8_t dir)
{
	if (h->n >= h->cap)
		return -ENOSPC;
	struct rs_impair_held x = {
		.due_ns = due_ns, .seq = h->seq++, .pkt = pkt, .link = link, .dir = dir,
	};
	uint32_t i = h->n++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!held_before(&x, &h->e[parent]))
			break;
		h->e[i] = h->e[parent];
		i = parent;
	}
	h->e[i] = x;
	return 0;
}

bool rs_impair_heap_pop_due(struct rs_impair_heap *h, uint64_t now_ns, struct rs_impair_held *out)
{
	if (h->n == 0 || h->e[0].due_ns > now_ns)
		return false;
	*out = h->e[0];
	struct rs_impair_held last = h->e[--h->n];
	uint32_t i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && held_before(&h->e[c + 1], &h->e[c]))
			c++;
		if (!held_before(&h->e[c], &last))
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	if (h->n > 0)
		h->e[i] = last;
	return true;
}
