#!/usr/bin/env bash
# Coverage-guided fuzzing of the CSV tokenizer / record stepper / split synchronizer and of
# the JSON decoder: builds the libFuzzer targets in Fuzz/ with -sanitize=fuzzer,address and
# runs each for a fixed number of inputs, starting from the seed corpus in Fuzz/corpus.
# A broken invariant (FuzzEntry stops with its message), an AddressSanitizer report, a
# timeout or running out of memory fails the script; the crashing input is kept under
# Fuzz/.build/findings/<target>/ and printed. Replay one with:
#   Fuzz/.build/release/FuzzCSV Fuzz/.build/findings/FuzzCSV/crash-…
#
# Usage: scripts/fuzz-libfuzzer.sh [runs | --build-only]
#   runs                   inputs per target (default 20000, or SLUICE_LIBFUZZER_RUNS)
#   --build-only           build the targets and stop (CI builds them early, runs them later)
#   SLUICE_LIBFUZZER_SEED  libFuzzer's seed (default 1, so CI runs are repeatable; 0 = random)
#   SLUICE_BUILD_JOBS      parallel compile jobs (default: SwiftPM's)
# New inputs the fuzzer finds go to Fuzz/.build/fuzz-work/<target>/ and are reused by the
# next local run; the checked-in corpus is only read.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"

runs="${1:-${SLUICE_LIBFUZZER_RUNS:-20000}}"
seed="${SLUICE_LIBFUZZER_SEED:-1}"
scratch=.build
jobs=()
if [ -n "${SLUICE_BUILD_JOBS:-}" ]; then jobs=(-j "$SLUICE_BUILD_JOBS"); fi

# SwiftPM links an executable's main to <module>_main; the targets define that symbol
# themselves and start libFuzzer's driver from it, since -parse-as-library (which libFuzzer
# needs) stops Swift from emitting one.
swift build -c release --scratch-path "$scratch" "${jobs[@]}" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
[ "$runs" != --build-only ] || exit 0
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

# The Swift runtime's backtracer hangs on a crash inside libFuzzer; libFuzzer and ASan
# report crashes themselves.
export SWIFT_BACKTRACE=enable=no
# The same hashes in every process, so a seed replays the same run.
export SWIFT_DETERMINISTIC_HASHING=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

# One target's run; what it has to say goes to its report file, printed once all have ended.
fuzz() {
    local target=$1 kind work findings log started stats input
    kind=$(echo "${target#Fuzz}" | tr '[:upper:]' '[:lower:]')
    work="$scratch/fuzz-work/$target"
    findings="$scratch/findings/$target"
    log="$scratch/fuzz-logs/$target.log"
    rm -rf "$findings"
    mkdir -p "$work" "$findings" "$(dirname "$log")"
    started=$(date +%s)
    if "$bin/$target" -runs="$runs" -seed="$seed" -max_len=4096 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" "$work" "corpus/$kind" >"$log" 2>&1; then
        stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" | tr '\n' ' ')
        echo "$target: no crash in $runs inputs ($(( $(date +%s) - started )) s) $stats"
    else
        echo "$target: FAILED after $(( $(date +%s) - started )) s; the end of $log:"
        grep -av '^#[0-9]' "$log" | tail -40
        for input in "$findings"/*; do
            [ -f "$input" ] || continue
            echo "--- $input ($(wc -c <"$input") bytes):"
            od -c "$input" | head -40
        done
        return 1
    fi
}

# The targets run at the same time, one process each (libFuzzer runs one input at a time, so a
# target keeps one core busy); each is the same run as alone: its own seed, corpus and folders.
targets=(FuzzCSV FuzzJSON)
pids=()
mkdir -p "$scratch/fuzz-logs"
for target in "${targets[@]}"; do
    fuzz "$target" >"$scratch/fuzz-logs/$target.report" 2>&1 &
    pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$scratch/fuzz-logs/${targets[$i]}.report"
done
exit "$status"
