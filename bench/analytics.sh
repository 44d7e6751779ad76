#!/usr/bin/env bash
# Analytics benchmark (issue 13): every report of souk's in-memory read model (src/analytics)
# timed over HTTP, cold (the first request after start), warm (again: the report cache) and
# recomputed (another range: computed again on warm memory), beside DuckDB answering the same
# questions over CSV exports of the same views, in the same run, with a check that both answers
# agree (bench/analytics/compare.mjs). Two stores:
#   1. Online Retail imported as orders (`souk import online-retail --orders`, ../shared/data);
#   2. a synthetic store of BENCH_AN_LINES (1,000,000) order lines and BENCH_AN_EVENTS
#      (5,000,000) behaviour events, written straight into SQLite by bench/analytics/synth.sh.
# Also prints each build of the facts (time, rows, memory per million lines).
#
# Goals (issue 13): every report under 1 s cold and under 50 ms warm on 2 cores, and no slower
# than DuckDB. Prints the measurements; no assertion.
#
# Environment: SOUK_BIN (build/souk), SOUK_THREADS (2: server threads and DuckDB threads),
# BENCH_AN_LINES, BENCH_AN_EVENTS, BENCH_RETAIL_CSV (../shared/data/online-retail/...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="$(realpath "${SOUK_BIN:-build/souk}")"
TMP_NAME=analytics
# shellcheck source=bench/lib/souk.sh
source bench/lib/souk.sh
LINES="${BENCH_AN_LINES:-1000000}"
EVENTS="${BENCH_AN_EVENTS:-5000000}"
THREADS="${SOUK_THREADS:-2}"
RETAIL="${BENCH_RETAIL_CSV:-$ROOT/../shared/data/online-retail/online_retail.csv.gz}" # from a worktree: set it
bench_tools node curl sqlite3 python3
bench_setup

if [ ! -d bench/analytics/node_modules/@duckdb/node-api ]; then
  log "installing @duckdb/node-api into bench/analytics/node_modules (the benchmark's only)"
  (cd bench/analytics && npm ci --no-audit --no-fund >/dev/null)
fi

# export DB DIR: the views souk reads, as CSV for DuckDB (days in UTC, the stores' time zone)
export_csv() {
  local db="$1" dir="$2"
  mkdir -p "$dir"
  sqlite3 -csv -header "$db" "SELECT l.order_id, o.user_id, o.paid_at / 86400000000 AS day, o.currency, o.channel,
      l.product_id, p.category_id, l.vendor_id, l.quantity, l.line_total AS amount
    FROM analytics_order_lines l JOIN analytics_orders o ON o.order_id = l.order_id
    LEFT JOIN analytics_products p ON p.product_id = l.product_id" >"$dir/lines.csv"
  sqlite3 -csv -header "$db" "SELECT r.order_id, r.created_at / 86400000000 AS day, r.amount, o.currency
    FROM analytics_refunds r JOIN analytics_orders o ON o.order_id = r.order_id" >"$dir/refunds.csv"
  [ -s "$dir/refunds.csv" ] || echo "order_id,day,amount,currency" >"$dir/refunds.csv"
  sqlite3 -csv -header "$db" "SELECT visitor_key AS visitor, type, at / 1000000 AS sec, at / 86400000000 AS day
    FROM analytics_events" >"$dir/events.csv"
  [ -s "$dir/events.csv" ] || echo "visitor,type,sec,day" >"$dir/events.csv"
}

# run NAME DB FROM TO CURRENCY: build, export, serve, compare
run() {
  local name="$1" db="$2" from="$3" to="$4" currency="$5" key
  echo
  echo "== $name"
  env "${BENCH_ENVS[@]}" "$SOUK_BIN" analytics rebuild --db "$db" --no-signal 2>/dev/null | sed 's/^/  souk analytics rebuild: /'
  key=$(echo "bench admin password 1" | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$db" \
        --email "admin-$name@bench.example" --role admin --api-key 2>/dev/null | sed -n 's/.*api key: \(sk_[^ ]*\).*/\1/p')
  bench_serve "$db"
  for _ in $(seq 600); do
    curl -fs "$BASE/metrics" | grep -q '^souk_analytics_ready 1' && break
    sleep 0.1
  done
  # the server's outbox subscribers record a purchase event per imported line: wait until they are
  # done and the facts hold them, then export what the facts hold
  local n=-1 m
  for _ in $(seq 300); do
    m=$(sqlite3 "$db" "SELECT COUNT(*) FROM analytics_events WHERE type <> 21") # refunds are not read
    [ "$m" = "$n" ] && curl -fs "$BASE/metrics" | grep -q "^souk_analytics_rows{table=\"events\"} $m\$" && break
    n=$m
    sleep 2
  done
  export_csv "$db" "$TMP/$name"
  curl -fs "$BASE/metrics" | grep -E '^souk_analytics_(build_seconds|bytes|bytes_per_million_lines|rows)' | sed 's/^/  \/metrics: /'
  (cd bench/analytics && node compare.mjs "$name" "$BASE" "$key" "$TMP/$name" "$from" "$to" "$currency" "$THREADS")
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

echo "analytics benchmark: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the start; server and DuckDB on $THREADS threads"
if [ -f "$RETAIL" ]; then
  t0=$(date +%s.%N)
  env "${BENCH_ENVS[@]}" "$SOUK_BIN" import online-retail --orders --db "$TMP/retail.db" "$RETAIL" >"$TMP/import.out" 2>/dev/null
  echo "Online Retail imported as orders in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s: $(tail -n 1 "$TMP/import.out")"
  run online-retail "$TMP/retail.db" 2010-12-10 2011-12-09 GBP
else
  log "no Online Retail data at $RETAIL (BENCH_RETAIL_CSV): that part skipped"
fi

env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/synth.db" >/dev/null 2>&1
t0=$(date +%s.%N)
bench/analytics/synth.sh "$TMP/synth.db" "$LINES" "$EVENTS" >/dev/null
echo
echo "synthetic store: $LINES order lines and $EVENTS events written in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s (bench/analytics/synth.sh)"
run synthetic "$TMP/synth.db" 2025-01-01 2025-12-31 USD
echo
echo "load average $(cut -d' ' -f1 /proc/loadavg) at the end"
