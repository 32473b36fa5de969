#!/usr/bin/env bash
# Scans the bundled example Forge app (examples/forge-app), which has one flaw
# per check of `ecoscan forge` and, beside each, the correct way. The
# advisories for its vulnerable dependency come from examples/advisories, so
# the scan needs no network.
#
#   examples/scan-forge.sh                 # text report on a terminal
#   examples/scan-forge.sh --format sarif  # any ecoscan flag goes after
#
# Exit code: ecoscan's (0 clean, 1 findings, 2 the scan could not run).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ecoscan" ./cmd/ecoscan
"$tmp/ecoscan" forge examples/forge-app --osv-db examples/advisories "$@"
