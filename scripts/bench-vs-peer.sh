#!/usr/bin/env bash
# bench-vs-peer.sh: the same `jejak bench` load against Jejak and against the
# npm LRS xapi-statements (Learning Locker's statement service, in memory),
# back to back, each from an empty store, everything on 127.0.0.1. Prints a
# markdown table and the ratio Jejak/peer. See scripts/README.md.
#
#   scripts/bench-vs-peer.sh                  # 20 s per LRS, 100 statements per POST
#   BENCH_SECONDS=10 BENCH_BATCH=1 scripts/bench-vs-peer.sh
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_BATCH=${BENCH_BATCH:-100}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-8}
BENCH_WARMUP=${BENCH_WARMUP:-2s}
PEER_VERSION=${PEER_VERSION:-5.0.1} # the only release of xapi-statements on npm
BENCH_OUT=${BENCH_OUT:-}             # if set, a directory to keep the two JSON reports in

case $BENCH_SECONDS in '' | *[!0-9]*) echo "BENCH_SECONDS must be whole seconds" >&2; exit 2 ;; esac
if ((BENCH_SECONDS < 1 || BENCH_SECONDS > 600)); then echo "BENCH_SECONDS must be 1..600" >&2; exit 2; fi

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jejak-bench.XXXXXX")
jejak_pid=""
peer_pid=""

# stop PID [SECONDS] (scripts/lib.sh)
# shellcheck source=lib.sh
source "$root/scripts/lib.sh"

cleanup() {
	stop "$jejak_pid" 15
	stop "$peer_pid" 15
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench-vs-peer: $*" >&2; }

# free_port prints a loopback TCP port nobody listens on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "no free port found" >&2
	return 1
}

# --- Jejak ----------------------------------------------------------------
log "building jejak"
(cd "$root" && timeout 600 go build -o "$tmp/jejak" ./cmd/jejak)

secret=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
port=$(free_port)
log "starting jejak on 127.0.0.1:$port with an empty data directory"
setsid "$tmp/jejak" serve --addr "127.0.0.1:$port" --data "$tmp/jejak-data" \
	--credentials "bench:$secret:admin+verifier" --log-level warn >"$tmp/jejak.out" 2>"$tmp/jejak.err" </dev/null &
jejak_pid=$!
for _ in $(seq 300); do
	grep -q "serving xAPI at" "$tmp/jejak.out" 2>/dev/null && break
	kill -0 "$jejak_pid" 2>/dev/null || { cat "$tmp/jejak.err" >&2; log "jejak exited at start"; exit 1; }
	sleep 0.1
done
grep -q "serving xAPI at" "$tmp/jejak.out" || { log "jejak did not start within 30 s"; exit 1; }

bench() { # bench NAME URL PID
	log "bench $1: ${BENCH_SECONDS}s, batch $BENCH_BATCH, $BENCH_CONCURRENCY clients, warm-up $BENCH_WARMUP"
	timeout $((BENCH_SECONDS + 240)) "$tmp/jejak" bench --url "$2" --auth "bench:$secret" \
		--duration "${BENCH_SECONDS}s" --warmup "$BENCH_WARMUP" --batch "$BENCH_BATCH" \
		--concurrency "$BENCH_CONCURRENCY" --pid "$3" --json >"$tmp/$1.json" 2>"$tmp/$1.bench.err" ||
		{ cat "$tmp/$1.bench.err" >&2; return 1; }
}

bench jejak "http://127.0.0.1:$port/xapi" "$jejak_pid"
stop "$jejak_pid" 15
jejak_pid=""

# --- xapi-statements --------------------------------------------------------
peer_status=""
mkdir -p "$tmp/peer"
log "installing xapi-statements@$PEER_VERSION with npm"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	peer_status="node/npm are not installed"
elif ! (cd "$tmp/peer" && timeout 600 npm install --no-audit --no-fund --loglevel=error \
	"xapi-statements@$PEER_VERSION" >"$tmp/npm.log" 2>&1); then
	peer_status="npm install xapi-statements@$PEER_VERSION failed: $(tail -n 5 "$tmp/npm.log" | tr '\n' ' ')"
fi

