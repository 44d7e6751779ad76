#!/usr/bin/env bash
# Recommendation serving (issue 12): GET /recommendations/for-you (a random
# known shopper per request) and /products/{id}/similar (a random product)
# at BENCH_CONNECTIONS (64) on a demo store with a trained model, beside nginx
# serving one answer of each as a static file (the HTTP floor). Prints req/s,
# p50/p99 and the ratio; goal: p99 under 5 ms for both. Loopback only.
# Anonymous answers are kept in souk's response cache (docs/recommendations.md):
# the warm-up asks every URL, so this measures cached answers; the hits and
# misses are printed. SOUK_CACHE_MB=0 measures every answer computed.
#   BENCH_PRODUCTS (10000)  BENCH_VISITORS (2000)  BENCH_DURATION (10s)  BENCH_CONNECTIONS (64)
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=recserve
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
PRODUCTS="${BENCH_PRODUCTS:-10000}"
VISITORS="${BENCH_VISITORS:-2000}"
BENCH_DURATION="${BENCH_DURATION:-10s}"
DURATION="$BENCH_DURATION"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-64}"
CONNECTIONS="$BENCH_CONNECTIONS"
bench_tools wrk curl jq python3
bench_setup

env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$TMP/souk.db" --products "$PRODUCTS" --seed 1 >/dev/null 2>&1
bench_serve "$TMP/souk.db"
log "sending behaviour events of $VISITORS visitors"
python3 - "$BASE" "$VISITORS" "$TMP" <<'PY'
import json, random, sys, urllib.request
base, visitors, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ids, cursor = [], None
while len(ids) < 2000:
    url = f"{base}/api/v1/products?limit=100" + (f"&cursor={cursor}" if cursor else "")
    page = json.load(urllib.request.urlopen(url))
    ids += [p["id"] for p in page["data"]]
    cursor = page.get("next_cursor")
    if not cursor:
        break
random.seed(7)
clusters = [ids[i::20] for i in range(20)]  # 20 tastes
batch, n = [], 0
def flush():
    global batch
    if batch:
        req = urllib.request.Request(f"{base}/api/v1/events", data=json.dumps({"events": batch}).encode(),
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        batch = []
for v in range(visitors):
    taste = clusters[v % 20]
    for j in range(25):
        n += 1
        batch.append({"id": f"b{n}", "type": "product_view" if j % 5 else "add_to_cart",
                      "anonymous_id": f"visitor-{v:06d}", "product_id": random.choice(taste)})
        if len(batch) == 500:
            flush()
flush()
with open(f"{tmp}/products.txt", "w") as f:
    f.write("\n".join(ids))
print(n, "events")
PY
env "${BENCH_ENVS[@]}" "$SOUK_BIN" train --db "$TMP/souk.db" --test-days 1 >"$TMP/train.txt" 2>/dev/null || { log "training failed"; cat "$TMP/train.txt" >&2; exit 1; }
grep -E "^version" "$TMP/train.txt" >&2
for _ in $(seq 100); do
  curl -fs "$BASE/api/v1/recommendations/for-you?anonymous_id=visitor-000001" | jq -e '.model_version != null' >/dev/null 2>&1 && break
  sleep 0.2
done

# Lua: a random visitor / product per request
{
  echo "local n, visitors = 0, $VISITORS"
  echo 'request = function() n = n + 1; return wrk.format("GET", string.format("/api/v1/recommendations/for-you?anonymous_id=visitor-%06d&limit=10", (n * 7919) % visitors)) end'
} >"$TMP/foryou.lua"
{
  echo 'local ids = {'
  head -1000 "$TMP/products.txt" | sed 's/.*/"&",/'
  echo '}'
  echo 'local n = 0'
  echo 'request = function() n = n + 1; return wrk.format("GET", "/api/v1/products/" .. ids[(n * 7919) % #ids + 1] .. "/similar?limit=10") end'
} >"$TMP/similar.lua"

run() { bench_wrk "$@"; }

[[ -n "${BENCH_KEEP:-}" ]] && cp "$TMP/foryou.lua" "$TMP/similar.lua" "$TMP/souk.db" "$TMP/souk.db.key" "$BENCH_KEEP/"
read -r frps f50 f99 fbad < <(run "$BASE/" -s "$TMP/foryou.lua")
read -r srps s50 s99 sbad < <(run "$BASE/" -s "$TMP/similar.lua")

cache_hits="$(curl -fs "$BASE/metrics" | awk '/^souk_cache_requests_total\{result="hit"\}/ { h = $2 } /^souk_cache_requests_total\{result="miss"\}/ { m = $2 } END { printf "%d hits, %d misses", h, m }')"
mkdir -p "$TMP/nginx/html"
curl -fs "$BASE/api/v1/recommendations/for-you?anonymous_id=visitor-000001&limit=10" >"$TMP/nginx/html/foryou.json"
curl -fs "$BASE/api/v1/products/$(head -1 "$TMP/products.txt")/similar?limit=10" >"$TMP/nginx/html/similar.json"
bench_nginx "        location /api/v1/recommendations/ { try_files /foryou.json =404; }
        location /api/v1/products/ { try_files /similar.json =404; }"
read -r nfrps nf50 nf99 _ < <(run "$NGINX_BASE/" -s "$TMP/foryou.lua")
read -r nsrps ns50 ns99 _ < <(run "$NGINX_BASE/" -s "$TMP/similar.lua")

echo "Recommendation serving ($PRODUCTS products, $VISITORS visitors; $BENCH_WRK_DESC -c$CONNECTIONS -d$DURATION; souk --threads ${SOUK_THREADS:-2}; $(nproc) CPUs)"
printf '  for-you  souk %7.0f req/s p50 %.2f ms p99 %.2f ms non-2xx %d | nginx %7.0f req/s p99 %.2f ms | ratio %.2f | p99 < 5 ms: %s\n' \
  "$frps" "$f50" "$f99" "$fbad" "$nfrps" "$nf99" "$(awk -v a="$frps" -v b="$nfrps" 'BEGIN{print a/b}')" \
  "$(awk -v p="$f99" 'BEGIN{print (p < 5 ? "PASS" : "MISS")}')"
printf '  similar  souk %7.0f req/s p50 %.2f ms p99 %.2f ms non-2xx %d | nginx %7.0f req/s p99 %.2f ms | ratio %.2f | p99 < 5 ms: %s\n' \
  "$srps" "$s50" "$s99" "$sbad" "$nsrps" "$ns99" "$(awk -v a="$srps" -v b="$nsrps" 'BEGIN{print a/b}')" \
  "$(awk -v p="$s99" 'BEGIN{print (p < 5 ? "PASS" : "MISS")}')"
echo "  souk's response cache over both runs (warm-ups included): $cache_hits"
[[ "$fbad" -eq 0 && "$sbad" -eq 0 ]] || { log "souk answered non-2xx"; exit 2; }
