/** The panel under the menu-bar icon: the default model's last result and grade, a sparkline of
 *  its recent decode tok/s, Run/Cancel of the quick run, links to the windows. */
import "./locale";
import * as api from "./api";
import type { HistoryLine, RunEvent } from "./api";
import { byId, clear, h } from "./dom";
import { gradeSymbol, num, when } from "./format";
import { toast } from "./shell";

document.body.classList.add("panel");
const app = byId("app");

/** Runs drawn in the sparkline. */
const SPARK_RUNS = 12;

const last = h("div", { id: "panel-last", class: "panel-last" }, h("span", { class: "muted" }, "No runs yet."));
const spark = h("div", { id: "panel-spark" });
const status = h("p", { id: "panel-status", class: "sub" }, "Idle.");
const runBtn = h("button", { id: "panel-run", class: "primary", onclick: () => void run() }, "Run quick benchmark");
const cancelBtn = h("button", { id: "panel-cancel", class: "danger", disabled: true, onclick: () => void api.cancelRun() }, "Cancel");
const link = (name: string, text: string) =>
  h("a", { href: "#", "data-window": name, onclick: (e: Event) => { e.preventDefault(); void api.openWindow(name).catch((err) => toast(api.errorMessage(err), "error")); } }, text);

app.append(
  h("section", { class: "card" },
    h("h2", { id: "panel-model" }, "BenchBar"),
    last, spark,
    h("div", { class: "row" }, runBtn, cancelBtn),
    status,
    h("nav", { class: "panel-links" }, link("dashboard", "Dashboard"), link("history", "History"), link("settings", "Settings"))),
);

/** An SVG polyline of `values` (oldest first), scaled to the box. */
export function sparkline(values: number[]): SVGSVGElement {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("viewBox", "0 0 100 30");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `decode tok/s of the last ${values.length} runs`);
  if (values.length >= 2) {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const span = hi - lo || 1;
    const pts = values.map((v, i) => `${((i / (values.length - 1)) * 100).toFixed(1)},${(28 - ((v - lo) / span) * 26).toFixed(1)}`);
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", pts.join(" "));
    svg.appendChild(line);
  }
  return svg;
}

async function load(): Promise<void> {
  try {
    const s = await api.getSettings();
    byId("panel-model").textContent = s.default_model;
    const lines: HistoryLine[] = await api.history({ model: s.default_model, limit: SPARK_RUNS });
    const done = lines.filter((l) => l.status === "completed" && l.decode_tps !== null);
    if (!done.length) {
      clear(last, h("span", { class: "muted" }, "No runs of this model yet."));
      clear(spark);
      return;
    }
    const newest = done[0];
    let mark = "";
    try {
      const t = await api.targets(newest.run_id);
      const g = t.run?.grades.find((x) => x.metric === "single_batch_tps");
      if (g && g.grade !== "n/a") mark = gradeSymbol(g.grade);
    } catch {
      // No grade when the targets cannot be read; the number stands alone.
    }
    clear(last,
      h("span", { class: "v", id: "panel-tps" }, `${num(newest.decode_tps)}`),
      h("span", { class: "muted" }, "tok/s"),
      mark ? h("span", { id: "panel-grade" }, mark) : null,
      h("span", { class: "muted", id: "panel-when" }, `· ${when(newest.started_at)}`));
    clear(spark, sparkline(done.map((l) => l.decode_tps as number).reverse()));
  } catch (e) {
    status.textContent = api.errorMessage(e);
  }
}

function onEvent(e: RunEvent): void {
  if (e.kind === "cell_started") {
    runBtn.disabled = true;
    cancelBtn.disabled = false;
    status.textContent = `Running ${e.test} (${e.cell + 1}/${e.total})…`;
  } else if (e.kind === "token") {
    status.textContent = `Running · ${num(e.live_tps)} tok/s`;
  } else if (e.kind === "finished") {
    runBtn.disabled = false;
    cancelBtn.disabled = true;
    status.textContent = e.error ? `${e.status}: ${e.error}` : `Run ${e.status}.`;
    void load();
  } else if (e.kind === "history_changed") {
    void load();
  }
}

async function run(): Promise<void> {
  try {
    const s = await api.getSettings();
    runBtn.disabled = true;
    cancelBtn.disabled = false;
    status.textContent = "Starting…";
    await api.startRun(s.quick_suite as api.SuiteName, s.default_model, onEvent);
  } catch (e) {
    runBtn.disabled = false;
    cancelBtn.disabled = true;
    status.textContent = api.errorMessage(e);
  }
}

void load();
api.watchRuns(onEvent).catch(() => {});
