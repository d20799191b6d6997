#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 5s).
# Targets are found by name (func FuzzXxx(f *testing.F) in a _test.go file),
# so a new target is run without editing this script. Go runs one -fuzz
# target per package and command, hence one command per target.
#
#   scripts/fuzz.sh                 # every target, 5 s each (what .ci/run does)
#   FUZZTIME=10m scripts/fuzz.sh    # longer
#   scripts/fuzz.sh FuzzStatement   # only targets whose name matches
#
# A failure leaves the input under the package's testdata/fuzz/<target>/;
# commit it as a seed once the bug is fixed.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when -fuzztime runs out while a worker is mid-call on a loaded
# machine (go.dev/issue/75804, fixed in Go 1.27). Such a run wrote no input
# and found nothing, so it is run once more; a target fails when it writes a
# failing input, or fails in any other way, or fails the same way twice.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-5s}"
match="${1:-.}"
status=0

# inputs lists the failing inputs saved for a target, one per line.
inputs() { ls "$1/testdata/fuzz/$2" 2>/dev/null | sort || true; }

# fuzz_once runs one target; it returns 0 on a pass, 2 on the coordinator's
# bare deadline with no new input, 1 on any other failure.
fuzz_once() {
	local pkg="$1" name="$2" out before after
	before="$(inputs "$pkg" "$name")"
	out="$(mktemp)"
	if go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1 | tee "$out"; then
		rm -f "$out"
		return 0
	fi
	after="$(inputs "$pkg" "$name")"
	if [[ "$before" == "$after" ]] &&
		grep -q '^    context deadline exceeded$' "$out" &&
		! grep -qE 'Failing input written|panic:|fuzzing process hung' "$out"; then
		rm -f "$out"
		return 2
	fi
	rm -f "$out"
	return 1
}

while IFS=: read -r file name; do
	pkg="./$(dirname "$file")"
	[[ "$name" =~ $match ]] || continue
	echo "fuzz: $name in $pkg for $fuzztime"
	rc=0
	fuzz_once "$pkg" "$name" || rc=$?
	if [[ $rc -eq 2 ]]; then
		echo "fuzz: $name stopped on the coordinator's deadline with no input written (go.dev/issue/75804); running it once more"
		rc=0
		fuzz_once "$pkg" "$name" || rc=$?
	fi
	if [[ $rc -ne 0 ]]; then
		echo "fuzz: $name FAILED"
		status=1
	fi
done < <(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . |
	sed -E 's#^\./##; s#:func (Fuzz[A-Za-z0-9_]+)\(.*#:\1#' | sort)
exit $status
