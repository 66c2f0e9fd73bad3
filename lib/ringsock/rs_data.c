/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock, data side: datagrams go straight between the application
 * and the worker through the socket's record rings (lib/sock/sock_shm.h);
 * no control operation, no system call on the fast path. System calls
 * happen only to sleep: on the socket's eventfd for receiving (the worker
 * signals it when app_wait is set), with short sleeps for a full transmit
 * ring (the daemon does not signal room).
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ringstack/socket.h"
#include "rs_priv.h"

/* Sleep slice while the transmit ring is full. */
#define RS_TX_SLEEP_NS 50000
/* The longest iovec array, as the kernel's UIO_MAXIOV. */
#define RS_IOV_MAX 1024

static ssize_t
fail(int err)
{
	errno = err;
	return -1;
}

/* Absolute deadline for a timeout in ns (0: none) -> 0 = forever. */
static int64_t
deadline_of(int64_t timeo)
{
	return timeo == 0 ? 0 : rs_now_ns() + timeo;
}

/*
 * Sending.
 */

/* Ring the doorbell unless the worker already has one pending for us. */
int
rs_doorbell(struct rs_sock *s)
{
	struct rs_doorbell db = { .sd = (uint32_t)s->sd };
	struct iovec iov = { &db, sizeof(db) };
	int rc;

	/* seq_cst exchange after the release publish of the datagram: the
	 * worker stores tx_armed = 0 and then looks at the ring again, so
	 * either it sees our datagram or we see 0 and ring (sock_shm.h). */
	if (atomic_exchange(&s->shm->tx_armed, 1) != 0)
		return 0;
	/* The ring of the worker that owns the socket (the daemon's word; a
	 * value out of range is its bug, and any ring is then as good). */
	uint32_t w = atomic_load_explicit(&s->shm->worker, memory_order_relaxed);
	if (w >= rs_g.nworkers)
		w = 0;
	pthread_mutex_lock(&rs_bell_lock[w]);
	/* Other processes ring the same doorbell ring after a fork. */
	bool shared = rs_forked();
	if (shared) {
		rs_plock(&rs_g.procs->bell[w]);
		shm_ring_resync(&rs_g.bell[w]);
	}
	for (;;) {
		rc = shm_rec_write(&rs_g.bell[w], NULL, 0, &iov, 1, 0);
		if (rc != -EAGAIN)
			break;
		/* The doorbell must not be lost: tx_armed stays 1 until the
		 * worker has seen it, so nobody else will ring for us. */
		if (rs_daemon_gone()) {
			rc = -ECONNRESET;
			break;
		}
		nanosleep(&(struct timespec){ 0, RS_TX_SLEEP_NS }, NULL);
	}
	if (shared)
		pthread_mutex_unlock(&rs_g.procs->bell[w]);
	pthread_mutex_unlock(&rs_bell_lock[w]);
	return rc == 0 ? 0 : rc == -ECONNRESET ? ECONNRESET : EPROTO;
}

/* An IPv4 address (network order) in the segment's form (IPv4-mapped). */
static void
ip4_mapped(uint8_t out[16], uint32_t ip_be)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &ip_be, 4);
}

/*
 * Whether ip (struct rs_ip form) is one of the daemon's addresses (bcast
 * false) or subnet broadcast addresses (bcast true): 1, 0, or -1 when that
 * is not known (none published, too many, a writer that does not finish).
 * Reads the list in place under its sequence counter (sock_shm.h): n and
 * the entries are the daemon's, bounded here, never trusted further.
 */
static int
addrs_has(const uint8_t ip[16], bool bcast)
{
	static const uint8_t zero[16];
	const struct rs_shm_addrs *d = rs_g.addrs;

	if (d == NULL || memcmp(ip, zero, 16) == 0)
		return -1;
	for (int tries = 0; tries < 64; tries++) {
		uint32_t s1 = atomic_load_explicit(&d->seq, memory_order_acquire);
		uint32_t n, truncated;
		bool found = false;

		if (s1 & 1) {
			rs_relax();
			continue;
		}
		n = *(const volatile uint32_t *)&d->n;
		truncated = *(const volatile uint32_t *)&d->truncated;
		if (n > RS_SHM_MAX_ADDRS)
			n = RS_SHM_MAX_ADDRS;
		for (uint32_t i = 0; i < n && !found; i++) {
			struct rs_shm_addr e;

			memcpy(&e, (const void *)&d->a[i], sizeof(e));
			found = memcmp(bcast ? e.bcast : e.addr, ip, 16) == 0;
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&d->seq, memory_order_relaxed) != s1)
			continue;
		return found ? 1 : truncated ? -1 : 0;
	}
	return -1;
}

