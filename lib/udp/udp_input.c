/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_input (RFC 768, RFC 1122 §4.1.3): length and checksum checks (a zero
 * checksum means none was sent), then delivery to the socket that
 * demultiplexing finds (lib/sock/sock.h); with none the port is closed:
 * Port Unreachable (RFC 1122 §4.1.3.1), except for broadcasts.
 * Input: data at the IPv4 header. Consumes every packet.
 */
#include <rte_ip.h>

#include "core/node.h"
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "icmp/icmp4.h"
#include "sock/sock.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_TRUNC,
	E_CSUM,
	E_PORT_UNREACH,
	E_RCVBUF,
	E_CORRUPT,
	E_NB,
};

/*
 * Copies the datagram into the socket's rx ring (one copy, mbuf -> ring)
 * and wakes the application only if it sleeps (one syscall then, none
 * otherwise). Frees m when delivered. Everything in the ring header may have
 * been written by a hostile application: shm_rec_write checks it.
 */
static rte_edge_t deliver(struct rs_sock *so, struct rte_mbuf *m, uint16_t hlen,
			  const struct udp_view *u)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	struct rs_rx_meta meta = {
		.from = { .family = AF_INET, .port = rte_cpu_to_be_16(udp_sport(u)),
			  .addr = rte_cpu_to_be_32(rs_ld32(b + 12)) },
		.dst = rte_cpu_to_be_32(rs_ld32(b + 16)),
		.iface = rs_priv(m)->iface,
		.tos = b[1],
		.ttl = b[8],
	};
	struct iovec iov[64];
	int n = 0;
	uint32_t off = (uint32_t)hlen + UDP_HLEN, left = u->len - UDP_HLEN;
	for (struct rte_mbuf *seg = m; seg != NULL && left > 0 && n < 64; seg = seg->next) {
		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		uint32_t take = seg->data_len - off;
		if (take > left)
			take = left;
		iov[n].iov_base = rte_pktmbuf_mtod_offset(seg, uint8_t *, off);
		iov[n].iov_len = take;
		n++;
		left -= take;
		off = 0;
	}
	if (left > 0)
		return E_RCVBUF; /* more segments than iovecs: not expected */
	/* SO_RCVBUF: Linux counts the datagram's memory; the ring's bytes here */
	ssize_t fr = shm_bytes_free(&so->rx);
	if (fr >= 0 && (int64_t)(so->rx.size - (uint32_t)fr) +
			       (int64_t)shm_rec_span(sizeof(meta), u->len - UDP_HLEN) > so->rcvbuf)
		goto full;
	int rc = shm_rec_write(&so->rx, &meta, sizeof(meta), iov, n, 0);
	if (rc == 0) {
		so->app->rx_dgrams++;
		/* Dekker with the app (store app_wait; load prod) against ours
		 * (store prod; load app_wait): the release store of prod may
		 * otherwise pass this load (x86 store buffer) and a sleeper
		 * would never be woken. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&so->shm->app_wait, memory_order_relaxed)) {
			uint64_t one = 1;
			if (write(so->efd, &one, sizeof(one)) < 0) { /* EAGAIN: already signalled */ }
		}
		rte_pktmbuf_free(m);
		return RS_EDGE_CONSUMED;
	}
	if (rc != -EAGAIN && rc != -EMSGSIZE) {
		atomic_store(&so->app->corrupt, 1);
		return E_CORRUPT;
	}
full:;
	/* single writer (this worker): a load and a store, no RMW */
	uint32_t d = atomic_load_explicit(&so->shm->rx_drops, memory_order_relaxed);
	atomic_store_explicit(&so->shm->rx_drops, d + 1, memory_order_relaxed);
	return E_RCVBUF;
}

static uint16_t udp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				  uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
		struct udp_view u;
		rte_edge_t next;

		if (m->data_len < hlen + UDP_HLEN ||
		    udp_check(&u, b + hlen, m->pkt_len - hlen) < 0) {
			next = E_TRUNC;
			goto out;
		}
		if (udp_csum_field(&u) != 0) {
			uint16_t sum;
			if (rte_raw_cksum_mbuf(m, hlen, u.len, &sum) != 0) {
				next = E_TRUNC;
				goto out;
			}
			uint32_t s = rs_csum_pseudo4(rs_ld32(b + 12), rs_ld32(b + 16),
						     IPPROTO_UDP_, u.len) +
				     rte_be_to_cpu_16(sum); /* rte_raw_cksum sums in host order */
			if (rs_csum_fold(s) != 0) {
				next = E_CSUM;
				goto out;
			}
		}
		{
			uint32_t src = rs_ld32(b + 12), dst = rs_ld32(b + 16);
			struct rs_sock *so = sock_lookup(dst, udp_dport(&u), src, udp_sport(&u));
			if (so != NULL && (so->bind_iface < 0 || so->bind_iface == rs_priv(m)->iface)) {
				next = deliver(so, m, hlen, &u);
				if (next == RS_EDGE_CONSUMED) {
					nexts[i] = next;
					continue;
				}
				goto out;
			}
		}
		if (!(rs_priv(m)->flags & (RS_PF_L2_BCAST | RS_PF_LOCAL_BCAST))) {
			int why;
			struct rte_mbuf *e = icmp4_error_build(w, m, ICMP4_DEST_UNREACH,
							       ICMP4_UNREACH_PORT, 0, &why);
			if (e != NULL)
				rte_node_enqueue_x1(graph, node, E_OUTPUT, e);
		}
		next = E_PORT_UNREACH;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register udp_input_node = {
	.name = "udp_input",
	.process = udp_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_TRUNC] = RS_DROP_NODE(udp_truncated),
		[E_CSUM] = RS_DROP_NODE(udp_bad_checksum),
		[E_PORT_UNREACH] = RS_DROP_NODE(udp_port_unreachable),
		[E_RCVBUF] = RS_DROP_NODE(udp_rcvbuf_full),
		[E_CORRUPT] = RS_DROP_NODE(sock_corrupt),
	},
};
RTE_NODE_REGISTER(udp_input_node);
