/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPSC rings over shared memory (see shm_ring.h for the trust model).
 *
 * Memory ordering, as in DPDK's rte_ring_c11_pvt.h:
 *  - producer: writes the data, then store-release of prod;
 *  - consumer: load-acquire of prod, reads the data, then store-release of
 *    cons;
 *  - producer: load-acquire of cons before it reuses the space.
 * Each side's own index lives in struct shm_ring and is never loaded back.
 *
 * Every copy into or out of the data area goes through ring_copy_in/out with
 * n <= size, which keeps it inside data[0, size) whatever the position; the
 * callers guarantee n <= size from validated lengths only.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "util/shm_ring.h"

void
shm_ring_hdr_init(struct shm_ring_hdr *hdr)
{
	/* Relaxed: the segment is handed to the peer afterwards through a
	 * unix socket, a system call that orders these stores before it. */
	atomic_store_explicit(&hdr->prod, 0, memory_order_relaxed);
	atomic_store_explicit(&hdr->cons, 0, memory_order_relaxed);
}

static bool
size_ok(uint64_t size)
{
	return size >= SHM_RING_MIN_SIZE && size <= SHM_RING_MAX_SIZE &&
		(size & (size - 1)) == 0;
}

int
shm_ring_layout_check(size_t map_len, uint64_t hdr_off, uint64_t data_off,
		      uint64_t size)
{
	const uint64_t hlen = sizeof(struct shm_ring_hdr);

	if (!size_ok(size))
		return -EINVAL;
	if (hdr_off % SHM_RING_CACHE_LINE != 0 || data_off % SHM_REC_ALIGN != 0)
		return -EINVAL;
	/* Subtract from map_len rather than add to the offsets: the offsets
	 * come from the peer and may be chosen to overflow. */
	if (hlen > map_len || hdr_off > map_len - hlen)
		return -EINVAL;
	if (size > map_len || data_off > map_len - size)
		return -EINVAL;
	if (hdr_off < data_off + size && data_off < hdr_off + hlen)
		return -EINVAL;
	return 0;
}

int
shm_ring_init(struct shm_ring *r, struct shm_ring_hdr *hdr, void *data,
	      uint32_t size, enum shm_ring_side side)
{
	uintptr_t h = (uintptr_t)hdr, d = (uintptr_t)data;

	if (r == NULL || hdr == NULL || data == NULL || !size_ok(size))
		return -EINVAL;
	if (side != SHM_RING_PROD && side != SHM_RING_CONS)
		return -EINVAL;
	if (h % SHM_RING_CACHE_LINE != 0 || d % SHM_REC_ALIGN != 0)
		return -EINVAL;
	if (h < d + size && d < h + sizeof(*hdr))
		return -EINVAL;
	r->hdr = hdr;
	r->data = data;
	r->size = size;
	r->mask = size - 1;
	r->side = side;
	/* Relaxed: a starting point only. If the peer wrote garbage here, its
	 * next index will not be within one ring of it and we report
	 * SHM_ECORRUPT then. */
	r->idx = atomic_load_explicit(side == SHM_RING_PROD ? &hdr->prod : &hdr->cons,
				      memory_order_relaxed);
	return 0;
}

/* n <= r->size: at most two pieces, both inside data[0, size). */
static void
ring_copy_in(struct shm_ring *r, uint32_t pos, const void *src, uint32_t n)
{
	uint32_t off = pos & r->mask;
	uint32_t first = r->size - off;

	/* memcpy's pointers must be valid even for 0 bytes (C11 7.24.1). */
	if (n == 0)
		return;
	if (n <= first) {
		memcpy(r->data + off, src, n);
		return;
	}
	memcpy(r->data + off, src, first);
	memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void
ring_copy_out(const struct shm_ring *r, uint32_t pos, void *dst, uint32_t n)
{
	uint32_t off = pos & r->mask;
	uint32_t first = r->size - off;

	if (n == 0)
		return;
	if (n <= first) {
		memcpy(dst, r->data + off, n);
		return;
	}
	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, n - first);
}

