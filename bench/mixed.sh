#!/usr/bin/env bash
# Reads while the shop sells (issue 10): long-tail product reads alone, then the same reads
# while whole purchases run at a fixed rate, in one run on one server.
#
#  1. `souk demo` with BENCH_PRODUCTS products (default 10,000), a warehouse with stock for
#     every variant; `souk serve --threads SOUK_THREADS` on a loopback port.
#  2. Reads alone: wrk (-t1 -cBENCH_CONNECTIONS, BENCH_DURATION) with a Lua script that asks
#     for the detail of a product chosen at random among all of them (long tail: most
#     requests hit a product no recent request asked for) -> req/s, p50/p99.
#  3. The same wrk run while bench/purchase_load.mjs starts BENCH_RATE whole purchases a
#     second (create a cart, 1-3 lines, checkout with the test card) -> read req/s, p99,
#     and the purchases it completed (purchases/s, p99 per purchase).
#  4. The ratio of read throughput under purchases to reads alone, against the goals
#     (read p99 < 10 ms, ratio >= 0.7), and the purchase run's integrity check.
#
# Environment: SOUK_BIN (build/souk), BENCH_PRODUCTS (10000), BENCH_DURATION (10s),
# BENCH_CONNECTIONS (64), BENCH_RATE (500), SOUK_THREADS (2), BENCH_STRICT (0: report only).
# Exit status: 0 ran, 1 setup failure (or a missed goal with BENCH_STRICT=1), 2 integrity
# failure, errors in the reads, or souk died.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
SOUK_THREADS="${SOUK_THREADS:-2}"
BENCH_PRODUCTS="${BENCH_PRODUCTS:-10000}"
BENCH_DURATION="${BENCH_DURATION:-10s}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-64}"
BENCH_RATE="${BENCH_RATE:-500}"
BENCH_STRICT="${BENCH_STRICT:-0}"

TMP_NAME=mixed
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl python3 wrk
bench_setup

env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$TMP/souk.db" --products "$BENCH_PRODUCTS" --seed 1 >"$TMP/demo.out" 2>&1 \
  || { log "souk demo failed:"; tail -n 20 "$TMP/demo.out" >&2; exit 1; }
KEY="$(sed -n 's/.*\(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/demo.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no API key in the output of souk demo"; cat "$TMP/demo.out" >&2; exit 1; }
bench_serve "$TMP/souk.db"

# every product's detail path, into the wrk script
python3 - "$BASE" "$TMP/reads.lua" <<'EOF'
import json, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
paths, cursor = [], None
while True:
    url = base + "/api/v1/products?limit=100" + ("&cursor=" + cursor if cursor else "")
    page = json.load(urllib.request.urlopen(url))
    paths += ["/api/v1/products/" + p["slug"] for p in page["data"]]
    cursor = page.get("next_cursor")
    if not cursor:
        break
with open(out, "w") as f:
    f.write("local paths = {\n")
    for p in paths:
        f.write('  "%s",\n' % p)
    f.write("}\n")
    f.write("math.randomseed(42)\n")
    f.write("request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n")
    f.write("done = function(summary, latency, requests)\n")
    f.write("  io.write(string.format('READS rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\\n', "
            "summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, "
            "latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + "
            "summary.errors.read + summary.errors.write + summary.errors.timeout))\n")
    f.write("end\n")
print(f"{len(paths)} products")
EOF

reads() { wrk -t1 -c"$BENCH_CONNECTIONS" -d"$BENCH_DURATION" -s "$TMP/reads.lua" "$BASE" | grep '^READS'; }

echo "== souk mixed benchmark: $BENCH_PRODUCTS products, souk --threads $SOUK_THREADS, $(nproc) CPUs =="
wrk -t1 -c"$BENCH_CONNECTIONS" -d3s -s "$TMP/reads.lua" "$BASE" >/dev/null # warm-up
alone="$(reads)"
echo "reads alone:            $alone"
BENCH_BASE="$BASE" BENCH_ADMIN_KEY="$KEY" BENCH_PHASES="rate:$BENCH_RATE" BENCH_DURATION="$BENCH_DURATION" \
  node bench/purchase_load.mjs >"$TMP/purchases.out" 2>"$TMP/purchases.err" &
LOAD=$!
sleep 1 # the purchase generator sets up its stock first
mixed="$(reads)"
rc=0
wait "$LOAD" || rc=$?
echo "reads while purchasing: $mixed"
grep -E 'purchases/s|Integrity' "$TMP/purchases.out" | sed 's/^/purchases: /'
[[ "$rc" == 0 ]] || { log "purchase load failed ($rc):"; tail -n 20 "$TMP/purchases.err" >&2; }
kill -0 "$PID" 2>/dev/null || { log "souk died under load:"; tail -n 20 "$TMP/serve.log" >&2; exit 2; }

python3 - "$alone" "$mixed" "$(grep '^PHASE' "$TMP/purchases.out" || true)" "$BENCH_RATE" "$BENCH_STRICT" <<'EOF'
import re, sys
def kv(s):
    return {k: float(v) for k, v in re.findall(r'(\w+)=([0-9.]+)', s)}
alone, mixed, phase, rate, strict = kv(sys.argv[1]), kv(sys.argv[2]), kv(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
ratio = mixed["rps"] / alone["rps"] if alone.get("rps") else 0
ok_p99, ok_ratio = mixed["p99_ms"] < 10, ratio >= 0.7
done = phase.get("purchases_per_s", 0)
print(f"read throughput under purchases / alone: {ratio:.2f} (goal >= 0.70: {'PASS' if ok_ratio else 'MISS'}); "
      f"read p99 under purchases {mixed['p99_ms']:.2f} ms (goal < 10 ms: {'PASS' if ok_p99 else 'MISS'}); "
      f"purchases completed {done:.0f}/s of {rate:.0f}/s asked")
if alone.get("errors") or mixed.get("errors"):
    print("reads answered with errors"); sys.exit(2)
if strict and not (ok_p99 and ok_ratio): sys.exit(1)
EOF
exit "$rc"
