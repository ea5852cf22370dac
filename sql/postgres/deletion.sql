-- What `replayport forget` runs for one session (psql: \set session_id '...').
-- It also deletes the same rows from posthog_replay_staging and logs the id in
-- _replayport_deletions (archive), so later loads of other warehouses apply it too.
-- replayport also removes the session's rows from _replayport_rejects when that table exists.
BEGIN;
DELETE FROM posthog_replay.replay_events    WHERE session_id = :'session_id';
DELETE FROM posthog_replay.page_views       WHERE session_id = :'session_id';
DELETE FROM posthog_replay.clicks           WHERE session_id = :'session_id';
DELETE FROM posthog_replay.console_logs     WHERE session_id = :'session_id';
DELETE FROM posthog_replay.network_requests WHERE session_id = :'session_id';
DELETE FROM posthog_replay.sessions         WHERE session_id = :'session_id';
COMMIT;
-- deleted tuples stay in the table files until vacuumed: reclaim them
VACUUM posthog_replay.replay_events, posthog_replay.page_views, posthog_replay.clicks,
       posthog_replay.console_logs, posthog_replay.network_requests, posthog_replay.sessions;
