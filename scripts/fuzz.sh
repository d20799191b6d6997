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
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-5s}"
match="${1:-.}"
status=0
while IFS=: read -r file name; do
	pkg="./$(dirname "$file")"
	[[ "$name" =~ $match ]] || continue
	echo "fuzz: $name in $pkg for $fuzztime"
	if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime"; then
		status=1
	fi
done < <(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . |
	sed -E 's#^\./##; s#:func (Fuzz[A-Za-z0-9_]+)\(.*#:\1#' | sort)
exit $status
