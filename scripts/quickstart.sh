#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the transactions job on
# the committed sample (data/transaction.csv), writing out/customers.csv.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
swift build -c release --product sluice
.build/release/sluice run transactions --source data/transaction.csv --out out --stats
