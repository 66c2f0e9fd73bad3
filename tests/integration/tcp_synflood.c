/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A SYN flooder for tests/integration/tcp_adversarial_test.sh: complete
 * Ethernet frames written to an AF_PACKET socket in batches (sendmmsg), as
 * fast as the link takes them.
 *
 *   tcp_synflood IFACE DST_MAC SRC_IP DST_IP DST_PORT SECONDS
 *
 * Every SYN has a new source port and ISN (xorshift), an MSS option and a
 * valid checksum, from SRC_IP (spoofed: the test points it at a MAC nobody
 * answers from). Prints "sent N in S s (R/s)".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 58 /* 14 Ethernet + 20 IPv4 + 24 TCP (MSS option) */
#define BATCH 64

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t
csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
parse_mac(const char *s, uint8_t *m)
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t frames[BATCH][FRAME], dmac[6], smac[6];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct in_addr src, dst;
	struct ifreq ifr;
	uint64_t x = 0x2545f4914f6cdd1dull, sent = 0;

	if (argc != 7 || parse_mac(argv[2], dmac) < 0 || inet_pton(AF_INET, argv[3], &src) != 1 ||
	    inet_pton(AF_INET, argv[4], &dst) != 1) {
		fprintf(stderr, "usage: tcp_synflood IFACE DST_MAC SRC_IP DST_IP DST_PORT SECONDS\n");
		return 2;
	}
	int port = atoi(argv[5]);
	double secs = atof(argv[6]);
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bind");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		uint8_t *f = frames[i];

		memset(f, 0, FRAME);
		memcpy(f, dmac, 6);
		memcpy(f + 6, smac, 6);
		f[12] = 0x08;
		uint8_t *ip = f + 14;
		ip[0] = 0x45;
		ip[2] = 0;
		ip[3] = 44;
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, &src, 4);
		memcpy(ip + 16, &dst, 4);
		uint8_t *t = ip + 20;
		t[2] = (uint8_t)(port >> 8);
		t[3] = (uint8_t)port;
		t[12] = 6 << 4;
		t[13] = 0x02; /* SYN */
		t[14] = 0xfa;
		t[15] = 0xf0;
		t[20] = 2; /* MSS 1460 */
		t[21] = 4;
		t[22] = 0x05;
		t[23] = 0xb4;
		iov[i].iov_base = f;
		iov[i].iov_len = FRAME;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	double t0 = now_s(), end = t0 + secs;
	uint16_t id = 1;
	while (now_s() < end) {
		for (int i = 0; i < BATCH; i++) {
			uint8_t *ip = frames[i] + 14, *t = ip + 20;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			uint16_t sport = (uint16_t)(1024 + (x % 64000));
			ip[4] = (uint8_t)(id >> 8);
			ip[5] = (uint8_t)id;
			id++;
			ip[10] = ip[11] = 0;
			uint16_t c = csum_fold(csum_add(0, ip, 20));
			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
			t[0] = (uint8_t)(sport >> 8);
			t[1] = (uint8_t)sport;
			memcpy(t + 4, (uint8_t *)&x + 4, 4);
			t[16] = t[17] = 0;
			uint32_t s = csum_add(0, ip + 12, 8) + IPPROTO_TCP + 24;
			c = csum_fold(csum_add(s, t, 24));
			t[16] = (uint8_t)(c >> 8);
			t[17] = (uint8_t)c;
		}
		int n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("sendmmsg");
			return 1;
		}
		sent += (uint64_t)n;
	}
	double dt = now_s() - t0;
	printf("sent %llu in %.2f s (%.0f/s)\n", (unsigned long long)sent, dt, sent / dt);
	return 0;
}
