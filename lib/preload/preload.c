/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock_preload.so: LD_PRELOAD=libringsock_preload.so PROGRAM runs
 * PROGRAM with its AF_INET/AF_INET6 sockets on ringstack.
 *
 * Every libc call that creates a socket or takes a descriptor is
 * interposed. A call on a descriptor that is not the library's goes to the
 * next definition (libc) untouched; a call on an rs socket or rs epoll
 * descriptor goes to libringsock (linked in statically, so the .so is
 * self-contained and exports only the libc names).
 *
 * Re-entry: libringsock itself calls close, recv, poll, epoll_wait... on its
 * own descriptors, and those calls land here too (the preloaded definitions
 * come first for every object of the process). A thread-local flag, set
 * around every call into libringsock, sends them straight to libc.
 *
 * Descriptor states the shim keeps on top of the library's tables (st[]):
 *  - ALIAS p: a dup of rs descriptor p (a real kernel dup of its wake
 *    descriptor, so the number is the program's and unique); calls on it
 *    act on p. The socket lives until its last name is closed, as on Linux.
 *  - HIDDEN: p itself was closed by the program while aliases remain: the
 *    number stays taken (the library sleeps on it) and every call on it
 *    gives EBADF.
 *  - ORPHAN: an rs socket inherited across fork() by a child the library
 *    could not give the parent's sockets (docs/fork.md: more than 64
 *    processes); every call but close gives EBADF.
 *
 * fork() keeps the child's rs sockets (pthread_atfork handlers, so that
 * glibc's own forks, daemon()'s, are covered too); exec closes them first
 * (docs/fork.md).
 *
 * Lazy: nothing but dlsym until the first AF_INET/AF_INET6 socket() (epoll
 * descriptors are the library's from the start, which needs no daemon).
 */
/* The shim defines read, recv... itself: libc's fortify wrappers must not. */
#undef _FORTIFY_SOURCE
/* ... and the names must be the plain ones (meson adds
 * -D_FILE_OFFSET_BITS=64, which renames fcntl to fcntl64 and sendfile to
 * sendfile64 in the headers): both variants are defined below. */
#undef _FILE_OFFSET_BITS
#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ringstack/socket.h"

#define EXPORT __attribute__((visibility("default")))
#define MAXFD 65536	/* libringsock's RS_MAX_FD */

/* libc's fortified variants (_FORTIFY_SOURCE) and their failure path. */
extern void __chk_fail(void) __attribute__((noreturn));
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *alen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		const sigset_t *mask, size_t fdslen);

/*
 * The next definitions (libc), resolved on first use: a constructor of
 * another library may call us before ours has run.
 */
#define REAL(name) ((__typeof__(&name))real_sym(&real_##name, #name))
#define REAL_DECL(name) static void *_Atomic real_##name

static void *
real_sym(void *_Atomic *slot, const char *name)
{
	void *p = atomic_load_explicit(slot, memory_order_relaxed);

	if (p == NULL) {
		p = dlsym(RTLD_NEXT, name);
		if (p == NULL) {
			static const char msg[] = "ringsock_preload: a libc symbol is missing\n";

			(void)!write(2, msg, sizeof(msg) - 1);
			abort();
		}
		atomic_store_explicit(slot, p, memory_order_relaxed);
	}
	return p;
}

REAL_DECL(socket); REAL_DECL(bind); REAL_DECL(listen); REAL_DECL(accept);
REAL_DECL(accept4); REAL_DECL(connect); REAL_DECL(send); REAL_DECL(sendto);
REAL_DECL(sendmsg); REAL_DECL(sendmmsg); REAL_DECL(recv); REAL_DECL(recvfrom);
REAL_DECL(recvmsg); REAL_DECL(recvmmsg); REAL_DECL(read); REAL_DECL(write);
REAL_DECL(readv); REAL_DECL(writev); REAL_DECL(sendfile); REAL_DECL(sendfile64);
REAL_DECL(close); REAL_DECL(shutdown); REAL_DECL(getsockopt);
REAL_DECL(setsockopt); REAL_DECL(getsockname); REAL_DECL(getpeername);
REAL_DECL(fcntl); REAL_DECL(fcntl64); REAL_DECL(ioctl); REAL_DECL(dup);
REAL_DECL(dup2); REAL_DECL(dup3); REAL_DECL(poll); REAL_DECL(ppoll);
REAL_DECL(select); REAL_DECL(pselect); REAL_DECL(epoll_create);
REAL_DECL(epoll_create1); REAL_DECL(epoll_ctl); REAL_DECL(epoll_wait);
REAL_DECL(epoll_pwait); REAL_DECL(epoll_pwait2); REAL_DECL(__read_chk);
REAL_DECL(__recv_chk); REAL_DECL(__recvfrom_chk); REAL_DECL(syscall);
REAL_DECL(sigaction); REAL_DECL(fork); REAL_DECL(execve); REAL_DECL(execv);
REAL_DECL(execvp); REAL_DECL(execvpe); REAL_DECL(fexecve); REAL_DECL(prctl);

/*
 * Re-entry guard.
 */

static __thread int in_lib;

#define LIB(expr) ({ in_lib++; __typeof__(expr) _r = (expr); in_lib--; _r; })

/*
 * Descriptor states.
 */

#define ST_NONE 0
#define ST_HIDDEN (-1)
#define ST_ORPHAN (-2)
/* st[fd] > 0: ALIAS of st[fd] - 1 */
static _Atomic int st[MAXFD];
/* Names of rs descriptor p besides p itself (aliases), under st_lock. */
static int nalias[MAXFD];
static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER;

enum kind { K_KERNEL, K_RS, K_BAD };

/* What a call on fd acts on: K_KERNEL (libc, *tfd = fd), K_RS (libringsock,
 * *tfd the rs descriptor), K_BAD (EBADF). An rs epoll descriptor is K_RS
 * here (close, dup, epoll_ctl/wait must be the library's)... */
