-- Clicks are neither lost nor duplicated on their way into fct_page_friction
-- and fct_clickmap (the clickmap drops only clicks it cannot place).
with

clicks as (

    select * from {{ ref('stg_posthog_replay__clicks') }}

),

page_friction as (

    select * from {{ ref('fct_page_friction') }}

),

clickmap as (

    select * from {{ ref('fct_clickmap') }}

),

totals as (

    select
        (select count(*) from clicks) as click_rows,
        (
            select coalesce(sum(click_count), 0) from page_friction
        ) as friction_clicks,
        (
            select count(*) from clicks
            where
                x_px is not null
                and y_px is not null
                and viewport_width > 0
                and viewport_height > 0
        ) as placeable_clicks,
        (select coalesce(sum(click_count), 0) from clickmap) as clickmap_clicks,
        (
            select count(*) from clicks
            where is_rage_click
        ) as rage_click_rows,
        (
            select coalesce(sum(rage_burst_click_count), 0) from page_friction
        ) as friction_rage_clicks

)

select * from totals
where
    click_rows != friction_clicks
    or clickmap_clicks > click_rows
    or clickmap_clicks < placeable_clicks
    or rage_click_rows != friction_rage_clicks
