"""The Sluice pipelines in pandas, written the way the original assignments are solved:
read_csv + groupby for transactions; zipfile + json + DataFrame + merge + groupby for ecommerce;
read_csv + str methods + drop_duplicates + groupby for credits.

Fast settings: the pyarrow CSV engine (multi-threaded parsing, pandas 3's Arrow-backed `str`
dtype), integer day numbers instead of date strings, integer cents for exact revenue.
pandas has no bounded-memory mode: `--low-memory` runs the same code (and the runner records
what happened).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

from common import (
    CREDITS_ACTIONS, CREDITS_COLUMNS, CREDITS_TRIM, cents_to_text, credits_cents, parse_args, part_files, price_cents,
    write_counts,
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

    adds = distinct["action"] == "add"
    balances = (
        pd.DataFrame({
            "org_id": distinct["org_id"],
            "credits_added": np.where(adds, distinct["cents"], 0),
            "credits_deducted": np.where(adds, 0, distinct["cents"]),
        })
        .groupby("org_id")
        .agg(credits_added=("credits_added", "sum"), credits_deducted=("credits_deducted", "sum"),
             events=("credits_added", "size"))
        .sort_index()
        .reset_index()
    )
    balances.insert(3, "balance", balances["credits_added"] - balances["credits_deducted"])
    for column in ["credits_added", "credits_deducted", "balance"]:
        balances[column] = balances[column].map(cents_to_text)
    balances.to_csv(out, index=False, lineterminator="\n")
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
