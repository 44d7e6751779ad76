#!/usr/bin/env bash
# bench/fx.sh — what converting costs in the analytics reports (docs/currencies.md): the KPIs
# by day for a year on the synthetic store of bench/analytics/synth.sh (USD, every 10th order in
# EUR), answered per currency (USD orders only) and with convert=1 (every order converted into
# USD at its day's stored EUR rate), each uncached (a different `from` every request), in the
# same run; prints the medians and their ratio. BENCH_FX_LINES order lines (default 1,000,000),
# BENCH_FX_RUNS requests per arm (default 9).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="$(realpath "${SOUK_BIN:-build/souk}")"
TMP_NAME=fx
source bench/lib/souk.sh
LINES="${BENCH_FX_LINES:-1000000}"
RUNS="${BENCH_FX_RUNS:-9}"
bench_tools curl sqlite3 python3
bench_setup

DB="$TMP/fx.db"
env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$DB" >/dev/null 2>&1
bench/analytics/synth.sh "$DB" "$LINES" 1000 >/dev/null
env "${BENCH_ENVS[@]}" "$SOUK_BIN" analytics rebuild --db "$DB" --no-signal >/dev/null 2>&1
KEY=$(echo "bench admin password 1" | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$DB" \
      --email admin-fx@bench.example --role admin --api-key 2>/dev/null | sed -n 's/.*api key: \(sk_[^ ]*\).*/\1/p')
bench_serve "$DB"
for _ in $(seq 600); do
  curl -fs "$BASE/metrics" | grep -q '^souk_analytics_ready 1' && break
  sleep 0.1
done
rate() { curl -fs -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
         -d "{\"rate\":\"$2\",\"effective_at\":\"$3\"}" "$BASE/api/v1/admin/currencies/$1/rates" >/dev/null; }
rate EUR 0.91 2025-01-01T00:00:00Z
rate EUR 0.95 2025-07-01T00:00:00Z

# median seconds of RUNS uncached requests of QUERY (the day of `from` moves each time)
median() {
  local q="$1" t=()
  for i in $(seq "$RUNS"); do
    t+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $KEY" \
           "$BASE/api/v1/admin/analytics/kpis?from=2025-01-$(printf %02d "$i")&to=2025-12-31&$q")")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
echo "fx benchmark: $LINES order lines, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
per=$(median "currency=USD")
conv=$(median "currency=USD&convert=1")
python3 - "$per" "$conv" <<'PY'
import sys
per, conv = (float(x) for x in sys.argv[1:])
print(f"kpis, a year by day, uncached: per currency {per * 1000:.1f} ms, converted {conv * 1000:.1f} ms, ratio {conv / per:.2f}")
PY
