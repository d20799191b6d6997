#!/usr/bin/env bash
# Growth benchmark: does a full store take writes as fast as an empty one?
#
# 1. A fresh jejak serve on loopback takes GROWTH_COUNT statements (default
#    1,000,000) at 100 per POST; with that store it measures read latency
#    (agent-filtered statement queries and JP lookups) right after the fill.
# 2. Write windows of GROWTH_WINDOW (default 60s) at 100 per POST, each on a
#    freshly started server: on an empty store, and on a copy of the filled
#    one, GROWTH_REPEAT times (default 3) in alternating order, so that the
#    machine's drift and the run-to-run spread fall on both sides alike.
#    Prints every window, the medians and their ratio, with the server's
#    CPU time per statement.
# 3. `jejak replay` of the filled store's log.
# Bounded in time; everything lives in a temporary directory removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${GROWTH_COUNT:-1000000}
WINDOW=${GROWTH_WINDOW:-60s}
REPEAT=${GROWTH_REPEAT:-3}
tmp=$(mktemp -d)
pid=""
stop_server() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
	pid=""
}
cleanup() {
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/jejak" ./cmd/jejak
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
start_server() { # start_server DATA
	"$tmp/jejak" serve --data "$1" --addr "127.0.0.1:$port" --credentials "bench:$secret:admin+verifier" --log-level warn >"$tmp/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/xapi/about" >/dev/null && return 0; sleep 0.1; done
	echo "jejak did not start"; cat "$tmp/serve.log"; exit 1
}
bench() { timeout 1800 "$tmp/jejak" bench --url "http://127.0.0.1:$port/xapi" --auth "bench:$secret" --pid "$pid" "$@"; }
caught_up() {
	for _ in $(seq 1 600); do
		ct=$(curl -s -D - -o /dev/null -u "bench:$secret" -H 'X-Experience-API-Version: 1.0.3' "http://127.0.0.1:$port/xapi/statements?limit=1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-experience-api-consistent-through"{print $2}')
		now=$(date -u +%s)
		[ -n "$ct" ] && [ $(( now - $(date -u -d "$ct" +%s) )) -lt 3 ] && return 0
		sleep 1
	done
}

echo "== filling an empty store to $COUNT statements, 100 per POST"
start_server "$tmp/full"
bench --batch 100 --concurrency 8 --count "$COUNT" --duration 30m
echo "== waiting for the views to catch up"
caught_up
# Reads: agent-filtered queries (limit=100) and JP lookups, from 1, 2 and 8
# readers at once (on a 2-core machine 8 readers queue for the CPU).
for readers in 1 2 8; do
	echo "== reads at $COUNT: agent-filtered queries (limit=100) and JP lookups, $readers readers, 15 s"
	bench --reads 1 --jp-url "http://127.0.0.1:$port/api/v1" --concurrency "$readers" --duration 15s
done
stop_server

# window KIND N: one write window on a fresh server, on an empty store or
# on a copy of the filled one; appends "KIND acked/s projected/s µs" to rows.
window() {
	rm -rf "$tmp/w"
	if [ "$1" = full ]; then cp -a "$tmp/full" "$tmp/w"; fi
	sync
	start_server "$tmp/w"
	bench --batch 100 --concurrency 8 --duration "$WINDOW" --json >"$tmp/w.json"
	stop_server
	rm -rf "$tmp/w"
	jq -r --arg k "$1" '"\($k) \(.acked_per_s) \(.projection.projected_per_s) \(.rss.server_cpu_us_per_statement) \(.rss.peak_bytes/1048576|floor) \(.errors_total)"' "$tmp/w.json" | tee -a "$tmp/rows"
}
echo "== write windows of $WINDOW at 100 per POST, each on a fresh server: empty store and a copy of the $COUNT store, $REPEAT times"
echo "store acked/s projected/s server-µs/statement peak-RSS-MiB errors"
for i in $(seq 1 "$REPEAT"); do
	if [ $((i % 2)) = 1 ]; then window empty; window full; else window full; window empty; fi
done
python3 - "$tmp/rows" "$COUNT" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for kind in ("empty", "full"):
    r = [x for x in rows if x[0] == kind]
    med[kind] = [statistics.median(float(x[i]) for x in r) for i in (1, 2, 3)]
    print(f"median {kind:5s}: {med[kind][0]:,.0f} acknowledged/s, {med[kind][1]:,.0f} projected/s, {med[kind][2]:.1f} µs of server CPU per statement")
print(f"full ({int(sys.argv[2]):,}) against empty: acknowledged {100*(med['full'][0]/med['empty'][0]-1):+.1f}%, projected {100*(med['full'][1]/med['empty'][1]-1):+.1f}%")
PY
echo "== jejak replay of the $COUNT store's log"
/usr/bin/time -v "$tmp/jejak" replay --data "$tmp/full" --log-level warn 2>&1 | grep -E 'replay:|Maximum resident|Elapsed' || true
