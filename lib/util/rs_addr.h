/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Family-neutral IP addresses (STYLE.md: "addresses that carry their
 * family"). DPDK-free; used by the socket layer (demultiplexing keys, the
 * application ABI), TCP, ICMP rate limits and anything else that must work
 * for IPv4 and IPv6 alike.
 *
 * Representation: 16 bytes in network byte order. An IPv4 address is held
 * in its IPv4-mapped form ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), the form Linux
 * shows dual-stack sockets, so that one 16-byte compare, copy or hash serves
 * both families and a key never needs a separate family byte to be unique.
 * The unspecified address of each family stays distinct: 0.0.0.0 is
 * ::ffff:0.0.0.0, while :: is all zeroes.
 *
 * The forwarding fast path keeps its host-order uint32_t IPv4 addresses
 * (lib/wire, lib/route); rs_ip_from4/rs_ip_v4 convert at the boundary.
 */
#ifndef RS_ADDR_H
#define RS_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct rs_ip {
	union {
		uint8_t b[16];
		uint32_t w[4]; /* network order words, for hashing and compares */
	};
};
_Static_assert(sizeof(struct rs_ip) == 16, "rs_ip is 16 bytes");

static inline struct rs_ip rs_ip_from4(uint32_t host_order)
{
	struct rs_ip a = { .b = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
				  (uint8_t)(host_order >> 24), (uint8_t)(host_order >> 16),
				  (uint8_t)(host_order >> 8), (uint8_t)host_order } };
	return a;
}

static inline struct rs_ip rs_ip_from6(const uint8_t b[16])
{
	struct rs_ip a;
	memcpy(a.b, b, 16);
	return a;
}

/* True for an IPv4 address (IPv4-mapped form). */
static inline bool rs_ip_is4(const struct rs_ip *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a->b, pfx, 12) == 0;
}

static inline int rs_ip_family(const struct rs_ip *a)
{
	return rs_ip_is4(a) ? AF_INET : AF_INET6;
}

/* The IPv4 address in host order; only meaningful when rs_ip_is4(). */
static inline uint32_t rs_ip_v4(const struct rs_ip *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
	       a->b[15];
}

static inline bool rs_ip_eq(const struct rs_ip *a, const struct rs_ip *b)
{
	return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		(a->w[3] ^ b->w[3])) == 0;
}

/* The unspecified address of the address's family (0.0.0.0 or ::). */
static inline bool rs_ip_is_any(const struct rs_ip *a)
{
	if (rs_ip_is4(a))
		return a->w[3] == 0;
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

static inline struct rs_ip rs_ip_any(int family)
{
	return family == AF_INET ? rs_ip_from4(0) : (struct rs_ip){ { { 0 } } };
}

/* 32-bit hash mixing all 16 bytes (not keyed: use for tables whose bucket
 * choice an attacker cannot exploit, or mix in a secret first). */
static inline uint32_t rs_ip_hash(const struct rs_ip *a, uint32_t seed)
{
	uint32_t h = seed ^ 0x9e3779b9u;
	for (int i = 0; i < 4; i++) {
		h ^= a->w[i];
		h *= 0x85ebca6bu;
		h ^= h >> 13;
	}
	return h;
}

/*
 * Conversion from and to struct sockaddr (sockaddr_in / sockaddr_in6).
 * rs_ip_from_sa: 0, or -EAFNOSUPPORT / -EINVAL; *port in host order;
 * *scope the sin6_scope_id (0 for IPv4). rs_ip_to_sa: fills up to *len
 * bytes as getsockname does (AF_INET for a mapped address unless
 * want_family is AF_INET6, which writes the mapped form) and sets *len to
 * the full size.
 */
int rs_ip_from_sa(const struct sockaddr *sa, socklen_t len, struct rs_ip *ip, uint16_t *port,
		  uint32_t *scope);
void rs_ip_to_sa(const struct rs_ip *ip, uint16_t port, uint32_t scope, int want_family,
		 struct sockaddr *sa, socklen_t *len);
/* Text form into buf (INET6_ADDRSTRLEN bytes): dotted quad for IPv4. */
const char *rs_ip_str(const struct rs_ip *ip, char *buf, size_t size);

#endif
