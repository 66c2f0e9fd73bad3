#!/bin/bash
# ringctl route, both families, word for word: every form of add, replace,
# del, show (text and JSON, "all"/"table local"), get, their error
# messages, and the listing with the link down and up again, compared
# with route_cli.expected. The IPv4 and IPv6 route commands share one
# parser and one printer (lib/ctl/cmd_route.c); this pins what each family
# says, including where iproute2 shows the two differently. The link-local
# address (made from the random veth MAC) is written as fe80::LL.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start
OUT=$RS_TMP/route_cli.out
: >"$OUT"
c() {
	local rc=0
	echo "### $*" >>"$OUT"
	ringctl "$@" >>"$OUT" 2>&1 || rc=$?
	echo "rc=$rc" >>"$OUT"
}
c addr add 10.0.0.1/24 dev port0
c addr add 2001:db8::1/64 dev port0
c route add 10.5.0.0/16 via 10.0.0.2
c route add 10.5.0.0/16 via 10.0.0.2
c route add 10.6.0.0/16 via 10.0.0.2 metric 5
c route add 10.6.0.0/16 via 10.0.0.3 metric 7
c route add blackhole 10.7.0.0/16
c route add unreachable 10.8.0.1/32
c route add prohibit 10.8.0.2
c route add 10.9.0.0/16 dev port0
c route add 10.10.0.0/16 nexthop via 10.0.0.2 nexthop via 10.0.0.3 dev port0 weight 1
c route add 10.13.0.0/16 nexthop via 10.0.0.2
c route add 10.14.0.0/16 nexthop via 10.0.0.2 weight 2
c route add 10.15.0.0/16 nexthop dev port0
c route add 10.16.0.0/16 nexthop via 10.0.0.2 via 10.0.0.4
c route add 10.11.0.0/16 via 10.1.0.1
c route add 10.12.0.0/16
c route add 10.12.0.0/16 via 10.0.0.2 foo
c route add blackhole 10.17.0.0/16 nexthop via 10.0.0.2 nexthop via 10.0.0.3
c route add default via 10.0.0.2 metric 100
c route replace 10.5.0.0/16 via 10.0.0.3
c route replace 10.55.0.0/16 via 10.0.0.3
c route add 10.5.0.0/33 via 10.0.0.3
c route add 10.0.0.0/8 via 10.0.0.2 dev nosuch
c route show
c route show all
c route show table local
c route show table all
c route show local
c route list
c route
c -j route show
c -j route show all
c route get 10.5.1.1
c route get 10.10.3.3
c route get 10.0.0.9
c route get 10.0.0.1
c route get nonsense
c route get
c route del 10.6.0.0/16 metric 5
c route del 10.6.0.0/16 via 10.0.0.9
c route del 10.99.0.0/16
c route del blackhole 10.7.0.0/16
c route del 10.10.0.0/16 via 10.0.0.3
c route del 10.8.0.0/24
c route frob
# ---- IPv6 ----
c route add 2001:db8:1::/48 via 2001:db8::2
c route add 2001:db8:1::/48 via 2001:db8::2
c route -6 add 2001:db8:2::/48 via 2001:db8::2 metric 5
c route add 2001:db8:2::/48 via 2001:db8::3 metric 7 -6
c route -6 add blackhole 2001:db8:3::/48
c route -6 add unreachable 2001:db8:4::1/128
c route -6 add prohibit 2001:db8:4::2
c route -6 add 2001:db8:5::/48 dev port0
c route add 2001:db8:6::/48 via fe80::1
c route add 2001:db8:6::/48 via fe80::1 dev port0
c route add 2001:db8:7::/48 nexthop via 2001:db8::2 nexthop via 2001:db8::3 dev port0
c route add 2001:db8:8::/48 nexthop via 2001:db8::2
c route add 2001:db8:9::/48 via 2001:db9::1
c route -6 add 2001:db8:10::/48 via 2001:db8::2/64
c route -6 add default via 2001:db8::2
c route -6 replace 2001:db8:1::/48 via 2001:db8::3 metric 1024
c route -6 add 2001:db8:11::/129 via 2001:db8::3
c route -6 show
c route show -6
c route -6 show all
c route -6 show table local
c route -6
c -j route -6 show
c -j route -6 show all
c route get 2001:db8:1::5
c route -6 get 2001:db8:7::5
c route -6 get 2001:db8::1
c route -6 get nonsense
c route -6 get 2001:db8::/64
c route -6 get
c route -6 del 2001:db8:2::/48 metric 5
c route -6 del 2001:db8:99::/48
c route del 2001:db8:7::/48 via 2001:db8::3
c route -6 del blackhole 2001:db8:3::/48
c route -6 frob
# ---- link state ----
c link set port0 down
c route show
c -j route show
c route -6 show
c -j route -6 show
c link set port0 up
c route show
c route -6 show

sed -E -i 's#fe80::[0-9a-f:]+/128#fe80::LL/128#g' "$OUT"
diff -u "$(dirname "$0")/route_cli.expected" "$OUT" >&2 ||
	fail "ringctl route output differs from route_cli.expected (diff above)"
ok "$(grep -c '^###' "$OUT") route commands, IPv4 and IPv6, as expected"
