#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the transactions job on
# the committed sample (data/transaction.csv). With no database configured (--db,
# SLUICE_DATABASE_URL, DATABASE_URL or .env), sluice starts its own PostgreSQL cluster under
# .sluice/postgres and upserts the result into table "customers" of database "sluice".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
swift build -c release --product sluice
.build/release/sluice run transactions --source data/transaction.csv --stats
echo
echo "Look at the result:  psql \"\$(.build/release/sluice db url | sed 's|/postgres$|/sluice|')\" -c 'SELECT * FROM customers LIMIT 5'"
echo "Recent runs:         .build/release/sluice runs"
