#!/usr/bin/env bash
# A no-op sync of the three default images with 50 VM disks (qcow2
# overlays, made by qemu-img on the images' names and build paths) in the
# overlay directory, against the same no-op sync without the overlays
# setting, in the same run, with hyperfine; and strace's count of image
# files (names, builds, overlays) the no-op sync opens, which must be 0.
# Run by hand for figures (CI runs it at toy sizes, bench/smoke_test.go):
#
#   apt-get install -y nginx-light qemu-utils hyperfine strace
#   bench/overlays.sh              # 50 overlays, 30 runs of each
#   OVERLAYS=200 RUNS=50 bench/overlays.sh
#
# The replicas are served by nginx on 127.0.0.1 as in bench/run.sh. Exits 1
# if the no-op sync with overlays is slower than 1.5× the one without, or
# opens an image file. Results go to stdout and bench/out/overlays.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OVERLAYS=${OVERLAYS:-50}
RUNS=${RUNS:-30}
PORT=${PORT:-38491}
bench_start overlays nginx curl qemu-img hyperfine strace jq

mkdir -p "$WORK/srv" "$WORK/nginx"
go run ./bench/replicas -out "$WORK/srv/replicas" -base "http://127.0.0.1:$PORT/replicas" -dir "$WORK/images" > "$WORK/plain.yaml"
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$PORT; root $WORK/srv; } }
EOF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

"$FETCHD" sync --config "$WORK/plain.yaml" --quiet
{ cat "$WORK/plain.yaml"; echo "overlays: [$WORK/overlays]"; } > "$WORK/overlays.yaml"

log "making $OVERLAYS overlays with qemu-img (half on the names, half on the build paths)"
mkdir -p "$WORK/overlays"
mapfile -t NAMES < <("$FETCHD" status --config "$WORK/plain.yaml" --json | jq -r '.images[].name')
mapfile -t BUILDS < <("$FETCHD" status --config "$WORK/plain.yaml" --json | jq -r '.images[].build_path')
for i in $(seq "$OVERLAYS"); do
  k=$(( i % ${#NAMES[@]} ))
  if (( i % 2 )); then backing=$WORK/images/${NAMES[$k]}; else backing=${BUILDS[$k]}; fi
  qemu-img create -q -f qcow2 -b "$backing" -F qcow2 "$WORK/overlays/vm$i.qcow2"
done

# Both configs must be no-ops: nothing to move, so nothing is held.
for c in plain overlays; do
  "$FETCHD" sync --config "$WORK/$c.yaml" --json | jq -e '[.images[].state] | all(. == "present")' >/dev/null \
    || { echo "overlays: the $c sync is not a no-op" >&2; exit 1; }
done

log "hyperfine: $RUNS no-op syncs each"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/h.json" \
  -n without "$FETCHD sync --config $WORK/plain.yaml --quiet" \
  -n "with $OVERLAYS overlays" "$FETCHD sync --config $WORK/overlays.yaml --quiet" >&2
WITHOUT=$(jq '.results[0].median * 1000' "$WORK/h.json")
WITH=$(jq '.results[1].median * 1000' "$WORK/h.json")
RATIO=$(awk -v a="$WITH" -v b="$WITHOUT" 'BEGIN {printf "%.2f", a/b}')
# CPU time (user + system, mean) barely depends on what else the machine
# runs, unlike wall time on a shared one.
CPU_WITHOUT=$(jq '(.results[0].user + .results[0].system) * 1000' "$WORK/h.json")
CPU_WITH=$(jq '(.results[1].user + .results[1].system) * 1000' "$WORK/h.json")

# opens FILE: how many image files (names, builds, overlays) an strace log
# shows opened, by path or relative to a directory descriptor.
opens() {
  local a b
  a=$(grep -c -E "\"$WORK/(images/[^/]+\.qcow2|images/\.fetchd/builds/[^\"]+|overlays/[^\"]+)\"" "$1" || true)
  b=$(grep -c -E "openat\([0-9]+, \"(sha256-[^\"]+|[A-Za-z0-9._-]+\.qcow2)\"" "$1" || true)
  echo $((a + b))
}
# The count must see opens where there are some: verify opens every build.
strace -f -qq -e trace=open,openat -o "$WORK/verify.strace" "$FETCHD" verify --config "$WORK/overlays.yaml" --quiet
[ "$(opens "$WORK/verify.strace")" -gt 0 ] || { echo "overlays: the strace count does not see verify's opens" >&2; exit 1; }
strace -f -qq -e trace=open,openat -o "$WORK/noop.strace" "$FETCHD" sync --config "$WORK/overlays.yaml" --quiet
OPENS=$(opens "$WORK/noop.strace")

{
  echo "# no-op sync with overlays, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
  echo
  printf '| no-op sync, three default images | median wall time (hyperfine, %s runs) | CPU time (user + system, mean) |\n|---|---|---|\n' "$RUNS"
  printf '| without overlays | %.1f ms | %.1f ms |\n' "$WITHOUT" "$CPU_WITHOUT"
  printf '| with %s overlays in the overlay directory | %.1f ms (%s×) | %.1f ms |\n' "$OVERLAYS" "$WITH" "$RATIO" "$CPU_WITH"
  printf '| image files opened (names, builds, overlays; strace -f -e openat) | %s | |\n' "$OPENS"
} | tee "$OUT/overlays.md"
[ "${BENCH_SMOKE:-}" = 1 ] || awk -v r="$RATIO" 'BEGIN {exit !(r <= 1.5)}' || { echo "overlays: $RATIO× is over 1.5×" >&2; exit 1; }
[ "$OPENS" -eq 0 ] || { echo "overlays: the no-op sync opened image files:" >&2; grep -E "qcow2|sha256-" "$WORK/noop.strace" >&2; exit 1; }
