#!/usr/bin/env bash
# connect.sh: the Connect scan's benchmark, on the built binaries.
#
# It builds ecoscan and the fixture app (examples/connect-app), starts the app
# on 127.0.0.1 with 500 extra pages whose every module page answers after
# 20 ms, and scans it with `ecoscan connect` under /usr/bin/time, once with
# C requests in flight and once with one at a time (the sequential baseline).
# The app is restarted for each scan and counts the requests it served.
#
# Goals (the issue's): elapsed <= 1.5 x ideal, where ideal = requests x 20 ms
# / C; at least 20x faster than sequential; peak RSS of ecoscan under 150 MB.
# It prints a table and exits 1 when a goal fails (2 when it cannot measure).
#
# Run from anywhere in the module:
#
#	bench/connect.sh                  # C = 64, sequential run included (~2 min more)
#	SEQUENTIAL=0 bench/connect.sh     # sequential figure computed as requests x 20 ms
#	CONCURRENCY=32 PAGES=500 bench/connect.sh
#
# The same scan in-process: go test ./internal/connect -run '^$' -bench Scan500Endpoints
set -euo pipefail

concurrency=${CONCURRENCY:-64}
pages=${PAGES:-500}
sequential=${SEQUENTIAL:-1}
delay_ms=20

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
app_pid= time_pid=
cleanup() {
	exec 3>&-
	if [[ -n $time_pid ]]; then # /usr/bin/time, and the ecoscan it runs
		pkill -TERM -P "$time_pid" 2>/dev/null || true
		kill "$time_pid" 2>/dev/null || true
		wait "$time_pid" 2>/dev/null || true
	fi
	if [[ -n $app_pid ]]; then
		kill "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x /usr/bin/time ]]; then
	echo "connect.sh: installing GNU time" >&2
	apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

echo "building into $tmp" >&2
(cd "$root" && go build -o "$tmp/ecoscan" ./cmd/ecoscan && go build -o "$tmp/connect-app" ./examples/connect-app)

# scan C: starts a fresh app, scans it with C requests in flight and stops
# the app; sets served (the requests the app served), elapsed (seconds) and
# peak_kb (ecoscan's peak RSS).
scan() {
	local c=$1 fifo="$tmp/stdin" url="" status=0 measured
	rm -f "$fifo" "$tmp/app.out" "$tmp/app.err"
	mkfifo "$fifo"
	"$tmp/connect-app" --addr 127.0.0.1:0 --pages "$pages" --delay "${delay_ms}ms" \
		--cert-out "$tmp/cert.pem" --exit-on-stdin-eof <"$fifo" >"$tmp/app.out" 2>"$tmp/app.err" &
	app_pid=$!
	exec 3>"$fifo" # the app stops when this closes
	for _ in $(seq 100); do
		url=$(head -n 1 "$tmp/app.out")
		[[ -n $url ]] && break
		sleep 0.1
	done
	if [[ -z $url ]]; then
		echo "connect.sh: the app did not start: $(cat "$tmp/app.err")" >&2
		exit 2
	fi
	# In the background, so that a signal to this script stops the scan at once.
	SSL_CERT_FILE="$tmp/cert.pem" NO_PROXY=127.0.0.1 /usr/bin/time -f '%e %M' -o "$tmp/time" \
		"$tmp/ecoscan" connect "$url" --format json --output "$tmp/report-$c.json" --quiet \
		--concurrency "$c" --per-host "$c" --rate 0 &
	time_pid=$!
	wait "$time_pid" || status=$?
	time_pid=
	if ((status > 1)); then # 1 means findings, which the correct app should not have but is no failure to measure
		echo "connect.sh: ecoscan exited $status" >&2
		exit 2
	fi
	if ! grep -q '"errors": \[\]' "$tmp/report-$c.json"; then # failed requests are fast, and prove nothing
		echo "connect.sh: the scan with $c in flight reported errors:" >&2
		grep -A 20 '"errors": \[' "$tmp/report-$c.json" >&2
		exit 2
	fi
	exec 3>&-
	wait "$app_pid"
	app_pid=
	served=$(sed -n 's/^served \([0-9]*\) requests$/\1/p' "$tmp/app.err")
	if [[ -z $served ]]; then
		echo "connect.sh: the app did not say how many requests it served: $(cat "$tmp/app.err")" >&2
		exit 2
	fi
	measured=$(tail -n 1 "$tmp/time") # GNU time puts "Command exited with ..." first
	elapsed=${measured% *}
	peak_kb=${measured#* }
}

echo "scanning with $concurrency in flight" >&2
scan "$concurrency"
requests=$served
if [[ $sequential == 0 ]]; then
	seq_requests=$requests
	seq_elapsed=$(awk -v r="$requests" -v d="$delay_ms" 'BEGIN { printf "%.2f", r * d / 1000 }')
	seq_note="computed: requests x ${delay_ms} ms"
else
	echo "scanning one request at a time (about $((requests * delay_ms / 60000 + 1)) min; SEQUENTIAL=0 skips it)" >&2
	scan_elapsed=$elapsed scan_peak_kb=$peak_kb
	scan 1
	seq_requests=$served seq_elapsed=$elapsed seq_note="measured"
	elapsed=$scan_elapsed peak_kb=$scan_peak_kb
fi

awk -v r="$requests" -v c="$concurrency" -v e="$elapsed" -v kb="$peak_kb" -v d="$delay_ms" \
	-v sr="$seq_requests" -v se="$seq_elapsed" -v note="$seq_note" '
function verdict(ok) { if (!ok) failed = 1; return ok ? "PASS" : "FAIL" }
BEGIN {
	ideal = r * d / 1000 / c
	ratio = e / ideal
	speedup = se / e
	mb = kb / 1024
	printf "%-24s %12s  %-8s %s\n", "", "value", "goal", "verdict"
	printf "%-24s %12d\n", "requests", r
	printf "%-24s %12d\n", "concurrency", c
	printf "%-24s %12.2f\n", "elapsed s", e
	printf "%-24s %12.2f\n", "ideal s", ideal
	printf "%-24s %12.2f  %-8s %s\n", "elapsed/ideal", ratio, "<= 1.5", verdict(ratio <= 1.5)
	printf "%-24s %12.2f  (%d requests, %s)\n", "sequential s", se, sr, note
	printf "%-24s %12.1f  %-8s %s\n", "speed-up vs sequential", speedup, ">= 20", verdict(speedup >= 20)
	printf "%-24s %12.1f  %-8s %s\n", "peak RSS MB", mb, "< 150", verdict(mb < 150)
	exit failed
}'
