#!/usr/bin/env bash
# Samples, once a second, the CPU and memory of what setup.sh started: the Temporal server process
# and Temporal's PostgreSQL (postmaster and backends). With a TEMPORAL_ADDRESS the bench does not
# know these pids, so they land in its "other processes' CPU share"; this fills the gap.
#   bench/temporal-server/sample.sh [WORK] > samples.tsv     # stops after MAX_SECONDS (1800) or on kill
# Columns: unix ms, server CPU s, server RSS MiB, postgres CPU s (incl. exited backends),
#          postgres PSS MiB, machine busy CPU s (all cores).
set -uo pipefail
WORK=${1:-${WORK:-/tmp/hookflow-temporal-server}}
MAX_SECONDS=${MAX_SECONDS:-1800}
HZ=$(getconf CLK_TCK)
server=$(cat "$WORK/server.pid")
postmaster=$(head -1 "$WORK/pg/postmaster.pid")

# utime+stime (own) and cutime+cstime (reaped children) of one pid, in ticks. Field 2 (comm) may
# contain spaces, so fields are counted after its closing parenthesis.
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v reaped="$2" '{ print $12 + $13 + (reaped ? $14 + $15 : 0) }'; }
kb() { awk -v f="$2" '$1 == f":" { print $2 }' "/proc/$1/$3" 2>/dev/null; }

echo -e "ms\tserver_cpu_s\tserver_rss_mib\tpg_cpu_s\tpg_pss_mib\tmachine_busy_s"
for ((i = 0; i < MAX_SECONDS; i++)); do
  kill -0 "$server" 2>/dev/null || break
  s_ticks=$(ticks "$server" 0)
  s_rss=$(kb "$server" VmRSS status)
  p_ticks=$(ticks "$postmaster" 1) p_pss=$(kb "$postmaster" Pss smaps_rollup)
  for c in $(pgrep -P "$postmaster"); do
    p_ticks=$((p_ticks + $(ticks "$c" 0 || echo 0))) p_pss=$((p_pss + $(kb "$c" Pss smaps_rollup || echo 0)))
  done
  busy=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
  awk -v OFS='\t' -v ms="$(date +%s%3N)" -v hz="$HZ" -v st="$s_ticks" -v sr="$s_rss" -v pt="$p_ticks" -v pp="$p_pss" -v b="$busy" \
    'BEGIN { print ms, st / hz, sr / 1024, pt / hz, pp / 1024, b / hz }'
  sleep 1
done
