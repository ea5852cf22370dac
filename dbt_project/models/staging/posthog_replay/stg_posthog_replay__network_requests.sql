with

source as (

    select * from {{ replayport_source('posthog_replay', 'network_requests') }}

),

renamed as (

    select
        ----------  ids
        session_id,
        seq,
        event_seq,
        request_index,
        window_id,
        run_id,

        ---------- strings
        method as http_method,
        url as request_url,
        host as request_host,
        path as request_path,
        initiator_type,
        entry_type,
        plugin as capture_plugin,

        ---------- numerics
        status as status_code,
        duration_ms,
        transfer_size as transfer_size_bytes,

        ---------- booleans
        coalesce(is_initial, false) as is_initial_load,
        coalesce(status >= 400, false) as is_failed,

        ---------- timestamps
        ts as requested_at,
        extracted_at

    from source

)

select * from renamed
