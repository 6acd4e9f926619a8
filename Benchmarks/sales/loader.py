"""The original stack's loader for Benchmarks/sales/run: a Python COPY loader as people write one
in front of dbt. Run it with the virtualenv's Python (psycopg 3 lives there):

    Benchmarks/.venv-sales/bin/python Benchmarks/sales/loader.py DATABASE_URL FILE [FILE ...]

For each file, in one transaction for the whole run:
- skips it when its sha-256 is already in raw.sales_files (whatever its name);
- reads it with the csv module and validates every row by the rules of Sluice's SalesValidation
  (Sources/SluicePipelines/Sales/SalesValidation.swift), the first rule a row breaks being its
  reason: missing_field, invalid_sale_ts, invalid_quantity, invalid_unit_price, unknown_currency,
  invalid_total, total_mismatch (and field_count for a row with the wrong number of fields);
- COPYs the valid rows into raw.sales (cursor.copy + write_row) with run_id, source_file,
  source_line (the file's line, the header being line 1) and file_ordinal (the file's place
  among the run's loaded files), and the rejects with their reason into raw.sales_rejects;
- records the file in raw.sales_files (sha-256, rows read / loaded / rejected).

Prints one JSON line: {"run_id", "read", "valid", "rejected", "by_kind": {kind: n}, "skipped": [...]}.
Exit status 0, or 1 with a message on stderr.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import os
import re
import sys
from decimal import Decimal

import psycopg

CURRENCIES = {"USD", "EUR", "GBP"}
REQUIRED = ["sale_id", "sale_ts", "store_id", "product_id", "quantity", "unit_price", "currency"]
RAW_COLUMNS = ["sale_id", "sale_ts", "store_id", "product_id", "quantity", "unit_price", "currency", "total_amount",
               "run_id", "source_file", "source_line", "file_ordinal"]

DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.sales (
    sale_id text NOT NULL, sale_ts timestamptz NOT NULL, store_id text NOT NULL, product_id text NOT NULL,
    quantity bigint NOT NULL, unit_price numeric(12,2) NOT NULL, currency text NOT NULL, total_amount numeric(14,2),
    run_id text NOT NULL, source_file text NOT NULL, source_line bigint NOT NULL, file_ordinal bigint NOT NULL
);
-- dbt's incremental staging reads the runs after its high-water mark; raw.sales is appended in
-- run order, so a BRIN index finds them for next to nothing.
CREATE INDEX IF NOT EXISTS sales_run_id_brin ON raw.sales USING brin (run_id);
CREATE TABLE IF NOT EXISTS raw.sales_files (
    sha256 text PRIMARY KEY, file text NOT NULL, size_bytes bigint NOT NULL, run_id text NOT NULL, rows_read bigint NOT NULL,
    rows_loaded bigint NOT NULL, rows_rejected bigint NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS raw.sales_rejects (
    run_id text NOT NULL, source_file text NOT NULL, source_line bigint NOT NULL, kind text NOT NULL, reason text NOT NULL,
    record text
);
"""

# ISO 8601 as SalesValidation reads it (`%Y-%m-%d{T| }%H:%M:%S[.%f][%z]`): 1–4 digit year, 1–2
# digit fields, 1–6 fraction digits, a zone `Z`, `±hh`, `±hhmm` or `±hh:mm` (at most 18 hours),
# or none (UTC).
TIMESTAMP = re.compile(
    r"([0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]{1,6}))?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?\Z")
INTEGER = re.compile(r"[+-]?[0-9]+\Z")
# A plain decimal: optional sign, digits with at most one point, at least one digit.
DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?\Z")
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
# Trimmed as Sluice trims: spaces, tabs, CR and LF only.
SPACE = " \t\r\n"


