-- What `replayport prune` runs (query parameter @cutoff TIMESTAMP).
DECLARE expired ARRAY<STRING> DEFAULT (
  SELECT ARRAY_AGG(session_id) FROM `my-project.posthog_replay.sessions`
  WHERE COALESCE(start_time, extracted_at) < @cutoff);
DELETE FROM `my-project.posthog_replay.replay_events`    WHERE session_id IN UNNEST(expired);
DELETE FROM `my-project.posthog_replay.page_views`       WHERE session_id IN UNNEST(expired);
DELETE FROM `my-project.posthog_replay.clicks`           WHERE session_id IN UNNEST(expired);
DELETE FROM `my-project.posthog_replay.console_logs`     WHERE session_id IN UNNEST(expired);
DELETE FROM `my-project.posthog_replay.network_requests` WHERE session_id IN UNNEST(expired);
DELETE FROM `my-project.posthog_replay._replayport_rejects` WHERE session_id IN UNNEST(expired);
DELETE FROM `my-project.posthog_replay.sessions`         WHERE session_id IN UNNEST(expired);
