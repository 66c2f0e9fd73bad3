/* SPDX-License-Identifier: BSD-3-Clause */
/* Management protocol codec (lib/ctl/ctl_proto.c) and the command-line
 * tokenizer (lib/util/rs_args.c) that feeds it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_proto.h"
#include "util/rs_args.h"
#include "util/rs_bytes.h"

/* struct ctl_request is ~330 KiB: keep it off the stack */
static struct ctl_request req;
static uint8_t frame[CTL_HDR_LEN + CTL_MAX_REQUEST + 64];

static char *big_word(size_t n, char c)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Encodes argv, checks the header, decodes the body and compares. Returns
 * the frame length. */
static int roundtrip(uint16_t flags, int argc, const char *const argv[])
{
	struct ctl_hdr h;
	int n, i;

	n = ctl_request_encode(frame, sizeof(frame), 77, flags, argc, argv);
	cr_assert_gt(n, CTL_HDR_LEN, "encode: %d", n);
	cr_assert_eq(ctl_hdr_decode(frame, &h), 0);
	cr_assert_eq(h.magic, CTL_MAGIC);
	cr_assert_eq(h.version, CTL_VERSION);
	cr_assert_eq(h.type, CTL_T_REQUEST);
	cr_assert_eq(h.seq, 77);
	cr_assert_eq(h.len, (uint32_t)n - CTL_HDR_LEN);
	cr_assert_eq(ctl_request_decode(frame + CTL_HDR_LEN, h.len, &req), 0);
	cr_assert_eq(req.flags, flags);
	cr_assert_eq(req.argc, argc);
	for (i = 0; i < argc; i++)
		cr_assert_str_eq(req.argv[i], argv[i], "word %d", i);
	cr_assert_null(req.argv[argc]);
	return n;
}

Test(ctl_hdr, roundtrip_and_layout)
{
	struct ctl_hdr h = { CTL_MAGIC, CTL_VERSION, CTL_T_RESPONSE, 0xdeadbeef, 1234 }, d;
	uint8_t b[CTL_HDR_LEN];

	ctl_hdr_encode(b, &h);
	/* little-endian on the wire, field by field */
	cr_assert_eq(b[0], 0x54);
	cr_assert_eq(b[3], 0x52);
	cr_assert_eq(rs_ld16le(b + 4), CTL_VERSION);
	cr_assert_eq(rs_ld16le(b + 6), CTL_T_RESPONSE);
	cr_assert_eq(b[8], 0xef);
	cr_assert_eq(rs_ld32le(b + 12), 1234);
	cr_assert_eq(ctl_hdr_decode(b, &d), 0);
	cr_assert_eq(memcmp(&h, &d, sizeof(h)), 0);
}

Test(ctl_hdr, rejects_bad_fields)
{
	struct ctl_hdr h = { CTL_MAGIC, CTL_VERSION, CTL_T_REQUEST, 9, 10 }, d;
	uint8_t b[CTL_HDR_LEN];

	h.magic = 0x52534355;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EBADMSG);

	h.magic = CTL_MAGIC;
	h.version = CTL_VERSION + 1;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EPROTO);
	cr_assert_eq(d.seq, 9, "seq filled on -EPROTO");
	h.version = 0;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EPROTO);

	h.version = CTL_VERSION;
	h.type = 0;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EBADMSG);
	h.type = CTL_T_ATTACH; /* accepted, with a small body only */
	h.len = 257;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EMSGSIZE);
	h.len = 40;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), 0);
	h.len = 0;
	h.type = 4; /* 3 is CTL_T_ATTACH */
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EBADMSG);

	h.type = CTL_T_REQUEST;
	h.len = CTL_MAX_REQUEST;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), 0);
	h.len = CTL_MAX_REQUEST + 1;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EMSGSIZE);

	h.type = CTL_T_RESPONSE;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), 0, "response may exceed request limit");
	h.len = CTL_MAX_RESPONSE;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), 0);
	h.len = CTL_MAX_RESPONSE + 1;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EMSGSIZE);
	h.len = UINT32_MAX;
	ctl_hdr_encode(b, &h);
	cr_assert_eq(ctl_hdr_decode(b, &d), -EMSGSIZE);
}

Test(ctl_request, one_word)
{
	const char *argv[] = { "stats" };

	cr_assert_eq(roundtrip(0, 1, argv), CTL_HDR_LEN + 4 + 2 + 5);
}

Test(ctl_request, many_words_and_json_flag)
{
	const char *argv[] = { "addr", "add", "10.0.0.1/24", "dev", "port0" };

	roundtrip(CTL_F_JSON, 5, argv);
}

