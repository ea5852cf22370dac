{#-
    A session's frustration score: Σ weight × signal count, weights from the
    `frustration_weights` var (dbt_project.yml; documented in README.md).

    Rage clicks weigh most (the user is visibly annoyed), error clicks and console errors
    next (something broke where the user acted), dead clicks and failed requests least
    (often harmless: decorative elements, retried beacons).
-#}
{% macro frustration_score(
    rage_clicks,
    error_clicks,
    console_errors,
    dead_clicks,
    failed_requests
) %}
    {%- set weights = var('frustration_weights') -%}
    (
        {{ weights['rage_click'] }} * coalesce({{ rage_clicks }}, 0)
        + {{ weights['error_click'] }} * coalesce({{ error_clicks }}, 0)
        + {{ weights['console_error'] }} * coalesce({{ console_errors }}, 0)
        + {{ weights['dead_click'] }} * coalesce({{ dead_clicks }}, 0)
        + {{ weights['failed_request'] }} * coalesce({{ failed_requests }}, 0)
    )
{%- endmacro %}
