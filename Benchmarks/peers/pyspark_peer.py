"""The Sluice pipelines in PySpark: the DataFrame API on a local[N] session (N = cores).

Settings a user tunes for one machine: driver memory (local mode runs the executors inside the
driver JVM), few shuffle partitions (adaptive execution on), no UI, shuffle spill in a scratch
directory. The result is written by Spark's CSV writer as one partition and moved to the
output path. `--low-memory`: a 512 MB driver heap, the smallest round size Spark starts with
(it refuses less than 450 MB), with more, smaller shuffle partitions; the JVM's own memory and
the Python driver come on top of the heap.
Ecommerce: Spark cannot read ZIP archives, so the script first inflates every part file of the
nested archives into the scratch directory as it is (common.extract_parts; a JSON array each,
read with `multiLine`), and that time is part of the measurement. Credits: every column read as
text, normalised with column functions, grouped once into distinct rows (kept in memory and on
disk) from which the counts and the balances (DecimalType(12,2)) come; the time of each event
from `try_to_timestamp` per format where the text has its shape, or from the digits of an epoch,
coalesced in Sluice's order (session time zone UTC).
"""

from __future__ import annotations

import os
import re
import shutil

from common import (
    CREDITS_ACTIONS, CREDITS_BALANCE_COLUMNS, CREDITS_COLUMNS, CREDITS_EPOCH, CREDITS_EPOCH_LIMIT, CREDITS_INEXACT,
    CREDITS_NEGATIVE_ZERO, CREDITS_NUMBER, CREDITS_TIMESTAMP_FORMATS, CREDITS_TOO_LARGE,
    CREDITS_TRIM, extract_parts, parse_args, scratch_dir, timestamp_text, write_counts,
)


def session(tmp, low_memory: bool):
    from pyspark.sql import SparkSession

    cores = os.cpu_count() or 2
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("sluice-peer")
        .config("spark.driver.memory", "512m" if low_memory else os.environ.get("PEERS_SPARK_MEMORY", "12g"))
        .config("spark.sql.shuffle.partitions", str(cores * (32 if low_memory else 4)))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(tmp))
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={tmp}")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def write_single_csv(frame, tmp, out, sort_by: list[str]) -> None:
    """Spark writes a folder of part files; one partition, sorted, gives exactly one."""
    folder = os.path.join(str(tmp), "result")
    # escape '"': a quote inside a value is doubled, as Sluice's CSV writer does (Spark's default is `\"`)
    frame.repartition(1).sortWithinPartitions(*sort_by).write.csv(folder, header=True, mode="overwrite", escape='"')
    parts = sorted(p for p in os.listdir(folder) if p.startswith("part-") and p.endswith(".csv"))
    if len(parts) != 1:
        raise RuntimeError(f"expected one part file in {folder}, found {parts}")
    shutil.move(os.path.join(folder, parts[0]), out)


def transactions(spark, source, out, tmp) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, LongType, StringType, StructField, StructType

    schema = StructType(
        [
            StructField("transactionId", StringType()),
            StructField("custId", StringType()),
            StructField("transactionDate", DateType()),
            StructField("productSold", StringType()),
            StructField("unitsSold", LongType()),
        ]
    )
    rows = spark.read.csv(str(source), sep="|", header=True, schema=schema, dateFormat="yyyy-MM-dd", mode="FAILFAST")

    # favourite product: greatest total units; ties → the alphabetically first product
    # (the minimum of (−units, product) picks exactly that)
    favourite = (
        rows.groupBy("custId", "productSold")
        .agg(F.sum("unitsSold").alias("units"))
        .groupBy("custId")
        .agg(F.min(F.struct((-F.col("units")).alias("negUnits"), F.col("productSold").alias("product"))).alias("best"))
        .select("custId", F.col("best.product").alias("favourite_product"))
    )

    # longest streak: distinct days per customer; day − row number is constant along a run
    by_day = Window.partitionBy("custId").orderBy("transactionDate")
    streak = (
        rows.select("custId", "transactionDate")
        .distinct()
        .withColumn("run", F.unix_date("transactionDate") - F.row_number().over(by_day))
        .groupBy("custId", "run")
        .count()
        .groupBy("custId")
        .agg(F.max("count").alias("longest_streak"))
    )

    result = favourite.join(streak, "custId").select(
        F.col("custId").alias("customer_id"), "favourite_product", "longest_streak"
    )
    write_single_csv(result, tmp, out, ["customer_id"])


def ecommerce(spark, events, products_csv, customers_csv, out, tmp) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType, LongType, StringType, StructField, StructType

    files = extract_parts(events, tmp)
    # every part file is one JSON array (indented, one key per line): multiLine reads each file
    # as one JSON document, an array of events. Ids are text (`c042`, `p013`); columns the job
    # does not use are read as text, whatever they hold; the price is exact.
    event_schema = StructType(
        [
            StructField("customer_id", StringType()),
            StructField("event_type", StringType()),
            StructField("product_id", StringType()),
            StructField("quantity", LongType()),
        ]
    )
    product_schema = StructType(
        [
            StructField("product_id", StringType()),
            StructField("product_name", StringType()),
            StructField("category", StringType()),
            StructField("price", DecimalType(10, 2)),
        ]
    )
    customer_schema = StructType(
        [StructField("customer_id", StringType()), StructField("join_date", StringType()), StructField("segment", StringType())]
    )
    purchases = (
        spark.read.json([str(f) for f in files], schema=event_schema, multiLine=True, mode="FAILFAST")
        .where(F.col("event_type") == "purchase")
        .select("customer_id", "product_id", F.coalesce("quantity", F.lit(1)).alias("quantity"))
    )
    # RFC 4180 quoting: a quote inside a quoted field is doubled (Spark's default escape is `\`)
    csv_options = dict(header=True, mode="FAILFAST", quote='"', escape='"')
    products = spark.read.csv(str(products_csv), schema=product_schema, **csv_options)
    customers = spark.read.csv(str(customers_csv), schema=customer_schema, **csv_options)

    # inner joins: a purchase of an unknown product or by an unknown customer is left out
    report = (
        purchases.join(F.broadcast(products), "product_id")
        .join(F.broadcast(customers), "customer_id")
        .groupBy("category", F.col("segment").alias("customer_segment"))
        .agg(
            F.sum(F.col("quantity") * F.col("price")).alias("total_revenue"),
            F.sum("quantity").alias("units_sold"),
            F.countDistinct("customer_id").alias("unique_customers"),
        )
    )
    write_single_csv(report, tmp, out, ["category", "customer_segment"])


