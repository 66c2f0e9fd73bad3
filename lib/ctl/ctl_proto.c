/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management protocol codec: see ctl_proto.h for the frame layout. Every
 * decoder checks a length before the bytes it covers are read, and rejects
 * bytes left over after the last field.
 */
#include "ctl_proto.h"

#include <errno.h>
#include <string.h>

#include "util/rs_bytes.h"

/* Request body: u16 flags, u16 argc, then argc x { u16 n, n bytes }. */
#define REQ_FIXED 4
#define REQ_WORD_HDR 2
/* Response body: i32 status, u32 n, n bytes. */
#define RESP_FIXED 8

void ctl_hdr_encode(uint8_t out[CTL_HDR_LEN], const struct ctl_hdr *h)
{
	rs_st32le(out + 0, h->magic);
	rs_st16le(out + 4, h->version);
	rs_st16le(out + 6, h->type);
	rs_st32le(out + 8, h->seq);
	rs_st32le(out + 12, h->len);
}

int ctl_hdr_decode(const uint8_t in[CTL_HDR_LEN], struct ctl_hdr *h)
{
	h->magic = rs_ld32le(in + 0);
	h->version = rs_ld16le(in + 4);
	h->type = rs_ld16le(in + 6);
	h->seq = rs_ld32le(in + 8);
	h->len = rs_ld32le(in + 12);

	if (h->magic != CTL_MAGIC)
		return -EBADMSG;
	/* Before the type: another version may define other types. */
	if (h->version != CTL_VERSION)
		return -EPROTO;
	switch (h->type) {
	case CTL_T_REQUEST:
		if (h->len > CTL_MAX_REQUEST)
			return -EMSGSIZE;
		return 0;
	case CTL_T_RESPONSE:
		if (h->len > CTL_MAX_RESPONSE)
			return -EMSGSIZE;
		return 0;
	case CTL_T_ATTACH:
		/* an application attaching (lib/sock/sock_shm.h): small bodies */
		if (h->len > 256)
			return -EMSGSIZE;
		return 0;
	default:
		return -EBADMSG;
	}
}

static void put_hdr(uint8_t *buf, uint16_t type, uint32_t seq, uint32_t len)
{
	struct ctl_hdr h = {
		.magic = CTL_MAGIC,
		.version = CTL_VERSION,
		.type = type,
		.seq = seq,
		.len = len,
	};

	ctl_hdr_encode(buf, &h);
}

int ctl_request_encode(uint8_t *buf, size_t cap, uint32_t seq, uint16_t flags,
		       int argc, const char *const argv[])
{
	size_t body = REQ_FIXED;
	uint8_t *p;
	int i;

	if (argc < 1 || argc > CTL_MAX_ARGS || argv == NULL)
		return -EINVAL;
	for (i = 0; i < argc; i++) {
		size_t n;

		if (argv[i] == NULL)
			return -EINVAL;
		n = strlen(argv[i]);
		if (n > CTL_MAX_ARG)
			return -EINVAL;
		body += REQ_WORD_HDR + n;
	}
	if (body > CTL_MAX_REQUEST)
		return -EMSGSIZE;
	if (buf == NULL || cap < CTL_HDR_LEN + body)
		return -EMSGSIZE;

	put_hdr(buf, CTL_T_REQUEST, seq, (uint32_t)body);
	p = buf + CTL_HDR_LEN;
	rs_st16le(p, flags);
	rs_st16le(p + 2, (uint16_t)argc);
	p += REQ_FIXED;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		rs_st16le(p, (uint16_t)n);
		memcpy(p + REQ_WORD_HDR, argv[i], n);
		p += REQ_WORD_HDR + n;
	}
	return (int)(CTL_HDR_LEN + body);
}

int ctl_request_decode(const uint8_t *body, size_t len, struct ctl_request *r)
{
	size_t off, st = 0;
	unsigned int argc, i;

	r->argc = 0;
	r->argv[0] = NULL;
	if (len > CTL_MAX_REQUEST)
		return -E2BIG;
	if (len < REQ_FIXED)
		return -EBADMSG;
	r->flags = rs_ld16le(body);
	argc = rs_ld16le(body + 2);
	if (argc == 0 || argc > CTL_MAX_ARGS)
		return -EINVAL;

	off = REQ_FIXED;
	for (i = 0; i < argc; i++) {
		size_t n;

		if (len - off < REQ_WORD_HDR)
			return -EBADMSG;
		n = rs_ld16le(body + off);
		off += REQ_WORD_HDR;
		if (n > CTL_MAX_ARG)
			return -E2BIG;
		if (len - off < n)
			return -EBADMSG;
		if (memchr(body + off, '\0', n) != NULL)
			return -EINVAL;
		/* Cannot overflow: the words and their NULs total at most
		 * len + argc <= sizeof(r->store). */
		memcpy(r->store + st, body + off, n);
		r->store[st + n] = '\0';
		r->argv[i] = r->store + st;
		st += n + 1;
		off += n;
	}
	if (off != len)
		return -EBADMSG;
	r->argv[argc] = NULL;
	r->argc = (int)argc;
	return 0;
}

long ctl_response_encode(uint8_t *buf, size_t cap, uint32_t seq, int32_t status,
			 const char *out, size_t outlen)
{
	size_t body;

	if (outlen > CTL_MAX_RESPONSE - RESP_FIXED)
		return -EMSGSIZE;
	if (outlen > 0 && out == NULL)
		return -EMSGSIZE;
	body = RESP_FIXED + outlen;
	if (buf == NULL || cap < CTL_HDR_LEN + body)
		return -EMSGSIZE;

	put_hdr(buf, CTL_T_RESPONSE, seq, (uint32_t)body);
	rs_st32le(buf + CTL_HDR_LEN, (uint32_t)status);
	rs_st32le(buf + CTL_HDR_LEN + 4, (uint32_t)outlen);
	if (outlen > 0)
		memcpy(buf + CTL_HDR_LEN + RESP_FIXED, out, outlen);
	return (long)(CTL_HDR_LEN + body);
}

int ctl_response_decode(const uint8_t *body, size_t len, int32_t *status,
			const char **out, size_t *outlen)
{
	int32_t st;
	uint32_t n;

	if (len < RESP_FIXED || len > CTL_MAX_RESPONSE)
		return -EBADMSG;
	st = (int32_t)rs_ld32le(body);
	n = rs_ld32le(body + 4);
	/* status is 0 or a negative errno, nothing else */
	if (st > 0)
		return -EBADMSG;
	if (n != len - RESP_FIXED)
		return -EBADMSG;
	*status = st;
	*out = (const char *)body + RESP_FIXED;
	*outlen = n;
	return 0;
}
