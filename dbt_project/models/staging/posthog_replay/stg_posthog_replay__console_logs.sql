with

source as (

    select * from {{ replayport_source('posthog_replay', 'console_logs') }}

),

renamed as (

    select
        ----------  ids
        session_id,
        seq,
        window_id,
        run_id,

        ---------- strings
        level as log_level,
        level_group as log_level_group,
        message as log_message,
        trace as stack_trace,
        url as page_url,

        ---------- booleans
        coalesce(level = 'error', false) as is_error,

        ---------- timestamps
        ts as logged_at,
        extracted_at

    from source

)

select * from renamed
