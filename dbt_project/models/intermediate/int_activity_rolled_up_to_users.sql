-- One row per user, from sessions and payments alike (payers without sessions
-- too). Answers the churn question per user: after their first successful
-- payment, did they pay again within `repeat_purchase_days`, and did they hit
-- console errors up to the end of that window?
with

sessions as (

    select * from {{ ref('int_sessions_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_attributed_to_sessions') }}

),

user_ids as (

    select user_id from sessions
    union all
    select user_id from payments

),

all_users as (

    select distinct user_id
    from user_ids
    where user_id is not null

),

first_payments as (

    select
        user_id,
        min(created_at) as first_paid_at

    from payments
    where is_succeeded
    group by user_id

),

payments_per_user as (

    select
        payments.user_id,
        max(payments.email_hash) as email_hash,
        max(payments.customer_id_hash) as customer_id_hash,
        sum(case when payments.is_succeeded then 1 else 0 end) as payment_count,
        sum(payments.reporting_revenue) as lifetime_revenue,
        sum(
            case
                when
                    payments.is_succeeded
                    and not payments.is_in_revenue_currency
                    then 1
                else 0
            end
        ) as other_currency_payment_count,
        max(
            case when payments.is_succeeded then payments.created_at end
        ) as last_paid_at,
        min(
            case
                when
                    payments.is_succeeded
                    and payments.created_at > first_payments.first_paid_at
                    and {{ seconds_between(
                        'first_payments.first_paid_at', 'payments.created_at'
                    ) }} <= {{ var('repeat_purchase_days') | int * 86400 }}
                    then payments.created_at
            end
        ) as repeat_paid_at

    from payments
    left join first_payments
        on payments.user_id = first_payments.user_id
    group by payments.user_id

),

sessions_per_user as (

    select
        sessions.user_id,
        max(sessions.email_hash) as email_hash,
        min(sessions.distinct_id_hash) as distinct_id_hash,
        count(distinct sessions.distinct_id_hash) as distinct_id_count,
        count(*) as session_count,
        sum(sessions.console_error_count) as console_error_count,
        sum(
            case when sessions.has_console_errors then 1 else 0 end
        ) as sessions_with_console_errors,
        -- errors after the repeat window cannot explain not paying again
        max(
            case
                when
                    sessions.has_console_errors
                    and (
                        first_payments.first_paid_at is null
                        or {{ seconds_between(
                            'first_payments.first_paid_at', 'sessions.started_at'
                        ) }} <= {{ var('repeat_purchase_days') | int * 86400 }}
                    )
                    then 1
                else 0
            end
        ) as console_errors_flag,
        sum(sessions.rage_click_count) as rage_click_count,
        sum(sessions.frustration_score) as frustration_score,
        min(sessions.started_at) as first_seen_at,
        max(sessions.started_at) as last_seen_at

    from sessions
    left join first_payments
        on sessions.user_id = first_payments.user_id
    group by sessions.user_id

),

observations as (

    select started_at as observed_at from sessions
    union all
    select created_at as observed_at from payments

),

observed_until as (

    select max(observed_at) as observed_until_at
    from observations

),

rolled_up as (

    select
        all_users.user_id,
        coalesce(
            sessions_per_user.email_hash, payments_per_user.email_hash
        ) as email_hash,
        sessions_per_user.distinct_id_hash,
        payments_per_user.customer_id_hash,
        coalesce(sessions_per_user.distinct_id_count, 0) as distinct_id_count,
        coalesce(sessions_per_user.session_count, 0) as session_count,
        coalesce(
            sessions_per_user.sessions_with_console_errors, 0
        ) as sessions_with_console_errors,
        coalesce(
            sessions_per_user.console_error_count, 0
        ) as console_error_count,
        coalesce(sessions_per_user.rage_click_count, 0) as rage_click_count,
        coalesce(sessions_per_user.frustration_score, 0) as frustration_score,
        coalesce(payments_per_user.payment_count, 0) as payment_count,
        coalesce(
            payments_per_user.other_currency_payment_count, 0
        ) as other_currency_payment_count,
        coalesce(
            payments_per_user.lifetime_revenue,
            cast(0 as {{ dbt.type_numeric() }})
        ) as lifetime_revenue,
        coalesce(
            sessions_per_user.console_errors_flag = 1, false
        ) as has_console_errors,
        coalesce(first_payments.first_paid_at is not null, false) as has_paid,
        coalesce(
            payments_per_user.repeat_paid_at is not null, false
        ) as has_paid_again_within_window,
        -- the window is complete once it ended before the newest data we have;
        -- incomplete windows can still turn into repeat payments
        coalesce(
            {{ seconds_between(
                'first_payments.first_paid_at', 'observed_until.observed_until_at'
            ) }} >= {{ var('repeat_purchase_days') | int * 86400 }},
            false
        ) as is_repeat_window_complete,
        sessions_per_user.first_seen_at,
        sessions_per_user.last_seen_at,
        first_payments.first_paid_at,
        payments_per_user.repeat_paid_at,
        payments_per_user.last_paid_at

    from all_users
    cross join observed_until
    left join sessions_per_user
        on all_users.user_id = sessions_per_user.user_id
    left join payments_per_user
        on all_users.user_id = payments_per_user.user_id
    left join first_payments
        on all_users.user_id = first_payments.user_id

)

select * from rolled_up
