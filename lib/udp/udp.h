/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RS_UDP_H
#define RS_UDP_H

#include "sock/sock.h"

/* Largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header). */
#define UDP_MAX_PAYLOAD4 65507

extern const struct sock_proto udp_proto;

#endif
