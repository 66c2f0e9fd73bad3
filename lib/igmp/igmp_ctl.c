/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IGMPv3 reports (RFC 3376 §5) for the IPv4 groups sockets joined, on the
 * control thread: a state-change report when a link's group gains its
 * first member or loses its last (sock_mcast.c's hook), repeated
 * [Robustness Variable] - 1 times (§5.1, §8.1, §8.11); the current state
 * of every group in answer to a general query, of one group to a
 * group-specific one (§5.2). All-hosts (224.0.0.1) is never reported
 * (§5). Reports are built here and handed to a worker's port_tx.
 *
 * IGMPv1/v2 compatibility (§7.2.1): a link where an older querier was
 * heard reports in its version for the Older Version Querier Present
 * Timeout (260 s with the defaults): one v1/v2 report per group, to the
 * group; a v2 Leave Group to all-routers on leave, none in v1 mode.
 *
 * Answers go at once rather than after a random delay within Max Resp
 * Time, at most one general answer a second per link (as the MLD side,
 * lib/ip6/nd_ctl.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_mbuf.h>
#include <rte_random.h>

#include "core/dp.h"
#include "core/module.h"
#include "igmp/igmp.h"
#include "sock/sock_mcast.h"
#include "util/rs_addr.h"
#include "wire/igmp_wire.h"
#include "wire/wire.h"

uint16_t igmp_msg_query;
static uint8_t inj_port_tx;

/* RFC 3376 §8.1 Robustness Variable, §8.11 Unsolicited Report Interval */
#define IGMP_ROBUSTNESS 2
#define IGMP_UNSOL_NS 1000000000ull
#define IGMP_PEND_MAX 256
#define IGMP_ANSWER_GAP_NS 1000000000ull
/* §8.12 Older Version Querier Present Timeout: Robustness Variable times
 * Query Interval (125 s) plus Query Response Interval (10 s) */
#define IGMP_OLDER_NS (260ull * 1000000000ull)

/* per link: the version an older querier asked for, and until when */
static struct {
	uint8_t version;
	uint64_t until;
} compat[RS_MAX_IFACES];

/* The version reports on iface are sent in (§7.2.1). */
static uint8_t igmp_mode(uint16_t iface, uint64_t now)
{
	if (iface >= RS_MAX_IFACES || compat[iface].version == 0 || now >= compat[iface].until)
		return 3;
	return compat[iface].version;
}

/* An IGMPv1/v2 message of type about group, to dst, on iface. */
static void igmp_send_v2(uint16_t iface, uint8_t type, uint32_t group, uint32_t dst)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	if (!ifc->present || !ifc->up || ifc->loopback)
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, ETH_HLEN + IGMP_V2_MSG_LEN);
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t mac[6];
	ip4_mcast_mac(mac, dst);
	eth_write(b, mac, ifc->mac.addr_bytes, ETH_P_IP);
	igmp_v2_write(b + ETH_HLEN, rs_iface_src_for(ifc, 0), dst, type, group);
	m->port = iface;
	rs_inject(m, inj_port_tx);
}

/* One report of n records (types, groups) on iface, from the link's
 * first address (0.0.0.0 while it has none, §4.2.13); in IGMPv1/v2 mode,
 * that version's message for each record. */
static void igmp_send(uint16_t iface, const uint8_t *types, const uint32_t *groups, unsigned n)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	if (!ifc->present || !ifc->up || ifc->loopback || n == 0)
		return;
	uint8_t mode = igmp_mode(iface, rs_now_ns());
	if (mode < 3) {
		for (unsigned i = 0; i < n; i++) {
			if (types[i] == IGMP3_CHANGE_TO_INCLUDE) {
				if (mode == 2) /* v1 has no leave */
					igmp_send_v2(iface, IGMP_V2_LEAVE, groups[i], IP4_ALL_ROUTERS);
			} else {
				igmp_send_v2(iface, mode == 2 ? IGMP_V2_REPORT : IGMP_V1_REPORT,
					     groups[i], groups[i]);
			}
		}
		return;
	}
	size_t len = igmp3_report_len(n);
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH_HLEN + len));
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t mac[6];
	ip4_mcast_mac(mac, IP4_IGMPV3_ROUTERS);
	eth_write(b, mac, ifc->mac.addr_bytes, ETH_P_IP);
	igmp3_report_write(b + ETH_HLEN, rs_iface_src_for(ifc, 0), types, groups, n);
	m->port = iface;
	rs_inject(m, inj_port_tx);
}

static bool igmp_reported(uint32_t g)
{
	return ip4_is_mcast(g) && g != IP4_ALL_HOSTS;
}

