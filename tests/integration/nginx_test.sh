#!/bin/bash
# nginx, unmodified, under the LD_PRELOAD shim (docs/fork.md): the master
# daemonises (fork), opens the listener and forks 2 worker processes that
# accept on it through epoll and answer with sendfile. curl in a Linux
# namespace fetches a file many times (sha256 checked each time) and a
# small file on one keep-alive connection; the access log shows which
# worker served each request. nginx-light is installed by scripts/deps.sh.
. "$(dirname "$0")/_init.sh"

SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
[ -f "$SHIM" ] || fail "shim not built ($SHIM)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx not installed (scripts/deps.sh test installs nginx-light)"
N=40

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

D=$RS_TMP/nginx
mkdir -p "$D/html" "$D/tmp" "$D/logs"
head -c 3000000 /dev/urandom >"$D/html/blob"
echo "small file" >"$D/html/small.txt"
sum=$(sha256sum <"$D/html/blob" | cut -d' ' -f1)
cat >"$D/nginx.conf" <<CONF
user root;
worker_processes 2;
daemon on;
master_process on;
pid $D/nginx.pid;
error_log $D/logs/error.log info;
events {
	use epoll;
	worker_connections 256;
}
http {
	log_format w '\$pid \$status \$bytes_sent \$request';
	access_log $D/logs/access.log w;
	client_body_temp_path $D/tmp/body;
	proxy_temp_path $D/tmp/proxy;
	fastcgi_temp_path $D/tmp/fastcgi;
	uwsgi_temp_path $D/tmp/uwsgi;
	scgi_temp_path $D/tmp/scgi;
	sendfile on;
	keepalive_timeout 30;
	server {
		listen 10.0.0.1:8088;
		root $D/html;
	}
}
CONF

LD_PRELOAD=$SHIM "$NGINX" -p "$D" -c "$D/nginx.conf" >"$D/logs/start.out" 2>&1 ||
	fail "nginx did not start: $(cat "$D/logs/start.out" "$D/logs/error.log")"
wait_for 10 test -s "$D/nginx.pid" || fail "no pid file: $(cat "$D/logs/error.log")"
master=$(cat "$D/nginx.pid")
stop_nginx() { kill -QUIT "$master" 2>/dev/null; timeout 20 tail --pid="$master" -f /dev/null; }
trap 'stop_nginx || true; rs_cleanup' EXIT
workers() { pgrep -P "$master" | wc -l; }
wait_for 10 bash -c "[ \$(pgrep -P $master | wc -l) = 2 ]" || fail "nginx: $(workers) workers: $(cat "$D/logs/error.log")"
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local == \"10.0.0.1:8088\")'" ||
	fail "nginx listener not in sock show: $(ringctl sock show)"
ok "nginx: master $master (daemonised) and 2 workers, listening on ringstack"

# new connection per request: the workers share the listener
in_ns p1 bash -c "for i in \$(seq $N); do curl -sS --fail --max-time 20 http://10.0.0.1:8088/blob | sha256sum | cut -d' ' -f1; done" \
	>"$D/sums" 2>"$D/curl.err" || fail "curl: $(cat "$D/curl.err") $(tail -5 "$D/logs/error.log")"
good=$(grep -cx "$sum" "$D/sums" || true)
[ "$good" = $N ] || fail "only $good of $N fetches had the right sha256 ($(sort "$D/sums" | uniq -c | head -3)) $(tail -5 "$D/logs/error.log")"
per=$(grep ' /blob ' "$D/logs/access.log" | awk '$2 == 200 {n[$1]++} END {for (p in n) printf "%s:%d ", p, n[p]}')
# both workers accept (each woken by the listener, as Linux wakes every
# epoll waiter without EPOLLEXCLUSIVE; a worker alone would mean the other
# never saw a connection)
[ "$(echo "$per" | wc -w)" = 2 ] || fail "requests per worker: $per (expected both workers)"
ok "nginx: $N fetches of a 3 MB file, sha256 equal every time (sendfile); requests per worker pid: $per"

# keep-alive: many requests on one connection
out=$(in_ns p1 curl -sS --fail --max-time 20 $(for i in $(seq 20); do echo http://10.0.0.1:8088/small.txt; done) 2>&1) ||
	fail "keep-alive curl: $out"
[ "$(echo "$out" | grep -cx 'small file')" = 20 ] || fail "keep-alive: $out"
ok "nginx: 20 requests on one keep-alive connection"

stop_nginx || fail "nginx did not stop on SIGQUIT: $(tail -5 "$D/logs/error.log")"
trap rs_cleanup EXIT
wait_for 10 bash -c "! $RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local | endswith(\":8088\"))'" ||
	fail "nginx's sockets left after it stopped: $(ringctl sock show)"
! grep -E '\[(error|alert|emerg|crit)\]' "$D/logs/error.log" || fail "nginx error log has errors"
ok "nginx stopped (SIGQUIT), its sockets are gone"