static enum kind
classify_any(int fd, int *tfd)
{
	int v;

	*tfd = fd;
	if (in_lib || fd < 0 || fd >= MAXFD)
		return K_KERNEL;
	v = atomic_load_explicit(&st[fd], memory_order_acquire);
	if (v > 0) {
		*tfd = v - 1;
		return K_RS;
	}
	if (v < 0)
		return K_BAD;
	return rs_fd_kind(fd) != RS_FD_NONE ? K_RS : K_KERNEL;
}

/* ... but for every other call it is the kernel epoll descriptor it is
 * (fcntl F_GETFD, ioctl, read's EINVAL): K_KERNEL on the number itself (a
 * dup of it is a kernel dup of the same epoll). */
static enum kind
classify(int fd, int *tfd)
{
	enum kind k = classify_any(fd, tfd);

	if (k == K_RS && rs_fd_kind(*tfd) == RS_FD_EPOLL) {
		*tfd = fd;
		return K_KERNEL;
	}
	return k;
}

static int
fail(int err)
{
	errno = err;
	return -1;
}

/*
 * Signals. libringsock returns EINTR from a blocking call whenever a signal
 * interrupts its sleep. Linux restarts recv/send/read/write/accept on a
 * socket when the handler was installed with SA_RESTART and the socket has
 * no SO_RCVTIMEO/SO_SNDTIMEO (signal(7)); poll, select and epoll_wait never.
 * To know which kind of signal interrupted a call, the shim installs every
 * handler behind a trampoline that counts, per thread, the signals whose
 * current disposition has SA_RESTART and those without; a call that gets
 * EINTR is made again when only SA_RESTART signals came.
 */

static _Atomic(void *) sig_handler[NSIG];	/* the application's, behind tramp */
static _Atomic int sig_siginfo[NSIG];		/* it wants (int, siginfo_t *, void *) */
static __thread unsigned sig_restart_n, sig_norestart_n;

static void
tramp(int sig, siginfo_t *info, void *uc)
{
	struct sigaction cur;
	void *h = atomic_load(&sig_handler[sig]);
	int lib = in_lib;

	/* The disposition now (siginterrupt() may have changed the flags
	 * behind our back); rt_sigaction is async-signal-safe. */
	if (REAL(sigaction)(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_RESTART))
		sig_restart_n++;
	else
		sig_norestart_n++;
	if (h == NULL)
		return;
	/* The handler's own calls on rs sockets are the shim's again. */
	in_lib = 0;
	if (atomic_load(&sig_siginfo[sig]))
		((void (*)(int, siginfo_t *, void *))h)(sig, info, uc);
	else
		((void (*)(int))h)(sig);
	in_lib = lib;
}

EXPORT int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction mine, prev;
	void *prev_h;
	int prev_si, rc;

	if (sig <= 0 || sig >= NSIG)
		return REAL(sigaction)(sig, act, old);
	prev_h = atomic_load(&sig_handler[sig]);
	prev_si = atomic_load(&sig_siginfo[sig]);
	if (act != NULL && (act->sa_flags & SA_SIGINFO ?
			    (void *)act->sa_sigaction != NULL :
			    act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN)) {
		mine = *act;
		atomic_store(&sig_siginfo[sig], (act->sa_flags & SA_SIGINFO) != 0);
		atomic_store(&sig_handler[sig], act->sa_flags & SA_SIGINFO ?
			     (void *)act->sa_sigaction : (void *)act->sa_handler);
		mine.sa_sigaction = tramp;
		mine.sa_flags |= SA_SIGINFO;
		rc = REAL(sigaction)(sig, &mine, &prev);
	} else {
		rc = REAL(sigaction)(sig, act, &prev);
	}
	if (rc < 0)
		return rc;
	if (old != NULL) {
		*old = prev;
		if (prev.sa_sigaction == tramp) {
			/* What the application installed, not the trampoline. */
			if (prev_si) {
				old->sa_sigaction = (void (*)(int, siginfo_t *, void *))prev_h;
			} else {
				old->sa_handler = (void (*)(int))prev_h;
				old->sa_flags &= ~SA_SIGINFO;
			}
		}
	}
	return 0;
}

/* glibc's signal(): BSD semantics (SA_RESTART, the signal blocked in its
 * handler), through the sigaction above so that the trampoline sees it. */
EXPORT sighandler_t
signal(int sig, sighandler_t h)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < NSIG)
		sigaddset(&act.sa_mask, sig);
	act.sa_flags = SA_RESTART;
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* After EINTR from a call that started when the counters were rn, nn:
 * make it again? errno is kept. */
static bool
restart_ok(int t, int opt, unsigned rn, unsigned nn)
{
	struct timeval tv = { 0, 0 };
	socklen_t l = sizeof(tv);
	int e = errno;
	bool again;

	again = sig_norestart_n == nn && sig_restart_n != rn;
	if (again && LIB(rs_getsockopt(t, SOL_SOCKET, opt, &tv, &l)) == 0 &&
	    (tv.tv_sec != 0 || tv.tv_usec != 0))
		again = false;
	errno = e;
	return again;
}

/* A blocking rs call on socket t, restarted as SA_RESTART says; opt is the
 * timeout option that turns a restart into EINTR. */
#define RESTARTING(t, opt, call) ({						\
	__typeof__(call) _rv;							\
	for (;;) {								\
		unsigned _rn = sig_restart_n, _nn = sig_norestart_n;		\
		_rv = LIB(call);						\
		if (_rv >= 0 || errno != EINTR || !restart_ok((t), (opt), _rn, _nn)) \
			break;							\
	}									\
	_rv; })

/*
 * Modes: where AF_INET/AF_INET6 sockets go.
 */

enum mode { M_UNSET, M_RS, M_KERNEL };
static _Atomic int mode = M_UNSET;
static atomic_flag told = ATOMIC_FLAG_INIT;

static bool
unreachable_errno(int e)
{
	/* rs_socket's attach errors (socket.h) */
	return e == ENOENT || e == ECONNREFUSED || e == EACCES || e == ETIMEDOUT ||
	       e == ENOTSOCK || e == EPROTO;
}

