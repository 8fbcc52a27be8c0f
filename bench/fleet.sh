#!/usr/bin/env bash
# The fleet benchmark (BENCHMARKS.md, "Fleet"): one publisher and N
# consumers against an upstream replica capped per connection, and a real
# registry. Run by hand; needs nginx, curl, qemu-img and docker-registry:
#
#   apt-get install -y nginx-light curl qemu-utils docker-registry
#   bench/fleet.sh                     # 8 consumers, 64 MiB images, 25 MB/s per connection
#   CONSUMERS=8 MIB=128 CAP=25m bench/fleet.sh
#   PLAIN_HTTP=1 bench/fleet.sh           # the registry over plain http
#   UPLINK=25m bench/fleet.sh             # all hosts reach upstream through one 25 MiB/s link
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in nginx curl qemu-img docker-registry; do
  command -v "$tool" >/dev/null || { echo "fleet: needs $tool" >&2; exit 2; }
done
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$bin/fetchd" ./cmd/fetchd
go run ./bench/fleet -fetchd "$bin/fetchd" ${PLAIN_HTTP:+-plain-http} ${UPLINK:+-uplink "$UPLINK"} -consumers "${CONSUMERS:-8}" -mib "${MIB:-64}" -cap "${CAP:-25m}" \
  -port "${PORT:-38491}" -out "${BENCH_OUT:-bench/out}/fleet.md"
