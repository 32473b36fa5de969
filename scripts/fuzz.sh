#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each (default 10s; a long
# campaign: scripts/fuzz.sh 30m). New crashers land in the package's
# testdata/fuzz/<Target>/ and fail the run; commit them as regression seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
status=0
# files in a corpus directory; 0 when it does not exist yet (a target with
# no committed seeds in testdata/fuzz).
corpus_size() {
  if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi
}
while IFS= read -r line; do
  file=${line%%:*}
  target=$(sed -E 's/.*func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $target for $fuzztime"
  corpus="$pkg/testdata/fuzz/$target"
  before=$(corpus_size "$corpus")
  log=$(mktemp)
  if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=5s "$pkg" 2>&1 | tee "$log"; then
    after=$(corpus_size "$corpus")
    # Go's fuzzer can end a run with "context deadline exceeded" when the
    # time runs out while it is minimising a new input: no crasher was
    # found then (a crasher is always written to the corpus directory).
    if [ "$after" -eq "$before" ] && grep -q "context deadline exceeded" "$log"; then
      echo "fuzz $target: the run ended while minimising an input; no crasher"
    else
      status=1
    fi
  fi
  rm -f "$log"
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
exit $status
