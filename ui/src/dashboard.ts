/** Dashboard window: target matrix with latest grades, achievements matrix, live run status. */
import "./locale";
import * as api from "./api";
import type { Grade, RunEvent, SuiteName, TargetRow, TargetsDoc } from "./api";
import { LineChart } from "./chart";
import { byId, clear, h } from "./dom";
import { GRADE_LABEL, METRICS, gb, gradeSymbol, num, range, when } from "./format";
import { mountShell, toast } from "./shell";
import { progressText } from "./models";
import { loadUseCases, section as useCaseSection } from "./usecases";

mountShell("dashboard.html");

let doc: TargetsDoc | null = null;
let selectedRow = "";
/** The latest run graded against the selected row, when its model has no row of its own. */
let reference: TargetsDoc["run"] | null = null;
let running = false;
/** True while the run shown was started by this window (its events come on its own channel). */
let ownRun = false;

const app = byId("app");

// ---------------------------------------------------------------- layout
const modelSel = h("select", { id: "run-model", "aria-label": "Model" });
const suiteSel = h(
  "select",
  { id: "run-suite", "aria-label": "Suite" },
  ...(["quick", "standard", "full"] as SuiteName[]).map((s) => h("option", { value: s }, s)),
);
const runBtn = h("button", { id: "run-btn", class: "primary", onclick: () => void startRun() }, "Run benchmark");
const cancelBtn = h("button", { id: "cancel-btn", class: "danger", disabled: true, onclick: () => void cancel() }, "Cancel");

const statusLine = h("div", { id: "live-status", class: "status-line muted" }, "Idle — no run in progress.");
const bar = h("div", { id: "live-progress-bar" });
const progress = h("div", { class: "progress", role: "progressbar", id: "live-progress", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, bar);
const stat = (id: string, k: string, unit: string) => {
  const v = h("span", { id }, "—");
  return { el: h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v, h("small", null, unit))), v };
};
const sTps = stat("live-tps", "Live decode", "tok/s");
const sTtft = stat("live-ttft", "TTFT", "ms");
const sTrial = stat("live-trial-tps", "Last trial decode", "tok/s");
const sWatts = stat("live-watts", "Power", "W");
const log = h("ol", { id: "live-log", class: "log" });
const wattsHost = h("div", { class: "chart-host small", id: "watts-chart" });
const wattsBox = h("div", { id: "watts-box", class: "hidden" }, h("div", { class: "sub" }, "Package power (W) over the run"), wattsHost);
let wattsChart: LineChart | null = null;
const watts: { t: number[]; w: number[] } = { t: [], w: [] };

const rowSel = h("select", { id: "row-select", "aria-label": "Target row", onchange: () => { selectedRow = rowSel.value; void gradeForReference(); } });
const matrixHost = h("div", { id: "matrix", class: "scroll" });
const matrixNote = h("div", { id: "matrix-note" });
const achHost = h("div", { id: "achievements", class: "ach" });

/** Shown while no model is on disk: the built-in model, or the smallest download that fits. */
const firstRunBox = h("div", { id: "first-run", class: "notice hidden" });

app.append(
  h(
    "section",
    { class: "card", id: "run-card" },
    firstRunBox,
    h("div", { class: "row" },
      h("div", null, h("h2", null, "Run"), h("p", { class: "sub" }, "Measure the selected model and grade it against the seed's targets.")),
      h("span", { class: "spacer" }),
      modelSel, suiteSel, runBtn, cancelBtn),
    statusLine,
    h("div", { style: null }, progress),
    h("div", { class: "stats" }, sTps.el, sTtft.el, sTrial.el, sWatts.el),
    wattsBox,
    log,
  ),
  h("div", { class: "grid2" },
    h("section", { class: "card" },
      h("div", { class: "row" },
        h("div", null, h("h2", null, "Target matrix"), h("p", { class: "sub", id: "matrix-sub" }, "Seed targets (Apple M3 Max) with the latest measured values.")),
        h("span", { class: "spacer" }), rowSel),
      matrixNote, matrixHost),
    h("section", { class: "card" },
      h("h2", null, "Expected Performance Achievements"),
      h("p", { class: "sub" }, "The seed's expectations per use case."),
      achHost),
  ),
  useCaseSection,
);