static void
orphan(int fd)
{
	atomic_store(&st[fd], ST_ORPHAN);
}

/* Set once the library holds a descriptor (an rs socket or epoll): until
 * then a fork has nothing to clean up and skips the table scans. */
static atomic_bool used;

static int close_rs_locked(int fd);

/* Whether fork_prepare took the locks (used may change meanwhile). */
static bool fork_locked;

static void
fork_prepare(void)
{
	fork_locked = atomic_load(&used);
	if (!fork_locked)
		return;
	pthread_mutex_lock(&st_lock);
	in_lib++;
	rs_fork_prepare();
	in_lib--;
}

static void
fork_parent(void)
{
	if (!fork_locked)
		return;
	in_lib++;
	rs_fork_parent();
	in_lib--;
	pthread_mutex_unlock(&st_lock);
}

static void
fork_child(void)
{
	int fd, v;

	if (!fork_locked)
		return;
	fork_locked = false;

	pthread_mutex_init(&st_lock, NULL);
	in_lib++;
	rs_fork_child(orphan);
	in_lib--;
	/* Names of sockets the library could not keep (orphan) are orphans
	 * too; a hidden number whose socket is gone is really closed now. */
	for (fd = 0; fd < MAXFD; fd++) {
		v = atomic_load(&st[fd]);
		if (v > 0 && rs_fd_kind(v - 1) == RS_FD_NONE) {
			atomic_store(&st[fd], ST_ORPHAN);
			nalias[v - 1] = 0;
		} else if (v == ST_HIDDEN && rs_fd_kind(fd) == RS_FD_NONE) {
			atomic_store(&st[fd], ST_NONE);
			nalias[fd] = 0;
			REAL(close)(fd);
		}
	}
}

__attribute__((constructor)) static void
preload_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

EXPORT pid_t
fork(void)
{
	pid_t pid = REAL(fork)();

	if (pid < 0 && atomic_load(&used)) {
		int e = errno;

		in_lib++;
		rs_fork_failed();
		in_lib--;
		errno = e;
	}
	return pid;
}

/*
 * A program about to confine its system calls with a seccomp filter (sshd's
 * privilege-separated child: prctl(PR_SET_SECCOMP)) gets a library whose
 * waits make only calls such filters allow (rs_confine: a flag, no daemon
 * contact, so laziness holds). The same through syscall(SYS_seccomp).
 */
EXPORT int
prctl(int op, ...)
{
	unsigned long a[4];
	va_list ap;

	va_start(ap, op);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (op == PR_SET_SECCOMP && a[0] == SECCOMP_MODE_FILTER)
		rs_confine();
	return REAL(prctl)(op, a[0], a[1], a[2], a[3]);
}

/* vfork's child would run our handlers in the parent's memory: it is a
 * fork here (POSIX lets vfork be one). */
EXPORT pid_t
vfork(void)
{
	return fork();
}

/*
 * exec: an rs socket does not survive it (docs/fork.md). While other
 * processes share the attachment, the sockets are closed before the exec
 * as the kernel would close close-on-exec descriptors, so that a socket
 * the exec'd image would have been the last holder of closes with the
 * daemon; if the exec then fails they stay closed. A process alone on its
 * attachment needs nothing: its connection is close-on-exec and the
 * daemon closes everything when it goes.
 */
static void
exec_prepare(void)
{
	int fd, v;

	if (!atomic_load(&used) || !rs_fork_shared())
		return;
	pthread_mutex_lock(&st_lock);
	for (fd = 0; fd < MAXFD; fd++) {
		v = atomic_load(&st[fd]);
		if (v != ST_NONE || rs_fd_kind(fd) == RS_FD_SOCKET)
			close_rs_locked(fd);
	}
	pthread_mutex_unlock(&st_lock);
}

EXPORT int
execve(const char *path, char *const argv[], char *const envp[])
{
	exec_prepare();
	return REAL(execve)(path, argv, envp);
}

EXPORT int
execv(const char *path, char *const argv[])
{
	exec_prepare();
	return REAL(execv)(path, argv);
}

EXPORT int
execvp(const char *file, char *const argv[])
{
	exec_prepare();
	return REAL(execvp)(file, argv);
}

EXPORT int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	exec_prepare();
	return REAL(execvpe)(file, argv, envp);
}

EXPORT int
fexecve(int fd, char *const argv[], char *const envp[])
{
	exec_prepare();
	return REAL(fexecve)(fd, argv, envp);
}

/* execl*: the argument list as execv's vector. */
#define EXECL_ARGV(first, ap, argv)					\
	do {								\
		size_t _n = 1;						\
		va_list _c;						\
		va_copy(_c, ap);					\
		while (va_arg(_c, char *) != NULL)			\
			_n++;						\
		va_end(_c);						\
		argv = alloca((_n + 1) * sizeof(char *));		\
		argv[0] = (char *)(first);				\
		for (size_t _i = 1; _i <= _n; _i++)			\
			argv[_i] = va_arg(ap, char *);			\
	} while (0)

EXPORT int
execl(const char *path, const char *arg, ...)
{
	char **argv;
	va_list ap;

	va_start(ap, arg);
	EXECL_ARGV(arg, ap, argv);
	va_end(ap);
	return execv(path, argv);
}

EXPORT int
execlp(const char *file, const char *arg, ...)
{
	char **argv;
	va_list ap;

	va_start(ap, arg);
	EXECL_ARGV(arg, ap, argv);
	va_end(ap);
	return execvp(file, argv);
}

EXPORT int
execle(const char *path, const char *arg, ...)
{
	char **argv, **envp;
	va_list ap;

	va_start(ap, arg);
	EXECL_ARGV(arg, ap, argv);
	envp = va_arg(ap, char **);
	va_end(ap);
	return execve(path, argv, envp);
}

/*
 * Socket creation and control.
 */

