{#- `numerator / denominator` as a float; null instead of a division-by-zero error. -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
