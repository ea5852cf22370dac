-- What `replayport prune` runs (psql: \set cutoff '2026-01-01T00:00:00Z'): every session that
-- started before the cutoff loses every row. replayport decides the sessions from the archive
-- and deletes by session_id; this is the equivalent by age, for manual use.
-- replayport also removes the session's rows from _replayport_rejects when that table exists.
BEGIN;
CREATE TEMP TABLE expired AS
    SELECT session_id FROM posthog_replay.sessions
    WHERE coalesce(start_time, extracted_at) < :cutoff::timestamptz;
DELETE FROM posthog_replay.replay_events    WHERE session_id IN (SELECT session_id FROM expired);
DELETE FROM posthog_replay.page_views       WHERE session_id IN (SELECT session_id FROM expired);
DELETE FROM posthog_replay.clicks           WHERE session_id IN (SELECT session_id FROM expired);
DELETE FROM posthog_replay.console_logs     WHERE session_id IN (SELECT session_id FROM expired);
DELETE FROM posthog_replay.network_requests WHERE session_id IN (SELECT session_id FROM expired);
DELETE FROM posthog_replay.sessions         WHERE session_id IN (SELECT session_id FROM expired);
COMMIT;


VACUUM DELETE ONLY posthog_replay.replay_events; -- reclaim the space of deleted rows (repeat per table)
