#!/usr/bin/env bash
# Prints the path of the OpenTelemetry Collector the tracing test receives spans with (main.go: an
# OTLP receiver and the file exporter), building it from the Go module proxy the first time. The
# binary is cached per machine under the hash of its sources, like the Temporal CLI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${HOOKFLOW_CACHE_DIR:-$HOME/.cache/hookflow}"
bin="$cache/otelcol-$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)"
if [[ ! -x $bin ]]; then
  mkdir -p "$cache"
  export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=0
  started=$SECONDS
  echo "[otelcol] building the OpenTelemetry Collector (once per machine)" >&2
  (cd "$here" && go build -trimpath -ldflags='-s -w' -o "$bin.tmp" .) >&2
  mv "$bin.tmp" "$bin"
  echo "[otelcol] built in $((SECONDS - started)) s" >&2
fi
echo "$bin"