/* Bytes queued in the tx ring: prod is ours, cons the worker's (acquire,
 * as the ring's producer does). More than the ring's size: corrupted by
 * the daemon, which the next write reports. */
static uint32_t
tx_used(const struct rs_sock *s)
{
	uint32_t prod = atomic_load_explicit(&s->tx.hdr->prod, memory_order_relaxed);
	uint32_t cons = atomic_load_explicit(&s->tx.hdr->cons, memory_order_acquire);

	return prod - cons;
}

/* Write one record, waiting for room as the socket's mode says. Under
 * tx_lock. 0 or an errno. */
static int
tx_write(struct rs_sock *s, const struct rs_tx_meta *meta,
	 const struct iovec *iov, int iovcnt, int flags)
{
	int64_t deadline = 0, spin_end = 0;
	int rc;

	for (;;) {
		/* SO_SNDBUF as Linux's sock_alloc_send_pskb: a datagram may be
		 * queued while less than sndbuf bytes are (so one always
		 * fits); the ring's own room is the hard bound. */
		uint32_t used = tx_used(s);

		if (used <= s->tx.size && used >= (uint32_t)atomic_load(&s->sndbuf))
			rc = -EAGAIN;
		else
			rc = shm_rec_write(&s->tx, meta, sizeof(*meta), iov, iovcnt, 0);
		if (rc == 0)
			return 0;
		if (rc != -EAGAIN)
			/* EMSGSIZE: the ring is smaller than the datagram. */
			return rc == -EMSGSIZE ? EMSGSIZE : EPROTO;
		if (atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT))
			return EAGAIN;
		if (atomic_load(&s->closed))
			return EBADF;
		if (atomic_load(&s->shut) & RS_SHUT_WR)
			return EPIPE;
		if (rs_daemon_gone())
			return ECONNRESET;
		if (spin_end == 0) {
			spin_end = rs_now_ns() + rs_spin_ns();
			deadline = deadline_of(atomic_load(&s->sndtimeo));
		}
		if (rs_now_ns() < spin_end) {
			rs_relax();
			continue;
		}
		if (deadline != 0 && rs_now_ns() >= deadline)
			return EAGAIN;
		nanosleep(&(struct timespec){ 0, RS_TX_SLEEP_NS }, NULL);
	}
}

/* Control messages of sendmsg: IP_PKTINFO, IP_TOS, IP_TTL as
 * ip_cmsg_send() checks them. 0 or an errno. */
static int
tx_cmsgs(const struct msghdr *msg, struct rs_tx_meta *meta)
{
	struct cmsghdr *c;
	int v;

	if (msg->msg_controllen == 0)
		return 0;
	if (msg->msg_control == NULL)
		return EFAULT;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_len < sizeof(*c) ||
		    c->cmsg_len > msg->msg_controllen -
				  (size_t)((uint8_t *)c - (uint8_t *)msg->msg_control))
			return EINVAL;
		if (c->cmsg_level == IPPROTO_IPV6) {
			/* ip6_datagram_send_ctl */
			switch (c->cmsg_type) {
			case IPV6_PKTINFO: {
				struct in6_pktinfo pi;

				if (c->cmsg_len != CMSG_LEN(sizeof(pi)))
					return EINVAL;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				memcpy(meta->src, pi.ipi6_addr.s6_addr, 16);
				meta->ifindex = (int32_t)pi.ipi6_ifindex;
				if (meta->ifindex < 0)
					return ENODEV;
				break;
			}
			case IPV6_HOPLIMIT:
				if (c->cmsg_len != CMSG_LEN(sizeof(int)))
					return EINVAL;
				memcpy(&v, CMSG_DATA(c), sizeof(v));
				if (v < -1 || v > 255)
					return EINVAL;
				meta->ttl = (int16_t)v;
				break;
			case IPV6_TCLASS:
				if (c->cmsg_len != CMSG_LEN(sizeof(int)))
					return EINVAL;
				memcpy(&v, CMSG_DATA(c), sizeof(v));
				if (v < -1 || v > 255)
					return EINVAL;
				meta->tos = (int16_t)v;
				break;
			default:
				return EINVAL;
			}
			continue;
		}
		if (c->cmsg_level != IPPROTO_IP)
			return EINVAL;
		switch (c->cmsg_type) {
		case IP_PKTINFO: {
			struct in_pktinfo pi;

			if (c->cmsg_len != CMSG_LEN(sizeof(pi)))
				return EINVAL;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (pi.ipi_spec_dst.s_addr != 0)
				ip4_mapped(meta->src, pi.ipi_spec_dst.s_addr);
			if (pi.ipi_ifindex < 0)
				return ENODEV;
			meta->ifindex = pi.ipi_ifindex;
			break;
		}
		case IP_TTL:
			if (c->cmsg_len != CMSG_LEN(sizeof(int)))
				return EINVAL;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			if (v < 1 || v > 255)
				return EINVAL;
			meta->ttl = (int16_t)v;
			break;
		case IP_TOS:
			if (c->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&v, CMSG_DATA(c), sizeof(v));
			else if (c->cmsg_len == CMSG_LEN(sizeof(uint8_t)))
				v = *CMSG_DATA(c);
			else
				return EINVAL;
			if (v < 0 || v > 255)
				return EINVAL;
			meta->tos = (int16_t)v;
			break;
		default:
			return EINVAL;
		}
	}
	return 0;
}

