#!/usr/bin/env bash
# Product image derivation (issue 15): BENCH_IMAGES photo-sized JPEGs (BENCH_WIDTH×BENCH_HEIGHT,
# noisy so they compress like photos) uploaded to a server that runs no workers; then one
# `souk worker --threads 1` derives them (160/480/960 px, WebP and JPEG: six files per image) and
# the clock runs until every product shows its srcset. The reference, in the same run, is
# libvips' own `vipsthumbnail` making the same six sizes of the same stored originals (one process
# per size over all the files, so its start-up is paid six times, not six times per image), with
# VIPS_CONCURRENCY=1 as souk uses. Prints images/s of both and the ratio (souk / vipsthumbnail).
#   BENCH_IMAGES (20)  BENCH_WIDTH (2400)  BENCH_HEIGHT (1600)
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
TMP_NAME=images
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools curl jq python3 vips vipsthumbnail
bench_setup
N="${BENCH_IMAGES:-20}"
W="${BENCH_WIDTH:-2400}"
H="${BENCH_HEIGHT:-1600}"
now() { python3 -c 'import time; print(time.monotonic())'; }

log "making $N ${W}x${H} JPEGs"
mkdir -p "$TMP/in"
vips gaussnoise "$TMP/noise.v" "$W" "$H" --sigma 40 --mean 128
vips xyz "$TMP/xyz.v" "$W" "$H"
for i in $(seq "$N"); do
  vips linear "$TMP/xyz.v" "$TMP/g.v" "0.0$((i % 9 + 1)) 0.05" "$((i * 7 % 100)) 20"
  vips bandjoin "$TMP/g.v $TMP/noise.v" "$TMP/c.v"
  vips cast "$TMP/c.v" "$TMP/u.v" uchar
  vips copy "$TMP/u.v" "$TMP/in/photo$i.jpg[Q=85]"
done
rm -f "$TMP"/*.v

env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$TMP/souk.db" >"$TMP/migrate.out" 2>&1 \
  || { log "souk migrate failed:"; tail -n 20 "$TMP/migrate.out" >&2; exit 1; }
printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$TMP/souk.db" \
  --email admin@bench.example --role admin --api-key >"$TMP/user.out" 2>&1 \
  || { log "souk user create failed:"; tail -n 20 "$TMP/user.out" >&2; exit 1; }
KEY="$(sed -n 's/.*admin api key: \(sk_[A-Za-z0-9._~+/=-]*\).*/\1/p' "$TMP/user.out" | head -n1)"
[[ -n "$KEY" ]] || { log "no 'admin api key: sk_…' line from souk user create"; exit 1; }
bench_serve "$TMP/souk.db" --no-workers

log "uploading"
ids=()
t0="$(now)"
for i in $(seq "$N"); do
  id="$(curl -fsS -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"title\":\"Bench photo $i\",\"status\":\"active\"}" "$BASE/api/v1/products" | jq -r .id)"
  curl -fsS -o /dev/null -H "Authorization: Bearer $KEY" -H 'Content-Type: image/jpeg' \
    --data-binary "@$TMP/in/photo$i.jpg" "$BASE/api/v1/products/$id/images"
  ids+=("$id")
done
t1="$(now)"

log "deriving with one souk worker thread"
env "${BENCH_ENVS[@]}" "$SOUK_BIN" worker --db "$TMP/souk.db" --threads 1 >"$TMP/worker.out" 2>"$TMP/worker.log" &
WPID=$!
t2="$(now)"
for id in "${ids[@]}"; do
  until curl -fsS -H "Authorization: Bearer $KEY" "$BASE/api/v1/products/$id" | jq -e '.images[0].srcset != null' >/dev/null; do
    kill -0 "$WPID" 2>/dev/null || { log "souk worker exited:"; tail -n 20 "$TMP/worker.log" >&2; exit 1; }
    sleep 0.05
  done
done
t3="$(now)"
kill -TERM "$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true

log "reference: vipsthumbnail over the same stored originals"
mkdir -p "$TMP/ref"
mapfile -t originals < <(find "$TMP/media" -regextype posix-extended -regex '.*/[0-9a-f]{32}\.jpg')
[[ ${#originals[@]} -eq "$N" ]] || { log "expected $N stored originals, found ${#originals[@]}"; exit 1; }
t4="$(now)"
for w in 160 480 960; do
  VIPS_CONCURRENCY=1 vipsthumbnail --size "${w}x10000000>" -o "$TMP/ref/%s-$w.webp[Q=82,strip]" "${originals[@]}"
  VIPS_CONCURRENCY=1 vipsthumbnail --size "${w}x10000000>" -o "$TMP/ref/%s-$w.jpg[Q=88,strip,optimize_coding]" "${originals[@]}"
done
t5="$(now)"
made="$(find "$TMP/media" -name '*-*.*' | wc -l)"
ref="$(find "$TMP/ref" -type f | wc -l)"

python3 - "$N" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$made" "$ref" "$W" "$H" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, t3, t4, t5 = map(float, sys.argv[2:8]); made, ref = int(sys.argv[8]), int(sys.argv[9])
w, h = sys.argv[10], sys.argv[11]
souk = n / (t3 - t2); vt = n / (t5 - t4)
print(f"== souk image derivation: {n} JPEGs {w}x{h}, six sizes each (160/480/960 px, WebP + JPEG) ==")
print(f"upload (check, strip, store): {n / (t1 - t0):.1f} images/s")
print(f"souk worker (1 thread):        {souk:.2f} images/s ({made} files)")
print(f"vipsthumbnail (reference):     {vt:.2f} images/s ({ref} files)")
print(f"ratio souk / vipsthumbnail:    {souk / vt:.2f}")
PY