/*
 * Consumer: bytes published by the producer, in *used.
 */
static int
cons_used(const struct shm_ring *r, uint32_t *used)
{
	uint32_t prod, n;

	assert(r->side == SHM_RING_CONS);
	/* Acquire: pairs with the producer's store-release of prod, so the
	 * bytes it wrote in [cons, prod) before publishing are visible to the
	 * reads that follow. */
	prod = atomic_load_explicit(&r->hdr->prod, memory_order_acquire);
	/* A hostile producer can store any prod. Behind our cons, or more
	 * than one ring ahead, both come out as n > size in unsigned
	 * arithmetic; anything else designates bytes inside the data area. */
	n = prod - r->idx;
	if (n > r->size)
		return SHM_ECORRUPT;
	*used = n;
	return 0;
}

static void
cons_advance(struct shm_ring *r, uint32_t n)
{
	r->idx += n;
	/* Release: our reads of the bytes just consumed are done before the
	 * producer, after its load-acquire of cons, overwrites them. */
	atomic_store_explicit(&r->hdr->cons, r->idx, memory_order_release);
}

/*
 * Producer: room left for writing, in *room.
 */
static int
prod_room(const struct shm_ring *r, uint32_t *room)
{
	uint32_t cons, used;

	assert(r->side == SHM_RING_PROD);
	/* Acquire: pairs with the consumer's store-release of cons: its reads
	 * of the space we are about to reuse have completed. */
	cons = atomic_load_explicit(&r->hdr->cons, memory_order_acquire);
	/* The daemon produces into rings the application consumes: a cons
	 * ahead of our prod, or more than a ring behind, is a lie that would
	 * otherwise make us report more room than the ring has. */
	used = r->idx - cons;
	if (used > r->size)
		return SHM_ECORRUPT;
	*room = r->size - used;
	return 0;
}

static void
prod_publish(struct shm_ring *r, uint32_t n)
{
	r->idx += n;
	/* Release: the data written at [old prod, prod) is visible to a
	 * consumer whose load-acquire of prod sees this value. */
	atomic_store_explicit(&r->hdr->prod, r->idx, memory_order_release);
}

static inline uint32_t
min_u32(uint32_t a, size_t b)
{
	return b < a ? (uint32_t)b : a;
}

ssize_t
shm_bytes_write(struct shm_ring *r, const void *buf, size_t len)
{
	uint32_t room, n;
	int rc;

	if (buf == NULL && len != 0)
		return -EINVAL;
	rc = prod_room(r, &room);
	if (rc < 0)
		return rc;
	n = min_u32(room, len);
	if (n == 0)
		return 0;
	ring_copy_in(r, r->idx, buf, n);
	prod_publish(r, n);
	return n;
}

ssize_t
shm_bytes_write_at(struct shm_ring *r, size_t off, const void *buf, size_t len)
{
	uint32_t room, n;
	int rc;

	if (buf == NULL && len != 0)
		return -EINVAL;
	rc = prod_room(r, &room);
	if (rc < 0)
		return rc;
	if (off >= room)
		return 0;
	n = min_u32(room - (uint32_t)off, len);
	ring_copy_in(r, r->idx + (uint32_t)off, buf, n);
	return n;
}

ssize_t
shm_bytes_publish(struct shm_ring *r, size_t n)
{
	uint32_t room;
	int rc = prod_room(r, &room);

	if (rc < 0)
		return rc;
	room = min_u32(room, n);
	if (room > 0)
		prod_publish(r, room);
	return room;
}

ssize_t
shm_bytes_free(const struct shm_ring *r)
{
	uint32_t room;
	int rc = prod_room(r, &room);

	return rc < 0 ? rc : (ssize_t)room;
}

ssize_t
shm_bytes_used(const struct shm_ring *r)
{
	uint32_t used;
	int rc = cons_used(r, &used);

	return rc < 0 ? rc : (ssize_t)used;
}

