{#-
    Fails when `sum(column_name)` of the model differs from `sum(compare_column)` of
    `compare_model` (optionally filtered) by more than `tolerance`: the reconciliation
    check between a mart and what it was built from.
-#}
{% test sums_match(
    model,
    column_name,
    compare_model,
    compare_column,
    where_compare='1 = 1',
    tolerance=0.005
) %}

with

model_total as (

    select coalesce(sum({{ column_name }}), 0) as total
    from {{ model }}

),

compare_total as (

    select coalesce(sum({{ compare_column }}), 0) as total
    from {{ compare_model }}
    where {{ where_compare }}

),

compared as (

    select
        model_total.total as model_total,
        compare_total.total as compare_total

    from model_total
    cross join compare_total

)

select * from compared
where abs(model_total - compare_total) > {{ tolerance }}

{% endtest %}
