-- What `replayport forget` runs for one session (SET session_id = '...';).
DELETE FROM POSTHOG_REPLAY.REPLAY_EVENTS    WHERE SESSION_ID = $session_id;
DELETE FROM POSTHOG_REPLAY.PAGE_VIEWS       WHERE SESSION_ID = $session_id;
DELETE FROM POSTHOG_REPLAY.CLICKS           WHERE SESSION_ID = $session_id;
DELETE FROM POSTHOG_REPLAY.CONSOLE_LOGS     WHERE SESSION_ID = $session_id;
DELETE FROM POSTHOG_REPLAY.NETWORK_REQUESTS WHERE SESSION_ID = $session_id;
DELETE FROM POSTHOG_REPLAY._REPLAYPORT_REJECTS WHERE SESSION_ID = $session_id;
DELETE FROM POSTHOG_REPLAY.SESSIONS         WHERE SESSION_ID = $session_id;
-- with DATA_RETENTION_TIME_IN_DAYS = 0 on a TRANSIENT schema nothing is kept for time travel;
-- on a permanent schema Fail-safe keeps micro-partitions 7 more days (Snowflake-managed).
