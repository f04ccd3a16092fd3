-- Schema 4: use-case scenario results (issue #7), one row per scenario run. The run itself is a
-- row of `runs` (suite 'scenario:<name>', no cells), so it shows in the history like any other
-- run; `result_json` is benchbar_scenarios::ScenarioResult (timings, counts, validity, grades).
CREATE TABLE scenario_results (
    run_id       INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    scenario     TEXT NOT NULL,
    result_json  TEXT NOT NULL
);
CREATE INDEX scenario_results_by_name ON scenario_results (scenario, run_id);