ssize_t
shm_bytes_peek_at(const struct shm_ring *r, size_t off, void *buf, size_t len)
{
	uint32_t used, n;
	int rc;

	if (buf == NULL && len != 0)
		return -EINVAL;
	rc = cons_used(r, &used);
	if (rc < 0)
		return rc;
	if (off >= used)
		return 0;
	n = min_u32(used - (uint32_t)off, len);
	ring_copy_out(r, r->idx + (uint32_t)off, buf, n);
	return n;
}

ssize_t
shm_bytes_peek(const struct shm_ring *r, void *buf, size_t len)
{
	return shm_bytes_peek_at(r, 0, buf, len);
}

ssize_t
shm_bytes_read(struct shm_ring *r, void *buf, size_t len)
{
	ssize_t n = shm_bytes_peek_at(r, 0, buf, len);

	if (n > 0)
		cons_advance(r, (uint32_t)n);
	return n;
}

ssize_t
shm_bytes_skip(struct shm_ring *r, size_t len)
{
	uint32_t used, n;
	int rc = cons_used(r, &used);

	if (rc < 0)
		return rc;
	n = min_u32(used, len);
	if (n > 0)
		cons_advance(r, n);
	return n;
}

/*
 * Record rings.
 */

static const uint8_t zero_pad[SHM_REC_ALIGN];

int
shm_rec_write(struct shm_ring *r, const void *meta, uint32_t meta_len,
	      const struct iovec *iov, int iovcnt, uint32_t flags)
{
	struct shm_rec_hdr h;
	uint64_t len = 0, span;
	uint32_t room, pos;
	int i, rc;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL) || (meta_len != 0 && meta == NULL))
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		/* Compare before adding: iov_len is a size_t and may be huge. */
		if (iov[i].iov_len > UINT32_MAX - len)
			return -EMSGSIZE;
		if (iov[i].iov_len != 0 && iov[i].iov_base == NULL)
			return -EINVAL;
		len += iov[i].iov_len;
	}
	span = shm_rec_span(meta_len, len);
	if (span > r->size)
		return -EMSGSIZE;
	rc = prod_room(r, &room);
	if (rc < 0)
		return rc;
	if (span > room)
		return -EAGAIN;

	h.len = (uint32_t)len;
	h.meta_len = meta_len;
	h.flags = flags;
	h.reserved = 0;
	pos = r->idx;
	ring_copy_in(r, pos, &h, sizeof(h));
	pos += sizeof(h);
	ring_copy_in(r, pos, meta, meta_len);
	pos += meta_len;
	for (i = 0; i < iovcnt; i++) {
		ring_copy_in(r, pos, iov[i].iov_base, (uint32_t)iov[i].iov_len);
		pos += (uint32_t)iov[i].iov_len;
	}
	/* Zero the padding rather than leave bytes of older records in it:
	 * nothing but our own data was ever there, but then nobody has to
	 * check that. */
	ring_copy_in(r, pos, zero_pad, r->idx + (uint32_t)span - pos);
	prod_publish(r, (uint32_t)span);
	return 0;
}

/*
 * Fetch a record header exactly once. Plain loads from memory the peer may be
 * writing are a data race the compiler is allowed to assume away, e.g. by
 * loading a field again where we use the copy; volatile loads (Linux's
 * READ_ONCE) rule that out, so validation and use see the same values.
 * Byte by byte: the header may straddle the end of the data area.
 */
static void
rec_hdr_fetch(const struct shm_ring *r, uint32_t pos, struct shm_rec_hdr *h)
{
	const volatile uint8_t *d = r->data;
	uint8_t b[sizeof(*h)];
	unsigned int i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = d[(pos + i) & r->mask];
	memcpy(h, b, sizeof(*h));
}

/*
 * The next record's header, validated against the bytes published, and the
 * span it takes in the ring.
 */
