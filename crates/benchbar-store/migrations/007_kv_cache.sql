-- Schema 7: the in-process engine's KV-cache quantization of a run (EngineInfo.kv_cache, JSON;
-- NULL: keys and values in the model's dtype, and every run before it).
ALTER TABLE runs ADD COLUMN engine_kv_cache_json TEXT;
