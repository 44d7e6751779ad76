#!/usr/bin/env bash
# Shopify product CSV import benchmark (issue 15): BENCH_IMPORT_PRODUCTS generated products
# (default 100000; 1–3 variants each with options, an image, stock, an HTML body) in Shopify's
# layout, imported by `souk import shopify` into a fresh database (its progress bar shown), then
# the same file again (the idempotent re-run: everything compared, nothing written), then
# `souk export products`. Reference in the same run: the sqlite3 shell's `.import --csv` of the
# same file into one plain table of a fresh database (parsing and inserting rows, no catalog
# logic). Prints rows/s of each and the ratios souk / sqlite3.
#
# Environment: SOUK_BIN (build/souk), BENCH_IMPORT_PRODUCTS (100000), BENCH_IMPORT_BATCH (500:
# products per transaction). Exit status: 0 ran, 1 setup failure, 2 wrong answers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
N="${BENCH_IMPORT_PRODUCTS:-100000}"
BATCH="${BENCH_IMPORT_BATCH:-500}"
TMP_NAME=import
# shellcheck source=bench/lib/souk.sh
source bench/lib/souk.sh
bench_tools sqlite3 python3
bench_setup

CSV="$TMP/products.csv"
python3 - "$N" "$CSV" <<'EOF'
import csv, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(15)
head = ["Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
        "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
        "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
        "Variant Inventory Policy", "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
        "Variant Requires Shipping", "Variant Taxable", "Image Src", "Image Position", "Image Alt Text",
        "Gift Card", "SEO Title", "SEO Description", "Status"]
words = "linen cotton wool oak walnut ceramic steel copper canvas leather cedar bamboo glass".split()
kinds = "shirt mug lamp chair apron bowl scarf vase stool towel basket candle".split()
vendors = [f"Maker {i}" for i in range(200)]
types = [k.title() + "s" for k in kinds]
sizes = ["S", "M", "L"]
rows = 0
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(head)
    for i in range(n):
        h = f"p{i}-{rng.choice(words)}-{rng.choice(kinds)}"
        title = f"{rng.choice(words).title()} {rng.choice(kinds)} {i}"
        body = f"<p>A <strong>{title.lower()}</strong> &amp; more.</p><ul><li>{rng.choice(words)}</li></ul>"
        nv = i % 3 + 1
        for v in range(nv):
            r = [""] * len(head)
            r[0] = h
            if v == 0:
                r[1:8] = [title, body, rng.choice(vendors), "", rng.choice(types), f"{rng.choice(words)}, {rng.choice(words)}", "TRUE"]
                r[8], r[10] = "Size", "Colour"
                r[24:27] = [f"https://cdn.example.com/{h}.jpg", "1", title]
                r[30] = "active"
            r[9], r[11] = sizes[v], "Natural"
            r[14] = f"SKU-{i}-{v}"
            r[15:20] = ["250", "shopify", str(rng.randrange(0, 50)), "deny", "manual"]
            r[20] = f"{rng.randrange(100, 20000) / 100:.2f}"
            r[22:24] = ["TRUE", "TRUE"]
            w.writerow(r)
            rows += 1
print(rows)
EOF
ROWS=$(($(wc -l <"$CSV") - 1)) # no quoted line breaks in the generated file
log "$N products, $ROWS rows, $(du -h "$CSV" | cut -f1) in $CSV"

secs() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }

# reference: sqlite3's own CSV import into one plain table
t0=$(secs)
sqlite3 "$TMP/ref.db" ".import --csv $CSV plain"
t1=$(secs)
REF_ROWS=$(sqlite3 "$TMP/ref.db" "SELECT count(*) FROM plain")
((REF_ROWS == ROWS)) || { log "sqlite3 imported $REF_ROWS rows, expected $ROWS"; exit 2; }
REF_S=$(python3 -c "print($t1 - $t0)")

env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/souk.db" >/dev/null 2>&1
run_import() {
  local out
  out=$(env "${BENCH_ENVS[@]}" "$SOUK_BIN" import shopify --db "$TMP/souk.db" --batch "$BATCH" "$CSV" 2> >(cat >&2)) || {
    log "souk import failed: $out"
    exit 2
  }
  printf '%s\n' "$out" >&2
  printf '%s\n' "$out"
}
log "souk import shopify (fresh database), progress on stderr:"
FIRST=$(run_import)
log "souk import shopify again (the idempotent re-run):"
SECOND=$(run_import)
grep -q "; $N created, 0 updated, 0 unchanged, 0 failed; 0 rows with errors" <<<"$FIRST" || { log "first run: $FIRST"; exit 2; }
grep -q "; 0 created, 0 updated, $N unchanged, 0 failed; 0 rows with errors" <<<"$SECOND" || { log "second run: $SECOND"; exit 2; }
t0=$(secs)
env "${BENCH_ENVS[@]}" "$SOUK_BIN" export products --db "$TMP/souk.db" --out "$TMP/export.csv" 2>/dev/null
t1=$(secs)
EXP_S=$(python3 -c "print($t1 - $t0)")
EXP_ROWS=$(($(wc -l <"$TMP/export.csv") - 1))

python3 - "$ROWS" "$REF_S" "$FIRST" "$SECOND" "$EXP_S" "$EXP_ROWS" "$N" <<'EOF'
import re, sys
rows, ref_s, first, second, exp_s, exp_rows, n = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
sec = lambda s: float(re.search(r"; ([\d.]+) s, ", s).group(1))
ref = rows / ref_s
print(f"Shopify CSV import, {n} products / {rows} rows (1-3 variants, an image, stock each)")
print(f"{'':34} {'seconds':>8} {'rows/s':>10} {'vs sqlite3':>11}")
print(f"{'sqlite3 .import (plain table)':34} {ref_s:8.2f} {ref:10.0f} {1.0:10.2f}x")
for name, s in (("souk import shopify (new)", first), ("souk import shopify (re-run)", second)):
    t = sec(s)
    print(f"{name:34} {t:8.2f} {rows / t:10.0f} {rows / t / ref:10.3f}x")
print(f"{'souk export products':34} {exp_s:8.2f} {exp_rows / exp_s:10.0f} {exp_rows / exp_s / ref:10.3f}x  ({exp_rows} rows written)")
EOF
