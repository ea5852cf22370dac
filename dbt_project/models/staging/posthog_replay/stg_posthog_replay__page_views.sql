with

source as (

    select * from {{ replayport_source('posthog_replay', 'page_views') }}

),

renamed as (

    select
        ----------  ids
        session_id,
        seq,
        window_id,
        run_id,

        ---------- strings
        url as page_url,
        host as page_host,
        coalesce(path, '(unknown)') as page_path,
        {{ reserved_column('trigger') }} as navigation_trigger,

        ---------- numerics
        viewport_width,
        viewport_height,

        ---------- timestamps
        ts as viewed_at,
        extracted_at

    from source

)

select * from renamed
