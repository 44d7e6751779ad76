#!/usr/bin/env bash
# souk HTTP benchmark: souk vs. nginx serving the identical bytes from static files.
#
# Usage: bench/http.sh            (normally via `make bench`)
# Environment overrides:
#   SOUK_BIN           souk binary (default build/souk, relative to the repo root)
#   BENCH_DURATION     wrk duration per measured run (default 10s)
#   BENCH_CONNECTIONS  wrk connections (default 64)
#   BENCH_THREADS      wrk threads (default 1)
#   SOUK_THREADS       souk --threads and nginx worker_processes (default 2)
#   BENCH_PRODUCTS     products for the main run (default 10000)
#   BENCH_BIG_PRODUCTS products for the memory run (default 100000; 0 skips it)
#   BENCH_STRICT       1 = exit 1 when a goal is missed (default 0: report only)
#
# Everything listens on 127.0.0.1 only. Exit status: 0 when the benchmark ran
# (goals are reported, not enforced unless BENCH_STRICT=1), 1 on a setup
# failure, 2 when souk answered with errors or nginx did not serve identical bytes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SOUK_BIN="${SOUK_BIN:-build/souk}"
BENCH_DURATION="${BENCH_DURATION:-10s}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-64}"
BENCH_THREADS="${BENCH_THREADS:-1}"
SOUK_THREADS="${SOUK_THREADS:-2}"
BENCH_PRODUCTS="${BENCH_PRODUCTS:-10000}"
BENCH_BIG_PRODUCTS="${BENCH_BIG_PRODUCTS:-100000}"
BENCH_STRICT="${BENCH_STRICT:-0}"
WARMUP_DURATION="2s"
BIG_WARM_DURATION="3s"
DEMO_TIMEOUT="${BENCH_DEMO_TIMEOUT:-900}"   # seconds, per `souk demo`
START_TIMEOUT=30                             # seconds to wait for a server
HOST="127.0.0.1"

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

# ---------------------------------------------------------------- 1. tools
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
JSON_TOOL=""
if command -v jq >/dev/null 2>&1; then
    JSON_TOOL=jq
elif command -v python3 >/dev/null 2>&1; then
    JSON_TOOL=python3
else
    missing+=(jq)
fi
if ((${#missing[@]} > 0)); then
    log "bench: missing tools: ${missing[*]}"
    sudo=""
    ((EUID == 0)) || sudo="sudo "
    log "install them with:  ${sudo}apt-get install -y ${missing[*]}   (or: make deps)"
    exit 1
fi
NGINX="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"

for v in BENCH_CONNECTIONS BENCH_THREADS SOUK_THREADS BENCH_PRODUCTS BENCH_BIG_PRODUCTS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
[[ "$BENCH_DURATION" =~ ^[0-9]+[smh]?$ ]] || die "BENCH_DURATION must look like 10s (got '$BENCH_DURATION')"
((SOUK_THREADS >= 1 && BENCH_THREADS >= 1 && BENCH_CONNECTIONS >= BENCH_THREADS)) \
    || die "need SOUK_THREADS>=1, BENCH_THREADS>=1, BENCH_CONNECTIONS>=BENCH_THREADS"
[[ -x "$SOUK_BIN" ]] || die "souk binary '$SOUK_BIN' not found or not executable (run: make)"

# duration string -> seconds (for the outer timeout around wrk)
dur_seconds() {
    local d="$1" n unit
    n="${d%[smh]}"
    unit="${d#"$n"}"
    case "$unit" in
        m) echo $((n * 60)) ;;
        h) echo $((n * 3600)) ;;
        *) echo "$n" ;;
    esac
}

# ---------------------------------------------------------------- cleanup
TMP="$(mktemp -d "${TMPDIR:-/tmp}/souk-bench.XXXXXX")"
PIDS=()
# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    if ((${#PIDS[@]} > 0)); then
        for pid in "${PIDS[@]}"; do
            kill -TERM "$pid" 2>/dev/null || true
        done
        for pid in "${PIDS[@]}"; do
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        done
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop one process we started (TERM, then KILL after 5 s) and forget it
stop_pid() {
    local pid="$1" p keep=()
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do
        [[ "$p" == "$pid" ]] || keep+=("$p")
    done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# ---------------------------------------------------------------- helpers
# json_get FILE FILTER  (FILTER is one of the names below, not raw jq)
json_get() {
    local file="$1" what="$2"
    if [[ "$JSON_TOOL" == jq ]]; then
        case "$what" in
            first_product_slug) jq -r '.data[0].slug // empty' "$file" ;;
            top_category_slug)
                jq -r '([.data[] | select((.product_count // 0) > 0)][0].slug) // .data[0].slug // empty' "$file" ;;
            listening_port)
                jq -rR 'fromjson? | select(.message == "listening") | .context.port // empty' "$file" | head -n1 ;;
        esac
    else
        python3 - "$file" "$what" <<'PY'
