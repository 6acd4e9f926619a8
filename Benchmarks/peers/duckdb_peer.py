"""The Sluice pipelines in DuckDB: one SQL statement each over read_csv / read_ndjson, written
with COPY … TO. In-memory database, every core (DuckDB's default thread count).

`--low-memory`: `SET memory_limit = '256MB'`, spilling to a scratch directory, no insertion
order kept. Ecommerce: DuckDB cannot read ZIP archives, so the script first extracts the
nested archives to one NDJSON file per day (common.extract_ndjson), and that time is part of
the measurement.
"""

from __future__ import annotations

import duckdb

from common import extract_ndjson, parse_args, scratch_dir


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

ECOMMERCE = """
COPY (
    SELECT p.category,
           c.segment AS customer_segment,
           sum(coalesce(e.quantity, 1) * p.price) AS total_revenue,
           sum(coalesce(e.quantity, 1)) AS units_sold,
           count(DISTINCT e.customer_id) AS unique_customers
    FROM read_ndjson({files}, columns = {{
            'timestamp': 'VARCHAR', 'customer_id': 'BIGINT', 'event_type': 'VARCHAR',
            'product_id': 'BIGINT', 'quantity': 'BIGINT'}}) AS e
    JOIN read_csv({products}, header = true, columns = {{
            'product_id': 'BIGINT', 'product_name': 'VARCHAR', 'category': 'VARCHAR',
            'price': 'DECIMAL(10,2)'}}) AS p USING (product_id)
    JOIN read_csv({customers}, header = true, columns = {{
            'customer_id': 'BIGINT', 'join_date': 'DATE', 'segment': 'VARCHAR'}}) AS c USING (customer_id)
    WHERE e.event_type = 'purchase'
    GROUP BY p.category, c.segment
    ORDER BY p.category, customer_segment
) TO {out} (FORMAT csv, HEADER true)
"""


def main() -> None:
    args = parse_args("duckdb")
    with scratch_dir("duckdb-") as tmp:
        con = connect(tmp, args.low_memory)
        if args.pipeline == "transactions":
            con.execute(TRANSACTIONS.format(source=sql_string(args.source), out=sql_string(args.out)))
        else:
            files = extract_ndjson(args.events, tmp)
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
