#!/usr/bin/env bash
# Runs `npm run bench` against the server setup.sh started, with sample.sh watching the server and
# its PostgreSQL, then prints their CPU per scenario and their peak memory.
#   bench/temporal-server/bench.sh [WORK]      # BENCH_QUICK=1 etc. pass through to the bench
# hookflow's own database is the bench's embedded PostgreSQL, as in the dev-server runs, so the
# bench's "postgres" column stays hookflow's; Temporal's PostgreSQL is reported here.
set -euo pipefail
WORK=${1:-${WORK:-/tmp/hookflow-temporal-server}}
HERE=$(cd "$(dirname "$0")" && pwd)
FRONTEND_PORT=${FRONTEND_PORT:-27233}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
samples=$WORK/logs/samples-$stamp.tsv
out=$WORK/logs/bench-$stamp.log

"$HERE/sample.sh" "$WORK" >"$samples" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT
# Every stderr line (progress, "✔ scenario ... (12.3s)") gets a unix-ms stamp, to cut the samples by scenario.
(cd "$HERE/../.." && timeout "${BENCH_TIMEOUT:-1500}" env TEMPORAL_ADDRESS="127.0.0.1:$FRONTEND_PORT" npm run bench) \
  2> >(while IFS= read -r line; do printf '%s %s\n' "$(date +%s%3N)" "$line"; done | tee -a "$out" >&2) | tee -a "$out"
kill "$sampler" 2>/dev/null || true
sleep 1

echo
echo "Temporal server + its PostgreSQL per bench step (from $samples; window = the step's progress line)"
# For each "✔ label ... (N s)" line: window [stamp - N s, stamp]; CPU deltas from the nearest samples.
grep -a ' ✔ ' "$out" | awk -v samples="$samples" -v cpus="$(nproc)" '
  BEGIN { while ((getline l < samples) > 0) { split(l, f, "\t"); if (f[1] ~ /^[0-9]+$/) { n++; t[n] = f[1]; s[n] = f[2]; p[n] = f[4]; m[n] = f[6] } } }
  function at(ms,   i) { for (i = 1; i <= n; i++) if (t[i] >= ms) return i; return n }
  {
    end = $1; secs = $NF; gsub(/[()s]/, "", secs); start = end - secs * 1000
    a = at(start); b = at(end); wall = (t[b] - t[a]) / 1000; if (wall <= 0) next
    label = $0; sub(/^[0-9]+ ✔ /, "", label); label = substr(label, 1, 60)
    printf "%-60s server %6.1f s  postgres %5.1f s  machine busy %5.0f%%\n", label, s[b] - s[a], p[b] - p[a], 100 * (m[b] - m[a]) / wall / cpus
  }'
awk -F'\t' 'NR > 1 { if ($3 > r) r = $3; if ($5 > q) q = $5 } END { printf "peak: server RSS %.0f MiB, Temporal postgres PSS %.0f MiB\n", r, q }' "$samples"
