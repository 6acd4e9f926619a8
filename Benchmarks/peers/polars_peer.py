"""The Sluice pipelines in Polars: lazy queries over scan_csv / scan_ndjson, the whole plan
optimised and run at once.

Default: `collect()` with Polars' default engine, then `write_csv`. `--low-memory`: the same
plan on the streaming engine, written with `sink_csv` (Polars has no memory limit setting;
streaming is its bounded-memory mode). Ecommerce: Polars cannot read ZIP archives, so the
script first extracts the nested archives to one NDJSON file per day (common.extract_ndjson),
and that time is part of the measurement.
"""

from __future__ import annotations

import polars as pl

from common import extract_ndjson, parse_args, scratch_dir


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


def ecommerce(events, products_csv, customers_csv, out, low_memory: bool) -> None:
    with scratch_dir("polars-ndjson-") as tmp:
        files = extract_ndjson(events, tmp)
        purchases = (
            pl.scan_ndjson(
                files,
                schema={
                    "timestamp": pl.String,
                    "customer_id": pl.Int64,
                    "event_type": pl.String,
                    "product_id": pl.Int64,
                    "quantity": pl.Int64,
                },
            )
            .filter(pl.col("event_type") == "purchase")
            .select("customer_id", "product_id", pl.col("quantity").fill_null(1))
        )
        products = pl.scan_csv(
            products_csv, schema_overrides={"product_id": pl.Int64, "price": pl.Decimal(10, 2)}
        ).select("product_id", "category", "price")
        customers = pl.scan_csv(customers_csv, schema_overrides={"customer_id": pl.Int64}).select(
            "customer_id", pl.col("segment").alias("customer_segment")
        )
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


def main() -> None:
    args = parse_args("polars")
    if args.pipeline == "transactions":
        transactions(args.source, args.out, args.low_memory)
    else:
        ecommerce(args.events, args.products, args.customers, args.out, args.low_memory)


if __name__ == "__main__":
    main()