// ---------------------------------------------------------------- target matrix
function gradeCell(g: Grade | undefined): HTMLElement {
  const gr = g?.grade ?? "n/a";
  const cls = gr === "n/a" ? "na" : gr;
  return h("span", { class: `grade ${cls}`, title: GRADE_LABEL[gr], "data-grade": gr },
    h("span", { class: "sym" }, gradeSymbol(gr)), gr === "n/a" ? null : h("span", { class: "word" }, gr));
}

function renderMatrix(): void {
  if (!doc) return;
  const row: TargetRow | undefined = doc.model.find((r) => r.name === selectedRow) ?? doc.model[0];
  if (!row) {
    clear(matrixHost, h("div", { class: "empty" }, "No target rows."));
    return;
  }
  const run = doc.run && doc.run.target_row === row.name
    ? doc.run
    : reference && reference.target_row === row.name ? reference : null;
  const grades = new Map<string, Grade>((run?.grades ?? []).map((g) => [g.metric, g]));
  clear(matrixNote);
  if (doc.run && !doc.run.target_row) {
    matrixNote.append(
      h("p", { class: "notice", id: "no-row-notice" },
        `Latest run #${doc.run.run_id} (model ${doc.run.model.id}) has no target row in the seed's matrix; ` +
          (run ? `its measured values are graded against ${row.name} for reference.` : "showing targets only.")),
    );
  } else if (doc.run && !run) {
    matrixNote.append(h("p", { class: "sub" }, `Latest run #${doc.run.run_id} was graded against ${doc.run.target_row}.`));
  } else if (run) {
    matrixNote.append(h("p", { class: "sub" }, `Measured: run #${run.run_id} · ${run.model.id}`));
  }

  const lines: { key: string; label: string; unit: string; target: [number, number] | undefined }[] = METRICS.map(
    (m) => ({ ...m, target: (row as unknown as Record<string, [number, number] | undefined>)[m.key] }),
  );
  for (const [b, t] of Object.entries(row.batch_tps ?? {}).sort((a, c) => +a[0] - +c[0])) {
    lines.push({ key: `batch_tps[${b}]`, label: `Batch size ${b}`, unit: "tok/s", target: t });
  }
  const tbody = h("tbody");
  for (const l of lines) {
    if (!l.target) continue;
    const g = grades.get(l.key);
    tbody.append(
      h("tr", { "data-metric": l.key },
        h("td", null, l.label),
        h("td", { class: "num" }, range(l.target, l.unit)),
        h("td", { class: "num measured" }, g && g.measured !== null ? `${num(g.measured)} ${l.unit}` : "—"),
        h("td", { class: "grade-cell" }, run ? gradeCell(g) : h("span", { class: "muted" }, "—"))),
    );
  }
  clear(matrixHost,
    h("table", { id: "matrix-table" },
      h("thead", null, h("tr", null, h("th", null, "Metric"), h("th", { class: "num" }, "Target"), h("th", { class: "num" }, "Measured"), h("th", null, "Grade"))),
      tbody),
    row.use_cases?.length
      ? h("p", { class: "sub", style: null }, "Use cases: ", row.use_cases.map((u) => `${u.name} ${u.target}`).join(" · "))
      : null,
  );
}

function renderAchievements(): void {
  if (!doc) return;
  clear(achHost, doc.achievement.map((c) =>
    h("div", { class: "cat" },
      h("h3", null, c.category),
      h("ul", null, c.entries.map((e) =>
        h("li", { "data-mark": e.mark },
          h("span", { class: `grade ${e.mark === "n/a" ? "na" : e.mark}` }, gradeSymbol(e.mark)),
          h("span", null, e.model),
          h("span", { class: "t" }, e.text)))))));
}

/**
 * A run of a model without a seed row (builtin:tiny, a custom model) is graded against the
 * row the user selects, so its numbers still show next to a target (`targets --run N --row R`).
 */
