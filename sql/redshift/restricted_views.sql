-- Views analysts read instead of the raw tables: no rrweb payloads, no headers/bodies, no
-- person properties. Run after the first `replayport load` (the tables must exist).
CREATE OR REPLACE VIEW posthog_replay_marts.sessions AS
SELECT session_id, distinct_id_hash, person_id_hash, email_hash, start_time, end_time, duration_s,
       active_s, click_count, keypress_count, console_error_count, rage_click_count,
       dead_click_count, error_click_count, page_view_count, start_url, browser, os, device_type,
       viewport_width, viewport_height, excluded, hash_key_id, privacy_policy_version
FROM posthog_replay.sessions;

CREATE OR REPLACE VIEW posthog_replay_marts.replay_events AS
SELECT session_id, seq, window_id, ts, event_type, source, data_bytes
FROM posthog_replay.replay_events;

CREATE OR REPLACE VIEW posthog_replay_marts.page_views AS
SELECT session_id, seq, window_id, ts, url, host, path, viewport_width, viewport_height
FROM posthog_replay.page_views;

CREATE OR REPLACE VIEW posthog_replay_marts.clicks AS
SELECT session_id, seq, window_id, ts, x, y, interaction, url, path, target_selector, target_tag,
       target_text, is_rage, is_dead, is_error
FROM posthog_replay.clicks;

CREATE OR REPLACE VIEW posthog_replay_marts.console_logs AS
SELECT session_id, seq, window_id, ts, level, message, url
FROM posthog_replay.console_logs;

CREATE OR REPLACE VIEW posthog_replay_marts.network_requests AS
SELECT session_id, seq, window_id, ts, method, url, host, path, status, duration_ms,
       initiator_type, transfer_size
FROM posthog_replay.network_requests;

GRANT SELECT ON ALL TABLES IN SCHEMA posthog_replay_marts TO replayport_analyst, replayport_privacy;
