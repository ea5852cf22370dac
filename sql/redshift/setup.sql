-- replayport on Redshift: schemas, roles (RBAC), grants. Run as a superuser.
CREATE ROLE replayport_loader;
CREATE ROLE replayport_analyst;
CREATE ROLE replayport_privacy;
CREATE SCHEMA IF NOT EXISTS posthog_replay;
CREATE SCHEMA IF NOT EXISTS posthog_replay_staging;
CREATE SCHEMA IF NOT EXISTS posthog_replay_marts;
GRANT ALL ON SCHEMA posthog_replay, posthog_replay_staging TO ROLE replayport_loader;
GRANT USAGE ON SCHEMA posthog_replay, posthog_replay_staging TO ROLE replayport_privacy;
GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA posthog_replay TO ROLE replayport_privacy;
GRANT USAGE ON SCHEMA posthog_replay_marts TO ROLE replayport_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA posthog_replay_marts TO ROLE replayport_analyst;
-- S3 staging for COPY (REPLAYPORT__WAREHOUSE__STAGING_URL): give the cluster an IAM role with
-- read access to that prefix and set DESTINATION__REDSHIFT__STAGING_IAM_ROLE to its ARN.