class Reject(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def parse_timestamp(text: str) -> datetime.datetime | None:
    """The instant (aware, UTC) of an ISO 8601 time, or None."""
    m = TIMESTAMP.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, zone_hours, zone_minutes = m.groups()
    hour, minute, second = int(hour), int(minute), int(second)
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = 0
    if sign is not None:
        zh, zm = int(zone_hours), int(zone_minutes or 0)
        if zm > 59 or zh * 60 + zm > 18 * 60:
            return None
        offset = (zh * 60 + zm) * 60 * (-1 if sign == "-" else 1)
    micros = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        local = datetime.datetime(int(year), int(month), int(day), hour, minute, second, micros, tzinfo=UTC)
        return local - datetime.timedelta(seconds=offset) if offset else local
    except (ValueError, OverflowError):
        return None


def parse_exact(text: str, precision: int, scale: int) -> Decimal | None:
    """The value of a plain decimal with at most `scale` places (further places must be zeros)
    and at most `precision - scale` integer digits, or None: Sluice's parseExact."""
    m = DECIMAL.match(text)
    if m is None:
        return None
    sign, whole, fraction = m.group(1), m.group(2), m.group(3) or ""
    if not whole and not fraction:
        return None
    if len(fraction) > scale:
        if fraction[scale:].strip("0"):
            return None
        fraction = fraction[:scale]
    if len(whole.lstrip("0")) > precision - scale:
        return None
    return Decimal(f"{sign}{whole or '0'}.{fraction.ljust(scale, '0')}")


def validate(row: list[str], at: tuple[int, ...], total_at: int | None) -> tuple:
    """The typed values of a valid row (sale_id, sale_ts, store_id, product_id, quantity,
    unit_price, currency, total_amount), or raises Reject with the first rule the row breaks.
    `at`: the positions of the REQUIRED columns; `total_at`: of total_amount, if the file has it."""
    sale_id = row[at[0]].strip(SPACE)
    sale_ts_text = row[at[1]].strip(SPACE)
    store_id = row[at[2]].strip(SPACE)
    product_id = row[at[3]].strip(SPACE)
    for name, value in (("sale_id", sale_id), ("sale_ts", sale_ts_text), ("store_id", store_id), ("product_id", product_id)):
        if not value:
            raise Reject("missing_field", f"missing {name}")
    sale_ts = parse_timestamp(sale_ts_text)
    if sale_ts is None:
        raise Reject("invalid_sale_ts", f"sale_ts '{sale_ts_text}' is not an ISO 8601 time")
    quantity_text = row[at[4]].strip(SPACE)
    if not quantity_text:
        raise Reject("invalid_quantity", "missing quantity")
    if not INTEGER.match(quantity_text) or not INT64_MIN <= int(quantity_text) <= INT64_MAX:
        raise Reject("invalid_quantity", f"quantity '{quantity_text}' is not an integer")
    quantity = int(quantity_text)
    if quantity <= 0:
        raise Reject("invalid_quantity", f"quantity {quantity_text} is not above 0")
    price_text = row[at[5]].strip(SPACE)
    if not price_text:
        raise Reject("invalid_unit_price", "missing unit_price")
    unit_price = parse_exact(price_text, 12, 2)
    if unit_price is None:
        raise Reject("invalid_unit_price", f"unit_price '{price_text}' is not a number with at most 2 decimal places below 10^10")
    if unit_price < 0:
        raise Reject("invalid_unit_price", f"negative unit_price '{price_text}'")
    currency = row[at[6]].strip(SPACE).upper()
    if not currency:
        raise Reject("unknown_currency", "missing currency")
    if currency not in CURRENCIES:
        raise Reject("unknown_currency", f"currency '{currency}' is not one of {', '.join(sorted(CURRENCIES))}")
    total_amount = None
    if total_at is not None:
        total_text = row[total_at].strip(SPACE)
        if total_text:
            total_amount = parse_exact(total_text, 14, 2)
            if total_amount is None:
                raise Reject("invalid_total", f"total_amount '{total_text}' is not a number with at most 2 decimal places")
            if total_amount != quantity * unit_price:
                raise Reject("total_mismatch", f"total_amount {total_text} is not quantity × unit_price = {quantity * unit_price}")
    return sale_id, sale_ts, store_id, product_id, quantity, unit_price, currency, total_amount


def sha256_of(path: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def load_file(copy, path: str, run_id: str, ordinal: int, rejects: list, by_kind: dict[str, int]) -> tuple[int, int]:
    """COPYs the valid rows of `path` through `copy`; appends its rejects. Returns (read, loaded)."""
    read = loaded = 0
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [name.strip(SPACE) for name in next(reader, [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise SystemExit(f"{path}: the header lacks {', '.join(missing)}")
        at = tuple(header.index(name) for name in REQUIRED)
        total_at = header.index("total_amount") if "total_amount" in header else None
        width = len(header)
        for row in reader:
            if not row:  # a blank line: skipped, not counted (as Sluice's reader does)
                continue
            read += 1
            line = reader.line_num
            try:
                if len(row) != width:
                    raise Reject("field_count", f"{len(row)} fields where the header has {width}")
                values = validate(row, at, total_at)
            except Reject as reject:
                rejects.append((run_id, path, line, reject.kind, reject.reason, ",".join(row)))
                by_kind[reject.kind] = by_kind.get(reject.kind, 0) + 1
                continue
            copy.write_row((*values, run_id, path, line, ordinal))
            loaded += 1
    return read, loaded


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 1
    url, paths = argv[1], [os.path.abspath(p) for p in argv[2:]]
    run_id = datetime.datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    summary = {"run_id": run_id, "read": 0, "valid": 0, "rejected": 0, "by_kind": {}, "skipped": []}
    rejects: list[tuple] = []
    with psycopg.connect(url) as connection:  # one transaction, committed when the block ends
        connection.execute(DDL)
        # one loader at a time: a second one waits, then sees this one's files as loaded
        connection.execute("LOCK TABLE raw.sales_files IN SHARE ROW EXCLUSIVE MODE")
        cursor = connection.cursor()
        loaded_files: list[tuple] = []
        seen: set[str] = set()
        ordinal = 0
        for path in paths:
            size, digest = sha256_of(path)
            known = cursor.execute("SELECT run_id FROM raw.sales_files WHERE sha256 = %s", (digest,)).fetchone()
            if known or digest in seen:
                summary["skipped"].append(path)
                continue
            seen.add(digest)
            file_rejects_before = len(rejects)
            with cursor.copy(f"COPY raw.sales ({', '.join(RAW_COLUMNS)}) FROM STDIN") as copy:
                read, loaded = load_file(copy, path, run_id, ordinal, rejects, summary["by_kind"])
            ordinal += 1
            loaded_files.append((digest, path, size, run_id, read, loaded, len(rejects) - file_rejects_before))
            summary["read"] += read
            summary["valid"] += loaded
        summary["rejected"] = len(rejects)
        if rejects:
            with cursor.copy("COPY raw.sales_rejects (run_id, source_file, source_line, kind, reason, record) FROM STDIN") as copy:
                for reject in rejects:
                    copy.write_row(reject)
        cursor.executemany("""
            INSERT INTO raw.sales_files (sha256, file, size_bytes, run_id, rows_read, rows_loaded, rows_rejected)
            VALUES (%s, %s, %s, %s, %s, %s, %s)""", loaded_files)
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