Test(ctl_request, empty_words)
{
	const char *argv[] = { "", "link", "", "" };

	cr_assert_eq(roundtrip(0, 4, argv), CTL_HDR_LEN + 4 + 8 + 4);
}

Test(ctl_request, max_args)
{
	const char *argv[CTL_MAX_ARGS];
	char words[CTL_MAX_ARGS][16];
	int i;

	for (i = 0; i < CTL_MAX_ARGS; i++) {
		snprintf(words[i], sizeof(words[i]), "w%d", i);
		argv[i] = words[i];
	}
	roundtrip(0, CTL_MAX_ARGS, argv);
}

Test(ctl_request, max_length_words)
{
	char *w = big_word(CTL_MAX_ARG, 'x');
	const char *argv[] = { "route", w, w, "add", w };

	roundtrip(0, 5, argv);
	free(w);
}

Test(ctl_request, high_bytes_survive)
{
	const char *argv[] = { "\xff\x80\x01", "caf\xc3\xa9", "a b\tc\n" };

	roundtrip(0, 3, argv);
}

Test(ctl_request, encode_rejects)
{
	char *w = big_word(CTL_MAX_ARG + 1, 'y');
	const char *argv[CTL_MAX_ARGS + 1];
	const char *one[] = { "x" };
	int i;

	for (i = 0; i <= CTL_MAX_ARGS; i++)
		argv[i] = "a";
	cr_assert_eq(ctl_request_encode(frame, sizeof(frame), 1, 0, 0, argv), -EINVAL);
	cr_assert_eq(ctl_request_encode(frame, sizeof(frame), 1, 0, -1, argv), -EINVAL);
	cr_assert_eq(ctl_request_encode(frame, sizeof(frame), 1, 0, CTL_MAX_ARGS + 1, argv),
		     -EINVAL);
	argv[3] = w;
	cr_assert_eq(ctl_request_encode(frame, sizeof(frame), 1, 0, 4, argv), -EINVAL);
	free(w);

	/* body over CTL_MAX_REQUEST: 17 words of 4096 bytes */
	w = big_word(CTL_MAX_ARG, 'z');
	for (i = 0; i < 17; i++)
		argv[i] = w;
	cr_assert_eq(ctl_request_encode(frame, sizeof(frame), 1, 0, 17, argv), -EMSGSIZE);
	cr_assert_gt(ctl_request_encode(frame, sizeof(frame), 1, 0, 15, argv), 0);
	free(w);

	/* buffer one byte short, and exactly right */
	cr_assert_eq(ctl_request_encode(frame, CTL_HDR_LEN + 4 + 2, 1, 0, 1, one), -EMSGSIZE);
	cr_assert_eq(ctl_request_encode(frame, CTL_HDR_LEN + 4 + 3, 1, 0, 1, one),
		     CTL_HDR_LEN + 4 + 3);
}

Test(ctl_request, every_truncation_rejected)
{
	const char *argv[] = { "route", "add", "10.1.0.0/16", "via", "", "10.0.0.2" };
	struct ctl_hdr h;
	int n = ctl_request_encode(frame, sizeof(frame), 5, 0, 6, argv);
	size_t blen = (size_t)n - CTL_HDR_LEN, k;
	uint8_t *copy;

	cr_assert_gt(n, 0);
	for (k = 0; k < blen; k++) {
		/* a fresh heap copy of exactly k bytes, so that ASan/valgrind
		 * would catch a read past the end */
		copy = malloc(k ? k : 1);
		memcpy(copy, frame + CTL_HDR_LEN, k);
		cr_assert_lt(ctl_request_decode(copy, k, &req), 0, "len %zu accepted", k);
		free(copy);
	}
	cr_assert_eq(ctl_request_decode(frame + CTL_HDR_LEN, blen, &req), 0);

	/* a header whose len disagrees with the body by one either way */
	cr_assert_eq(ctl_hdr_decode(frame, &h), 0);
	cr_assert_lt(ctl_request_decode(frame + CTL_HDR_LEN, h.len - 1, &req), 0);
	frame[CTL_HDR_LEN + blen] = 0;
	cr_assert_eq(ctl_request_decode(frame + CTL_HDR_LEN, h.len + 1, &req), -EBADMSG);
}

Test(ctl_request, trailing_bytes_rejected)
{
	const char *argv[] = { "link", "show" };
	int n = ctl_request_encode(frame, sizeof(frame), 1, 0, 2, argv);
	size_t blen = (size_t)n - CTL_HDR_LEN;

	memset(frame + n, 'a', 8);
	for (size_t extra = 1; extra <= 8; extra++)
		cr_assert_eq(ctl_request_decode(frame + CTL_HDR_LEN, blen + extra, &req),
			     -EBADMSG);
}

