#!/usr/bin/env bash
# fetchd's performance figures, measured against the obvious alternatives in
# the same run. Run by hand for figures (CI only runs it at toy sizes to
# see it works, bench/smoke_test.go); it needs nginx, curl, qemu-img and
# a few GiB of disk:
#
#   apt-get install -y nginx-light curl qemu-utils strace
#   bench/run.sh                 # 1 GiB image, 5 runs of each
#   SIZE_MIB=256 RUNS=3 bench/run.sh
#
# Everything is served by nginx on 127.0.0.1: one server as fast as
# loopback allows, one that caps every connection at 200 MB/s
# (limit_rate 200m), the realistic case, and one that caps every
# connection at 25 MB/s (limit_rate 25m), a public mirror on a bad day,
# where fetchd's connections are compared with aria2c's. A second nginx
# serving the same files at 25 MB/s is a mirror that fails half-way.
# Results go to stdout and to bench/out/results.md. aria2c (Debian's
# aria2) is needed for the throttled part; THROTTLE_RUNS sets its runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SIZE_MIB=${SIZE_MIB:-1024}
PAR_MIB=${PAR_MIB:-256}
RUNS=${RUNS:-5}
NOOP_RUNS=${NOOP_RUNS:-30}
FAST_PORT=${FAST_PORT:-38471}
CAPPED_PORT=${CAPPED_PORT:-38472}
CAP=${CAP:-200m}
SLOW_PORT=${SLOW_PORT:-38473}
MIRROR_PORT=${MIRROR_PORT:-38474}
SLOW_CAP=${SLOW_CAP:-25m}
THROTTLE_RUNS=${THROTTLE_RUNS:-3}

bench_start bench nginx curl qemu-img sha256sum bc aria2c

