#!/usr/bin/env bash
# Behaviour event ingestion (issue 12): POST /api/v1/events with batches of
# BENCH_BATCH (default 100) product_view events, every event a new client id,
# against nginx answering the same POST with a fixed 202 (the HTTP floor on
# this machine: it reads the body and stores nothing). Prints events/s, the
# batch latency, the ratio to nginx, and the goal (>= 50,000 events/s on
# SQLite). Rate limits are off for the run. Loopback only.
#   BENCH_DURATION (10s)  BENCH_CONNECTIONS (16)  BENCH_BATCH (100)  SOUK_THREADS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=events
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
BENCH_DURATION="${BENCH_DURATION:-10s}"
DURATION="$BENCH_DURATION"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-16}"
CONNECTIONS="$BENCH_CONNECTIONS"
BATCH="${BENCH_BATCH:-100}"
bench_tools wrk curl jq
bench_setup

env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$TMP/souk.db" --products 10000 --seed 1 >/dev/null 2>&1
bench_serve "$TMP/souk.db"
curl -fs "$BASE/api/v1/products?limit=100" | jq -r '.data[].id' >"$TMP/ids.txt"
[[ $(wc -l <"$TMP/ids.txt") -ge 10 ]] || { log "no products to view"; exit 1; }

# each request: BATCH events with ids unique per wrk thread, connection and request
{
  echo 'local ids = {'
  sed 's/.*/"&",/' "$TMP/ids.txt"
  echo '}'
  cat <<LUA
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads .. "-" .. os.time()) end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local parts = {}
  for i = 1, $BATCH do
    parts[i] = string.format('{"id":"b%s-%d-%d","type":"product_view","anonymous_id":"visitor-%s-%d","product_id":"%s","list":"home","position":%d}',
      tid, n, i, tid, n % 997, ids[(n + i) % #ids + 1], i)
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end
LUA
} >"$TMP/events.lua"

# one batch by hand: all accepted?
sample="{\"events\":[{\"id\":\"probe-1\",\"type\":\"product_view\",\"anonymous_id\":\"visitor-probe\",\"product_id\":\"$(head -1 "$TMP/ids.txt")\"}]}"
curl -fs -X POST "$BASE/api/v1/events" -H 'Content-Type: application/json' -d "$sample" | jq -e '.accepted == 1' >/dev/null \
  || { log "a probe batch was not accepted"; exit 2; }

run() { bench_wrk "$1" -s "$TMP/events.lua"; }

before=$(sqlite3 "$TMP/souk.db" 'SELECT count(*) FROM behaviour_events')
read -r srps s50 s99 sbad < <(run "$BASE/api/v1/events")
after=$(sqlite3 "$TMP/souk.db" 'SELECT count(*) FROM behaviour_events')

bench_nginx "        location / { return 202 '{\"accepted\":$BATCH,\"duplicates\":0,\"rejected\":0,\"problems\":[]}'; }"
read -r nrps n50 n99 nbad < <(run "$NGINX_BASE/api/v1/events")

echo "Event ingestion: batches of $BATCH product_view events ($BENCH_WRK_DESC -c$CONNECTIONS -d$DURATION; souk --threads ${SOUK_THREADS:-2}; $(nproc) CPUs)"
printf '  souk   %7.0f batches/s = %8.0f events/s  p50 %.2f ms  p99 %.2f ms  non-2xx %d  (stored %d)\n' \
  "$srps" "$(awk -v r="$srps" -v b="$BATCH" 'BEGIN{print r*b}')" "$s50" "$s99" "$sbad" "$((after - before))"
printf '  nginx  %7.0f batches/s (a fixed 202, nothing stored)  p50 %.2f ms  p99 %.2f ms\n' "$nrps" "$n50" "$n99"
awk -v s="$srps" -v n="$nrps" -v b="$BATCH" 'BEGIN {
  printf "  ratio souk/nginx %.2f\n", s / n;
  e = s * b; printf "  goal >= 50000 events/s: %s\n", (e >= 50000 ? "PASS" : "MISS") }'
[[ "$sbad" -eq 0 ]] || { log "souk answered $sbad non-2xx"; exit 2; }
