#!/usr/bin/env bash
# Line coverage per module (src/<module>) of the unit tests and the HTTP tests
# run against the --coverage build in $1 (default build-cov; `make coverage`
# builds it and calls this). Old counters are removed first.
#   COVERAGE_TESTS  the HTTP test files, relative to tests/ (default: api/*.test.js)
#   COVERAGE_UNIT=0 leaves the unit tests out
# Servers stopped with SIGTERM write their counters; one killed with SIGKILL
# (the crash tests do) loses its own. Prints a table per module and writes it
# to $1/coverage.md; gcovr's per-file summary is $1/coverage.json.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-cov}
command -v gcovr >/dev/null 2>&1 || { echo "coverage: gcovr is missing (scripts/deps.sh coverage)" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || { echo "coverage: jq is missing (scripts/deps.sh)" >&2; exit 1; }
find "$B" -name '*.gcda' -delete
export SOUK_BUG_ABORT=1

unit_note="not run"
if [ "${COVERAGE_UNIT:-1}" = 1 ]; then
  up=0 uf=0
  for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1)
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    up=$((up + p)) uf=$((uf + f))
    printf '%-40s %4d passed %4d failed\n' "${t##*/}" "$p" "$f"
  done
  unit_note="$up passed, $uf failed"
fi

files=${COVERAGE_TESTS:-$(cd tests && ls -1 api/*.test.js)}
for f in $files; do
  [ -f "tests/$f" ] || { echo "coverage: no test file tests/$f" >&2; exit 1; }
done
tap="$B/coverage-http.tap"
# shellcheck disable=SC2086
(cd tests && SOUK_BIN="../$B/souk" node --test --test-reporter=tap --test-concurrency="${NODE_CONCURRENCY:-2}" \
  $files >"../$tap" 2>&1)
hp=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$tap" | tail -1)
hf=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$tap" | tail -1)
http_note="$(printf '%s\n' $files | wc -l) files, ${hp:-0} passed, ${hf:-0} failed"

gcovr --root . --filter 'src/' --json-summary "$B/coverage.json" --json-summary-pretty "$B/obj" >/dev/null ||
  { echo "coverage: gcovr failed" >&2; exit 1; }
{
  echo "Unit tests: $unit_note. HTTP tests: $http_note."
  echo
  echo "| module | lines | covered | line coverage |"
  echo "|---|---:|---:|---:|"
  jq -r '[.files[] | {m: (.filename | split("/")[1]), t: .line_total, c: .line_covered}]
         | group_by(.m) | map({m: .[0].m, t: (map(.t) | add), c: (map(.c) | add)})
         | (sort_by(.c / (if .t == 0 then 1 else .t end)) | .[]
            | "| \(.m) | \(.t) | \(.c) | \(if .t == 0 then "-" else ((.c * 1000 / .t | floor) / 10 | tostring) + " %" end) |"),
           "| **all** | \(map(.t) | add) | \(map(.c) | add) | \((map(.c) | add) * 1000 / (map(.t) | add) | floor / 10) % |"' \
    "$B/coverage.json"
} | tee "$B/coverage.md"
