with

source as (

    select * from {{ replayport_source('posthog_replay', 'replay_events') }}

),

renamed as (

    select
        ----------  ids
        session_id,
        seq,
        window_id,
        run_id,

        ---------- strings
        data as event_data_json,

        ---------- numerics
        event_type,
        source as incremental_source,
        data_bytes,

        ---------- timestamps
        ts as event_at,
        extracted_at

    from source

)

select * from renamed
