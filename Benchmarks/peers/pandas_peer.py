"""The Sluice pipelines in pandas, written the way the original assignments are solved:
read_csv + groupby for transactions; zipfile + json + DataFrame + merge + groupby for ecommerce;
read_csv + str methods + drop_duplicates + to_datetime + groupby for credits.

Fast settings: the pyarrow CSV engine (multi-threaded parsing, pandas 3's Arrow-backed `str`
dtype), integer day numbers instead of date strings, integer cents for exact revenue.
pandas has no bounded-memory mode: `--low-memory` runs the same code (and the runner records
what happened).
"""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pandas as pd

from common import (
    CREDITS_ACTIONS, CREDITS_BALANCE_COLUMNS, CREDITS_COLUMNS, CREDITS_EPOCH, CREDITS_EPOCH_LIMIT,
    CREDITS_TIMESTAMP_FORMATS, CREDITS_TRIM, CREDITS_YEAR, cents_to_text, credits_cents, parse_args, part_files, price_cents,
    timestamp_text, write_counts,
)


def transactions(source, out) -> None:
    df = pd.read_csv(
        source,
        sep="|",
        usecols=["custId", "transactionDate", "productSold", "unitsSold"],
        dtype={"custId": "str", "transactionDate": "str", "productSold": "str", "unitsSold": "int64"},
        engine="pyarrow",
    )

    # favourite product: greatest total units; ties → the alphabetically first product
    units = df.groupby(["custId", "productSold"], sort=False)["unitsSold"].sum().reset_index(name="units")
    units = units.sort_values(["custId", "units", "productSold"], ascending=[True, False, True])
    favourite = units.drop_duplicates("custId").set_index("custId")["productSold"]

    # longest streak: distinct days per customer; day − rank is constant along a run of days
    days = df[["custId", "transactionDate"]].drop_duplicates()
    del df
    days["day"] = pd.to_datetime(days["transactionDate"], format="%Y-%m-%d").to_numpy().astype("datetime64[D]").astype(np.int64)
    days = days.sort_values(["custId", "day"])
    days["run"] = days["day"] - days.groupby("custId", sort=False).cumcount()
    streak = days.groupby(["custId", "run"], sort=False).size().groupby(level="custId").max()

    result = pd.DataFrame({"favourite_product": favourite, "longest_streak": streak})
    result.index.name = "customer_id"
    result.sort_index().reset_index().to_csv(out, index=False, lineterminator="\n")


def read_events(events) -> pd.DataFrame:
    """Every part file of every daily archive of every weekly archive, purchases only. Each part
    is one JSON array (indented, one key per line), parsed whole with `json.loads`; ids stay
    the strings they are in the JSON."""
    columns = ["customer_id", "product_id", "event_type", "quantity"]
    frames = []
    for _, data in part_files(events):
        frame = pd.DataFrame.from_records(json.loads(data), columns=columns)
        frames.append(frame[frame["event_type"] == "purchase"])
    if not frames:
        sys.exit(f"error: no part files (*.json) in the daily archives of {events}")
    return pd.concat(frames, ignore_index=True)


def ecommerce(events, products_csv, customers_csv, out) -> None:
    purchases = read_events(events)
    purchases["quantity"] = purchases["quantity"].fillna(1).astype("int64")
    purchases["customer_id"] = purchases["customer_id"].astype("str")
    purchases["product_id"] = purchases["product_id"].astype("str")

    # every column as text (ids are `c042` / `p013`, never numbers); the price exact in cents
    products = pd.read_csv(products_csv, usecols=["product_id", "category", "price"], dtype=str, keep_default_na=False)
    products["price_cents"] = products["price"].map(price_cents).astype("int64")
    customers = pd.read_csv(customers_csv, usecols=["customer_id", "segment"], dtype=str, keep_default_na=False)

    # inner joins: a purchase of an unknown product or by an unknown customer is left out
    sales = purchases.merge(products, on="product_id").merge(customers, on="customer_id")
    sales["revenue_cents"] = sales["quantity"] * sales["price_cents"]

    report = (
        sales.groupby(["category", "segment"])
        .agg(
            total_revenue=("revenue_cents", "sum"),
            units_sold=("quantity", "sum"),
            unique_customers=("customer_id", "nunique"),
        )
        .reset_index()
        .rename(columns={"segment": "customer_segment"})
        .sort_values(["category", "customer_segment"])
    )
    report["total_revenue"] = report["total_revenue"].map(cents_to_text)
    report.to_csv(out, index=False, lineterminator="\n")


# The Gregorian calendar repeats every 400 years: a year pandas' %Y does not take (fewer than
# four digits, `10/29/24 12:00 AM`, or 0000) is read 2000 years later, then moved back.
_SHIFT_YEARS = 2000
_SHIFT_SECONDS = _SHIFT_YEARS // 400 * 146_097 * 86_400


