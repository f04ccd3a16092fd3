-- Schema 8: memory bandwidth measured on a machine (`benchbar bandwidth`; `benchbar report` on
-- the machine of its runs), the roofline's denominator. Keyed by the machine's JSON, as runs
-- are; the measurement itself (read, copy, device, MLX version) as JSON.
CREATE TABLE bandwidth (
    id INTEGER PRIMARY KEY,
    machine_json TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    measured_json TEXT NOT NULL
);
CREATE INDEX bandwidth_by_machine ON bandwidth (machine_json, measured_at);
