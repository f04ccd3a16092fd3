/** The dashboard's use-case section: the seed's five scenarios, their targets, the latest
 *  stored result (items/min, full-set time graded, output validity) and a Run button. */
import * as api from "./api";
import type { RunEvent, UseCase } from "./api";
import { clear, h } from "./dom";
import { gradeSymbol, num, when } from "./format";
import { toast } from "./shell";

/** Items a run from the dashboard measures (the full set is projected at the measured rate). */
export const DASHBOARD_LIMIT = 20;

const host = h("div", { id: "use-cases", class: "scroll" });
const status = h("div", { id: "use-case-status", class: "sub" }, "");

/** The section element (append it to the page). */
export const section = h(
  "section",
  { class: "card", id: "use-case-card" },
  h("h2", null, "Use cases"),
  h("p", { class: "sub" }, `The seed's scenarios on generated corpora. A run here measures the first ${DASHBOARD_LIMIT} items and projects the full set at the measured rate.`),
  status,
  host,
);

function checks(u: UseCase): string {
  const r = u.latest?.result;
  if (!r) return "—";
  return r.checks.map((c) => `${c.name} ${c.checked ? `${c.passed}/${c.checked}` : c.unavailable ?? "not run"}`).join(" · ");
}

function render(list: UseCase[], onRun: (name: string) => void): void {
  clear(host,
    h("table", { id: "use-case-table" },
      h("thead", null, h("tr", null, h("th", null, "Scenario"), h("th", null, "Seed target"), h("th", null, "Latest"),
        h("th", { class: "num" }, "Items/min"), h("th", { class: "num" }, "Full set s"), h("th", null, "Grade"), h("th", null, "Checks"), h("th", null, ""))),
      h("tbody", null, list.map((u) => {
        const r = u.latest?.result;
        const t = r?.target;
        return h("tr", { "data-scenario": u.name },
          h("td", { title: u.description }, `${u.title} (${u.items} ${u.item_unit})`),
          h("td", null, u.seed_targets.join("; ")),
          h("td", null, u.latest ? `#${u.latest.run_id} · ${r?.model ?? ""} · ${when(u.latest.started_at)}` : "never run"),
          h("td", { class: "num" }, num(r?.items_per_minute ?? null)),
          h("td", { class: "num" }, t ? `${num(t.full_set_s)}${t.projected ? " (projected)" : ""}` : "—"),
          h("td", { "data-grade": t?.mark ?? "n/a" }, t ? `${gradeSymbol(t.mark)} ${t.target}` : "n/a"),
          h("td", { class: "checks" }, checks(u)),
          h("td", null, h("button", { class: "small run-scenario", onclick: () => onRun(u.name) }, "Run")));
      }))));
}

/** Loads the scenarios and their latest results. */
export async function loadUseCases(): Promise<void> {
  try {
    render(await api.useCases(), (name) => void run(name));
  } catch (e) {
    clear(host, h("div", { class: "empty" }, `Could not load use cases: ${api.errorMessage(e)}`));
  }
}

async function run(name: string): Promise<void> {
  status.textContent = `Starting ${name}…`;
  const onEvent = (e: RunEvent) => {
    if (e.kind === "scenario_progress") status.textContent = `${e.scenario}: ${e.stage} ${e.done}/${e.total} · ${num(e.elapsed_s)} s`;
    if (e.kind === "finished") {
      status.textContent = e.error ? `${name} failed: ${e.error}` : `${name} ${e.status}${e.run_id !== null ? ` · run #${e.run_id}` : ""}`;
      void loadUseCases();
    }
  };
  try {
    await api.startScenario(name, DASHBOARD_LIMIT, onEvent);
  } catch (e) {
    status.textContent = `Could not start ${name}: ${api.errorMessage(e)}`;
    toast(status.textContent, "error");
  }
}
