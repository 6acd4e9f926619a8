#!/usr/bin/env bash
# Measures `sluice run transactions` end to end on a generated file: median wall time of
# RUNS runs and peak RSS (from /usr/bin/time -v), plus CSV parse throughput per core from
# `sluice scan --workers 1`. Release build. Usage:
#   Benchmarks/scripts/transactions.sh [ROWS=20M] [RUNS=3] [extra sluice options…]
set -euo pipefail
cd "$(dirname "$0")/../.."

rows="${1:-20M}"; runs="${2:-3}"; shift $(( $# > 2 ? 2 : $# )) || true
extra=("$@")
data="${SLUICE_BENCH_DATA:-Benchmarks/data}"
results="Benchmarks/results"
mkdir -p "$data" "$results"
input="$data/transactions-$rows.csv"

swift build -c release --product sluice >/dev/null
sluice=.build/release/sluice
[ -f "$input" ] || "$sluice" generate transactions --rows "$rows" --out "$input"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(lscpu | sed -n 's/Model name: *//p' | head -1)"
echo "input:   $input ($(du -h "$input" | cut -f1))"

times=(); peaks=()
for run in $(seq "$runs"); do
    log=$(mktemp)
    /usr/bin/time -v "$sluice" run transactions --source "$input" --out "$data/out" --no-progress "${extra[@]}" >/dev/null 2>"$log"
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    rm -f "$log"
    times+=("$wall"); peaks+=("$peak")
    echo "run $run: ${wall} s, peak RSS $((peak / 1024)) MB"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
peak=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -1)
echo "sluice run transactions: median ${median} s, peak RSS $((peak / 1024)) MB ${extra[*]:-}"
"$sluice" scan "$input" --workers 1 --no-progress | grep -E '^time' | sed 's/^time */csv parse (1 worker): /'
