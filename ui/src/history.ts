/**
 * History window: charts over time, distributions and decode per model, filterable table,
 * compare two runs, baseline, export.
 */
import "./locale";
import * as api from "./api";
import type { Compared, Comparison, ExportFormat, HistoryLine, MachineComparison } from "./api";
import { METRICS } from "./bindings/catalogue";
import { LineChart } from "./chart";
import { byId, clear, h } from "./dom";
import { gb, num, pct, when } from "./format";
import { mountShell, toast } from "./shell";
import { SpecChart } from "./speccharts";

mountShell("history.html");
const app = byId("app");

let all: HistoryLine[] = [];
let lines: HistoryLine[] = [];
const selected: number[] = [];

const fModel = h("select", { id: "f-model", "aria-label": "Model", onchange: () => void reload() });
/** The engine's name, with its KV-cache quantization where the run had one (`--kv-bits`). */
const engineLabel = (e: { name: string; kv_cache?: { bits: number; group_size: number } }) =>
  e.kv_cache ? `${e.name} · KV ${e.kv_cache.bits}-bit` : e.name;
const fEngine = h("select", { id: "f-engine", "aria-label": "Engine", onchange: () => void reload() });
const fSuite = h("select", { id: "f-suite", "aria-label": "Suite", onchange: () => void reload() });
const fLimit = h("select", { id: "f-limit", "aria-label": "Limit", onchange: () => void reload() },
  ...[50, 200, 1000].map((n) => h("option", { value: n }, `last ${n}`)));

const CHARTS: { key: string; title: string; unit: string; get: (l: HistoryLine) => number | null | undefined }[] = [
  { key: "decode", title: "Decode", unit: "tok/s", get: (l) => l.decode_tps },
  { key: "ttft", title: "Time to first token", unit: "ms", get: (l) => l.ttft_ms },
  { key: "memory", title: "Peak memory", unit: "GB", get: (l) => (l.peak_memory_bytes == null ? null : l.peak_memory_bytes / 1e9) },
  { key: "energy", title: "Energy per token", unit: "J/token", get: (l) => l.joules_per_token },
];
const charts = CHARTS.map((c) => {
  const host = h("div", { class: "chart-host", id: `chart-${c.key}` });
  const empty = h("div", { class: "empty hidden" }, "No data for these runs.");
  const card = h("section", { class: "card chart-card", "data-chart": c.key },
    h("h2", null, c.title), h("p", { class: "sub" }, c.unit), host, empty);
  return { ...c, host, empty, card, chart: null as LineChart | null };
});

// The report's charts over the same runs (benchbar report --since draws them as PNG/SVG).
const specCharts = [
  new SpecChart("chart-response-time-distribution", "Response time distribution"),
  new SpecChart("chart-memory-distribution", "Memory distribution"),
  new SpecChart("chart-decode-trend", "Decode tok/s per model"),
];

const tableHost = h("div", { id: "runs", class: "scroll" });
const compareBtn = h("button", { id: "compare-btn", class: "primary", disabled: true, onclick: () => void runCompare() }, "Compare selected");
const selInfo = h("span", { id: "sel-info", class: "muted" }, "Select two runs to compare.");
const compareHost = h("section", { class: "card hidden", id: "compare" });
const exportDlg = h("dialog", { id: "export-dialog" });

app.append(
  h("section", { class: "card" },
    h("div", { class: "row" },
      h("div", null, h("h2", null, "History"), h("p", { class: "sub" }, "Every stored run, newest first.")),
      h("span", { class: "spacer" }),
      h("label", { class: "field" }, "Model", fModel),
      h("label", { class: "field" }, "Engine", fEngine),
      h("label", { class: "field" }, "Suite", fSuite),
      h("label", { class: "field" }, "Show", fLimit))),
  h("div", { class: "charts" }, charts.map((c) => c.card)),
  h("div", { class: "charts", id: "spec-charts" }, specCharts.map((c) => c.card)),
  h("section", { class: "card" },
    h("div", { class: "row" }, h("h2", null, "Runs"), h("span", { class: "spacer" }), selInfo, compareBtn),
    tableHost),
  compareHost,
  exportDlg,
);

function fillSelect(sel: HTMLSelectElement, label: string, values: string[]): void {
  const cur = sel.value;
  clear(sel, h("option", { value: "" }, `All ${label}`), [...new Set(values)].sort().map((v) => h("option", { value: v }, v)));
  sel.value = values.includes(cur) ? cur : "";
}

