/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growable output buffer with a small streaming JSON writer on top. The
 * writer inserts commas itself; keys and strings are escaped (RFC 8259 §7).
 * Allocation failure is sticky: the buffer is marked failed and later
 * appends do nothing; check rs_buf_failed() once at the end.
 */
#ifndef RS_JSON_H
#define RS_JSON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rs_buf {
	char *s;
	size_t len;
	size_t cap;
	bool failed;
	/* JSON writer state: one bit per nesting level, "needs a comma" */
	uint64_t need_comma;
	int depth;
	bool after_key;
};

void rs_buf_init(struct rs_buf *b);
void rs_buf_free(struct rs_buf *b);
void rs_buf_reset(struct rs_buf *b);
bool rs_buf_failed(const struct rs_buf *b);
void rs_buf_append(struct rs_buf *b, const char *s, size_t n);
/* Grows the content by n bytes left for the caller to fill; NULL (and the
 * buffer marked failed) when memory runs out. */
char *rs_buf_extend(struct rs_buf *b, size_t n);
void rs_buf_printf(struct rs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_buf_vprintf(struct rs_buf *b, const char *fmt, va_list ap);

void rs_json_obj_open(struct rs_buf *b);
void rs_json_obj_close(struct rs_buf *b);
void rs_json_arr_open(struct rs_buf *b);
void rs_json_arr_close(struct rs_buf *b);
void rs_json_key(struct rs_buf *b, const char *key);
void rs_json_str(struct rs_buf *b, const char *s);
void rs_json_u64(struct rs_buf *b, uint64_t v);
void rs_json_i64(struct rs_buf *b, int64_t v);
void rs_json_bool(struct rs_buf *b, bool v);
void rs_json_null(struct rs_buf *b);
/* key + value shorthands */
void rs_json_kstr(struct rs_buf *b, const char *key, const char *s);
void rs_json_ku64(struct rs_buf *b, const char *key, uint64_t v);
void rs_json_ki64(struct rs_buf *b, const char *key, int64_t v);
void rs_json_kbool(struct rs_buf *b, const char *key, bool v);

#endif
