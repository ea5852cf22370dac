{#-
    `source()` that survives a contract table which was never loaded.

    dlt creates a table only once it has rows, so a fresh warehouse may lack `clicks` (no
    clicks yet), `payment_identities` (no payments loaded) or `_replayport_rejects` (nothing
    ever rejected). Instead of failing the whole build, the staging model then reads an empty
    relation with the contract's columns and types. Likewise a contract column added after the
    table was loaded (e.g. `payment_identities.amount_refunded`) reads as null until the next
    load adds it. Lineage is unchanged: `source()` is still called, so docs and selectors see
    the dependency.
-#}
{% macro replayport_source(source_name, table_name) %}
    {%- set relation = source(source_name, table_name) -%}
    {#- a unit test's fixture (a CTE) is used as it is -#}
    {%- if not execute or relation.type == 'cte' -%}
        {{ relation }}
    {%- elif load_relation(relation) is none -%}
        {{ log("replayport: " ~ relation ~ " not loaded yet; reading it as empty", info=true) }}
        (
            select
            {%- for column, family in contract_columns(relation.identifier | lower).items() %}
                cast(null as {{ replayport_type(family) }}) as {{ column }}
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
            {{ replayport_limit_zero() }}
        ) as {{ relation.identifier | lower }}_not_loaded
    {%- else -%}
        {%- set missing = replayport_missing_columns(relation) -%}
        {%- if missing -%}
            {{ log("replayport: " ~ relation ~ " lacks " ~ missing.keys() | join(", ")
                   ~ " (loaded by an older replayport); reading null", info=true) }}
            (
                select
                    *
                {%- for column, family in missing.items() %},
                    cast(null as {{ replayport_type(family) }}) as {{ column }}
                {%- endfor %}
                from {{ relation }}
            ) as {{ relation.identifier | lower }}_upgraded
        {%- else -%}
            {{ relation }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#-
    Contract columns (→ type family) that a loaded table lacks: columns added to the contract
    after the table was loaded, until the next load of that table adds them. Empty when the
    warehouse does not list the table's columns.
-#}
{% macro replayport_missing_columns(relation) %}
    {%- set loaded = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do loaded.append(column.name | lower) -%}
    {%- endfor -%}
    {%- set missing = {} -%}
    {%- if loaded -%}
        {%- for column, family in contract_columns(relation.identifier | lower).items() -%}
            {%- if column not in loaded -%}{%- do missing.update({column: family}) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(missing) }}
{% endmacro %}


{#- A contract type family → this warehouse's type, through dbt's cross-database macros. -#}
{% macro replayport_type(family) %}
    {%- if family == 'string' -%}{{ dbt.type_string() }}
    {%- elif family == 'bigint' -%}{{ dbt.type_bigint() }}
    {%- elif family == 'float' -%}{{ dbt.type_float() }}
    {%- elif family == 'boolean' -%}{{ dbt.type_boolean() }}
    {%- elif family == 'timestamp' -%}{{ dbt.type_timestamp() }}
    {%- elif family == 'numeric' -%}{{ dbt.type_numeric() }}
    {%- else -%}{{ exceptions.raise_compiler_error("unknown type family " ~ family) }}
    {%- endif -%}
{% endmacro %}


{#- An always-empty, FROM-less select: `limit 0` is accepted by every supported warehouse. -#}
{% macro replayport_limit_zero() %}
    {{ return(adapter.dispatch('replayport_limit_zero', 'replayport')()) }}
{% endmacro %}

{% macro default__replayport_limit_zero() %}limit 0{% endmacro %}


{#-
    A contract column whose name is a reserved word somewhere (`trigger` on Snowflake).
    dlt creates Snowflake columns upper-case, so the quoted form must be upper-case there.
-#}
{% macro reserved_column(name) %}
    {{ return(adapter.dispatch('reserved_column', 'replayport')(name)) }}
{% endmacro %}

{% macro default__reserved_column(name) %}{{ adapter.quote(name) }}{% endmacro %}

{% macro snowflake__reserved_column(name) %}"{{ name | upper }}"{% endmacro %}