import json, sys
path, what = sys.argv[1], sys.argv[2]
if what == "listening_port":
    for line in open(path, errors="replace"):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and o.get("message") == "listening":
            p = (o.get("context") or {}).get("port")
            if p is not None:
                print(p)
            break
    sys.exit(0)
d = json.load(open(path))["data"]
if what == "first_product_slug":
    print(d[0]["slug"] if d else "")
elif what == "top_category_slug":
    c = [x for x in d if (x.get("product_count") or 0) > 0] or d
    print(c[0]["slug"] if c else "")
PY
    fi
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "could not find a free port"
}

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# run_demo DB PRODUCTS -> prints wall time, leaves output in $TMP/demo-N.out
run_demo() {
    local db="$1" n="$2" t0 t1 out="$TMP/demo-$2.out"
    t0="$(now)"
    if ! timeout "$DEMO_TIMEOUT" "$SOUK_BIN" demo --db "$db" --products "$n" --seed 1 >"$out" 2>&1; then
        log "bench: souk demo --products $n failed; its output:"
        tail -n 20 "$out" >&2 || true
        exit 1
    fi
    t1="$(now)"
    grep -q '^admin api key: sk_' "$out" || log "bench: warning: demo printed no 'admin api key: sk_' line"
    printf 'souk demo --products %s --seed 1: %s s wall\n' "$n" "$(elapsed "$t0" "$t1")"
}

# start_souk DB [CACHE_MB] -> sets SOUK_PID, SOUK_PORT
# The access log is off, as nginx's is (access_log off): both only serve.
# Rate limits are off: by design they answer a load test from one address with 429.
start_souk() {
    local db="$1" cache_mb="${2:-64}" port errlog logged
    port="$(free_port)"
    errlog="$TMP/souk-$port.log"
    SOUK_ACCESS_LOG=off SOUK_CACHE_MB="$cache_mb" SOUK_RATE_LIMIT_IP=0 SOUK_RATE_LIMIT_USER=0 \
        "$SOUK_BIN" serve --listen "$HOST:$port" --db "$db" --threads "$SOUK_THREADS" \
        >"$TMP/souk-$port.out" 2>"$errlog" &
    SOUK_PID=$!
    PIDS+=("$SOUK_PID")
    SOUK_PORT="$port"
    local deadline=$((SECONDS + START_TIMEOUT))
    until curl -fsS --max-time 2 -o /dev/null "http://$HOST:$port/healthz" 2>/dev/null; do
        if ! kill -0 "$SOUK_PID" 2>/dev/null; then
            log "bench: souk serve exited during start-up; stderr:"
            tail -n 20 "$errlog" >&2 || true
            exit 1
        fi
        ((SECONDS < deadline)) || { log "bench: souk did not answer /healthz within ${START_TIMEOUT}s"; tail -n 20 "$errlog" >&2 || true; exit 1; }
        sleep 0.1
    done
    logged="$(json_get "$errlog" listening_port || true)"
    if [[ -n "$logged" && "$logged" != "$port" ]]; then
        log "bench: warning: souk logged port $logged, expected $port"
    elif [[ -z "$logged" ]]; then
        log "bench: warning: no {\"message\":\"listening\"} log line with context.port seen"
    fi
}

rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
fmt_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# fetch URL OUTFILE -> fails unless HTTP 200
fetch() {
    local code
    code="$(curl -sS --max-time 10 -o "$2" -w '%{http_code}' "$1")" || die "curl $1 failed"
    [[ "$code" == 200 ]] || die "GET $1 -> HTTP $code (body: $(head -c 300 "$2"))"
}