ssize_t
rs_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct rs_tx_meta meta = { .tos = -1, .ttl = -1 };
	struct sockaddr_in sin;
	struct rs_sock *s;
	size_t len = 0, i;
	int err;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	if (msg == NULL) {
		err = EFAULT;
		goto out;
	}
	/* The order of udp_sendmsg's checks. */
	if (msg->msg_iovlen > RS_IOV_MAX) {
		err = EMSGSIZE;
		goto out;
	}
	if (msg->msg_iovlen > 0 && msg->msg_iov == NULL) {
		err = EFAULT;
		goto out;
	}
	if (s->stream) {
		ssize_t r = rs_stream_sendmsg(s, msg, flags);

		rs_sock_put(s);
		return r;
	}
	/* Linux binds an unbound socket to an ephemeral port on its first
	 * send, in inet_send_prepare, before udp_sendmsg checks anything:
	 * even a send that fails below leaves the socket bound. Only the
	 * control thread may publish the binding, so ask it here. */
	if (!atomic_load(&s->bound)) {
		struct sockaddr_in any = { .sin_family = AF_INET };
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
		int brc = s->domain == AF_INET6 ?
			rs_bind(fd, (struct sockaddr *)&any6, sizeof(any6)) :
			rs_bind(fd, (struct sockaddr *)&any, sizeof(any));
		if (brc < 0 && errno != EINVAL) {
			err = errno;
			goto out;
		}
		atomic_store(&s->bound, true);
	}
	for (i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > RS_UDP_MAX) {
			len = RS_UDP_MAX + 1;
			break;
		}
		len += msg->msg_iov[i].iov_len;
	}
	if (len > RS_UDP_MAX) {
		err = EMSGSIZE;
		goto out;
	}
	if (flags & MSG_OOB) {
		err = EOPNOTSUPP;
		goto out;
	}
	if (msg->msg_name != NULL && s->domain == AF_INET6) {
		/* udpv6_sendmsg: AF_INET6, or AF_INET for the IPv4 path */
		err = rs_sa6_in(msg->msg_name, msg->msg_namelen, &meta.to, true);
		if (err != 0)
			goto out;
		if (meta.to.port == 0) {
			err = EINVAL;
			goto out;
		}
		/* udpv6_sendmsg: an IPv4(-mapped) peer of an IPV6_V6ONLY socket */
		static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };
		if (atomic_load(&s->v6only) && memcmp(meta.to.addr, pfx, 12) == 0) {
			err = ENETUNREACH;
			goto out;
		}
		/* bound to an IPv6 address, the IPv4 path has no source
		 * (udp_sendmsg's route fails); bound to an IPv4-mapped one,
		 * IPv6 has none (ip6_dst_lookup_tail) */
		if (atomic_load(&s->bound6) == RS_BOUND6_V6 && memcmp(meta.to.addr, pfx, 12) == 0) {
			err = ENETUNREACH;
			goto out;
		}
		if (atomic_load(&s->bound6) == RS_BOUND6_MAPPED && memcmp(meta.to.addr, pfx, 12) != 0) {
			err = EAFNOSUPPORT;
			goto out;
		}
	} else if (msg->msg_name != NULL) {
		if (msg->msg_namelen < sizeof(sin)) {
			err = EINVAL;
			goto out;
		}
		memcpy(&sin, msg->msg_name, sizeof(sin));
		/* AF_UNSPEC passes for AF_INET, as in udp_sendmsg. */
		if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC) {
			err = EAFNOSUPPORT;
			goto out;
		}
		if (sin.sin_port == 0) {
			err = EINVAL;
			goto out;
		}
		meta.to.family = AF_INET;
		meta.to.port = ntohs(sin.sin_port);
		ip4_mapped(meta.to.addr, sin.sin_addr.s_addr);
	} else if (!atomic_load(&s->connected)) {
		err = EDESTADDRREQ;
		goto out;
	}
	err = tx_cmsgs(msg, &meta);
	if (err != 0)
		goto out;
	/* What udp_sendmsg's output route decides, in its order: a source
	 * (IP_PKTINFO) that is not ours finds no route; a broadcast
	 * destination needs SO_BROADCAST. The worker checks both again. */
	static const uint8_t bcast_all[16] = { [10] = 0xff, [11] = 0xff, [12] = 0xff, [13] = 0xff,
					       [14] = 0xff, [15] = 0xff };
	static const uint8_t none[16];
	if (memcmp(meta.src, none, 16) != 0 && s->domain == AF_INET &&
	    addrs_has(meta.src, false) == 0) {
		err = ENETUNREACH;
		goto out;
	}
	if (meta.to.family == AF_INET && !atomic_load(&s->broadcast) &&
	    (memcmp(meta.to.addr, bcast_all, 16) == 0 || addrs_has(meta.to.addr, true) == 1)) {
		err = EACCES;
		goto out;
	}
	/* A pending ICMP error is reported instead of sending, as
	 * sock_alloc_send_skb does. */
	err = rs_take_so_error(s);
	if (err != 0)
		goto out;
	/* After the pending error, as sock_alloc_send_pskb checks it */
	if (atomic_load(&s->shut) & RS_SHUT_WR) {
		err = EPIPE;
		goto out;
	}

	rs_tx_lock(s);
	err = tx_write(s, &meta, msg->msg_iov, (int)msg->msg_iovlen, flags);
	pthread_mutex_unlock(&s->tx_lock);
	if (err == 0)
		err = rs_doorbell(s);
