-- Schema 3: who started a run (cli, app, monitor). Monitoring samples are pruned after the
-- retention window; runs started by a person are kept.
ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'cli' CHECK (origin IN ('cli', 'app', 'monitor'));
CREATE INDEX runs_by_origin ON runs (origin, started_at);
