with

source as (

    select * from {{ replayport_source('payments', 'payment_identities') }}

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
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        case
            when lower(status) = 'succeeded'
                then cast(amount as {{ dbt.type_numeric() }})
            else cast(0 as {{ dbt.type_numeric() }})
        end as revenue,
        case
            when
                lower(status) = 'succeeded'
                and lower(currency) = lower('{{ var("revenue_currency") }}')
                then cast(amount as {{ dbt.type_numeric() }})
            else cast(0 as {{ dbt.type_numeric() }})
        end as reporting_revenue,

        ---------- booleans
        coalesce(lower(status) = 'succeeded', false) as is_succeeded,
        coalesce(
            lower(currency) = lower('{{ var("revenue_currency") }}'), false
        ) as is_in_revenue_currency,

        ---------- timestamps
        created_at,
        extracted_at

    from source

)

select * from renamed