# pick_paths BASE -> sets PATH_DETAIL PATH_LIST PATH_CAT
pick_paths() {
    local base="$1" prod cat
    fetch "$base/api/v1/products?limit=24" "$TMP/pick-list.json"
    prod="$(json_get "$TMP/pick-list.json" first_product_slug)"
    [[ -n "$prod" ]] || die "product list is empty"
    fetch "$base/api/v1/categories" "$TMP/pick-cats.json"
    cat="$(json_get "$TMP/pick-cats.json" top_category_slug)"
    [[ -n "$cat" ]] || die "no categories"
    [[ "$prod" =~ ^[a-z0-9-]+$ && "$cat" =~ ^[a-z0-9-]+$ ]] || die "unexpected slug characters: '$prod' '$cat'"
    PATH_DETAIL="/api/v1/products/$prod"
    PATH_LIST="/api/v1/products?limit=24"
    PATH_CAT="/api/v1/products?category=$cat&sort=price_asc&limit=24"
}

# to_ms "1.23ms" -> 1.230
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (match(v, /^[0-9.]+/)) { n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1) } else { print "nan"; exit }
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
        if (f < 0) { print "nan"; exit }
        printf "%.3f", n * f
    }'
}

# run_wrk DURATION URL OUTFILE
run_wrk() {
    local d="$1" url="$2" out="$3" limit
    limit=$(($(dur_seconds "$d") + 30))
    timeout "$limit" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"$d" --latency "$url" >"$out" 2>&1 \
        || { log "bench: wrk failed against $url:"; cat "$out" >&2; exit 1; }
}

# parse_wrk FILE -> "rps p50ms p99ms non2xx socketerrors"
parse_wrk() {
    local f="$1" rps p50 p99 non2xx sockerr
    rps="$(awk '/^Requests\/sec:/ { print $2 }' "$f")"
    p50="$(awk '$1 == "50%" { print $2; exit }' "$f")"
    p99="$(awk '$1 == "99%" { print $2; exit }' "$f")"
    non2xx="$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); print $2 }' "$f")"
    sockerr="$(awk '/Socket errors:/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i + 0; print s }' "$f")"
    printf '%s %s %s %s %s\n' "${rps:-0}" "$(to_ms "${p50:-x}")" "$(to_ms "${p99:-x}")" "${non2xx:-0}" "${sockerr:-0}"
}

# ---------------------------------------------------------------- 2. demo + souk
log "bench: temp dir $TMP; souk threads $SOUK_THREADS; wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d$BENCH_DURATION; $(nproc 2>/dev/null || echo '?') CPUs"
echo "== souk HTTP benchmark ($BENCH_PRODUCTS products) =="
run_demo "$TMP/small.db" "$BENCH_PRODUCTS"
start_souk "$TMP/small.db"
SOUK_BASE="http://$HOST:$SOUK_PORT"
log "bench: souk pid $SOUK_PID on $SOUK_BASE"

# ---------------------------------------------------------------- 3. URLs
pick_paths "$SOUK_BASE"
NAMES=(detail list category)
PATHS=("$PATH_DETAIL" "$PATH_LIST" "$PATH_CAT")
GOALS=(0.8 0.5 0.5)

# ---------------------------------------------------------------- 4. nginx
NG="$TMP/nginx"
mkdir -p "$NG/html" "$NG/logs" "$NG/tmp"
chmod 755 "$TMP" "$NG" "$NG/html"   # nginx workers may run as an unprivileged user
NGINX_PORT="$(free_port)"
MAP_LINES=""
for i in "${!NAMES[@]}"; do
    fetch "$SOUK_BASE${PATHS[$i]}" "$NG/html/${NAMES[$i]}.json"
    chmod 644 "$NG/html/${NAMES[$i]}.json"
    MAP_LINES+="        \"${PATHS[$i]}\" /${NAMES[$i]}.json;"$'\n'
done
cat >"$NG/nginx.conf" <<EOF
worker_processes $SOUK_THREADS;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    default_type application/json;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    open_file_cache max=64 inactive=60s;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    map_hash_bucket_size 512;
    # exact request URI (path + query string) -> file
    map \$request_uri \$bench_file {
        default "";
$MAP_LINES    }
    server {
        listen $HOST:$NGINX_PORT;
        root $NG/html;
        location / {
            if (\$bench_file = "") { return 404; }
            try_files \$bench_file =404;
        }
    }
}
EOF
"$NGINX" -t -q -p "$NG" -e "$NG/logs/error.log" -c "$NG/nginx.conf" \
    || die "nginx config test failed (config: $NG/nginx.conf)"
