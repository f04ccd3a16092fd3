/**
 * BenchBar app <-> Rust command contract. The ONLY module that talks to the backend.
 *
 * Every function below is one `#[tauri::command]` in src-tauri. Tauri v2 maps the camelCase
 * keys passed from JS to snake_case Rust parameters (`runId` -> `run_id`, `baseRunId` ->
 * `base_run_id`, `onEvent` -> `on_event`). Commands return `Result<T, CmdError>` where
 * `CmdError` serializes as `{ "message": string }`.
 *
 * Data shapes are generated from the Rust types by ts-rs into ./bindings/ (one file per type,
 * checked in; `src-tauri/tests/ts_bindings.rs` fails when they are not current and says how to
 * regenerate them). RunReport, HistoryLine, Comparison and TargetsDoc are EXACTLY the JSON the
 * CLI prints (`benchbar run|export --format json`, `history`, `compare`, `targets`): the
 * commands and the CLI serialize the same structs. Fixtures in ui/tests/fixtures/ were
 * generated with the CLI. Only the commands' argument shapes below are written here.
 *
 * | Rust command                                              | JS call here          |
 * |-----------------------------------------------------------|-----------------------|
 * | get_settings() -> Settings                                | getSettings()         |
 * | save_settings(settings: Settings) -> ()                   | saveSettings(s)       |
 * | list_models() -> Vec<ModelInfo>                           | listModels()          |
 * | monitor_status() -> MonitorStatus                         | monitorStatus()       |
 * | exporter_url() -> Option<String>                          | exporterUrl()         |
 * | open_window(name: String) -> ()                           | openWindow(name)      |
 * | model_catalogue() -> Vec<CatalogueEntry>                  | modelCatalogue()      |
 * | first_run() -> FirstRun                                   | firstRun()            |
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
 * | compare(base_run_id: i64, run_id: i64) -> Compared        | compare(a, b)         |
 * | set_baseline(run_id: i64) -> ()                           | setBaseline(id)       |
 * | export_run(run_id: i64, format: String) -> String         | exportRun(id, fmt)    |
 * | targets(run_id: Option<i64>, row: Option<String>) -> TargetsDoc | targets(id?, row?) |
 * | use_cases() -> Vec<UseCase>                               | useCases()            |
 * | start_scenario(name, limit: Option<usize>, on_event)      | startScenario(...)    |
 */
import { Channel, invoke } from "@tauri-apps/api/core";

// ---------------------------------------------------------------- data shapes (generated)

export type { CmdError } from "./bindings/CmdError";
export type { Settings } from "./bindings/Settings";
export type { EngineSetting } from "./bindings/EngineSetting";
export type { MonitorSettings } from "./bindings/MonitorSettings";
export type { ExporterSettings } from "./bindings/ExporterSettings";
export type { MonitorStatus } from "./bindings/MonitorStatus";
export type { ModelInfo } from "./bindings/ModelInfo";
export type { CatalogueEntry } from "./bindings/CatalogueEntry";
export type { FirstRun } from "./bindings/FirstRun";
export type { PullEvent } from "./bindings/PullEvent";
export type { RunEvent } from "./bindings/RunEvent";
export type { RunReport } from "./bindings/RunReport";
export type { CellReport } from "./bindings/CellReport";
export type { Stats } from "./bindings/Stats";
export type { Grade } from "./bindings/Grade";
export type { Mark } from "./bindings/Mark";
export type { HistoryLine } from "./bindings/HistoryLine";
export type { Comparison } from "./bindings/Comparison";
export type { Compared } from "./bindings/Compared";
export type { MachineComparison } from "./bindings/MachineComparison";
export type { TargetsDoc } from "./bindings/TargetsDoc";
export type { ModelTargets } from "./bindings/ModelTargets";
export type { ChartSpec } from "./bindings/ChartSpec";
export type { UseCase } from "./bindings/UseCase";
export type { ScenarioResult } from "./bindings/ScenarioResult";
export type { CheckRate } from "./bindings/CheckRate";
import type { CmdError } from "./bindings/CmdError";
import type { MonitorSettings } from "./bindings/MonitorSettings";
import type { ExporterSettings } from "./bindings/ExporterSettings";
import type { Settings } from "./bindings/Settings";
import type { MonitorStatus } from "./bindings/MonitorStatus";
import type { ModelInfo } from "./bindings/ModelInfo";
import type { CatalogueEntry } from "./bindings/CatalogueEntry";
import type { FirstRun } from "./bindings/FirstRun";
import type { PullEvent } from "./bindings/PullEvent";
import type { RunEvent } from "./bindings/RunEvent";
import type { RunReport } from "./bindings/RunReport";
import type { HistoryLine } from "./bindings/HistoryLine";
import type { Compared } from "./bindings/Compared";
import type { TargetsDoc } from "./bindings/TargetsDoc";
import type { ChartSpec } from "./bindings/ChartSpec";
import type { UseCase } from "./bindings/UseCase";
import type { Mark } from "./bindings/Mark";
import type { ModelTargets } from "./bindings/ModelTargets";

