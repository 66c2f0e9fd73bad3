/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ringstack socket API (libringsock).
 *
 * POSIX-shaped socket calls served by ringstackd over shared memory: each
 * rs_* function has the signature of its Linux namesake, returns what it
 * returns and sets errno as it would, so a program is ported by renaming its
 * calls. UDP and TCP over IPv4 are served (AF_INET, SOCK_DGRAM and
 * SOCK_STREAM); the stream calls are described in "TCP" below.
 *
 * Descriptors are real kernel file descriptors (one eventfd per socket, the
 * one the library sleeps on), so they never collide with the program's other
 * descriptors; they are only usable with rs_* calls. An fd that is open but
 * not an rs socket gives ENOTSOCK, a closed one EBADF.
 *
 * The first call attaches the process to the daemon named by the environment
 * variable RINGSTACK_CTL (default /run/ringstack/ctl.sock). If the daemon
 * cannot be reached the call fails with errno set by connect(2) (ENOENT,
 * ECONNREFUSED, EACCES) or ETIMEDOUT when it does not answer within 5 s; a
 * later call tries again. Once attached, a daemon that goes away makes every
 * call fail with ECONNRESET.
 *
 * Thread safety: every function may be called from any thread. Calls on
 * different sockets run in parallel; data calls on one socket are serialised
 * per direction; control calls (socket, bind, connect, close, set/getsockopt
 * forwarded to the daemon, getsockname, getpeername) are serialised per
 * process (and between the processes a fork made: rs_fork_prepare).
 */
#ifndef RINGSTACK_SOCKET_H
#define RINGSTACK_SOCKET_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Create a socket.
 *
 * @param domain
 *   AF_INET or AF_INET6 (dual-stack unless IPV6_V6ONLY; IPv4 peers appear as v4-mapped
 *   addresses, as on Linux). Other families: EAFNOSUPPORT.
 * @param type
 *   SOCK_DGRAM or SOCK_STREAM, optionally or-ed with SOCK_NONBLOCK and SOCK_CLOEXEC (the
 *   descriptor is always close-on-exec: the segment does not survive exec).
 * @param protocol
 *   0, IPPROTO_UDP (datagram) or IPPROTO_TCP (stream).
 * @return
 *   A new descriptor, or -1 with errno: EINVAL (unknown type or flags,
 *   bad protocol number), ESOCKTNOSUPPORT or EPROTONOSUPPORT (as Linux for
 *   combinations it does not serve), EAFNOSUPPORT, EMFILE/ENFILE, the attach errors above,
 *   or what the daemon answers (ENOBUFS when it has no slot left).
 */
int rs_socket(int domain, int type, int protocol);

/**
 * Bind a socket to a local address (bind(2)).
 *
 * @param fd
 *   Descriptor from rs_socket().
 * @param addr
 *   struct sockaddr_in; port 0 asks for an ephemeral port, INADDR_ANY for
 *   every local address.
 * @param addrlen
 *   At least sizeof(struct sockaddr_in), else EINVAL.
 * @return
 *   0, or -1 with errno: EBADF, ENOTSOCK, EINVAL (already bound, short
 *   addrlen), EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, EACCES.
 */
int rs_bind(int fd, const struct sockaddr *addr, socklen_t addrlen);

/**
 * On a stream socket: open a TCP connection (connect(2)). Blocking: waits
 * for the handshake and returns 0, or -1 with ECONNREFUSED, ETIMEDOUT,
 * ENETUNREACH, EHOSTUNREACH (the connection's error); SO_SNDTIMEO bounds
 * the wait (then EINPROGRESS, the handshake goes on); a signal gives EINTR
 * (it goes on too). Non-blocking: EINPROGRESS; the socket becomes writable
 * (POLLOUT) when the handshake ends, SO_ERROR says how, and a second
 * rs_connect reports it (0 once, then EISCONN; EALREADY while in progress).
 * EISCONN on a connected or listening socket.
 *
 * On a datagram socket: set the socket's peer: send() goes there
 * and only datagrams from it are received. AF_UNSPEC dissolves the
 * association.
 *
 * @return
 *   0, or -1 with errno: EBADF, ENOTSOCK, EINVAL, EAFNOSUPPORT,
 *   ENETUNREACH.
 */
int rs_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