# --- images ----------------------------------------------------------------
mkdir -p "$WORK/srv"
make_image() { # name MiB: a qcow2 full of random data (incompressible, all clusters allocated)
  head -c "$(( $2 * 1024 * 1024 ))" /dev/urandom > "$WORK/raw.tmp"
  qemu-img convert -q -f raw -O qcow2 "$WORK/raw.tmp" "$WORK/srv/$1"
  rm -f "$WORK/raw.tmp"
}
log "making a ${SIZE_MIB} MiB qcow2 and three ${PAR_MIB} MiB ones"
make_image big.qcow2 "$SIZE_MIB"
for i in 1 2 3; do make_image "par$i.qcow2" "$PAR_MIB"; done
(cd "$WORK/srv" && sha256sum ./*.qcow2 | sed 's# \./# #' > SHA256SUMS)
BIG_BYTES=$(stat -c %s "$WORK/srv/big.qcow2")
BIG_SHA=$(sha256sum "$WORK/srv/big.qcow2" | cut -d' ' -f1)

# --- nginx -----------------------------------------------------------------
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
  access_log $WORK/nginx/access.log;
  sendfile on;
  tcp_nopush on;
  types { application/octet-stream qcow2; text/plain SHA256SUMS; }
  server { listen 127.0.0.1:$FAST_PORT; root $WORK/srv; }
  server { listen 127.0.0.1:$CAPPED_PORT; root $WORK/srv; limit_rate $CAP; }
  server { listen 127.0.0.1:$SLOW_PORT; root $WORK/srv; limit_rate $SLOW_CAP; }
}
EOF
# The mirror: its own nginx, so that stopping it half-way (fast shutdown:
# every connection closed) leaves the other servers alone.
mkdir -p "$WORK/mirror"
cat > "$WORK/mirror/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/mirror/nginx.pid;
error_log $WORK/mirror/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { application/octet-stream qcow2; }
  server { listen 127.0.0.1:$MIRROR_PORT; root $WORK/srv; limit_rate $SLOW_CAP; }
}
EOF
start_mirror() {
  nginx -c "$WORK/mirror/nginx.conf" -p "$WORK/mirror" &
  MIRROR_PID=$!
  for _ in $(seq 50); do curl -fs -o /dev/null -r 0-0 "http://127.0.0.1:$MIRROR_PORT/big.qcow2" && return; sleep 0.1; done
  echo "bench: the mirror nginx did not start" >&2; exit 1
}
stop_mirror() { # fast shutdown: nginx closes every connection at once
  [ -n "$MIRROR_PID" ] && kill -TERM "$MIRROR_PID" 2>/dev/null || true
  wait "$MIRROR_PID" 2>/dev/null || true
  MIRROR_PID=
}
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$FAST_PORT/SHA256SUMS" >/dev/null && break; sleep 0.1; done
FAST=http://127.0.0.1:$FAST_PORT
CAPPED=http://127.0.0.1:$CAPPED_PORT
SLOW=http://127.0.0.1:$SLOW_PORT
MIRROR=http://127.0.0.1:$MIRROR_PORT

# --- helpers ---------------------------------------------------------------
now() { date +%s.%N; }
alive() { # the servers must still be up, or the figures mean nothing
  curl -fs -o /dev/null "$FAST/SHA256SUMS" && curl -fs -o /dev/null "$CAPPED/SHA256SUMS" \
    || { echo "bench: nginx is no longer serving; its error log ends:" >&2; tail -5 "$WORK/nginx/error.log" >&2; exit 1; }
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
config() { # file base image...: a config with direct-URL images from base
  local file=$1 base=$2; shift 2
  { echo "dir: $WORK/images"; [ -n "${CONNS:-}" ] && echo "connections: $CONNS"; echo "images:"
    for im in "$@"; do
      echo "  $im:"
      echo "    url: $base/$im"
      echo "    checksum: sha256:$(grep " $im\$" "$WORK/srv/SHA256SUMS" | cut -d' ' -f1)"
    done; } > "$file"
}
fresh() { rm -rf "$WORK/images" "$WORK/dl"; mkdir -p "$WORK/dl"; }
# Warm the server's page cache so the first measured run is not the disk's.
cat "$WORK"/srv/*.qcow2 >/dev/null

config "$WORK/big.yaml" "$FAST" big.qcow2
config "$WORK/big-capped.yaml" "$CAPPED" big.qcow2
CONNS=1 config "$WORK/big-1.yaml" "$FAST" big.qcow2
CONNS=1 config "$WORK/big-capped-1.yaml" "$CAPPED" big.qcow2
config "$WORK/big-slow.yaml" "$SLOW" big.qcow2
config "$WORK/big-mirrors.yaml" "$SLOW" big.qcow2
echo "    mirrors: [$MIRROR/big.qcow2]" >> "$WORK/big-mirrors.yaml"
allocated() { # bytes the partial holds (its blocks: a file written out of order has holes); "" before there is one
  # Never fails: under set -e and pipefail, a find that does not find the
  # partial area yet would end the script while fetchd runs on.
  find "$WORK/images/.fetchd/partial" -name '*.part' -printf '%b\n' 2>/dev/null | awk 'NR == 1 {print $1 * 512}' || true
}

# --- 1. cold sync of one image vs curl ---------------------------------------
log "cold sync vs curl, ${SIZE_MIB} MiB, $RUNS runs each, fast server"
: > "$WORK/t.curl"; : > "$WORK/t.fetchd"; : > "$WORK/t.fetchd1"; : > "$WORK/t.chain"; : > "$WORK/t.sha"; : > "$WORK/t.curlsync"; : > "$WORK/t.disk"
for _ in $(seq "$RUNS"); do
  fresh; t0=$(now); curl -fsS -o "$WORK/dl/big.qcow2" "$FAST/big.qcow2"; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.curl"
  fresh; t0=$(now); "$FETCHD" sync --config "$WORK/big.yaml" --quiet; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.fetchd"
  fresh; t0=$(now); "$FETCHD" sync --config "$WORK/big-1.yaml" --quiet; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.fetchd1"
  fresh; t0=$(now); curl -fsS -o "$WORK/dl/big.qcow2" "$FAST/big.qcow2" && sync "$WORK/dl/big.qcow2"; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.curlsync"
  fresh; t0=$(now)
  curl -fsS -o "$WORK/dl/big.qcow2" "$FAST/big.qcow2" \
    && (cd "$WORK/dl" && echo "$BIG_SHA  big.qcow2" | sha256sum -c --quiet) \
    && qemu-img check -q -f qcow2 "$WORK/dl/big.qcow2"
  t1=$(now); echo "$t1 - $t0" | bc >> "$WORK/t.chain"
  t0=$(now); sha256sum "$WORK/srv/big.qcow2" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.sha"
  # The disk floor: the same bytes, already in the page cache, written and
  # made durable, with no network and no hashing. Installing an image
  # safely (fsync before rename) cannot be faster than this.
  fresh; cat "$WORK/srv/big.qcow2" >/dev/null; t0=$(now)
  dd if="$WORK/srv/big.qcow2" of="$WORK/dl/big.qcow2" bs=1M conv=fsync status=none; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.disk"
done
CURL=$(median < "$WORK/t.curl"); CURLSYNC=$(median < "$WORK/t.curlsync"); FD=$(median < "$WORK/t.fetchd"); FD1=$(median < "$WORK/t.fetchd1"); CHAIN=$(median < "$WORK/t.chain"); SHA=$(median < "$WORK/t.sha"); DISK=$(median < "$WORK/t.disk")

log "the same on the server capped at $CAP per connection"
: > "$WORK/t.curlc"; : > "$WORK/t.fetchdc"; : > "$WORK/t.fetchdc1"
for _ in $(seq "$RUNS"); do
  fresh; t0=$(now); curl -fsS -o "$WORK/dl/big.qcow2" "$CAPPED/big.qcow2"; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.curlc"
  fresh; t0=$(now); "$FETCHD" sync --config "$WORK/big-capped.yaml" --quiet; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.fetchdc"
  fresh; t0=$(now); "$FETCHD" sync --config "$WORK/big-capped-1.yaml" --quiet; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.fetchdc1"
done
CURLC=$(median < "$WORK/t.curlc"); FDC=$(median < "$WORK/t.fetchdc"); FDC1=$(median < "$WORK/t.fetchdc1")

alive
# --- 1b. a throttled link: 25 MB/s per connection ---------------------------
log "the same at $SLOW_CAP per connection: fetchd (automatic) vs curl, aria2c -x4, aria2c -x16; $THROTTLE_RUNS runs"
: > "$WORK/t.curls"; : > "$WORK/t.fetchds"; : > "$WORK/t.aria4"; : > "$WORK/t.aria16"; : > "$WORK/t.mirrors"; : > "$WORK/n.conns"
aria() { # connections: aria2c into dl/, as the issue measured it (unverified)
  aria2c -q -x"$1" -s"$1" -k1M --allow-overwrite=true --auto-file-renaming=false -d "$WORK/dl" -o big.qcow2 "$SLOW/big.qcow2"
}
for _ in $(seq "$THROTTLE_RUNS"); do
  fresh; t0=$(now); curl -fsS -o "$WORK/dl/big.qcow2" "$SLOW/big.qcow2"; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.curls"
  fresh; t0=$(now); aria 4; t1=$(now); echo "$t1 - $t0" | bc >> "$WORK/t.aria4"
  fresh; t0=$(now); aria 16; t1=$(now); echo "$t1 - $t0" | bc >> "$WORK/t.aria16"
  fresh; t0=$(now); "$FETCHD" sync --config "$WORK/big-slow.yaml" --json > "$WORK/slow.json"; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.fetchds"
  grep -o '"connections": [0-9]*' "$WORK/slow.json" | grep -o '[0-9]*$' >> "$WORK/n.conns"
  # Two mirrors, the second stopped once half the image is in: fetchd
  # drops it and finishes from the first.
  start_mirror
  fresh; t0=$(now)
  "$FETCHD" sync --config "$WORK/big-mirrors.yaml" --json > "$WORK/mirrors.json" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    a=$(allocated); [ -n "$a" ] && [ "$a" -ge $(( BIG_BYTES / 2 )) ] && { stop_mirror; break; }
    sleep 0.02
  done
  wait "$pid"; t1=$(now)
  stop_mirror
  echo "$t1 - $t0" | bc >> "$WORK/t.mirrors"
  # (A toy image can be in before the mirror is stopped: not checked then.)
  [ "${BENCH_SMOKE:-}" = 1 ] || grep -q '"dropped"' "$WORK/mirrors.json" \
    || { echo "bench: the stopped mirror was not dropped:" >&2; cat "$WORK/mirrors.json" >&2; exit 1; }
done
CURLS=$(median < "$WORK/t.curls"); FDS=$(median < "$WORK/t.fetchds"); ARIA4=$(median < "$WORK/t.aria4"); ARIA16=$(median < "$WORK/t.aria16")
MIRRORS=$(median < "$WORK/t.mirrors"); CONNS_USED=$(sort -n "$WORK/n.conns" | tr '\n' ' ' | sed 's/ $//')
MIRROR_SERVED=$(tr -d '\n ' < "$WORK/mirrors.json" | grep -o '"served":\[[^]]*\]' | head -1)

log "peak RSS of fetchd during the throttled sync"
fresh
"$FETCHD" sync --config "$WORK/big-slow.yaml" --quiet &
pid=$!
HWMS=0
while kill -0 "$pid" 2>/dev/null; do
  v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$v" ] && HWMS=$v
  sleep 0.05
done
wait "$pid"
HWMS_MIB=$(awk -v k="$HWMS" 'BEGIN {printf "%.1f", k/1024}')

alive
# --- 2. peak RSS while downloading ------------------------------------------
log "peak RSS of fetchd during the ${SIZE_MIB} MiB sync"
fresh
"$FETCHD" sync --config "$WORK/big.yaml" --quiet &
pid=$!
HWM=0
while kill -0 "$pid" 2>/dev/null; do
  v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$v" ] && HWM=$v
  sleep 0.05
done
wait "$pid"
HWM_MIB=$(awk -v k="$HWM" 'BEGIN {printf "%.1f", k/1024}')

alive
# --- 3. three images in parallel from the capped server ---------------------
log "three ${PAR_MIB} MiB images, each alone and all at once, capped server"
SLOWEST=0
for i in 1 2 3; do
  config "$WORK/par$i.yaml" "$CAPPED" "par$i.qcow2"
  : > "$WORK/t.par$i"
  for _ in $(seq "$RUNS"); do
    fresh; t0=$(now); "$FETCHD" sync --config "$WORK/par$i.yaml" --quiet; t1=$(now)
    echo "$t1 - $t0" | bc >> "$WORK/t.par$i"
  done
  m=$(median < "$WORK/t.par$i")
  SLOWEST=$(awk -v a="$SLOWEST" -v b="$m" 'BEGIN {print (b>a)?b:a}')
done
config "$WORK/par.yaml" "$CAPPED" par1.qcow2 par2.qcow2 par3.qcow2
: > "$WORK/t.par"
for _ in $(seq "$RUNS"); do
  fresh; t0=$(now); "$FETCHD" sync --config "$WORK/par.yaml" --quiet --parallel 3; t1=$(now)
  echo "$t1 - $t0" | bc >> "$WORK/t.par"
done
PAR=$(median < "$WORK/t.par")

alive
# --- 4. SIGKILL halfway, then sync again -------------------------------------
log "SIGKILL halfway through the ${SIZE_MIB} MiB download, then sync again"
fresh
"$FETCHD" sync --config "$WORK/big-capped.yaml" --quiet &
pid=$!
half=$(( BIG_BYTES / 2 ))
while kill -0 "$pid" 2>/dev/null; do
  part=$(allocated)
  [ -n "$part" ] && [ "$part" -ge "$half" ] && break
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
alive
KILLED_AT=$(allocated)
"$FETCHD" sync --config "$WORK/big-capped.yaml" --json > "$WORK/resume.json"
# A toy image can be in before the kill: then there is nothing to resume.
if ! RESUMED=$(grep -o '"bytes_transferred": [0-9]*' "$WORK/resume.json" | grep -o '[0-9]*$'); then
  [ "${BENCH_SMOKE:-}" = 1 ] || { echo "bench: no bytes_transferred in the resumed sync's answer:" >&2; cat "$WORK/resume.json" >&2; exit 1; }
  RESUMED=0
fi
RESUMED_PCT=$(awk -v a="$RESUMED" -v b="$BIG_BYTES" 'BEGIN {printf "%.1f", 100*a/b}')
[ "${BENCH_SMOKE:-}" = 1 ] || grep -q '"state": "installed"' "$WORK/resume.json"

alive
# --- 5. no-op sync of the three default images --------------------------------
log "no-op sync of the three default images against local replicas"
go run ./bench/replicas -out "$WORK/replicas" -base "http://127.0.0.1:$FAST_PORT/replicas" -dir "$WORK/noop-images" > "$WORK/noop.yaml"
ln -s "$WORK/replicas" "$WORK/srv/replicas"
"$FETCHD" sync --config "$WORK/noop.yaml" --quiet
: > "$WORK/t.noop"; : > "$WORK/t.off"
for _ in $(seq "$NOOP_RUNS"); do
  t0=$(now); "$FETCHD" sync --config "$WORK/noop.yaml" --quiet; t1=$(now); echo "$t1 - $t0" | bc >> "$WORK/t.noop"
  t0=$(now); "$FETCHD" sync --config "$WORK/noop.yaml" --quiet --offline; t1=$(now); echo "$t1 - $t0" | bc >> "$WORK/t.off"
done
NOOP_MS=$(median < "$WORK/t.noop" | awk '{printf "%.0f", $1*1000}')
OFF_MS=$(median < "$WORK/t.off" | awk '{printf "%.0f", $1*1000}')
READS="not measured (strace missing)"
if command -v strace >/dev/null; then
  strace -f -qq -e trace=open,openat -o "$WORK/noop.strace" "$FETCHD" sync --config "$WORK/noop.yaml" --quiet
  n=$(grep -c -E "noop-images/[^/.][^/]*\.qcow2\"" "$WORK/noop.strace" || true)
  READS="$n opens of image files (strace -f -e openat)"
fi

# --- report ------------------------------------------------------------------
for v in CURL CURLSYNC FD FD1 CHAIN SHA DISK CURLC FDC FDC1 PAR SLOWEST CURLS FDS ARIA4 ARIA16 MIRRORS; do
  eval "$v=\$(awk -v x=\"\$$v\" 'BEGIN {printf \"%.2f\", x}')"
done
MIBS() { awk -v s="$1" -v b="$BIG_BYTES" 'BEGIN {printf "%.0f MiB/s", b/1048576/s}'; }
{
  echo "# fetchd benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
  echo
  echo "Image: ${SIZE_MIB} MiB of random data in a qcow2 ($BIG_BYTES bytes). Medians of $RUNS runs; no-op medians of $NOOP_RUNS."
  echo
  echo "| measurement | fetchd | baseline | ratio | target |"
  echo "|---|---|---|---|---|"
  echo "| cold sync, loopback (fast) | ${FD}s ($(MIBS "$FD")) | curl -o ${CURL}s ($(MIBS "$CURL")) | $(ratio "$FD" "$CURL") | ≤ 1.15 |"
  echo "| same, vs curl -o && sync (the download made durable, as fetchd makes it) | ${FD}s | ${CURLSYNC}s | $(ratio "$FD" "$CURLSYNC") | |"
  echo "| same, vs curl + sha256sum -c + qemu-img check | ${FD}s | ${CHAIN}s | $(ratio "$FD" "$CHAIN") | < 1 |"
  echo "| same, vs the disk floor: dd conv=fsync of the file from the page cache | ${FD}s | ${DISK}s ($(MIBS "$DISK")) | $(ratio "$FD" "$DISK") | |"
  echo "| sha256sum (coreutils) of the file alone | | ${SHA}s ($(MIBS "$SHA")) | | |"
  echo "| same, --connections 1 (go-getter) | ${FD1}s | curl -o ${CURL}s | $(ratio "$FD1" "$CURL") | |"
  echo "| cold sync, server capped at $CAP per connection | ${FDC}s ($(MIBS "$FDC")) | curl -o ${CURLC}s ($(MIBS "$CURLC")) | $(ratio "$FDC" "$CURLC") | ≤ 1.15 |"
  echo "| same, --connections 1 (go-getter) | ${FDC1}s | curl -o ${CURLC}s | $(ratio "$FDC1" "$CURLC") | |"
  echo "| cold sync, server capped at $SLOW_CAP per connection (automatic: $CONNS_USED connections) | ${FDS}s ($(MIBS "$FDS")) | aria2c -x16 -s16 ${ARIA16}s ($(MIBS "$ARIA16")) | $(ratio "$FDS" "$ARIA16") | ≤ 1.0 |"
  echo "| same, vs aria2c -x4 -s4 | ${FDS}s | ${ARIA4}s | $(ratio "$FDS" "$ARIA4") | |"
  echo "| same, vs curl -o | ${FDS}s | ${CURLS}s | $(ratio "$FDS" "$CURLS") | |"
  echo "| two $SLOW_CAP mirrors, one stopped half-way | ${MIRRORS}s | the single healthy mirror ${FDS}s | $(ratio "$MIRRORS" "$FDS") | ≤ 1.2 |"
  echo "| peak RSS of fetchd while downloading | ${HWM_MIB} MiB | | | ≤ 64 MiB |"
  echo "| peak RSS of fetchd, throttled link (most connections) | ${HWMS_MIB} MiB | | | ≤ 64 MiB |"
  echo "| 3 × ${PAR_MIB} MiB in parallel, capped server | ${PAR}s | slowest alone ${SLOWEST}s | $(ratio "$PAR" "$SLOWEST") | ≤ 1.3 |"
  echo "| SIGKILL at $KILLED_AT bytes, then sync | transferred $RESUMED bytes | image $BIG_BYTES bytes | ${RESUMED_PCT}% | ≤ 55% |"
  echo "| no-op sync, three default images (replicas) | ${NOOP_MS} ms | | | ≤ 150 ms |"
  echo "| no-op sync --offline | ${OFF_MS} ms | | | ≤ 50 ms |"
  echo "| image bytes read by a no-op sync | $READS | | | 0 |"
  echo
  echo "Last mirrors run, who served what: \`$MIRROR_SERVED\`"
} | tee "$OUT/results.md"
