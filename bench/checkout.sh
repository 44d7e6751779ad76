#!/usr/bin/env bash
# Purchase and checkout benchmark (issue 10: >= 2,000 whole purchases/s on SQLite with 64
# buyers, zero oversold, zero lost or duplicated orders).
#
# Starts `souk serve` on a fresh database in a temp dir (test payment gateway, rate limits
# and the access log off), then
#  1. bench/purchase_load.mjs: whole purchases — create a cart, add 1-3 lines, check out
#     with the test card — by 16 and then 64 buyers, each starting its next purchase when
#     the last one is answered (BENCH_PHASES), for BENCH_DURATION each; purchases/s and
#     p50/p99 per purchase, then every order checked against the stock;
#  2. bench/checkout_load.mjs: the checkout call alone, on carts made beforehand (not timed),
#     from BENCH_CONNECTIONS clients, beside POST /api/v1/carts as a same-run reference.
#
# Usage: bench/checkout.sh
# Environment overrides:
#   SOUK_BIN           souk binary (default build/souk, relative to the repo root)
#   BENCH_DURATION     length of each measured phase (default 10s)
#   BENCH_CONNECTIONS  concurrent clients of the checkout-only run (default 64)
#   BENCH_PHASES       purchase phases (default buyers:16,buyers:64; rate:R starts R purchases/s)
#   BENCH_CHECKOUT_ONLY 0 skips the checkout-only run (default 1)
#   SOUK_THREADS       souk --threads (default 2)
#   BENCH_CARTS        carts prepared before the run (default 2500 per second of BENCH_DURATION)
#   BENCH_SCARCE       units of the variant that sells out (default 200)
#   BENCH_STRICT       1 = exit 1 when the throughput goal is missed (default 0: report only)
# Exit status: 0 ran, 1 setup failure (or a missed goal with BENCH_STRICT=1), 2 integrity
# failure, unexpected answers, or souk died.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
SOUK_THREADS="${SOUK_THREADS:-2}"
export BENCH_DURATION="${BENCH_DURATION:-10s}"
export BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-64}"

TMP_NAME=checkout
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl python3
[[ "$BENCH_DURATION" =~ ^[0-9]+(ms|s|m)?$ ]] || { log "BENCH_DURATION must look like 10s (got '$BENCH_DURATION')"; exit 1; }
bench_setup

# A fresh database and an admin API key, as an operator makes them (Argon2 at the OWASP
# minimum: only this one account is hashed).
env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/souk.db" >"$TMP/migrate.out" 2>&1 \
  || { log "souk migrate failed:"; tail -n 20 "$TMP/migrate.out" >&2; exit 1; }
printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$TMP/souk.db" \
  --email admin@bench.example --role admin --api-key >"$TMP/user.out" 2>&1 \
  || { log "souk user create failed:"; tail -n 20 "$TMP/user.out" >&2; exit 1; }
KEY="$(sed -n 's/.*admin api key: \(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/user.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no 'admin api key: sk_…' line from souk user create"; cat "$TMP/user.out" >&2; exit 1; }
bench_serve "$TMP/souk.db"
curl -fs -o "$TMP/openapi.json" "$BASE/api/v1/openapi.json" || { log "GET /api/v1/openapi.json failed"; exit 1; }
grep -q '"/api/v1/checkout"' "$TMP/openapi.json" || { log "this souk has no POST /api/v1/checkout"; exit 1; }

echo "== souk purchase benchmark (souk --threads $SOUK_THREADS, $(nproc 2>/dev/null || echo '?') CPUs, test gateway) =="
rc=0
BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" node bench/purchase_load.mjs || rc=$?
if [[ "${BENCH_CHECKOUT_ONLY:-1}" != 0 && "$rc" == 0 ]]; then
  echo
  echo "== the checkout call alone, on carts made beforehand =="
  BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" node bench/checkout_load.mjs || rc=$?
fi
if ! kill -0 "$PID" 2>/dev/null; then
  log "souk died under load:"; tail -n 20 "$TMP/serve.log" >&2; exit 2
fi
echo "souk RSS after the run: $(awk '/^VmRSS:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$PID/status")"
if grep -q '"level":"error"' "$TMP/serve.log"; then
  log "souk logged errors:"; grep '"level":"error"' "$TMP/serve.log" | head -n 5 >&2
fi
exit "$rc"
