with

source as (

    select * from {{ replayport_source('posthog_replay', '_replayport_runs') }}

),

renamed as (

    select
        ----------  ids
        run_id,

        ---------- strings
        command as run_command,
        source as run_source,
        destination as run_destination,
        status as run_status,
        error_summary as error_summary_json,
        stage_seconds as stage_seconds_json,
        replayport_version,

        ---------- numerics
        sessions_listed,
        sessions_extracted,
        sessions_skipped,
        sessions_failed,
        sessions_excluded,
        sessions_deleted,
        sessions_reprocessed,
        events as event_count,
        rejects as reject_count,
        bytes_in,
        bytes_out,
        api_calls as api_call_count,
        api_429s as api_rate_limited_count,
        api_retries as api_retry_count,
        errors as error_count,

        ---------- timestamps
        started_at,
        ended_at

    from source

)

select * from renamed
