/**
 * BenchBar app <-> Rust command contract. The ONLY module that talks to the backend.
 *
 * Every function below is one `#[tauri::command]` in src-tauri. Tauri v2 maps the camelCase
 * keys passed from JS to snake_case Rust parameters (`runId` -> `run_id`, `baseRunId` ->
 * `base_run_id`, `onEvent` -> `on_event`). Commands return `Result<T, CmdError>` where
 * `CmdError` serializes as `{ "message": string }`.
 *
 * Data shapes (RunReport, HistoryLine, Comparison, TargetsDoc) are EXACTLY the JSON the CLI
 * prints (`benchbar run|export --format json`, `history`, `compare`, `targets`), so the Rust
 * side should serialize the same structs the CLI exporters use. Fixtures in
 * ui/tests/fixtures/ were generated with the CLI.
 *
 * | Rust command                                              | JS call here          |
 * |-----------------------------------------------------------|-----------------------|
 * | get_settings() -> Settings                                | getSettings()         |
 * | save_settings(settings: Settings) -> ()                   | saveSettings(s)       |
 * | list_models() -> Vec<ModelInfo>                           | listModels()          |
 * | monitor_status() -> MonitorStatus                         | monitorStatus()       |
 * | model_catalogue() -> Vec<CatalogueEntry>                  | modelCatalogue()      |
 * | pull_model(repo_id, on_event: Channel<PullEvent>) -> ()   | pullModel(repo, cb)   |
 * | cancel_pull() -> ()                                       | cancelPull()          |
 * | watch_pulls(on_event: Channel<PullEvent>) -> ()           | watchPulls(cb)        |
 * | history_charts(model?, engine?, suite?, limit) -> Vec<ChartSpec> | historyCharts(f) |
 * | start_run(suite: String, model: String,                   | startRun(...)         |
 * |           on_event: Channel<RunEvent>) -> u64 (run number)|                       |
 * | cancel_run() -> ()                                        | cancelRun()           |
 * | watch_runs(on_event: Channel<RunEvent>) -> ()             | watchRuns(cb)         |
 * | history(model: Option<String>, engine: Option<String>,    | history(filter)       |
 * |         suite: Option<String>, limit: u32) -> Vec<HistoryLine>                    |
 * | get_run(run_id: i64) -> RunReport                         | getRun(id)            |
 * | compare(base_run_id: i64, run_id: i64) -> Comparison      | compare(a, b)         |
 * | set_baseline(run_id: i64) -> ()                           | setBaseline(id)       |
 * | export_run(run_id: i64, format: String) -> String         | exportRun(id, fmt)    |
 * | targets(run_id: Option<i64>, row: Option<String>) -> TargetsDoc | targets(id?, row?) |
 * | use_cases() -> Vec<UseCase>                               | useCases()            |
 * | start_scenario(name, limit: Option<usize>, on_event)      | startScenario(...)    |
 */
import { Channel, invoke } from "@tauri-apps/api/core";

// ---------------------------------------------------------------- errors

/** What every command rejects with (Rust: `#[derive(Serialize)] struct CmdError { message }`). */
export interface CmdError {
  message: string;
}

/** Turns whatever a rejected invoke gave us into a readable message. */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as CmdError).message);
  return String(e);
}

// ---------------------------------------------------------------- settings & models

export type EngineSetting =
  | { kind: "mlx" }
  /** OpenAI-compatible server, e.g. mlx_lm.server at http://127.0.0.1:8080/v1 */
  | { kind: "openai"; url: string; served_model?: string | null; api_key_env?: string | null };

export type SuiteName = "quick" | "standard" | "full";

/** Persisted by the Rust side (e.g. settings.json in the app config dir). */
export interface Settings {
  /** Model for quick runs: checkpoint dir, HF repo id, or "builtin:tiny". */
  default_model: string;
  engine: EngineSetting;
  /** Suite run by the tray's "Run quick benchmark". */
  quick_suite: SuiteName;
  /** Repetitions per cell; null = the suite's default. */
  reps: number | null;
  /** Sample power (energy counters) during runs. */
  sample_power: boolean;
  /** Scheduled monitoring (absent in settings files from before it existed: defaults). */
  monitor?: MonitorSettings;
}