EXPORT int
socket(int domain, int type, int protocol)
{
	int fd, m, e;
	const char *fb;

	if (in_lib || (domain != AF_INET && domain != AF_INET6))
		return REAL(socket)(domain, type, protocol);
	m = atomic_load(&mode);
	if (m == M_KERNEL)
		return REAL(socket)(domain, type, protocol);
	atomic_store(&used, true);
	fd = LIB(rs_socket(domain, type, protocol));
	if (fd >= 0) {
		atomic_store(&mode, M_RS);
		return fd;
	}
	e = errno;
	if (m == M_RS || !unreachable_errno(e))
		return fail(e);
	/* No daemon (never attached yet). */
	fb = getenv("RINGSOCK_FALLBACK");
	if (fb != NULL && strcmp(fb, "kernel") == 0) {
		if (!atomic_flag_test_and_set(&told))
			fprintf(stderr, "ringsock_preload: ringstackd not reachable "
				"(%s): RINGSOCK_FALLBACK=kernel, sockets go to the kernel\n",
				strerror(e));
		atomic_store(&mode, M_KERNEL);
		return REAL(socket)(domain, type, protocol);
	}
	if (!atomic_flag_test_and_set(&told))
		fprintf(stderr, "ringsock_preload: ringstackd not reachable (%s): "
			"AF_INET/AF_INET6 sockets fail with EAFNOSUPPORT "
			"(RINGSOCK_FALLBACK=kernel sends them to the kernel)\n",
			strerror(e));
	return fail(EAFNOSUPPORT);
}

EXPORT int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(bind)(fd, addr, len);
	case K_RS: return LIB(rs_bind(t, addr, len));
	default: return fail(EBADF);
	}
}

EXPORT int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(connect)(fd, addr, len);
	case K_RS: return LIB(rs_connect(t, addr, len));
	default: return fail(EBADF);
	}
}

EXPORT int
listen(int fd, int backlog)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(listen)(fd, backlog);
	case K_RS: return LIB(rs_listen(t, backlog));
	default: return fail(EBADF);
	}
}

EXPORT int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(accept4)(fd, addr, len, flags);
	case K_RS: return RESTARTING(t, SO_RCVTIMEO, rs_accept4(t, addr, len, flags));
	default: return fail(EBADF);
	}
}

EXPORT int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int t;

	if (classify(fd, &t) == K_KERNEL)
		return REAL(accept)(fd, addr, len);
	return accept4(fd, addr, len, 0);
}

EXPORT int
shutdown(int fd, int how)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(shutdown)(fd, how);
	case K_RS: return LIB(rs_shutdown(t, how));
	default: return fail(EBADF);
	}
}

EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(getsockopt)(fd, level, name, val, len);
	case K_RS: return LIB(rs_getsockopt(t, level, name, val, len));
	default: return fail(EBADF);
	}
}

EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(setsockopt)(fd, level, name, val, len);
	case K_RS: return LIB(rs_setsockopt(t, level, name, val, len));
	default: return fail(EBADF);
	}
}

EXPORT int
getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(getsockname)(fd, addr, len);
	case K_RS: return LIB(rs_getsockname(t, addr, len));
	default: return fail(EBADF);
	}
}

EXPORT int
getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(getpeername)(fd, addr, len);
	case K_RS: return LIB(rs_getpeername(t, addr, len));
	default: return fail(EBADF);
	}
}

/*
 * Data.
 */

EXPORT ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(send)(fd, buf, n, flags);
	case K_RS: return RESTARTING(t, SO_SNDTIMEO, rs_send(t, buf, n, flags));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
sendto(int fd, const void *buf, size_t n, int flags,
       const struct sockaddr *addr, socklen_t alen)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(sendto)(fd, buf, n, flags, addr, alen);
	case K_RS: return RESTARTING(t, SO_SNDTIMEO, rs_sendto(t, buf, n, flags, addr, alen));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(sendmsg)(fd, msg, flags);
	case K_RS: return RESTARTING(t, SO_SNDTIMEO, rs_sendmsg(t, msg, flags));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(recv)(fd, buf, n, flags);
	case K_RS: return RESTARTING(t, SO_RCVTIMEO, rs_recv(t, buf, n, flags));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
	 socklen_t *alen)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(recvfrom)(fd, buf, n, flags, addr, alen);
	case K_RS: return RESTARTING(t, SO_RCVTIMEO, rs_recvfrom(t, buf, n, flags, addr, alen));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(recvmsg)(fd, msg, flags);
	case K_RS: return RESTARTING(t, SO_RCVTIMEO, rs_recvmsg(t, msg, flags));
	default: return fail(EBADF);
	}
}

EXPORT int
sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	unsigned int i;
	ssize_t r;
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(sendmmsg)(fd, vec, vlen, flags);
	case K_RS: break;
	default: return fail(EBADF);
	}
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;	/* as the kernel caps it */
	for (i = 0; i < vlen; i++) {
		r = LIB(rs_sendmsg(t, &vec[i].msg_hdr, flags));
		if (r < 0)
			return i > 0 ? (int)i : -1;
		vec[i].msg_len = (unsigned int)r;
	}
	return (int)i;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

EXPORT int
recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
	 struct timespec *timeout)
{
	int64_t deadline = 0;
	unsigned int i;
	ssize_t r;
	int t, f;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
	case K_RS: break;
	default: return fail(EBADF);
	}
	if (timeout != NULL) {
		if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
		    timeout->tv_nsec >= 1000000000)
			return fail(EINVAL);
		deadline = now_ns() + timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
	}
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (i = 0; i < vlen; i++) {
		/* As do_recvmmsg: MSG_WAITFORONE makes every datagram after
		 * the first non-blocking; the timeout is looked at only
		 * between datagrams. */
		f = flags & ~MSG_WAITFORONE;
		if (i > 0 && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		r = LIB(rs_recvmsg(t, &vec[i].msg_hdr, f));
		if (r < 0)
			return i > 0 ? (int)i : -1;
		vec[i].msg_len = (unsigned int)r;
		if (timeout != NULL && now_ns() > deadline) {
			i++;
			break;
		}
	}
	return (int)i;
}

EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(read)(fd, buf, n);
	case K_RS: return RESTARTING(t, SO_RCVTIMEO, rs_recv(t, buf, n, 0));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(write)(fd, buf, n);
	case K_RS: return RESTARTING(t, SO_SNDTIMEO, rs_send(t, buf, n, 0));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(readv)(fd, iov, cnt);
	case K_RS:
		if (cnt < 0 || cnt > UIO_MAXIOV)
			return fail(EINVAL);
		return RESTARTING(t, SO_RCVTIMEO, rs_recvmsg(t, &m, 0));
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };
	int t;

	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(writev)(fd, iov, cnt);
	case K_RS:
		if (cnt < 0 || cnt > UIO_MAXIOV)
			return fail(EINVAL);
		return RESTARTING(t, SO_SNDTIMEO, rs_sendmsg(t, &m, 0));
	default: return fail(EBADF);
	}
}

/* sendfile to an rs socket: the file is read here and sent in pieces of at
 * most one UDP datagram. */
static ssize_t
sendfile_rs(int t, int in, off_t *off, size_t count)
{
	size_t total = 0;
	ssize_t got, sent;
	char *buf = malloc(65507);

	if (buf == NULL)
		return fail(ENOMEM);
	while (total < count) {
		size_t want = count - total < 65507 ? count - total : 65507;

		got = off != NULL ? pread(in, buf, want, *off) : REAL(read)(in, buf, want);
		if (got < 0) {
			free(buf);
			return total > 0 ? (ssize_t)total : -1;
		}
		if (got == 0)
			break;
		sent = LIB(rs_send(t, buf, (size_t)got, 0));
		if (sent < 0) {
			int e = errno;

			if (off == NULL)
				lseek(in, -got, SEEK_CUR);
			free(buf);
			errno = e;
			return total > 0 ? (ssize_t)total : -1;
		}
		if (off != NULL)
			*off += sent;
		else if (sent < got)
			lseek(in, sent - got, SEEK_CUR);
		total += (size_t)sent;
		if (sent < got)
			break;
	}
	free(buf);
	return (ssize_t)total;
}

EXPORT ssize_t
sendfile(int out, int in, off_t *off, size_t count)
{
	int t, ti;

	if (classify(in, &ti) == K_BAD)
		return fail(EBADF);
	switch (classify(out, &t)) {
	case K_KERNEL: return REAL(sendfile)(out, in, off, count);
	case K_RS: return sendfile_rs(t, in, off, count);
	default: return fail(EBADF);
	}
}

EXPORT ssize_t
sendfile64(int out, int in, off_t *off, size_t count)
{
	int t;

	if (classify(out, &t) == K_KERNEL && classify(in, &t) == K_KERNEL)
		return REAL(sendfile64)(out, in, off, count);
	return sendfile(out, in, off, count);
}

/*
 * Fortified variants (_FORTIFY_SOURCE): the buffer check, then as above.
 */

EXPORT ssize_t
__read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	int t;

	if (classify(fd, &t) == K_KERNEL)
		return REAL(__read_chk)(fd, buf, n, buflen);
	if (n > buflen)
		__chk_fail();
	return read(fd, buf, n);
}

EXPORT ssize_t
__recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	int t;

	if (classify(fd, &t) == K_KERNEL)
		return REAL(__recv_chk)(fd, buf, n, buflen, flags);
	if (n > buflen)
		__chk_fail();
	return recv(fd, buf, n, flags);
}

EXPORT ssize_t
__recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
	       struct sockaddr *addr, socklen_t *alen)
{
	int t;

	if (classify(fd, &t) == K_KERNEL)
		return REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, addr, alen);
	if (n > buflen)
		__chk_fail();
	return recvfrom(fd, buf, n, flags, addr, alen);
}

/*
 * Descriptors: close, dup, fcntl, ioctl.
 */

/* close() of an rs name, under st_lock. */
static int
close_rs_locked(int fd)
{
	int v = atomic_load(&st[fd]), p, rc;

	if (v == ST_ORPHAN) {
		atomic_store(&st[fd], ST_NONE);
		return REAL(close)(fd);
	}
	if (v == ST_HIDDEN)
		return fail(EBADF);
	if (v > 0) {
		/* An alias: its own kernel descriptor goes; the socket
		 * goes with its last name. */
		p = v - 1;
		atomic_store(&st[fd], ST_NONE);
		rc = REAL(close)(fd);
		if (--nalias[p] == 0 && atomic_load(&st[p]) == ST_HIDDEN) {
			atomic_store(&st[p], ST_NONE);
			LIB(rs_close(p));
		}
		return rc;
	}
	if (nalias[fd] > 0) {
		atomic_store(&st[fd], ST_HIDDEN);
		return 0;
	}
	return LIB(rs_close(fd));
}

EXPORT int
close(int fd)
{
	int t, rc;

	if (classify_any(fd, &t) == K_KERNEL)
		return REAL(close)(fd);
	pthread_mutex_lock(&st_lock);
	rc = close_rs_locked(fd);
	pthread_mutex_unlock(&st_lock);
	return rc;
}

/* A new name nfd (a kernel dup of rs descriptor t's wake descriptor, made
 * close-on-exec as every rs descriptor is) for t. */
static int
alias_make(int t, int nfd)
{
	if (nfd < 0)
		return -1;
	if (nfd >= MAXFD) {
		REAL(close)(nfd);
		return fail(EMFILE);
	}
	pthread_mutex_lock(&st_lock);
	nalias[t]++;
	atomic_store_explicit(&st[nfd], t + 1, memory_order_release);
	pthread_mutex_unlock(&st_lock);
	return nfd;
}

EXPORT int
dup(int fd)
{
	int t;

	switch (classify_any(fd, &t)) {
	case K_KERNEL: return REAL(dup)(fd);
	case K_RS: return alias_make(t, REAL(fcntl)(t, F_DUPFD_CLOEXEC, 0));
	default: return fail(EBADF);
	}
}

/* dup2/dup3 onto newfd: an rs name at newfd is closed first, as the kernel
 * closes newfd. */
