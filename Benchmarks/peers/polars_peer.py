"""The Sluice pipelines in Polars: lazy queries over scan_csv (and, for ecommerce, the purchases
read from the archives), the whole plan optimised and run at once.

Default: `collect()` with Polars' default engine, then `write_csv`. `--low-memory`: the same
plan on the streaming engine, written with `sink_csv` (Polars has no memory limit setting;
streaming is its bounded-memory mode). Ecommerce: Polars cannot read ZIP archives and has no
lazy scanner for JSON arrays (only for NDJSON), so the script inflates each part file in memory
and reads it with `read_json` (a process per core, one daily archive at a time), keeping only
the purchases of each part; that time is part of the measurement. Credits: every column read
as text, normalised and checked with expressions, the distinct rows collected once (with a flag
for the valid ones), then the counts and the balances from them, credits as Decimal(12,2), the
time of each event from `str.to_datetime(format, strict=False)` per format where the text has
its shape, or from the digits of an epoch, coalesced in Sluice's order.
"""

from __future__ import annotations

import sys

import polars as pl

from common import (
    CREDITS_ACTIONS, CREDITS_BALANCE_COLUMNS, CREDITS_COLUMNS, CREDITS_EPOCH, CREDITS_EPOCH_LIMIT, CREDITS_INEXACT,
    CREDITS_NEGATIVE_ZERO, CREDITS_NUMBER, CREDITS_TIMESTAMP_FORMATS, CREDITS_TOO_LARGE,
    CREDITS_TRIM, day_parts, map_daily_archives, parse_args, timestamp_text, write_counts,
)


def write(plan: pl.LazyFrame, out, low_memory: bool) -> None:
    if low_memory:
        plan.sink_csv(out, engine="streaming")
    else:
        plan.collect().write_csv(out)


def transactions(source, out, low_memory: bool) -> None:
    rows = pl.scan_csv(
        source,
        separator="|",
        schema_overrides={"custId": pl.String, "transactionDate": pl.Date, "productSold": pl.String, "unitsSold": pl.Int64},
    ).select("custId", "transactionDate", "productSold", "unitsSold")

    # favourite product: greatest total units; ties → the alphabetically first product
    favourite = (
        rows.group_by("custId", "productSold")
        .agg(pl.col("unitsSold").sum().alias("units"))
        .group_by("custId")
        .agg(pl.col("productSold").sort_by(["units", "productSold"], descending=[True, False]).first().alias("favourite_product"))
    )

    # longest streak: distinct days per customer, sorted; day − position is constant along a run
    streak = (
        rows.select("custId", pl.col("transactionDate").cast(pl.Int32).alias("day"))
        .unique()
        .sort("custId", "day")
        .with_columns((pl.col("day") - pl.int_range(pl.len(), dtype=pl.Int32).over("custId")).alias("run"))
        .group_by("custId", "run")
        .len()
        .group_by("custId")
        .agg(pl.col("len").max().cast(pl.Int64).alias("longest_streak"))
    )

    result = (
        favourite.join(streak, on="custId")
        .rename({"custId": "customer_id"})
        .select("customer_id", "favourite_product", "longest_streak")
        .sort("customer_id")
    )
    write(result, out, low_memory)


EVENT_SCHEMA = {"customer_id": pl.String, "event_type": pl.String, "product_id": pl.String, "quantity": pl.Int64}


def _day_purchases(inner: bytes, tag: str) -> pl.DataFrame | None:
    """The purchases of one daily archive's part files. Each part is one JSON array (indented,
    one key per line), read with `read_json` from the inflated bytes (Polars has no lazy
    scanner for JSON arrays, only for NDJSON); ids are text."""
    frames = [
        pl.read_json(data, schema=EVENT_SCHEMA).filter(pl.col("event_type") == "purchase")
        for _, data in day_parts(inner)
    ]
    return pl.concat(frames) if frames else None


def read_purchases(events) -> pl.DataFrame:
    """The purchases of every part file of the nested archives: `read_json` parses on one core,
    so a process per core reads one daily archive at a time (common.map_daily_archives). This
    runs before any other Polars work, so the forked workers start from a quiet process."""
    frames = [f for f in map_daily_archives(events, _day_purchases) if f is not None]
    if not frames:
        sys.exit(f"error: no part files (*.json) in the daily archives of {events}")
    return pl.concat(frames, rechunk=False)


