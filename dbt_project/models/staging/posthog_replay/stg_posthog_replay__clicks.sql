with

source as (

    select * from {{ replayport_source('posthog_replay', 'clicks') }}

),

renamed as (

    select
        ----------  ids
        session_id,
        seq,
        window_id,
        target_node_id,
        run_id,

        ---------- strings
        interaction,
        pointer_type,
        url as page_url,
        coalesce(path, '(unknown)') as page_path,
        target_selector,
        target_tag,
        target_text,

        ---------- numerics
        x as x_px,
        y as y_px,
        viewport_width,
        viewport_height,

        ---------- booleans
        coalesce(is_rage, false) as is_rage_click,
        coalesce(is_dead, false) as is_dead_click,
        coalesce(is_error, false) as is_error_click,

        ---------- timestamps
        ts as clicked_at,
        extracted_at

    from source

)

select * from renamed
