#!/usr/bin/env bash
# The project's whole test: formatting, vet, the protobuf contract (lint,
# generated-code drift, breaking changes), the tests under the race
# detector, and a short run of every fuzz target. CI runs exactly this.
#
#   ./scripts/test.sh                 everything
#   FUZZTIME=100000x ./scripts/test.sh   more fuzzing (FUZZTIME=5m: for a while)
#
# Fuzzing runs a fixed number of inputs per target, not a duration: a run
# takes the same work on a busy machine as on an idle one, and the fuzzing
# coordinator's deadline race (a "context deadline exceeded" failure with
# no crashing input) cannot fail it.
set -euo pipefail
cd "$(dirname "$0")/.."

BUF="go run github.com/bufbuild/buf/cmd/buf@v1.75.0"
FUZZTIME="${FUZZTIME:-3000x}"

step() { printf '\n==> %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "go.mod is tidy"
go mod tidy -diff

step "buf lint"
$BUF lint

step "generated code is up to date"
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
sed "s#out: internal/gen#out: $gen#" buf.gen.yaml > "$gen/buf.gen.yaml"
$BUF generate --template "$gen/buf.gen.yaml"
if ! diff -r "$gen/fetchd" internal/gen/fetchd; then
  echo "internal/gen is stale: run 'go run github.com/bufbuild/buf/cmd/buf@v1.75.0 generate' and commit"; exit 1
fi

step "man pages are up to date"
go run ./cmd/fetchd __man "$gen/man"
if ! diff -r "$gen/man" docs/man; then
  echo "docs/man is stale: run 'go run ./cmd/fetchd __man docs/man' and commit"; exit 1
fi

step "buf breaking (against the previous commit)"
if git rev-parse -q --verify HEAD~1 >/dev/null && git cat-file -e HEAD~1:proto 2>/dev/null; then
  $BUF breaking --against ".git#ref=HEAD~1"
else
  echo "no previous commit with proto/: nothing to compare"
fi

step "go test -race"
# The end-to-end suite (cmd/fetchd) runs the real binary many times under
# the race detector: past go test's default 10 minutes on a loaded
# two-core machine.
go test -race -count=1 -timeout 25m $(go list ./... | grep -v '/bench$')

step "bench scripts at toy sizes"
# bench/smoke_test.go runs the four bench scripts, each with its nginx and
# downloads; alone, after the rest, so they do not share the two cores
# with the end-to-end suite and their ports with its servers.
go test -count=1 -timeout 15m ./bench

step "fuzz targets, -fuzztime=$FUZZTIME each"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "--- $pkg $target"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" >/tmp/fuzz.log 2>&1 || { cat /tmp/fuzz.log; exit 1; }
  done
done

step "ok"
