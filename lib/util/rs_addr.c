/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "util/rs_addr.h"

int rs_ip_from_sa(const struct sockaddr *sa, socklen_t len, struct rs_ip *ip, uint16_t *port,
		  uint32_t *scope)
{
	sa_family_t fam;

	if (sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&fam, &sa->sa_family, sizeof(fam));
	if (fam == AF_INET) {
		struct sockaddr_in sin;
		if (len < (socklen_t)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		*ip = rs_ip_from4(ntohl(sin.sin_addr.s_addr));
		*port = ntohs(sin.sin_port);
		*scope = 0;
		return 0;
	}
	if (fam == AF_INET6) {
		struct sockaddr_in6 sin6;
		if (len < (socklen_t)sizeof(sin6))
			return -EINVAL;
		memcpy(&sin6, sa, sizeof(sin6));
		*ip = rs_ip_from6(sin6.sin6_addr.s6_addr);
		*port = ntohs(sin6.sin6_port);
		*scope = sin6.sin6_scope_id;
		return 0;
	}
	return -EAFNOSUPPORT;
}

void rs_ip_to_sa(const struct rs_ip *ip, uint16_t port, uint32_t scope, int want_family,
		 struct sockaddr *sa, socklen_t *len)
{
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	socklen_t full;

	memset(&u, 0, sizeof(u));
	if (want_family != AF_INET6 && rs_ip_is4(ip)) {
		u.sin.sin_family = AF_INET;
		u.sin.sin_port = htons(port);
		u.sin.sin_addr.s_addr = htonl(rs_ip_v4(ip));
		full = sizeof(u.sin);
	} else {
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_port = htons(port);
		memcpy(u.sin6.sin6_addr.s6_addr, ip->b, 16);
		u.sin6.sin6_scope_id = scope;
		full = sizeof(u.sin6);
	}
	if (sa != NULL && len != NULL)
		memcpy(sa, &u, *len < full ? *len : full);
	if (len != NULL)
		*len = full;
}

const char *rs_ip_str(const struct rs_ip *ip, char *buf, size_t size)
{
	if (rs_ip_is4(ip))
		return inet_ntop(AF_INET, ip->b + 12, buf, (socklen_t)size);
	return inet_ntop(AF_INET6, ip->b, buf, (socklen_t)size);
}
