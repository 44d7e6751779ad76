#!/usr/bin/env bash
# Runs the whole suite against the binaries in $BUILD (default build):
#   1. C unit tests (cmocka)            build/tests/test_*
#   2. HTTP, CLI, layer and browser tests (node:test)   tests/api, tests/cli against $BUILD/souk; tests/arch reads src/;
#      tests/browser drives Debian's chromium (playwright-core) against $BUILD/souk
#   3. short fuzz runs (libFuzzer)      build/fuzz/fuzz_* over tests/fuzz/corpus/*,
#      and the HTTP fuzzer (tests/fuzz_http) against $BUILD/souk, 2,000 requests
# and ends with one line "N passed, N failed". Exit status 0 only if nothing failed.
# SOUK_SKIP_FUZZ=1 skips step 3; FUZZ_SECONDS (default 4) bounds each fuzz run (make fuzz runs longer).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export SOUK_BUG_ABORT=1 # a broken invariant (SOUK_BUG) aborts: the test that met it fails
passed=0
failed=0
failures=()

section() { printf '\n== %s ==\n' "$1"; }

# PostgreSQL for the storage contract suite (test_store_contract runs every
# test on both adapters): a throw-away server on loopback, stopped on exit.
# SOUK_TEST_PG_DSN set by the caller names a server of their own instead.
if [ -z "${SOUK_TEST_PG_DSN:-}" ]; then
  pg_dir=$(mktemp -d /tmp/souk-test-pg.XXXXXX)
  trap 'scripts/pg-test.sh stop "$pg_dir"' EXIT
  if SOUK_TEST_PG_DSN=$(scripts/pg-test.sh start "$pg_dir"); then
    export SOUK_TEST_PG_DSN
  else
    echo "PostgreSQL did not start: the contract suite's PostgreSQL half cannot run" >&2
    failed=$((failed + 1))
    failures+=("postgres server")
  fi
fi

# Redis for the unit test of the shared rate-limit bucket (test_redis): a throw-away server on
# loopback when redis-server is installed (scripts/deps.sh installs it), stopped on exit. The HTTP
# tests of Redis (tests/api/redis.test.js) start and stop their own, since they stop it mid-run;
# without redis-server both are skipped, saying why. SOUK_TEST_REDIS set by the caller names a
# server of their own instead.
if [ -z "${SOUK_TEST_REDIS:-}" ] && command -v redis-server >/dev/null 2>&1; then
  redis_dir=$(mktemp -d /tmp/souk-test-redis.XXXXXX)
  trap '[ -n "${pg_dir:-}" ] && scripts/pg-test.sh stop "$pg_dir"; scripts/redis-test.sh stop "$redis_dir"' EXIT
  if SOUK_TEST_REDIS=$(scripts/redis-test.sh start "$redis_dir"); then
    export SOUK_TEST_REDIS
  else
    echo "Redis did not start: the shared rate-limit unit test cannot run" >&2
    failed=$((failed + 1))
    failures+=("redis server")
  fi
fi

section "unit tests"
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1)
  rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer abort
  passed=$((passed + p))
  failed=$((failed + f))
  printf '%-40s %4d passed %4d failed\n' "${t##*/}" "$p" "$f"
  if [ "$f" -ne 0 ]; then failures+=("${t##*/}"); printf '%s\n' "$out" | grep -v '^\[ \(RUN\|       OK\) ' | tail -40; fi
done

# Runs node:test over DIRS in tests/ (the environment as given) and counts
# its passes and failures under LABEL; prints what failed.
node_suite() {
  local label=$1 out rc p f
  shift
  out=$(mktemp)
  (cd tests && SOUK_BIN="../$BUILD/souk" node --test --test-reporter=tap --test-concurrency="${NODE_CONCURRENCY:-1}" "$@" >"$out" 2>&1)
  rc=$?
  p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -1)
  p=${p:-0}
  f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  printf '%-40s %4d passed %4d failed\n' "$label" "$p" "$f"
  if [ "$f" -ne 0 ]; then
    failures+=("$label")
    grep -B2 -A25 '^ *not ok' "$out" | head -200
  fi
  rm -f "$out"
}

