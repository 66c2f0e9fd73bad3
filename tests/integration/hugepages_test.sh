#!/bin/bash
# The daemon on hugepages (the EAL without --no-huge): 2 MiB pages reserved
# for the test and given back at the end, hugetlbfs mounted in the test's
# private mount namespace. The peer pings it (reassembly and fragmentation
# included) and exchanges UDP with the example echo server; the pages the
# daemon holds are checked to be hugepages. Skips only when the kernel will
# not reserve pages at all.
. "$(dirname "$0")/_init.sh"

PAGES=160 # 320 MiB: -m 256 plus what the EAL keeps for itself
hp=/proc/sys/vm/nr_hugepages
free_pages() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
old=$(cat $hp)
restore() {
	[ -n "${hdir:-}" ] && umount "$hdir" 2>/dev/null
	echo "$old" >$hp 2>/dev/null || true
}
trap 'restore; rs_cleanup' EXIT
echo $((old + PAGES)) >$hp 2>/dev/null || true
if [ "$(free_pages)" -lt "$PAGES" ]; then
	restore
	echo "SKIP: $RS_NAME: the kernel reserved $(free_pages) of $PAGES 2 MiB pages"
	exit 0
fi
before=$(free_pages)
hdir=$RS_TMP/huge
mkdir -p "$hdir"
mount -t hugetlbfs -o pagesize=2M rs-huge "$hdir"

rs_peer p1 10.0.0.2/24
RS_EAL_MEM="--huge-dir $hdir --huge-unlink -m 256" rs_start
ringctl addr add 10.0.0.1/24 dev port0
grep -qi "no-huge\|No free 2048 kB hugepages" "$RS_LOG" && fail "EAL did not use hugepages: $(cat "$RS_LOG")"
used=$((before - $(free_pages)))
[ "$used" -ge 128 ] || fail "the daemon holds $used hugepages, expected at least 128 (-m 256)"
ok "ringstackd runs on $used hugepages"

for size in 56 3000 65000; do
	in_ns p1 ping -c 3 -i 0.2 -W 2 -s $size 10.0.0.1 >"$RS_TMP/ping.out" ||
		fail "ping -s $size: $(tail -2 "$RS_TMP/ping.out")"
	grep -q " 0% packet loss" "$RS_TMP/ping.out" || fail "ping -s $size lost packets"
done
ok "ping 56/3000/65000 on hugepages"

"$RS_BUILD/app/examples/udp_echo_server" 7007 >"$RS_TMP/echo.out" 2>&1 &
echo_pid=$!
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "echo server did not bind: $(cat "$RS_TMP/echo.out")"
reply=$(in_ns p1 "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for n in (0, 1400, 9000):
    s.sendto(b"h" * n, ("10.0.0.1", 7007))
    d, _ = s.recvfrom(65535)
    assert d == b"h" * n, (n, len(d))
print("echoed")
') || fail "UDP echo over hugepages: $reply"
[ "$reply" = echoed ] || fail "UDP echo: $reply"
kill "$echo_pid"
wait "$echo_pid" 2>/dev/null || true
ok "UDP echo 0/1400/9000 bytes on hugepages"

kill -TERM "$RS_PID"
wait "$RS_PID" || fail "ringstackd exited $? on SIGTERM"
RS_PID=
# the kernel unpins AF_XDP's UMEM (our mbuf pool) from a work queue after
# the socket is gone: wait for it
pages_back() { [ "$(free_pages)" -eq "$before" ]; }
wait_for 20 pages_back ||
	fail "hugepages not given back: $(free_pages) free, $before before"
ok "every hugepage given back at exit"