async function gradeForReference(): Promise<void> {
  reference = null;
  if (doc?.run && !doc.run.target_row && selectedRow) {
    try {
      reference = (await api.targets(doc.run.run_id, selectedRow)).run ?? null;
    } catch (e) {
      toast(`Could not grade against ${selectedRow}: ${api.errorMessage(e)}`, "error");
    }
  }
  renderMatrix();
}

async function loadMatrix(): Promise<void> {
  try {
    const latest = await api.history({ limit: 1 });
    doc = await api.targets(latest[0]?.run_id ?? null);
    if (!doc) return;
    const preferred = doc.run?.target_row ?? selectedRow ?? "";
    clear(rowSel, doc.model.map((r) => h("option", { value: r.name }, r.name + (r.note ? ` (${r.note})` : ""))));
    selectedRow = doc.model.some((r) => r.name === preferred) ? preferred : doc.model[0]?.name ?? "";
    rowSel.value = selectedRow;
    if (latest[0]) byId("matrix-sub").textContent = `Seed targets (Apple M3 Max) · latest run ${when(latest[0].started_at)}`;
    await gradeForReference();
    renderAchievements();
  } catch (e) {
    clear(matrixHost, h("div", { class: "empty" }, `Could not load targets: ${api.errorMessage(e)}`));
  }
}

// ---------------------------------------------------------------- live run
let total = 0;
let curCell = -1;

function setRunning(on: boolean): void {
  running = on;
  runBtn.disabled = on;
  cancelBtn.disabled = !on;
  modelSel.disabled = on;
  suiteSel.disabled = on;
}

function logLine(text: string): void {
  log.append(h("li", null, text));
  log.scrollTop = log.scrollHeight;
}

function setProgress(fraction: number): void {
  const p = Math.max(0, Math.min(100, fraction * 100));
  bar.style.width = `${p}%`;
  progress.setAttribute("aria-valuenow", String(Math.round(p)));
}

export function onRunEvent(e: RunEvent): void {
  switch (e.kind) {
    case "cell_started":
      total = e.total;
      curCell = e.cell;
      statusLine.textContent = `Running ${e.test} · batch ${e.batch_size} — cell ${e.cell + 1} of ${e.total}`;
      statusLine.classList.remove("muted");
      setProgress(e.cell / Math.max(1, e.total));
      logLine(`▶ ${e.test} @ batch ${e.batch_size}`);
      break;
    case "token":
      sTps.v.textContent = num(e.live_tps);
      break;
    case "trial_done":
      if (e.ttft_ms !== null) sTtft.v.textContent = num(e.ttft_ms);
      if (e.decode_tps !== null) sTrial.v.textContent = num(e.decode_tps);
      logLine(`  ${e.warmup ? "warmup" : "trial"} done · ${num(e.decode_tps)} tok/s · TTFT ${num(e.ttft_ms)} ms`);
      if (curCell >= 0) setProgress((curCell + 0.5) / Math.max(1, total));
      break;
    case "power":
      watts.t.push(e.t_ms / 1000);
      watts.w.push(e.total_w);
      sWatts.v.textContent = num(e.total_w);
      wattsBox.classList.remove("hidden");
      if (!wattsChart) wattsChart = new LineChart(wattsHost, { label: "Power", unit: "W", color: "#e0803a", zero: true }, 150);
      wattsChart.set(watts.t, watts.w);
      break;
    case "finished": {
      setRunning(false);
      ownRun = false;
      if (e.status === "completed") setProgress(1);
      const reg = e.regressions > 0 ? ` · ${e.regressions} regression${e.regressions === 1 ? "" : "s"}` : "";
      const why = e.error ? `: ${e.error}` : "";
      statusLine.textContent = `Run ${e.run_id !== null ? `#${e.run_id} ` : ""}${e.status}${reg}${why}`;
      logLine(`■ ${e.status}${reg}`);
      toast(statusLine.textContent ?? "", e.status === "completed" && !e.regressions ? "ok" : "error");
      void loadMatrix();
      break;
    }
  }
}

/** Events of runs started elsewhere (the menu bar, the schedule) and history changes. */
function onWatchedEvent(e: RunEvent): void {
  if (e.kind === "history_changed") {
    void loadMatrix();
    void loadUseCases();
    return;
  }
  if (ownRun) return;
  if (!running && e.kind !== "finished") {
    setRunning(true);
    log.replaceChildren();
    logLine("Run started from the menu bar");
  }
  onRunEvent(e);
}

