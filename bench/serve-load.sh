#!/usr/bin/env bash
# fetchd serve under API load: 200 clients on GET /v1/events and 1,000
# requests/s to GET /v1/images while the service downloads a 1 GiB image,
# against the same download without the load, in the same run; then the
# idle service's CPU and memory. Run by hand for figures (CI runs it at toy
# sizes, bench/smoke_test.go); it needs nginx,
# qemu-img and a few GiB of disk:
#
#   apt-get install -y nginx-light qemu-utils
#   bench/serve-load.sh                       # 1 GiB, 3 runs of each, both servers
#   SIZE_MIB=256 RUNS=1 IDLE=10s bench/serve-load.sh
#
# The image is served by nginx on 127.0.0.1, as bench/run.sh does: once as
# fast as loopback goes (with as many connections as fetchd chooses), once
# capped at 200 MB/s per connection and downloaded over one (the realistic
# case: a 200 MB/s link, where the link and not the CPU or the disk is the
# limit). Results go to stdout and bench/out/serve-load.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
IDLE=${IDLE:-30s}
FAST_PORT=${FAST_PORT:-38481}
CAPPED_PORT=${CAPPED_PORT:-38482}
CAP=${CAP:-200m}
SERVERS=${SERVERS:-capped fast}
# Connections per download (the config's connections:). Against the capped
# server one connection is a link of $CAP; several would each get $CAP.
CAPPED_CONNECTIONS=${CAPPED_CONNECTIONS:-1}
FAST_CONNECTIONS=${FAST_CONNECTIONS:-auto}

bench_start serve-load nginx qemu-img sha256sum

log "building the load driver"
go build -o "$WORK/serveload" ./bench/serveload

log "making a ${SIZE_MIB} MiB qcow2 of random data"
mkdir -p "$WORK/srv"
head -c "$(( SIZE_MIB * 1024 * 1024 ))" /dev/urandom > "$WORK/raw.tmp"
qemu-img convert -q -f raw -O qcow2 "$WORK/raw.tmp" "$WORK/srv/big.qcow2"
rm -f "$WORK/raw.tmp"
SHA=$(sha256sum "$WORK/srv/big.qcow2" | cut -d' ' -f1)
cat "$WORK/srv/big.qcow2" >/dev/null

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { application/octet-stream qcow2; }
  server { listen 127.0.0.1:$FAST_PORT; root $WORK/srv; }
  server { listen 127.0.0.1:$CAPPED_PORT; root $WORK/srv; limit_rate $CAP; }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
sleep 0.5

out=$OUT/serve-load.md
: > "$out"
for server in $SERVERS; do
  port=$FAST_PORT conns=$FAST_CONNECTIONS what="loopback, uncapped"
  if [ "$server" = capped ]; then
    port=$CAPPED_PORT conns=$CAPPED_CONNECTIONS what="capped at $CAP per connection"
  fi
  log "$server server: $RUNS runs with and without load"
  {
    echo "### $server server ($what, connections: $conns), ${SIZE_MIB} MiB"
    echo
    "$WORK/serveload" -fetchd "$WORK/fetchd" -url "http://127.0.0.1:$port/big.qcow2" -sha256 "$SHA" \
      -work "$WORK/run-$server" -runs "$RUNS" -idle "$IDLE" -connections "$conns" \
      -clients "${CLIENTS:-200}" -rps "${RPS:-1000}"
    echo
  } | tee -a "$out"
done
log "results in $out"
