#!/usr/bin/env bash
# Outgoing webhooks (issue 15): stock changes delivered as signed webhooks to a node receiver on
# loopback (allowed by SOUK_WEBHOOKS_ALLOW_TARGETS for this run), against node POSTing the same
# signed bodies to the same receiver itself. See bench/webhooks_load.mjs for what is printed.
#   BENCH_EVENTS (2000)  BENCH_CONCURRENCY (8)  SOUK_THREADS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=webhooks
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl python3
bench_setup
BENCH_ENVS+=(SOUK_WEBHOOKS_ALLOW_TARGETS=127.0.0.1/32)

env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/souk.db" >"$TMP/migrate.out" 2>&1 \
  || { log "souk migrate failed:"; tail -n 20 "$TMP/migrate.out" >&2; exit 1; }
printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$TMP/souk.db" \
  --email admin@bench.example --role admin --api-key >"$TMP/user.out" 2>&1 \
  || { log "souk user create failed:"; tail -n 20 "$TMP/user.out" >&2; exit 1; }
KEY="$(sed -n 's/.*admin api key: \(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/user.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no 'admin api key: sk_…' line from souk user create"; exit 1; }
bench_serve "$TMP/souk.db"
echo "== souk webhooks benchmark (souk --threads ${SOUK_THREADS:-2}, $(nproc 2>/dev/null || echo '?') CPUs, SQLite) =="
BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" node bench/webhooks_load.mjs