/**
 * Mark a stream socket as listening (listen(2)). An unbound socket gets an
 * ephemeral port. The backlog bounds the connections that completed the
 * handshake and wait for rs_accept (values above 4096, Linux's somaxconn,
 * and negative values mean 4096); calling again changes it.
 *
 * @return
 *   0, or -1 with errno: EBADF, ENOTSOCK, EOPNOTSUPP (a datagram socket),
 *   EINVAL (connected or connecting), EADDRINUSE.
 */
int rs_listen(int fd, int backlog);

/**
 * Take a connection from a listening socket (accept4(2)). Blocks while
 * none is waiting unless the listener is non-blocking (then EAGAIN);
 * SO_RCVTIMEO bounds the wait (EAGAIN). The new socket's descriptor is
 * close-on-exec whatever flags say.
 *
 * @param addr, addrlen
 *   If addr is not NULL, the peer's address (struct sockaddr_in),
 *   truncated to *addrlen; *addrlen is set to its full length.
 * @param flags
 *   SOCK_NONBLOCK, SOCK_CLOEXEC; others: EINVAL.
 * @return
 *   The new descriptor, or -1 with errno: EBADF, ENOTSOCK, EINVAL (not
 *   listening, bad flags, negative *addrlen), EOPNOTSUPP (a datagram
 *   socket), EAGAIN, EINTR, EFAULT, EMFILE, ENOBUFS.
 */
int rs_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/**
 * rs_accept4() without flags.
 */
int rs_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);

/**
 * Close a socket, or an epoll descriptor from rs_epoll_create1() (which
 * must be closed with rs_close, not close(2)). A socket's port is released
 * by the daemon at once, and the socket leaves every rs epoll set. A thread blocked in
 * a call on the same socket returns EBADF; the descriptor number itself is
 * released when the last such call has returned.
 *
 * @return
 *   0, or -1 with errno EBADF or ENOTSOCK.
 */
int rs_close(int fd);

/**
 * Send one datagram (sendto(2)); on a stream socket, see "TCP" below.
 *
 * @param fd
 *   Descriptor.
 * @param buf, len
 *   Payload, at most 65507 bytes (EMSGSIZE); 0 sends an empty datagram.
 * @param flags
 *   MSG_DONTWAIT; MSG_NOSIGNAL, MSG_CONFIRM and MSG_MORE are accepted and
 *   ignored; MSG_OOB: EOPNOTSUPP.
 * @param dest_addr, addrlen
 *   Destination (struct sockaddr_in), or NULL on a connected socket
 *   (EDESTADDRREQ otherwise).
 * @return
 *   len, or -1 with errno: EBADF, ENOTSOCK, EINVAL (short addrlen, port 0),
 *   EAFNOSUPPORT, EDESTADDRREQ, EMSGSIZE, EAGAIN (ring full and
 *   non-blocking, or SO_SNDTIMEO expired), a pending asynchronous error
 *   (SO_ERROR, e.g. ECONNREFUSED after an ICMP port unreachable), EPROTO
 *   (the daemon broke the ring protocol).
 *   A blocking send waits while the socket's transmit ring is full.
 */
ssize_t rs_sendto(int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *dest_addr, socklen_t addrlen);

/**
 * rs_sendto() to the connected peer.
 */
ssize_t rs_send(int fd, const void *buf, size_t len, int flags);

/**
 * Send one datagram gathered from msg->msg_iov (sendmsg(2)). Control
 * messages at level IPPROTO_IP: IP_PKTINFO (ipi_spec_dst as the source
 * address), IP_TOS, IP_TTL; others give EINVAL. Errors as rs_sendto().
 */
ssize_t rs_sendmsg(int fd, const struct msghdr *msg, int flags);

/**
 * Receive one datagram (recvfrom(2)); on a stream socket, see "TCP" below.
 *
 * @param buf, len
 *   Buffer; the rest of a longer datagram is discarded.
 * @param flags
 *   MSG_DONTWAIT; MSG_TRUNC (return the datagram's real length);
 *   MSG_WAITALL is ignored as on Linux for datagrams; MSG_PEEK copies the
 *   next datagram (payload, source address, control messages) and leaves it
 *   queued (with MSG_TRUNC: its real length); MSG_OOB: EOPNOTSUPP.
 * @param src_addr, addrlen
 *   If not NULL, the sender's address, truncated to *addrlen; *addrlen is
 *   set to sizeof(struct sockaddr_in).
 * @return
 *   Bytes copied (the real length with MSG_TRUNC), or -1 with errno: EBADF,
 *   ENOTSOCK, EINVAL, EAGAIN (nothing queued and non-blocking, or
 *   SO_RCVTIMEO expired), EINTR (a signal arrived while blocked), a pending
 *   asynchronous error once nothing is queued, EPROTO.
 */
