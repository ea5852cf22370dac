-- The session–payment join must neither duplicate nor drop payments: exactly
-- one row per payment in fct_session_payments, and the payments counted on
-- fct_sessions are exactly the attributed, successful ones.
with

payments as (

    select * from {{ ref('stg_payments__payments') }}

),

session_payments as (

    select * from {{ ref('fct_session_payments') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

counts as (

    select
        (select count(*) from payments) as payment_rows,
        (select count(*) from session_payments) as session_payment_rows,
        (
            select count(distinct payment_id) from session_payments
        ) as distinct_session_payments,
        (
            select count(*) from session_payments
            where is_attributed and is_succeeded
        ) as attributed_succeeded_payments,
        (
            select coalesce(sum(attributed_payment_count), 0) from sessions
        ) as payments_counted_on_sessions

)

select * from counts
where
    payment_rows != session_payment_rows
    or session_payment_rows != distinct_session_payments
    or attributed_succeeded_payments != payments_counted_on_sessions
