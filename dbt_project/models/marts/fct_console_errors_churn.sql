-- One row per cohort of paying users: with vs without console errors (up to the
-- end of their repeat window). Did they pay again within
-- `repeat_purchase_days` of their first successful payment?
with

users as (

    select * from {{ ref('int_activity_rolled_up_to_users') }}

),

paying_users as (

    select * from users
    where has_paid

),

cohorts as (

    select
        has_console_errors,
        count(*) as paying_user_count,
        sum(
            case when has_paid_again_within_window then 1 else 0 end
        ) as paid_again_count,
        sum(
            case when has_paid_again_within_window then 0 else 1 end
        ) as not_paid_again_count,
        sum(
            case when is_repeat_window_complete then 1 else 0 end
        ) as complete_window_user_count,
        sum(
            case
                when is_repeat_window_complete and has_paid_again_within_window
                    then 1
                else 0
            end
        ) as complete_window_paid_again_count,
        sum(lifetime_revenue) as lifetime_revenue

    from paying_users
    group by has_console_errors

),

final as (

    select
        case
            when has_console_errors then 'with console errors'
            else 'without console errors'
        end as cohort,
        paying_user_count,
        paid_again_count,
        not_paid_again_count,
        complete_window_user_count,
        complete_window_paid_again_count,
        {{ var('repeat_purchase_days') | int }} as repeat_window_days,
        {{ ratio('paid_again_count', 'paying_user_count') }} as repeat_rate,
        {{ ratio(
            'complete_window_paid_again_count', 'complete_window_user_count'
        ) }} as complete_window_repeat_rate,
        lifetime_revenue,
        has_console_errors

    from cohorts

)

select * from final
