/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DIR-24-8 lookup table for the IPv4 FIB (Gupta, Lin, McKeown 1998; the
 * structure of rte_lpm and rte_fib's dir24_8).
 *
 * Why not rte_lpm / rte_fib (measured, DPDK 22.11): rte_lpm keeps its rules
 * in a flat array per prefix length and scans it on every add, so a million
 * /24s load in quadratic time (375 s); rte_fib's tbl8 reservation count leaks
 * on delete, so route churn ends in -ENOSPC with groups still free (see
 * tests/unit/dp/test_fib4.c), and it has no RCU hook. Here the rules live in
 * fib4's own route store (which it keeps anyway), lookups are two inline
 * loads, and a freed tbl8 group is reused only after an RCU grace period.
 *
 * An entry is 32 bits: VALID | EXT | depth (6 bits) | value (24 bits). In
 * tbl24, EXT means value is a tbl8 group index; otherwise value is the next
 * hop of the route of length depth that owns the address. Writers (the
 * control thread only) store whole entries, so a reader sees each entry old
 * or new, never torn; a tbl8 group is filled before the tbl24 entry that
 * points to it is published (release store).
 */
#ifndef RS_DIR24_H
#define RS_DIR24_H

#include <stdint.h>

#define D24_VALID 0x80000000u
#define D24_EXT 0x40000000u
#define D24_DEPTH_SHIFT 24
#define D24_DEPTH_MASK 0x3f000000u
#define D24_VAL_MASK 0x00ffffffu

extern uint32_t *dir24_tbl24;
extern uint32_t *dir24_tbl8;

/* The entry owning ip: D24_VALID set and value = next hop, or 0. */
static inline uint32_t dir24_lookup(uint32_t ip)
{
	uint32_t e = __atomic_load_n(&dir24_tbl24[ip >> 8], __ATOMIC_ACQUIRE);
	if (__builtin_expect((e & D24_EXT) != 0, 0))
		e = __atomic_load_n(&dir24_tbl8[((e & D24_VAL_MASK) << 8) | (ip & 0xff)],
				    __ATOMIC_RELAXED);
	return e;
}

int dir24_init(uint32_t ntbl8);
void dir24_fini(void);
/* Makes prefix/len map to nh (< 2^24) wherever no longer prefix owns the
 * address. 0, or -ENOSPC when a tbl8 group is needed and none is free (then
 * nothing changed). */
int dir24_add(uint32_t prefix, uint8_t len, uint32_t nh);
/* Gives the addresses prefix/len owns to the covering route repl_len/repl_nh
 * (repl_len < 0: to nobody). Frees tbl8 groups left without a longer prefix,
 * after a grace period. */
void dir24_del(uint32_t prefix, uint8_t len, int repl_len, uint32_t repl_nh);
uint32_t dir24_tbl8_free(void);

#endif
