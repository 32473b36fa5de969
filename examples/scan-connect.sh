#!/usr/bin/env bash
# Scans the bundled example Connect app with ecoscan. The app (examples/connect-app)
# is started on 127.0.0.1 over TLS with a few flaws built in, its certificate is
# trusted through SSL_CERT_FILE, and ecoscan scans it as a user would scan a real app.
#
#   examples/scan-connect.sh                      # the flawed example app, text report
#   examples/scan-connect.sh --format json        # any ecoscan flag goes after
#   FLAWS= examples/scan-connect.sh               # the correct app: no findings, exit 0
#   WITH_INSTALLATION=1 examples/scan-connect.sh  # also give a test installation and a user token
#
# Exit code: ecoscan's (0 clean, 1 findings, 2 the scan could not run).
set -euo pipefail
cd "$(dirname "$0")/.."
flaws=${FLAWS-forged-accepted,open-webhook,forged-install,referrer-unsafe,cookie-insecure,qsh-ignored}
tmp=$(mktemp -d)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/ecoscan" ./cmd/ecoscan
go build -o "$tmp/connect-app" ./examples/connect-app
"$tmp/connect-app" --flaws "$flaws" --cert-out "$tmp/ca.pem" --print-installation >"$tmp/app.out" &
app_pid=$!
for _ in $(seq 100); do
  [ "$(wc -l <"$tmp/app.out")" -ge 4 ] && break
  sleep 0.1
done
url=$(sed -n 1p "$tmp/app.out")
[ -n "$url" ] || { echo "the example app did not start" >&2; exit 2; }
args=(connect "$url")
if [ -n "${WITH_INSTALLATION:-}" ]; then
  args+=(--client-key "$(sed -n 2p "$tmp/app.out")" --user-jwt "$(sed -n 4p "$tmp/app.out")")
  export ECOSCAN_SHARED_SECRET
  ECOSCAN_SHARED_SECRET=$(sed -n 3p "$tmp/app.out")
fi
set +e
SSL_CERT_FILE="$tmp/ca.pem" "$tmp/ecoscan" "${args[@]}" "$@"
code=$?
set -e
exit $code
