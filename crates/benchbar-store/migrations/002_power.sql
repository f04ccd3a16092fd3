-- Schema 2: energy per cell and the run's power timeline / thermal context.
ALTER TABLE cells ADD COLUMN power_json TEXT;   -- benchbar_core::report::CellPower, NULL when not sampled
ALTER TABLE runs ADD COLUMN power_json TEXT;    -- benchbar_core::report::RunPower (timeline included)
