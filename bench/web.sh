#!/usr/bin/env bash
# The storefront's pages (issue 16): Lighthouse 12.2.3 (npm, bench/web/ only) with Debian's
# chromium on the home, a category, a product and the cart page, mobile profile (the default):
# the four category scores of each, goal >= 95 each; the storefront script's gzipped size
# (goal < 30 KB a page); and each page's HTML served by souk beside nginx serving the same
# bytes as a static file: req/s, p99 and the ratio (goals >= 0.5x nginx, p99 < 10 ms at
# BENCH_CONNECTIONS). The store: `souk demo` with BENCH_PRODUCTS (2000) and 60 days of history.
#   BENCH_DURATION (10s)  BENCH_CONNECTIONS (64)  BENCH_SPLIT_CPUS (0)  BENCH_SKIP_LIGHTHOUSE (0)
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=web
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
PRODUCTS="${BENCH_PRODUCTS:-2000}"
bench_tools wrk curl jq node gzip
bench_setup
if [[ "${BENCH_SKIP_LIGHTHOUSE:-0}" != 1 && ! -x bench/web/node_modules/.bin/lighthouse ]]; then
  log "installing lighthouse 12.2.3 into bench/web/node_modules (this benchmark's only)"
  (cd bench/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$TMP/souk.db" --products "$PRODUCTS" --seed 1 --history 60 >/dev/null 2>&1
bench_serve "$TMP/souk.db"
category="$(curl -fs "$BASE/api/v1/categories" | jq -r '.data[0].slug')"
product="$(curl -fs "$BASE/api/v1/products?limit=1&sort=newest" | jq -r '.data[0].slug')"
variant="$(curl -fs "$BASE/api/v1/products/$product" | jq -r '.variants[0].id')"
cart="$(curl -fs -X POST "$BASE/api/v1/carts" -H 'Content-Type: application/json' -d '{}' | jq -r '.cart_token')"
curl -fs -o /dev/null -X POST "$BASE/api/v1/carts/current/lines" -H "X-Cart-Token: $cart" -H 'Content-Type: application/json' \
  -d "{\"variant_id\":\"$variant\",\"quantity\":2}"
PAGES=(home category product cart)
declare -A URL=([home]="/" [category]="/c/$category" [product]="/p/$product" [cart]="/cart")
declare -A HDR=([home]="" [category]="" [product]="" [cart]="Cookie: souk_cart=$cart")

# the script a page loads, gzipped (every page loads the same one)
js="$(curl -fs "$BASE/" | grep -o '/assets/site\.[0-9a-f]*\.js' | head -1)"
js_gz="$(curl -fs "$BASE$js" | gzip -9 | wc -c)"

declare -A LH
if [[ "${BENCH_SKIP_LIGHTHOUSE:-0}" != 1 ]]; then
  for page in "${PAGES[@]}"; do
    extra=()
    [[ -n "${HDR[$page]}" ]] && extra=(--extra-headers "{\"Cookie\":\"souk_cart=$cart\"}")
    CHROME_PATH=/usr/bin/chromium bench/web/node_modules/.bin/lighthouse "$BASE${URL[$page]}" --quiet \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$TMP/chrome-$page" \
      --only-categories=performance,accessibility,best-practices,seo --output=json --output-path="$TMP/lh-$page.json" \
      "${extra[@]}" >/dev/null 2>"$TMP/lh-$page.log" || { log "lighthouse failed on $page:"; tail -5 "$TMP/lh-$page.log" >&2; exit 1; }
    LH[$page]="$(jq -r '[.categories.performance.score, .categories.accessibility.score, .categories["best-practices"].score, .categories.seo.score] | map(. * 100 | round) | join(" ")' "$TMP/lh-$page.json")"
  done
fi

# each page's bytes, for nginx; and wrk against both (the cart with its cookie)
mkdir -p "$TMP/nginx/html"
locations=""
for page in "${PAGES[@]}"; do
  if [[ -n "${HDR[$page]}" ]]; then curl -fs -H "${HDR[$page]}" "$BASE${URL[$page]}" >"$TMP/nginx/html/$page.html"
  else curl -fs "$BASE${URL[$page]}" >"$TMP/nginx/html/$page.html"; fi
  locations+="        location = ${URL[$page]} { default_type text/html; try_files /$page.html =404; }
"
done
bench_nginx "$locations"
declare -A SOUK NGINX
for page in "${PAGES[@]}"; do
  hdr=()
  [[ -n "${HDR[$page]}" ]] && hdr=(-H "${HDR[$page]}")
  SOUK[$page]="$(bench_wrk "$BASE${URL[$page]}" "${hdr[@]}")"
  NGINX[$page]="$(bench_wrk "$NGINX_BASE${URL[$page]}")"
done

echo "Storefront pages ($PRODUCTS products; $BENCH_WRK_DESC -c${BENCH_CONNECTIONS:-64} -d${BENCH_DURATION:-10s}; souk --threads ${SOUK_THREADS:-2}; $(nproc) CPUs)"
printf '  storefront script: %d bytes gzipped (goal < 30720): %s\n' "$js_gz" "$( ((js_gz < 30720)) && echo PASS || echo MISS)"
bad=0
for page in "${PAGES[@]}"; do
  read -r srps s50 s99 sbad <<<"${SOUK[$page]}"
  read -r nrps _ n99 _ <<<"${NGINX[$page]}"
  ratio="$(awk -v a="$srps" -v b="$nrps" 'BEGIN{printf "%.2f", a/b}')"
  verdict="$(awk -v r="$ratio" -v p="$s99" 'BEGIN{print (r >= 0.5 && p < 10) ? "PASS" : "MISS"}')"
  printf '  %-8s souk %7.0f req/s p50 %.2f ms p99 %.2f ms non-2xx %d | nginx %7.0f req/s p99 %.2f ms | ratio %s | >= 0.5x, p99 < 10 ms: %s\n' \
    "$page" "$srps" "$s50" "$s99" "$sbad" "$nrps" "$n99" "$ratio" "$verdict"
  ((sbad == 0)) || bad=1
  if [[ -n "${LH[$page]:-}" ]]; then
    read -r perf a11y bp seo <<<"${LH[$page]}"
    printf '  %-8s lighthouse (mobile) performance %d accessibility %d best-practices %d seo %d | all >= 95: %s\n' "$page" \
      "$perf" "$a11y" "$bp" "$seo" "$( ((perf >= 95 && a11y >= 95 && bp >= 95 && seo >= 95)) && echo PASS || echo MISS)"
  fi
done
((bad == 0)) || { log "souk answered non-2xx"; exit 2; }
