#!/usr/bin/env bash
# One-shot Temporal set-up for docker-compose.yml, run in the temporalio/admin-tools image (which
# carries temporal-sql-tool, the versioned SQL schemas and the temporal CLI):
#
#   temporal-setup.sh schema      create the `temporal` and `temporal_visibility` databases if missing
#                                 and bring both schemas to this release's version (before the server)
#   temporal-setup.sh namespace   create the namespace and hookflow's search attributes (after it)
#
# Both steps are idempotent, so every `docker compose up` runs them again; an upgraded image then
# applies its newer schema steps before the new server starts. Every wait is bounded.
set -euo pipefail

: "${POSTGRES_HOST:=postgres}" "${POSTGRES_PORT:=5432}" "${POSTGRES_USER:?}" "${POSTGRES_PWD:?}"
: "${TEMPORAL_ADDRESS:=temporal:7233}" "${TEMPORAL_NAMESPACE:=default}" "${NAMESPACE_RETENTION:=7d}"
SCHEMA_ROOT=${TEMPORAL_HOME:-/etc/temporal}/schema/postgresql/v12
# The names hookflow filters on. `hookflow migrate` registers the same ones from the code
# (workflows/search-attributes.ts); a unit test keeps this list equal to that one.
SEARCH_ATTRIBUTES=(HookflowStatus HookflowSubscriptionId HookflowEventId HookflowEventType HookflowTenantId)

log() { echo "[temporal-setup] $*" >&2; }
# retry SECONDS DESCRIPTION COMMAND...: once a second until it succeeds, fail after SECONDS.
retry() {
  local limit=$1 what=$2; shift 2
  for ((i = 0; i < limit; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  log "timed out after ${limit}s waiting for $what"; return 1
}
sqltool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_HOST" -p "$POSTGRES_PORT" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"
}

schema() {
  for db in temporal temporal_visibility; do
    local dir=temporal; [[ $db == temporal_visibility ]] && dir=visibility
    # Fails when the database exists already, which is the normal case after the first start.
    sqltool --db "$db" create-database >/dev/null 2>&1 && log "created database $db"
    # Version 0.0 only creates the version bookkeeping when it is missing; update-schema then
    # applies every versioned step not applied yet, in order.
    sqltool --db "$db" setup-schema -v 0.0
    sqltool --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
    log "database $db is at this release's schema"
  done
}

namespace() {
  export TEMPORAL_ADDRESS
  retry 120 "the Temporal frontend at $TEMPORAL_ADDRESS" temporal operator cluster health
  if ! temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
    temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$NAMESPACE_RETENTION"
    log "created namespace $TEMPORAL_NAMESPACE (retention $NAMESPACE_RETENTION)"
  fi
  # A namespace just created is not in every frontend's cache for some seconds: retry each.
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    retry 60 "search attribute $name" ensure_search_attribute "$name"
  done
  log "namespace $TEMPORAL_NAMESPACE has hookflow's search attributes"
}
ensure_search_attribute() {
  temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" | grep -qw "$1" ||
    temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$1" --type Keyword
}

case "${1:-}" in
  schema) schema ;;
  namespace) namespace ;;
  *) echo "usage: $0 schema|namespace" >&2; exit 2 ;;
esac
