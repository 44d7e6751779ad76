#!/usr/bin/env bash
# A throw-away PostgreSQL primary with a streaming read replica, on loopback only,
# for tests of SOUK_DB_REPLICA (tests/api/replica.test.js).
#   scripts/pg-replica-test.sh start DIR   the primary (scripts/pg-test.sh in DIR/primary:
#                                          wal_level=replica is its default), then
#                                          pg_basebackup -R of it into DIR/replica, started
#                                          on another free port as a hot standby; prints two
#                                          lines: the primary's DSN, the replica's DSN
#   scripts/pg-replica-test.sh halt DIR    stops the replica only (the primary goes on)
#   scripts/pg-replica-test.sh stop DIR    stops both and removes DIR
# The replication connection is the test role 'souk' (a superuser, so it may replicate)
# from 127.0.0.1, trusted like every connection of the test server: pg_hba.conf gets the
# line a real deployment writes with a password instead (docs/deploy.md).
set -euo pipefail
cmd=${1:?start, halt or stop}
dir=${2:?a directory}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_basebackup" ] || { echo "pg-replica-test: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  primary=$("$here/pg-test.sh" start "$dir/primary")
  pport=${primary##*:}
  echo "host replication souk 127.0.0.1/32 trust" >>"$dir/primary/data/pg_hba.conf"
  as_owner "$bin/pg_ctl" -D "$dir/primary/data" reload >/dev/null
  # -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica
  as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$pport" -U souk -D "$dir/replica" -R -X stream -c fast \
    >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  for port in $(shuf -i 20000-40000 -n 20); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && continue # taken
    if as_owner "$bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -t 30 \
         -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c hot_standby=on -c max_connections=200" \
         start >/dev/null 2>&1; then
      echo "$primary"
      echo "postgresql://souk@127.0.0.1:$port"
      exit 0
    fi
  done
  cat "$dir/replica.log" >&2
  exit 1
  ;;
halt)
  [ -d "$dir/replica" ] && as_owner "$bin/pg_ctl" -D "$dir/replica" -m immediate -w stop >/dev/null 2>&1 || true
  ;;
stop)
  [ -d "$dir/replica" ] && as_owner "$bin/pg_ctl" -D "$dir/replica" -m fast -w stop >/dev/null 2>&1 || true
  "$here/pg-test.sh" stop "$dir/primary"
  rm -rf "$dir"
  ;;
*) echo "pg-replica-test: start, halt or stop" >&2; exit 2 ;;
esac