/* Builds a body by hand: flags, argc, then the given (n, bytes) words. */
static size_t raw_body(uint8_t *b, uint16_t argc_field, int nwords,
		       const uint16_t *lens, const char *const *bytes)
{
	size_t off = 4;

	rs_st16le(b, 0);
	rs_st16le(b + 2, argc_field);
	for (int i = 0; i < nwords; i++) {
		rs_st16le(b + off, lens[i]);
		memcpy(b + off + 2, bytes[i], lens[i]);
		off += 2 + (size_t)lens[i];
	}
	return off;
}

Test(ctl_request, bad_argc_rejected)
{
	uint8_t *b = frame;
	const uint16_t lens[] = { 1 };
	const char *bytes[] = { "a" };
	size_t n;

	n = raw_body(b, 0, 0, lens, bytes);
	cr_assert_eq(ctl_request_decode(b, n, &req), -EINVAL, "argc 0");
	n = raw_body(b, 0, 1, lens, bytes);
	cr_assert_eq(ctl_request_decode(b, n, &req), -EINVAL, "argc 0 with a word");
	n = raw_body(b, CTL_MAX_ARGS + 1, 1, lens, bytes);
	cr_assert_eq(ctl_request_decode(b, n, &req), -EINVAL, "argc too big");
	n = raw_body(b, 0xffff, 1, lens, bytes);
	cr_assert_eq(ctl_request_decode(b, n, &req), -EINVAL);
	n = raw_body(b, 2, 1, lens, bytes);
	cr_assert_eq(ctl_request_decode(b, n, &req), -EBADMSG, "argc beyond the words");
}

Test(ctl_request, nul_in_word_rejected)
{
	const uint16_t lens[] = { 4, 3 };
	const char *bytes[] = { "link", "a\0b" };
	const char *bytes_end[] = { "link", "ab\0" };
	size_t n;

	n = raw_body(frame, 2, 2, lens, bytes);
	cr_assert_eq(ctl_request_decode(frame, n, &req), -EINVAL);
	n = raw_body(frame, 2, 2, lens, bytes_end);
	cr_assert_eq(ctl_request_decode(frame, n, &req), -EINVAL);
}

Test(ctl_request, oversize_rejected)
{
	static uint8_t b[CTL_MAX_REQUEST + 16];
	char *w = big_word(CTL_MAX_ARG + 1, 'q');
	const uint16_t lens[] = { CTL_MAX_ARG + 1 };
	const char *bytes[] = { w };
	size_t n;

	n = raw_body(b, 1, 1, lens, bytes);
	cr_assert_eq(ctl_request_decode(b, n, &req), -E2BIG, "word over CTL_MAX_ARG");
	free(w);
	memset(b, 0, sizeof(b));
	rs_st16le(b + 2, 1);
	cr_assert_eq(ctl_request_decode(b, CTL_MAX_REQUEST + 1, &req), -E2BIG);
}

Test(ctl_request, random_garbage_never_crashes)
{
	uint8_t *b = malloc(600);
	unsigned int seed = 12345;
	int ok = 0, bad = 0;

	srand(seed);
	for (int iter = 0; iter < 5000; iter++) {
		size_t len = (size_t)(rand() % 600);
		int rc;

		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)rand();
		/* make small argc / word lengths likely, to get past the
		 * first checks often */
		if (len >= 4 && (iter & 1)) {
			rs_st16le(b + 2, (uint16_t)(rand() % 6));
			for (size_t off = 4; off + 2 <= len; off += 2 + b[off] % 16) {
				b[off] = (uint8_t)(rand() % 16);
				b[off + 1] = 0;
			}
		}
		rc = ctl_request_decode(b, len, &req);
		if (rc == 0) {
			ok++;
			cr_assert(req.argc >= 1 && req.argc <= CTL_MAX_ARGS);
			for (int i = 0; i < req.argc; i++)
				cr_assert_leq(strlen(req.argv[i]), CTL_MAX_ARG);
			cr_assert_null(req.argv[req.argc]);
		} else {
			bad++;
			cr_assert(rc == -EBADMSG || rc == -E2BIG || rc == -EINVAL, "rc %d", rc);
		}
	}
	cr_assert_eq(ok + bad, 5000);
	cr_assert_gt(bad, 0);
	free(b);
}

