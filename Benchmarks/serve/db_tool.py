"""PostgreSQL chores of Benchmarks/serve/run, run with the venv's Python (psycopg lives there; the
runner itself is standard library only).

    db_tool.py fresh SERVER_URL NAME   # drops and creates database NAME, prints its URL
    db_tool.py describe URL            # the loaded customers table, as one JSON object

`describe` gives what the runner builds its request shapes from and writes into the results:
the number of rows, the most frequent country (the filter shape), the most frequent first name
lower-cased (the search shape: a case-insensitive substring of first names and e-mails), how
many rows each of those shapes selects, and the server's version.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# The filter shape's date bound, also written into its URL by the runner.
SINCE = "2021-01-01"
SEARCH_COLUMNS = ["first_name", "last_name", "company", "email", "city", "country"]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def fresh(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(with_database(server, name))


def describe(url: str) -> None:
    with psycopg.connect(url) as connection:
        one = lambda query, *params: connection.execute(query, params).fetchone()
        rows = one("SELECT count(*) FROM customers")[0]
        country = one("SELECT country FROM customers WHERE country IS NOT NULL "
                      "GROUP BY country ORDER BY count(*) DESC, country LIMIT 1")
        name = one("SELECT lower(first_name) FROM customers WHERE first_name IS NOT NULL "
                   "GROUP BY lower(first_name) ORDER BY count(*) DESC, lower(first_name) LIMIT 1")
        if not rows or not country or not name:
            sys.exit("the customers table is empty or has no country / first name values")
        matches = sql.SQL(" OR ").join(sql.SQL("{} ILIKE %s").format(sql.Identifier(c)) for c in SEARCH_COLUMNS)
        searched = one(sql.SQL("SELECT count(*) FROM customers WHERE ") + matches, *[f"%{name[0]}%"] * len(SEARCH_COLUMNS))[0]
        filtered = one("SELECT count(*) FROM customers WHERE country = %s AND subscription_date >= %s", country[0], SINCE)[0]
        version = one("SHOW server_version")[0]
    print(json.dumps({"rows": rows, "country": country[0], "search": name[0], "search_rows": searched,
                      "since": SINCE, "filter_rows": filtered, "postgresql": version}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "fresh":
        fresh(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "describe":
        describe(sys.argv[2])
    else:
        sys.exit(__doc__)
