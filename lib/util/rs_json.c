/* SPDX-License-Identifier: BSD-3-Clause */
#include "rs_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rs_buf_init(struct rs_buf *b) { memset(b, 0, sizeof(*b)); }

void rs_buf_free(struct rs_buf *b)
{
	free(b->s);
	rs_buf_init(b);
}

void rs_buf_reset(struct rs_buf *b)
{
	b->len = 0;
	b->failed = false;
	b->need_comma = 0;
	b->depth = 0;
	b->after_key = false;
	if (b->s)
		b->s[0] = '\0';
}

bool rs_buf_failed(const struct rs_buf *b) { return b->failed; }

static bool reserve(struct rs_buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void rs_buf_append(struct rs_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

char *rs_buf_extend(struct rs_buf *b, size_t n)
{
	if (!reserve(b, n))
		return NULL;
	char *p = b->s + b->len;
	b->len += n;
	b->s[b->len] = '\0';
	return p;
}

void rs_buf_vprintf(struct rs_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void rs_buf_printf(struct rs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rs_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Comma handling: a value needs a comma before it when it is not the first
 * in its container and does not follow a key. */
static void pre_value(struct rs_buf *b)
{
	if (b->after_key) {
		b->after_key = false;
		return;
	}
	if (b->depth > 0 && b->depth <= 64) {
		uint64_t bit = 1ull << (b->depth - 1);
		if (b->need_comma & bit)
			rs_buf_append(b, ",", 1);
		b->need_comma |= bit;
	}
}

static void open_(struct rs_buf *b, char c)
{
	pre_value(b);
	rs_buf_append(b, &c, 1);
	b->depth++;
	if (b->depth <= 64)
		b->need_comma &= ~(1ull << (b->depth - 1));
}

static void close_(struct rs_buf *b, char c)
{
	rs_buf_append(b, &c, 1);
	if (b->depth > 0)
		b->depth--;
}

void rs_json_obj_open(struct rs_buf *b) { open_(b, '{'); }
void rs_json_obj_close(struct rs_buf *b) { close_(b, '}'); }
void rs_json_arr_open(struct rs_buf *b) { open_(b, '['); }
void rs_json_arr_close(struct rs_buf *b) { close_(b, ']'); }

static void put_escaped(struct rs_buf *b, const char *s)
{
	rs_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': rs_buf_append(b, "\\\"", 2); break;
		case '\\': rs_buf_append(b, "\\\\", 2); break;
		case '\n': rs_buf_append(b, "\\n", 2); break;
		case '\r': rs_buf_append(b, "\\r", 2); break;
		case '\t': rs_buf_append(b, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				rs_buf_append(b, esc, 6);
			} else {
				rs_buf_append(b, (const char *)p, 1);
			}
		}
	}
	rs_buf_append(b, "\"", 1);
}

void rs_json_key(struct rs_buf *b, const char *key)
{
	pre_value(b);
	put_escaped(b, key);
	rs_buf_append(b, ":", 1);
	b->after_key = true;
}

void rs_json_str(struct rs_buf *b, const char *s)
{
	pre_value(b);
	put_escaped(b, s ? s : "");
}

void rs_json_u64(struct rs_buf *b, uint64_t v)
{
	pre_value(b);
	rs_buf_printf(b, "%" PRIu64, v);
}

void rs_json_i64(struct rs_buf *b, int64_t v)
{
	pre_value(b);
	rs_buf_printf(b, "%" PRId64, v);
}

void rs_json_bool(struct rs_buf *b, bool v)
{
	pre_value(b);
	rs_buf_append(b, v ? "true" : "false", v ? 4 : 5);
}

void rs_json_null(struct rs_buf *b)
{
	pre_value(b);
	rs_buf_append(b, "null", 4);
}

void rs_json_kstr(struct rs_buf *b, const char *k, const char *s) { rs_json_key(b, k); rs_json_str(b, s); }
void rs_json_ku64(struct rs_buf *b, const char *k, uint64_t v) { rs_json_key(b, k); rs_json_u64(b, v); }
void rs_json_ki64(struct rs_buf *b, const char *k, int64_t v) { rs_json_key(b, k); rs_json_i64(b, v); }
void rs_json_kbool(struct rs_buf *b, const char *k, bool v) { rs_json_key(b, k); rs_json_bool(b, v); }