Test(ctl_response, roundtrip)
{
	static uint8_t b[4096];
	struct ctl_hdr h;
	const char *out;
	size_t outlen;
	int32_t st;
	long n;

	n = ctl_response_encode(b, sizeof(b), 42, 0, "10.0.0.0/8 via 1.2.3.4\n", 23);
	cr_assert_eq(n, CTL_HDR_LEN + 8 + 23);
	cr_assert_eq(ctl_hdr_decode(b, &h), 0);
	cr_assert_eq(h.type, CTL_T_RESPONSE);
	cr_assert_eq(h.seq, 42);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, h.len, &st, &out, &outlen), 0);
	cr_assert_eq(st, 0);
	cr_assert_eq(outlen, 23);
	cr_assert_eq(memcmp(out, "10.0.0.0/8 via 1.2.3.4\n", 23), 0);

	n = ctl_response_encode(b, sizeof(b), 43, -ENOENT, "no such link: foo", 17);
	cr_assert_gt(n, 0);
	cr_assert_eq(ctl_hdr_decode(b, &h), 0);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, h.len, &st, &out, &outlen), 0);
	cr_assert_eq(st, -ENOENT);
	cr_assert_eq(outlen, 17);

	n = ctl_response_encode(b, sizeof(b), 44, 0, NULL, 0);
	cr_assert_eq(n, CTL_HDR_LEN + 8);
	cr_assert_eq(ctl_hdr_decode(b, &h), 0);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, h.len, &st, &out, &outlen), 0);
	cr_assert_eq(outlen, 0);
}

Test(ctl_response, large_output)
{
	size_t big = 1u << 20;
	char *o = big_word(big, 'r');
	uint8_t *b = malloc(big + 64);
	struct ctl_hdr h;
	const char *out;
	size_t outlen;
	int32_t st;

	cr_assert_eq(ctl_response_encode(b, big + 64, 1, 0, o, big), (long)(CTL_HDR_LEN + 8 + big));
	cr_assert_eq(ctl_hdr_decode(b, &h), 0);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, h.len, &st, &out, &outlen), 0);
	cr_assert_eq(outlen, big);
	cr_assert_eq(memcmp(out, o, big), 0);
	cr_assert_eq(ctl_response_encode(b, big + 23, 1, 0, o, big), -EMSGSIZE);
	cr_assert_eq(ctl_response_encode(b, big + 64, 1, 0, o, CTL_MAX_RESPONSE), -EMSGSIZE);
	free(o);
	free(b);
}

Test(ctl_response, decode_rejects)
{
	uint8_t b[64];
	const char *out;
	size_t outlen, k;
	int32_t st;
	long n = ctl_response_encode(b, sizeof(b), 1, -EINVAL, "bad prefix", 10);
	size_t blen = (size_t)n - CTL_HDR_LEN;

	for (k = 0; k < blen; k++)
		cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, k, &st, &out, &outlen),
			     -EBADMSG, "len %zu", k);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, blen + 1, &st, &out, &outlen),
		     -EBADMSG, "trailing byte");
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, blen, &st, &out, &outlen), 0);
	/* a positive status is not an errno */
	rs_st32le(b + CTL_HDR_LEN, 5);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, blen, &st, &out, &outlen), -EBADMSG);
	/* n larger than the body */
	rs_st32le(b + CTL_HDR_LEN, 0);
	rs_st32le(b + CTL_HDR_LEN + 4, 0xffffffffu);
	cr_assert_eq(ctl_response_decode(b + CTL_HDR_LEN, blen, &st, &out, &outlen), -EBADMSG);
}

Test(ctl_response, random_garbage_never_crashes)
{
	uint8_t *b = malloc(64);
	const char *out;
	size_t outlen;
	int32_t st;

	srand(999);
	for (int iter = 0; iter < 5000; iter++) {
		size_t len = (size_t)(rand() % 64);
		int rc;

		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)rand();
		if (len >= 8 && (iter & 1))
			rs_st32le(b + 4, (uint32_t)(len - 8 + (size_t)(rand() % 3) - 1));
		rc = ctl_response_decode(b, len, &st, &out, &outlen);
		if (rc == 0)
			cr_assert(st <= 0 && outlen == len - 8 && out == (const char *)b + 8);
		else
			cr_assert_eq(rc, -EBADMSG);
	}
	free(b);
}

/* ---- rs_args_split ---- */

static int split(char *line, char **argv, int max)
{
	const char *err = "unset";
	int n = rs_args_split(line, argv, max, &err);

	if (n >= 0)
		cr_assert_str_eq(err, "unset", "err touched on success");
	return n;
}