async function loadFilters(): Promise<void> {
  all = await api.history({ limit: 1000 });
  fillSelect(fModel, "models", all.map((l) => l.model.id));
  fillSelect(fEngine, "engines", all.map((l) => l.engine.name));
  fillSelect(fSuite, "suites", all.map((l) => l.suite));
}

async function reload(): Promise<void> {
  const filter = {
    model: fModel.value || undefined,
    engine: fEngine.value || undefined,
    suite: fSuite.value || undefined,
    limit: Number(fLimit.value) || 50,
  };
  void loadSpecCharts(filter);
  try {
    lines = await api.history(filter);
  } catch (e) {
    toast(`Could not load history: ${api.errorMessage(e)}`, "error");
    lines = [];
  }
  for (let i = selected.length - 1; i >= 0; i--) if (!lines.some((l) => l.run_id === selected[i])) selected.splice(i, 1);
  renderCharts();
  renderTable();
}

let specRequest = 0;

async function loadSpecCharts(filter: api.HistoryFilter): Promise<void> {
  const mine = ++specRequest;
  let specs: api.ChartSpec[] = [];
  try {
    specs = await api.historyCharts(filter);
  } catch (e) {
    toast(`Could not load the distribution charts: ${api.errorMessage(e)}`, "error");
  }
  if (mine !== specRequest) return; // a newer filter's answer wins
  for (const c of specCharts) c.set(specs.find((s) => s.file_stem === c.stem));
}

function renderCharts(): void {
  const ordered = [...lines].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  const xs = ordered.map((l) => Date.parse(l.started_at) / 1000);
  for (const c of charts) {
    const ys = ordered.map((l) => {
      const v = c.get(l);
      return v === undefined || v === null || !Number.isFinite(v) ? null : v;
    });
    const has = ys.some((v) => v !== null);
    c.empty.classList.toggle("hidden", has);
    c.host.classList.toggle("hidden", !has);
    c.card.dataset.points = String(ys.filter((v) => v !== null).length);
    if (!has) continue;
    if (!c.chart) c.chart = new LineChart(c.host, { label: c.title, unit: c.unit, time: true, points: true, legend: true });
    c.chart.set(xs, ys);
  }
}

function toggleSelect(id: number, on: boolean): void {
  const i = selected.indexOf(id);
  if (on && i < 0) {
    selected.push(id);
    if (selected.length > 2) selected.shift();
  } else if (!on && i >= 0) selected.splice(i, 1);
  renderTable();
}

function renderTable(): void {
  compareBtn.disabled = selected.length !== 2;
  selInfo.textContent = selected.length === 2 ? `Runs #${selected[0]} and #${selected[1]}` : "Select two runs to compare.";
  if (!lines.length) {
    clear(tableHost, h("div", { class: "empty", id: "runs-empty" }, "No runs match these filters."));
    return;
  }
  const tbody = h("tbody");
  for (const l of lines) {
    const isSel = selected.includes(l.run_id);
    const cb = h("input", { type: "checkbox", class: "sel", "aria-label": `Select run ${l.run_id}`, checked: isSel });
    cb.addEventListener("change", () => toggleSelect(l.run_id, cb.checked));
    const fmt = h("select", { class: "fmt", "aria-label": `Export run ${l.run_id}`, title: "Export this run" },
      h("option", { value: "" }, "Export…"),
      h("option", { value: "json" }, "JSON"), h("option", { value: "csv" }, "CSV"), h("option", { value: "md" }, "Markdown"));
    fmt.addEventListener("change", () => {
      const f = fmt.value as ExportFormat | "";
      fmt.value = "";
      if (f) void doExport(l.run_id, f);
    });
    tbody.append(
      h("tr", { "data-run": l.run_id, class: isSel ? "selected" : null },
        h("td", null, cb),
        h("td", { class: "num" }, `#${l.run_id}`),
        h("td", null, when(l.started_at)),
        h("td", { class: "model" }, l.model.id),
        h("td", { class: "engine", title: l.engine.version }, engineLabel(l.engine)),
        h("td", null, l.suite),
        h("td", { class: "num" }, num(l.decode_tps)),
        h("td", { class: "num" }, num(l.ttft_ms)),
        h("td", { class: "num" }, gb(l.peak_memory_bytes)),
        rooflineCell(l),
        h("td", null,
          l.origin === "import" ? h("span", { class: "pill", title: "Measured on another machine, imported from a result bundle" }, "imported") : null,
          l.status === "completed" ? null : h("span", { class: "pill bad" }, l.status),
          l.regressions ? h("span", { class: "pill bad" }, `${l.regressions} regression${l.regressions === 1 ? "" : "s"}`) : null),
        h("td", null, h("div", { class: "actions" },
          h("button", { class: "small baseline", title: "Set as the baseline for its configuration", onclick: () => void makeBaseline(l.run_id) }, "Baseline"),
          fmt))),
    );
    if (l.levels?.length) tbody.append(levelsRow(l));
    if (l.depths?.length) tbody.append(depthsRow(l));
    if (l.prompt_cache?.length) tbody.append(promptCacheRow(l));
  }
  clear(tableHost,
    h("table", { id: "runs-table" },
      h("thead", null, h("tr", null, h("th", null, ""), h("th", { class: "num" }, "Run"), h("th", null, "Started"), h("th", null, "Model"), h("th", null, "Engine"),
        h("th", null, "Suite"), h("th", { class: "num" }, "Decode tok/s"), h("th", { class: "num" }, "TTFT ms"), h("th", { class: "num" }, "Peak mem"),
        h("th", { class: "num", title: "Single-request decode against the memory bandwidth: tok/s × bytes a decode step reads ÷ the measured read bandwidth (benchbar bandwidth)" }, "Roofline"),
        h("th", null, "Flags"), h("th", null, ""))),
      tbody));
}

