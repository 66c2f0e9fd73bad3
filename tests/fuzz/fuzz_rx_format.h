/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input format of the fuzz_rx harness, shared with its seed generator.
 *
 * An input is a sequence of records:  [u8 op][u16 len, little endian][payload]
 *
 *   op & 7 == FZ_OP_CLOCK   advance the clock by len milliseconds (0..65.5 s),
 *                           then one worker walk; no payload
 *   op & 7 == FZ_OP_CTL     ctl_poll_workers() (worker -> control messages,
 *                           neighbor timers) then worker walks; no payload
 *   op & 7 == FZ_OP_POLL    worker walks only; no payload
 *   anything else           inject the len payload bytes as one received frame
 *                           on port0, or on port1 for op & 7 == FZ_OP_INJECT_P1
 *                           (at most FZ_MAX_FRAME; a short record takes what is
 *                           left), then worker walks unless FZ_F_NOPOLL;
 *                           flags for inject records:
 *     FZ_F_OURMAC   overwrite the destination MAC with the port's
 *     FZ_F_IPCSUM   recompute the IPv4 header checksum (ethertype 0x0800)
 *     FZ_F_L4CSUM   recompute the ICMP / UDP checksum of an unfragmented
 *                   datagram (over what the frame holds of it)
 *     FZ_F_SEGS     deliver as a chain of small segments: the first payload
 *                   byte s is not part of the frame; segments hold 16 + 8*s
 *                   bytes (frames above the mbuf data room are always chains)
 *     FZ_F_NOPOLL   leave the frame in the RX ring: the next walk takes a
 *                   burst of several frames
 *
 * A trailing record shorter than 3 bytes is ignored. After the last record
 * the harness advances the clock past every timeout and checks that every
 * mbuf came back to the pool.
 */
#ifndef FUZZ_RX_FORMAT_H
#define FUZZ_RX_FORMAT_H

#define FZ_OP_KIND_MASK 0x07
#define FZ_OP_INJECT 0x00 /* port0; also 5..7 */
#define FZ_OP_INJECT_P1 0x04 /* port1 */
#define FZ_OP_CLOCK 0x01
#define FZ_OP_CTL 0x02
#define FZ_OP_POLL 0x03

#define FZ_F_NOPOLL 0x08
#define FZ_F_SEGS 0x10
#define FZ_F_L4CSUM 0x20
#define FZ_F_IPCSUM 0x40
#define FZ_F_OURMAC 0x80

#define FZ_MAX_FRAME 9018 /* 9000-byte jumbo payload + Ethernet header + VLAN tag */

/* The configuration the harness applies (host byte order). */
#define FZ_IP_A 0x0a000001u       /* 10.0.0.1/24 on port0 */
#define FZ_IP_B 0x0a010001u       /* 10.1.0.1/16 on port0 */
#define FZ_IP_PEER 0x0a000002u    /* static neighbor 10.0.0.2 */
#define FZ_PEER_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }
#define FZ_IP_UNRES 0x0a000063u   /* 10.0.0.99: on link, never answers ARP */
#define FZ_IP_FAR 0xc0a80105u     /* 192.168.1.5: via 10.0.0.2 */
#define FZ_IP_FAR_UNRES 0xac100005u /* 172.16.0.5: via 10.0.0.3 (unresolved) */
#define FZ_IP_BLACKHOLE 0xc6336405u /* 198.51.100.5: blackhole route */
#define FZ_IP_UNREACH 0xc6336505u   /* 198.51.101.5: unreachable route */
#define FZ_IP_PROHIBIT 0xc6336605u  /* 198.51.102.5: prohibit route */
#define FZ_IP_C 0x0a020001u         /* 10.2.0.1/24 on port1 (MTU 1280) */
#define FZ_IP_PEER1 0x0a020002u     /* static neighbor 10.2.0.2 on port1 */
#define FZ_PEER1_MAC { 0x02, 0x00, 0x00, 0x00, 0x01, 0x02 }
#define FZ_IP_FAR1 0xcb007105u      /* 203.0.113.5: via 10.2.0.2 (port1) */

#endif
