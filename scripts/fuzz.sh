#!/usr/bin/env bash
# The larger fuzz run: seeded mutations of the seed files, each read under several split
# sizes and worker counts, which must all agree. CI runs a few hundred cases; this runs
# SLUICE_FUZZ_CASES (default 5000). A failing seed is printed and can be replayed.
set -euo pipefail
cd "$(dirname "$0")/.."
export SLUICE_FUZZ_CASES="${1:-${SLUICE_FUZZ_CASES:-5000}}"
swift build --build-tests
swift test --skip-build --filter 'Fuzz'