static int
dup_onto(int old, int newfd, int flags, bool is_dup3)
{
	int t, tn, rc;
	enum kind k = classify_any(old, &t), kn;

	if (k == K_BAD)
		return fail(EBADF);
	if (newfd < 0)
		return fail(EBADF);
	if (old == newfd) {
		if (is_dup3)
			return fail(EINVAL);
		return newfd;
	}
	kn = classify_any(newfd, &tn);
	if (kn != K_KERNEL) {
		pthread_mutex_lock(&st_lock);
		if (atomic_load(&st[newfd]) == ST_NONE && nalias[newfd] > 0) {
			/* The number must stay the library's while its
			 * aliases live: it cannot become another file. */
			pthread_mutex_unlock(&st_lock);
			return fail(EBUSY);
		}
		close_rs_locked(newfd);
		pthread_mutex_unlock(&st_lock);
	}
	if (k == K_KERNEL)
		return is_dup3 ? REAL(dup3)(old, newfd, flags) : REAL(dup2)(old, newfd);
	rc = REAL(dup3)(t, newfd, O_CLOEXEC);
	return alias_make(t, rc);
}

EXPORT int
dup2(int old, int newfd)
{
	int t;

	if (classify_any(old, &t) == K_KERNEL && classify_any(newfd, &t) == K_KERNEL)
		return REAL(dup2)(old, newfd);
	return dup_onto(old, newfd, 0, false);
}

EXPORT int
dup3(int old, int newfd, int flags)
{
	int t;

	if (classify_any(old, &t) == K_KERNEL && classify_any(newfd, &t) == K_KERNEL)
		return REAL(dup3)(old, newfd, flags);
	if (flags & ~O_CLOEXEC)
		return fail(EINVAL);
	return dup_onto(old, newfd, flags, true);
}

static int
fcntl_rs(int t, int cmd, long arg)
{
	if (rs_fd_kind(t) == RS_FD_EPOLL && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return REAL(fcntl)(t, cmd, arg);
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return alias_make(t, REAL(fcntl)(t, F_DUPFD_CLOEXEC, arg));
	case F_SETFD:
		/* rs sockets do not survive exec (docs/divergences.md): the
		 * descriptor stays close-on-exec whatever is asked. */
		return LIB(rs_fcntl(t, F_SETFD, (int)(arg | FD_CLOEXEC)));
	case F_GETFL:
	case F_SETFL:
	case F_GETFD:
	case F_SETOWN:
	case F_SETOWN_EX:
		return LIB(rs_fcntl(t, cmd, arg));
	default:
		/* Locks, owners, signals: the kernel's, on the wake
		 * descriptor (a socket too), as far as they make sense. */
		return REAL(fcntl)(t, cmd, arg);
	}
}

EXPORT int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int t;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	switch (classify_any(fd, &t)) {
	case K_KERNEL: return REAL(fcntl)(fd, cmd, arg);
	case K_RS: return fcntl_rs(t, cmd, arg);
	default: return fail(EBADF);
	}
}

EXPORT int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int t;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	switch (classify_any(fd, &t)) {
	case K_KERNEL: return REAL(fcntl64)(fd, cmd, arg);
	case K_RS: return fcntl_rs(t, cmd, arg);
	default: return fail(EBADF);
	}
}

EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int t;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (classify(fd, &t)) {
	case K_KERNEL: return REAL(ioctl)(fd, req, arg);
	case K_RS: return LIB(rs_ioctl(t, req, arg));
	default: return fail(EBADF);
	}
}

/* glibc's sockatmark calls the kernel's ioctl directly, which would ask
 * the wake descriptor: served here for rs sockets. */
EXPORT int
sockatmark(int fd)
{
	int v = 0;

	if (ioctl(fd, SIOCATMARK, &v) < 0)
		return -1;
	return v;
}

/*
 * Readiness: poll, select, epoll.
 */

/* Whether any entry needs the library; fills the translated copy. */
static bool
poll_translate(const struct pollfd *fds, nfds_t n, struct pollfd *out, bool *bad)
{
	bool any = false;
	nfds_t i;
	int t;

	for (i = 0; i < n; i++) {
		out[i] = fds[i];
		bad[i] = false;
		switch (classify(fds[i].fd, &t)) {
		case K_KERNEL:
			break;
		case K_RS:
			out[i].fd = t;
			any = true;
			break;
		default:
			out[i].fd = -1;
			bad[i] = true;
			any = true;
			break;
		}
	}
	return any;
}

static bool
poll_has_rs(const struct pollfd *fds, nfds_t n)
{
	nfds_t i;
	int t;

	for (i = 0; i < n; i++)
		if (classify(fds[i].fd, &t) != K_KERNEL)
			return true;
	return false;
}

static int
poll_rs(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd sbuf[64], *tr = sbuf;
	bool bbuf[64], *bad = bbuf;
	nfds_t i;
	int rc, nbad = 0;

	if (n > 64) {
		if (n > (nfds_t)MAXFD * 4)
			return fail(EINVAL);
		tr = malloc(n * sizeof(*tr));
		bad = malloc(n * sizeof(*bad));
		if (tr == NULL || bad == NULL) {
			free(tr);
			free(bad);
			return fail(ENOMEM);
		}
	}
	poll_translate(fds, n, tr, bad);
	for (i = 0; i < n; i++)
		nbad += bad[i];
	/* A descriptor that is not open is reported at once, as the kernel
	 * reports POLLNVAL. */
	rc = LIB(rs_poll(tr, n, nbad > 0 ? 0 : timeout));
	if (rc >= 0) {
		rc = 0;
		for (i = 0; i < n; i++) {
			fds[i].revents = bad[i] ? POLLNVAL : tr[i].revents;
			rc += fds[i].revents != 0;
		}
	}
	if (tr != sbuf) {
		free(tr);
		free(bad);
	}
	return rc;
}

EXPORT int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (in_lib || !poll_has_rs(fds, n))
		return REAL(poll)(fds, n, timeout);
	return poll_rs(fds, n, timeout);
}