ssize_t rs_recvfrom(int fd, void *buf, size_t len, int flags,
		    struct sockaddr *src_addr, socklen_t *addrlen);

/**
 * rs_recvfrom() without the source address.
 */
ssize_t rs_recv(int fd, void *buf, size_t len, int flags);

/**
 * Receive one datagram scattered into msg->msg_iov (recvmsg(2)).
 * msg->msg_flags gets MSG_TRUNC when the datagram was longer than the
 * buffers, MSG_CTRUNC when control messages did not fit. Control messages
 * IP_PKTINFO, IP_TOS, IP_TTL are delivered when the socket option of the
 * same name (IP_RECVTOS, IP_RECVTTL for the latter two) is on. Errors as
 * rs_recvfrom().
 */
ssize_t rs_recvmsg(int fd, struct msghdr *msg, int flags);

/**
 * read(2) on a socket: rs_recv() without flags. A descriptor that is not
 * an rs socket (a file, a pipe, a kernel socket) is passed to read(2), so a
 * program can rename every read() it makes.
 */
ssize_t rs_read(int fd, void *buf, size_t count);

/**
 * write(2) on a socket: rs_send() without flags (EDESTADDRREQ when not
 * connected). A descriptor that is not an rs socket is passed to write(2).
 */
ssize_t rs_write(int fd, const void *buf, size_t count);

/**
 * readv(2) / writev(2): rs_recvmsg() / rs_sendmsg() without flags on rs
 * sockets (iovcnt above 1024: EINVAL); other descriptors go to the kernel.
 */
ssize_t rs_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t rs_writev(int fd, const struct iovec *iov, int iovcnt);

/**
 * On a stream socket: TCP's shutdown (SHUT_WR sends our FIN after the queued
 * data; sends then fail with EPIPE; SHUT_RD makes reads return 0); ENOTCONN
 * when not connected. On a datagram socket:
 * shut down reception (SHUT_RD), sending (SHUT_WR) or both (shutdown(2) on a
 * UDP socket, as Linux does it): later sends fail with EPIPE; a blocking
 * receive on an empty socket returns 0 at once (a non-blocking one still
 * EAGAIN), datagrams already queued are still delivered; poll reports
 * POLLIN|POLLRDHUP after SHUT_RD and POLLHUP after both. A thread blocked in
 * a receive wakes. On a socket that is not connected the shutdown takes
 * effect all the same, and the call fails with ENOTCONN, as on Linux.
 *
 * @return
 *   0, or -1 with errno EINVAL (how), ENOTCONN, EBADF, ENOTSOCK.
 */
int rs_shutdown(int fd, int how);

/**
 * The socket's local address (getsockname(2)), truncated to *addrlen;
 * *addrlen is set to the full length.
 *
 * @return
 *   0, or -1 with errno EBADF, ENOTSOCK, EINVAL (negative *addrlen).
 */
int rs_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);

/**
 * The connected peer's address (getpeername(2)).
 *
 * @return
 *   0, or -1 with errno EBADF, ENOTSOCK, EINVAL, ENOTCONN.
 */
int rs_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen);

/**
 * Set a socket option (setsockopt(2)). SO_RCVTIMEO and SO_SNDTIMEO (struct
 * timeval), SO_RCVLOWAT and SO_OOBINLINE (int) are kept in the library; every other option goes to the daemon
 * (at most 64 bytes of value), which answers as Linux (ENOPROTOOPT for an
 * unknown option).
 *
 * @return
 *   0, or -1 with errno: EBADF, ENOTSOCK, EINVAL, EDOM (tv_usec out of
 *   range), EFAULT (NULL optval), ENOPROTOOPT.
 */
int rs_setsockopt(int fd, int level, int optname, const void *optval,
		  socklen_t optlen);

/**
 * Get a socket option (getsockopt(2)). SO_TYPE, SO_DOMAIN, SO_PROTOCOL,
 * SO_ERROR (reading clears the pending error), SO_RCVTIMEO and SO_SNDTIMEO
 * are answered by the library, the rest by the daemon. The value is
 * truncated to *optlen, and *optlen set to its length.
 *
 * @return
 *   0, or -1 with errno EBADF, ENOTSOCK, EINVAL, EFAULT, ENOPROTOOPT.
 */
