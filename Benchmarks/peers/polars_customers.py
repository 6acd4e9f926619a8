"""The customers pipeline in Polars + a COPY load: the original task's stack (a partner's customer
file cleaned with Polars, then loaded into PostgreSQL with COPY through psycopg).

The same work as `sluice run customers --source FILE --db URL`, rule for rule: the file's sha-256
(for its audit row); CSV lines split with their line numbers, blank lines counted, lines with the
wrong number of fields quarantined (`field_count`); the header in snake_case matched to the
table's columns (extras into `attributes` as a JSON object); values trimmed, empty → null; the
`subscription_date` form chosen for the file from all its values (ISO, day-first, month-first;
ambiguous or mixed → the file fails); the rules (customer_id present, index an integer, e-mail
and http(s) URL syntax as Sluice checks them, a real date in the file's form) with every reason;
last wins per customer_id in file order; then, in one transaction, the table created when
missing, the rows COPYed (straight into an empty table, else through a staging table and an
upsert that leaves unchanged rows alone), the quarantined records COPYed into
`customers_quarantine`, and an audit row. Writes the counts (loaded, quarantined, duplicates,
blank) to OUT.

Not done, where Sluice does more: the CSV dialect is not sniffed (commas, double quotes), no
JSON input, no skipping of an already-loaded file, no run ledger or `sluice_rejects`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sys
from pathlib import Path

import polars as pl
import psycopg

TARGET = ["index", "customer_id", "first_name", "last_name", "company", "city", "country", "phone_1", "phone_2", "email",
          "subscription_date", "website"]
REQUIRED = ["customer_id", "first_name", "last_name", "email", "subscription_date"]
FORMS = {"iso": ["%Y-%m-%d"], "day-first": ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"], "month-first": ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y"]}
LABELS = {"iso": "YYYY-MM-DD", "day-first": "DD/MM/YYYY", "month-first": "MM/DD/YYYY"}
# Sluice's isEmailAddress: one `@`; a local part of RFC 5322's unquoted characters in dot-separated
# runs, at most 64 bytes; a domain of at least two dot-separated labels of letters, digits and inner
# hyphens (each at most 63), the last not all digits, at most 253 bytes.
LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = rf"^{LOCAL}@{LABEL}(?:\.{LABEL})+$"
# Sluice's isHTTPURL: http:// or https:// (any case), optional user info, a host of labels (the
# last not all digits), an optional port of 1–5 digits, then printable ASCII only.
URL = rf"^(?i:https?)://(?:[^/?#@]*@)?{LABEL}(?:\.{LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][^\x00-\x20\x7f]*)?$"
NUMERIC_HOST = r"^(?i:https?)://(?:[^/?#@]*@)?(?:[^/?#:]*\.)?[0-9]+(?::[0-9]*)?(?:[/?#]|$)"


def snake_case(name: str) -> str:
    """`Customer Id` → `customer_id`, `firstName` → `first_name` (Sluice's CustomerColumns.snakeCase)."""
    words, current, previous_lower = [], "", False
    for ch in name:
        if not ch.isalnum():
            if current:
                words.append(current)
            current, previous_lower = "", False
            continue
        if ch.isupper() and previous_lower and current:
            words.append(current)
            current = ""
        current += ch.lower()
        previous_lower = ch.islower() or ch.isdigit()
    if current:
        words.append(current)
    return "_".join(words)


def match_columns(header: list[str], path: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    mapping, extras = {}, []
    for source in header:
        name = snake_case(source)
        match = next((t for t in TARGET if t == name), None) or next((t for t in TARGET if t.replace("_", "") == name.replace("_", "")), None)
        if match and match not in mapping:
            mapping[match] = source
        else:
            extras.append((source, name))
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        sys.exit(f"error: {path}: the header is missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    return mapping, extras


def parse_date(column: pl.Expr, form: str) -> pl.Expr:
    return pl.coalesce([column.str.to_date(f, strict=False) for f in FORMS["iso"] + (FORMS[form] if form != "iso" else [])])


def choose_form(texts: pl.DataFrame, path: str) -> str:
    """One form for the whole column, from all its values, as Sluice chooses it."""
    d = pl.col("date_text")
    iso, day, month = (parse_date(d, f).is_not_null() for f in ("iso", "day-first", "month-first"))
    c = texts.select(iso=iso.sum(), day=day.sum(), month=month.sum(), either=(day | month).sum()).row(0, named=True)
    if c["iso"] == c["either"]:
        return "iso"
    if c["day"] == c["either"] and c["month"] != c["either"]:
        return "day-first"
    if c["month"] == c["either"] and c["day"] != c["either"]:
        return "month-first"
    sys.exit(f"error: {path}: subscription_date is ambiguous or mixes forms")


def customers(source: Path, url: str, out: Path) -> None:
    path = str(source.resolve())
    data = source.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    header_text = lines[0].rstrip(b"\r").decode()
    header = list(pl.read_csv(io.BytesIO(header_text.encode() + b"\n"), has_header=False, infer_schema=False).row(0))
    mapping, extras = match_columns(header, path)

    raw = pl.DataFrame({"raw": pl.Series(lines[1:], dtype=pl.Binary)}).with_row_index("i").select(
        (pl.col("i").cast(pl.Int64) + 2).alias("line"), pl.col("raw").cast(pl.String).str.strip_suffix("\r").alias("text"))
    raw = raw.with_columns(fields=pl.col("text").str.replace_all(r'"(?:[^"]|"")*"', "").str.count_matches(",") + 1)
    blank = raw.filter(pl.col("text") == "").height
    lines_kept = raw.filter(pl.col("text") != "")
    ragged = lines_kept.filter(pl.col("fields") != len(header)).select(
        "line", pl.concat_str([pl.lit(f"expected {len(header)} fields, found "), pl.col("fields").cast(pl.String)]).alias("reasons"))
    good = lines_kept.filter(pl.col("fields") == len(header))
    body = header_text + "\n" + good.select(pl.col("text").str.join("\n")).item() + "\n"
    names = [f"c{i}" for i in range(len(header))]
    records = pl.read_csv(io.BytesIO(body.encode()), has_header=True, new_columns=names, infer_schema=False, quote_char='"')
    records = records.with_columns(good.get_column("line"))
    source_name = dict(zip(header, names))

    def clean(name: str) -> pl.Expr:
        value = pl.col(source_name[name]).str.strip_chars()
        return pl.when(value != "").then(value)

    texts = [(clean(mapping[t]) if t in mapping else pl.lit(None, dtype=pl.String)).alias(t) for t in TARGET]
    if extras:
        attributes = pl.struct([clean(s).alias(n) for s, n in extras]).struct.json_encode()
    else:
        attributes = pl.lit(None, dtype=pl.String)
    frame = records.select(texts + [attributes.alias("attributes"), pl.col("line")])
    form = choose_form(frame.select(pl.col("subscription_date").alias("date_text")), path)

    index = pl.col("index").cast(pl.Int64, strict=False)
    date = parse_date(pl.col("subscription_date"), form)
    quote = lambda name: pl.concat_str([pl.lit("'"), pl.col(name), pl.lit("'")])
    rules = [
        pl.when(pl.col("customer_id").is_null()).then(pl.lit("customer_id: missing")),
        pl.when(pl.col("index").is_not_null() & (index.is_null() | (index > 2**31 - 1) | (index < -2**31)))
        .then(pl.concat_str([pl.lit("index: "), quote("index"), pl.lit(" is not an integer")])),
        pl.when(pl.col("email").is_not_null() & ~(pl.col("email").str.contains(EMAIL)
                                                  & (pl.col("email").str.split("@").list.first().str.len_bytes() <= 64)
                                                  & (pl.col("email").str.split("@").list.last().str.len_bytes() <= 253)
                                                  & ~pl.col("email").str.contains(r"\.[0-9]+$")))
        .then(pl.concat_str([pl.lit("email: "), quote("email"), pl.lit(" is not a valid e-mail address")])),
        pl.when(pl.col("subscription_date").is_not_null() & date.is_null())
        .then(pl.concat_str([pl.lit("subscription_date: "), quote("subscription_date"), pl.lit(f" is not a real date in the file's form {LABELS[form]}")])),
        pl.when(pl.col("website").is_not_null() & ~(pl.col("website").str.contains(URL) & ~pl.col("website").str.contains(NUMERIC_HOST)))
        .then(pl.concat_str([pl.lit("website: "), quote("website"), pl.lit(" is not an http(s) URL")])),
    ]
    reasons = pl.concat_str(rules, separator="; ", ignore_nulls=True)
    checked = frame.with_columns(reasons=pl.when(reasons != "").then(reasons))
    quarantined = pl.concat([checked.filter(pl.col("reasons").is_not_null()).select("line", "reasons"), ragged]).sort("line")
    valid = checked.filter(pl.col("reasons").is_null())
    table = (valid.unique(subset=["customer_id"], keep="last", maintain_order=True)
             .with_columns(index.cast(pl.Int32).alias("index"), date.alias("subscription_date"), pl.lit(path).alias("source_file"))
             .select(TARGET + ["attributes", "source_file"]))
    duplicates = valid.height - table.height

    columns = ", ".join(f'"{c}"' for c in TARGET + ["attributes", "source_file"])
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            cursor.execute("""
                CREATE TABLE IF NOT EXISTS customers (index integer, customer_id text PRIMARY KEY, first_name text, last_name text,
                    company text, city text, country text, phone_1 text, phone_2 text, email text, subscription_date date,
                    website text, attributes jsonb, source_file text, ingested_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE IF NOT EXISTS customers_quarantine (source_file text NOT NULL, line bigint, reasons text NOT NULL,
                    quarantined_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE IF NOT EXISTS customer_files (file text NOT NULL, sha256 text, rows_read bigint, rows_loaded bigint,
                    rows_quarantined bigint, rows_duplicates bigint, blank_lines bigint, date_format text, loaded_at timestamptz DEFAULT now());
                """)
            empty = cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM customers)").fetchone()[0]
            into = "customers" if empty else "customers_staging"
            if not empty:
                cursor.execute("CREATE TEMP TABLE customers_staging (LIKE customers INCLUDING DEFAULTS) ON COMMIT DROP")
            with cursor.copy(f"COPY {into} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(table.write_csv(include_header=False))
            if not empty:
                # an upsert that leaves unchanged rows alone (source_file is not compared)
                kept = [c for c in TARGET + ["attributes", "source_file"] if c != "customer_id"]
                compared = [c for c in kept if c != "source_file"]
                cursor.execute(f"""
                    INSERT INTO customers ({columns}) SELECT {columns} FROM customers_staging
                    ON CONFLICT (customer_id) DO UPDATE SET {", ".join(f'"{c}" = excluded."{c}"' for c in kept)}, ingested_at = now()
                    WHERE ({", ".join(f'customers."{c}"' for c in compared)}) IS DISTINCT FROM ({", ".join(f'excluded."{c}"' for c in compared)})
                    """)
            with cursor.copy("COPY customers_quarantine (source_file, line, reasons) FROM STDIN (FORMAT csv)") as copy:
                copy.write(quarantined.with_columns(pl.lit(path).alias("source_file")).select("source_file", "line", "reasons")
                           .write_csv(include_header=False))
            cursor.execute("INSERT INTO customer_files VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                           (path, sha256, raw.height, table.height, quarantined.height, duplicates, blank, form))
    out.write_text(f"loaded,quarantined,duplicates,blank\n{table.height},{quarantined.height},{duplicates},{blank}\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: polars_customers.py SOURCE DATABASE_URL COUNTS_OUT")
    customers(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
