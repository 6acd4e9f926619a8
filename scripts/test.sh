#!/usr/bin/env bash
# The README's second command: install what is missing and run every test target.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
