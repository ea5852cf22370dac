with

sessions as (

    select * from {{ ref('stg_posthog_replay__sessions') }}

),

network_requests as (

    select * from {{ ref('stg_posthog_replay__network_requests') }}

),

failed_requests_per_session as (

    select
        session_id,
        count(*) as failed_request_count

    from network_requests
    where is_failed
    group by session_id

),

sessions_joined_to_failed_requests as (

    select
        sessions.*,
        coalesce(
            failed_requests_per_session.failed_request_count, 0
        ) as failed_request_count

    from sessions
    left join failed_requests_per_session
        on sessions.session_id = failed_requests_per_session.session_id

),

enriched as (

    select
        *,
        -- identified users by email (what payments join on), anonymous ones by
        -- distinct id; both are keyed hashes of the same kind
        coalesce(email_hash, distinct_id_hash) as user_id,
        {{ frustration_score(
            'rage_click_count',
            'error_click_count',
            'console_error_count',
            'dead_click_count',
            'failed_request_count'
        ) }} as frustration_score,
        coalesce(console_error_count > 0, false) as has_console_errors,
        coalesce(rage_click_count > 0, false) as has_rage_clicks,
        coalesce(
            rage_click_count + dead_click_count + error_click_count > 0, false
        ) as has_frustrated_clicks,
        cast({{ dbt.date_trunc('day', 'started_at') }} as date) as started_date

    from sessions_joined_to_failed_requests

)

select * from enriched