void igmp_send_report(uint16_t iface)
{
	const struct rs_iface *ifc = &rs_cfg_current()->ifaces[iface];
	if (!ifc->present || !ifc->up || ifc->loopback)
		return;
	static struct rs_ip joined[SOCK_MC_MAX_HOST];
	static uint32_t groups[SOCK_MC_MAX_HOST];
	static uint8_t types[SOCK_MC_MAX_HOST];
	unsigned nj = sock_mc_host_groups(AF_INET, iface, joined, SOCK_MC_MAX_HOST), n = 0;
	for (unsigned i = 0; i < nj; i++)
		if (igmp_reported(rs_ip_v4(&joined[i])))
			groups[n++] = rs_ip_v4(&joined[i]);
	/* MODE_IS_EXCLUDE with no sources: all of the group (§4.2.12); as
	 * many reports as the link's MTU needs (§4.2.16) */
	memset(types, IGMP3_MODE_IS_EXCLUDE, n);
	unsigned per = ifc->mtu > igmp3_report_len(1)
			       ? (unsigned)(ifc->mtu - igmp3_report_len(0)) / IGMP3_GREC_LEN
			       : 1;
	for (unsigned i = 0; i < n; i += per)
		igmp_send(iface, types + i, groups + i, n - i < per ? n - i : per);
}

struct igmp_pend {
	bool used;
	uint8_t type;
	uint8_t left;
	uint16_t iface;
	uint32_t group;
	uint64_t deadline;
};
static struct igmp_pend pend[IGMP_PEND_MAX];
static uint64_t answered[RS_MAX_IFACES];

/* sock_mcast.c: (iface, group) gained its first member or lost its last.
 * §5.1: a state-change report at once, then [Robustness Variable] - 1
 * more at random within [Unsolicited Report Interval]; a newer change of
 * the group replaces the pending repetitions of the older. */
static void igmp_change(uint16_t iface, const struct rs_ip *group, bool join)
{
	uint32_t g = rs_ip_v4(group);
	if (!igmp_reported(g))
		return;
	uint8_t type = join ? IGMP3_CHANGE_TO_EXCLUDE : IGMP3_CHANGE_TO_INCLUDE;
	igmp_send(iface, &type, &g, 1);
	struct igmp_pend *slot = NULL;
	for (unsigned i = 0; i < IGMP_PEND_MAX; i++) {
		struct igmp_pend *q = &pend[i];
		if (q->used && q->iface == iface && q->group == g) {
			slot = q;
			break;
		}
		if (!q->used && slot == NULL)
			slot = q;
	}
	if (slot == NULL)
		return; /* the first report went; only its repetition is lost */
	*slot = (struct igmp_pend){ .used = true, .type = type, .left = IGMP_ROBUSTNESS - 1,
				    .iface = iface, .group = g,
				    .deadline = rs_now_ns() + rte_rand_max(IGMP_UNSOL_NS) };
}

static void on_query(const struct rs_msg *msg, uint64_t now)
{
	if (msg->m)
		rte_pktmbuf_free(msg->m);
	if (msg->iface >= RS_MAX_IFACES)
		return;
	uint32_t g = msg->u32;
	uint8_t version = msg->data[0];
	if (version == 1 || version == 2) {
		/* §7.2.1: an older querier; v1 mode outranks v2 while both run */
		if (igmp_mode(msg->iface, now) == 3 || version <= compat[msg->iface].version) {
			compat[msg->iface].version = version;
			compat[msg->iface].until = now + IGMP_OLDER_NS;
		}
	}
	if (g != 0) {
		/* group-specific (§5.2): only a group we are in */
		struct rs_ip gi = rs_ip_from4(g);
		if (!igmp_reported(g) || !sock_mc_host_joined(msg->iface, &gi))
			return;
		uint8_t type = IGMP3_MODE_IS_EXCLUDE;
		igmp_send(msg->iface, &type, &g, 1);
		return;
	}
	if (answered[msg->iface] != 0 && now - answered[msg->iface] < IGMP_ANSWER_GAP_NS)
		return;
	answered[msg->iface] = now;
	igmp_send_report(msg->iface);
}

static void igmp_tick(uint64_t now)
{
	for (unsigned i = 0; i < IGMP_PEND_MAX; i++) {
		struct igmp_pend *q = &pend[i];
		if (!q->used || now < q->deadline)
			continue;
		igmp_send(q->iface, &q->type, &q->group, 1);
		if (--q->left == 0)
			q->used = false;
		else
			q->deadline = now + rte_rand_max(IGMP_UNSOL_NS);
	}
}

static int igmp_init(void)
{
	memset(pend, 0, sizeof(pend));
	memset(answered, 0, sizeof(answered));
	memset(compat, 0, sizeof(compat));
	sock_mc_set_change_hook(AF_INET, igmp_change);
	return 0;
}

static struct rs_module igmp_module = {
	.name = "igmp",
	.order = 41,
	.init = igmp_init,
	.tick = igmp_tick,
};
RS_MODULE_REGISTER(igmp_module);

RTE_INIT(igmp_register)
{
	igmp_msg_query = rs_msg_type_register("igmp_query", on_query);
	inj_port_tx = rs_inject_target_register("port_tx");
}
