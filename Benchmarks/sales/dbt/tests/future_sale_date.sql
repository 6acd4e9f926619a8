{#- A warning for sales dated after tomorrow (a clock or a zone gone wrong), as Sluice's
    future_sale_date test. -#}
{{ config(severity='warn') }}

select sale_date, store_id, product_id, currency
from {{ ref('fct_daily_sales_metrics') }}
where sale_date > current_date + 1
