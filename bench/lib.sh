# The start every bench script shares; sourced, not run:
#
#   . "$(dirname "$0")/lib.sh"
#   bench_start NAME TOOL...
#
# bench_start stops with exit 2 unless every TOOL is on PATH, then sets
# ROOT (the repository), OUT (where results go: $BENCH_OUT, else
# bench/out), WORK (a fresh directory under /var/tmp that nginx's workers,
# another user, can read; removed at exit) and FETCHD (fetchd, built
# static into WORK), and log (a line on stderr). At exit, the processes
# whose PIDs are in NGINX_PID and MIRROR_PID are stopped.
#
# BENCH_SMOKE=1 (bench/smoke_test.go) runs a script only to see it work:
# it then checks what does not depend on time, and no ratio.

bench_start() {
  BENCH_NAME=$1
  shift
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$BENCH_NAME: needs $tool" >&2; exit 2; }
  done
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  ROOT=$PWD
  OUT=${BENCH_OUT:-$ROOT/bench/out}
  mkdir -p "$OUT"
  WORK=$(mktemp -d "/var/tmp/fetchd-$BENCH_NAME.XXXXXX")
  chmod 755 "$WORK"
  NGINX_PID=
  MIRROR_PID=
  trap bench_cleanup EXIT
  log "building fetchd"
  CGO_ENABLED=0 go build -trimpath -o "$WORK/fetchd" ./cmd/fetchd
  FETCHD=$WORK/fetchd
}

bench_cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  [ -n "$MIRROR_PID" ] && kill "$MIRROR_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
