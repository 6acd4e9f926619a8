"""PostgreSQL chores of Benchmarks/peers/run for the customers pipeline, run with the venv's
Python (psycopg lives there; the runner itself is standard library only).

    pg_tool.py fresh SERVER_URL NAME   # drops and creates database NAME, prints its URL
    pg_tool.py export URL OUT          # the loaded customers table as CSV, ordered by customer_id

The export is what the runner compares between Sluice and the peer: every column of the table
but `ingested_at` (the load's clock), as PostgreSQL prints it, so both sides are compared in the
same text whatever wrote them.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

COLUMNS = ["index", "customer_id", "first_name", "last_name", "company", "city", "country", "phone_1", "phone_2", "email",
           "subscription_date", "website", "attributes", "source_file"]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def fresh(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(with_database(server, name))


def export(url: str, out: str) -> None:
    query = sql.SQL("COPY (SELECT {} FROM customers ORDER BY customer_id COLLATE \"C\") TO STDOUT WITH (FORMAT csv, HEADER)").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS))
    with psycopg.connect(url) as connection, open(out, "wb") as handle:
        with connection.cursor().copy(query) as copy:
            for block in copy:
                handle.write(block)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "fresh":
        fresh(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
