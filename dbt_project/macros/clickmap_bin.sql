{#-
    The clickmap cell (0 … bins-1) of a coordinate: `position / extent` normalised to the
    viewport, clamped so a click on the last pixel row lands in the last cell.
-#}
{% macro clickmap_bin(position, extent, bins) -%}
    least(
        greatest(
            cast(floor({{ position }} / {{ extent }} * {{ bins }}) as {{ dbt.type_int() }}),
            0
        ),
        {{ bins }} - 1
    )
{%- endmacro %}
