-- One row per user seen in sessions or payments. Hashed identifiers only.
with

users as (

    select * from {{ ref('int_activity_rolled_up_to_users') }}

),

final as (

    select
        user_id,
        email_hash,
        distinct_id_hash,
        customer_id_hash,
        distinct_id_count,
        session_count,
        sessions_with_console_errors,
        console_error_count,
        rage_click_count,
        frustration_score,
        payment_count,
        lifetime_revenue,
        other_currency_payment_count,
        has_console_errors,
        has_paid,
        has_paid_again_within_window,
        is_repeat_window_complete,
        first_seen_at,
        last_seen_at,
        first_paid_at,
        repeat_paid_at,
        last_paid_at

    from users

)

select * from final
