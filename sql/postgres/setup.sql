-- replayport on PostgreSQL: schemas, roles, grants. Idempotent; run as a superuser/owner.
DO $$ BEGIN CREATE ROLE replayport_loader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE replayport_analyst NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE replayport_privacy NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;

CREATE SCHEMA IF NOT EXISTS posthog_replay AUTHORIZATION replayport_loader;
CREATE SCHEMA IF NOT EXISTS posthog_replay_staging AUTHORIZATION replayport_loader;
CREATE SCHEMA IF NOT EXISTS posthog_replay_marts;

-- raw tables: loader writes; privacy officer reads and deletes; analysts get nothing here
REVOKE ALL ON SCHEMA posthog_replay, posthog_replay_staging FROM PUBLIC;
GRANT USAGE ON SCHEMA posthog_replay, posthog_replay_staging TO replayport_privacy;
GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA posthog_replay, posthog_replay_staging TO replayport_privacy;
ALTER DEFAULT PRIVILEGES FOR ROLE replayport_loader IN SCHEMA posthog_replay, posthog_replay_staging
    GRANT SELECT, DELETE ON TABLES TO replayport_privacy;

-- marts (dbt models and the restricted views): analysts read
GRANT USAGE ON SCHEMA posthog_replay_marts TO replayport_analyst, replayport_privacy;
GRANT SELECT ON ALL TABLES IN SCHEMA posthog_replay_marts TO replayport_analyst, replayport_privacy;
ALTER DEFAULT PRIVILEGES IN SCHEMA posthog_replay_marts GRANT SELECT ON TABLES TO replayport_analyst;
