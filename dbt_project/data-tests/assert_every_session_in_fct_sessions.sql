-- Every loaded recording appears in fct_sessions, exactly once, and nothing
-- else does.
with

loaded_sessions as (

    select * from {{ replayport_source('posthog_replay', 'sessions') }}

),

fact_sessions as (

    select * from {{ ref('fct_sessions') }}

),

missing_from_fact as (

    select
        loaded_sessions.session_id,
        'missing from fct_sessions' as problem

    from loaded_sessions
    left join fact_sessions
        on loaded_sessions.session_id = fact_sessions.session_id
    where fact_sessions.session_id is null

),

unknown_in_fact as (

    select
        fact_sessions.session_id,
        'not a loaded session' as problem

    from fact_sessions
    left join loaded_sessions
        on fact_sessions.session_id = loaded_sessions.session_id
    where loaded_sessions.session_id is null

),

loaded_counts as (

    select count(*) as loaded_count from loaded_sessions

),

fact_counts as (

    select count(*) as fact_count from fact_sessions

),

count_mismatch as (

    select
        cast(null as {{ dbt.type_string() }}) as session_id,
        'row counts differ' as problem

    from loaded_counts
    cross join fact_counts
    where loaded_counts.loaded_count != fact_counts.fact_count

),

problems as (

    select * from missing_from_fact
    union all
    select * from unknown_in_fact
    union all
    select * from count_mismatch

)

select * from problems