"$NGINX" -p "$NG" -e "$NG/logs/error.log" -c "$NG/nginx.conf" >"$NG/logs/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NGINX_BASE="http://$HOST:$NGINX_PORT"
deadline=$((SECONDS + START_TIMEOUT))
until curl -sS --max-time 2 -o /dev/null "$NGINX_BASE/" 2>/dev/null; do
    kill -0 "$NGINX_PID" 2>/dev/null || { log "bench: nginx exited:"; cat "$NG/logs/error.log" >&2 || true; exit 1; }
    ((SECONDS < deadline)) || die "nginx did not start within ${START_TIMEOUT}s"
    sleep 0.1
done
log "bench: nginx pid $NGINX_PID on $NGINX_BASE"

status=0
for i in "${!NAMES[@]}"; do
    fetch "$NGINX_BASE${PATHS[$i]}" "$TMP/check-${NAMES[$i]}.json"
    if ! cmp -s "$NG/html/${NAMES[$i]}.json" "$TMP/check-${NAMES[$i]}.json"; then
        log "bench: nginx body for ${PATHS[$i]} differs from souk's"
        status=2
    fi
done
((status == 0)) || exit 2

echo "URLs:"
for i in "${!NAMES[@]}"; do
    printf '  %-9s %s  (%s bytes)\n' "${NAMES[$i]}" "${PATHS[$i]}" "$(wc -c <"$NG/html/${NAMES[$i]}.json" | tr -d ' ')"
done

# ---------------------------------------------------------------- 5. load
declare -A R
for i in "${!NAMES[@]}"; do
    for server in souk nginx; do
        if [[ "$server" == souk ]]; then base="$SOUK_BASE"; else base="$NGINX_BASE"; fi
        url="$base${PATHS[$i]}"
        log "bench: ${NAMES[$i]} @ $server: warm-up $WARMUP_DURATION, then $BENCH_DURATION"
        run_wrk "$WARMUP_DURATION" "$url" "$TMP/wrk-warm-$server-${NAMES[$i]}.txt"
        run_wrk "$BENCH_DURATION" "$url" "$TMP/wrk-$server-${NAMES[$i]}.txt"
        read -r rps p50 p99 non2xx sockerr < <(parse_wrk "$TMP/wrk-$server-${NAMES[$i]}.txt")
        R[$server,$i,rps]="$rps"; R[$server,$i,p50]="$p50"; R[$server,$i,p99]="$p99"
        R[$server,$i,err]="$non2xx"; R[$server,$i,sock]="$sockerr"
        read -r _ _ _ wnon2xx _ < <(parse_wrk "$TMP/wrk-warm-$server-${NAMES[$i]}.txt")
        if [[ "$non2xx" != 0 || "$wnon2xx" != 0 ]]; then
            log "bench: $server answered non-2xx on ${PATHS[$i]}: $non2xx (warm-up: $wnon2xx)"
            status=2
        fi
        if [[ "$sockerr" != 0 ]]; then
            log "bench: warning: $server socket errors on ${PATHS[$i]}: $(grep 'Socket errors' "$TMP/wrk-$server-${NAMES[$i]}.txt")"
        fi
        if [[ "$rps" == 0 ]]; then
            log "bench: no Requests/sec from wrk for $server ${PATHS[$i]}:"
            cat "$TMP/wrk-$server-${NAMES[$i]}.txt" >&2
            status=2
        fi
    done
done
kill -0 "$SOUK_PID" 2>/dev/null || { log "bench: souk died under load"; tail -n 20 "$TMP/souk-$SOUK_PORT.log" >&2 || true; exit 2; }
SMALL_RSS="$(rss_kib "$SOUK_PID")"

# ---------------------------------------------------------------- 6. table
echo
echo "Results (wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d$BENCH_DURATION; souk --threads $SOUK_THREADS; nginx worker_processes $SOUK_THREADS; $(nproc 2>/dev/null || echo '?') CPUs):"
printf '%-9s %11s %11s %7s %17s %17s  %-24s %s\n' \
    endpoint "souk req/s" "nginx req/s" ratio "souk p50/p99 ms" "nginx p50/p99 ms" goal result
