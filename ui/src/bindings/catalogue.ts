// Generated from benchbar_core::catalogue by src-tauri/tests/ts_bindings.rs. Do not edit.
import type { MetricEntry } from "./MetricEntry";

/** Every metric of the report, in catalogue order. */
export const METRICS: MetricEntry[] = [
  {
    "metric": "decode_tps",
    "heading": "Decode tok/s",
    "label": "decode tok/s",
    "unit": "tokens_per_second",
    "unit_symbol": "tok/s",
    "direction": "higher_is_better",
    "regression_threshold": 0.05
  },
  {
    "metric": "prefill_tps",
    "heading": "Prefill tok/s",
    "label": "prefill tok/s",
    "unit": "tokens_per_second",
    "unit_symbol": "tok/s",
    "direction": "higher_is_better",
    "regression_threshold": 0.05
  },
  {
    "metric": "ttft_ms",
    "heading": "TTFT ms",
    "label": "TTFT",
    "unit": "milliseconds",
    "unit_symbol": "ms",
    "direction": "lower_is_better",
    "regression_threshold": 0.1
  },
  {
    "metric": "itl_ms",
    "heading": "ITL ms",
    "label": "inter-token latency",
    "unit": "milliseconds",
    "unit_symbol": "ms",
    "direction": "lower_is_better",
    "regression_threshold": null
  },
  {
    "metric": "e2e_ms",
    "heading": "E2E ms",
    "label": "end-to-end latency",
    "unit": "milliseconds",
    "unit_symbol": "ms",
    "direction": "lower_is_better",
    "regression_threshold": null
  },
  {
    "metric": "throughput_tps",
    "heading": "Throughput tok/s",
    "label": "throughput tok/s",
    "unit": "tokens_per_second",
    "unit_symbol": "tok/s",
    "direction": "higher_is_better",
    "regression_threshold": 0.05
  },
  {
    "metric": "peak_memory_bytes",
    "heading": "Peak mem",
    "label": "peak memory",
    "unit": "bytes",
    "unit_symbol": "bytes",
    "direction": "lower_is_better",
    "regression_threshold": 0.15
  },
  {
    "metric": "process_peak_memory_bytes",
    "heading": "Process peak mem",
    "label": "process peak memory",
    "unit": "bytes",
    "unit_symbol": "bytes",
    "direction": "lower_is_better",
    "regression_threshold": null
  }
];