int rs_getsockopt(int fd, int level, int optname, void *optval,
		  socklen_t *optlen);

/**
 * File control (fcntl(2)), limited to what sockets need: F_GETFL,
 * F_SETFL (O_NONBLOCK; other status flags are ignored as Linux ignores
 * them on sockets), F_GETFD, F_SETFD. Other commands: EINVAL.
 *
 * @return
 *   As fcntl(2), or -1 with errno EBADF, ENOTSOCK, EINVAL.
 */
int rs_fcntl(int fd, int cmd, ...);

/**
 * Device control (ioctl(2)). Stream sockets: FIONREAD/SIOCINQ (int *) the
 * bytes readable now (up to the urgent mark while an out-of-band byte
 * waits, as Linux's tcp_inq), SIOCOUTQ (int *) the bytes not yet
 * acknowledged by the peer (EINVAL on a listener), SIOCATMARK (int *) 1 when
 * the next byte read is at the urgent mark. Datagram sockets: SIOCOUTQ the bytes queued to
 * send, and FIONREAD (int *) gives the length of the next
 * queued datagram, 0 if none; FIONBIO (int *) sets or clears O_NONBLOCK.
 * Others: ENOTTY.
 */
int rs_ioctl(int fd, unsigned long request, ...);

/**
 * Wait for events (poll(2)). Entries may name rs sockets or ordinary
 * descriptors (polled by the kernel); a negative fd is ignored. For rs
 * sockets, as Linux's udp_poll: POLLIN|POLLRDNORM when a datagram is
 * queued, POLLOUT|POLLWRNORM|POLLWRBAND when the transmit ring has room for
 * a datagram, POLLERR when an asynchronous error is pending (reported
 * whether asked or not; a pending error alone does not make POLLIN),
 * POLLNVAL once closed. Blocking spins briefly, then sleeps on the sockets'
 * eventfds, which the daemon's worker signals when a datagram or an error
 * arrives; transmit room is not signalled, so a wait for POLLOUT on a full
 * ring looks again every millisecond.
 *
 * @param timeout
 *   Milliseconds; -1 waits without limit, 0 returns at once.
 * @return
 *   Number of entries with events, 0 on timeout, or -1 with errno EINVAL
 *   (nfds over RLIMIT_NOFILE), ENOMEM, EINTR.
 */
int rs_poll(struct pollfd *fds, nfds_t nfds, int timeout);

/**
 * Create an epoll instance (epoll_create1(2)) for rs sockets and ordinary
 * descriptors. The descriptor is a real kernel epoll fd: unique, and
 * ordinary descriptors added to it are watched by the kernel with all of
 * epoll's semantics. Close it with rs_close(). rs epoll instances do not
 * nest: one added to another (or to a kernel epoll) reports only its
 * ordinary descriptors' readiness.
 *
 * @param flags
 *   0 or EPOLL_CLOEXEC; others: EINVAL.
 * @return
 *   A descriptor, or -1 with errno EINVAL, EMFILE, ENFILE, ENOMEM.
 */
int rs_epoll_create1(int flags);

/**
 * epoll_create(2): size must be positive (EINVAL) and is otherwise ignored.
 */
int rs_epoll_create(int size);

/**
 * Add, change or remove a descriptor's interest (epoll_ctl(2)). For rs
 * sockets the events are those of rs_poll: EPOLLIN, EPOLLOUT, EPOLLERR
 * (always reported), level-triggered by default, EPOLLET (a socket is
 * reported again only after a new datagram arrived for EPOLLIN, after the
 * worker freed transmit room for EPOLLOUT, or a new error), EPOLLONESHOT
 * (disabled after one report until EPOLL_CTL_MOD); on stream sockets
 * EPOLLRDHUP as Linux (the peer's FIN, a reset, or our SHUT_RD), and a
 * state change (connected, FIN, reset) or a new connection on a listener
 * is an edge for EPOLLET; on datagram sockets EPOLLRDHUP after SHUT_RD; EPOLLPRI,
 * EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and never reported. A closed
 * rs socket leaves the set (as close(2) removes a descriptor), but its
 * descriptor number stays in use until the set's next rs_epoll_ctl or
 * rs_epoll_wait. Ordinary descriptors are handed to the kernel as they are.
 *
 * @return
 *   0, or -1 with errno as Linux: EFAULT (NULL event for ADD/MOD), EBADF
 *   (epfd or fd closed), EINVAL (epfd is not an epoll descriptor, fd ==
 *   epfd, unknown op, EPOLLEXCLUSIVE with MOD), EEXIST (ADD of a registered
 *   fd), ENOENT (MOD/DEL of an unregistered fd), EPERM (fd cannot be polled,
 *   e.g. a regular file; or an rs socket given to a kernel epoll fd that is
 *   not an rs one), ENOMEM.
 */
