-- Revenue (successful payments, net of partial refunds) is the same whichever
-- table an analyst sums: the loaded payment_identities (amount minus
-- amount_refunded, recomputed here) and fct_session_payments (every currency),
-- and dim_users (the `revenue_currency` only); and the revenue attributed to
-- sessions is the same in fct_sessions and fct_session_payments.
with

payment_identities as (

    select * from {{ replayport_source('payments', 'payment_identities') }}

),

session_payments as (

    select * from {{ ref('fct_session_payments') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

totals as (

    select
        (
            select coalesce(sum(amount - coalesce(amount_refunded, 0)), 0)
            from payment_identities
            where lower(status) = 'succeeded'
        ) as loaded_revenue,
        (
            select coalesce(sum(amount - coalesce(amount_refunded, 0)), 0)
            from payment_identities
            where
                lower(status) = 'succeeded'
                and lower(currency) = lower('{{ var("revenue_currency") }}')
        ) as loaded_reporting_revenue,
        (
            select coalesce(sum(revenue), 0) from session_payments
        ) as session_payments_revenue,
        (
            select coalesce(sum(lifetime_revenue), 0) from users
        ) as users_revenue,
        (
            select coalesce(sum(reporting_revenue), 0) from session_payments
            where is_attributed
        ) as attributed_revenue,
        (
            select coalesce(sum(attributed_revenue), 0) from sessions
        ) as sessions_revenue

)

select * from totals
where
    abs(loaded_revenue - session_payments_revenue) > 0.005
    or abs(loaded_reporting_revenue - users_revenue) > 0.005
    or abs(attributed_revenue - sessions_revenue) > 0.005