def _shift_year(match) -> str:
    """The text of a match of a timestamp shape with its year (the group) 2000 years later."""
    text, start, end = match.group(0), match.start(1), match.end(1)
    return f"{text[:start]}{int(text[start:end]) + _SHIFT_YEARS}{text[end:]}"


def event_seconds(texts: pd.Series) -> pd.Series:
    """The time of each trimmed timestamp as whole seconds since 1970 (Int64, <NA> when it reads
    in none of the formats), kept as an integer: an epoch can pass the years pandas holds.
    Each format is read with `to_datetime(format=..., errors="coerce")` from the texts not read
    yet that have its shape."""
    seconds = pd.Series(pd.NA, index=texts.index, dtype="Int64")
    for format, shape in CREDITS_TIMESTAMP_FORMATS:
        todo = texts[seconds.isna() & texts.str.contains(shape)]
        read = pd.to_datetime(todo, format=format, errors="coerce").dropna().dt.as_unit("s").astype("int64")
        again = todo.drop(read.index)
        if len(again):  # the texts that did not parse (mostly not real dates), their year moved
            moved = again.str.replace(re.compile(shape.replace(CREDITS_YEAR, f"({CREDITS_YEAR})")), _shift_year, regex=True)
            later = pd.to_datetime(moved, format=format, errors="coerce").dropna().dt.as_unit("s").astype("int64")
            read = pd.concat([read, later - _SHIFT_SECONDS])
        seconds[read.index] = read
    epoch = pd.to_numeric(texts[seconds.isna() & texts.str.contains(CREDITS_EPOCH)], errors="coerce")
    epoch = epoch[epoch.abs() <= CREDITS_EPOCH_LIMIT]  # exact: the limit is below 2**53
    seconds[epoch.index] = epoch.astype("int64")
    return seconds


def credits(source, out) -> None:
    # every column as text, an empty field as "" (never NaN): the rules decide what a value is
    df = pd.read_csv(source, dtype=str, keep_default_na=False, engine="pyarrow")[CREDITS_COLUMNS]
    for column in CREDITS_COLUMNS:
        df[column] = df[column].str.strip(CREDITS_TRIM)
    df["credit_type"] = df["credit_type"].str.lower()
    df["action"] = df["action"].str.lower()

    # credits: few distinct texts, each checked once (exact cents, or -1 for a reject)
    codes, texts = pd.factorize(df["credits"])
    cents = np.array([-1 if (c := credits_cents(t)) is None else c for t in texts], dtype=np.int64)
    df["cents"] = cents[codes]

    valid = (df["org_id"] != "") & df["action"].isin(CREDITS_ACTIONS) & (df["cents"] >= 0)
    events = df[valid]
    rejects = len(df) - len(events)
    del df
    distinct = events.drop_duplicates(subset=CREDITS_COLUMNS)
    duplicates = len(events) - len(distinct)
    del events

    # timestamps: far fewer distinct texts than events (midnights, minutes), each read once
    codes, texts = pd.factorize(distinct["timestamp"])
    seconds = event_seconds(pd.Series(texts)).array.take(codes)

    adds = distinct["action"] == "add"
    balances = (
        pd.DataFrame({
            "org_id": distinct["org_id"],
            "credits_added": np.where(adds, distinct["cents"], 0),
            "credits_deducted": np.where(adds, 0, distinct["cents"]),
            "without_time": pd.isna(seconds),
            "seconds": seconds,
        })
        .groupby("org_id")
        .agg(credits_added=("credits_added", "sum"), credits_deducted=("credits_deducted", "sum"),
             events=("credits_added", "size"), events_without_time=("without_time", "sum"),
             first_event_at=("seconds", "min"), last_event_at=("seconds", "max"))
        .sort_index()
        .reset_index()
    )
    balances["balance"] = balances["credits_added"] - balances["credits_deducted"]
    for column in ["credits_added", "credits_deducted", "balance"]:
        balances[column] = balances[column].map(cents_to_text)
    for column in ["first_event_at", "last_event_at"]:
        balances[column] = balances[column].map(timestamp_text, na_action="ignore")
    balances[CREDITS_BALANCE_COLUMNS].to_csv(out, index=False, lineterminator="\n")
    write_counts(out, len(distinct), duplicates, rejects)


def main() -> None:
    args = parse_args("pandas")
    if args.pipeline == "transactions":
        transactions(args.source, args.out)
    elif args.pipeline == "credits":
        credits(args.source, args.out)
    else:
        ecommerce(args.events, args.products, args.customers, args.out)


if __name__ == "__main__":
    main()
