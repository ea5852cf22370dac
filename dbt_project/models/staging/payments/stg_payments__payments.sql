with

source as (

    select * from {{ replayport_source('payments', 'payment_identities') }}

),

amounts as (

    select
        *,
        cast(amount as {{ dbt.type_numeric() }}) as paid_amount,
        -- a refund the input did not state (loads from before the column
        -- existed, inputs without a refund amount) is the whole amount of a
        -- `refunded` payment, else nothing
        cast(
            coalesce(
                amount_refunded,
                case when lower(status) = 'refunded' then amount end,
                0
            ) as {{ dbt.type_numeric() }}
        ) as refunded_amount

    from source

),

net_amounts as (

    select
        *,
        cast(
            paid_amount - refunded_amount as {{ dbt.type_numeric() }}
        ) as net_amount

    from amounts

),

renamed as (

    select
        ----------  ids (keyed hashes, except the processor's payment id)
        payment_id,
        email_hash,
        customer_id_hash,
        hash_key_id,
        run_id,

        ---------- strings
        lower(currency) as currency,
        lower(status) as payment_status,
        source as payment_source,

        ---------- numerics
        paid_amount as amount,
        refunded_amount as amount_refunded,
        net_amount,
        -- revenue is what was paid and kept: partial refunds are subtracted
        case
            when lower(status) = 'succeeded' then net_amount
            else cast(0 as {{ dbt.type_numeric() }})
        end as revenue,
        case
            when
                lower(status) = 'succeeded'
                and lower(currency) = lower('{{ var("revenue_currency") }}')
                then net_amount
            else cast(0 as {{ dbt.type_numeric() }})
        end as reporting_revenue,

        ---------- booleans
        coalesce(lower(status) = 'succeeded', false) as is_succeeded,
        coalesce(
            lower(currency) = lower('{{ var("revenue_currency") }}'), false
        ) as is_in_revenue_currency,
        coalesce(
            lower(status) = 'succeeded' and refunded_amount > 0, false
        ) as is_partially_refunded,

        ---------- timestamps
        created_at,
        extracted_at

    from net_amounts

)

select * from renamed
