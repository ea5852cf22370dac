-- One row per page path and day: rage, dead and error clicks, and how many of
-- them came from users who have paid. Counts are clicks:
-- `rage_burst_click_count` counts every click of a rage burst
-- (sessions.rage_click_count counts bursts).
with

clicks as (

    select * from {{ ref('stg_posthog_replay__clicks') }}

),

sessions as (

    select * from {{ ref('int_sessions_enriched') }}

),

users as (

    select * from {{ ref('int_activity_rolled_up_to_users') }}

),

clicks_joined_to_users as (

    select
        clicks.session_id,
        clicks.page_path,
        sessions.user_id,
        case when clicks.is_rage_click then 1 else 0 end as rage_click,
        case when clicks.is_dead_click then 1 else 0 end as dead_click,
        case when clicks.is_error_click then 1 else 0 end as error_click,
        case
            when
                clicks.is_rage_click
                or clicks.is_dead_click
                or clicks.is_error_click
                then 1
            else 0
        end as frustrated_click,
        coalesce(users.has_paid, false) as is_paying_user,
        cast(
            {{ dbt.date_trunc('day', 'clicks.clicked_at') }} as date
        ) as click_date

    from clicks
    inner join sessions
        on clicks.session_id = sessions.session_id
    left join users
        on sessions.user_id = users.user_id

),

friction_per_page_and_day as (

    select
        page_path,
        click_date,
        count(distinct session_id) as session_count,
        count(distinct user_id) as user_count,
        count(*) as click_count,
        sum(rage_click) as rage_burst_click_count,
        sum(dead_click) as dead_click_count,
        sum(error_click) as error_click_count,
        sum(frustrated_click) as frustrated_click_count,
        sum(
            case when is_paying_user then frustrated_click else 0 end
        ) as frustrated_clicks_by_paying_users,
        {{ ratio('sum(frustrated_click)', 'count(*)') }}
            as frustrated_click_rate

    from clicks_joined_to_users
    group by page_path, click_date

)

select * from friction_per_page_and_day