/** Scheduled monitoring of the default model (`benchbar monitor` in the app). */
export interface MonitorSettings {
  enabled: boolean;
  interval_min: number;
  retention_h: number;
  /** Skip a sample on battery or in Low Power Mode. */
  skip_on_battery: boolean;
}

export const DEFAULT_MONITOR: MonitorSettings = { enabled: false, interval_min: 30, retention_h: 24, skip_on_battery: true };

/** `monitor_status()`: what the schedule does. */
export interface MonitorStatus {
  enabled: boolean;
  /** RFC 3339. */
  next_due: string | null;
  /** The last thing it did, e.g. "sample skipped (on battery power)". */
  last: string | null;
  /** When (RFC 3339). */
  last_at: string | null;
}

/**
 * One entry of `benchbar models --format json` (benchbar_mlx::ModelInfo). The list holds the
 * checkpoints found on disk; `builtin:tiny` is not in it (created on first use), the UI adds it.
 */
export interface ModelInfo {
  /** "org/name" for HF-cache models, else the directory name. */
  id: string;
  /** The checkpoint directory. */
  path: string;
  /** "4bit", "8bit", or the float dtype ("f32", "bf16", "f16"). */
  quantization: string | null;
  param_count: number;
  /** Bytes of weight files on disk. */
  size_bytes: number;
}

export const BUILTIN_MODEL = "builtin:tiny";

// ---------------------------------------------------------------- run report (CLI JSON)

export interface Stat {
  mean: number;
  median: number;
  sd: number;
  cv: number;
  ci95: [number, number];
  n: number;
  min: number;
  max: number;
  p50: number;
  p95?: number;
  p99?: number;
}

export interface CellSummary {
  decode_tps?: Stat | null;
  prefill_tps?: Stat | null;
  ttft_ms?: Stat | null;
  itl_ms?: Stat | null;
  e2e_ms?: Stat | null;
  throughput_tps?: Stat | null;
  peak_memory_bytes?: Stat | null;
}

export interface Cell {
  test: string;
  category: string;
  batch_size: number;
  prompt_tokens: number;
  gen_tokens: number;
  reps: number;
  summary: CellSummary;
  energy_j: number | null;
  avg_power_w: number | null;
  peak_power_w: number | null;
  tokens_per_joule: number | null;
  joules_per_token?: number | null;
  power_source: string;
  trials: unknown[];
}

export type GradeStr = "pass" | "warn" | "fail" | "n/a";

export interface Grade {
  metric: string;
  target: [number, number] | number | null;
  measured: number | null;
  grade: GradeStr;
}

export interface ModelRef {
  id: string;
  path: string | null;
  quantization: string | null;
}

export interface EngineRef {
  name: string;
  version: string;
}

export interface PowerSample {
  t_ms: number;
  total_w: number;
}

export interface RunReport {
  run_id: number | null;
  started_at: string;
  status: string;
  machine: { os: string; arch: string; cpu: string; memory_bytes: number; chip: string | null };
  engine: EngineRef;
  model: ModelRef;
  suite: string;
  target_row: string | null;
  cells: Cell[];
  grades: Grade[];
  regressions: unknown[];
  warnings: string[];
  power: { power_source: string; timeline: unknown[]; [k: string]: unknown };
}

/** One line of `benchbar history --format json`. */
export interface HistoryLine {
  run_id: number;
  started_at: string;
  status: string;
  suite: string;
  model: ModelRef;
  engine: EngineRef;
  decode_tps: number | null;
  ttft_ms: number | null;
  peak_memory_bytes: number | null;
  regressions: number;
  /** Not printed by the CLI yet; charted when present. */
  joules_per_token?: number | null;
}

/** `history_charts(filter)`: benchbar_report::charts::ChartSpec, the report's chart data. */
export interface ChartSpec {
  /** e.g. "chart-response-time-distribution". */
  file_stem: string;
  title: string;
  x_desc: string;
  y_desc: string;
  kind: { Lines: { label: string; points: [number, number][] }[] } | { Histogram: { lo: number; hi: number; count: number }[] };
}

