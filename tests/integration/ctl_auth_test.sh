#!/bin/bash
# Who may do what on the management socket (DESIGN.md): anyone who can
# connect may attach an application and run read-only commands (show, get);
# commands that change state need uid 0 or the group of --admin-group,
# checked with the credentials the kernel recorded at connect
# (SO_PEERCRED, SO_PEERGROUPS). The unprivileged peer is a uid with no
# passwd entry (setpriv), so nothing is added to the host's user database;
# the group exists only in this test's mount namespace (a private copy of
# /etc/group bound over it).
. "$(dirname "$0")/_init.sh"

USR=12345
ADM_GID=12346
cp /etc/group "$RS_TMP/group"
echo "ringadm:x:$ADM_GID:" >>"$RS_TMP/group"
mount --bind "$RS_TMP/group" /etc/group
chmod 0711 "$RS_TMP" # the socket lives here: others must reach it

rs_peer p1 10.0.0.2/24
rs_start --admin-group ringadm
ringctl addr add 10.0.0.1/24 dev port0

# as USR with GROUPS (a comma list, or "" for none): ringctl ARGS...
as_user() {
	local groups=$1
	shift
	if [ -n "$groups" ]; then
		setpriv --reuid=$USR --regid=$USR --groups="$groups" "$@"
	else
		setpriv --reuid=$USR --regid=$USR --clear-groups "$@"
	fi
}
uctl() { local g=$1; shift; as_user "$g" "$RS_BUILD/app/ringctl" -s "$RS_SOCK" "$@"; }

# -- an ordinary user: refused for changes, one clear line, exit 1
rc=0
uctl "" route add 10.9.0.0/16 via 10.0.0.2 >"$RS_TMP/out" 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "route add by uid $USR: exit $rc, want 1 ($(cat "$RS_TMP/err"))"
[ "$(cat "$RS_TMP/err")" = "ringctl: permission denied: management needs root or group 'ringadm'" ] ||
	fail "refusal message: $(cat "$RS_TMP/err")"
ringctl route show | grep -q "10.9.0.0" && fail "the refused route was added"
ok "route add by an ordinary user: $(cat "$RS_TMP/err")"

for cmd in "addr add 10.0.0.9/24 dev port0" "addr flush dev port0" "link set port0 down" \
	"link del port0" "link add evil devargs net_pcap0,tx_pcap=$RS_TMP/leak.pcap" \
	"neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev port0" "neigh flush" \
	"route del 10.0.0.0/24" "stats clear" "stats reset" "link nonsense"; do
	rc=0
	# shellcheck disable=SC2086 # a command's words
	uctl "" $cmd >/dev/null 2>"$RS_TMP/err" || rc=$?
	[ $rc -eq 1 ] && grep -q "permission denied" "$RS_TMP/err" ||
		fail "\"$cmd\" by uid $USR: exit $rc: $(cat "$RS_TMP/err")"
done
[ -e "$RS_TMP/leak.pcap" ] && fail "link add with devargs ran for an ordinary user"
ringctl link show | grep -q port0 || fail "port0 is gone"
ringctl addr show | grep -q "10.0.0.1/24" || fail "the address is gone"
ok "every management command refused to an ordinary user, nothing changed"

# a batch stops at its first refused line
printf 'route show\nroute add 10.8.0.0/16 via 10.0.0.2\n' >"$RS_TMP/batch"
chmod 0644 "$RS_TMP/batch"
rc=0
uctl "" -b "$RS_TMP/batch" >/dev/null 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] && grep -q "batch:2: permission denied" "$RS_TMP/err" ||
	fail "batch by uid $USR: exit $rc: $(cat "$RS_TMP/err")"
ok "a batch stops at its first refused line"

# -- read-only commands are open to everyone, as on Linux
for cmd in "route show" "route get 10.0.0.2" "link show" "addr show" "neigh show" "stats" \
	"stats show" "sock show" "r s" "link"; do
	# shellcheck disable=SC2086
	uctl "" $cmd >"$RS_TMP/out" 2>"$RS_TMP/err" || fail "\"$cmd\" by uid $USR: $(cat "$RS_TMP/err")"
done
uctl "" route show | grep -q "10.0.0.0/24" || fail "route show by uid $USR shows nothing"
uctl "" -j stats | jq -e '.ports[0].name == "port0"' >/dev/null || fail "stats -j by uid $USR"
ok "show, get, stats allowed to an ordinary user"

# -- an application run by the ordinary user attaches and opens a socket
out=$(echo "send 10.0.0.2 9" | RINGSTACK_CTL="$RS_SOCK" as_user "" "$RS_BUILD/tests/integration/rs_sendcheck" 2>&1) ||
	fail "application as uid $USR: $out"
[ "$(echo "$out" | tail -n 1)" = ok ] || fail "application as uid $USR: $out"
ok "an application run by an ordinary user attaches and sends"

# -- members of the admin group manage: supplementary or primary group
uctl "$ADM_GID" route add 10.9.0.0/16 via 10.0.0.2 2>"$RS_TMP/err" ||
	fail "route add by a member of ringadm: $(cat "$RS_TMP/err")"
ringctl route show | grep -q "10.9.0.0/16 via 10.0.0.2" || fail "the admin's route is missing"
uctl "100,$ADM_GID,200" route del 10.9.0.0/16 2>"$RS_TMP/err" ||
	fail "route del by a member of ringadm among others: $(cat "$RS_TMP/err")"
setpriv --reuid=$USR --regid=$ADM_GID --clear-groups "$RS_BUILD/app/ringctl" -s "$RS_SOCK" \
	route add 10.7.0.0/16 via 10.0.0.2 2>"$RS_TMP/err" ||
	fail "route add with ringadm as primary group: $(cat "$RS_TMP/err")"
ringctl route show | grep -q "10.7.0.0/16" || fail "the primary-group admin's route is missing"
ok "members of --admin-group manage (supplementary or primary group)"

# -- without --admin-group only root manages, and the socket's mode and
# group say who may connect at all
rs_stop
rs_start --ctl-mode 0660 --ctl-group ringadm
[ "$(stat -c '%a %g' "$RS_SOCK")" = "660 $ADM_GID" ] || fail "socket is $(stat -c '%a %g' "$RS_SOCK")"
rc=0
uctl "" route show >/dev/null 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 2 ] && grep -q "Permission denied" "$RS_TMP/err" ||
	fail "connect without the socket's group: exit $rc: $(cat "$RS_TMP/err")"
uctl "$ADM_GID" route show >/dev/null || fail "a member of the socket's group cannot connect"
ok "--ctl-mode 0660 --ctl-group: only the group (and root) may connect"
rc=0
uctl "$ADM_GID" route add 10.9.0.0/16 dev port0 >/dev/null 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] && [ "$(cat "$RS_TMP/err")" = "ringctl: permission denied: management needs root" ] ||
	fail "without --admin-group: exit $rc: $(cat "$RS_TMP/err")"
ringctl route add 10.9.0.0/16 dev port0 || fail "root cannot manage"
ok "without --admin-group only root manages"
