-- One row per payment: the session it is attributed to (last touch), if any.
-- A payment belongs to the latest session of the same user (email hash) that
-- started before the payment and ended at most `attribution_window_hours`
-- before it. Ranking and keeping rank 1 makes the join one-to-one: no fan-out.
with

payments as (

    select * from {{ ref('stg_payments__payments') }}

),

sessions as (

    select * from {{ ref('int_sessions_enriched') }}

),

candidate_sessions as (

    select
        payments.payment_id,
        sessions.session_id,
        sessions.started_at as session_started_at,
        row_number() over (
            partition by payments.payment_id
            order by sessions.started_at desc, sessions.session_id desc
        ) as recency_rank

    from payments
    inner join sessions
        on
            payments.email_hash = sessions.email_hash
            and payments.created_at >= sessions.started_at
            and {{ seconds_between(
                'coalesce(sessions.ended_at, sessions.started_at)',
                'payments.created_at'
            ) }} <= {{ var('attribution_window_hours') | int * 3600 }}

),

last_touch_sessions as (

    select
        payment_id,
        session_id,
        session_started_at

    from candidate_sessions
    where recency_rank = 1

),

attributed as (

    select
        payments.payment_id,
        last_touch_sessions.session_id,
        coalesce(payments.email_hash, payments.customer_id_hash) as user_id,
        payments.email_hash,
        payments.customer_id_hash,
        payments.hash_key_id,
        payments.currency,
        payments.payment_status,
        payments.payment_source,
        payments.amount,
        payments.amount_refunded,
        payments.net_amount,
        payments.revenue,
        payments.reporting_revenue,
        {{ seconds_between(
            'last_touch_sessions.session_started_at',
            'payments.created_at'
        ) }} as seconds_after_session_start,
        payments.is_succeeded,
        payments.is_in_revenue_currency,
        payments.is_partially_refunded,
        coalesce(
            last_touch_sessions.session_id is not null, false
        ) as is_attributed,
        payments.created_at,
        last_touch_sessions.session_started_at

    from payments
    left join last_touch_sessions
        on payments.payment_id = last_touch_sessions.payment_id

)

select * from attributed
