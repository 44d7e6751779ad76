#!/usr/bin/env bash
# Subscription renewals (issue 17): BENCH_SUBSCRIPTIONS subscriptions fall due at once and are
# renewed through the job queue with the built-in test gateway — each renewal a job that places an
# order from a cart made for it (priced anew, stock reserved, the subscription discount), charges
# the saved card and schedules the next period. Prints renewals/s from the moment they fall due to
# the last one recorded. See bench/subscriptions_load.mjs.
#   BENCH_SUBSCRIPTIONS (2000)  SOUK_THREADS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=subscriptions
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl python3 sqlite3
bench_setup
BENCH_ENVS+=(SOUK_FRAUD_HOLD_THRESHOLD=off)

env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/souk.db" >"$TMP/migrate.out" 2>&1 \
  || { log "souk migrate failed:"; tail -n 20 "$TMP/migrate.out" >&2; exit 1; }
printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$TMP/souk.db" \
  --email admin@bench.example --role admin --api-key >"$TMP/user.out" 2>&1 \
  || { log "souk user create failed:"; tail -n 20 "$TMP/user.out" >&2; exit 1; }
KEY="$(sed -n 's/.*admin api key: \(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/user.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no 'admin api key: sk_…' line from souk user create"; exit 1; }
bench_serve "$TMP/souk.db"
echo "== souk subscription renewals (souk --threads ${SOUK_THREADS:-2}, $(nproc 2>/dev/null || echo '?') CPUs, SQLite, test gateway) =="
BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" BENCH_DB="$TMP/souk.db" node bench/subscriptions_load.mjs
