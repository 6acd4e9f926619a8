"""Helpers shared by the peer scripts: the command line, the NDJSON extraction step that
Polars, DuckDB and PySpark need before they can read the ecommerce events (none of them reads
ZIP archives, let alone nested ones), and a temporary directory that is always removed.

Everything here runs inside the timed process: the extraction is part of each peer's time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def parse_args(tool: str) -> argparse.Namespace:
    """`transactions SOURCE OUT [--low-memory]` or `ecommerce EVENTS PRODUCTS CUSTOMERS OUT`."""
    parser = argparse.ArgumentParser(prog=f"{tool}_peer.py", description=f"The Sluice pipelines in {tool}.")
    sub = parser.add_subparsers(dest="pipeline", required=True)
    tx = sub.add_parser("transactions", help="favourite product and longest streak per customer")
    tx.add_argument("source", type=Path, help="pipe-delimited transactions CSV")
    tx.add_argument("out", type=Path, help="output CSV (customer_id,favourite_product,longest_streak)")
    tx.add_argument("--low-memory", action="store_true", help="the tool's bounded-memory mode (256 MB where it has one)")
    ec = sub.add_parser("ecommerce", help="sales by category and customer segment")
    ec.add_argument("events", type=Path, help="folder of events_*.zip weekly archives")
    ec.add_argument("products", type=Path, help="products.csv (product_id,product_name,category,price)")
    ec.add_argument("customers", type=Path, help="customers.csv (customer_id,join_date,segment)")
    ec.add_argument("out", type=Path, help="output CSV (category,customer_segment,total_revenue,units_sold,unique_customers)")
    ec.add_argument("--low-memory", action="store_true", help="the tool's bounded-memory mode (256 MB where it has one)")
    return parser.parse_args()


@contextlib.contextmanager
def scratch_dir(prefix: str):
    """A temporary directory under $PEERS_TMP (the runner points it at Benchmarks/data/tmp, on the
    same disk as the data) or the system default; removed on the way out, also on failure."""
    base = os.environ.get("PEERS_TMP") or None
    if base:
        os.makedirs(base, exist_ok=True)
    path = tempfile.mkdtemp(prefix=prefix, dir=base)
    try:
        yield Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def weekly_archives(events: Path) -> list[Path]:
    """The weekly archives of an events folder (or the one archive given), in name order."""
    if events.is_file():
        return [events]
    archives = sorted(p for p in events.iterdir() if p.name.startswith("events_") and p.suffix == ".zip")
    if not archives:
        sys.exit(f"error: no events_*.zip archives in {events}")
    return archives


def json_part_to_ndjson(data: bytes) -> bytes:
    """One part file (a JSON array of events, or already NDJSON) as NDJSON bytes.

    Fast path: an array with one element per line (`[`, `{…},` lines, `{…}`, `]`, which is what
    the generator and most exporters write) becomes NDJSON by dropping the brackets and the
    commas that end lines. It is taken only when every line break sits between two elements and
    no line holds two of them (every `},` ends a line); an element spread over several lines leaves a
    line that is not a complete object, which DuckDB's and Polars' NDJSON readers reject (and
    PySpark's FAILFAST mode too), so a layout the check misses fails loudly rather than being
    read wrong — and the runner compares every result with Sluice's anyway. Any other array
    layout (one line, pretty-printed) is parsed and re-serialised with the standard library.
    """
    text = data.strip()
    if not text.startswith(b"["):
        return text + b"\n" if text else b""  # already NDJSON
    if not text.endswith(b"]"):
        raise ValueError("a JSON array part that does not end with ']'")
    body = text[1:-1].strip()
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
    if not body:
        return b""
    separators = body.count(b"},\n{")
    one_per_line = (
        body.startswith(b"{")
        and body.endswith(b"}")
        and body.count(b"\n") == separators  # every line break is between two elements
        and body.count(b"},") == separators  # and no line holds two (`},{`, `}, {`: a compact array)
    )
    if one_per_line:
        return body.replace(b"},\n{", b"}\n{") + b"\n"
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    return "\n".join(map(encoder.encode, json.loads(text))).encode() + b"\n"


def _extract_day(inner: bytes, target: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(inner)) as day, open(target, "wb") as out:
        for name in sorted(n for n in day.namelist() if n.endswith(".json")):
            out.write(json_part_to_ndjson(day.read(name)))
    return target


def extract_ndjson(events: Path, into: Path) -> list[Path]:
    """The extraction step: every weekly archive's daily archives → one NDJSON file per day in
    `into`, a process per core converting one daily archive at a time."""
    files: list[Path] = []
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for weekly in weekly_archives(events):  # one week's compressed days in memory at a time
            with zipfile.ZipFile(weekly) as week:
                futures = [
                    pool.submit(_extract_day, week.read(name), into / (Path(name).stem + ".ndjson"))
                    for name in sorted(n for n in week.namelist() if n.endswith(".zip"))
                ]
            files += [f.result() for f in futures]
    if not files:
        sys.exit(f"error: no daily archives in {events}")
    return files


def cents_to_text(cents: int) -> str:
    """An exact amount in cents as `1234.50` (Sluice's decimal(…, 2) format)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"
