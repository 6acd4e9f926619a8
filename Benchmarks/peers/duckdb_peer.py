"""The Sluice pipelines in DuckDB: one SQL statement each over read_csv / read_json, written
with COPY … TO. In-memory database, every core (DuckDB's default thread count).

`--low-memory`: `SET memory_limit = '256MB'`, spilling to a scratch directory, no insertion
order kept. Ecommerce: DuckDB cannot read ZIP archives, so the script first inflates every part
file of the nested archives into the scratch directory as it is (common.extract_parts; a JSON
array each), and that time is part of the measurement.
"""

from __future__ import annotations

import duckdb

from common import extract_parts, parse_args, scratch_dir


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


def main() -> None:
    args = parse_args("duckdb")
    with scratch_dir("duckdb-") as tmp:
        if args.pipeline == "transactions":
            con = connect(tmp, args.low_memory)
            con.execute(TRANSACTIONS.format(source=sql_string(args.source), out=sql_string(args.out)))
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
