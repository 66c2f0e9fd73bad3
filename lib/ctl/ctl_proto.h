/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management protocol between ringctl (or any client) and ringstackd, over a
 * SOCK_STREAM unix socket. DPDK-free; both sides use this codec.
 *
 * Every message is a frame: a fixed 16-byte header, then `len` body bytes.
 *   u32 magic   'RSCT' (0x52534354)
 *   u16 version CTL_VERSION; a daemon answers other versions with -EPROTO
 *   u16 type    CTL_T_REQUEST or CTL_T_RESPONSE
 *   u32 seq     chosen by the client, echoed in the response
 *   u32 len     body length (<= CTL_MAX_REQUEST for requests,
 *               <= CTL_MAX_RESPONSE for responses)
 * All integers little-endian (explicitly encoded, never struct-cast).
 *
 * Request body: u16 flags (CTL_F_JSON, CTL_F_STOP_ON_ERROR), u16 argc (1..CTL_MAX_ARGS), then argc
 * times { u16 n, n bytes } — the command words, e.g. "addr" "add"
 * "10.0.0.1/24" "dev" "port0". Words are not NUL-terminated on the wire, must
 * not contain NUL, and are at most CTL_MAX_ARG bytes.
 *
 * Response body: i32 status (0, or a negative errno), u32 n, n bytes of output:
 * on success the command's output (text, or JSON with CTL_F_JSON); on error
 * one line of message without trailing newline.
 *
 * Decoders validate every length before reading and reject trailing bytes.
 */
#ifndef RS_CTL_PROTO_H
#define RS_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC 0x52534354u
#define CTL_VERSION 1
#define CTL_HDR_LEN 16
#define CTL_T_REQUEST 1
#define CTL_T_RESPONSE 2
#define CTL_T_ATTACH 3   /* an application's socket library attaching (lib/sock/sock_shm.h) */
#define CTL_F_JSON 0x1
/* Batch semantics: once a request with this flag fails on a connection,
 * later requests with it are answered -ECANCELED without being run
 * (ringctl -b sets it: a batch stops at its first failing command). */
#define CTL_F_STOP_ON_ERROR 0x2
#define CTL_MAX_ARGS 256
#define CTL_MAX_ARG 4096
#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_RESPONSE (256u * 1024 * 1024)

struct ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t seq;
	uint32_t len;
};

/* Decoded request; argv[i] point into `store` and are NUL-terminated. */
struct ctl_request {
	uint16_t flags;
	int argc;
	char *argv[CTL_MAX_ARGS + 1];
	char store[CTL_MAX_REQUEST + CTL_MAX_ARGS];
};

void ctl_hdr_encode(uint8_t out[CTL_HDR_LEN], const struct ctl_hdr *h);
/* 0, -EBADMSG (bad magic/type), -EPROTO (version), -EMSGSIZE (len over the
 * type's limit). h is filled even on -EPROTO so the server can answer seq. */
int ctl_hdr_decode(const uint8_t in[CTL_HDR_LEN], struct ctl_hdr *h);

/* Encodes header + body into buf; returns total bytes or -EMSGSIZE/-EINVAL. */
int ctl_request_encode(uint8_t *buf, size_t cap, uint32_t seq, uint16_t flags,
		       int argc, const char *const argv[]);
/* Decodes a request body (not the header). 0 or -EBADMSG/-E2BIG/-EINVAL. */
int ctl_request_decode(const uint8_t *body, size_t len, struct ctl_request *r);

/* Response: header + body; returns total bytes or -EMSGSIZE. */
long ctl_response_encode(uint8_t *buf, size_t cap, uint32_t seq, int32_t status,
			 const char *out, size_t outlen);
/* Decodes a response body; *out points into body. 0 or -EBADMSG. */
int ctl_response_decode(const uint8_t *body, size_t len, int32_t *status,
			const char **out, size_t *outlen);

#endif