/** The run's roofline %, with the bandwidth it divides by (read, measured or the vendor's figure) and the copy figure beside it. */
function rooflineCell(l: HistoryLine): HTMLElement {
  const r = l.roofline;
  if (!r) return h("td", { class: "num roofline", title: "Model weights or memory bandwidth unknown (benchbar bandwidth measures it)" }, "—");
  const copy = r.pct_of_copy != null && r.copy_gbps != null ? `; ${r.pct_of_copy.toFixed(1)}% of the copy bandwidth (${num(r.copy_gbps)} GB/s)` : "";
  const title = `${num(r.decode_tps)} tok/s × ${gb(r.bytes_per_token)} a token ÷ ${num(r.bandwidth_gbps)} GB/s: ${r.bandwidth_source}${copy}`;
  return h("td", { class: "num roofline", title }, `${r.pct.toFixed(1)}%`);
}

/** A concurrency sweep's levels under its run: output tok/s against median latency per level. */
function levelsRow(l: HistoryLine): HTMLElement {
  return h("tr", { class: "levels", "data-levels-of": l.run_id },
    h("td", null, ""),
    h("td", { colspan: 10 },
      h("table", { class: "levels-table" },
        h("thead", null, h("tr", null, h("th", null, "Concurrency sweep"), h("th", { class: "num" }, "Level"), h("th", { class: "num" }, "Output tok/s"),
          h("th", { class: "num" }, "TTFT p50 ms"), h("th", { class: "num" }, "E2E p50 ms"), h("th", { class: "num" }, "Goodput req/s"))),
        h("tbody", null, (l.levels ?? []).map((v) =>
          h("tr", { "data-level": v.concurrency },
            h("td", null, v.test),
            h("td", { class: "num" }, v.concurrency),
            h("td", { class: "num" }, num(v.output_tps)),
            h("td", { class: "num" }, num(v.ttft_p50_ms)),
            h("td", { class: "num" }, num(v.e2e_p50_ms)),
            h("td", { class: "num" }, num(v.goodput_rps, 2))))))));
}

/** A table under a run's row (`kind` names it for tests and styles). */
function subRow(l: HistoryLine, kind: string, headers: string[], rows: HTMLElement[]): HTMLElement {
  return h("tr", { class: `sub ${kind}`, [`data-${kind}-of`]: l.run_id },
    h("td", null, ""),
    h("td", { colspan: 10 },
      h("table", { class: "levels-table" },
        h("thead", null, h("tr", null, ...headers.map((t, i) => h("th", i ? { class: "num" } : null, t)))),
        h("tbody", null, rows))));
}

const mb = (bytes: number | null | undefined) => (bytes == null ? "—" : `${num(bytes / 1e6)} MB`);

