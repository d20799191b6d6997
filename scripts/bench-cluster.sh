#!/usr/bin/env bash
# bench-cluster.sh: Jejak on a three-server NATS JetStream cluster, with 1, 2
# and 3 Jejak nodes under the same `jejak bench` load spread over them, then
# two fault runs with 2 nodes (SIGKILL of the deciding Jejak node; SIGKILL of
# the NATS server leading the log's stream, restarted later). After every run
# `jejak audit verify` must find the log intact and, where `jejak status`
# exists, the nodes' views must be the same. Prints one markdown table.
# Everything on 127.0.0.1, in a temporary directory removed on exit. See
# scripts/README.md.
#
#   scripts/bench-cluster.sh                   # 20 s per run, 4 clients, batches of 10
#   DURATION=10s scripts/bench-cluster.sh
#   DURATION=30s CONCURRENCY=8 BATCH=1,10,100 scripts/bench-cluster.sh
#   NODE_CPU=0.4 scripts/bench-cluster.sh      # each Jejak node held to 0.4 of a core (root)
#   FAULTS=0 scripts/bench-cluster.sh          # only the runs with 1, 2 and 3 nodes
set -euo pipefail

DURATION=${DURATION:-20s}
CONCURRENCY=${CONCURRENCY:-4}
BATCH=${BATCH:-10}
BENCH_OUT=${BENCH_OUT:-} # if set, a directory to keep each run's JSON report and logs in
NODE_CPU=${NODE_CPU:-}   # if set, the share of one core each Jejak node may use, e.g. 0.4
FAULTS=${FAULTS:-1}      # 0 leaves out the two fault runs

if [[ $DURATION =~ ^([0-9]+)s$ ]]; then
	secs=${BASH_REMATCH[1]}
elif [[ $DURATION =~ ^([0-9]+)m$ ]]; then
	secs=$((BASH_REMATCH[1] * 60))
else
	echo "DURATION must be whole seconds or minutes, e.g. 20s or 2m" >&2
	exit 2
