-- One row per page path, device type and clickmap cell. Coordinates are
-- normalised to the viewport (0 … 1) and cut into `clickmap_bins` cells per
-- axis, so clicks from different screen sizes land on the same map.
{% set bins = var('clickmap_bins') | int %}

with

clicks as (

    select * from {{ ref('stg_posthog_replay__clicks') }}

),

sessions as (

    select * from {{ ref('stg_posthog_replay__sessions') }}

),

clicks_normalised as (

    select
        clicks.session_id,
        clicks.page_path,
        coalesce(sessions.device_type, '(unknown)') as device_type,
        {{ clickmap_bin(
            'clicks.x_px',
            'coalesce(clicks.viewport_width, sessions.viewport_width)',
            bins
        ) }} as x_bin,
        {{ clickmap_bin(
            'clicks.y_px',
            'coalesce(clicks.viewport_height, sessions.viewport_height)',
            bins
        ) }} as y_bin,
        case when clicks.is_rage_click then 1 else 0 end as rage_click,
        case when clicks.is_dead_click then 1 else 0 end as dead_click,
        case when clicks.is_error_click then 1 else 0 end as error_click

    from clicks
    inner join sessions
        on clicks.session_id = sessions.session_id
    -- a click without coordinates or viewport cannot be placed on the map
    where
        clicks.x_px is not null
        and clicks.y_px is not null
        and coalesce(clicks.viewport_width, sessions.viewport_width) > 0
        and coalesce(clicks.viewport_height, sessions.viewport_height) > 0

),

clicks_per_cell as (

    select
        page_path,
        device_type,
        x_bin,
        y_bin,
        count(*) as click_count,
        count(distinct session_id) as session_count,
        sum(rage_click) as rage_burst_click_count,
        sum(dead_click) as dead_click_count,
        sum(error_click) as error_click_count

    from clicks_normalised
    group by page_path, device_type, x_bin, y_bin

),

final as (

    select
        page_path,
        device_type,
        x_bin,
        y_bin,
        -- the cell's left/top edge and centre as fractions of the viewport
        cast(x_bin as {{ dbt.type_float() }}) / {{ bins }} as x_start,
        cast(y_bin as {{ dbt.type_float() }}) / {{ bins }} as y_start,
        (cast(x_bin as {{ dbt.type_float() }}) + 0.5) / {{ bins }} as x_center,
        (cast(y_bin as {{ dbt.type_float() }}) + 0.5) / {{ bins }} as y_center,
        click_count,
        session_count,
        rage_burst_click_count,
        dead_click_count,
        error_click_count

    from clicks_per_cell

)

select * from final
