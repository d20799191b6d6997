# Shell helpers the bench scripts share; source it, do not run it.

# stop PID [SECONDS]: SIGTERM to PID's process group (the scripts start each
# server under setsid), or to PID alone; SIGKILL after SECONDS (default 10)
# if it is still there.
stop() {
	local pid=$1 secs=${2:-10}
	[[ -n $pid ]] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
