"""Helpers shared by the peer scripts: the command line, the reading of the ecommerce part files
out of the nested archives (none of the peers reads ZIP archives, let alone archives inside
archives): in memory for pandas and Polars, extracted to files for DuckDB and PySpark, a
temporary directory that is always removed, and the credits rules every peer applies alike
(what makes an event, how a timestamp reads, how a time is written).

Every part file is kept as it is, one JSON array (the original task's layout is
`json.dump(events, f, indent=2)`: one key per line), and read by each engine's own JSON array
reader; nothing assumes one event per line. Ids are text (`c042`, `p013`).

Everything here runs inside the timed process: the extraction is part of each peer's time.
"""

from __future__ import annotations

import argparse
import contextlib
import decimal
import io
import os
import re
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
    cr = sub.add_parser("credits", help="events, duplicates, rejects and the balance per organisation of a credits log")
    cr.add_argument("source", type=Path, help="credits CSV (org_id,user_id,credit_type,action,credits,timestamp)")
    cr.add_argument("out", type=Path, help=f"output CSV ({','.join(CREDITS_BALANCE_COLUMNS)}); "
                    "the counts go beside it, to <out stem>.counts.csv (events,duplicates,rejects)")
    cr.add_argument("--low-memory", action="store_true", help="the tool's bounded-memory mode (256 MB where it has one)")
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


def _is_part(name: str) -> bool:
    return name.lower().endswith(".json") and not name.endswith("/")


def _is_day(name: str) -> bool:
    return name.lower().endswith(".zip") and not name.endswith("/")


def part_files(events: Path):
    """Every part file of every daily archive of every weekly archive, in name order, as
    `(name, bytes)` with the bytes as stored (one JSON array of events, laid out however the
    writer chose — the original task's is `json.dump(events, f, indent=2)`, one key per line).
    One weekly and one daily archive in memory at a time."""
    for weekly in weekly_archives(events):
        with zipfile.ZipFile(weekly) as week:
            for daily in sorted(n for n in week.namelist() if _is_day(n)):
                for part, data in day_parts(week.read(daily)):
                    yield f"{weekly.name}/{daily}/{part}", data


def map_daily_archives(events: Path, function, *args) -> list:
    """`function(daily archive bytes, tag, *args)` for every daily archive of every weekly
    archive, in a process per core, one week's compressed days in memory at a time; the
    results in archive order. `tag` (`w0000-d000`: week and day by position) is unique across
    the weekly archives, whatever the archives inside them are called."""
    results = []
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for w, weekly in enumerate(weekly_archives(events)):
            with zipfile.ZipFile(weekly) as week:
                futures = [
                    pool.submit(function, week.read(name), f"w{w:04d}-d{d:03d}", *args)
                    for d, name in enumerate(sorted(n for n in week.namelist() if _is_day(n)))
                ]
            results += [future.result() for future in futures]
    return results


def day_parts(inner: bytes):
    """The part files of one daily archive (its bytes), in name order, as stored."""
    with zipfile.ZipFile(io.BytesIO(inner)) as day:
        for name in sorted(n for n in day.namelist() if _is_part(n)):
            yield name, day.read(name)


def _extract_day(inner: bytes, tag: str, into: Path) -> list[Path]:
    written = []
    for index, (_, data) in enumerate(day_parts(inner)):
        target = into / f"{tag}-p{index:05d}.json"
        target.write_bytes(data)
        written.append(target)
    return written


def extract_parts(events: Path, into: Path) -> list[Path]:
    """The extraction step: every part file of every daily archive of every weekly archive,
    inflated into `into` as it is — a JSON array — for an engine that reads JSON arrays from
    files (DuckDB `read_json(format = 'array')`, Spark `multiLine`) but not from ZIP archives.
    A process per core inflates one daily archive at a time. Files are named by position
    (week, day, part), so equal names in different archives cannot collide."""
    files = [f for written in map_daily_archives(events, _extract_day, into) for f in written]
    if not files:
        sys.exit(f"error: no part files (*.json) in the daily archives of {events}")
    return files


def price_cents(text: str) -> int:
    """A catalogue price as written (`123.45`, `12.3`, `7`) in exact integer cents; an amount
    with more than two decimals is an error rather than rounded."""
    value = decimal.Decimal(text.strip())
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"price {text!r} has more than two decimals")
    return int(cents)


