/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input format of the fuzz_ctl harness (the management protocol), shared
 * with its seed generator.
 *
 * An input is a sequence of records, each [u8 op][operands]; a record cut
 * short by the end of the input is ignored.
 *
 *   FC_OP_RAW    u16le n, n bytes: sent on the connection as they are
 *                (after the harness's filter, see fuzz_ctl.c)
 *   FC_OP_REQ    u8 flags, u8 argc (1..FC_MAX_WORDS), then per word: u8 w;
 *                w < FC_NDICT is dictionary word w (fc_dict below), else
 *                u8 len and len bytes; encoded as one request frame
 *   FC_OP_POLL   u8 n: n rounds of the control loop (and the worker)
 *   FC_OP_CLIENT u8 flags: hang up (FC_C_HALF: shut down writing first and
 *                let the daemon see it) and connect again, as an
 *                administrator when FC_C_ADMIN is set
 *   FC_OP_READ   u8 on: whether the harness reads its answers (off: the
 *                daemon's backpressure is reached)
 *   FC_OP_CLOCK  u16le ms: the clock moves on, timers run
 *   FC_OP_CHUNK  u8 n: from now on bytes are written n + 1 at a time, with
 *                a round of the control loop after each write
 *
 * The first connection is an administrator's. After the last record the
 * harness reads every answer, hangs up, puts the configuration back and
 * checks it (see fuzz_ctl.c).
 */
#ifndef FUZZ_CTL_FORMAT_H
#define FUZZ_CTL_FORMAT_H

#define FC_OP_RAW 0
#define FC_OP_REQ 1
#define FC_OP_POLL 2
#define FC_OP_CLIENT 3
#define FC_OP_READ 4
#define FC_OP_CLOCK 5
#define FC_OP_CHUNK 6
#define FC_NOPS 7

#define FC_C_ADMIN 0x1
#define FC_C_HALF 0x2

#define FC_MAX_WORDS 24

/* Words of every command the dispatcher knows, and values that parse. */
#define FC_DICT_WORDS                                                                          \
	"link", "addr", "route", "neigh", "stats", "sock", "show", "list", "add", "del",        \
	"delete", "set", "flush", "replace", "get", "clear", "reset", "dev", "via", "metric",  \
	"nexthop", "lladdr", "devargs", "up", "down", "mtu", "address", "forwarding", "on",    \
	"off", "auto", "all", "default", "blackhole", "unreachable", "prohibit", "port0",      \
	"port1", "fz2", "10.0.0.1/24", "10.0.0.2", "10.0.0.3", "10.0.0.0/24", "10.1.0.1/16",   \
	"10.2.0.1/24", "10.2.0.2", "10.9.0.0/16", "192.168.0.0/16", "0.0.0.0/0", "1500",       \
	"1280", "68", "9000", "02:00:00:00:00:02", "02:00:00:00:00:09", "net_null0",           \
	"net_null1", "10", "0", "4294967295", "255.255.255.255", "127.0.0.1", "224.0.0.1/4",  \
	"10.0.0.255", "s", "a", "d", "r", "l", "n", "impair", "loss", "delay", "jitter",      \
	"reorder", "duplicate", "corrupt", "seed", "direction", "in", "out", "both", "2%",    \
	"100%", "0.1%", "20ms", "5", "10000"

static const char *const fc_dict[] = { FC_DICT_WORDS };
#define FC_NDICT (sizeof(fc_dict) / sizeof(fc_dict[0]))

#endif
