#!/usr/bin/env bash
# The test command: formatting, vet, staticcheck, every test with the race
# detector, and a short smoke run of every fuzz target. Needs only Go (and gcc
# for the race detector); everything the tests talk to they start themselves
# on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH)/bin"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
if ! command -v staticcheck >/dev/null; then
  go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
staticcheck ./...

echo "== go test"
go test -race -count=1 -timeout 20m ./...

echo "== fuzz smoke (${FUZZTIME:-5s} per target)"
scripts/fuzz.sh "${FUZZTIME:-5s}"
