-- One row per payment, with the session it is attributed to (null when none).
-- Every payment is here, so revenue reconciles with payment_identities.
-- `revenue` is net of refunds (amount - amount_refunded) for successful ones.
with

payments as (

    select * from {{ ref('int_payments_attributed_to_sessions') }}

),

sessions as (

    select * from {{ ref('int_sessions_enriched') }}

),

payments_joined_to_sessions as (

    select
        payments.payment_id,
        payments.session_id,
        payments.user_id,
        payments.email_hash,
        payments.customer_id_hash,
        payments.currency,
        payments.payment_status,
        payments.payment_source,
        sessions.start_url as session_start_url,
        sessions.device_type as session_device_type,
        payments.amount,
        payments.amount_refunded,
        payments.net_amount,
        payments.revenue,
        payments.reporting_revenue,
        payments.seconds_after_session_start,
        sessions.frustration_score as session_frustration_score,
        sessions.console_error_count as session_console_error_count,
        sessions.rage_click_count as session_rage_click_count,
        payments.is_succeeded,
        payments.is_in_revenue_currency,
        payments.is_partially_refunded,
        payments.is_attributed,
        coalesce(
            sessions.has_console_errors, false
        ) as session_has_console_errors,
        coalesce(
            sessions.has_frustrated_clicks, false
        ) as session_has_frustrated_clicks,
        cast(
            {{ dbt.date_trunc('day', 'payments.created_at') }} as date
        ) as created_date,
        payments.created_at,
        payments.session_started_at

    from payments
    left join sessions
        on payments.session_id = sessions.session_id

)

select * from payments_joined_to_sessions
