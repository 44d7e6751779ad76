#!/usr/bin/env bash
# What Redis costs a rate-limited read: one node answering cached product detail with the rate
# limit on (SOUK_RATE_LIMIT_IP high enough never to refuse), first with the in-process buckets
# (the reference), then with the shared bucket in Redis (one Lua round trip per request, on the
# loop thread). Prints req/s, p50 and p99 of each and the ratio. Everything on 127.0.0.1; the
# Redis is a throw-away one (scripts/redis-test.sh).
#
#   bench/redis.sh    (BENCH_DURATION, BENCH_CONNECTIONS, SOUK_THREADS, BENCH_SPLIT_CPUS as in bench/lib/souk.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=redis
# shellcheck source=bench/lib/souk.sh
source bench/lib/souk.sh
bench_tools curl wrk redis-server
bench_setup
BENCH_ENVS+=(SOUK_RATE_LIMIT_IP=1000000) # limited, never refused: the bucket is taken every request

redis_url="$(scripts/redis-test.sh start "$TMP/redis")"
trap 'scripts/redis-test.sh stop "$TMP/redis"; bench_cleanup' EXIT

env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$TMP/souk.db" --products 200 --seed 3 >/dev/null

run() { # LABEL [serve args…]: one phase; prints "LABEL req/s p50 p99 non2xx"
  local label="$1" path
  shift
  bench_serve "$TMP/souk.db" "$@"
  path="$(curl -fs "$BASE/api/v1/products?limit=1" | python3 -c 'import json,sys; print("/api/v1/products/" + json.load(sys.stdin)["data"][0]["id"])')"
  curl -fs -o /dev/null "$BASE$path"
  printf '%s %s\n' "$label" "$(bench_wrk "$BASE$path")"
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
}

log "cached product detail, rate limit on, $BENCH_WRK_DESC, ${BENCH_CONNECTIONS:-64} connections, ${BENCH_DURATION:-10s}"
local_line="$(run in-process)"
redis_line="$(run redis --redis "$redis_url")"
printf '%-12s %10s %8s %8s %7s\n' phase req/s p50_ms p99_ms non2xx
for l in "$local_line" "$redis_line"; do
  read -r name rps p50 p99 bad <<<"$l"
  printf '%-12s %10s %8s %8s %7s\n' "$name" "$rps" "$p50" "$p99" "$bad"
done
read -r _ a _ _ _ <<<"$local_line"
read -r _ b _ _ _ <<<"$redis_line"
python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'redis/in-process throughput ratio: {b/a:.2f}')" "$a" "$b"
