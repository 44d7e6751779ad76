#!/usr/bin/env bash
# Several nodes on one PostgreSQL (issue 14): whole purchases per second with one `souk serve`
# and with two on the same database, in one run, and their ratio.
#
# Starts a throw-away PostgreSQL on loopback (scripts/pg-test.sh), makes a database, then
#  1. one node: bench/purchase_load.mjs (BENCH_PHASES, default buyers:16) against it;
#  2. a second node on the same database: the same load spread over both with no stickiness
#     (BENCH_BASES: a purchase's cart is made on one node and checked out on the other);
#  3. the same two nodes behind nginx (an upstream of both, as docs/deploy.md; BENCH_NGINX=0
#     skips it): the same load through nginx;
#  4. `souk audit verify`: the chain both nodes appended to is whole.
# Every phase ends with purchase_load's integrity checks (no order lost or doubled, nothing
# oversold). On this 2-core machine the two nodes, PostgreSQL and the load generator share
# the cores: the ratio says what a second node costs or gains here, not on separate machines.
#
# Usage: bench/nodes.sh
# Environment overrides:
#   SOUK_BIN         souk binary (default build/souk)
#   BENCH_DURATION   each measured phase (default 10s)
#   BENCH_PHASES     purchase phases (default buyers:16)
#   SOUK_THREADS     souk --threads per node (default 2)
#   SOUK_GROUP_COMMIT  0 runs both nodes without group commit (default: on)
# Exit status: 0 ran, 1 setup failure, 2 integrity failure or unexpected answers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
export BENCH_DURATION="${BENCH_DURATION:-10s}"
export BENCH_PHASES="${BENCH_PHASES:-buyers:16}"
[[ -n "${SOUK_GROUP_COMMIT:-}" ]] && export SOUK_GROUP_COMMIT

TMP_NAME=nodes
# shellcheck source=bench/lib/souk.sh
. bench/lib/souk.sh
bench_tools node curl python3 psql
bench_setup
PGDIR="$(mktemp -d "${TMPDIR:-/tmp}/souk-bench-pg.XXXXXX")"
PID2=""
# shellcheck disable=SC2317  # invoked from the EXIT trap
stop_all() {
  [[ -n "$PID2" ]] && { kill -TERM "$PID2" 2>/dev/null || true; wait "$PID2" 2>/dev/null || true; }
  scripts/pg-test.sh stop "$PGDIR" || true
  bench_cleanup
}
trap stop_all EXIT

PG="$(scripts/pg-test.sh start "$PGDIR")"
psql "$PG/postgres" -q -c 'CREATE DATABASE souk_bench' >/dev/null
DB="$PG/souk_bench"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/key"
echo >>"$TMP/key"
chmod 600 "$TMP/key"
BENCH_ENVS+=("SOUK_KEY_FILE=$TMP/key")
env "${BENCH_ENVS[@]}" "$SOUK_BIN" migrate --db "$DB" >/dev/null 2>"$TMP/migrate.log" || { cat "$TMP/migrate.log" >&2; exit 1; }
KEY="$(printf 'bench admin password 1\n' | env "${BENCH_ENVS[@]}" "$SOUK_BIN" user create --db "$DB" \
         --email bench@example.com --role admin --api-key 2>/dev/null | sed -n 's/.*admin api key: \(sk_[^ ]*\).*/\1/p')"
[[ -n "$KEY" ]] || { log "no admin key"; exit 1; }

run_load() { # NAME BASES: purchase_load's PHASE lines, prefixed with NAME, into $TMP/NAME.out
  local name="$1" bases="$2" out rc=0
  out="$(BENCH_BASES="$bases" BENCH_ADMIN_KEY="$KEY" node bench/purchase_load.mjs 2>"$TMP/load-$name.log")" || rc=$?
  if [[ $rc -ne 0 ]]; then
    log "$name: purchase_load exited with $rc"
    tail -n 20 "$TMP/load-$name.log" >&2
    log "the servers' last errors:"
    cat "$TMP/serve.log" "$TMP/serve2.log" 2>/dev/null | grep '"level":"error"' | grep -v '"message":"request"' | sort -u -k4 | tail -n 30 >&2 || true
    exit 2
  fi
  printf '%s\n' "$out" | sed -n "s/^PHASE /$name /p" >"$TMP/$name.out"
}

bench_serve "$DB"
BASE1="$BASE"
run_load one_node "$BASE1"
ONE="$(cat "$TMP/one_node.out")"
echo "$ONE"

# the second node, on the same database
port2="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE2="http://127.0.0.1:$port2"
env "${BENCH_ENVS[@]}" "$SOUK_BIN" serve --db "$DB" --listen "127.0.0.1:$port2" --threads "${SOUK_THREADS:-2}" \
  >"$TMP/serve2.out" 2>"$TMP/serve2.log" &
PID2=$!
for _ in $(seq 300); do
  curl -fs -o /dev/null "$BASE2/healthz" 2>/dev/null && break
  kill -0 "$PID2" 2>/dev/null || { log "the second node exited:"; tail -n 20 "$TMP/serve2.log" >&2; exit 1; }
  sleep 0.1
done
run_load two_nodes "$BASE1,$BASE2"
TWO="$(cat "$TMP/two_nodes.out")"
echo "$TWO"

# the same two nodes behind nginx, as docs/deploy.md runs them (plain HTTP on loopback)
if [[ "${BENCH_NGINX:-1}" == 1 ]] && { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; }; then
  ng="$TMP/nginx"
  mkdir -p "$ng/logs"
  nport="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  cat >"$ng/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $ng; proxy_temp_path $ng; fastcgi_temp_path $ng; uwsgi_temp_path $ng; scgi_temp_path $ng;
    upstream souk {
        server ${BASE1#http://} max_fails=3 fail_timeout=10s;
        server ${BASE2#http://} max_fails=3 fail_timeout=10s;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$nport;
        location / {
            proxy_pass http://souk;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }
    }
}
CONF
  "$(command -v nginx || echo /usr/sbin/nginx)" -p "$ng" -c "$ng/nginx.conf" 2>"$ng/logs/start.log" &
  NGINX_PID=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$nport/healthz" 2>/dev/null && break; sleep 0.1; done
  run_load two_nodes_nginx "http://127.0.0.1:$nport"
  cat "$TMP/two_nodes_nginx.out"
  kill "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  NGINX_PID=""
fi

env "${BENCH_ENVS[@]}" "$SOUK_BIN" audit verify --db "$DB" >"$TMP/verify.out" 2>&1 || { log "audit verify failed:"; cat "$TMP/verify.out" >&2; exit 2; }
log "audit verify: $(tail -n 1 "$TMP/verify.out")"
# ratio per phase: two nodes / one node
paste <(echo "$ONE") <(echo "$TWO") | awk '{
  for (i = 1; i <= NF; i++) if ($i ~ /^purchases_per_s=/) { split($i, kv, "="); v[++n] = kv[2] }
  printf "RATIO %s two_nodes/one_node=%.2f\n", $2, v[2] / v[1]; n = 0 }'