int rs_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);

/**
 * Wait for events (epoll_wait(2)). rs sockets are checked in their rings
 * first, without a system call; when nothing is ready the call spins
 * briefly, then sets the sockets' wake-up flag, checks once more and
 * sleeps in the kernel until the worker signals one of them, an ordinary
 * descriptor is ready, or the timeout passes. Sockets that stay ready are
 * reported round-robin when more are ready than maxevents. The cost of a
 * call grows with the number of rs sockets in the set.
 *
 * @param timeout
 *   Milliseconds; -1 waits without limit, 0 returns at once.
 * @return
 *   Number of events, 0 on timeout, or -1 with errno EINVAL (maxevents <= 0,
 *   epfd not an epoll descriptor), EFAULT (events NULL), EBADF, EINTR.
 *   An epfd that is a kernel epoll fd not from rs_epoll_create1 is passed
 *   to epoll_wait(2) unchanged.
 */
int rs_epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		  int timeout);

/*
 * TCP (SOCK_STREAM).
 *
 * A stream socket behaves as Linux's TCP socket; the differences are listed
 * in docs/divergences.md. Data is copied once each way, between the
 * program's buffers and the socket's byte rings in the segment it shares
 * with the daemon; the worker that owns the connection segments, sends,
 * retransmits and delivers.
 *
 * rs_send/rs_sendto/rs_sendmsg/rs_write/rs_writev: the address is ignored
 * (as Linux, outside TCP Fast Open); a blocking call returns when all was
 * queued (or a signal or SO_SNDTIMEO cut it short: then the bytes queued so
 * far); non-blocking (O_NONBLOCK, MSG_DONTWAIT) queues what fits and fails
 * with EAGAIN only when nothing did. A send waits for a connect in
 * progress; on a socket never connected, shut for writing or reset it fails
 * with the pending error, else EPIPE, and raises SIGPIPE in the calling
 * thread unless MSG_NOSIGNAL is given. MSG_OOB: the last byte sent is
 * urgent (the urgent pointer just past it, URG on the segments before it,
 * as Linux's tcp_mark_urg). What a socket may queue is its ring (256 KiB) or SO_SNDBUF once set.
 *
 * rs_recv/rs_recvfrom/rs_recvmsg/rs_read/rs_readv: the bytes available, up
 * to the length (MSG_WAITALL: all of it unless the stream ends, an error,
 * a signal or SO_RCVTIMEO comes first); 0 at the end of the stream (the
 * peer's FIN, or our SHUT_RD); data queued before a reset is read first,
 * then ECONNRESET once, then 0. MSG_PEEK copies without consuming, MSG_TRUNC
 * discards, MSG_DONTWAIT does not wait; MSG_ERRQUEUE: EAGAIN.
 * Urgent data as Linux (tcp_stdurg 0): the byte before the peer's urgent
 * pointer is the out-of-band byte; a read stops before it (having taken
 * anything), and without SO_OOBINLINE steps over it (a read past it loses
 * it). MSG_OOB returns that byte (MSG_OOB set in msg_flags; MSG_PEEK
 * leaves it), never waiting: EINVAL with SO_OOBINLINE, when no urgent
 * pointer came or the byte was taken, EAGAIN while the byte has not
 * arrived, 0 after the end of the stream. SIOCATMARK (rs_ioctl) tells
 * whether the next byte read is at the mark. No source address is returned
 * (*addrlen is set to 0), as Linux. ENOTCONN on a listener or a socket
 * never connected.
 *
 * rs_close: with unread data, or after SO_LINGER {1, 0}, the connection is
 * reset (RST) as Linux does; otherwise our FIN follows the queued data and
 * the daemon finishes the connection (TIME-WAIT included) after the
 * descriptor is gone. A listener's port is free at once.
 *
 * Readiness (rs_poll, rs_epoll_wait), as Linux's tcp_poll: a listener is
 * readable when a connection is waiting; otherwise POLLIN when data or the
 * end of the stream is there, POLLOUT while at least a third of the send
 * limit is free (and always once sending is shut), POLLRDHUP after the
 * peer's FIN or a reset, POLLHUP when both directions are shut or the
 * socket is not connected (a new socket included), POLLERR with a pending
 * error, POLLPRI while an out-of-band byte is there to take (POLLIN then
 * does not count it when it is next). Nothing is reported during the
 * handshake.
 */

