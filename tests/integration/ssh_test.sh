#!/bin/bash
# OpenSSH, unmodified, under the LD_PRELOAD shim:
#  - sshd on ringstack (sshd -r: no re-exec per connection, see below), ssh
#    from a Linux peer with key authentication: runs a command, scp sends a
#    file there and fetches it back (sha256 checked)
#  - ssh and scp on ringstack against a Linux sshd
# Why -r: by default sshd's child re-executes sshd for every connection
# with the connection as its standard input and output; a ringstack socket
# does not survive exec (docs/fork.md), so the re-executed sshd would find
# no connection. With -r the per-connection child goes on without exec:
# privilege separation forks (and chroots and drops to the sshd user) and
# the session forks, which the shim follows. openssh-server is installed by
# scripts/deps.sh test.
. "$(dirname "$0")/_init.sh"

SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
[ -f "$SHIM" ] || fail "shim not built ($SHIM)"
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || fail "sshd not installed (scripts/deps.sh test installs openssh-server)"
command -v ssh >/dev/null && command -v scp >/dev/null || fail "ssh/scp not installed"
pre() { LD_PRELOAD=$SHIM "$@"; }

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

D=$RS_TMP/ssh
mkdir -p "$D" /run/sshd
chmod 755 /run/sshd
ssh-keygen -q -t ed25519 -N "" -f "$D/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$D/id"
cp "$D/id.pub" "$D/authorized_keys"
# sshd_config PORT ADDRESS LOGLEVEL
sshd_config() {
	cat <<CONF
Port $1
ListenAddress $2
HostKey $D/host_key
PidFile none
UsePAM no
StrictModes no
UseDNS no
AuthorizedKeysFile $D/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel $3
CONF
}
sshd_config 2222 0.0.0.0 DEBUG3 >"$D/sshd_rs.conf"
sshd_config 2223 10.0.0.2 VERBOSE >"$D/sshd_l.conf"
SSHO=(-F /dev/null -i "$D/id" -o BatchMode=yes -o StrictHostKeyChecking=no
      -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10)
head -c 1000000 /dev/urandom >"$D/blob"
sum=$(sha256sum <"$D/blob" | cut -d' ' -f1)
sha() { sha256sum <"$1" | cut -d' ' -f1; }

# ---- sshd on ringstack, ssh from Linux ----
pre "$SSHD" -D -e -r -f "$D/sshd_rs.conf" 2>"$D/sshd_rs.log" &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local == \"0.0.0.0:2222\")'" ||
	fail "sshd on ringstack not listening: $(cat "$D/sshd_rs.log")"
out=$(in_ns p1 timeout 20 ssh "${SSHO[@]}" -p 2222 root@10.0.0.1 'echo hello from $(uname -s); echo $SSH_CONNECTION' 2>"$D/ssh.err") ||
	fail "ssh to sshd on ringstack: $out $(tail -5 "$D/ssh.err") $(tail -20 "$D/sshd_rs.log")"
[ "$(echo "$out" | head -1)" = "hello from Linux" ] || fail "ssh command output: $out"
echo "$out" | grep -q '^10.0.0.2 [0-9]* 10.0.0.1 2222$' || fail "SSH_CONNECTION: $out"
ok "ssh (Linux) -> sshd on ringstack: key auth, command ran ($(echo "$out" | tail -1))"
# the privilege-separated child ran confined as on Linux: chroot, the sshd
# user, the seccomp filter (the shim's waits then make only calls it allows)
grep -q 'privsep user:group [0-9]*:[0-9]* \[preauth\]' "$D/sshd_rs.log" &&
	grep -q 'attaching seccomp filter program \[preauth\]' "$D/sshd_rs.log" ||
	fail "sshd's pre-authentication child was not sandboxed: $(grep preauth "$D/sshd_rs.log" | head -20)"
! grep -q 'prctl(PR_SET_SECCOMP)' "$D/sshd_rs.log" || fail "sshd: $(grep 'prctl(PR_SET_SECCOMP)' "$D/sshd_rs.log")"

in_ns p1 timeout 20 scp "${SSHO[@]}" -P 2222 "$D/blob" root@10.0.0.1:"$D/up" >"$D/scp.log" 2>&1 ||
	fail "scp to sshd on ringstack: $(cat "$D/scp.log") $(tail -20 "$D/sshd_rs.log")"
[ "$(sha "$D/up")" = "$sum" ] || fail "scp upload: sha256 differs"
in_ns p1 timeout 20 scp "${SSHO[@]}" -P 2222 root@10.0.0.1:"$D/blob" "$D/down" >"$D/scp.log" 2>&1 ||
	fail "scp from sshd on ringstack: $(cat "$D/scp.log") $(tail -20 "$D/sshd_rs.log")"
[ "$(sha "$D/down")" = "$sum" ] || fail "scp download: sha256 differs"
ok "scp (Linux) <-> sshd on ringstack: 1 MB each way, sha256 equal"

# ---- ssh and scp on ringstack, sshd on Linux ----
in_ns p1 "$SSHD" -D -e -f "$D/sshd_l.conf" 2>"$D/sshd_l.log" &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':2223'" || fail "Linux sshd did not start: $(cat "$D/sshd_l.log")"
out=$(pre timeout 20 ssh "${SSHO[@]}" -p 2223 root@10.0.0.2 'echo $SSH_CONNECTION' 2>&1) ||
	fail "ssh on ringstack -> Linux sshd: $out $(tail -20 "$D/sshd_l.log")"
echo "$out" | grep -q '^10.0.0.1 [0-9]* 10.0.0.2 2223$' || fail "ssh on ringstack: SSH_CONNECTION $out"
ok "ssh on ringstack -> Linux sshd: key auth, command ran ($out)"
rm -f "$D/up" "$D/down"
pre timeout 20 scp "${SSHO[@]}" -P 2223 "$D/blob" root@10.0.0.2:"$D/up" >"$D/scp.log" 2>&1 ||
	fail "scp on ringstack to Linux sshd: $(cat "$D/scp.log") $(tail -20 "$D/sshd_l.log")"
[ "$(sha "$D/up")" = "$sum" ] || fail "scp on ringstack upload: sha256 differs"
pre timeout 20 scp "${SSHO[@]}" -P 2223 root@10.0.0.2:"$D/blob" "$D/down" >"$D/scp.log" 2>&1 ||
	fail "scp on ringstack from Linux sshd: $(cat "$D/scp.log") $(tail -20 "$D/sshd_l.log")"
[ "$(sha "$D/down")" = "$sum" ] || fail "scp on ringstack download: sha256 differs"
ok "scp on ringstack <-> Linux sshd: 1 MB each way, sha256 equal"