out:
	rs_sock_put(s);
	return err == 0 ? (ssize_t)len : fail(err);
}

ssize_t
rs_sendto(int fd, const void *buf, size_t len, int flags,
	  const struct sockaddr *dest_addr, socklen_t addrlen)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr msg = {
		.msg_name = (void *)(uintptr_t)dest_addr,
		.msg_namelen = addrlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	return rs_sendmsg(fd, &msg, flags);
}

ssize_t
rs_send(int fd, const void *buf, size_t len, int flags)
{
	return rs_sendto(fd, buf, len, flags, NULL, 0);
}

/*
 * Receiving.
 */

/* One attempt under rx_lock: bytes copied, or -errno (-EAGAIN: empty).
 * peek: MSG_PEEK, the datagram stays queued. */
static ssize_t
rx_try(struct rs_sock *s, struct rs_rx_meta *meta, const struct iovec *iov,
       int iovcnt, struct shm_rec *rec, bool peek)
{

	ssize_t n;

	rs_rx_lock(s);
	if (peek)
		n = shm_rec_peek_data(&s->rx, meta, sizeof(*meta), iov, iovcnt, rec);
	else
		n = shm_rec_read(&s->rx, meta, sizeof(*meta), iov, iovcnt, rec);
	pthread_mutex_unlock(&s->rx_lock);
	if (n >= 0 && rec->meta_len < sizeof(*meta))
		/* Fields the daemon did not send read as zero. */
		memset((uint8_t *)meta + rec->meta_len, 0, sizeof(*meta) - rec->meta_len);
	return n;
}

static bool
rx_ready(struct rs_sock *s)
{
	int rc;

	rs_rx_lock(s);
	rc = shm_rec_peek(&s->rx, NULL);
	pthread_mutex_unlock(&s->rx_lock);
	/* A broken ring is "ready": the next read reports it. */
	return rc != -EAGAIN;
}

/* Sleep until the worker signals, the deadline (0: none) passes or a signal
 * arrives. 0, or EAGAIN (timeout), EINTR. */