fi
if ((secs < 5 || secs > 600)); then echo "DURATION must be 5s..10m" >&2; exit 2; fi
case $CONCURRENCY in '' | *[!0-9]*) echo "CONCURRENCY must be a whole number" >&2; exit 2 ;; esac
if ((CONCURRENCY < 3 || CONCURRENCY > 256)); then echo "CONCURRENCY must be 3..256 (every one of 3 nodes gets a client)" >&2; exit 2; fi
[[ $BATCH =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "BATCH must be sizes separated by commas, e.g. 10 or 1,10,100" >&2; exit 2; }
[[ $FAULTS == 0 || $FAULTS == 1 ]] || { echo "FAULTS must be 0 or 1" >&2; exit 2; }
# NODE_CPU: a CPU quota for each Jejak node's control group, as if each node
# had a host of that size to itself; the NATS servers and the load share
# what is left. Needs a writable cgroup file system (cgroup v2 or v1's cpu
# controller), which usually means root.
quota_us=""
if [[ -n $NODE_CPU ]]; then
	[[ $NODE_CPU =~ ^(0?\.[0-9]+|[1-9][0-9]*(\.[0-9]+)?)$ ]] || { echo "NODE_CPU must be a share of one core, e.g. 0.4 or 1.5" >&2; exit 2; }
	quota_us=$(awk -v c="$NODE_CPU" 'BEGIN { printf "%d", c * 100000 }')
	((quota_us >= 1000)) || { echo "NODE_CPU must be at least 0.01" >&2; exit 2; }
	if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
		cgroot=/sys/fs/cgroup
		grep -qw cpu "$cgroot/cgroup.controllers" || { echo "NODE_CPU: the cgroup v2 cpu controller is not available" >&2; exit 2; }
		grep -qw cpu "$cgroot/cgroup.subtree_control" || echo +cpu >"$cgroot/cgroup.subtree_control" ||
			{ echo "NODE_CPU: cannot enable the cpu controller in $cgroot/cgroup.subtree_control" >&2; exit 2; }
	elif [[ -d /sys/fs/cgroup/cpu ]]; then
		cgroot=/sys/fs/cgroup/cpu
	else
		echo "NODE_CPU: no cgroup cpu controller under /sys/fs/cgroup" >&2
		exit 2
	fi
	[[ -w $cgroot ]] || { echo "NODE_CPU: $cgroot is not writable (run as root)" >&2; exit 2; }
fi
for tool in go curl jq setsid timeout; do
	command -v "$tool" >/dev/null || { echo "bench-cluster needs $tool" >&2; exit 2; }
done

# The faults come at 6 s and 12 s of a run of 20 s or more, at 30% and 60%
# of a shorter one.
if ((secs >= 20)); then fault_at=6 restart_at=12; else fault_at=$((secs * 3 / 10)) restart_at=$((secs * 6 / 10)); fi

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jejak-cluster.XXXXXX")
BIN=$tmp/bin
declare -a nats_pid=() jejak_pid=() cgroups=()
bench_pid=""

log() { echo "bench-cluster: $*" >&2; }

# stop PID [SECONDS] (scripts/lib.sh)
# shellcheck source=lib.sh
source "$root/scripts/lib.sh"

stop_all() {
	local p
	for p in "$bench_pid" "${jejak_pid[@]}" "${nats_pid[@]}"; do stop "$p"; done
	bench_pid=""
	jejak_pid=()
	nats_pid=()
}

cleanup() {
	stop_all
	local g
	for g in "${cgroups[@]}"; do rmdir "$g" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback TCP port nobody listens on and no earlier call
# of this script handed out, below the kernel's ephemeral range (so that no
# outgoing connection holds it when a server binds it later).
declare -A used_ports=()
read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || ephemeral_low=32768
((ephemeral_low > 11000)) || ephemeral_low=32768
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((10000 + RANDOM % (ephemeral_low - 10000)))
		[[ -z ${used_ports[$p]:-} ]] || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used_ports[$p]=1
			echo "$p"
			return
		fi
	done
	echo "no free port found" >&2
	return 1
}

# wait_http URL SECONDS [CURL ARGS]: until URL answers 200.
wait_http() {
	local url=$1 n=$(($2 * 10))
	shift 2
	for _ in $(seq "$n"); do
		curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

log "building jejak and nats-server into $BIN"
mkdir -p "$BIN"
(cd "$root" && timeout 600 go build -o "$BIN/jejak" ./cmd/jejak)
(cd "$root" && timeout 600 go build -o "$BIN/nats-server" github.com/nats-io/nats-server/v2)
# in-cgroup DIR CMD...: runs CMD in the control group DIR, or as it is when
# DIR is empty (the process moves itself before it becomes CMD).
cat >"$BIN/in-cgroup" <<'EOF_IN_CGROUP'
#!/bin/sh
[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 1
shift
exec "$@"
EOF_IN_CGROUP
chmod +x "$BIN/in-cgroup"

# NATS: the shape of deploy/nats.conf (accounts, the jejak and auditor users
# with their permissions, sync_interval: always, max_payload: 8MB, a cluster
# of three), with its addresses moved to loopback ports and its store to a
# temporary directory. Auth is kept: Jejak connects as jejak, audit verify
# as the read-only auditor, as in production.
nats_pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
auditor_pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
secret=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
declare -a cport=() rport=() mport=()
for i in 1 2 3; do
	cport[i]=$(free_port)
	rport[i]=$(free_port)
	mport[i]=$(free_port)
done
for i in 1 2 3; do
	sed -e "s|^listen: 0\.0\.0\.0:4222|listen: 127.0.0.1:${cport[i]}|" \
		-e "s|^http: 0\.0\.0\.0:8222|http: 127.0.0.1:${mport[i]}|" \
		-e "s|store_dir: /data|store_dir: \"$tmp/nats-store-$i\"|" \
		-e "s|listen: 0\.0\.0\.0:6222|listen: 127.0.0.1:${rport[i]}|" \
		-e "s|nats://nats-1:6222|nats://127.0.0.1:${rport[1]}|" \
		-e "s|nats://nats-2:6222|nats://127.0.0.1:${rport[2]}|" \
		-e "s|nats://nats-3:6222|nats://127.0.0.1:${rport[3]}|" \
		"$root/deploy/nats.conf" >"$tmp/nats-$i.conf"
	if grep -Eq '0\.0\.0\.0|nats-[0-9]:' "$tmp/nats-$i.conf" || ! grep -q 'sync_interval: always' "$tmp/nats-$i.conf"; then
		log "deploy/nats.conf has changed shape: $tmp/nats-$i.conf still listens beyond loopback or lacks sync_interval: always"
		exit 1
	fi
done
nats_url=""
audit_url=""
for i in 1 2 3; do
	nats_url+="${nats_url:+,}nats://jejak:$nats_pw@127.0.0.1:${cport[i]}"
	audit_url+="${audit_url:+,}nats://auditor:$auditor_pw@127.0.0.1:${cport[i]}"
done

# start_nats I: starts server I (n1, n2, n3) on its config and store.
start_nats() {
	local i=$1
	SERVER_NAME=n$i JEJAK_NATS_PASSWORD=$nats_pw JEJAK_NATS_AUDITOR_PASSWORD=$auditor_pw \
		setsid "$BIN/nats-server" -c "$tmp/nats-$i.conf" >>"$tmp/run/nats-$i.log" 2>&1 </dev/null &
	nats_pid[i]=$!
}

# start_jejak I: starts Jejak node I on its own data directory and port.
declare -a hport=()
start_jejak() {
	local i=$1 cg=""
	if [[ -n $quota_us ]]; then
		node_cgroup "$i"
		cg=$cgroup
	fi
	setsid "$BIN/in-cgroup" "$cg" "$BIN/jejak" serve --nats-url "$nats_url" --replicas 3 --data "$tmp/run/jejak-$i" \
		--addr "127.0.0.1:${hport[i]}" --credentials "bench:$secret:admin+verifier" --log-level warn \
		>>"$tmp/run/jejak-$i.log" 2>&1 </dev/null &
	jejak_pid[i]=$!
}

# node_cgroup I: makes (once) the control group that holds Jejak node I to
# NODE_CPU of a core and sets cgroup to its directory.
cgroup=""
node_cgroup() {
	local g=$cgroot/jejak-bench-$$-$1
	if [[ ! -d $g ]]; then
		mkdir "$g"
		cgroups+=("$g")
		if [[ -f $g/cpu.max ]]; then
			echo "$quota_us 100000" >"$g/cpu.max"
		else
			echo 100000 >"$g/cpu.cfs_period_us"
			echo "$quota_us" >"$g/cpu.cfs_quota_us"
		fi
	fi
	cgroup=$g
}

# tail_logs: the last lines of every log of the run, for a failure.
tail_logs() {
	local f
	for f in "$tmp"/run/*.log "$tmp"/run/*.err; do
		[[ -s $f ]] || continue
		echo "--- $(basename "$f")" >&2
		tail -n 15 "$f" >&2
	done
}

# setup NODES: fresh NATS servers (empty stores) and NODES fresh Jejak nodes,
# each ready. Fresh servers for each run rather than a fresh stream: the
# log's subjects (jejak.>) are fixed, so two log streams cannot live on one
# cluster, and a run after a fault run should not start on a cluster that
# was just killed.
setup() {
	local nodes=$1 i
	rm -rf "$tmp/run" "$tmp"/nats-store-*
	mkdir -p "$tmp/run"
	for i in 1 2 3; do start_nats "$i"; done
	for i in 1 2 3; do
		# /healthz answers 200 once JetStream has a meta leader
		wait_http "http://127.0.0.1:${mport[i]}/healthz" 30 ||
			{ tail_logs; log "nats-server n$i was not healthy within 30 s"; return 1; }
	done
	for i in $(seq "$nodes"); do hport[i]=$(free_port); done
	# The first node creates the stream (R3); the others then find it.
	for i in $(seq "$nodes"); do
		start_jejak "$i"
		if ((i == 1 || i == nodes)); then
			local j
			for j in $(seq "$i"); do
				wait_http "http://127.0.0.1:${hport[j]}/readyz" 60 ||
					{ tail_logs; log "jejak node $j was not ready within 60 s"; return 1; }
			done
		fi
	done
}

# urls NODES: the xAPI bases of nodes 1..NODES, comma-separated.
urls() {
	local i out=""
	for i in $(seq "$1"); do out+="${out:+,}http://127.0.0.1:${hport[i]}/xapi"; done
	echo "$out"
}

# bench_start NAME NODES: `jejak bench` against nodes 1..NODES, in the
# background; bench_wait waits for it (bounded: DURATION + 60 s).
bench_start() {
	log "$1: bench for $DURATION, $CONCURRENCY clients, batch $BATCH, over $(urls "$2")"
	setsid timeout $((secs + 60)) "$BIN/jejak" bench --url "$(urls "$2")" --auth "bench:$secret" \
		--concurrency "$CONCURRENCY" --batch "$BATCH" --duration "$DURATION" --request-timeout 15s --json \
		>"$tmp/run/bench.json" 2>"$tmp/run/bench.err" </dev/null &
	bench_pid=$!
}
bench_wait() {
	local rc=0
	wait "$bench_pid" || rc=$?
	bench_pid=""
	if ((rc != 0)) || ! jq -e . "$tmp/run/bench.json" >/dev/null 2>&1; then
		cat "$tmp/run/bench.err" >&2
		log "jejak bench failed (exit $rc)"
		return 1
	fi
}

# decider NODES: sets victim to the node that decides (GET /api/v1/status:
# decider.self), or to 1 with a note in decider_note when no node says so.
victim=""
decider_note=""
decider() {
	local i body
	for i in $(seq "$1"); do
		body=$(curl -fsS --max-time 5 -u "bench:$secret" "http://127.0.0.1:${hport[i]}/api/v1/status" 2>/dev/null) || continue
		if [[ $(jq -r '.decider.self // false' <<<"$body" 2>/dev/null) == true ]]; then
			victim=$i
			decider_note=""
			return
		fi
	done
	victim=1
	if curl -fsS -o /dev/null --max-time 5 -u "bench:$secret" "http://127.0.0.1:${hport[1]}/api/v1/status" 2>/dev/null; then
		decider_note="no node's GET /api/v1/status named itself the decider"
	else
		decider_note="GET /api/v1/status is not on this build"
	fi
}

# stream_leader: the server (1..3) leading the log's stream JEJAK, from the
# monitoring port of any server that answers.
stream_leader() {
	local i name
	for i in 1 2 3; do
		name=$(curl -fsS --max-time 5 "http://127.0.0.1:${mport[i]}/jsz?accounts=true&streams=true" 2>/dev/null |
			jq -r '[.account_details[]?.stream_detail[]? | select(.name == "JEJAK") | .cluster.leader // empty][0] // empty' 2>/dev/null) || continue
		if [[ $name =~ ^n([123])$ ]]; then
			echo "${BASH_REMATCH[1]}"
			return
		fi
	done
	return 1
}

# check NODES: audit verify must say intact; jejak status (where it exists)
# must say the views are the same on every node. Sets checks to the verdict
# and failed_checks when one failed.
# `jejak status --url ROOTS --wait 30s` (with --auth when it takes one)
# compares the nodes' GET /api/v1/status; it is left out where this build
# has no such command.
status_help=$("$BIN/jejak" status -h 2>&1 || true)
has_status=""
grep -q 'unknown command' <<<"$status_help" || has_status=1
status_auth=()
grep -q -- '-auth' <<<"$status_help" && status_auth=(--auth "bench:$secret")
check() {
	local nodes=$1 out roots="" i verdict
	log "checking the log and the views"
	if out=$(timeout 60 "$BIN/jejak" audit verify --nats-url "$audit_url" 2>&1) && grep -q '^intact' <<<"$out"; then
		verdict="log intact ($(grep -o 'events 1 to [0-9]*' <<<"$out" | head -1))"
	else
		log "audit verify: $out"
		verdict="LOG NOT INTACT: $(head -c 200 <<<"$out" | tr '\n' ' ')"
		failed_checks=1
	fi
	if [[ -z $has_status ]]; then
		verdict+="; views not compared (no jejak status on this build)"
	else
		for i in $(seq "$nodes"); do roots+="${roots:+,}http://127.0.0.1:${hport[i]}"; done
		if out=$(timeout 60 "$BIN/jejak" status --url "$roots" "${status_auth[@]}" --wait 30s 2>&1); then
			verdict+="; views the same on $nodes nodes"
		else
			log "jejak status: $out"
			verdict+="; VIEWS DIFFER: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
			failed_checks=1
		fi
	fi
	# A server whose replica could not apply an entry of the stream marks
	# it with a write error ("critical write error") and stops applying
	# it; it stays so across a restart of that server: name the servers.
	local stopped="" first=""
	for i in 1 2 3; do
		if grep -q "stream 'JEJAK > JEJAK' critical write error" "$tmp/run/nats-$i.log" 2>/dev/null; then
			stopped+="${stopped:+, }n$i"
			[[ -n $first ]] || first=$(grep -o "stream 'JEJAK > JEJAK' critical write error: [a-z ]*" "$tmp/run/nats-$i.log" | head -1 | sed 's/.*critical write error: //; s/ *$//')
		fi
	done
	if [[ -n $stopped ]]; then
		verdict+="; stream JEJAK stopped on $stopped (critical write error: $first)"
		failed_checks=1
	fi
	checks=$verdict
}

# keep NAME: copies the run's report and logs to BENCH_OUT/NAME.
keep() {
	[[ -n $BENCH_OUT ]] || return 0
	mkdir -p "$BENCH_OUT/$1"
	cp "$tmp"/run/*.json "$tmp"/run/*.log "$tmp"/run/*.err "$BENCH_OUT/$1"/ 2>/dev/null || true
}

declare -a rows=()
base_rate=""
failed_checks=""
# row SETUP CHECKS: a table row from the run's report.
row() {
	local r=$tmp/run/bench.json
	[[ -n $base_rate ]] || base_rate=$(jq -r '.acked_per_s' "$r")
	rows+=("$(jq -r --arg setup "$1" --arg checks "$2" --argjson base "$base_rate" '
		def r1: (. * 10 | round) / 10;
		"| \($setup) | \(.statements_acked) | \(.acked_per_s | r1) | " +
		(if $base > 0 then "\((.acked_per_s / $base * 100 | round) / 100)×" else "–" end) + " | " +
		"\(.errors_total)" +
		(if .errors_total > 0 then " (" + ([.errors_by_status | to_entries[] | "\(.key): \(.value)"] | join(", ")) +
			"; 503 with Retry-After: \(.status_503_retry_after), 5xx without Retry-After: \(.status_5xx_no_retry_after))" else "" end) +
		(if .writes_redirected > 0 then ", \(.writes_redirected) redirected" else "" end) + " | " +
		"\(.longest_stall.length_s) s (\(.longest_stall.start_s)–\(.longest_stall.end_s) s) | " +
		"\(.longest_stall.p99_ms) ms (\(.longest_stall.writes) writes, \(.longest_stall.writes_failed) failed) | \($checks) |"' "$r")")
}

# --- 1, 2 and 3 nodes ------------------------------------------------------
for n in 1 2 3; do
	setup "$n"
	bench_start "$n node(s)" "$n"
	bench_wait || { tail_logs; exit 1; }
	check "$n"
	label="$n Jejak node"
	((n == 1)) || label+="s, load split"
	row "$label" "$checks"
	keep "nodes-$n"
	stop_all
done

# --- 2 nodes, the deciding node killed ---------------------------------------
if ((FAULTS)); then
	setup 2
	bench_start "2 nodes, decider killed" 2
	sleep "$fault_at"
	decider 2
	[[ -z $decider_note ]] || log "$decider_note"
	log "SIGKILL of Jejak node $victim (pid ${jejak_pid[victim]}) at ${fault_at}s"
	kill -KILL -- "-${jejak_pid[victim]}" 2>/dev/null || kill -KILL "${jejak_pid[victim]}"
	wait "${jejak_pid[victim]}" 2>/dev/null || true
	bench_wait || { tail_logs; exit 1; }
	# Restarted on its data directory, it must catch up with the others.
	start_jejak "$victim"
	restarted="node $victim ready again"
	if ! wait_http "http://127.0.0.1:${hport[victim]}/readyz" 60; then
		log "jejak node $victim was not ready again within 60 s"
		restarted="NODE $victim NOT READY AGAIN within 60 s"
		failed_checks=1
	fi
	check 2
	checks="$restarted; $checks"
	label="2 nodes, SIGKILL of the deciding node $victim at ${fault_at} s"
	[[ -z $decider_note ]] || label="2 nodes, SIGKILL of node 1 at ${fault_at} s, not of the decider ($decider_note)"
	row "$label" "$checks"
	keep "decider-killed"
	stop_all

	# --- 2 nodes, the stream leader's NATS server killed and restarted -----------
	setup 2
	bench_start "2 nodes, stream leader killed" 2
	sleep "$fault_at"
	leader=$(stream_leader) || { log "no server named the leader of stream JEJAK"; tail_logs; exit 1; }
	log "SIGKILL of nats-server n$leader (pid ${nats_pid[leader]}), the leader of stream JEJAK, at ${fault_at}s"
	kill -KILL -- "-${nats_pid[leader]}" 2>/dev/null || kill -KILL "${nats_pid[leader]}"
	wait "${nats_pid[leader]}" 2>/dev/null || true
	sleep $((restart_at - fault_at))
	log "restarting nats-server n$leader at ${restart_at}s"
	start_nats "$leader"
	bench_wait || { tail_logs; exit 1; }
	healthy="n$leader healthy again"
	if ! wait_http "http://127.0.0.1:${mport[leader]}/healthz" 30; then
		log "nats-server n$leader was not healthy again within 30 s: $(curl -sS --max-time 2 "http://127.0.0.1:${mport[leader]}/healthz" 2>&1 | head -c 300)"
		healthy="n$leader NOT HEALTHY AGAIN within 30 s"
		failed_checks=1
	fi
	check 2
	checks="$healthy; $checks"
	row "2 nodes, SIGKILL of the stream leader's NATS server (n$leader) at ${fault_at} s, restarted at ${restart_at} s" "$checks"
	keep "stream-leader-killed"
	stop_all
fi

# --- the table -----------------------------------------------------------------
echo
echo "Three nats-servers (R3, sync_interval: always) and Jejak $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo dev) on 127.0.0.1, $(nproc) CPUs;"
echo "jejak bench --concurrency $CONCURRENCY --batch $BATCH --duration $DURATION, client i posting to node i mod n${quota_us:+; each Jejak node held to $NODE_CPU of a core (cgroup cpu quota)}."
echo
echo "| setup | acknowledged | /s | × one node | failed (by kind) | longest stall | p99 over the outage | checks |"
echo "|---|---:|---:|---:|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [[ -n $failed_checks ]]; then
	echo
	echo "A check failed: see above."
	exit 1
fi
