#!/usr/bin/env bash
# deps-compare.sh: ecoscan's dependency check (requirement 9) against osv-scanner's.
#
# It installs osv-scanner v2.5.0 into a temporary directory with
#
#	GOBIN=$TMP/bin go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0
#
# (never a dependency of this module), then prepares, in the same temporary
# directory:
#
#   tree/  a copy of internal/supply/deps/testdata/lockfiles: every lockfile
#          format and version the check supports (package-lock v1 to v3,
#          npm-shrinkwrap, yarn v1 and berry, pnpm v5, v6 and v9, workspace
#          monorepos, an npm: alias, development dependencies);
#   big/   a generated package-lock.json of 5,000 packages;
#   db/    one OSV zip in osv-scanner's offline layout, db/osv-scalibr/npm/all.zip:
#          the records of internal/supply/deps/testdata/advisories plus
#          generated advisories for the big lockfile and 20,000 unrelated ones.
#
# Each tool then scans the same lockfiles against the same zip:
#
#	osv-scanner scan source --offline --offline-vulnerabilities --local-db-path db --format json -L <lockfile>...
#	go run ./bench/deps scan -db db <dir>          (deps.LoadDB + deps.Scan)
#
# (osv-scanner v2.5.0 matches nothing with --offline-vulnerabilities alone: its
# local matcher only runs when --offline disables the network, so both flags
# are given.) The (lockfile, package, version, advisory) sets are printed per
# lockfile with their differences, once for tree/ and once for big/, with the
# wall-clock time of each tool (ecoscan's is a compiled binary, DB loading
# included) and their ratio.
#
# Exit status: 0 when the sets are equal, 1 when they differ, 2 when something
# could not be run.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "deps-compare: $*" >&2; exit 2; }

echo "== installing osv-scanner v2.5.0 into $tmp/bin (go $(go env GOVERSION))"
# GOTOOLCHAIN=local: build with this machine's Go (osv-scanner v2.5.0 needs go 1.26.5).
( cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS= GOTOOLCHAIN=local go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0 ) \
	|| fail "go install osv-scanner failed"
osv="$tmp/bin/osv-scanner"
"$osv" --version | head -2

echo "== building ecoscan's side (bench/deps)"
( cd "$here" && go build -o "$tmp/bin/deps" ./bench/deps ) || fail "go build ./bench/deps failed"
ours="$tmp/bin/deps"

echo "== preparing lockfiles and the database"
cp -r "$here/internal/supply/deps/testdata/lockfiles" "$tmp/tree"
"$ours" prepare -records "$here/internal/supply/deps/testdata/advisories" -n 5000 -others 20000 -out "$tmp" \
	|| fail "prepare failed"

now() { date +%s%N; }
status=0

# run NAME DIR: both tools on every lockfile under DIR.
run() {
	local name=$1 dir=$2
	local args=()
	while IFS= read -r lf; do args+=(-L "$lf"); done < <(find "$dir" -type f \( -name package-lock.json -o -name npm-shrinkwrap.json -o -name yarn.lock -o -name pnpm-lock.yaml \) -not -path '*/node_modules/*' | sort)
	[ ${#args[@]} -gt 0 ] || fail "no lockfile under $dir"

	local t0 t1 t2
	t0=$(now)
	# osv-scanner exits 1 when it finds vulnerabilities.
	"$osv" scan source --offline --offline-vulnerabilities --local-db-path "$tmp/db" --format json "${args[@]}" \
		>"$tmp/$name.osv.json" 2>"$tmp/$name.osv.log" || [ $? -eq 1 ] || { cat "$tmp/$name.osv.log" >&2; fail "osv-scanner failed on $name"; }
	t1=$(now)
	"$ours" scan -db "$tmp/db" "$dir" >"$tmp/$name.ours.json" || fail "ecoscan's scan failed on $name"
	t2=$(now)

	echo
	echo "== $name: $((${#args[@]} / 2)) lockfiles"
	if "$ours" compare -ours "$tmp/$name.ours.json" -osv "$tmp/$name.osv.json"; then
		echo "SAME findings"
	else
		local rc=$?
		[ $rc -eq 1 ] || fail "compare failed on $name"
		echo "DIFFERENT findings"
		status=1
	fi
	local osv_ms=$(((t1 - t0) / 1000000)) ours_ms=$(((t2 - t1) / 1000000))
	echo "wall time: osv-scanner ${osv_ms} ms, ecoscan ${ours_ms} ms; ratio osv-scanner/ecoscan $(awk -v a="$osv_ms" -v b="$ours_ms" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')"
}

run tree "$tmp/tree"
run big "$tmp/big"
exit $status