static int
rec_next(const struct shm_ring *r, struct shm_rec_hdr *h, uint32_t *span)
{
	uint32_t used;
	uint64_t s;
	int rc;

	rc = cons_used(r, &used);
	if (rc < 0)
		return rc;
	if (used == 0)
		return -EAGAIN;
	/* The producer publishes whole records, each a multiple of 8 bytes
	 * and at least a header. */
	if (used < SHM_REC_HDR_LEN || used % SHM_REC_ALIGN != 0)
		return SHM_ECORRUPT;
	rec_hdr_fetch(r, r->idx, h);
	/* 64-bit sum: 32-bit lengths chosen to wrap around cannot pass. */
	s = shm_rec_span(h->meta_len, h->len);
	if (s > used || h->reserved != 0)
		return SHM_ECORRUPT;
	*span = (uint32_t)s;
	return 0;
}

int
shm_rec_peek(const struct shm_ring *r, struct shm_rec *out)
{
	struct shm_rec_hdr h;
	uint32_t span;
	int rc;

	rc = rec_next(r, &h, &span);
	if (rc < 0)
		return rc;
	if (out != NULL) {
		out->len = h.len;
		out->meta_len = h.meta_len;
		out->flags = h.flags;
	}
	return 0;
}

/*
 * Copy the next record out without consuming it: shm_rec_read and
 * shm_rec_peek_data. The span it takes in *spanp.
 */
static ssize_t
rec_copy(const struct shm_ring *r, void *meta, uint32_t meta_cap,
	 const struct iovec *iov, int iovcnt, struct shm_rec *out,
	 uint32_t *spanp)
{
	struct shm_rec_hdr h;
	uint32_t span, pos, left, n;
	int i, rc;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL) || (meta_cap != 0 && meta == NULL))
		return -EINVAL;
	/* Before anything is copied: an error must leave the record in place. */
	for (i = 0; i < iovcnt; i++)
		if (iov[i].iov_len != 0 && iov[i].iov_base == NULL)
			return -EINVAL;
	rc = rec_next(r, &h, &span);
	if (rc < 0)
		return rc;
	/* From here on only h, the validated local copy: h.meta_len and h.len
	 * sum to less than span <= used <= size, so every copy below stays
	 * inside [cons, cons + span). */
	pos = r->idx + SHM_REC_HDR_LEN;
	ring_copy_out(r, pos, meta, min_u32(h.meta_len, meta_cap));
	pos += h.meta_len;
	left = h.len;
	for (i = 0; i < iovcnt && left > 0; i++) {
		n = min_u32(left, iov[i].iov_len);
		ring_copy_out(r, pos, iov[i].iov_base, n);
		pos += n;
		left -= n;
	}
	if (out != NULL) {
		out->len = h.len;
		out->meta_len = h.meta_len;
		out->flags = h.flags;
	}
	*spanp = span;
	return (ssize_t)(h.len - left);
}

ssize_t
shm_rec_read(struct shm_ring *r, void *meta, uint32_t meta_cap,
	     const struct iovec *iov, int iovcnt, struct shm_rec *out)
{
	uint32_t span;
	ssize_t n;

	n = rec_copy(r, meta, meta_cap, iov, iovcnt, out, &span);
	if (n >= 0)
		cons_advance(r, span);
	return n;
}

ssize_t
shm_rec_peek_data(const struct shm_ring *r, void *meta, uint32_t meta_cap,
		  const struct iovec *iov, int iovcnt, struct shm_rec *out)
{
	uint32_t span;

	/* Nothing consumed: cons is neither advanced nor published, so the
	 * producer cannot overwrite the bytes, and the next read (or peek)
	 * fetches and validates the header afresh. */
	return rec_copy(r, meta, meta_cap, iov, iovcnt, out, &span);
}

int
shm_rec_skip(struct shm_ring *r)
{
	struct shm_rec_hdr h;
	uint32_t span;
	int rc;

	rc = rec_next(r, &h, &span);
	if (rc < 0)
		return rc;
	cons_advance(r, span);
	return 0;
}
