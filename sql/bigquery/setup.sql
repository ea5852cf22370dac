-- replayport on BigQuery (replace `my-project`). Roles are IAM roles granted on datasets.
-- Time travel is kept at its 48 h minimum so erased rows leave storage soon after deletion.
CREATE SCHEMA IF NOT EXISTS `my-project.posthog_replay` OPTIONS (max_time_travel_hours = 48);
CREATE SCHEMA IF NOT EXISTS `my-project.posthog_replay_staging` OPTIONS (max_time_travel_hours = 48);
CREATE SCHEMA IF NOT EXISTS `my-project.posthog_replay_marts`;
-- loader (the service account replayport runs as): writes raw datasets
GRANT `roles/bigquery.dataEditor` ON SCHEMA `my-project.posthog_replay` TO "serviceAccount:replayport-loader@my-project.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `my-project.posthog_replay_staging` TO "serviceAccount:replayport-loader@my-project.iam.gserviceaccount.com";
-- privacy officer: reads and deletes raw data
GRANT `roles/bigquery.dataEditor` ON SCHEMA `my-project.posthog_replay` TO "group:privacy@example.com";
-- analysts: only the marts (views there are authorised views on the raw dataset)
GRANT `roles/bigquery.dataViewer` ON SCHEMA `my-project.posthog_replay_marts` TO "group:analysts@example.com";
