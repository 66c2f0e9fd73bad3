/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-producer/single-consumer rings in a memory segment (memfd) shared by
 * an application (libringsock) and ringstackd, mapped at different addresses
 * in each: the shared part holds only the two indices, never a pointer.
 *
 * Two kinds of ring run over the same indices:
 *  - byte rings (stream sockets): shm_bytes_*;
 *  - record rings (datagram sockets): shm_rec_*. A record is a 16-byte
 *    struct shm_rec_hdr, meta_len meta bytes, len payload bytes, zero padding
 *    to a multiple of 8. A record is contiguous in the logical stream only:
 *    it may wrap past the end of the data area, and is copied in two parts.
 *
 * Trust (DESIGN.md, "Sockets over shared memory"): the daemon treats every
 * byte the application can write as hostile, and so does this code on both
 * sides, because the daemon is the consumer of app->daemon rings and the
 * producer of daemon->app rings. Nothing is read back from shared memory that
 * is not validated first:
 *  - the size and the data area come from the private struct shm_ring, built
 *    from values the caller knows (the daemon made the segment; the app
 *    checked the segment header once with shm_ring_layout_check());
 *  - each side keeps its own index privately in struct shm_ring and only
 *    publishes it: a peer that rewrites our index in shared memory hurts
 *    only itself;
 *  - the peer's index is loaded once per call (a single atomic load) and
 *    rejected with SHM_ECORRUPT unless it lies within one ring of ours;
 *  - a record header is fetched once into a local copy, validated against
 *    the bytes the producer published, and only the copy is used, so a peer
 *    that rewrites it while we read cannot make us read out of bounds.
 * The payload a hostile peer scribbles on is garbage for its own socket,
 * never a reason to touch memory outside the data area.
 *
 * SHM_ECORRUPT means the peer broke the protocol; the ring is not usable
 * afterwards (the daemon closes the socket). The functions are not
 * thread-safe on one side: one producer thread and one consumer thread.
 */
#ifndef RS_SHM_RING_H
#define RS_SHM_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* C11 7.17.5: lock-free atomics are also address-free, which is what lets
 * two processes that map the segment at different addresses share them. */
#if ATOMIC_INT_LOCK_FREE != 2
#error "shm rings need lock-free 32-bit atomics"
#endif

/* Negative, like every other error these functions return. */
#define SHM_ECORRUPT (-EPROTO)

#define SHM_RING_CACHE_LINE 64
#define SHM_RING_MIN_SIZE 16u		/* one empty record */
/* Free-running uint32_t indices tell full from empty only up to 2^31. */
#define SHM_RING_MAX_SIZE (1u << 31)
#define SHM_REC_HDR_LEN 16u
#define SHM_REC_ALIGN 8u

/*
 * In shared memory. Each index in its own cache line so that the producer's
 * stores to prod do not invalidate the line the consumer stores cons into
 * (DPDK rte_ring_core.h does the same for head/tail pairs).
 */
struct shm_ring_hdr {
	_Alignas(SHM_RING_CACHE_LINE) _Atomic uint32_t prod;
	_Alignas(SHM_RING_CACHE_LINE) _Atomic uint32_t cons;
};

_Static_assert(sizeof(struct shm_ring_hdr) == 2 * SHM_RING_CACHE_LINE,
	       "shm_ring_hdr layout is shared with the peer");

/* In a record ring, before each record. Native endianness: both ends are on
 * the same host. */
struct shm_rec_hdr {
	uint32_t len;		/* payload bytes */
	uint32_t meta_len;	/* meta bytes, before the payload */
	uint32_t flags;		/* opaque here; the socket layer validates */
	uint32_t reserved;	/* zero: a non-zero value is corruption */
};

_Static_assert(sizeof(struct shm_rec_hdr) == SHM_REC_HDR_LEN,
	       "shm_rec_hdr layout is shared with the peer");

enum shm_ring_side {
	SHM_RING_PROD,
	SHM_RING_CONS,
};

/* Private to one side, never in shared memory. */
struct shm_ring {
	struct shm_ring_hdr *hdr;
	uint8_t *data;
	uint32_t size;		/* power of two */
	uint32_t mask;		/* size - 1 */
	/* Our own index (prod for the producer, cons for the consumer): the
	 * authoritative copy, only ever stored to shared memory. */
	uint32_t idx;
	enum shm_ring_side side;
};

/* What shm_rec_peek/shm_rec_read report: the record's full lengths, even
 * when shm_rec_read copied less (as recvmsg reports MSG_TRUNC). */
struct shm_rec {
	uint32_t len;
	uint32_t meta_len;
	uint32_t flags;
};

/*
 * For a side shared by several processes that take turns under a lock of
 * their own (libringsock after fork: docs/fork.md): our index is taken
 * back from shared memory, where the process that used the ring last
 * published it. Any value is safe (the peer's index is checked against
 * ours on every use, as after shm_ring_init).
 */
static inline void
shm_ring_resync(struct shm_ring *r)
{
	r->idx = atomic_load_explicit(r->side == SHM_RING_PROD ? &r->hdr->prod : &r->hdr->cons,
				      memory_order_acquire);
}

