-- Schema 6: how many runs were ever stored, by status and origin, for the Prometheus counters
-- (`benchbar_runs_total`): kept by a trigger, so pruning monitoring samples never lowers them.
-- Counting starts from the runs present at the upgrade.
CREATE TABLE run_counts (
    status  TEXT NOT NULL,
    origin  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (status, origin)
);
INSERT INTO run_counts (status, origin, n) SELECT status, origin, count(*) FROM runs GROUP BY status, origin;
CREATE TRIGGER runs_counted AFTER INSERT ON runs BEGIN
    INSERT INTO run_counts (status, origin, n) VALUES (NEW.status, NEW.origin, 1)
        ON CONFLICT (status, origin) DO UPDATE SET n = n + 1;
END;
