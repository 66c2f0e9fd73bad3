/* SPDX-License-Identifier: BSD-3-Clause */
/* The output buffer and streaming JSON writer (lib/util/rs_json.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "util/rs_json.h"

static struct rs_buf b;

static void setup(void) { rs_buf_init(&b); }
static void teardown(void) { rs_buf_free(&b); }

static void expect(const char *want)
{
	cr_assert_not(rs_buf_failed(&b));
	cr_assert_str_eq(b.s, want);
	cr_assert_eq(b.len, strlen(want));
}

TestSuite(json, .init = setup, .fini = teardown);

Test(json, empty_containers)
{
	rs_json_obj_open(&b);
	rs_json_obj_close(&b);
	expect("{}");
	rs_buf_reset(&b);
	rs_json_arr_open(&b);
	rs_json_arr_close(&b);
	expect("[]");
}

Test(json, flat_object)
{
	rs_json_obj_open(&b);
	rs_json_kstr(&b, "name", "port0");
	rs_json_ku64(&b, "mtu", 1500);
	rs_json_kbool(&b, "up", true);
	rs_json_ki64(&b, "delta", -3);
	rs_json_key(&b, "none");
	rs_json_null(&b);
	rs_json_obj_close(&b);
	expect("{\"name\":\"port0\",\"mtu\":1500,\"up\":true,\"delta\":-3,\"none\":null}");
}

Test(json, array_of_values)
{
	rs_json_arr_open(&b);
	rs_json_u64(&b, 1);
	rs_json_str(&b, "two");
	rs_json_bool(&b, false);
	rs_json_null(&b);
	rs_json_i64(&b, -5);
	rs_json_arr_close(&b);
	expect("[1,\"two\",false,null,-5]");
}

Test(json, nested)
{
	rs_json_arr_open(&b);
	for (int i = 0; i < 2; i++) {
		rs_json_obj_open(&b);
		rs_json_ku64(&b, "id", (uint64_t)i);
		rs_json_key(&b, "addrs");
		rs_json_arr_open(&b);
		rs_json_str(&b, "10.0.0.1/24");
		rs_json_str(&b, "10.0.1.1/24");
		rs_json_arr_close(&b);
		rs_json_key(&b, "stats");
		rs_json_obj_open(&b);
		rs_json_ku64(&b, "rx", 10);
		rs_json_key(&b, "empty");
		rs_json_obj_open(&b);
		rs_json_obj_close(&b);
		rs_json_ku64(&b, "tx", 20);
		rs_json_obj_close(&b);
		rs_json_kstr(&b, "last", "x");
		rs_json_obj_close(&b);
	}
	rs_json_arr_close(&b);
	expect("[{\"id\":0,\"addrs\":[\"10.0.0.1/24\",\"10.0.1.1/24\"],"
	       "\"stats\":{\"rx\":10,\"empty\":{},\"tx\":20},\"last\":\"x\"},"
	       "{\"id\":1,\"addrs\":[\"10.0.0.1/24\",\"10.0.1.1/24\"],"
	       "\"stats\":{\"rx\":10,\"empty\":{},\"tx\":20},\"last\":\"x\"}]");
}

Test(json, arrays_of_arrays)
{
	rs_json_arr_open(&b);
	rs_json_arr_open(&b);
	rs_json_arr_close(&b);
	rs_json_arr_open(&b);
	rs_json_u64(&b, 1);
	rs_json_arr_open(&b);
	rs_json_u64(&b, 2);
	rs_json_arr_close(&b);
	rs_json_u64(&b, 3);
	rs_json_arr_close(&b);
	rs_json_arr_close(&b);
	expect("[[],[1,[2],3]]");
}

Test(json, escaping)
{
	rs_json_obj_open(&b);
	rs_json_kstr(&b, "q\"k", "a\"b\\c");
	rs_json_kstr(&b, "ctl", "\n\r\t\x01\x1f\b\f");
	rs_json_kstr(&b, "utf8", "caf\xc3\xa9 /");
	rs_json_kstr(&b, "null", NULL);
	rs_json_obj_close(&b);
	expect("{\"q\\\"k\":\"a\\\"b\\\\c\","
	       "\"ctl\":\"\\n\\r\\t\\u0001\\u001f\\u0008\\u000c\","
	       "\"utf8\":\"caf\xc3\xa9 /\","
	       "\"null\":\"\"}");
}

Test(json, numbers)
{
	rs_json_arr_open(&b);
	rs_json_u64(&b, 0);
	rs_json_u64(&b, UINT64_MAX);
	rs_json_i64(&b, INT64_MIN);
	rs_json_i64(&b, INT64_MAX);
	rs_json_i64(&b, 0);
	rs_json_arr_close(&b);
	expect("[0,18446744073709551615,-9223372036854775808,9223372036854775807,0]");
}

Test(json, printf_and_append)
{
	rs_buf_printf(&b, "%s %d", "port", 0);
	rs_buf_append(&b, "|", 1);
	rs_buf_printf(&b, "%05.1f%%", 2.5);
	expect("port 0|002.5%");
}

Test(json, printf_grows)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 10; i++)
		rs_buf_printf(&b, "%s\n", big);
	cr_assert_not(rs_buf_failed(&b));
	cr_assert_eq(b.len, 10 * sizeof(big));
	cr_assert_eq(strlen(b.s), b.len);
	cr_assert_geq(b.cap, b.len + 1);
	cr_assert_eq(b.s[b.len - 1], '\n');
}

Test(json, append_with_embedded_text)
{
	rs_buf_append(&b, "abc", 2);
	rs_buf_append(&b, "", 0);
	expect("ab");
}

Test(json, reset_clears_text_and_writer_state)
{
	rs_json_obj_open(&b);
	rs_json_ku64(&b, "a", 1);
	/* reset in the middle of a document: no stray comma afterwards */
	rs_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.s, "");
	rs_json_obj_open(&b);
	rs_json_ku64(&b, "b", 2);
	rs_json_obj_close(&b);
	expect("{\"b\":2}");
}

Test(json, reset_before_use)
{
	rs_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	rs_json_str(&b, "x");
	expect("\"x\"");
}

Test(json, top_level_values_in_sequence)
{
	/* at depth 0 nothing inserts commas (e.g. one JSON document per line) */
	rs_json_u64(&b, 1);
	rs_buf_append(&b, "\n", 1);
	rs_json_obj_open(&b);
	rs_json_obj_close(&b);
	expect("1\n{}");
}

Test(json, deep_nesting)
{
	for (int i = 0; i < 40; i++)
		rs_json_arr_open(&b);
	rs_json_u64(&b, 1);
	rs_json_u64(&b, 2);
	for (int i = 0; i < 40; i++)
		rs_json_arr_close(&b);
	cr_assert_not(rs_buf_failed(&b));
	cr_assert_eq(b.len, 80 + 3);
	cr_assert_eq(strstr(b.s, "[1,2]") - b.s, 39);
}

Test(json, free_then_reuse)
{
	rs_json_str(&b, "x");
	rs_buf_free(&b);
	cr_assert_null(b.s);
	cr_assert_eq(b.len, 0);
	rs_json_str(&b, "y");
	expect("\"y\"");
}
