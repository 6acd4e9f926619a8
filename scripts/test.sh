#!/usr/bin/env bash
# The README's second command: install what is missing and run every test target.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
started=$SECONDS
swift build --build-tests
[ -z "${SLUICE_TIMINGS:-}" ] || echo "ci: debug build $((SECONDS - started)) s" >&2
started=$SECONDS
swift test --skip-build
[ -z "${SLUICE_TIMINGS:-}" ] || echo "ci: tests $((SECONDS - started)) s" >&2
