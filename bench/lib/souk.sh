# What the shell benchmarks of bench/ share; source it after setting SOUK_BIN and TMP_NAME.
#   bench_tools node curl …   exits 1 naming a tool that is missing
#   bench_setup               makes $TMP (removed at exit, with the server stopped)
#   bench_serve DB [ARGS…]    starts `souk serve` on DB at a free loopback port: $PID, $BASE
#   bench_wrk URL [ARGS…]     wrk at BENCH_CONNECTIONS for BENCH_DURATION: "req/s p50 p99 non2xx"
#   bench_nginx LOCATIONS     nginx serving $TMP/nginx/html: $NGINX_BASE, $NGINX_PID
# BENCH_ENVS holds the environment every souk command of a benchmark runs with.
# BENCH_SPLIT_CPUS=1 keeps the load generator off the server's cores: wrk runs on one thread pinned
# to CPU 0, souk serve and nginx are pinned to the other CPUs (SOUK_THREADS defaults to their
# count). Without it (the default) both share every core, as they would on a small box.
BENCH_ENVS=(SOUK_RATE_LIMIT_IP=0 SOUK_RATE_LIMIT_USER=0 SOUK_RATE_LIMIT_AUTH=0 SOUK_ACCESS_LOG=off
            SOUK_PAYMENT_GATEWAY=test SOUK_ARGON2_MEMLIMIT_MB=19)

if [[ "${BENCH_SPLIT_CPUS:-0}" == 1 ]]; then
  (($(nproc) >= 2)) || { printf 'bench: BENCH_SPLIT_CPUS needs 2 CPUs or more\n' >&2; exit 1; }
  BENCH_SERVER_CMD=(taskset -c "1-$(($(nproc) - 1))")
  BENCH_WRK_CMD=(taskset -c 0 wrk -t1)
  BENCH_WRK_DESC="wrk -t1 on CPU 0, server on CPUs 1-$(($(nproc) - 1))"
  SOUK_THREADS="${SOUK_THREADS:-$(($(nproc) - 1))}"
else
  BENCH_SERVER_CMD=()
  BENCH_WRK_CMD=(wrk -t2)
  BENCH_WRK_DESC="wrk -t2 sharing the cores"
fi

log() { printf 'bench: %s\n' "$*" >&2; }

bench_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { log "$tool missing (make deps)"; exit 1; }
  done
  [[ -x "$SOUK_BIN" ]] || { log "souk binary '$SOUK_BIN' not found or not executable (run: make)"; exit 1; }
}

# shellcheck disable=SC2317  # invoked from the EXIT trap
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "${NGINX_PID:-}" ]] && kill "$NGINX_PID" 2>/dev/null
  if [[ -n "${PID:-}" ]]; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}

bench_setup() {
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/souk-bench-${TMP_NAME:-run}.XXXXXX")"
  PID=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_serve() {
  local db="$1"
  shift
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  BASE="http://127.0.0.1:$port"
  "${BENCH_SERVER_CMD[@]}" env "${BENCH_ENVS[@]}" "$SOUK_BIN" serve --db "$db" --listen "127.0.0.1:$port" --threads "${SOUK_THREADS:-2}" "$@" \
    >"$TMP/serve.out" 2>"$TMP/serve.log" &
  PID=$!
  for _ in $(seq 300); do
    curl -fs -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || { log "souk serve exited during start-up:"; tail -n 20 "$TMP/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  log "souk serve did not answer /healthz"
  exit 1
}

# bench_wrk_stats FILE: "REQ/S P50_MS P99_MS NON2XX" of a `wrk --latency` report.
bench_wrk_stats() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) } /Non-2xx/ { bad = $5 }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }' "$1"
}

# bench_wrk URL [WRK ARGS…]: a 2 s warm-up, then BENCH_DURATION (10s) at BENCH_CONNECTIONS (64) on two
# wrk threads (one pinned to CPU 0 with BENCH_SPLIT_CPUS=1); prints bench_wrk_stats of the measured run.
bench_wrk() {
  local url="$1"
  shift
  "${BENCH_WRK_CMD[@]}" -c"${BENCH_CONNECTIONS:-64}" -d2s "$@" "$url" >/dev/null 2>&1 || true
  "${BENCH_WRK_CMD[@]}" -c"${BENCH_CONNECTIONS:-64}" -d"${BENCH_DURATION:-10s}" --latency "$@" "$url" >"$TMP/wrk.txt"
  bench_wrk_stats "$TMP/wrk.txt"
}

# bench_nginx LOCATIONS: starts nginx (SOUK_THREADS workers, no logs) on a free loopback port with
# root $TMP/nginx/html (put the files there first) and the server block lines LOCATIONS; sets
# NGINX_BASE and NGINX_PID (stopped at exit by bench_cleanup).
bench_nginx() {
  local ng="$TMP/nginx" port nginx
  nginx="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"
  [[ -x "$nginx" ]] || { log "nginx missing (make deps)"; exit 1; }
  mkdir -p "$ng/html" "$ng/logs" "$ng/tmp"
  chmod 755 "$TMP" "$ng" "$ng/html"
  chmod 644 "$ng/html/"* 2>/dev/null || true
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  cat >"$ng/nginx.conf" <<CONF
worker_processes ${SOUK_THREADS:-2};
daemon off;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/json;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $ng/html;
$1
    }
}
CONF
  "${BENCH_SERVER_CMD[@]}" "$nginx" -p "$ng" -e "$ng/logs/error.log" -c "$ng/nginx.conf" >"$ng/logs/stdout.log" 2>&1 &
  NGINX_PID=$!
  NGINX_BASE="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    curl -s -o /dev/null "$NGINX_BASE/" && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || { log "nginx exited:"; cat "$ng/logs/error.log" >&2; exit 1; }
    sleep 0.1
  done
  log "nginx did not start"
  exit 1
}