/** A depth sweep under its run: decode tok/s, TTFT and memory against context depth. */
function depthsRow(l: HistoryLine): HTMLElement {
  return subRow(l, "depths", ["Context depth", "Depth tokens", "Decode tok/s", "TTFT p50 ms", "Peak memory", "KV cache"],
    (l.depths ?? []).map((d) =>
      h("tr", { "data-depth": d.depth_tokens },
        h("td", null, d.test),
        h("td", { class: "num" }, d.depth_tokens),
        h("td", { class: "num" }, num(d.decode_tps)),
        h("td", { class: "num" }, num(d.ttft_p50_ms)),
        h("td", { class: "num" }, mb(d.peak_memory_bytes)),
        h("td", { class: "num" }, mb(d.kv_cache_bytes)))));
}

/** The same prompt's TTFT cold and with its prefix cached, under its run. */
function promptCacheRow(l: HistoryLine): HTMLElement {
  return subRow(l, "prompt-cache", ["Cached prefix", "Prefix tokens", "Cold TTFT p50 ms", "Cached TTFT p50 ms", "Saved"],
    (l.prompt_cache ?? []).map((c) =>
      h("tr", { "data-prefix": c.prefix_tokens },
        h("td", null, c.test),
        h("td", { class: "num" }, c.prefix_tokens),
        h("td", { class: "num" }, num(c.cold_ttft_p50_ms)),
        h("td", { class: "num" }, num(c.cached_ttft_p50_ms)),
        h("td", { class: "num" }, c.saved_pct == null ? "—" : `${num(c.saved_pct)}%`))));
}

async function runCompare(): Promise<void> {
  if (selected.length !== 2) return;
  // Baseline = the older run (smaller id), as `benchbar compare BASE NEW`.
  const [base, cur] = [...selected].sort((a, b) => a - b);
  try {
    renderComparison(await api.compare(base, cur));
  } catch (e) {
    compareHost.classList.remove("hidden");
    clear(compareHost, h("h2", null, "Comparison"), h("p", { class: "notice", id: "compare-error" }, api.errorMessage(e)));
  }
}

/** The catalogue's entry of a metric (generated from the Rust catalogue). */
const metricEntry = (m: string) => METRICS.find((e) => e.metric === m);

function renderComparison(c: Compared): void {
  if ("kind" in c) renderMachineComparison(c);
  else renderRegressionCheck(c);
}

/** Two machines side by side: values, ratios and decode per GB/s; no verdict. */
function renderMachineComparison(c: MachineComparison): void {
  compareHost.classList.remove("hidden");
  const name = (s: MachineComparison["first"]) => s.machine.chip ?? s.machine.cpu;
  const side = (s: MachineComparison["first"]) =>
    `#${s.run_id ?? "—"} · ${name(s)} · ${gb(s.machine.memory_bytes)} · ${s.engine_version}` +
    (s.bandwidth_gbps === null ? " · bandwidth unknown" : ` · ${s.bandwidth_gbps} GB/s`);
  const val = (m: MachineComparison["metrics"][number], v: number | null) =>
    v === null ? "—" : m.per_gbps ? v.toFixed(4) : metricEntry(m.metric)?.unit === "bytes" ? gb(v) : num(v);
  clear(compareHost,
    h("div", { class: "row" },
      h("div", null,
        h("h2", null, `${c.model}: ${name(c.first)} vs ${name(c.second)}`),
        h("p", { class: "sub", id: "compare-kind" }, "Cross-machine comparison: side by side, no regression verdict."),
        h("p", { class: "sub" }, `First: ${side(c.first)}`),
        h("p", { class: "sub" }, `Second: ${side(c.second)}`))),
    h("div", { class: "scroll" },
      h("table", { id: "compare-table" },
        h("thead", null, h("tr", null, h("th", null, "Test"), h("th", { class: "num" }, "Batch"), h("th", null, "Metric"),
          h("th", { class: "num" }, "First"), h("th", { class: "num" }, "Second"), h("th", { class: "num" }, "Second/first"))),
        h("tbody", null, c.metrics.map((m) =>
          h("tr", { "data-metric": m.per_gbps ? "decode_tps_per_gbps" : m.metric },
            h("td", null, m.test),
            h("td", { class: "num" }, m.batch_size),
            h("td", null, m.per_gbps ? "Decode tok/s per GB/s" : metricEntry(m.metric)?.heading ?? m.metric),
            h("td", { class: "num" }, val(m, m.first)),
            h("td", { class: "num" }, val(m, m.second)),
            h("td", { class: "num" }, m.ratio === null ? "—" : `${m.ratio.toFixed(3)}×`)))))),
    c.unmatched_cells.length ? h("p", { class: "sub", id: "unmatched" }, `Not compared: ${c.unmatched_cells.join(", ")}`) : null,
  );
}

