#!/bin/bash
# The bind-rule table the unit test holds lib/sock/sock_port.c to
# (tests/unit/sock_port_cases.h) against the kernel this runs on: every row
# is played with real sockets (UDP and TCP, SO_REUSEADDR/SO_REUSEPORT, uids,
# devices, IPv4/IPv6/mapped/V6ONLY, listen, connected, TIME-WAIT) and must
# answer what the row says, as sock_ports must. The rows were taken from
# Linux 6.18; a kernel with 6.1.0's bhash2 regressions (fixed in later
# stable releases) answers some dual-stack and TIME-WAIT rows differently.
# The full grid (93k combinations, minutes): sock_port_linux_check --grid.
. "$(dirname "$0")/_init.sh"

out=$("$RS_BUILD/tests/unit/sock_port_linux_check" 2>&1) || fail "$out"
ok "$(echo "$out" | tail -n 1)"
