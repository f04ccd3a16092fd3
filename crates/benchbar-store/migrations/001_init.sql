-- BenchBar history, schema 1.
-- Raw samples are the source of truth: summaries, grades and comparisons are derived on load.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at      TEXT NOT NULL,                 -- RFC 3339, UTC
    status          TEXT NOT NULL CHECK (status IN ('completed', 'cancelled', 'failed')),
    suite           TEXT NOT NULL,
    model_id        TEXT NOT NULL,
    model_path      TEXT,
    quantization    TEXT,
    engine_name     TEXT NOT NULL,
    engine_version  TEXT NOT NULL,
    machine_json    TEXT NOT NULL,
    run_key         TEXT NOT NULL,                 -- RunKey::canonical()
    warnings_json   TEXT NOT NULL DEFAULT '[]',
    regressions_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_by_model ON runs (model_id, started_at);
CREATE INDEX runs_by_key ON runs (run_key, started_at);

CREATE TABLE cells (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    test        TEXT NOT NULL,
    batch_size  INTEGER NOT NULL,
    plan_json   TEXT NOT NULL,
    UNIQUE (run_id, position)
);

CREATE TABLE trials (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cell_id      INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    trial_index  INTEGER NOT NULL,
    sample_json  TEXT NOT NULL,                   -- benchbar_core::sample::TrialSample
    UNIQUE (cell_id, trial_index)
);

CREATE TABLE baselines (
    run_key  TEXT PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    set_at   TEXT NOT NULL
);

-- Regression notifications already announced (by fingerprint), so none is sent twice.
CREATE TABLE notifications (
    fingerprint  TEXT PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    sent_at      TEXT NOT NULL
);
