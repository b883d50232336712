#!/usr/bin/env bash
# Schemathesis against the real stack, started as the README says (`npm start`), with an admin key.
# Generated subscriptions point at arbitrary URLs, so the stack and the fuzzer run inside a network
# namespace that has only loopback: nothing generated here can leave the machine.
# Needs root (CI runs as root) for `unshare -n`. Prints Schemathesis's summary; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
cache="${HOOKFLOW_CACHE_DIR:-$HOME/.cache/hookflow}"
venv="$cache/schemathesis-$SCHEMATHESIS_VERSION"

if [ -z "${HOOKFLOW_FUZZ_NETNS:-}" ]; then
  # Outside the namespace: install (once per machine) while the registry can still be reached.
  if [ ! -x "$venv/bin/schemathesis" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  exec unshare --net env HOOKFLOW_FUZZ_NETNS=1 bash "$0" "$@"
fi

ip link set lo up
data_dir=$(mktemp -d)
log="$data_dir/npm-start.log"
key="hf_fuzz_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
port=3000
stack_pid=
stop_stack() {
  # Ctrl-C is how the README stops the stack; it ends Temporal, PostgreSQL and the worker with it.
  if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -INT -- "-$stack_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$stack_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$stack_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap stop_stack EXIT

# setsid: its own process group, so SIGINT reaches only the stack and the stack alone.
# HOOKFLOW_AUTH_FAILURE_LIMIT=off: the auth checks (ignored_auth, missing_required_header) send keyless
# requests on purpose, hundreds from one address; the limiter (tested on its own) would answer the rest
# of the run with 429 and nothing else would be tested.
HOOKFLOW_API_KEYS="$key" HOOKFLOW_AUTH_FAILURE_LIMIT=off HOOKFLOW_DATA_DIR="$data_dir" PORT=$port setsid npm start >"$log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 240); do
  grep -q '\[hookflow\] ready' "$log" 2>/dev/null && break
  kill -0 "$stack_pid" 2>/dev/null || { echo "npm start exited:"; tail -40 "$log"; exit 1; }
  sleep 0.5
done
grep -q '\[hookflow\] ready' "$log" || { echo "the stack did not become ready in 120 s:"; tail -40 "$log"; exit 1; }

report_dir="${HOOKFLOW_FUZZ_REPORT_DIR:-$PWD/.hookflow/api-fuzz}"
mkdir -p "$report_dir"
# Bounded: about 3 minutes on a quiet 2-core box; the hard stop leaves room for a busy one. The full
# output (reproducing curl lines can be megabytes) goes to a file; lines printed here are cut short.
started=$(date +%s)
set +e
timeout --signal=INT 600 "$venv/bin/schemathesis" --config-file test/api-fuzz/schemathesis.toml run "http://127.0.0.1:$port/docs/json" \
  --header "Authorization: Bearer $key" \
  --report junit,ndjson --report-dir "$report_dir" "$@" >"$report_dir/output.txt" 2>&1
status=$?
set -e
cut -c1-300 "$report_dir/output.txt"
echo "Schemathesis exited $status after $(( $(date +%s) - started )) s; full output: $report_dir/output.txt"
exit $status