def cents_to_text(cents: int) -> str:
    """An exact amount in cents as `1234.50` (Sluice's decimal(…, 2) format)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


# ----------------------------------------------------------------------------- credits
#
# Sluice's credits rules: every field trimmed of spaces, tabs, CR and LF; action and credit_type
# lower-cased; an empty field is null. A row is an event when it has an org_id, an action of
# `add` or `deduct` and credits that are an exact non-negative numeric(12,2); every other row is
# a reject. Events equal in all six fields (after trimming and lower-casing; credits compared
# as text) are one event, the other copies counted as duplicates. The balance per organisation
# (Sluice's finance_org_balance.csv) is over the events: credits added and deducted, their
# difference, the events, those without a time, and the first and last time.

CREDITS_COLUMNS = ["org_id", "user_id", "credit_type", "action", "credits", "timestamp"]
CREDITS_BALANCE_COLUMNS = ["org_id", "credits_added", "credits_deducted", "balance", "events",
                           "events_without_time", "first_event_at", "last_event_at"]
CREDITS_TRIM = " \t\r\n"
CREDITS_ACTIONS = ["add", "deduct"]
# Plain decimal text, as Sluice's parser takes it: an optional sign, digits with at most one
# point, at least one digit.
CREDITS_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
# Not exact at two decimals: a digit other than 0 after the second decimal.
CREDITS_INEXACT = r"\.[0-9]{2}[0-9]*[1-9]"
# Too large for numeric(12,2): more than ten digits before the point, leading zeros aside.
CREDITS_TOO_LARGE = r"^[+-]?0*[1-9][0-9]{10}"
# A minus sign is only harmless on zero (`-0.00`).
CREDITS_NEGATIVE_ZERO = r"^-[0.]*$"

_NUMBER = re.compile(CREDITS_NUMBER)
_INEXACT = re.compile(CREDITS_INEXACT)
_TOO_LARGE = re.compile(CREDITS_TOO_LARGE)
_NEGATIVE_ZERO = re.compile(CREDITS_NEGATIVE_ZERO)


# The time of an event: its trimmed timestamp read in the first of Sluice's formats
# (CreditsPipeline.timestampFormats) that matches the whole text, else none (empty: missing;
# anything else: unparseable). All in UTC. Each strftime format goes with its shape in Sluice's
# grammar (SluiceCore's DateTimeFormat): `%Y` one to four digits (`24` is the year 24), every
# other field one or two, literals exactly as written (one space: no tab, no second space, none
# before AM/PM), AM/PM in any case, and a second of at most 59 (Sluice refuses a leap second
# `:60`, as Spark does, where pandas and Polars read it as the next minute). The engines'
# parsers are more lenient than that (any whitespace, AM glued to the minutes, a second of 60
# or 61) and in places stricter (pandas' `%Y` takes four digits from 0001 only), so every peer reads a format only where its shape matches, and makes up the
# rest where its parser falls short. Then the value must be a real date and time (hour below
# 24, minute below 60, 12-hour clock 1 to 12, 31-02-2024 and 32/13/2024 unparseable): the
# engines' parsers check that.
CREDITS_YEAR = "[0-9]{1,4}"
_FIELD = "[0-9]{1,2}"
_SECOND = "[0-5]?[0-9]"
CREDITS_TIMESTAMP_FORMATS = [
    ("%Y-%m-%d %H:%M:%S", f"^{CREDITS_YEAR}-{_FIELD}-{_FIELD} {_FIELD}:{_FIELD}:{_SECOND}$"),
    ("%Y-%m-%dT%H:%M:%S", f"^{CREDITS_YEAR}-{_FIELD}-{_FIELD}T{_FIELD}:{_FIELD}:{_SECOND}$"),
    ("%Y-%m-%d", f"^{CREDITS_YEAR}-{_FIELD}-{_FIELD}$"),
    ("%m/%d/%Y %I:%M %p", f"^{_FIELD}/{_FIELD}/{CREDITS_YEAR} {_FIELD}:{_FIELD} [AaPp][Mm]$"),
    ("%d-%m-%Y", f"^{_FIELD}-{_FIELD}-{CREDITS_YEAR}$"),
]
# The last format, `epoch`: an integer (a sign allowed) of Unix seconds whose microseconds fit
# a 64-bit integer, as Sluice keeps times.
CREDITS_EPOCH = r"^[+-]?[0-9]+$"
CREDITS_EPOCH_LIMIT = (2**63 - 1) // 1_000_000


def timestamp_text(seconds: int) -> str:
    """Whole seconds since 1970 as Sluice writes a time, `YYYY-MM-DD HH:MM:SS` in UTC, for any
    year an epoch can reach (`0024-…`, `10000-…`, `-0001-…`), which the engines' own
    formatting does not all do (Polars' panics past year 262143, DuckDB writes `(BC)`)."""
    days, rest = divmod(int(seconds), 86_400)
    # the civil date of a day number (Howard Hinnant's algorithm, as SluiceCore's DateEncoding)
    z = days + 719_468
    era, day_of_era = divmod(z, 146_097)
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (month <= 2)
    sign = "-" if year < 0 else ""
    return f"{sign}{abs(year):04d}-{month:02d}-{day:02d} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"


def credits_cents(text: str) -> int | None:
    """Trimmed credits text as exact non-negative cents, or None when the row is a reject for
    its credits (empty, not a number, more than two decimals, too large, negative)."""
    if not _NUMBER.match(text) or _INEXACT.search(text) or _TOO_LARGE.match(text):
        return None
    if text.startswith("-") and not _NEGATIVE_ZERO.match(text):
        return None
    return abs(price_cents(text))


def counts_path(out: Path) -> Path:
    """Where a credits peer writes its counts: beside the balance file, `<stem>.counts.csv`."""
    return out.with_name(out.stem + ".counts.csv")


def write_counts(out: Path, events: int, duplicates: int, rejects: int) -> None:
    """The credits counts, `events,duplicates,rejects`, beside the balance file `out`."""
    counts_path(out).write_text(f"events,duplicates,rejects\n{int(events)},{int(duplicates)},{int(rejects)}\n")
