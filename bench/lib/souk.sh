# What the shell benchmarks of bench/ share; source it after setting SOUK_BIN and TMP_NAME.
#   bench_tools node curl …   exits 1 naming a tool that is missing
#   bench_setup               makes $TMP (removed at exit, with the server stopped)
#   bench_serve DB [ARGS…]    starts `souk serve` on DB at a free loopback port: $PID, $BASE
# BENCH_ENVS holds the environment every souk command of a benchmark runs with.
BENCH_ENVS=(SOUK_RATE_LIMIT_IP=0 SOUK_RATE_LIMIT_USER=0 SOUK_RATE_LIMIT_AUTH=0 SOUK_ACCESS_LOG=off
            SOUK_PAYMENT_GATEWAY=test SOUK_ARGON2_MEMLIMIT_MB=19)

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
  env "${BENCH_ENVS[@]}" "$SOUK_BIN" serve --db "$db" --listen "127.0.0.1:$port" --threads "${SOUK_THREADS:-2}" "$@" \
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
