#!/usr/bin/env bash
# A throw-away Redis server for the tests, on loopback only, keeping nothing on disk.
#   scripts/redis-test.sh start DIR [PORT]   starts redis-server in DIR (made if missing) on PORT,
#                                            or on a free port; prints its URL (redis://127.0.0.1:PORT)
#   scripts/redis-test.sh halt DIR           stops it and keeps DIR (start DIR PORT brings it back)
#   scripts/redis-test.sh stop DIR           stops it and removes DIR
# Exits 3 when redis-server is not installed (apt-get install redis-server).
set -euo pipefail
cmd=${1:?start, halt or stop}
dir=${2:?a directory}
command -v redis-server >/dev/null 2>&1 || { echo "redis-test: no redis-server (apt-get install redis-server)" >&2; exit 3; }

# Sends PING to 127.0.0.1:$1 and reads the answer with bash's /dev/tcp (no redis-cli needed).
answers() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 1 reply <&3 || reply=""
  exec 3<&- 3>&-
  [ "${reply%$'\r'}" = "+PONG" ]
}

halt() {
  [ -f "$dir/redis.pid" ] || return 0
  local pid
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

case "$cmd" in
start)
  mkdir -p "$dir"
  ports=${3:-$(shuf -i 20000-40000 -n 20)}
  for port in $ports; do
    [ -n "${3:-}" ] || ! (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null || continue # taken
    # no RDB snapshots, no AOF: a test server keeps nothing
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null 2>&1 || continue
    for _ in $(seq 1 100); do
      if answers "$port"; then echo "redis://127.0.0.1:$port"; exit 0; fi
      sleep 0.05
    done
    halt
  done
  cat "$dir/redis.log" >&2 2>/dev/null || true
  exit 1
  ;;
halt) halt ;;
stop)
  halt
  rm -rf "$dir"
  ;;
*) echo "redis-test: start, halt or stop" >&2; exit 2 ;;
esac