static int
ts_to_ms(const struct timespec *ts)
{
	int64_t ms;

	if (ts == NULL)
		return -1;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -2;
	ms = ts->tv_sec * 1000LL + (ts->tv_nsec + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * The signal mask of ppoll/pselect/epoll_pwait is set around the wait, not
 * atomically with it (docs/divergences.md). A signal the mask lets in may
 * be handled after the mask is set and before the library's wait sleeps
 * (pending at the call, or arriving while it spins): the tramp counts it,
 * and the wait, cut into slices of MASK_SLICE_MS, fails with EINTR at the
 * end of the slice, as the kernel's would have at once. (sshd blocks
 * SIGCHLD but for its ppoll: its session waited for the end of its shell
 * for ever.)
 */
#define MASK_SLICE_MS 10

static int
wait_masked(const sigset_t *mask, int ms, int (*fn)(void *arg, int ms), void *arg)
{
	unsigned n0 = sig_restart_n + sig_norestart_n;
	int64_t end = ms < 0 ? -1 : now_ns() + (int64_t)ms * 1000000;
	sigset_t old;
	int rc, e;

	if (mask == NULL)
		return fn(arg, ms);
	pthread_sigmask(SIG_SETMASK, mask, &old);
	for (;;) {
		int slice = MASK_SLICE_MS;

		if (sig_restart_n + sig_norestart_n != n0) {
			rc = -1;
			errno = EINTR;
			break;
		}
		if (end >= 0) {
			int64_t left = end - now_ns();

			if (left < (int64_t)slice * 1000000)
				slice = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
		}
		rc = fn(arg, slice);
		if (rc != 0 || (end >= 0 && now_ns() >= end))
			break;
	}
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return rc;
}

struct poll_args {
	struct pollfd *fds;
	nfds_t n;
};

static int
poll_slice(void *arg, int ms)
{
	struct poll_args *a = arg;

	return poll_rs(a->fds, a->n, ms);
}

EXPORT int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	int ms;

	if (in_lib || !poll_has_rs(fds, n))
		return REAL(ppoll)(fds, n, ts, mask);
	ms = ts_to_ms(ts);
	if (ms == -2)
		return fail(EINVAL);
	return wait_masked(mask, ms, poll_slice, &(struct poll_args){ fds, n });
}

EXPORT int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

EXPORT int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
	    const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, ts, mask);
}

static bool
select_has_rs(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	int fd, t;

	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (fd = 0; fd < nfds; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		     (e && FD_ISSET(fd, e))) && classify(fd, &t) != K_KERNEL)
			return true;
	return false;
}

/* select on poll: readable = POLLIN|POLLHUP|POLLERR, writable =
 * POLLOUT|POLLERR, exceptional = POLLPRI, as the kernel's select maps them. */
static int
select_rs(int nfds, fd_set *r, fd_set *w, fd_set *e, int ms)
{
	struct pollfd p[FD_SETSIZE];
	int fd, n = 0, i, rc;

	if (nfds < 0)
		return fail(EINVAL);
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (r && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (e && FD_ISSET(fd, e))
			ev |= POLLPRI;
		if (ev == 0)
			continue;
		p[n].fd = fd;
		p[n].events = ev;
		p[n].revents = 0;
		n++;
	}
	rc = poll_rs(p, (nfds_t)n, ms);
	if (rc < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i].revents & POLLNVAL)
			return fail(EBADF);
	rc = 0;
	for (i = 0; i < n; i++) {
		short re = p[i].revents;

		fd = p[i].fd;
		if (r && FD_ISSET(fd, r)) {
			if (re & (POLLIN | POLLHUP | POLLERR))
				rc++;
			else
				FD_CLR(fd, r);
		}
		if (w && FD_ISSET(fd, w)) {
			if (re & (POLLOUT | POLLERR))
				rc++;
			else
				FD_CLR(fd, w);
		}
		if (e && FD_ISSET(fd, e)) {
			if (re & POLLPRI)
				rc++;
			else
				FD_CLR(fd, e);
		}
	}
	return rc;
}

EXPORT int
select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	int64_t start, left, sec = 0, usec = 0;
	int ms, rc;

	if (in_lib || !select_has_rs(nfds, r, w, e))
		return REAL(select)(nfds, r, w, e, tv);
	if (tv != NULL) {
		/* kern_select folds whole seconds of tv_usec into tv_sec
		 * first; what is negative after that is EINVAL */
		sec = (int64_t)tv->tv_sec + tv->tv_usec / 1000000;
		usec = tv->tv_usec % 1000000;
		if (sec < 0 || usec < 0)
			return fail(EINVAL);
	}
	ms = tv == NULL ? -1 : sec >= INT_MAX / 1000 - 1 ? INT_MAX :
			      (int)(sec * 1000 + (usec + 999) / 1000);
	start = now_ns();
	rc = select_rs(nfds, r, w, e, ms);
	if (tv != NULL) {
		/* Linux writes back the time left. */
		left = sec > INT64_MAX / 1000000000 - 1 ? INT64_MAX :
		       sec * 1000000000 + usec * 1000 - (now_ns() - start);
		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000000000;
		tv->tv_usec = (left % 1000000000) / 1000;
	}
	return rc;
}

struct select_args {
	int nfds;
	fd_set *r, *w, *e;
	fd_set r0, w0, e0;	/* what was asked: select_rs overwrites the sets */
};

static int
select_slice(void *arg, int ms)
{
	struct select_args *a = arg;

	if (a->r != NULL)
		*a->r = a->r0;
	if (a->w != NULL)
		*a->w = a->w0;
	if (a->e != NULL)
		*a->e = a->e0;
	return select_rs(a->nfds, a->r, a->w, a->e, ms);
}

EXPORT int
pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
	const sigset_t *mask)
{
	struct select_args a = { nfds, r, w, e };
	int ms;

	if (in_lib || !select_has_rs(nfds, r, w, e))
		return REAL(pselect)(nfds, r, w, e, ts, mask);
	ms = ts_to_ms(ts);
	if (ms == -2)
		return fail(EINVAL);
	if (r != NULL)
		a.r0 = *r;
	if (w != NULL)
		a.w0 = *w;
	if (e != NULL)
		a.e0 = *e;
	return wait_masked(mask, ms, select_slice, &a);
}