Test(rs_args, blanks)
{
	char line[] = "  route\tadd  10.0.0.0/8 via\t 10.0.0.1 \r\n";
	char *argv[8];

	cr_assert_eq(split(line, argv, 8), 5);
	cr_assert_str_eq(argv[0], "route");
	cr_assert_str_eq(argv[1], "add");
	cr_assert_str_eq(argv[2], "10.0.0.0/8");
	cr_assert_str_eq(argv[3], "via");
	cr_assert_str_eq(argv[4], "10.0.0.1");
	cr_assert_null(argv[5]);
}

Test(rs_args, empty_and_comment_lines)
{
	char a[] = "", b[] = "   \t\n", c[] = "# a comment", d[] = "   #x 'unterminated";
	char *argv[4];

	cr_assert_eq(split(a, argv, 4), 0);
	cr_assert_null(argv[0]);
	cr_assert_eq(split(b, argv, 4), 0);
	cr_assert_eq(split(c, argv, 4), 0);
	cr_assert_eq(split(d, argv, 4), 0);
}

Test(rs_args, comments)
{
	char a[] = "link show # all of them 'x", b[] = "a#b c", c[] = "x '#y' \"#z\"";
	char *argv[4];

	cr_assert_eq(split(a, argv, 4), 2);
	cr_assert_str_eq(argv[1], "show");
	cr_assert_eq(split(b, argv, 4), 2, "# inside a word is ordinary");
	cr_assert_str_eq(argv[0], "a#b");
	cr_assert_eq(split(c, argv, 4), 3, "quoted # is ordinary");
	cr_assert_str_eq(argv[1], "#y");
	cr_assert_str_eq(argv[2], "#z");
}

Test(rs_args, single_quotes)
{
	char line[] = "link add x devargs 'net_tap0,iface=a b' '' 'a\\\"b'";
	char *argv[8];

	cr_assert_eq(split(line, argv, 8), 7);
	cr_assert_str_eq(argv[4], "net_tap0,iface=a b");
	cr_assert_str_eq(argv[5], "");
	cr_assert_str_eq(argv[6], "a\\\"b", "no escapes in single quotes");
}

Test(rs_args, double_quotes_and_escapes)
{
	char line[] = "\"a b\" \"q\\\"q\" \"b\\\\s\" \"x\\ny\" \"\" \"it's\"";
	char *argv[8];

	cr_assert_eq(split(line, argv, 8), 6);
	cr_assert_str_eq(argv[0], "a b");
	cr_assert_str_eq(argv[1], "q\"q");
	cr_assert_str_eq(argv[2], "b\\s");
	cr_assert_str_eq(argv[3], "x\\ny", "other escapes kept verbatim");
	cr_assert_str_eq(argv[4], "");
	cr_assert_str_eq(argv[5], "it's");
}

Test(rs_args, quotes_join_with_text)
{
	char line[] = "a\"b c\"d 'e'\"f\"g h\\i";
	char *argv[4];

	cr_assert_eq(split(line, argv, 4), 3);
	cr_assert_str_eq(argv[0], "ab cd");
	cr_assert_str_eq(argv[1], "efg");
	cr_assert_str_eq(argv[2], "h\\i", "backslash outside quotes is literal");
}

Test(rs_args, unterminated_quote)
{
	char a[] = "link add 'oops", b[] = "x \"abc\\\"", c[] = "\"";
	char *argv[8];
	const char *err = NULL;

	cr_assert_eq(rs_args_split(a, argv, 8, &err), -1);
	cr_assert_str_eq(err, "unterminated quote");
	err = NULL;
	cr_assert_eq(rs_args_split(b, argv, 8, &err), -1, "escaped quote does not close");
	cr_assert_str_eq(err, "unterminated quote");
	cr_assert_eq(rs_args_split(c, argv, 8, NULL), -1, "err may be NULL");
}

Test(rs_args, too_many_words)
{
	char a[] = "a b c d", b[] = "a b c", c[] = "a b c # d e f";
	char *argv[3];
	const char *err = NULL;

	cr_assert_eq(rs_args_split(a, argv, 3, &err), -1);
	cr_assert_str_eq(err, "too many words");
	cr_assert_eq(split(b, argv, 3), 3, "exactly max is fine");
	cr_assert_str_eq(argv[2], "c");
	cr_assert_eq(split(c, argv, 3), 3, "comment words do not count");
}

Test(rs_args, feeds_the_codec)
{
	char line[] = "link add t0 devargs 'net_tap0,iface=rs t0' # hot-plug";
	char *argv[CTL_MAX_ARGS];
	int n = split(line, argv, CTL_MAX_ARGS);

	cr_assert_eq(n, 5);
	roundtrip(0, n, (const char *const *)argv);
	cr_assert_str_eq(req.argv[4], "net_tap0,iface=rs t0");
}
