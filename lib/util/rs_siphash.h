/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed pseudo-random function with a 128-bit key and a 64-bit
 * output. Used where a remote host picks the input and must not predict or
 * collide the output: TCP initial sequence numbers (RFC 6528), SYN cookies
 * (RFC 4987), timestamp offsets. Pure, DPDK-free, no state.
 */
#ifndef RS_SIPHASH_H
#define RS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct rs_siphash_key {
	uint64_t k0, k1;
};

/* Loads a key from 16 bytes, little-endian as the reference implementation. */
void rs_siphash_key_load(struct rs_siphash_key *k, const uint8_t bytes[16]);

/* SipHash-2-4 of len bytes at in (borrowed). */
uint64_t rs_siphash24(const struct rs_siphash_key *k, const void *in, size_t len);

#endif