/* Every epoll descriptor is the library's: rs sockets may be added to it
 * later, and creating one needs no daemon. */
EXPORT int
epoll_create1(int flags)
{
	if (in_lib)
		return REAL(epoll_create1)(flags);
	atomic_store(&used, true);
	return LIB(rs_epoll_create1(flags));
}

EXPORT int
epoll_create(int size)
{
	if (in_lib)
		return REAL(epoll_create)(size);
	atomic_store(&used, true);
	return LIB(rs_epoll_create(size));
}

EXPORT int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	enum kind ke, kf;
	int te, tf;

	ke = classify_any(epfd, &te);
	kf = classify_any(fd, &tf);
	if (ke == K_KERNEL && kf == K_KERNEL)
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	if (ke == K_BAD || kf == K_BAD)
		return fail(EBADF);
	return LIB(rs_epoll_ctl(te, op, tf, ev));
}

EXPORT int
epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	int t;

	switch (classify_any(epfd, &t)) {
	case K_KERNEL: return REAL(epoll_wait)(epfd, evs, max, timeout);
	case K_RS: return LIB(rs_epoll_wait(t, evs, max, timeout));
	default: return fail(EBADF);
	}
}

struct epoll_args {
	int epfd;
	struct epoll_event *evs;
	int max;
};

static int
epoll_slice(void *arg, int ms)
{
	struct epoll_args *a = arg;

	return LIB(rs_epoll_wait(a->epfd, a->evs, a->max, ms));
}

EXPORT int
epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
	    const sigset_t *mask)
{
	int t;

	switch (classify_any(epfd, &t)) {
	case K_KERNEL: return REAL(epoll_pwait)(epfd, evs, max, timeout, mask);
	case K_RS:
		return wait_masked(mask, timeout, epoll_slice,
				   &(struct epoll_args){ t, evs, max });
	default: return fail(EBADF);
	}
}

EXPORT int
epoll_pwait2(int epfd, struct epoll_event *evs, int max,
	     const struct timespec *ts, const sigset_t *mask)
{
	int t, ms;

	switch (classify_any(epfd, &t)) {
	case K_KERNEL: return REAL(epoll_pwait2)(epfd, evs, max, ts, mask);
	case K_RS:
		ms = ts_to_ms(ts);
		if (ms == -2)
			return fail(EINVAL);
		return wait_masked(mask, ms, epoll_slice, &(struct epoll_args){ t, evs, max });
	default: return fail(EBADF);
	}
}

/*
 * syscall(2): libuv (and so bind9's dig) closes descriptors and sends and
 * receives datagrams with syscall(SYS_close / SYS_sendmmsg / SYS_recvmmsg,
 * ...) instead of the libc functions. Such calls on an rs descriptor are
 * routed as the functions are; every other system call, and these on any
 * other descriptor, go to libc's syscall untouched.
 */
EXPORT long
syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	int i, t;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	switch (nr) {
	case SYS_close: case SYS_read: case SYS_write: case SYS_readv:
	case SYS_writev: case SYS_sendmmsg: case SYS_recvmmsg: case SYS_sendmsg:
	case SYS_recvmsg: case SYS_sendto: case SYS_recvfrom: case SYS_accept4:
	case SYS_accept: case SYS_shutdown: case SYS_getsockopt:
	case SYS_setsockopt: case SYS_getsockname: case SYS_getpeername:
	case SYS_bind: case SYS_connect: case SYS_listen: case SYS_fcntl:
	case SYS_ioctl: case SYS_dup: case SYS_dup3:
		if (classify_any((int)a[0], &t) != K_KERNEL)
			break;
		/* fall through */
	case SYS_seccomp:	/* as prctl(PR_SET_SECCOMP) */
		if (a[0] == SECCOMP_SET_MODE_FILTER)
			rs_confine();
		return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	default:
		return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	switch (nr) {
	case SYS_close: return close((int)a[0]);
	case SYS_read: return read((int)a[0], (void *)a[1], (size_t)a[2]);
	case SYS_write: return write((int)a[0], (const void *)a[1], (size_t)a[2]);
	case SYS_readv: return readv((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	case SYS_writev: return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	case SYS_sendmmsg:
		return sendmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned int)a[2], (int)a[3]);
	case SYS_recvmmsg:
		return recvmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned int)a[2], (int)a[3],
				(struct timespec *)a[4]);
	case SYS_sendmsg: return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
	case SYS_recvmsg: return recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]);
	case SYS_sendto:
		return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3],
			      (const struct sockaddr *)a[4], (socklen_t)a[5]);
	case SYS_recvfrom:
		return recvfrom((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3],
				(struct sockaddr *)a[4], (socklen_t *)a[5]);
	case SYS_accept4:
		return accept4((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], (int)a[3]);
	case SYS_accept:
		return accept4((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], 0);
	case SYS_shutdown: return shutdown((int)a[0], (int)a[1]);
	case SYS_getsockopt:
		return getsockopt((int)a[0], (int)a[1], (int)a[2], (void *)a[3], (socklen_t *)a[4]);
	case SYS_setsockopt:
		return setsockopt((int)a[0], (int)a[1], (int)a[2], (const void *)a[3],
				  (socklen_t)a[4]);
	case SYS_getsockname:
		return getsockname((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
	case SYS_getpeername:
		return getpeername((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
	case SYS_bind: return bind((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
	case SYS_connect:
		return connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
	case SYS_listen: return listen((int)a[0], (int)a[1]);
	case SYS_fcntl: return fcntl((int)a[0], (int)a[1], a[2]);
	case SYS_ioctl: return ioctl((int)a[0], (unsigned long)a[1], (void *)a[2]);
	case SYS_dup: return dup((int)a[0]);
	case SYS_dup3: return dup3((int)a[0], (int)a[1], (int)a[2]);
	default:
		return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