async function startRun(): Promise<void> {
  if (running) return;
  ownRun = true;
  log.replaceChildren();
  for (const s of [sTps, sTtft, sTrial, sWatts]) s.v.textContent = "—";
  watts.t = [];
  watts.w = [];
  wattsBox.classList.add("hidden");
  setProgress(0);
  statusLine.textContent = "Starting…";
  setRunning(true);
  try {
    const id = await api.startRun(suiteSel.value as SuiteName, modelSel.value, onRunEvent);
    if (running) statusLine.dataset.runId = String(id);
  } catch (e) {
    setRunning(false);
    ownRun = false;
    statusLine.textContent = `Could not start: ${api.errorMessage(e)}`;
    toast(statusLine.textContent, "error");
  }
}

async function cancel(): Promise<void> {
  try {
    await api.cancelRun();
    statusLine.textContent = "Cancelling…";
  } catch (e) {
    toast(`Cancel failed: ${api.errorMessage(e)}`, "error");
  }
}

async function loadRunControls(): Promise<void> {
  try {
    const [settings, models] = await Promise.all([api.getSettings(), api.listModels()]);
    const ids = new Set(models.map((m) => m.id));
    const opts = models.map((m) =>
      h("option", { value: m.id, title: m.path }, [m.id, m.quantization, gb(m.size_bytes)].filter(Boolean).join(" · ")));
    for (const extra of [api.BUILTIN_MODEL, settings.default_model]) {
      if (extra && !ids.has(extra)) {
        ids.add(extra);
        opts.unshift(h("option", { value: extra }, extra));
      }
    }
    clear(modelSel, opts);
    modelSel.value = settings.default_model;
    suiteSel.value = settings.quick_suite;
  } catch (e) {
    toast(`Could not load settings: ${api.errorMessage(e)}`, "error");
  }
}

/** First run: no model on disk. Offers the built-in model (made here, no download) and the
 *  smallest catalogue model that fits this machine (downloaded with progress). */
async function loadFirstRun(): Promise<void> {
  let offer: api.FirstRun;
  try {
    offer = await api.firstRun();
  } catch {
    return;
  }
  if (!offer.no_model) return;
  const status = h("span", { id: "first-run-status", class: "sub" });
  const useBuiltin = h("button", {
    id: "first-run-builtin",
    onclick: () => {
      modelSel.value = offer.builtin;
      firstRunBox.classList.add("hidden");
      runBtn.focus();
    },
  }, "Use the built-in model");
  const parts: (HTMLElement | string)[] = [
    h("strong", null, "No model on this machine yet. "),
    useBuiltin,
    ` (${offer.builtin}: a tiny Qwen3 made here, no download)`,
  ];
  const s = offer.suggested;
  if (s) {
    const pull = h("button", { id: "first-run-download" }, `Download ${s.repo_id} (~${gb(s.estimated_download_bytes)})`);
    pull.onclick = () => {
      pull.disabled = true;
      api.pullModel(s.repo_id, (e) => {
        if (e.kind === "progress") status.textContent = progressText(e);
        else if (e.status === "done") {
          status.textContent = `${s.repo_id} is ready.`;
          void loadRunControls().then(() => {
            modelSel.value = s.repo_id;
            firstRunBox.classList.add("hidden");
          });
        } else {
          status.textContent = `Download ${e.status}${e.error ? `: ${e.error}` : ""}`;
          pull.disabled = false;
        }
      }).catch((err) => {
        status.textContent = api.errorMessage(err);
        pull.disabled = false;
      });
    };
    parts.push(" or ", pull, " (the smallest model of the catalogue that fits this machine). ");
  }
  clear(firstRunBox, ...parts, status);
  firstRunBox.classList.remove("hidden");
}

void loadRunControls();
void loadFirstRun();
void loadMatrix();
void loadUseCases();
api.watchRuns(onWatchedEvent).catch((e) => toast(`Live updates unavailable: ${api.errorMessage(e)}`, "error"));
