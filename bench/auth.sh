#!/usr/bin/env bash
# Authentication benchmark (numbers for the accounts issue):
#  1. GET /api/v1/products/{slug} with a customer's bearer access token vs the
#     same request anonymous, same server, same run -> ratio (goal >= 0.9);
#  2. POST /api/v1/auth/login throughput at the default Argon2id cost
#     (OWASP minimum is 19 MiB, t=2; souk's default is 64 MiB, t=2).
# Rate limits are switched off for the run (they would answer 429 to a load
# test by design). Loopback only; everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SOUK_BIN="${SOUK_BIN:-build/souk}"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${SOUK_THREADS:-2}"
for tool in wrk curl jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps)"; exit 1; }
done
TMP="$(mktemp -d)"
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

"$SOUK_BIN" demo --db "$TMP/souk.db" --products 10000 --seed 1 >/dev/null 2>&1
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SOUK_RATE_LIMIT_IP=0 SOUK_RATE_LIMIT_USER=0 SOUK_RATE_LIMIT_AUTH=0 SOUK_ACCESS_LOG=off \
  "$SOUK_BIN" serve --db "$TMP/souk.db" --listen "127.0.0.1:$PORT" --threads "$THREADS" 2>"$TMP/serve.log" &
PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/healthz" && break; sleep 0.1; done

EMAIL="bench-$RANDOM@example.com"
PASSWORD="bench password 12345"
curl -fs -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >"$TMP/reg.json"
TOKEN="$(jq -r .access_token "$TMP/reg.json")"
SLUG="$(curl -fs "$BASE/api/v1/products?limit=1" | jq -r '.data[0].slug')"
URL="$BASE/api/v1/products/$SLUG"
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL" || { echo "bench: authenticated request failed"; exit 2; }

run() { # run NAME [wrk args...] -> prints req/s p50 p99 non2xx
  wrk -t1 -c"$CONNECTIONS" -d2s "${@:2}" >/dev/null 2>&1 || true
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${@:2}" >"$TMP/$1.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) } /Non-2xx/ { bad = $5 }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }' "$TMP/$1.txt"
}
read -r arps a50 a99 abad < <(run anonymous "$URL")
read -r trps t50 t99 tbad < <(run token -H "Authorization: Bearer $TOKEN" "$URL")
echo "Authenticated vs anonymous product detail (wrk -t1 -c$CONNECTIONS -d$DURATION, souk --threads $THREADS):"
printf '  anonymous      %8.0f req/s  p50 %.2f ms  p99 %.2f ms  non-2xx %d\n' "$arps" "$a50" "$a99" "$abad"
printf '  bearer token   %8.0f req/s  p50 %.2f ms  p99 %.2f ms  non-2xx %d\n' "$trps" "$t50" "$t99" "$tbad"
awk -v a="$arps" -v t="$trps" 'BEGIN { r = t / a; printf "  ratio token/anonymous %.2f (goal >= 0.9): %s\n", r, (r >= 0.9 ? "PASS" : "MISS") }'

cat >"$TMP/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$EMAIL","password":"$PASSWORD"}'
LUA
read -r lrps l50 l99 lbad < <(CONNECTIONS=4 run login -s "$TMP/login.lua" "$BASE/api/v1/auth/login")
echo "Login at the default Argon2id cost (opslimit 2, 64 MiB; SOUK_BLOCKING_THREADS=2), 4 connections:"
printf '  %.0f logins/s  p50 %.1f ms  p99 %.1f ms  non-2xx %d\n' "$lrps" "$l50" "$l99" "$lbad"
[[ "$abad" == 0 && "$tbad" == 0 && "$lbad" == 0 ]] || { echo "bench: errors above"; exit 2; }
