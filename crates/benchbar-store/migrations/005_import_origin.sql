-- Schema 5: runs imported from result bundles (origin 'import': another machine's runs, shown
-- beside local ones, never a baseline). SQLite cannot alter a CHECK constraint, so the origin
-- column is rebuilt with the new one and its values copied.
ALTER TABLE runs ADD COLUMN origin_v5 TEXT NOT NULL DEFAULT 'cli'
    CHECK (origin_v5 IN ('cli', 'app', 'monitor', 'import'));
UPDATE runs SET origin_v5 = origin;
DROP INDEX runs_by_origin;
ALTER TABLE runs DROP COLUMN origin;
ALTER TABLE runs RENAME COLUMN origin_v5 TO origin;
CREATE INDEX runs_by_origin ON runs (origin, started_at);
