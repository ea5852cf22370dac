{#-
    Whole seconds from `start_ts` to `end_ts` (negative when `end_ts` is earlier).

    dbt's `datediff(..., 'second')` is correct everywhere but expands to a long chain of
    `date_part` calls on PostgreSQL and casts to DATETIME on BigQuery; these variants say the
    same thing directly.
-#}
{% macro seconds_between(start_ts, end_ts) %}
    {{ return(adapter.dispatch('seconds_between', 'replayport')(start_ts, end_ts)) }}
{% endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'second') }}
{%- endmacro %}

{% macro postgres__seconds_between(start_ts, end_ts) -%}
    floor(extract(epoch from ({{ end_ts }}) - ({{ start_ts }})))
{%- endmacro %}

{% macro bigquery__seconds_between(start_ts, end_ts) -%}
    timestamp_diff({{ end_ts }}, {{ start_ts }}, second)
{%- endmacro %}

{% macro redshift__seconds_between(start_ts, end_ts) -%}
    datediff(second, {{ start_ts }}, {{ end_ts }})
{%- endmacro %}