static int
rx_sleep(struct rs_sock *s, int64_t deadline)
{
	struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
			       { .fd = rs_daemon_watch_fd(), .events = POLLRDHUP } };
	struct timespec ts, *tsp = NULL;
	int rc = 0;

	rs_wait_enter(s);
	/* Checked after app_wait is visible: a datagram written before the
	 * worker could see app_wait is found here. */
	if (rx_ready(s) || atomic_load(&s->shm->so_error) != 0 || atomic_load(&s->closed) ||
	    (atomic_load(&s->shut) & RS_SHUT_RD))
		goto out;
	int64_t left = -1;
	if (deadline != 0) {
		left = deadline - rs_now_ns();
		if (left <= 0) {
			rc = EAGAIN;
			goto out;
		}
	}
	left = rs_wait_slice(s, left);
	if (left >= 0) {
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		tsp = &ts;
	}
	if (ppoll(p, 2, tsp, NULL) < 0 && errno == EINTR)
		rc = EINTR;
	rs_wait_leave_drain(s);
	return rc;
out:
	rs_wait_leave(s);
	return rc;
}

/* recvmsg's control messages from the rx metadata, as ip_cmsg_recv. */
static void
rx_cmsgs(struct rs_sock *s, struct msghdr *msg, const struct rs_rx_meta *meta)
{
	int want = atomic_load(&s->recv_cmsg);
	size_t used = 0;
	struct cmsghdr *c;

	if (want == 0 || msg->msg_control == NULL) {
		if (want != 0)
			msg->msg_flags |= MSG_CTRUNC;
		msg->msg_controllen = 0;
		return;
	}
	c = CMSG_FIRSTHDR(msg);
	int level = IPPROTO_IP;
#define PUT_CMSG(type, ptr, len)						\
	do {									\
		if (c == NULL || used + CMSG_SPACE(len) > msg->msg_controllen) {\
			msg->msg_flags |= MSG_CTRUNC;				\
			break;							\
		}								\
		c->cmsg_level = level;						\
		c->cmsg_type = (type);						\
		c->cmsg_len = CMSG_LEN(len);					\
		memcpy(CMSG_DATA(c), (ptr), (len));				\
		used += CMSG_SPACE(len);					\
		c = used < msg->msg_controllen ?				\
			(struct cmsghdr *)((uint8_t *)msg->msg_control + used) : NULL; \
	} while (0)
	/* ip6_datagram_recv_common_ctl: IPV6_PKTINFO for IPv4 datagrams too
	 * (destination mapped); hop limit and traffic class for IPv6 only;
	 * the IPv4 options for IPv4 datagrams (udpv6_recvmsg) */
	bool from6 = meta->from.family == AF_INET6;
	level = IPPROTO_IPV6;
	if (want & RS_RECV6_PKTINFO) {
		struct in6_pktinfo pi6 = { .ipi6_ifindex = meta->iface + 1u };

		memcpy(pi6.ipi6_addr.s6_addr, meta->dst, 16);
		PUT_CMSG(IPV6_PKTINFO, &pi6, sizeof(pi6));
	}
	if (from6 && (want & RS_RECV6_HLIM)) {
		int hl = meta->ttl;

		PUT_CMSG(IPV6_HOPLIMIT, &hl, sizeof(hl));
	}
	if (from6 && (want & RS_RECV6_TCLASS)) {
		int tc = meta->tos;

		PUT_CMSG(IPV6_TCLASS, &tc, sizeof(tc));
	}
	if (from6 && (want & RS_RECV6_FLOW)) {
		/* ip6_flowinfo(): traffic class and label, network order */
		uint32_t fi = htonl(meta->from.flowinfo & 0x0fffffffu);

		PUT_CMSG(IPV6_FLOWINFO, &fi, sizeof(fi));
	}
	level = IPPROTO_IP;
	if (from6)
		want = 0;
	if (want & RS_RECV_PKTINFO) {
		struct in_pktinfo pi = {
			.ipi_ifindex = meta->iface + 1, /* ifindex 0 means "none": link N is N+1 */
		};

		memcpy(&pi.ipi_spec_dst.s_addr, meta->dst + 12, 4);
		pi.ipi_addr = pi.ipi_spec_dst;

		PUT_CMSG(IP_PKTINFO, &pi, sizeof(pi));
	}
	if (want & RS_RECV_TTL) {
		int ttl = meta->ttl;

		PUT_CMSG(IP_TTL, &ttl, sizeof(ttl));
	}
	if (want & RS_RECV_TOS) {
		uint8_t tos = meta->tos;

		PUT_CMSG(IP_TOS, &tos, sizeof(tos));
	}
#undef PUT_CMSG
	msg->msg_controllen = used;
}

