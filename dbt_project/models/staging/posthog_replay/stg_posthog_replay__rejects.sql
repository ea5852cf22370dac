with

source as (

    select *
    from {{ replayport_source('posthog_replay', '_replayport_rejects') }}

),

renamed as (

    select
        ----------  ids
        run_id,
        seq,
        session_id,

        ---------- strings
        stage as reject_stage,
        reason as reject_reason,
        message as reject_message,
        location as reject_location,
        source as input_source,

        ---------- timestamps
        created_at as rejected_at

    from source

)

select * from renamed