if [[ -z $peer_status ]]; then
	# xapi-statements calls app.listen(EXPRESS_PORT) on every interface and
	# has no host setting: this preload pins a bare-port listen to 127.0.0.1.
	cat >"$tmp/peer/loopback.js" <<'EOF'
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const cb = args.find((a) => typeof a === 'function');
    return listen.call(this, { port: Number(args[0]), host: '127.0.0.1' }, cb);
  }
  return listen.apply(this, args);
};
EOF
	port=$(free_port)
	log "starting xapi-statements on 127.0.0.1:$port (in memory)"
	# AUTH_REPO=test accepts any Authorization header (dist/repo/authRepo/getClient/fake.js).
	(cd "$tmp/peer" && MODELS_REPO=memory STORAGE_REPO=local AUTH_REPO=test EVENTS_REPO=test \
		EXPRESS_PORT=$port FS_LOCAL_STORAGE_DIR="$tmp/peer/storage" \
		EXPRESS_MORGAN_DIRECTORY="$tmp/peer/storage/accessLogs" WINSTON_CONSOLE_LEVEL=warn \
		exec setsid node -r ./loopback.js node_modules/xapi-statements/dist/index.js \
		>"$tmp/peer.out" 2>"$tmp/peer.err" </dev/null) &
	peer_pid=$!
	for _ in $(seq 300); do
		curl -fsS -o /dev/null -H 'X-Experience-API-Version: 1.0.3' "http://127.0.0.1:$port/xAPI/about" 2>/dev/null && break
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! curl -fsS -o /dev/null -H 'X-Experience-API-Version: 1.0.3' "http://127.0.0.1:$port/xAPI/about" 2>/dev/null; then
		peer_status="xapi-statements did not start: $(tail -n 5 "$tmp/peer.err" "$tmp/peer.out" 2>/dev/null | tr '\n' ' ')"
	else
		# the bench's --pid is the node process itself (setsid execs it)
		if ! bench peer "http://127.0.0.1:$port/xAPI" "$peer_pid"; then
			peer_status="jejak bench against xapi-statements failed: $(tail -n 3 "$tmp/peer.bench.err" | tr '\n' ' ')"
		fi
	fi
	stop "$peer_pid" 15
	peer_pid=""
fi

# --- the table ------------------------------------------------------------
if [[ -n $BENCH_OUT ]]; then
	mkdir -p "$BENCH_OUT"
	cp "$tmp"/*.json "$BENCH_OUT"/ 2>/dev/null || true
fi
row() { # row NAME FILE
	jq -r --arg name "$1" '"| \($name) | \(.acked_per_s) | \(if .projection.caught_up then .projection.projected_per_s else "\(.projection.window_projected_per_s) (lagging)" end) | \(.latency.write.p50_ms) | \(.latency.write.p99_ms) | \(.errors_total)\(if .errors_total > 0 then " (" + ([.errors | to_entries[] | "\(.key): \(.value)"] | join(", ")) + ")" else "" end) | \(if .rss then (.rss.peak_bytes / 1048576 | floor | tostring) + " MiB" else "n/a" end) |"' "$2"
}
echo
echo "Batch $BENCH_BATCH, $BENCH_CONCURRENCY clients, ${BENCH_SECONDS}s each after a $BENCH_WARMUP warm-up, 127.0.0.1, $(nproc) CPUs."
echo
echo "| LRS | statements/s acked | statements/s projected | p50 ms | p99 ms | errors | peak RSS |"
echo "|---|---:|---:|---:|---:|---|---:|"
row "Jejak ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo dev))" "$tmp/jejak.json"
if [[ -z $peer_status ]]; then
	row "xapi-statements $PEER_VERSION (memory)" "$tmp/peer.json"
	echo
	jq -rn --slurpfile j "$tmp/jejak.json" --slurpfile p "$tmp/peer.json" '
		if $p[0].acked_per_s > 0 then "Jejak/peer: \(($j[0].acked_per_s / $p[0].acked_per_s * 100 | round) / 100)× acknowledged statements/s"
		else "Jejak/peer: n/a (the peer acknowledged nothing)" end'
	samples=$(jq -r '.error_samples // {} | to_entries[] | "  peer \(.key): \(.value)"' "$tmp/peer.json" | cut -c1-300)
	[[ -z $samples ]] || printf '\nFirst error of each kind from the peer:\n%s\n' "$samples"
else
	echo "| xapi-statements $PEER_VERSION | – | – | – | – | not measured | – |"
	echo
	echo "The peer was not measured: $peer_status"
fi
