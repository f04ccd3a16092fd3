/**
 * Test-only IPC mock, bundled to tests/.build/mocks.js and injected with page.addInitScript
 * before the app's scripts. Never imported by src/ (the production bundle has no mocks).
 *
 * Config comes from window.__BENCHBAR_MOCK__ (set by an earlier init script):
 *   fixtures: { [command]: response }   // history is filtered + limited here like the Rust side
 *   runEvents: RunEvent[]               // streamed over the start_run channel
 *   pullEvents: PullEvent[]             // streamed over the pull_model channel
 *   eventOrder?: number[]               // delivery order of indices (to test reordering)
 *   fail?: { [command]: message }       // reject with {message}
 * watch_runs stores its channel id in window.__watchChannel (tests push events with
 *   __TAURI_INTERNALS__.runCallback(id, {index, message})).
 * Every invoke is recorded in window.__calls as {cmd, args} (channels as their id).
 */
import { mockIPC } from "@tauri-apps/api/mocks";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
interface MockCfg {
  fixtures: Record<string, Json>;
  runEvents?: Json[];
  pullEvents?: Json[];
  eventOrder?: number[];
  eventDelayMs?: number;
  fail?: Record<string, string>;
}
const w = window as unknown as { __BENCHBAR_MOCK__: MockCfg; __calls: { cmd: string; args: Json }[]; __TAURI_INTERNALS__: Json };
const cfg = w.__BENCHBAR_MOCK__;
w.__calls = [];

function record(cmd: string, args: Json): void {
  const plain: Json = {};
  for (const [k, v] of Object.entries(args ?? {})) {
    plain[k] = v && typeof v === "object" && "id" in (v as object) && k === "onEvent" ? { channel: (v as { id: number }).id } : v;
  }
  w.__calls.push({ cmd, args: JSON.parse(JSON.stringify(plain)) });
}

function emitAll(channelId: number, events: Json[] = cfg.runEvents ?? []): void {
  const order = cfg.eventOrder ?? events.map((_, i) => i);
  const delay = cfg.eventDelayMs ?? 5;
  order.forEach((index, n) => {
    setTimeout(() => w.__TAURI_INTERNALS__.runCallback(channelId, { index, message: events[index] }), delay * (n + 1));
  });
  setTimeout(() => w.__TAURI_INTERNALS__.runCallback(channelId, { index: events.length, end: true }), delay * (order.length + 2));
}

mockIPC((cmd: string, args: Json) => {
  record(cmd, args);
  if (cfg.fail && cmd in cfg.fail) return Promise.reject({ message: cfg.fail[cmd] });
  const f = cfg.fixtures;
  switch (cmd) {
    case "history": {
      let lines: Json[] = f.history ?? [];
      if (args.model) lines = lines.filter((l) => l.model.id === args.model);
      if (args.engine) lines = lines.filter((l) => l.engine.name === args.engine);
      if (args.suite) lines = lines.filter((l) => l.suite === args.suite);
      return lines.slice(0, args.limit);
    }
    case "targets":
      if (args.runId == null || !f.targets_run) return f.targets;
      // A named row: the same run graded against it (the grades come from the fixture).
      return args.row ? { ...f.targets_run, run: { ...f.targets_run.run, target_row: args.row } } : f.targets_run;
    case "start_run":
    case "start_scenario":
      setTimeout(() => emitAll(args.onEvent.id), 0);
      return f.start_run ?? 3;
    case "use_cases":
      return f.use_cases ?? [];
    case "export_run":
      return (f.export ?? {})[args.format] ?? "";
    case "get_run":
      return f.runs?.[args.runId];
    case "compare":
    case "get_settings":
    case "list_models":
      return f[cmd];
    case "watch_runs":
      (w as unknown as { __watchChannel: number }).__watchChannel = args.onEvent.id;
      return null;
    case "model_catalogue":
      return f.catalogue ?? [];
    case "pull_model":
      setTimeout(() => emitAll(args.onEvent.id, cfg.pullEvents ?? []), 0);
      return null;
    case "watch_pulls":
      (w as unknown as { __pullChannel: number }).__pullChannel = args.onEvent.id;
      return null;
    case "cancel_pull":
      return null;
    case "history_charts":
      return f.history_charts ?? [];
    case "monitor_status":
      return f.monitor_status ?? { enabled: false, next_due: null, last: null, last_at: null };
    case "first_run":
      return f.first_run ?? { no_model: false, builtin: "builtin:tiny", suggested: null };
    case "exporter_url":
      return f.exporter_url ?? null;
    case "save_settings":
    case "open_window":
    case "set_baseline":
    case "cancel_run":
      return null;
    default:
      return Promise.reject({ message: `unknown command ${cmd}` });
  }
});