# Sluice's strftime directives as Spark's datetime pattern letters; one letter parses one or
# two digits (the year up to four), the rest is quoted literal text.
SPARK_PATTERN = {"%Y": "y", "%m": "M", "%d": "d", "%H": "H", "%I": "h", "%M": "m", "%S": "s", "%p": "a"}


def spark_pattern(format: str) -> str:
    parts = re.split("(%.)", format)
    return "".join(SPARK_PATTERN[p] if p in SPARK_PATTERN else f"'{p}'" if p.isalpha() else p for p in parts)


def event_seconds(text):
    """The time of a trimmed timestamp column as whole seconds since 1970 (null when it reads in
    none of the formats), kept as a long: an epoch can pass the years Spark formats."""
    from pyspark.sql import functions as F

    times = []
    for format, shape in CREDITS_TIMESTAMP_FORMATS:
        times.append(F.when(text.rlike(shape), F.unix_seconds(F.try_to_timestamp(text, F.lit(spark_pattern(format))))))
    epoch = text.try_cast("bigint")
    times.append(F.when(text.rlike(CREDITS_EPOCH) & epoch.between(-CREDITS_EPOCH_LIMIT, CREDITS_EPOCH_LIMIT), epoch))
    return F.coalesce(*times)


def credits(spark, source, out, tmp) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType, StringType, StructField, StructType

    schema = StructType([StructField(c, StringType()) for c in CREDITS_COLUMNS])
    # RFC 4180 quoting (a quote inside a quoted field is doubled); an empty field is null, read as ""
    raw = spark.read.csv(str(source), schema=schema, header=True, mode="FAILFAST", quote='"', escape='"')
    space = f"[{CREDITS_TRIM}]+"  # the characters themselves: a Java regex takes them literally
    trimmed = {c: F.regexp_replace(F.coalesce(F.col(c), F.lit("")), f"^{space}|{space}$", "") for c in CREDITS_COLUMNS}
    trimmed["credit_type"] = F.lower(trimmed["credit_type"])
    trimmed["action"] = F.lower(trimmed["action"])
    rows = raw.select(*(trimmed[c].alias(c) for c in CREDITS_COLUMNS))

    amount = F.col("credits")
    valid = (
        (F.col("org_id") != "")
        & F.col("action").isin(CREDITS_ACTIONS)
        & amount.rlike(CREDITS_NUMBER)
        & ~amount.rlike(CREDITS_INEXACT)
        & ~amount.rlike(CREDITS_TOO_LARGE)
        & (~amount.startswith("-") | amount.rlike(CREDITS_NEGATIVE_ZERO))
    )
    distinct = rows.withColumn("valid", valid).groupBy("valid", *CREDITS_COLUMNS).agg(F.count("*").alias("copies")).persist()

    counts = distinct.agg(
        F.sum(F.when(F.col("valid"), 1).otherwise(0)),
        F.sum(F.when(F.col("valid"), F.col("copies") - 1).otherwise(0)),
        F.sum(F.when(~F.col("valid"), F.col("copies")).otherwise(0)),
    ).first()
    events, duplicates, rejects = (int(v or 0) for v in counts)

    value = F.col("credits").cast(DecimalType(12, 2))
    zero = F.lit(0).cast(DecimalType(12, 2))
    seconds = event_seconds(F.col("timestamp"))
    # one row per organisation: written as Sluice writes a time, by common.timestamp_text
    text = F.udf(lambda s: None if s is None else timestamp_text(s), StringType())
    balances = (
        distinct.where(F.col("valid"))
        .groupBy("org_id")
        .agg(
            F.sum(F.when(F.col("action") == "add", value).otherwise(zero)).alias("credits_added"),
            F.sum(F.when(F.col("action") == "deduct", value).otherwise(zero)).alias("credits_deducted"),
            F.count("*").alias("events"),
            F.count_if(seconds.isNull()).alias("events_without_time"),
            F.min(seconds).alias("first"),
            F.max(seconds).alias("last"),
        )
        .select("org_id", "credits_added", "credits_deducted",
                (F.col("credits_added") - F.col("credits_deducted")).alias("balance"), "events", "events_without_time",
                text("first").alias("first_event_at"), text("last").alias("last_event_at"))
        .select(CREDITS_BALANCE_COLUMNS)
    )
    write_single_csv(balances, tmp, out, ["org_id"])
    write_counts(out, events, duplicates, rejects)


def main() -> None:
    args = parse_args("pyspark")
    with scratch_dir("pyspark-") as tmp:
        spark = session(tmp, args.low_memory)
        try:
            if args.pipeline == "transactions":
                transactions(spark, args.source, args.out, tmp)
            elif args.pipeline == "credits":
                credits(spark, args.source, args.out, tmp)
            else:
                ecommerce(spark, args.events, args.products, args.customers, args.out, tmp)
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