missed=0
for i in "${!NAMES[@]}"; do
    line="$(awk -v sr="${R[souk,$i,rps]}" -v nr="${R[nginx,$i,rps]}" -v g="${GOALS[$i]}" \
        -v s50="${R[souk,$i,p50]}" -v s99="${R[souk,$i,p99]}" \
        -v n50="${R[nginx,$i,p50]}" -v n99="${R[nginx,$i,p99]}" -v err="${R[souk,$i,err]}" \
        -v name="${NAMES[$i]}" 'BEGIN {
            ratio = (nr > 0) ? sr / nr : 0
            ok = (ratio >= g && s99 != "nan" && s99 + 0 < 10 && err + 0 == 0)
            goal = sprintf("ratio>=%.1f, p99<10ms", g)
            printf "%-9s %11.0f %11.0f %7.2f %17s %17s  %-24s %s\n", name, sr, nr, ratio,
                sprintf("%.2f/%.2f", s50, s99), sprintf("%.2f/%.2f", n50, n99), goal, ok ? "PASS" : "MISS"
        }')"
    echo "$line"
    [[ "$line" == *PASS ]] || missed=1
done
echo
echo "souk RSS after load ($BENCH_PRODUCTS products): $(fmt_mib "$SMALL_RSS") (VmRSS $SMALL_RSS kB)"

stop_pid "$NGINX_PID"
stop_pid "$SOUK_PID"

# ------------------------------------------------- 6b. without the response cache
# For reference (no goal): the same requests when every one runs SQL and
# renders JSON, as after a write has emptied the cache.
echo
echo "Without the response cache (SOUK_CACHE_MB=0; every request queries SQLite and renders JSON):"
start_souk "$TMP/small.db" 0
UNCACHED_BASE="http://$HOST:$SOUK_PORT"
for i in "${!NAMES[@]}"; do
    run_wrk "$WARMUP_DURATION" "$UNCACHED_BASE${PATHS[$i]}" "$TMP/wrk-uncached-warm-${NAMES[$i]}.txt"
    run_wrk "$BENCH_DURATION" "$UNCACHED_BASE${PATHS[$i]}" "$TMP/wrk-uncached-${NAMES[$i]}.txt"
    read -r rps p50 p99 non2xx _ < <(parse_wrk "$TMP/wrk-uncached-${NAMES[$i]}.txt")
    awk -v name="${NAMES[$i]}" -v r="$rps" -v nr="${R[nginx,$i,rps]}" -v a="$p50" -v b="$p99" -v e="$non2xx" \
        'BEGIN { printf "  %-9s %8.0f req/s  (%.2f x nginx)  p50 %.2f ms  p99 %.2f ms  non-2xx %s\n", name, r, (nr > 0 ? r / nr : 0), a, b, e }'
    [[ "$non2xx" == 0 ]] || status=2
done
stop_pid "$SOUK_PID"

# ---------------------------------------------------------------- 7. big store
if ((BENCH_BIG_PRODUCTS > 0)); then
    echo
    echo "== memory with $BENCH_BIG_PRODUCTS products =="
    run_demo "$TMP/big.db" "$BENCH_BIG_PRODUCTS"
    start_souk "$TMP/big.db"
    BIG_BASE="http://$HOST:$SOUK_PORT"
    pick_paths "$BIG_BASE"
    BIG_PATHS=("$PATH_DETAIL" "$PATH_LIST" "$PATH_CAT")
    for i in "${!NAMES[@]}"; do
        run_wrk "$BIG_WARM_DURATION" "$BIG_BASE${BIG_PATHS[$i]}" "$TMP/wrk-big-${NAMES[$i]}.txt"
        read -r rps p50 p99 non2xx _ < <(parse_wrk "$TMP/wrk-big-${NAMES[$i]}.txt")
        printf '  warm %-9s %8.0f req/s  p50 %.2f ms  p99 %.2f ms  non-2xx %s\n' "${NAMES[$i]}" "$rps" "$p50" "$p99" "$non2xx"
        if [[ "$non2xx" != 0 ]]; then
            log "bench: souk answered non-2xx on ${BIG_PATHS[$i]} ($BENCH_BIG_PRODUCTS products)"
            status=2
        fi
    done
    kill -0 "$SOUK_PID" 2>/dev/null || { log "bench: souk died under load"; exit 2; }
    BIG_RSS="$(rss_kib "$SOUK_PID")"
    echo "souk RSS after warm-up ($BENCH_BIG_PRODUCTS products): $(fmt_mib "$BIG_RSS") (VmRSS $BIG_RSS kB)"
    stop_pid "$SOUK_PID"
fi

if ((status != 0)); then
    echo "bench: FAILED (errors above)"
    exit "$status"
fi
if ((missed)); then
    echo "bench: some goals MISSED (numbers depend on the machine; see bench/README.md)"
    ((BENCH_STRICT == 1)) && exit 1
fi
exit 0