export interface HistoryFilter {
  model?: string;
  engine?: string;
  suite?: string;
  limit: number;
}

/** `benchbar compare A B --format json`. */
export interface Comparison {
  baseline_run_id: number;
  current_run_id: number;
  metrics: {
    test: string;
    batch_size: number;
    metric: string;
    baseline: number | null;
    current: number | null;
    delta_pct: number | null;
    p_value: number | null;
    verdict: string;
    severity: string | null;
  }[];
  unmatched_cells: string[];
}

/** `benchbar targets [--run N] --format json`. */
export interface TargetRow {
  name: string;
  size: string;
  quantization: string;
  note?: string;
  single_batch_tps?: [number, number];
  optimal_batch_tps?: [number, number];
  first_token_ms?: [number, number];
  memory_gb?: [number, number];
  power_w?: [number, number];
  batch_tps?: Record<string, [number, number]>;
  use_cases?: { name: string; target: string }[];
}

export interface TargetsDoc {
  hardware: Record<string, string | number>;
  model: TargetRow[];
  achievement: { category: string; entries: { model: string; mark: GradeStr; text: string }[] }[];
  rag?: { stage: string; target: string }[];
  scenario?: unknown[];
  /** Present with `targets({runId})`: the measured values graded against one row. */
  run?: {
    run_id: number;
    target_row: string | null;
    model: ModelRef;
    grades: Grade[];
  };
}

/** `benchbar baseline show --format json` (not yet used by a screen, shape left open). */
export type BaselineLine = Record<string, unknown>;

// ---------------------------------------------------------------- live events

/** Streamed over `tauri::ipc::Channel<RunEvent>` (Rust: `#[serde(tag = "kind", rename_all = "snake_case")]`). */
export type RunEvent =
  /** A cell (test x batch size) begins; `cell` is 0-based, `total` the number of cells. */
  | { kind: "cell_started"; cell: number; total: number; test: string; batch_size: number }
  /** Throttled (e.g. every 250 ms) while a trial decodes. */
  | { kind: "token"; cell: number; tokens: number; elapsed_ms: number; live_tps: number }
  /** One trial of a cell finished (warmup trials have `warmup: true`, ttft/decode may be null). */
  | { kind: "trial_done"; cell: number; warmup: boolean; decode_tps: number | null; ttft_ms: number | null }
  /** A power sample (only when power is sampled and a source is available). */
  | { kind: "power"; t_ms: number; total_w: number }
  /** The run ended; `status` is "completed" | "cancelled" | "failed"; run_id null if not stored;
   *  `error` says why a run could not run or be stored. */
  | { kind: "finished"; run_id: number | null; status: string; regressions: number; error?: string }
  /** Progress of a use-case scenario. */
  | { kind: "scenario_progress"; scenario: string; stage: string; done: number; total: number; elapsed_s: number }
  /** Broadcast on the watch channel after the app stored a run: reload what is shown. */
  | { kind: "history_changed" };

// ---------------------------------------------------------------- commands

export const getSettings = (): Promise<Settings> => invoke<Settings>("get_settings");

export const saveSettings = (settings: Settings): Promise<void> =>
  invoke<void>("save_settings", { settings });

export const listModels = (): Promise<ModelInfo[]> => invoke<ModelInfo[]>("list_models");

export const historyCharts = (f: HistoryFilter): Promise<ChartSpec[]> =>
  invoke<ChartSpec[]>("history_charts", { model: f.model || null, engine: f.engine || null, suite: f.suite || null, limit: f.limit });

/** `model_catalogue()`: benchbar_hub::CatalogueEntry (`benchbar models catalogue --format json`). */
export interface CatalogueEntry {
  repo_id: string;
  model: string;
  quantization: string;
  param_count: number;
  present: boolean;
  path: string | null;
  size_on_disk_bytes: number;
  estimated_download_bytes: number;
  estimated_memory_bytes: number;
  fits_memory: boolean;
}

