#!/usr/bin/env bash
# Growth benchmark: a fresh jejak serve on loopback takes GROWTH_COUNT
# statements (default 1,000,000) at 100 per POST; then, with that store,
# it measures read latency (agent-filtered statement queries and JP
# lookups), write throughput again, and `jejak replay` of the whole log.
# GROWTH_WINDOW (default 60s) is how long each write measurement runs: a
# short window on an empty store catches the time before the first
# compactions, not the rate the store keeps.
# Prints the reports; bounded in time; cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${GROWTH_COUNT:-1000000}
WINDOW=${GROWTH_WINDOW:-60s}
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/jejak" ./cmd/jejak
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
start_server() {
	"$tmp/jejak" serve --data "$tmp/data" --addr "127.0.0.1:$port" --credentials "bench:$secret:admin+verifier" --log-level warn >"$tmp/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/xapi/about" >/dev/null && return 0; sleep 0.2; done
	echo "jejak did not start"; cat "$tmp/serve.log"; exit 1
}
bench() { timeout 1800 "$tmp/jejak" bench --url "http://127.0.0.1:$port/xapi" --auth "bench:$secret" --pid "$pid" "$@"; }

start_server
echo "== empty store: $WINDOW at 100 per POST"
bench --batch 100 --concurrency 8 --duration "$WINDOW" | tee "$tmp/empty.txt"
stored=$(awk '$1=="statements" && $2=="acknowledged" {print $3}' "$tmp/empty.txt")
echo "== filling to $COUNT statements ($stored stored by the first run)"
bench --batch 100 --concurrency 8 --count "$(( COUNT > ${stored:-0} ? COUNT - ${stored:-0} : 1 ))" --duration 30m
echo "== waiting for the views to catch up"
for _ in $(seq 1 600); do
	ct=$(curl -s -D - -o /dev/null -u "bench:$secret" -H 'X-Experience-API-Version: 1.0.3' "http://127.0.0.1:$port/xapi/statements?limit=1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-experience-api-consistent-through"{print $2}')
	now=$(date -u +%s)
	[ -n "$ct" ] && [ $(( now - $(date -u -d "$ct" +%s) )) -lt 3 ] && break
	sleep 1
done
# Reads: agent-filtered queries (limit=100) and JP lookups, from 1, 2 and 8
# readers at once (on a 2-core machine 8 readers queue for the CPU).
for readers in 1 2 8; do
	echo "== reads at $COUNT: agent-filtered queries (limit=100) and JP lookups, $readers readers, 15 s"
	bench --reads 1 --jp-url "http://127.0.0.1:$port/api/v1" --concurrency "$readers" --duration 15s
done
echo "== writes at $COUNT: $WINDOW at 100 per POST"
bench --batch 100 --concurrency 8 --duration "$WINDOW"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "== jejak replay of the whole log"
/usr/bin/time -v "$tmp/jejak" replay --data "$tmp/data" --log-level warn 2>&1 | grep -E 'replay:|Maximum resident|Elapsed' || true
