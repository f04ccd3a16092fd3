// End to end: the real BenchBar app (src-tauri, debug build) started by tauri-driver with
// WebKitWebDriver under a virtual X display (run through scripts/e2e-app.sh, which sets up
// xvfb-run, tauri-driver and the environment). Plain W3C WebDriver over fetch.
//
// It opens the dashboard, runs the quick suite on builtin:tiny with the real in-process MLX
// engine, checks the result in the target matrix, then in the history window, then with the
// CLI (`benchbar history` on the same database), and saves screenshots to
// ui/test-results/e2e-*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, "..", "test-results");
const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const APP = process.env.BENCHBAR_APP_BIN;
const CLI = process.env.BENCHBAR_CLI_BIN;
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

async function wd(method, path, body) {
  const res = await fetch(`${DRIVER}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    // A command that hangs fails the test with its name instead of stalling it.
    signal: AbortSignal.timeout(120_000),
  }).catch((e) => {
    throw new Error(`${method} ${path}: ${e.message}`);
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

test("dashboard run on builtin:tiny shows in the matrix, the history window and the CLI", { timeout: 15 * 60_000 }, async () => {
  assert.ok(APP, "BENCHBAR_APP_BIN is set");
  assert.ok(CLI, "BENCHBAR_CLI_BIN is set");
  await mkdir(RESULTS, { recursive: true });
  const session = await wd("POST", "/session", {
    capabilities: { alwaysMatch: { "tauri:options": { application: APP, args: ["--show", "dashboard"] } } },
  });
  const sid = session.sessionId;
  const s = (p) => `/session/${sid}${p}`;
  const find = async (css) => (await wd("POST", s("/element"), { using: "css selector", value: css }))[ELEMENT];
  const text = async (css) => wd("GET", s(`/element/${await find(css)}/text`));
  const run = (script, args = []) => wd("POST", s("/execute/sync"), { script, args });
  const shot = async (name) => {
    const png = Buffer.from(await wd("GET", s("/screenshot")), "base64");
    await writeFile(join(RESULTS, name), png);
    return png;
  };
  try {
    // The dashboard loaded its controls from the app (settings + models).
    await waitFor("the model list", async () => (await run("return document.querySelector('#run-model')?.value")) === "builtin:tiny", 15_000);
    assert.equal(await run("return document.querySelector('#run-suite').value"), "quick");
    await wd("POST", s(`/element/${await find("#run-btn")}/click`), {});
    const status = await waitFor(
      "the run to finish",
      async () => {
        const t = await text("#live-status");
        return /completed|failed|cancelled|Could not start/.test(t) ? t : null;
      },
      10 * 60_000,
    );
    assert.match(status, /^Run #\d+ completed/, status);
    const runId = Number(/#(\d+)/.exec(status)[1]);
    // Live status showed trials as they finished.
    const log = await text("#live-log");
    assert.match(log, /trial done · [\d.,]+ tok\/s/, log);
    // The matrix shows the latest run's measured values: builtin:tiny has no seed row, so the
    // dashboard grades it against the selected row for reference and says so.
    const measuredCss = '#matrix-table tr[data-metric="single_batch_tps"] td.measured';
    const measured = await waitFor("the measured decode in the matrix", async () => {
      const t = await run(`return document.querySelector('${measuredCss}')?.textContent ?? ''`);
      return /^[\d.,]+ tok\/s$/.test(t) ? t : null;
    }, 30_000);
    assert.match(await text("#no-row-notice"), new RegExp(`#${runId} \\(model builtin:tiny\\).*graded against Qwen3-1\\.7B-4bit`));
    // Tall enough for the run panel and the whole matrix in one picture (docs/app-dashboard.png).
    await wd("POST", s("/window/rect"), { width: 1180, height: 1560 }).catch(() => undefined);
    await sleep(500);
    const dash = await shot("e2e-dashboard.png");
    assert.ok(dash.length > 10_000, "a real screenshot");

    // History window: the same app, history page.
    const url = await wd("GET", s("/url"));
    // Back to the size the app opens windows at: a screenshot of the history page in the tall
    // window above never returned under Xvfb (WebKitWebDriver 2.50).
    await wd("POST", s("/window/rect"), { width: 1100, height: 820 }).catch(() => undefined);
    await wd("POST", s("/url"), { url: url.replace(/dashboard\.html.*$/, "history.html") });
    await waitFor("the run in the history table", async () => (await text("#runs")).includes(`${runId}`), 30_000);
    const rows = await run("return [...document.querySelectorAll('#runs-table tbody tr')].map(r => r.textContent)");
    assert.ok(rows.some((r) => r.includes("builtin:tiny") && r.includes("mlx") && r.includes("quick")), JSON.stringify(rows));
    await shot("e2e-history.png");
    await run("document.querySelector('#runs').scrollIntoView({ block: 'center' })");
    await sleep(300);
    await shot("e2e-history-runs.png");

    // Settings: the real commands behind the catalogue and the monitoring status answer
    // (their permissions are in the capability).
    await wd("POST", s("/url"), { url: url.replace(/dashboard\.html.*$/, "settings.html") });
    await waitFor("the model catalogue", async () => (await run("return document.querySelectorAll('#catalogue-table tbody tr').length")) >= 5, 30_000);
    assert.match(await text("#catalogue"), /mlx-community\/Qwen3-1\.7B-4bit/);
    await waitFor("the monitoring status", async () => /Monitoring is off/.test(await text("#m-status")), 15_000);
    // The exporter's status comes from a command the real app's ACL must allow.
    await waitFor("the exporter status", async () => /exporter is off/.test(await text("#x-status")), 15_000);
    await shot("e2e-settings.png");

    // The menu-bar panel's page: the run just made and the sparkline (no screenshot: under
    // Xvfb, WebKitWebDriver 2.50's screenshot of this page never returned).
    await wd("POST", s("/url"), { url: url.replace(/dashboard\.html.*$/, "panel.html") });
    await waitFor("the panel's last result", async () => /^[\d.,]+$/.test(await text("#panel-tps").catch(() => "")), 30_000);
    assert.equal(await text("#panel-model"), "builtin:tiny");
    assert.ok(await run("return document.querySelector('#panel-spark svg') !== null"));

    // The CLI sees the app's run (same database).
    const out = execFileSync(CLI, ["history", "--format", "json"], { encoding: "utf8" });
    const lines = JSON.parse(out);
    const line = lines.find((l) => l.run_id === runId);
    assert.ok(line, out);
    assert.equal(line.origin, "app");
    assert.ok(line.decode_tps > 0, out);
    // The matrix cell is the CLI's grade of the same run against the same row.
    const graded = JSON.parse(execFileSync(CLI, ["targets", "--run", String(runId), "--row", "Qwen3-1.7B-4bit", "--format", "json"], { encoding: "utf8" }));
    const cell = graded.run.grades.find((g) => g.metric === "single_batch_tps");
    assert.ok(Math.abs(Number(measured.replace(/[^\d.]/g, "")) - cell.measured) <= (cell.measured >= 1000 ? 0.5 : 0.05) + 1e-9, `${measured} vs ${cell.measured}`);
  } catch (e) {
    // What the window showed when it failed (toasts carry command errors).
    const page = await run("return location.href + '\\n' + document.body.innerText").catch((x) => String(x));
    await shot("e2e-failure.png").catch(() => undefined);
    throw new Error(`${e.message}\n--- page ---\n${page}`);
  } finally {
    await wd("DELETE", `/session/${sid}`).catch(() => undefined);
  }
});