ssize_t
rs_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct rs_rx_meta meta;
	struct shm_rec rec;
	struct rs_sock *s;
	int64_t deadline = 0, spin_end = 0;
	ssize_t n;
	int err = 0;

	s = rs_sock_get(fd);
	if (s == NULL)
		return -1;
	if (msg == NULL || (msg->msg_iovlen > 0 && msg->msg_iov == NULL)) {
		err = EFAULT;
		goto out;
	}
	if (msg->msg_iovlen > RS_IOV_MAX) {
		err = EMSGSIZE;
		goto out;
	}
	if (s->stream) {
		n = rs_stream_recvmsg(s, msg, flags);
		rs_sock_put(s);
		return n;
	}
	if (flags & MSG_ERRQUEUE) {
		err = EAGAIN;	/* IP_RECVERR is not served: the queue is empty */
		goto out;
	}
	/* MSG_OOB: udp_recvmsg ignores it (a datagram is read as usual) */
	for (;;) {
		n = rx_try(s, &meta, msg->msg_iov, (int)msg->msg_iovlen, &rec,
			   (flags & MSG_PEEK) != 0);
		if (n >= 0)
			break;
		if (n != -EAGAIN) {
			err = EPROTO;
			goto out;
		}
		/* Queued data first, then a pending error, as
		 * __skb_recv_datagram does. */
		err = rs_take_so_error(s);
		if (err != 0)
			goto out;
		if (atomic_load(&s->closed)) {
			err = EBADF;
			goto out;
		}
		if (atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT)) {
			err = EAGAIN;
			goto out;
		}
		/* Shut down for reading and empty: end of file at once, for
		 * a blocking call only (__skb_wait_for_more_packets). */
		if (atomic_load(&s->shut) & RS_SHUT_RD) {
			msg->msg_namelen = 0;
			msg->msg_controllen = 0;
			msg->msg_flags = 0;
			n = 0;
			goto out;
		}
		if (spin_end == 0) {
			spin_end = rs_now_ns() + rs_spin_ns();
			deadline = deadline_of(atomic_load(&s->rcvtimeo));
			continue;
		}
		if (rs_now_ns() < spin_end) {
			/* Spin politely: on a machine with fewer cores than
			 * busy threads, the peer we wait for may need ours. */
			rs_relax();
			continue;
		}
		if (rs_daemon_gone()) {
			err = ECONNRESET;
			goto out;
		}
		err = rx_sleep(s, deadline);
		if (err != 0)
			goto out;
	}

	msg->msg_flags = 0;
	if (rec.len > (size_t)n)
		msg->msg_flags |= MSG_TRUNC;
	if (msg->msg_name != NULL && s->domain == AF_INET6) {
		socklen_t cap = msg->msg_namelen;

		/* an IPv4 peer of a dual-stack socket is shown mapped */
		struct rs_saddr from = meta.from;

		from.family = AF_INET6;
		rs_sa_out(&from, msg->msg_name, &cap);
		msg->msg_namelen = cap;
	} else if (msg->msg_name != NULL) {
		struct sockaddr_in sin;
		size_t cap = msg->msg_namelen;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(meta.from.port);
		memcpy(&sin.sin_addr.s_addr, meta.from.addr + 12, 4);
		memcpy(msg->msg_name, &sin, cap < sizeof(sin) ? cap : sizeof(sin));
		msg->msg_namelen = sizeof(sin);
	}
	rx_cmsgs(s, msg, &meta);
	if (flags & MSG_TRUNC)
		n = rec.len;
out:
	rs_sock_put(s);
	return err == 0 ? n : fail(err);
}

ssize_t
rs_recvfrom(int fd, void *buf, size_t len, int flags,
	    struct sockaddr *src_addr, socklen_t *addrlen)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (src_addr != NULL && addrlen != NULL) {
		if ((int)*addrlen < 0)
			return fail(EINVAL);
		msg.msg_name = src_addr;
		msg.msg_namelen = *addrlen;
	}
	n = rs_recvmsg(fd, &msg, flags);
	if (n >= 0 && msg.msg_name != NULL)
		*addrlen = msg.msg_namelen;
	return n;
}

ssize_t
rs_recv(int fd, void *buf, size_t len, int flags)
{
	return rs_recvfrom(fd, buf, len, flags, NULL, NULL);
}

/* An open descriptor that is not one of our sockets goes to the kernel. */
static bool
foreign_fd(int fd)
{
	struct rs_sock *s = rs_sock_get(fd);

	if (s != NULL) {
		rs_sock_put(s);
		return false;
	}
	return errno == ENOTSOCK;
}

