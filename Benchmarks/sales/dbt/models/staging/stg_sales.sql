{#-
  One row per sale_id over everything loaded into raw.sales: the latest sale_ts wins, a tie goes
  to the later load (run_id), then the later file of the load, then the later line.

  Incremental: only the raw rows of the loads after the newest one staged (run_id above the
  high-water mark) are read, de-duplicated, and merged on sale_id. A new row replaces the
  staged one when it is as late or later and differs from it (Sluice's rule); otherwise the
  staged row is kept (the row is not in this model's output, so the merge leaves it alone).
  superseded_sale_date keeps the staged row's sale_date when a new row replaces it: a late
  duplicate can move a sale to another date, and fct_daily_sales_metrics recomputes both.
-#}
{{ config(
    materialized='incremental',
    unique_key='sale_id',
    incremental_strategy='merge',
    indexes=[{'columns': ['sale_id'], 'unique': True}, {'columns': ['sale_date']}, {'columns': ['run_id']}],
) }}

with new_rows as (
    select distinct on (sale_id)
        sale_id, sale_ts, (sale_ts at time zone 'UTC')::date as sale_date, store_id, product_id, quantity, unit_price,
        currency, total_amount, source_file, source_line, run_id
    from {{ source('raw', 'sales') }}
    {% if is_incremental() %}
    where run_id > (select coalesce(max(run_id), '') from {{ this }})
    {% endif %}
    order by sale_id, sale_ts desc, run_id desc, file_ordinal desc, source_line desc
)

{% if is_incremental() %}
select n.*, s.sale_date as superseded_sale_date
from new_rows as n
left join {{ this }} as s on s.sale_id = n.sale_id
where s.sale_id is null
   or (n.sale_ts >= s.sale_ts
       and (n.sale_ts, n.store_id, n.product_id, n.quantity, n.unit_price, n.currency, n.total_amount)
           is distinct from (s.sale_ts, s.store_id, s.product_id, s.quantity, s.unit_price, s.currency, s.total_amount))
{% else %}
select n.*, null::date as superseded_sale_date
from new_rows as n
{% endif %}
