"""The Sluice pipelines in DuckDB: one SQL statement each over read_csv / read_json, written
with COPY … TO. In-memory database, every core (DuckDB's default thread count).

`--low-memory`: `SET memory_limit = '256MB'`, spilling to a scratch directory, no insertion
order kept. Ecommerce: DuckDB cannot read ZIP archives, so the script first inflates every part
file of the nested archives into the scratch directory as it is (common.extract_parts; a JSON
array each), and that time is part of the measurement. Credits: the time of each event from a
CASE per format — `try_strptime` where the text has the format's shape, `TRY_CAST` of an epoch's
digits — coalesced in Sluice's order.
"""

from __future__ import annotations

import duckdb
from duckdb.sqltypes import BIGINT, VARCHAR

from common import (
    CREDITS_ACTIONS, CREDITS_COLUMNS, CREDITS_EPOCH, CREDITS_EPOCH_LIMIT, CREDITS_INEXACT,
    CREDITS_NEGATIVE_ZERO, CREDITS_NUMBER, CREDITS_TIMESTAMP_FORMATS, CREDITS_TOO_LARGE, CREDITS_TRIM, extract_parts,
    parse_args, scratch_dir, timestamp_text, write_counts,
)


def sql_string(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def connect(tmp, low_memory: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET temp_directory = {sql_string(tmp)}")
    if low_memory:
        con.execute("SET memory_limit = '256MB'")
        con.execute("SET preserve_insertion_order = false")
    return con


TRANSACTIONS = """
COPY (
    WITH rows AS (
        SELECT custId, transactionDate, productSold, unitsSold
        FROM read_csv({source}, delim = '|', header = true, columns = {{
            'transactionId': 'VARCHAR', 'custId': 'VARCHAR', 'transactionDate': 'DATE',
            'productSold': 'VARCHAR', 'unitsSold': 'BIGINT'}})
    ),
    units AS (
        SELECT custId, productSold, sum(unitsSold) AS units FROM rows GROUP BY custId, productSold
    ),
    favourite AS (  -- greatest total units; ties → the alphabetically first product
        SELECT custId, arg_min(productSold, (-units, productSold)) AS favourite_product
        FROM units GROUP BY custId
    ),
    days AS (  -- day − rank is constant along a run of consecutive days
        SELECT custId, transactionDate - CAST(row_number() OVER (PARTITION BY custId ORDER BY transactionDate) AS INTEGER) AS run
        FROM (SELECT DISTINCT custId, transactionDate FROM rows)
    ),
    streak AS (
        SELECT custId, max(n) AS longest_streak
        FROM (SELECT custId, run, count(*) AS n FROM days GROUP BY custId, run)
        GROUP BY custId
    )
    SELECT custId AS customer_id, favourite_product, longest_streak
    FROM favourite JOIN streak USING (custId)
    ORDER BY customer_id
) TO {out} (FORMAT csv, HEADER true)
"""

# Every part file is one JSON array (indented, one key per line): read_json's array format.
# Ids are text (`c042`, `p013`); the price is exact, DECIMAL(10,2); columns the job does not
# use are read as text, whatever they hold. Inner joins leave out a purchase of an unknown
# product or by an unknown customer, as Sluice's report does.
ECOMMERCE = """
COPY (
    SELECT p.category,
           c.segment AS customer_segment,
           sum(coalesce(e.quantity, 1) * p.price) AS total_revenue,
           sum(coalesce(e.quantity, 1)) AS units_sold,
           count(DISTINCT e.customer_id) AS unique_customers
    FROM read_json({files}, format = 'array', columns = {{
            'customer_id': 'VARCHAR', 'event_type': 'VARCHAR', 'product_id': 'VARCHAR',
            'quantity': 'BIGINT'}}) AS e
    JOIN read_csv({products}, header = true, columns = {{
            'product_id': 'VARCHAR', 'product_name': 'VARCHAR', 'category': 'VARCHAR',
            'price': 'DECIMAL(10,2)'}}) AS p USING (product_id)
    JOIN read_csv({customers}, header = true, columns = {{
            'customer_id': 'VARCHAR', 'join_date': 'VARCHAR', 'segment': 'VARCHAR'}}) AS c USING (customer_id)
    WHERE e.event_type = 'purchase'
    GROUP BY p.category, c.segment
    ORDER BY p.category, customer_segment
) TO {out} (FORMAT csv, HEADER true)
"""


# Every column is text; an empty field (NULL to read_csv) is ''. strict_mode off: a quoted last
# field followed by CRLF in a file whose other lines end in LF is otherwise "unterminated".
CREDITS_ROWS = """
CREATE TEMP TABLE distinct_rows AS
WITH raw AS (
    SELECT {trimmed}
    FROM read_csv({source}, delim = ',', quote = '"', escape = '"', header = true, strict_mode = false,
                  columns = {{{columns}}})
),
rows AS (
    SELECT org_id, user_id, lower(credit_type) AS credit_type, lower(action) AS action, credits, "timestamp"
    FROM raw
)
SELECT org_id <> ''
       AND action IN ({actions})
       AND regexp_matches(credits, {number})
       AND NOT regexp_matches(credits, {inexact})
       AND NOT regexp_matches(credits, {too_large})
       AND (NOT starts_with(credits, '-') OR regexp_matches(credits, {negative_zero})) AS valid,
       {names}, count(*) AS copies
FROM rows
GROUP BY ALL
"""

CREDITS_COUNTS = """
SELECT count(*) FILTER (WHERE valid), coalesce(sum(copies - 1) FILTER (WHERE valid), 0),
       coalesce(sum(copies) FILTER (WHERE NOT valid), 0)
FROM distinct_rows
"""

# The time of an event in whole seconds since 1970 (`{seconds}`: see credits_seconds), kept as
# an integer and written by common.timestamp_text (a Python function, one call per
# organisation): DuckDB's own text for a year before 1 is `(BC)`, and an epoch can pass its years.
CREDITS_BALANCES = """
COPY (
    WITH events AS (
        SELECT org_id, action, CAST(credits AS DECIMAL(12,2)) AS credits, {seconds} AS seconds
        FROM distinct_rows WHERE valid
    )
    SELECT org_id,
           sum(CASE WHEN action = 'add' THEN credits ELSE 0 END) AS credits_added,
           sum(CASE WHEN action = 'deduct' THEN credits ELSE 0 END) AS credits_deducted,
           sum(CASE WHEN action = 'add' THEN credits ELSE -credits END) AS balance,
           count(*) AS events,
           count(*) - count(seconds) AS events_without_time,
           timestamp_text(min(seconds)) AS first_event_at,
           timestamp_text(max(seconds)) AS last_event_at
    FROM events
    GROUP BY org_id
    ORDER BY org_id
) TO {out} (FORMAT csv, HEADER true)
"""


def credits_seconds(text: str) -> str:
    """SQL for the time of a trimmed timestamp `text` in whole seconds since 1970, NULL when it
    reads in none of the formats: the first CASE whose shape matches and whose value parses."""
    cases = []
    for format, shape in CREDITS_TIMESTAMP_FORMATS:
        cases.append(f"CASE WHEN regexp_full_match({text}, {sql_string(shape)}) "
                     f"THEN epoch_us(try_strptime({text}, {sql_string(format)})) // 1000000 END")
    cases.append(f"CASE WHEN regexp_full_match({text}, {sql_string(CREDITS_EPOCH)}) "
                 f"AND TRY_CAST({text} AS BIGINT) BETWEEN -{CREDITS_EPOCH_LIMIT} AND {CREDITS_EPOCH_LIMIT} "
                 f"THEN TRY_CAST({text} AS BIGINT) END")
    return "coalesce(\n            " + ",\n            ".join(cases) + ")"


def credits(con, source, out) -> None:
    con.create_function("timestamp_text", timestamp_text, [BIGINT], VARCHAR)
    trim = " || ".join(f"chr({ord(c)})" for c in CREDITS_TRIM)
    con.execute(CREDITS_ROWS.format(
        trimmed=", ".join(f'trim(coalesce("{c}", \'\'), {trim}) AS "{c}"' for c in CREDITS_COLUMNS),
        source=sql_string(source),
        columns=", ".join(f"'{c}': 'VARCHAR'" for c in CREDITS_COLUMNS),
        actions=", ".join(sql_string(a) for a in CREDITS_ACTIONS),
        number=sql_string(CREDITS_NUMBER), inexact=sql_string(CREDITS_INEXACT),
        too_large=sql_string(CREDITS_TOO_LARGE), negative_zero=sql_string(CREDITS_NEGATIVE_ZERO),
        names=", ".join(f'"{c}"' for c in CREDITS_COLUMNS),
    ))
    events, duplicates, rejects = con.execute(CREDITS_COUNTS).fetchone()
    con.execute(CREDITS_BALANCES.format(seconds=credits_seconds('"timestamp"'), out=sql_string(out)))
    write_counts(out, events, duplicates, rejects)


def main() -> None:
    args = parse_args("duckdb")
    with scratch_dir("duckdb-") as tmp:
        if args.pipeline == "transactions":
            con = connect(tmp, args.low_memory)
            con.execute(TRANSACTIONS.format(source=sql_string(args.source), out=sql_string(args.out)))
        elif args.pipeline == "credits":
            con = connect(tmp, args.low_memory)
            credits(con, args.source, args.out)
        else:
            files = extract_parts(args.events, tmp)  # before DuckDB starts its threads: the workers are forked
            con = connect(tmp, args.low_memory)
            con.execute(
                ECOMMERCE.format(
                    files="[" + ", ".join(sql_string(f) for f in files) + "]",
                    products=sql_string(args.products),
                    customers=sql_string(args.customers),
                    out=sql_string(args.out),
                )
            )
        con.close()


if __name__ == "__main__":
    main()