/* For the creator, before the segment is shared: both indices to zero. */
void shm_ring_hdr_init(struct shm_ring_hdr *hdr);

/*
 * For the side that learns the layout from the (untrusted) segment header:
 * 0 if a ring header at hdr_off and a data area of size bytes at data_off
 * lie inside a mapping of map_len bytes, aligned and not overlapping, with a
 * valid size; -EINVAL otherwise.
 */
int shm_ring_layout_check(size_t map_len, uint64_t hdr_off, uint64_t data_off,
			  uint64_t size);

/*
 * Build one side's private view. size: a power of two in
 * [SHM_RING_MIN_SIZE, SHM_RING_MAX_SIZE]; data: 8-byte aligned; hdr:
 * cache-line aligned. Our own index starts at the value in hdr: any value is
 * safe, since the peer's index is checked against ours on every use.
 * Returns 0 or -EINVAL.
 */
int shm_ring_init(struct shm_ring *r, struct shm_ring_hdr *hdr, void *data,
		  uint32_t size, enum shm_ring_side side);

/*
 * Byte rings. Producer side: shm_bytes_write, shm_bytes_free. Consumer side:
 * the rest. Each returns a byte count (possibly 0), or SHM_ECORRUPT, or
 * -EINVAL for a NULL buffer with a non-zero length.
 */
ssize_t shm_bytes_write(struct shm_ring *r, const void *buf, size_t len);
ssize_t shm_bytes_free(const struct shm_ring *r);
/*
 * Producer side, for data that arrives out of order (TCP): copy len bytes
 * to off bytes past the write point without publishing them, and later
 * publish n bytes from the write point. Bytes past the write point are
 * the producer's until published (the consumer never reads them), so a
 * placement stays intact across calls. Each returns the bytes written or
 * published (short only when the room does not reach that far: the
 * consumer lied about its index), or SHM_ECORRUPT, or -EINVAL.
 */
ssize_t shm_bytes_write_at(struct shm_ring *r, size_t off, const void *buf, size_t len);
ssize_t shm_bytes_publish(struct shm_ring *r, size_t n);
ssize_t shm_bytes_read(struct shm_ring *r, void *buf, size_t len);
/* Copy from the front without consuming. */
ssize_t shm_bytes_peek(const struct shm_ring *r, void *buf, size_t len);
/* Copy from off bytes past the front without consuming: TCP keeps sent
 * bytes in the ring until they are acknowledged. 0 if off >= used. */
ssize_t shm_bytes_peek_at(const struct shm_ring *r, size_t off, void *buf,
			  size_t len);
/* Consume up to len bytes without copying them. */
ssize_t shm_bytes_skip(struct shm_ring *r, size_t len);
ssize_t shm_bytes_used(const struct shm_ring *r);

/*
 * Record rings, producer side. Writes one record (meta, then the payload
 * gathered from iov) or nothing. Returns 0; -EAGAIN if there is not room
 * now; -EMSGSIZE if the record could never fit in this ring (or its lengths
 * do not fit in 32 bits); SHM_ECORRUPT; -EINVAL for bad arguments.
 */
int shm_rec_write(struct shm_ring *r, const void *meta, uint32_t meta_len,
		  const struct iovec *iov, int iovcnt, uint32_t flags);

/*
 * Record rings, consumer side. Each returns -EAGAIN when the ring is empty
 * and SHM_ECORRUPT when the published bytes do not hold a valid record.
 *
 * shm_rec_peek: lengths and flags of the next record, not consumed; 0.
 * shm_rec_read: copies min(meta_len, meta_cap) meta bytes into meta and as
 *   much payload as the iovecs hold, consumes the record, reports its full
 *   lengths in *out (may be NULL) and returns the payload bytes copied. It
 *   validates the header itself: what an earlier peek saw is not trusted.
 * shm_rec_peek_data: as shm_rec_read (same copies, same validation of a
 *   header fetched once, same return value and *out) but consumes nothing:
 *   recvmsg's MSG_PEEK. The record is validated afresh by the next call.
 * shm_rec_skip: consumes the next record; 0.
 */
int shm_rec_peek(const struct shm_ring *r, struct shm_rec *out);
ssize_t shm_rec_read(struct shm_ring *r, void *meta, uint32_t meta_cap,
		     const struct iovec *iov, int iovcnt, struct shm_rec *out);
ssize_t shm_rec_peek_data(const struct shm_ring *r, void *meta, uint32_t meta_cap,
			  const struct iovec *iov, int iovcnt, struct shm_rec *out);
int shm_rec_skip(struct shm_ring *r);

/* Bytes a record with these lengths takes in the ring, header and padding
 * included. In 64 bits so that no pair of 32-bit lengths can wrap it. */
static inline uint64_t
shm_rec_span(uint64_t meta_len, uint64_t len)
{
	return (SHM_REC_HDR_LEN + meta_len + len + SHM_REC_ALIGN - 1) &
		~(uint64_t)(SHM_REC_ALIGN - 1);
}

#endif