def ecommerce(events, products_csv, customers_csv, out, low_memory: bool) -> None:
    purchases = (
        read_purchases(events)
        .lazy()
        .select("customer_id", "product_id", pl.col("quantity").fill_null(1))
    )
    # ids as text, never numbers; the price exact, Decimal(10,2); other columns as text
    products = pl.scan_csv(
        products_csv,
        schema_overrides={"product_id": pl.String, "product_name": pl.String, "category": pl.String, "price": pl.Decimal(10, 2)},
    ).select("product_id", "category", "price")
    customers = pl.scan_csv(
        customers_csv, schema_overrides={"customer_id": pl.String, "join_date": pl.String, "segment": pl.String}
    ).select("customer_id", pl.col("segment").alias("customer_segment"))
    # inner joins: a purchase of an unknown product or by an unknown customer is left out
    report = (
        purchases.join(products, on="product_id", how="inner")
        .join(customers, on="customer_id", how="inner")
        .group_by("category", "customer_segment")
        .agg(
            (pl.col("quantity") * pl.col("price")).sum().alias("total_revenue"),
            pl.col("quantity").sum().alias("units_sold"),
            pl.col("customer_id").n_unique().alias("unique_customers"),
        )
        .sort("category", "customer_segment")
    )
    write(report, out, low_memory)


def event_seconds(text: pl.Expr) -> pl.Expr:
    """The time of a trimmed timestamp as whole seconds since 1970 (null when it reads in none
    of the formats), kept as an integer: an epoch can pass the years Polars formats."""
    times = []
    for format, shape in CREDITS_TIMESTAMP_FORMATS:
        seconds = text.str.to_datetime(format, time_unit="us", strict=False).dt.epoch("s")
        times.append(pl.when(text.str.contains(shape)).then(seconds))
    epoch = text.cast(pl.Int64, strict=False)
    times.append(pl.when(text.str.contains(CREDITS_EPOCH) & epoch.is_between(-CREDITS_EPOCH_LIMIT, CREDITS_EPOCH_LIMIT))
                 .then(epoch))
    return pl.coalesce(times)


def credits(source, out, low_memory: bool) -> None:
    rows = pl.scan_csv(source, infer_schema=False, quote_char='"').select(
        pl.col(c).fill_null("").str.strip_chars(CREDITS_TRIM).alias(c) for c in CREDITS_COLUMNS
    ).with_columns(pl.col("credit_type").str.to_lowercase(), pl.col("action").str.to_lowercase())
    amount = pl.col("credits")
    exact = (
        amount.str.contains(CREDITS_NUMBER)
        & ~amount.str.contains(CREDITS_INEXACT)
        & ~amount.str.contains(CREDITS_TOO_LARGE)
        & (~amount.str.starts_with("-") | amount.str.contains(CREDITS_NEGATIVE_ZERO))
    )
    valid = (pl.col("org_id") != "") & pl.col("action").is_in(CREDITS_ACTIONS) & exact
    # one row per distinct (valid, six fields), with its number of copies
    distinct = (
        rows.with_columns(valid.alias("valid"))
        .group_by("valid", *CREDITS_COLUMNS)
        .agg(pl.len().alias("copies"))
        .collect(engine="streaming" if low_memory else "auto")
    )
    events = distinct.filter(pl.col("valid"))
    write_counts(out, events.height, events["copies"].sum() - events.height,
                 distinct.filter(~pl.col("valid"))["copies"].sum())

    value = pl.col("credits").cast(pl.Decimal(12, 2))
    zero = pl.lit(0).cast(pl.Decimal(12, 2))
    seconds = pl.col("seconds")
    balances = (
        events.lazy()
        .with_columns(event_seconds(pl.col("timestamp")).alias("seconds"))
        .group_by("org_id")
        .agg(
            pl.when(pl.col("action") == "add").then(value).otherwise(zero).sum().alias("credits_added"),
            pl.when(pl.col("action") == "deduct").then(value).otherwise(zero).sum().alias("credits_deducted"),
            pl.len().alias("events"),
            seconds.null_count().alias("events_without_time"),
            seconds.min().alias("first_event_at"),
            seconds.max().alias("last_event_at"),
        )
        .with_columns(
            (pl.col("credits_added") - pl.col("credits_deducted")).alias("balance"),
            # one row per organisation: written as Sluice writes a time, by common.timestamp_text
            *(pl.col(c).map_elements(timestamp_text, return_dtype=pl.String) for c in ("first_event_at", "last_event_at")),
        )
        .select(CREDITS_BALANCE_COLUMNS)
        .sort("org_id")
    )
    write(balances, out, low_memory)


def main() -> None:
    args = parse_args("polars")
    if args.pipeline == "transactions":
        transactions(args.source, args.out, args.low_memory)
    elif args.pipeline == "credits":
        credits(args.source, args.out, args.low_memory)
    else:
        ecommerce(args.events, args.products, args.customers, args.out, args.low_memory)


if __name__ == "__main__":
    main()
