{#-
  Daily facts, grain (sale_date, store_id, product_id, currency): transactions, units_sold,
  revenue (exact numeric, per currency), avg_unit_price = revenue / units_sold (weighted by
  units, 4 places), updated_at, and run_id: the newest load among the group's staged sales.

  Incremental by date (delete+insert on sale_date): the dates of the staged rows newer than the
  newest load already reflected here (max(run_id) of this table), plus the dates those rows took
  sales away from (superseded_sale_date), are aggregated again from the whole of staging and
  replaced. The post-hook drops a date none of whose sales is left in staging (delete+insert
  only replaces the dates the new result has).
-#}
{{ config(
    materialized='incremental',
    unique_key='sale_date',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['sale_date']}],
    post_hook="delete from {{ this }} where sale_date in (
        select d.sale_date from (select distinct sale_date from {{ this }}) as d
        where not exists (select 1 from {{ ref('stg_sales') }} as s where s.sale_date = d.sale_date))",
) }}

{% if is_incremental() %}
with changed as (
    select sale_date, superseded_sale_date
    from {{ ref('stg_sales') }}
    where run_id > (select coalesce(max(run_id), '') from {{ this }})
),

dates as (
    select sale_date from changed
    union
    select superseded_sale_date from changed where superseded_sale_date is not null
)
{% endif %}

select
    sale_date,
    store_id,
    product_id,
    currency,
    count(*)::bigint as transactions,
    sum(quantity)::bigint as units_sold,
    sum(quantity * unit_price)::numeric(18, 2) as revenue,
    round(sum(quantity * unit_price) / nullif(sum(quantity), 0), 4)::numeric(16, 4) as avg_unit_price,
    now() as updated_at,
    max(run_id) as run_id
from {{ ref('stg_sales') }}
{% if is_incremental() %}
where sale_date in (select sale_date from dates)
{% endif %}
group by sale_date, store_id, product_id, currency
