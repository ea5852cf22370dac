-- One row per recording, with the payments attributed to it (last touch).
with

sessions as (

    select * from {{ ref('int_sessions_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_attributed_to_sessions') }}

),

payments_per_session as (

    -- aggregated before the join: a session with several payments stays one row
    select
        session_id,
        sum(
            case when is_succeeded then 1 else 0 end
        ) as attributed_payment_count,
        sum(reporting_revenue) as attributed_revenue,
        sum(
            case
                when is_succeeded and not is_in_revenue_currency then 1 else 0
            end
        ) as attributed_other_currency_payment_count

    from payments
    where is_attributed
    group by session_id

),

sessions_joined_to_payments as (

    select
        sessions.*,
        coalesce(
            payments_per_session.attributed_payment_count, 0
        ) as attributed_payment_count,
        coalesce(
            payments_per_session.attributed_revenue,
            cast(0 as {{ dbt.type_numeric() }})
        ) as attributed_revenue,
        coalesce(
            payments_per_session.attributed_other_currency_payment_count, 0
        ) as attributed_other_currency_payment_count,
        coalesce(
            payments_per_session.attributed_payment_count > 0, false
        ) as has_attributed_payment

    from sessions
    left join payments_per_session
        on sessions.session_id = payments_per_session.session_id

)

select * from sessions_joined_to_payments