ssize_t
rs_read(int fd, void *buf, size_t count)
{
	if (foreign_fd(fd))
		return read(fd, buf, count);
	return rs_recv(fd, buf, count, 0);
}

ssize_t
rs_write(int fd, const void *buf, size_t count)
{
	if (foreign_fd(fd))
		return write(fd, buf, count);
	return rs_send(fd, buf, count, 0);
}

ssize_t
rs_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov };

	if (foreign_fd(fd))
		return readv(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > RS_IOV_MAX)
		return fail(EINVAL);
	msg.msg_iovlen = (size_t)iovcnt;
	return rs_recvmsg(fd, &msg, 0);
}

ssize_t
rs_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov };

	if (foreign_fd(fd))
		return writev(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > RS_IOV_MAX)
		return fail(EINVAL);
	msg.msg_iovlen = (size_t)iovcnt;
	return rs_sendmsg(fd, &msg, 0);
}

/*
 * Poll.
 */

uint32_t
rs_sock_mask(struct rs_sock *s)
{
	uint32_t m = 0, used;
	int shut;

	/* The daemon is gone: every call on the socket fails at once
	 * (ECONNRESET), so it is ready, with an error, for every waiter. */
	if (atomic_load_explicit(&rs_g.dead, memory_order_relaxed))
		m |= EPOLLERR | EPOLLHUP;
	if (s->stream)
		return m | rs_stream_mask(s);
	if (rx_ready(s))
		m |= EPOLLIN | EPOLLRDNORM;
	/* Without tx_lock, so that a sender writing a record does not make
	 * the socket look unwritable: prod is ours (only a hostile daemon
	 * would rewrite it, and then only its own socket misbehaves). Acquire
	 * on cons as prod_room() does. Record rings share the byte rings'
	 * indices: the free bytes are the room for records. */
	used = tx_used(s);
	/* A broken ring is "writable": the next send reports EPROTO.
	 * Otherwise writable as Linux's sock_writeable(): less than half of
	 * SO_SNDBUF queued, and room in the ring for a record. */
	if (used > s->tx.size ||
	    (s->tx.size - used >= shm_rec_span(sizeof(struct rs_tx_meta), 0) &&
	     (int64_t)used < (int64_t)atomic_load(&s->sndbuf) / 2))
		m |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	if (atomic_load(&s->shm->so_error) != 0)
		m |= EPOLLERR;
	/* datagram_poll */
	shut = atomic_load(&s->shut);
	if (shut & RS_SHUT_RD)
		m |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (shut == (RS_SHUT_RD | RS_SHUT_WR))
		m |= EPOLLHUP;
	return m;
}

bool
rs_tx_pending(struct rs_sock *s)
{
	/* A stream socket's worker signals released room (sock_shm.h). */
	if (s->stream)
		return false;
	return atomic_load_explicit(&s->tx.hdr->prod, memory_order_relaxed) !=
		atomic_load_explicit(&s->tx.hdr->cons, memory_order_relaxed);
}

/* An rs socket's revents now (events: what was asked), as poll(2) masks
 * udp_poll's answer: POLLERR and POLLHUP whether asked or not. */
static short
sock_revents(struct rs_sock *s, short events)
{
	if (atomic_load(&s->closed))
		return POLLNVAL;
	return (short)(rs_sock_mask(s) & ((uint16_t)events | POLLERR | POLLHUP));
}