section "HTTP and CLI tests (node:test against $BUILD/souk)"
# Two test files at a time (most of their time is waiting on servers), except the ones that measure
# the server's own pace (a crash under steady load, a loop that must not stall, slow clients cut
# off): those run alone afterwards. SOUK_SKIP_BROWSER=1 leaves the Chromium tests out (make san
# does: the pages' C code runs under the sanitizers through the HTTP tests of tests/api/web*.test.js;
# the browser journeys run in make test).
ALONE="api/checkout_crash.test.js api/loop_not_stalled.test.js api/slow_clients.test.js"
# the test files of the directories DIRS (in tests/) but those of ALONE
shared_files() { (cd tests && for d in "$@"; do ls -1 "$d"/*.test.js; done | grep -v -x -F "$(printf '%s\n' $ALONE)"); }
if [ "${SOUK_SKIP_BROWSER:-0}" = 1 ]; then
  NODE_CONCURRENCY=2 node_suite "node --test" $(shared_files api cli arch)
else
  NODE_CONCURRENCY=2 node_suite "node --test" $(shared_files api cli arch browser)
fi
node_suite "node --test (alone)" $ALONE

# The HTTP fuzzer (tests/fuzz_http, docs/internals/fuzzing.md): a short campaign with a fixed seed
# against a live server, every answer checked against the OpenAPI document; one test per operation.
# HTTP_FUZZ_REQUESTS / HTTP_FUZZ_SEED / HTTP_FUZZ_SECONDS change it; SOUK_SKIP_HTTP_FUZZ=1 skips it.
if [ "${SOUK_SKIP_HTTP_FUZZ:-0}" != 1 ]; then
  section "HTTP fuzzer (tests/fuzz_http, seed ${HTTP_FUZZ_SEED:-1}, ${HTTP_FUZZ_REQUESTS:-2000} requests)"
  node_suite "node --test (HTTP fuzzer)" fuzz_http/checker.test.js fuzz_http/http_fuzz.test.js
fi

# The HTTP suite again with every server on a fresh PostgreSQL database (the
# adapter under the whole product, not only the contract). SOUK_SKIP_PG_HTTP=1
# skips it (make san does: the sanitizer run is long enough).
if [ -n "${SOUK_TEST_PG_DSN:-}" ] && [ "${SOUK_SKIP_PG_HTTP:-0}" != 1 ]; then
  section "HTTP tests on PostgreSQL (node:test, SOUK_TEST_HTTP_PG)"
  SOUK_TEST_HTTP_PG="$SOUK_TEST_PG_DSN" NODE_CONCURRENCY=2 node_suite "node --test (PostgreSQL)" $(shared_files api)
  SOUK_TEST_HTTP_PG="$SOUK_TEST_PG_DSN" node_suite "node --test (PostgreSQL, alone)" $ALONE
fi

if [ "${SOUK_SKIP_FUZZ:-0}" != 1 ]; then
  section "fuzz (libFuzzer, ${FUZZ_SECONDS:-4} s each)"
  for f in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=${f##*/fuzz_}
    scratch=$(mktemp -d)
    if "$f" -max_total_time="${FUZZ_SECONDS:-4}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
         "$scratch" "tests/fuzz/corpus/$name" >"$scratch.log" 2>&1; then
      passed=$((passed + 1))
      printf '%-40s ok (%s)\n' "fuzz_$name" "$(grep -o 'Done [0-9]* runs in [0-9]* second' "$scratch.log" | tail -1)"
    else
      failed=$((failed + 1))
      failures+=("fuzz_$name")
      printf '%-40s FAILED\n' "fuzz_$name"
      tail -40 "$scratch.log"
    fi
    rm -rf "$scratch" "$scratch.log"
  done
fi

echo
if ((${#failures[@]})); then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
