-- What `replayport forget` runs for one session (query parameter @session_id).
DELETE FROM `my-project.posthog_replay.replay_events`    WHERE session_id = @session_id;
DELETE FROM `my-project.posthog_replay.page_views`       WHERE session_id = @session_id;
DELETE FROM `my-project.posthog_replay.clicks`           WHERE session_id = @session_id;
DELETE FROM `my-project.posthog_replay.console_logs`     WHERE session_id = @session_id;
DELETE FROM `my-project.posthog_replay.network_requests` WHERE session_id = @session_id;
DELETE FROM `my-project.posthog_replay._replayport_rejects` WHERE session_id = @session_id;
DELETE FROM `my-project.posthog_replay.sessions`         WHERE session_id = @session_id;
-- time travel keeps deleted data for max_time_travel_hours (48 h), then 7 days fail-safe (Google-managed)
