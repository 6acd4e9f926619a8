{#- The schemas as named (staging, marts), not dbt's default <target schema>_<name>, so the
    tables are where Sluice's are: staging.stg_sales and marts.fct_daily_sales_metrics. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