function renderRegressionCheck(c: Comparison): void {
  compareHost.classList.remove("hidden");
  const val = (m: string, v: number | null) => (metricEntry(m)?.unit === "bytes" ? gb(v) : num(v));
  const regressions = c.metrics.filter((m) => m.verdict === "regression").length;
  clear(compareHost,
    h("div", { class: "row" },
      h("div", null,
        h("h2", null, `Run #${c.current_run_id} vs baseline #${c.baseline_run_id}`),
        h("p", { class: "sub" }, "Regression = past the seed's threshold and significant (one-sided Welch t-test, p < 0.01).")),
      h("span", { class: "spacer" }),
      h("span", { class: regressions ? "pill bad" : "pill", id: "compare-summary" }, regressions ? `${regressions} regression${regressions === 1 ? "" : "s"}` : "no regressions")),
    h("div", { class: "scroll" },
      h("table", { id: "compare-table" },
        h("thead", null, h("tr", null, h("th", null, "Test"), h("th", { class: "num" }, "Batch"), h("th", null, "Metric"), h("th", { class: "num" }, "Baseline"),
          h("th", { class: "num" }, "Current"), h("th", { class: "num" }, "Δ"), h("th", { class: "num" }, "p"), h("th", null, "Verdict"))),
        h("tbody", null, c.metrics.map((m) =>
          h("tr", { "data-metric": m.metric, "data-verdict": m.verdict },
            h("td", null, m.test),
            h("td", { class: "num" }, m.batch_size),
            h("td", null, metricEntry(m.metric)?.heading ?? m.metric),
            h("td", { class: "num" }, val(m.metric, m.baseline)),
            h("td", { class: "num" }, val(m.metric, m.current)),
            h("td", { class: "num" }, pct(m.delta_pct)),
            h("td", { class: "num" }, m.p_value === null ? "—" : m.p_value < 1e-4 ? "<0.0001" : m.p_value.toFixed(4)),
            h("td", { class: `verdict-${m.verdict}` }, m.verdict + (m.severity ? ` (${m.severity})` : ""))))))),
    c.unmatched_cells.length ? h("p", { class: "sub", id: "unmatched" }, `Not compared: ${c.unmatched_cells.join(", ")}`) : null,
  );
}

async function makeBaseline(runId: number): Promise<void> {
  try {
    await api.setBaseline(runId);
    toast(`Run #${runId} is now the baseline for its configuration.`);
  } catch (e) {
    toast(`Could not set baseline: ${api.errorMessage(e)}`, "error");
  }
}

async function doExport(runId: number, format: ExportFormat): Promise<void> {
  try {
    const text = await api.exportRun(runId, format);
    const ext = format;
    const mime = format === "json" ? "application/json" : format === "csv" ? "text/csv" : "text/markdown";
    const url = URL.createObjectURL(new Blob([text], { type: mime }));
    const copy = h("button", { onclick: () => void navigator.clipboard?.writeText(text).then(() => toast("Copied")) }, "Copy");
    clear(exportDlg,
      h("div", { class: "row" }, h("h2", null, `Run #${runId} · ${format.toUpperCase()}`), h("span", { class: "spacer" }),
        copy,
        h("a", { href: url, download: `benchbar-run-${runId}.${ext}` }, h("button", { class: "primary" }, "Save…")),
        h("button", { onclick: () => { exportDlg.close(); URL.revokeObjectURL(url); } }, "Close")),
      h("pre", { id: "export-text" }, text));
    exportDlg.showModal();
  } catch (e) {
    toast(`Export failed: ${api.errorMessage(e)}`, "error");
  }
}

/** `history.html?compare=BASE,RUN` (the tray's "Open regression") opens that comparison. */
function compareFromUrl(): [number, number] | null {
  const m = /^(\d+),(\d+)$/.exec(new URLSearchParams(location.search).get("compare") ?? "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

void (async () => {
  try {
    await loadFilters();
  } catch (e) {
    toast(`Could not load history: ${api.errorMessage(e)}`, "error");
  }
  await reload();
  const pair = compareFromUrl();
  if (pair) {
    selected.splice(0, selected.length, ...pair);
    await runCompare();
  }
  api.watchRuns((e) => {
    if (e.kind === "history_changed") void reload();
  }).catch(() => undefined);
})();
