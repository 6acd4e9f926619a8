"""Loads the same N aggregate rows as LoadBenchmark with the tools people use from Python,
into the same PostgreSQL, and prints one CSV line per method:
method,rows,first_load_s,rerun_s

- psycopg2 execute_values: INSERT ... ON CONFLICT (customer_id) DO UPDATE (an upsert, so a
  re-run is idempotent like sluice's), pages of 10,000 rows.
- pandas to_sql (default method): what most notebooks do; if_exists='append' into an
  emptied table (to_sql has no upsert, so a "re-run" is delete-all + insert-all).
- pandas to_sql with the COPY callable from the pandas documentation (method=psql_insert_copy).
"""
import csv
import io
import sys
import time

import pandas as pd
import psycopg2
import psycopg2.extras
import sqlalchemy

rows, url = int(sys.argv[1]), sys.argv[2]
methods = sys.argv[3].split(",") if len(sys.argv) > 3 else ["execute_values", "to_sql", "to_sql_copy"]
products = ["PURA100", "SUPA101", "DETA800", "PURA250", "SUPA102", "DETA200"]
frame = pd.DataFrame({
    "customer_id": [str(i).zfill(7) for i in range(rows)],
    "favourite_product": [products[i % len(products)] for i in range(rows)],
    "longest_streak": [i % 9 + 1 for i in range(rows)],
})
create = "CREATE TABLE bench_peers (customer_id text PRIMARY KEY, favourite_product text, longest_streak integer)"


def psql_insert_copy(table, conn, keys, data_iter):
    """The COPY insertion method from the pandas documentation."""
    dbapi_conn = conn.connection
    with dbapi_conn.cursor() as cur:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(data_iter)
        buffer.seek(0)
        columns = ", ".join(f'"{k}"' for k in keys)
        cur.copy_expert(f"COPY {table.name} ({columns}) FROM STDIN WITH CSV", buffer)


def reset():
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_peers")
        cursor.execute(create)


def execute_values():
    records = list(frame.itertuples(index=False, name=None))
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        psycopg2.extras.execute_values(
            cursor,
            "INSERT INTO bench_peers (customer_id, favourite_product, longest_streak) VALUES %s "
            "ON CONFLICT (customer_id) DO UPDATE SET favourite_product = EXCLUDED.favourite_product, "
            "longest_streak = EXCLUDED.longest_streak "
            "WHERE (bench_peers.favourite_product, bench_peers.longest_streak) IS DISTINCT FROM "
            "(EXCLUDED.favourite_product, EXCLUDED.longest_streak)",
            records, page_size=10_000)


def to_sql(method):
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM bench_peers")
        frame.to_sql("bench_peers", connection, if_exists="append", index=False, method=method, chunksize=100_000)
    engine.dispose()


run = {
    "execute_values": execute_values,
    "to_sql": lambda: to_sql(None),
    "to_sql_copy": lambda: to_sql(psql_insert_copy),
}
for name in methods:
    reset()
    started = time.perf_counter()
    run[name]()
    first = time.perf_counter() - started
    started = time.perf_counter()
    run[name]()
    again = time.perf_counter() - started
    print(f"{name},{rows},{first:.3f},{again:.3f}", flush=True)