/**
 * One kernel descriptor for the whole process, for applications with their
 * own event loop (epoll, libuv, libevent): it becomes readable (EPOLLIN)
 * when a datagram or an error arrives for an rs socket, as long as the
 * sockets are armed. The protocol, in the application's loop:
 *
 *   1. n = rs_event_arm(): if n > 0, input is pending already: do not
 *      sleep, go to 3 (the sockets are left disarmed).
 *   2. Wait in the loop for rs_event_fd() to be readable (with the
 *      application's other descriptors). Never read it.
 *   3. Serve the rs sockets with MSG_DONTWAIT (or rs_poll with timeout 0)
 *      until they give EAGAIN, then go to 1.
 *
 * Sockets stay armed from rs_event_arm() until its next call or
 * rs_event_disarm(); while armed, the worker signals every datagram (a
 * system call on its side), so call rs_event_disarm() after waking up if
 * serving the sockets takes long. Sockets created after rs_event_arm() are
 * armed by its next call. Readiness is a hint: after a wake-up some or all
 * sockets may give EAGAIN.
 *
 * @return
 *   The descriptor (the same one on every call, close-on-exec; do not close
 *   it), or -1 with errno EMFILE, ENFILE, ENOMEM.
 */
int rs_event_fd(void);

/**
 * Arm every open rs socket for rs_event_fd() and clear its readability.
 *
 * @return
 *   The number of rs sockets with input or an error pending already (then
 *   nothing is left armed and the application must not sleep), or 0.
 */
int rs_event_arm(void);

/**
 * Disarm every rs socket armed by rs_event_arm(): the worker stops
 * signalling them.
 */
void rs_event_disarm(void);

/*
 * For interposers (the LD_PRELOAD shim, lib/preload) and other programs that
 * route calls themselves.
 */

#define RS_FD_NONE 0	/**< not a descriptor of the library's */
#define RS_FD_SOCKET 1	/**< an rs socket */
#define RS_FD_EPOLL 2	/**< an epoll descriptor from rs_epoll_create1() */

/**
 * What fd is to the library: RS_FD_SOCKET, RS_FD_EPOLL or RS_FD_NONE. No
 * lock and no system call (one load per table), so it can sit in front of
 * every read(2); it is exact unless another thread creates or closes fd at
 * the same time.
 */
int rs_fd_kind(int fd);

/**
 * fork() (docs/fork.md): register the three with pthread_atfork(prepare,
 * parent, child), as the shim does. The child keeps the parent's
 * attachment and every rs socket, as Linux's child keeps its descriptors:
 * a listener accepts in every process that holds it (each accept takes
 * one waiting connection); a connected socket may be used by one process
 * at a time (data calls from two processes on one socket at the same time
 * are undefined); a socket closes with the daemon when the last process
 * holding it closes it or exits (exit(), not _exit() or a signal: then
 * when another holder closes it, or the last process of the attachment
 * goes). rs epoll descriptors stay, with their items, in each process.
 * When 64 processes share the attachment already, or the parent was not
 * attached, the child forgets the inherited rs sockets instead: orphan
 * (if not NULL) is called with each such descriptor number, which stays
 * open in the kernel but is no rs socket any more, and the child's next
 * rs_socket() attaches it anew.
 * rs_fork_failed: call in the parent when fork() failed (the child's
 * reservation goes).
 */
void rs_fork_prepare(void);
void rs_fork_parent(void);
void rs_fork_failed(void);
/** 1 once a fork made other processes share this one's attachment. */
int rs_fork_shared(void);
void rs_fork_child(void (*orphan)(int fd));

/**
 * rs_confine: call before the program confines its own system calls with a
 * seccomp filter (as sshd's privilege-separated child does: poll, read,
 * write, nanosleep, futex and little else). From then on the library's
 * short waits spin without sched_yield(), which such filters refuse (the
 * process is killed); everything else a data call or a wait makes is among
 * those calls. The shim calls it when the program installs a filter.
 * Inherited by fork(); never undone.
 */
void rs_confine(void);

#ifdef __cplusplus
}
#endif

#endif /* RINGSTACK_SOCKET_H */
