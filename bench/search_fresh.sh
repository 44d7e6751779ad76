#!/usr/bin/env bash
# Search freshness while product updates stream in (issue 11): a `souk demo` catalog of
# BENCH_SEARCH_PRODUCTS products (default 100000) served by `souk serve`; bench/search_fresh.mjs
# renames random products at BENCH_RATE updates/s (default 100) for BENCH_DURATION (60s) and
# times, for every BENCH_TRACK_EVERY-th update, how long after the write's answer a search
# finds the new title word. The reference in the same run: how long one full rebuild of that
# catalog takes on this machine (souk_search_build_seconds, the first build), which is
# what every change cost before the delta segment.
#
# Goal (issue 11): freshness p99 < 1 s at 100 updates/s. BENCH_STRICT=1 exits 1 on a miss.
# Environment: SOUK_BIN (build/souk), BENCH_SEARCH_PRODUCTS, BENCH_DB (a `souk demo` database
# to copy, with its .key file, instead of making one), BENCH_RATE, BENCH_DURATION,
# BENCH_TRACK_EVERY (5), BENCH_POLL_MS (20), SOUK_THREADS (2).
# Exit status: 0 ran, 1 setup failure (or a miss with BENCH_STRICT=1), 2 wrong answers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
BENCH_SEARCH_PRODUCTS="${BENCH_SEARCH_PRODUCTS:-100000}"
BENCH_RATE="${BENCH_RATE:-100}"
BENCH_DURATION="${BENCH_DURATION:-60s}"
BENCH_STRICT="${BENCH_STRICT:-0}"
[[ "$BENCH_SEARCH_PRODUCTS" =~ ^[0-9]+$ ]] || { printf 'bench: BENCH_SEARCH_PRODUCTS must be a number\n' >&2; exit 1; }

TMP_NAME=search-fresh
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl sqlite3
bench_setup

t0=$(date +%s.%N)
if [[ -n "${BENCH_DB:-}" ]]; then # a demo database made before (and its key file), copied
  cp "$BENCH_DB" "$TMP/souk.db" && cp "$BENCH_DB.key" "$TMP/souk.db.key" || { log "cannot copy $BENCH_DB(.key)"; exit 1; }
else
  env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$TMP/souk.db" --products "$BENCH_SEARCH_PRODUCTS" --seed 1 >"$TMP/demo.out" 2>&1 \
    || { log "souk demo failed:"; tail -n 20 "$TMP/demo.out" >&2; exit 1; }
  log "demo catalog of $BENCH_SEARCH_PRODUCTS products in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
fi
sqlite3 "$TMP/souk.db" "SELECT id FROM products WHERE status = 'active'" >"$TMP/ids.txt"
printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$TMP/souk.db" \
  --email admin@bench.example --role admin --api-key >"$TMP/user.out" 2>&1 \
  || { log "souk user create failed:"; tail -n 20 "$TMP/user.out" >&2; exit 1; }
KEY="$(sed -n 's/.*admin api key: \(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/user.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no 'admin api key: sk_…' line from souk user create"; cat "$TMP/user.out" >&2; exit 1; }
BENCH_ENVS+=(SOUK_CACHE_MB=0)
bench_serve "$TMP/souk.db"

# reads the whole answer (an early exit of awk would make curl fail with a write error)
metric() { curl -fs "$BASE/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v }'; }
for _ in $(seq 1200); do # the first build runs in the background after start
  [[ "$(metric souk_search_index_ready)" == 1 ]] && break
  sleep 0.1
done
[[ "$(metric souk_search_index_ready)" == 1 ]] || { log "the search index was not ready within 120 s"; exit 1; }
full_ms="$(metric souk_search_build_seconds | awk '{ printf "%d", $1 * 1000 }')"
docs="$(metric souk_search_index_products)"

echo "== souk search freshness: $docs products, $BENCH_RATE updates/s for $BENCH_DURATION (souk --threads ${SOUK_THREADS:-2}, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
rc=0
BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" BENCH_IDS="$TMP/ids.txt" BENCH_RATE="$BENCH_RATE" BENCH_DURATION="$BENCH_DURATION" \
  node bench/search_fresh.mjs >"$TMP/fresh.out" || rc=$?
cat "$TMP/fresh.out"
kill -0 "$PID" 2>/dev/null || { log "souk died under load:"; tail -n 20 "$TMP/serve.log" >&2; exit 2; }
((rc == 0)) || { log "updates were not found within 10 s, or answers were wrong"; exit 2; }
echo "index: full build $full_ms ms (the reference: every change cost one before the delta); during the run" \
  "$(metric souk_search_delta_builds_total) delta builds (last $(metric souk_search_delta_seconds) s)," \
  "$(metric souk_search_merges_total) merges, delta now $(metric souk_search_delta_products) products over" \
  "$(metric souk_search_delta_tombstones) tombstones; load $(cut -d' ' -f1-3 /proc/loadavg)"
line="$(grep '^FRESH ' "$TMP/fresh.out")"
p99="$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' <<<"$line")"
awk -v p="$p99" -v f="$full_ms" 'BEGIN { printf "goal: freshness p99 %s ms < 1000 ms %s (%.2fx one full build)\n", p, (p < 1000 ? "PASS" : "MISS"), (f > 0 ? p / f : 0) }'
if grep -q '"level":"error"' "$TMP/serve.log"; then
  log "souk logged errors:"; grep '"level":"error"' "$TMP/serve.log" | head -n 5 >&2
fi
if awk -v p="$p99" 'BEGIN { exit !(p >= 1000) }' && [[ "$BENCH_STRICT" == 1 ]]; then exit 1; fi
exit 0