/** Events of `pull_model` / `watch_pulls` (benchbar_app::pulls::PullEvent). */
export type PullEvent =
  | { kind: "progress"; repo_id: string; phase: "resolving" | "verifying" | "downloading" | "done"; file: string; done_bytes: number; total_bytes: number; rate_bps: number | null; eta_s: number | null }
  | { kind: "finished"; repo_id: string; status: "done" | "cancelled" | "failed"; path: string | null; error: string | null };

export const modelCatalogue = (): Promise<CatalogueEntry[]> => invoke<CatalogueEntry[]>("model_catalogue");

/** A channel delivering the command's events to `onEvent`. */
function channel<T>(onEvent: (e: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = onEvent;
  return ch;
}

export const pullModel = (repoId: string, onEvent: (e: PullEvent) => void): Promise<void> =>
  invoke<void>("pull_model", { repoId, onEvent: channel(onEvent) });

export const cancelPull = (): Promise<void> => invoke<void>("cancel_pull");

export const watchPulls = (onEvent: (e: PullEvent) => void): Promise<void> =>
  invoke<void>("watch_pulls", { onEvent: channel(onEvent) });

export const monitorStatus = (): Promise<MonitorStatus> => invoke<MonitorStatus>("monitor_status");

/** Starts a run; resolves at once with the run's number in this app session; events follow on
 *  the channel and `finished` carries the stored run id. */
export function startRun(
  suite: SuiteName,
  model: string,
  onEvent: (e: RunEvent) => void,
): Promise<number> {
  return invoke<number>("start_run", { suite, model, onEvent: channel(onEvent) });
}

export const cancelRun = (): Promise<void> => invoke<void>("cancel_run");

/** Subscribes to the events of runs this window did not start (the tray's, the schedule's) and
 *  to `history_changed`. */
export function watchRuns(onEvent: (e: RunEvent) => void): Promise<void> {
  return invoke<void>("watch_runs", { onEvent: channel(onEvent) });
}

export function history(filter: HistoryFilter): Promise<HistoryLine[]> {
  return invoke<HistoryLine[]>("history", {
    model: filter.model || null,
    engine: filter.engine || null,
    suite: filter.suite || null,
    limit: filter.limit,
  });
}

export const getRun = (runId: number): Promise<RunReport> => invoke<RunReport>("get_run", { runId });

export const compare = (baseRunId: number, runId: number): Promise<Comparison> =>
  invoke<Comparison>("compare", { baseRunId, runId });

export const setBaseline = (runId: number): Promise<void> => invoke<void>("set_baseline", { runId });

export type ExportFormat = "json" | "csv" | "md";

export const exportRun = (runId: number, format: ExportFormat): Promise<string> =>
  invoke<string>("export_run", { runId, format });

export const targets = (runId?: number | null, row?: string | null): Promise<TargetsDoc> =>
  invoke<TargetsDoc>("targets", { runId: runId ?? null, row: row ?? null });

// ---------------------------------------------------------------- use-case scenarios

/** One output check of a scenario run (e.g. `valid_label`, `schema_valid`). */
export interface CheckRate {
  name: string;
  description: string;
  passed: number;
  checked: number;
  rate: number | null;
  unavailable?: string;
}

/** A stored scenario result (benchbar_scenarios::ScenarioResult, the fields shown). */
export interface ScenarioResult {
  scenario: string;
  model: string;
  items_total: number;
  items_run: number;
  wall_s: number;
  items_per_minute: number | null;
  full_set_s: number | null;
  checks: CheckRate[];
  target: { target: string; full_set_s: number; projected: boolean; mark: GradeStr; note: string } | null;
}

/** `use_cases()`: a scenario with its seed targets and latest stored run. */
export interface UseCase {
  name: string;
  title: string;
  description: string;
  items: number;
  item_unit: string;
  seed_targets: string[];
  latest: { run_id: number; started_at: string; result: ScenarioResult } | null;
}

export const useCases = (): Promise<UseCase[]> => invoke<UseCase[]>("use_cases");

/** Runs a scenario on the first `limit` items with the settings' model and engine; events
 *  (`scenario_progress`, then `finished`) follow on the channel. */
export function startScenario(name: string, limit: number | null, onEvent: (e: RunEvent) => void): Promise<number> {
  return invoke<number>("start_scenario", { name, limit, onEvent: channel(onEvent) });
}