/** A grade mark (`pass`, `warn`, `fail`, `n/a`). */
export type GradeStr = Mark;
/** One model row of the target matrix. */
export type TargetRow = ModelTargets;

// ---------------------------------------------------------------- errors

/** Turns whatever a rejected invoke gave us into a readable message. */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as CmdError).message);
  return String(e);
}

// ---------------------------------------------------------------- command arguments

/** The suites the app offers (Settings' `quick_suite`, `start_run`'s `suite`). */
export type SuiteName = "quick" | "standard" | "full";

export const DEFAULT_MONITOR: MonitorSettings = { enabled: false, interval_min: 30, retention_h: 24, skip_on_battery: true };

/** The exporter's defaults (settings files from before it existed lack it). */
export const DEFAULT_EXPORTER: ExporterSettings = { enabled: false, listen: "127.0.0.1:9464" };

/** The model every machine has: created on first use, not in `list_models()`, added by the UI. */
export const BUILTIN_MODEL = "builtin:tiny";

/** The filter of `history()` and `historyCharts()`. */
export interface HistoryFilter {
  model?: string;
  engine?: string;
  suite?: string;
  limit: number;
}

/** The formats `export_run` returns as text. */
export type ExportFormat = "json" | "csv" | "md";

// ---------------------------------------------------------------- commands

export const getSettings = (): Promise<Settings> => invoke<Settings>("get_settings");

export const saveSettings = (settings: Settings): Promise<void> =>
  invoke<void>("save_settings", { settings });

export const listModels = (): Promise<ModelInfo[]> => invoke<ModelInfo[]>("list_models");

export const historyCharts = (f: HistoryFilter): Promise<ChartSpec[]> =>
  invoke<ChartSpec[]>("history_charts", { model: f.model || null, engine: f.engine || null, suite: f.suite || null, limit: f.limit });

export const modelCatalogue = (): Promise<CatalogueEntry[]> => invoke<CatalogueEntry[]>("model_catalogue");

/** `first_run()`: whether no model is on disk yet, and what to offer then. */
export const firstRun = (): Promise<FirstRun> => invoke<FirstRun>("first_run");

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

/** Shows the `dashboard`, `history` or `settings` window (the panel's links). */
export const openWindow = (name: string): Promise<void> => invoke<void>("open_window", { name });

/** Where the app's Prometheus exporter serves (`http://ADDR/metrics`), null when off. */
export const exporterUrl = (): Promise<string | null> => invoke<string | null>("exporter_url");

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

/** With regression verdicts for two runs of one machine; side by side (`kind:
 *  "cross-machine"`, no verdict) when one ran elsewhere (an imported run). */
export const compare = (baseRunId: number, runId: number): Promise<Compared> =>
  invoke<Compared>("compare", { baseRunId, runId });

export const setBaseline = (runId: number): Promise<void> => invoke<void>("set_baseline", { runId });

export const exportRun = (runId: number, format: ExportFormat): Promise<string> =>
  invoke<string>("export_run", { runId, format });

export const targets = (runId?: number | null, row?: string | null): Promise<TargetsDoc> =>
  invoke<TargetsDoc>("targets", { runId: runId ?? null, row: row ?? null });

// ---------------------------------------------------------------- use-case scenarios

export const useCases = (): Promise<UseCase[]> => invoke<UseCase[]>("use_cases");

/** Runs a scenario on the first `limit` items with the settings' model and engine; events
 *  (`scenario_progress`, then `finished`) follow on the channel. */
export function startScenario(name: string, limit: number | null, onEvent: (e: RunEvent) => void): Promise<number> {
  return invoke<number>("start_scenario", { name, limit, onEvent: channel(onEvent) });
}
