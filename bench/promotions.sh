#!/usr/bin/env bash
# Promotions benchmark (issue 15): cart pricing with 20 active promotions (p50/p99 per cart
# change) and checkout throughput, against the same run without promotions, in one run on
# one server (goal: throughput within 20 %). Prints the ratio.
#
# Starts `souk serve` on a fresh database in a temp dir (test payment gateway, rate limits
# and the access log off), then bench/promotions_load.mjs once per promotion set: phases
# without and with 20 active promotions, alternating (see the script for the sets: "dense",
# all 20 about the carts' product, and "spread", 20 over ten products).
#
# Usage: bench/promotions.sh
# Environment overrides:
#   SOUK_BIN        souk binary (default build/souk, relative to the repo root)
#   BENCH_DURATION  length of each phase (default 10s)
#   BENCH_BUYERS    concurrent shoppers (default 16)
#   SOUK_THREADS    souk --threads (default 2)
#   BENCH_PROMO_SETS the promotion sets to run (default "dense spread"; see promotions_load.mjs)
# Exit status: 0 ran, 1 setup failure, 2 unexpected answers or souk died.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
SOUK_THREADS="${SOUK_THREADS:-2}"
export BENCH_DURATION="${BENCH_DURATION:-10s}"

TMP_NAME=promotions
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl
bench_setup

env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/souk.db" >"$TMP/migrate.out" 2>&1 \
  || { log "souk migrate failed:"; tail -n 20 "$TMP/migrate.out" >&2; exit 1; }
printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$TMP/souk.db" \
  --email admin@bench.example --role admin --api-key >"$TMP/user.out" 2>&1 \
  || { log "souk user create failed:"; tail -n 20 "$TMP/user.out" >&2; exit 1; }
KEY="$(sed -n 's/.*admin api key: \(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/user.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no 'admin api key: sk_…' line from souk user create"; cat "$TMP/user.out" >&2; exit 1; }
bench_serve "$TMP/souk.db"

echo "== souk promotions benchmark (souk --threads $SOUK_THREADS, $(nproc 2>/dev/null || echo '?') CPUs, test gateway) =="
rc=0
for set in ${BENCH_PROMO_SETS:-dense spread}; do
  echo
  BENCH_PROMO_SET="$set" BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" node bench/promotions_load.mjs || rc=$?
done
if ! kill -0 "$PID" 2>/dev/null; then
  log "souk died under load:"; tail -n 20 "$TMP/serve.log" >&2; exit 2
fi
if grep -q '"level":"error"' "$TMP/serve.log"; then
  log "souk logged errors:"; grep '"level":"error"' "$TMP/serve.log" | head -n 5 >&2
fi
exit "$rc"
