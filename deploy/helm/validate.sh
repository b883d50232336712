#!/usr/bin/env bash
# Validates what can be validated without a cluster or a Docker engine, for CI (.ci/run):
#   1. the Helm chart: `helm lint --strict`, then `helm template` with the default values and with
#      deploy/helm/all-options.values.yaml; every rendered object is checked twice, offline:
#      against the Kubernetes OpenAPI schemas (validate-schemas.ts: required fields, types, enums,
#      KEDA's kinds too) and by strict decoding into the Kubernetes API's Go types (kube-strict:
#      unknown, misspelt or duplicate fields);
#   2. docker-compose.yml: `docker compose config` (parsing, interpolation, the compose schema).
# Helm, kube-strict and the compose plug-in are built from the Go module proxy once per machine and
# kept in the cache directory, like the Temporal CLI; a cached run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

HELM_VERSION=v3.21.4
COMPOSE_VERSION=v5.6.0
KUBE_VERSION=1.31.0 # the oldest Kubernetes the chart is rendered for (Chart.yaml says >= 1.25)
cache="${HOOKFLOW_CACHE_DIR:-$HOME/.cache/hookflow}"
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=0
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "[deploy-validate] $*" >&2; }

# go_tool NAME CACHED_FILE BUILD...: the cached binary, or build it once into the cache.
go_tool() {
  local name=$1 file=$2; shift 2
  if [[ ! -x $file ]]; then
    log "building $name (once per machine; log: $work/$name.log)"
    local started=$SECONDS
    "$@" >"$work/$name.log" 2>&1 || { tail -20 "$work/$name.log" >&2; exit 1; }
    log "built $name in $((SECONDS - started)) s"
  fi
}

helm=$cache/helm-$HELM_VERSION
go_tool helm "$helm" bash -c "GOBIN='$work/bin' go install 'helm.sh/helm/v3/cmd/helm@$HELM_VERSION' && cp '$work/bin/helm' '$helm'"

strict_src=deploy/helm/kube-strict
strict=$cache/kube-strict-$(cat "$strict_src"/go.mod "$strict_src"/go.sum "$strict_src"/main.go | sha256sum | cut -c1-12)
go_tool kube-strict "$strict" bash -c "cd '$strict_src' && go build -trimpath -o '$strict' ."

# The checkers must be able to fail: each refuses an object with the kind of mistake it is for.
unknown_field='{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":80,"targetport":8080}]}}'
wrong_type='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad"},"spec":{"replicas":"two","selector":{},"template":{"spec":{"containers":[{"name":"a","image":"b"}]}}}}'
missing_field='{"apiVersion":"keda.sh/v1alpha1","kind":"ScaledObject","metadata":{"name":"bad"},"spec":{"triggers":[]}}'
if "$strict" <<<"$unknown_field" >/dev/null 2>&1; then log "kube-strict accepted an unknown field"; exit 1; fi
for bad in "$wrong_type" "$missing_field"; do
  if npx tsx deploy/helm/validate-schemas.ts <<<"$bad" >/dev/null 2>&1; then log "the schema check accepted $bad"; exit 1; fi
done

# --- 1. The chart --------------------------------------------------------------------------------
chart=deploy/helm/hookflow
"$helm" lint --strict "$chart" --kube-version "$KUBE_VERSION"
"$helm" lint --strict "$chart" --kube-version "$KUBE_VERSION" -f deploy/helm/all-options.values.yaml
for values in default all-options; do
  args=()
  [[ $values == all-options ]] && args=(-f deploy/helm/all-options.values.yaml)
  "$helm" template hookflow "$chart" --kube-version "$KUBE_VERSION" --namespace hookflow "${args[@]}" >"$work/$values.yaml"
  log "$values values: $(grep -c '^kind:' "$work/$values.yaml") objects rendered"
  npx tsx deploy/helm/validate-schemas.ts <"$work/$values.yaml" >"$work/$values.schemas.log" ||
    { cat "$work/$values.schemas.log"; exit 1; }
  tail -1 "$work/$values.schemas.log"
  "$strict" <"$work/$values.yaml" >"$work/$values.strict.log" || { cat "$work/$values.strict.log"; exit 1; }
  tail -1 "$work/$values.strict.log"
done

# --- 2. The compose file -------------------------------------------------------------------------
if ! docker compose version >/dev/null 2>&1; then
  # The compose plug-in, built from its module (its go.mod has exclude directives, so `go install
  # module@version` refuses it; a throwaway main module builds it), then handed to the docker client
  # through a private plug-in directory, so the command below is the real `docker compose`.
  plugin=$cache/docker-compose-$COMPOSE_VERSION
  go_tool docker-compose "$plugin" bash -c "mkdir -p '$work/compose-build' && cd '$work/compose-build' &&
    go mod init compose-build && go get 'github.com/docker/compose/v5/cmd@$COMPOSE_VERSION' &&
    go build -trimpath -o '$plugin' github.com/docker/compose/v5/cmd"
  mkdir -p "$work/docker/cli-plugins"
  ln -s "$plugin" "$work/docker/cli-plugins/docker-compose"
  export DOCKER_CONFIG=$work/docker
fi
# The variables the file requires (no defaults on purpose), with throwaway values.
HOOKFLOW_API_KEYS=validate-only-key-0000 HOOKFLOW_SECRET_KEYS="k1:$(head -c 32 /dev/zero | base64)" \
  docker compose --project-directory . -f docker-compose.yml --profile monitoring config --quiet
log "docker-compose.yml: docker compose config passed (with the monitoring profile)"
# Spelt in two halves so this file does not name it either.
if grep -rIl --exclude-dir=node_modules --exclude-dir=.git --exclude-dir=.hookflow "auto-""setup" . ; then
  log "a file above still names Temporal's deprecated all-in-one image"; exit 1
fi
log "all passed"