int
rs_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct rs_sock **socks = NULL;
	struct pollfd *kfds = NULL;
	struct rlimit rl;
	int64_t deadline, spin_end;
	nfds_t i;
	int ready, rc = -1;
	bool any_rs = false, want_out;

	/* poll(2)'s EINVAL for nfds above RLIMIT_NOFILE. A seccomp filter
	 * (sshd's) refuses getrlimit: then from the kernel's own check,
	 * through ppoll, which such a filter allows (EINVAL, else EFAULT
	 * for the NULL array: a fault, some microseconds, so not always). */
	if (!atomic_load_explicit(&rs_confined, memory_order_relaxed)) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && nfds > rl.rlim_cur)
			return (int)fail(EINVAL);
	} else if (nfds > 0) {
		struct timespec zero = { 0, 0 };
		int saved = errno;

		if (syscall(SYS_ppoll, NULL, nfds, &zero, NULL, _NSIG / 8) < 0 &&
		    errno == EINVAL)
			return (int)fail(EINVAL);
		errno = saved;
	}
	rs_procs_sweep();
	if (nfds > 0) {
		socks = calloc(nfds, sizeof(*socks));
		kfds = calloc(nfds + 1, sizeof(*kfds));	/* + the daemon */
		if (socks == NULL || kfds == NULL) {
			errno = ENOMEM;
			goto out;
		}
	}
	/* Look each descriptor up once: a socket closed meanwhile stays
	 * referenced and shows POLLNVAL. */
	for (i = 0; i < nfds; i++) {
		int fd = fds[i].fd;

		kfds[i].fd = fd;
		kfds[i].events = fds[i].events;
		if (fd >= 0 && fd < RS_MAX_FD) {
			int saved = errno;

			socks[i] = rs_sock_get(fd);
			errno = saved;
		}
		if (socks[i] != NULL) {
			any_rs = true;
			/* The kernel watches the eventfd for the worker's
			 * signal; readiness comes from the rings. */
			kfds[i].events = POLLIN;
		}
	}
	deadline = timeout < 0 ? 0 : rs_now_ns() + (int64_t)timeout * 1000000;
	spin_end = any_rs ? rs_now_ns() + rs_spin_ns() : 0;
	for (;;) {
		int64_t left;
		struct timespec ts, *tsp;
		bool sleeping;

		/* Ordinary descriptors: ask the kernel without waiting. */
		ready = 0;
		want_out = false;
		for (i = 0; i < nfds; i++) {
			if (fds[i].fd < 0) {
				fds[i].revents = 0;
				continue;
			}
			if (socks[i] != NULL) {
				fds[i].revents = sock_revents(socks[i], fds[i].events);
				/* Nobody signals transmit room: it can only
				 * appear while the worker has datagrams to
				 * take from the ring. */
				if ((fds[i].events & POLLOUT) && rs_tx_pending(socks[i]))
					want_out = true;
			} else {
				struct pollfd p = { fds[i].fd, fds[i].events, 0 };

				if (poll(&p, 1, 0) < 0)
					goto out;
				fds[i].revents = p.revents;
			}
			if (fds[i].revents != 0)
				ready++;
		}
		if (ready > 0 || timeout == 0)
			break;
		if (rs_now_ns() < spin_end) {
			rs_relax();
			continue;
		}
		left = deadline == 0 ? -1 : deadline - rs_now_ns();
		if (deadline != 0 && left <= 0)
			break;
		/* Sleep: the worker signals the eventfds of sockets whose
		 * app_wait is set; check once more after setting it. */
		for (i = 0; i < nfds; i++)
			if (socks[i] != NULL)
				rs_wait_enter(socks[i]);
		sleeping = true;
		for (i = 0; i < nfds && sleeping; i++)
			if (socks[i] != NULL && sock_revents(socks[i], fds[i].events) != 0)
				sleeping = false;
		if (sleeping) {
			/* Nobody signals transmit room: look again soon. */
			if (want_out && (left < 0 || left > 1000000))
				left = 1000000;
			for (i = 0; i < nfds; i++)
				if (socks[i] != NULL)
					left = rs_wait_slice(socks[i], left);
			tsp = NULL;
			if (left >= 0) {
				ts.tv_sec = left / 1000000000;
				ts.tv_nsec = left % 1000000000;
				tsp = &ts;
			}
			for (i = 0; i < nfds; i++)
				kfds[i].revents = 0;
			kfds[nfds] = (struct pollfd){ .fd = rs_daemon_watch_fd(), .events = POLLRDHUP };
			if (ppoll(kfds, nfds + 1, tsp, NULL) < 0 && errno == EINTR) {
				for (i = 0; i < nfds; i++)
					if (socks[i] != NULL)
						rs_wait_leave(socks[i]);
				goto out;
			}
			/* The daemon hung up: its sockets show it (rs_sock_mask) */
			if (kfds[nfds].revents != 0)
				rs_daemon_gone();
		}
		for (i = 0; i < nfds; i++) {
			if (socks[i] == NULL)
				continue;
			if (kfds[i].revents & POLLIN)
				rs_wait_leave_drain(socks[i]);
			else
				rs_wait_leave(socks[i]);
		}
	}
	rc = ready;
out:
	for (i = 0; i < nfds; i++)
		if (socks != NULL && socks[i] != NULL)
			rs_sock_put(socks[i]);
	free(socks);
	free(kfds);
	return rc;
}
