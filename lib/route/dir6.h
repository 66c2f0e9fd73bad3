/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multibit trie for the IPv6 FIB: a 2^24-entry first level indexed by the
 * first three bytes, then 256-entry groups, one level per further byte (at
 * most 13). It is dir24.h (DIR-24-8) carried down to /128: the same entry
 * format idea, the same writer rules, the same RCU reuse of groups.
 *
 * Why not DPDK's rte_fib6 (DPDK 22.11, measured with
 * tests/unit/dp/bench_fib6; docs/divergences.md "FIB6"): its trie reserves,
 * per route, a group for every level below the first, whether or not the
 * route shares them (3 for a /48, 5 for a /64), and its 2-byte entries cap
 * the groups at 32,767: the table fills at ~10,900 /48s. With 4-byte
 * entries the cap goes, but the groups are allocated up front for the
 * worst case (perf/fib6_routes.py's 200,000 routes: 566,625 groups, 699 MiB
 * of DPDK heap, more than ringstackd's "-m 512"), it loads several times
 * slower, its reservation count leaks on delete (churn ends in -ENOSPC with
 * the table empty), and it has no RCU hook. Here a group exists only while a prefix needs it, groups are
 * shared by every prefix below them, and both tables are anonymous memory
 * reserved but touched only where used.
 *
 * An entry is 32 bits: VALID | EXT | depth (8 bits, 0-128) | value (22
 * bits). EXT: value is the group of the next byte; otherwise value is the
 * next hop of the route of length depth owning the address. Writers (the
 * control thread only) store whole entries; a group is filled before the
 * entry pointing to it is published (release store), and a group folded
 * back into its parent is reused only after a grace period.
 */
#ifndef RS_DIR6_H
#define RS_DIR6_H

#include <stddef.h>
#include <stdint.h>

#define D6_VALID 0x80000000u
#define D6_EXT 0x40000000u
#define D6_DEPTH_SHIFT 22
#define D6_DEPTH_MASK 0x3fc00000u
#define D6_VAL_MASK 0x003fffffu
#define D6_TBL8_MAX (1u << 22) /* groups an entry can name */

extern uint32_t *dir6_tbl24;
extern uint32_t *dir6_tbl8;
/* ::/0 is not in the tables: an address no longer prefix owns has entry 0
 * there and gets this one (0: no default route). Writing ::/0 into the
 * first level would rewrite all 2^24 entries (64 MiB) at each change of
 * the default route, and an RA flood changes it thousands of times. */
extern uint32_t dir6_def;

/* The entry owning a (network order): D6_VALID set and value = next hop,
 * or 0. Groups at the last byte never hold D6_EXT (bounded walk). */
static inline uint32_t dir6_lookup(const uint8_t a[16])
{
	uint32_t e = __atomic_load_n(
		&dir6_tbl24[(uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2]], __ATOMIC_ACQUIRE);
	for (unsigned i = 3; (e & D6_EXT) && i < 16; i++)
		e = __atomic_load_n(&dir6_tbl8[(size_t)(e & D6_VAL_MASK) << 8 | a[i]],
				    __ATOMIC_ACQUIRE);
	if (!(e & D6_VALID))
		e = __atomic_load_n(&dir6_def, __ATOMIC_ACQUIRE);
	return e;
}

/* dir6_lookup, and in *nbytes how many leading bytes of a the walk read
 * (3 to 16): every address that shares them with a gets the same entry,
 * the leaf being the same (ip6_fastpath keeps the last one as a memo). */
static inline uint32_t dir6_lookup_leaf(const uint8_t a[16], unsigned *nbytes)
{
	uint32_t e = __atomic_load_n(
		&dir6_tbl24[(uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2]], __ATOMIC_ACQUIRE);
	unsigned i = 3;
	for (; (e & D6_EXT) && i < 16; i++)
		e = __atomic_load_n(&dir6_tbl8[(size_t)(e & D6_VAL_MASK) << 8 | a[i]],
				    __ATOMIC_ACQUIRE);
	*nbytes = i;
	if (!(e & D6_VALID))
		e = __atomic_load_n(&dir6_def, __ATOMIC_ACQUIRE);
	return e;
}

/* ntbl8 groups (at most D6_TBL8_MAX), 1 KiB each, reserved, not touched. */
int dir6_init(uint32_t ntbl8);
void dir6_fini(void);
/* Makes prefix/len (masked) map to nh (<= D6_VAL_MASK) wherever no longer
 * prefix owns the address. 0, or -ENOSPC when the groups it needs are not
 * free (then nothing changed). */
int dir6_add(const uint8_t prefix[16], uint8_t len, uint32_t nh);
/* Gives the addresses prefix/len owns to the covering route repl_len /
 * repl_nh (repl_len < 0: to nobody); groups left without a longer prefix
 * fold into their parent and are reused after a grace period. */
void dir6_del(const uint8_t prefix[16], uint8_t len, int repl_len, uint32_t repl_nh);
/* groups in use (including those waiting for a grace period) */
uint32_t dir6_tbl8_used(void);
uint32_t dir6_tbl8_total(void);

#endif
