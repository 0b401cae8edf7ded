#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and development (issue 14, ADR 0010).
#
#   scripts/pg-cluster.sh start   initdb a cluster in a temp dir (once), start it on a free
#                                 loopback port, create the database, print its DATABASE_URL
#   scripts/pg-cluster.sh url     print the DATABASE_URL of the running cluster
#   scripts/pg-cluster.sh stop    stop the cluster and delete its directory (idempotent)
#
# The cluster runs as a non-root user: PostgreSQL refuses to run as root, so as root the
# server runs as Debian's `postgres` system user (runuser); as any other user, as that user.
# Authentication is `trust` on loopback only (no password to leak; nothing listens outside
# 127.0.0.1 and the cluster's own socket directory).
#
# Environment: PG_CLUSTER_DIR (default /tmp/agentcron-pg, the cluster's state lives in it),
# PG_BIN (default /usr/lib/postgresql/15/bin), PG_DATABASE (default agentcron).
set -euo pipefail

DIR="${PG_CLUSTER_DIR:-/tmp/agentcron-pg}"
BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DB="${PG_DATABASE:-agentcron}"
DATA="$DIR/data"
SOCK="$DIR/sock"
PORT_FILE="$DIR/port"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

owner_name() {
  if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

url() {
  [ -f "$PORT_FILE" ] || { echo "pg-cluster: not started ($DIR)" >&2; exit 1; }
  echo "postgres://$(owner_name)@127.0.0.1:$(cat "$PORT_FILE")/$DB"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

running() {
  [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  [ -x "$BIN/initdb" ] || { echo "pg-cluster: $BIN/initdb missing (apt-get install -y postgresql)" >&2; exit 1; }
  if running; then url; return; fi
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; chmod 700 "$DIR"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner mkdir -p "$SOCK"
    as_owner "$BIN/initdb" -D "$DATA" --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  local port
  port="$(free_port)"
  # fsync off: a test cluster trades durability for speed; its data dies with the run anyway.
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
  echo "$port" >"$PORT_FILE"
  if ! as_owner "$BIN/psql" -h "$SOCK" -p "$port" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    as_owner "$BIN/createdb" -h "$SOCK" -p "$port" "$DB"
  fi
  url
}

stop() {
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
