with

source as (

    select * from {{ replayport_source('posthog_replay', 'sessions') }}

),

renamed as (

    select
        ----------  ids (keyed hashes, never raw identifiers)
        session_id,
        distinct_id_hash,
        person_id_hash,
        email_hash,
        hash_key_id,
        run_id,

        ---------- strings
        start_url,
        browser,
        os as operating_system,
        device_type,
        snapshot_source,
        source as replay_source,
        privacy_policy_version,
        person_properties as person_properties_json,
        redaction_counts as redaction_counts_json,

        ---------- numerics
        duration_s as duration_seconds,
        active_s as active_seconds,
        click_count,
        keypress_count,
        mouse_activity_count,
        console_log_count,
        console_warn_count,
        console_error_count,
        rage_click_count,
        dead_click_count,
        error_click_count,
        page_view_count,
        network_request_count,
        event_count,
        window_count,
        viewport_width,
        viewport_height,

        ---------- booleans
        coalesce(excluded, false) as is_excluded,

        ---------- timestamps
        start_time as started_at,
        end_time as ended_at,
        expiry_time as expires_at,
        extracted_at

    from source

)

select * from renamed
