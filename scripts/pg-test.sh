#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite, on loopback only.
#   scripts/pg-test.sh start DIR   creates a cluster in DIR, starts it on a free port,
#                                  prints its DSN (postgresql://souk@127.0.0.1:PORT)
#   scripts/pg-test.sh stop DIR    stops it and removes DIR
# Debian's server binaries live in /usr/lib/postgresql/<version>/bin. The server
# refuses to run as root, so as root it runs as the 'postgres' user the package made.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?a directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg-test: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U souk --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  for port in $(shuf -i 20000-40000 -n 20); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && continue # taken
    # fsync off: a test database need not survive a power cut, and it is much faster
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
         -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
         start >/dev/null 2>&1; then
      echo "postgresql://souk@127.0.0.1:$port"
      exit 0
    fi
  done
  cat "$dir/server.log" >&2
  exit 1
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "pg-test: start or stop" >&2; exit 2 ;;
esac
