#!/usr/bin/env bash
# bench/i18n.sh — what a non-default locale costs on catalog reads (docs/languages.md; goal:
# within 10 % of the default locale). A demo store of BENCH_I18N_PRODUCTS products (default
# 10,000) with locales en,fr and a French title, description, every attribute value and every
# category and brand name; each read is measured in the same run in English (no header) and in
# French (Accept-Language: fr), with the response cache off (SOUK_CACHE_MB=0: every request
# renders, the case where the translation joins cost) and on (the cached case, where the locale
# is only part of the key). Reads: product detail, the first page of the product list (24 rows),
# the category tree. wrk at BENCH_CONNECTIONS (64) for BENCH_DURATION (10s) per arm, the arms
# interleaved BENCH_I18N_ROUNDS times (default 3); medians of req/s, of the server's CPU time per
# request (the number to compare on a shared machine) and of p99 (ms).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="$(realpath "${SOUK_BIN:-build/souk}")"
TMP_NAME=i18n
source bench/lib/souk.sh
PRODUCTS="${BENCH_I18N_PRODUCTS:-10000}"
ROUNDS="${BENCH_I18N_ROUNDS:-3}"
bench_tools curl sqlite3 wrk python3
bench_setup

DB="$TMP/i18n.db"
env "${BENCH_ENVS[@]}" "$SOUK_BIN" demo --db "$DB" --products "$PRODUCTS" >/dev/null 2>&1
sqlite3 "$DB" <<'SQL'
UPDATE i18n_settings SET locales = 'en,fr';
INSERT INTO i18n_translations (kind, object_id, field, locale, value, updated_at)
  SELECT 'product', id, 'title', 'fr', title || ' (fr)', 0 FROM products;
INSERT INTO i18n_translations (kind, object_id, field, locale, value, updated_at)
  SELECT 'product', id, 'description', 'fr', 'Description : ' || coalesce(description, ''), 0 FROM products;
INSERT INTO i18n_translations (kind, object_id, field, locale, value, updated_at)
  SELECT 'product', product_id, 'attr:' || name, 'fr', value || ' (fr)', 0 FROM product_attributes;
INSERT INTO i18n_translations (kind, object_id, field, locale, value, updated_at)
  SELECT 'category', id, 'name', 'fr', name || ' (fr)', 0 FROM categories;
INSERT INTO i18n_translations (kind, object_id, field, locale, value, updated_at)
  SELECT 'brand', id, 'name', 'fr', name || ' (fr)', 0 FROM brands;
SQL
SLUG=$(sqlite3 "$DB" "SELECT slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET $((PRODUCTS / 2))")
ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM i18n_translations")

# measure URL [WRK ARGS…]: bench_wrk's "req/s p50 p99 non2xx" and the server's CPU time per request in µs
# (user + system of the souk process over the measured run: unlike req/s, it does not move with what
# other processes do on a shared machine)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
measure() {
  local url="$1" t0 t1 stats
  shift
  "${BENCH_WRK_CMD[@]}" -c"${BENCH_CONNECTIONS:-64}" -d2s "$@" "$url" >/dev/null 2>&1 || true
  t0=$(cpu_ticks)
  "${BENCH_WRK_CMD[@]}" -c"${BENCH_CONNECTIONS:-64}" -d"${BENCH_DURATION:-10s}" --latency "$@" "$url" >"$TMP/wrk.txt"
  t1=$(cpu_ticks)
  stats=$(bench_wrk_stats "$TMP/wrk.txt")
  local reqs
  reqs=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
  awk -v s="$stats" -v t0="$t0" -v t1="$t1" -v n="$reqs" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s %.1f\n", s, (t1 - t0) * 1e6 / hz / (n > 0 ? n : 1) }'
}

echo "i18n benchmark: $PRODUCTS products, $ROWS translations, $(nproc) cores, $BENCH_WRK_DESC, load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-6s %-20s %9s %9s %6s %9s %9s %6s %8s %8s\n' cache read "en req/s" "fr req/s" "fr/en" "en cpu-us" "fr cpu-us" "fr/en" "en p99" "fr p99"
for cache in 0 64; do
  BENCH_ENVS+=("SOUK_CACHE_MB=$cache")
  bench_serve "$DB"
  for read in "/api/v1/products/$SLUG" "/api/v1/products?limit=24" "/api/v1/categories"; do
    ens=() frs=()
    for _ in $(seq "$ROUNDS"); do # interleaved, so that a change in the machine's load hits both
      ens+=("$(measure "$BASE$read")")
      frs+=("$(measure "$BASE$read" -H 'Accept-Language: fr')")
    done
    curl -fs -H 'Accept-Language: fr' -D - -o /dev/null "$BASE$read" | grep -qi '^content-language: fr' \
      || { log "no French answer for $read"; exit 2; }
    python3 - "$cache" "$read" "$(printf '%s;' "${ens[@]}")" "$(printf '%s;' "${frs[@]}")" <<'PY'
import statistics, sys
cache, read = sys.argv[1], sys.argv[2]
runs = lambda arg: [r.split() for r in arg.split(';') if r]
en, fr = runs(sys.argv[3]), runs(sys.argv[4])
if any(r[3] != '0' for r in en + fr):
    sys.exit("non-2xx answers")
med = lambda rs, i: statistics.median(float(r[i]) for r in rs)
name = read.split('?')[0].replace('/api/v1', '')
name = '/products/{slug}' if name.count('/') == 2 else name + ('?limit=24' if '?' in read else '')
print(f"{'off' if cache == '0' else 'on':<6} {name:<20} {med(en, 0):9.0f} {med(fr, 0):9.0f} {med(fr, 0) / med(en, 0):6.2f}"
      f" {med(en, 4):9.1f} {med(fr, 4):9.1f} {med(fr, 4) / med(en, 4):6.2f} {med(en, 2):8.2f} {med(fr, 2):8.2f}")
PY
  done
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  unset 'BENCH_ENVS[${#BENCH_ENVS[@]}-1]'
done
