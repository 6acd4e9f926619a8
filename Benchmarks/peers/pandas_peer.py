"""The Sluice pipelines in pandas, written the way the original assignments are solved:
read_csv + groupby for transactions; zipfile + json + DataFrame + merge + groupby for ecommerce.

Fast settings: the pyarrow CSV engine (multi-threaded parsing, pandas 3's Arrow-backed `str`
dtype), integer day numbers instead of date strings, integer cents for exact revenue.
pandas has no bounded-memory mode: `--low-memory` runs the same code (and the runner records
what happened).
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd

from common import cents_to_text, parse_args, weekly_archives


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
    """Every part file of every daily archive of every weekly archive, purchases only."""
    columns = ["customer_id", "product_id", "event_type", "quantity"]
    frames = []
    for weekly in weekly_archives(events):
        with zipfile.ZipFile(weekly) as week:
            for daily in sorted(n for n in week.namelist() if n.endswith(".zip")):
                with zipfile.ZipFile(io.BytesIO(week.read(daily))) as day:
                    for part in sorted(n for n in day.namelist() if n.endswith(".json")):
                        text = day.read(part)
                        if text.lstrip().startswith(b"["):
                            records = json.loads(text)
                        else:  # newline-delimited JSON
                            records = [json.loads(line) for line in text.splitlines() if line.strip()]
                        frame = pd.DataFrame.from_records(records, columns=columns)
                        frames.append(frame[frame["event_type"] == "purchase"])
    return pd.concat(frames, ignore_index=True)


def ecommerce(events, products_csv, customers_csv, out) -> None:
    purchases = read_events(events)
    purchases["quantity"] = purchases["quantity"].fillna(1).astype("int64")

    products = pd.read_csv(products_csv, usecols=["product_id", "category", "price"])
    products["price_cents"] = (products["price"] * 100).round().astype("int64")  # exact to the cent
    customers = pd.read_csv(customers_csv, usecols=["customer_id", "segment"])

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


def main() -> None:
    args = parse_args("pandas")
    if args.pipeline == "transactions":
        transactions(args.source, args.out)
    else:
        ecommerce(args.events, args.products, args.customers, args.out)


if __name__ == "__main__":
    main()
