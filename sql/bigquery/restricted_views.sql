-- Views analysts read (authorise the marts dataset on posthog_replay in the console/API).
CREATE OR REPLACE VIEW `my-project.posthog_replay_marts.sessions` AS
SELECT session_id, distinct_id_hash, person_id_hash, email_hash, start_time, end_time, duration_s,
       active_s, click_count, keypress_count, console_error_count, rage_click_count,
       dead_click_count, error_click_count, page_view_count, start_url, browser, os, device_type,
       viewport_width, viewport_height, excluded, hash_key_id, privacy_policy_version
FROM `my-project.posthog_replay.sessions`;
CREATE OR REPLACE VIEW `my-project.posthog_replay_marts.replay_events` AS
SELECT session_id, seq, window_id, ts, event_type, source, data_bytes FROM `my-project.posthog_replay.replay_events`;
CREATE OR REPLACE VIEW `my-project.posthog_replay_marts.clicks` AS
SELECT session_id, seq, window_id, ts, x, y, interaction, url, path, target_selector, target_tag,
       target_text, is_rage, is_dead, is_error FROM `my-project.posthog_replay.clicks`;
