/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input format of the fuzz_app harness (hostile applications against the
 * socket layer), shared with its seed generator.
 *
 * An input is a sequence of records, each [u8 op][operands]; a record cut
 * short by the end of the input is ignored. "app" is one byte whose low
 * bit names the application: 0 is A (hostile: may write anything anywhere
 * in its segment), 1 is B (well-behaved: only what libringsock would do).
 *
 *   FA_OP_ATTACH  u8 app: connect and attach (nothing when attached)
 *   FA_OP_DETACH  u8 app: hang up (its requests may still be in flight)
 *   FA_OP_REQ     u8 app, u8 op, u8 sd, u8 a0, u8 a1, u8 a2, u8 addr,
 *                 u8 port, u8 flags, u8 optlen, optlen bytes: one request
 *                 record (rs_sreq). op % FA_NSOP picks the request (0:
 *                 an undefined one); sd < 0xf0 is the (sd % n)th
 *                 descriptor the app holds, else a special value; a0..a2
 *                 pick from per-request tables (socket kinds, option
 *                 names, backlogs, shutdown modes); addr and port pick
 *                 from fa_addrs / fa_ports. flags FA_R_NOKICK: no kick
 *                 yet (a batch), FA_R_RAWARGS (A only): a0..a2 are taken
 *                 as they are.
 *   FA_OP_KICK    u8 app, u8 n: A: n kick bytes whatever is queued; B: one
 *                 per request queued
 *   FA_OP_POKE    u8 region, u8 idx, u16le off, u8 width, u64le value:
 *                 A writes value (width 1, 2, 4 or 8) into its segment:
 *                 region % FA_NREG picks the segment header, a control
 *                 ring, a doorbell ring, socket slot idx, a socket's ring
 *                 data, or anywhere (off scaled over the whole segment)
 *   FA_OP_SEND    u8 app, u8 sd, u16le len, u8 addr, u8 port, u8 flags:
 *                 writes len bytes (datagram: one record with its meta, to
 *                 fa_addrs[addr]:fa_ports[port]) into the socket's tx ring;
 *                 FA_S_BELL: and rings its doorbell as libringsock does;
 *                 FA_S_BADMETA (A only): the meta length is wrong
 *   FA_OP_RECV    u8 app, u8 sd, u8 n: reads up to n records / n * 256
 *                 bytes from the socket's rx ring
 *   FA_OP_BELL    u8 app, u8 worker, u32le sd: a raw doorbell record (A
 *                 only; for B the socket's own, as FA_S_BELL)
 *   FA_OP_POLL    u8 n: n + 1 rounds of worker and control loop
 *   FA_OP_CLOCK   u16le v: the clock moves v * 4 ms on, timers run
 *   FA_OP_INJECT  u8 kind, u8 sport, u8 dport, u8 tcpflags, u8 reply,
 *                 u8 len: a packet from the peer (10.0.0.2) to
 *                 10.0.0.1: kind & 1: TCP (else UDP), kind & 2: a bad
 *                 checksum; ports from fa_ports; TCP with reply < 0x80
 *                 answers the (reply % 8)th segment the daemon sent last
 *                 (sequence numbers fitting), else raw numbers; len bytes
 *                 of payload
 *
 * After the last record the harness checks B, detaches both, lets every
 * timer run out and checks that everything is released (fuzz_app.c).
 */
#ifndef FUZZ_APP_FORMAT_H
#define FUZZ_APP_FORMAT_H

#define FA_OP_ATTACH 0
#define FA_OP_DETACH 1
#define FA_OP_REQ 2
#define FA_OP_KICK 3
#define FA_OP_POKE 4
#define FA_OP_SEND 5
#define FA_OP_RECV 6
#define FA_OP_BELL 7
#define FA_OP_POLL 8
#define FA_OP_CLOCK 9
#define FA_OP_INJECT 10
#define FA_NOPS 11

#define FA_NSOP 12 /* 0, then RS_SOP_SOCKET .. RS_SOP_SHUTDOWN */

#define FA_R_NOKICK 0x01
#define FA_R_RAWARGS 0x02

#define FA_S_BELL 0x01
#define FA_S_BADMETA 0x02

/* POKE regions */
#define FA_REG_HDR 0
#define FA_REG_CTRL 1
#define FA_REG_BELL 2
#define FA_REG_SLOT 3
#define FA_REG_RINGDATA 4
#define FA_REG_ANY 5
#define FA_NREG 6

/* Injected TCP flags: the low six bits as on the wire. */

/* Addresses (host order) and ports the selectors pick from. */
#define FA_ADDRS                                                                               \
	0x00000000u, 0x0a000001u, 0x0a000002u, 0x7f000001u, 0x0a000003u, 0xc0a80101u,        \
	0xffffffffu, 0xe0000001u
#define FA_PORTS 0, 7000, 7001, 7002, 7003, 9000, 9001, 65535

#endif
