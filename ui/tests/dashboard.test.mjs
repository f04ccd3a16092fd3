import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEnv, openPage, defaultFixtures, fixture, shot } from "./harness.mjs";

let env;
let fx;
before(async () => {
  env = await startEnv();
  fx = await defaultFixtures();
  // The dashboard reads the latest run (history limit 1): make it run 1, which targets-run1 grades.
  fx.history = [...fx.history].sort((a, b) => a.run_id - b.run_id);
});
after(async () => env?.close());

test("target matrix renders the latest run's grades as ✅/⚠️/❌/n/a", async () => {
  const { page, problems, calls } = await openPage(env, "dashboard.html", { fixtures: fx });
  await page.waitForSelector("#matrix-table tbody tr");
  assert.equal(await page.inputValue("#row-select"), "Qwen3-1.7B-4bit");
  const rows = await page.$$eval("#matrix-table tbody tr", (trs) =>
    trs.map((tr) => ({
      metric: tr.dataset.metric,
      cells: [...tr.children].map((td) => td.textContent.trim()),
      grade: tr.querySelector("[data-grade]")?.dataset.grade,
      sym: tr.querySelector("[data-grade] .sym")?.textContent,
    })));
  const by = Object.fromEntries(rows.map((r) => [r.metric, r]));
  // Every grade in the CLI's JSON maps to the matrix row of the same metric.
  const grades = fx.targets_run.run.grades;
  assert.equal(rows.length, grades.length);
  const SYM = { pass: "✅", warn: "⚠️", fail: "❌", "n/a": "n/a" };
  for (const g of grades) {
    assert.equal(by[g.metric].grade, g.grade, g.metric);
    assert.equal(by[g.metric].sym, SYM[g.grade], g.metric);
  }
  assert.deepEqual(by["single_batch_tps"].cells.slice(0, 3), ["Tokens/s (single batch)", "80–120 tok/s", "99.7 tok/s"]);
  assert.equal(by["batch_tps[8]"].cells[3], "⚠️warn");
  assert.equal(by["power_w"].cells[2], "—");
  assert.equal(by["power_w"].cells[3], "n/a");
  // Another row shows targets only, no grades.
  await page.selectOption("#row-select", "Qwen3-14B-8bit");
  assert.equal(await page.locator("#matrix-table [data-grade]").count(), 0);
  assert.equal(await page.locator('#matrix-table tr[data-metric="first_token_ms"] td').nth(1).textContent(), "400–600 ms");
  // Achievements matrix from the seed.
  const marks = await page.$$eval("#achievements li", (lis) => lis.map((li) => li.dataset.mark + " " + li.textContent));
  assert.equal(marks.length, 12);
  assert.ok(marks.includes("warn ⚠️Qwen3-7B-4bitMarginal"), marks.join("|"));
  assert.ok(marks.includes("fail ❌Qwen3-14B-8bit~24GB"));
  const c = await calls();
  assert.deepEqual(c.find((x) => x.cmd === "history").args, { model: null, engine: null, suite: null, limit: 1 });
  assert.deepEqual(c.filter((x) => x.cmd === "targets").map((x) => x.args), [{ runId: 1, row: null }]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a run of a model without a seed row is graded against the selected row, for reference", async () => {
  const targets_run = structuredClone(fx.targets_run);
  targets_run.run.target_row = null;
  targets_run.run.model.id = "builtin:tiny";
  const { page, problems, calls } = await openPage(env, "dashboard.html", { fixtures: { ...fx, targets_run } });
  await page.waitForSelector("#no-row-notice");
  assert.match(await page.textContent("#no-row-notice"), /builtin:tiny\) has no target row.*graded against Qwen3-1\.7B-4bit for reference/);
  assert.equal(await page.textContent('#matrix-table tr[data-metric="single_batch_tps"] td.measured'), "99.7 tok/s");
  assert.equal(await page.getAttribute('#matrix-table tr[data-metric="single_batch_tps"] [data-grade]', "data-grade"), "pass");
  await page.selectOption("#row-select", "Qwen3-14B-8bit");
  await page.waitForFunction(() => /graded against Qwen3-14B-8bit/.test(document.querySelector("#no-row-notice")?.textContent ?? ""));
  const args = (await calls()).filter((x) => x.cmd === "targets").map((x) => x.args);
  assert.deepEqual(args, [{ runId: 1, row: null }, { runId: 1, row: "Qwen3-1.7B-4bit" }, { runId: 1, row: "Qwen3-14B-8bit" }]);
  assert.deepEqual(problems, []);
  await page.close();
});

function liveEvents() {
  const ev = [];
  ev.push({ kind: "cell_started", cell: 0, total: 2, test: "short.1", batch_size: 1 });
  ev.push({ kind: "token", cell: 0, tokens: 10, elapsed_ms: 130, live_tps: 76.9 });
  ev.push({ kind: "trial_done", cell: 0, warmup: true, decode_tps: 78.1, ttft_ms: 14.2 });
  for (let i = 0; i < 12; i++) ev.push({ kind: "power", t_ms: i * 250, total_w: 18 + 4 * Math.sin(i / 2) });
  ev.push({ kind: "token", cell: 0, tokens: 64, elapsed_ms: 800, live_tps: 80.5 });
  ev.push({ kind: "trial_done", cell: 0, warmup: false, decode_tps: 80.2, ttft_ms: 12.9 });
  ev.push({ kind: "cell_started", cell: 1, total: 2, test: "short.1", batch_size: 4 });
  ev.push({ kind: "token", cell: 1, tokens: 128, elapsed_ms: 640, live_tps: 201.3 });
  ev.push({ kind: "trial_done", cell: 1, warmup: false, decode_tps: 200.6, ttft_ms: 19.5 });
  ev.push({ kind: "power", t_ms: 3000, total_w: 24.5 });
  ev.push({ kind: "finished", run_id: 3, status: "completed", regressions: 1 });
  return ev;
}

test("live run events arrive in order over the Channel (even when delivered out of order)", async () => {
  const runEvents = liveEvents();
  // Deliver pairs swapped: 1,0,3,2,... — the Channel's index must restore the order.
  const eventOrder = runEvents.map((_, i) => (i % 2 === 0 ? Math.min(i + 1, runEvents.length - 1) : i - 1));
  if (runEvents.length % 2 === 1) eventOrder[runEvents.length - 1] = runEvents.length - 1;
  assert.deepEqual([...eventOrder].sort((a, b) => a - b), runEvents.map((_, i) => i));
  const { page, problems, calls } = await openPage(env, "dashboard.html", { fixtures: fx, runEvents, eventOrder, eventDelayMs: 15 });
  await page.waitForSelector("#matrix-table");
  await page.waitForFunction(() => document.querySelector("#run-model").options.length > 0);
  assert.equal(await page.inputValue("#run-model"), "builtin:tiny");
  await page.selectOption("#run-suite", "standard");
  // Record every status change to check intermediate states were shown in order.
  await page.evaluate(() => {
    window.__status = [];
    new MutationObserver(() => window.__status.push(document.querySelector("#live-status").textContent))
      .observe(document.querySelector("#live-status"), { childList: true, characterData: true, subtree: true });
    window.__tps = [];
    new MutationObserver(() => window.__tps.push(document.querySelector("#live-tps").textContent))
      .observe(document.querySelector("#live-tps"), { childList: true, characterData: true, subtree: true });
  });
  await page.click("#run-btn");
  assert.equal(await page.isDisabled("#run-btn"), true);
  assert.equal(await page.isEnabled("#cancel-btn"), true);
  await page.waitForFunction(() => /completed/.test(document.querySelector("#live-status").textContent), null, { timeout: 10000 });
  const log = await page.$$eval("#live-log li", (lis) => lis.map((l) => l.textContent.trim()));
  assert.deepEqual(log, [
    "▶ short.1 @ batch 1",
    "warmup done · 78.1 tok/s · TTFT 14.2 ms",
    "trial done · 80.2 tok/s · TTFT 12.9 ms",
    "▶ short.1 @ batch 4",
    "trial done · 200.6 tok/s · TTFT 19.5 ms",
    "■ completed · 1 regression",
  ]);
  const status = await page.evaluate(() => window.__status);
  const idx = (re) => status.findIndex((s) => re.test(s));
  assert.ok(idx(/cell 1 of 2/) >= 0 && idx(/cell 1 of 2/) < idx(/cell 2 of 2/) && idx(/cell 2 of 2/) < idx(/Run #3 completed · 1 regression/), status.join(" | "));
  assert.deepEqual((await page.evaluate(() => window.__tps)).filter((v) => v !== "—"), ["76.9", "80.5", "201.3"]);
  assert.equal(await page.textContent("#live-ttft"), "19.5");
  assert.equal(await page.textContent("#live-watts"), "24.5");
  assert.equal(await page.getAttribute("#live-progress", "aria-valuenow"), "100");
  assert.equal(await page.isVisible("#watts-box"), true);
  assert.equal(await page.locator("#watts-chart canvas").count(), 1);
  assert.equal(await page.isEnabled("#run-btn"), true);
  const start = (await calls()).find((c) => c.cmd === "start_run");
  assert.equal(start.args.suite, "standard");
  assert.equal(start.args.model, "builtin:tiny");
  assert.equal(typeof start.args.onEvent.channel, "number");
  assert.deepEqual(problems, []);
  await shot(page, "dashboard-light.png");
  await page.close();
});

test("dashboard in dark mode, no power source: the watts chart stays hidden", async () => {
  const runEvents = liveEvents().filter((e) => e.kind !== "power");
  const { page, problems } = await openPage(env, "dashboard.html", { fixtures: fx, runEvents }, { colorScheme: "dark" });
  await page.waitForSelector("#matrix-table tbody tr");
  await page.click("#run-btn");
  await page.waitForFunction(() => /completed/.test(document.querySelector("#live-status").textContent));
  assert.equal(await page.isVisible("#watts-box"), false);
  assert.equal(await page.textContent("#live-watts"), "—");
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(17, 19, 23)");
  assert.deepEqual(problems, []);
  await shot(page, "dashboard-dark.png");
  await page.close();
});

test("cancel calls cancel_run; a cancelled run re-enables the controls", async () => {
  const runEvents = [
    { kind: "cell_started", cell: 0, total: 4, test: "short.1", batch_size: 1 },
    { kind: "token", cell: 0, tokens: 5, elapsed_ms: 60, live_tps: 80 },
    { kind: "finished", run_id: null, status: "cancelled", regressions: 0 },
  ];
  const { page, problems, calls } = await openPage(env, "dashboard.html", { fixtures: fx, runEvents, eventDelayMs: 400 });
  await page.waitForSelector("#matrix-table");
  const opts = await page.$$eval("#run-model option", (o) => o.map((x) => x.textContent));
  assert.deepEqual(opts, ["builtin:tiny", "mlx-community/Qwen3-1.7B-4bit · 4bit · 0.97 GB", "mlx-community/Qwen3-7B-8bit · 8bit · 8.71 GB"]);
  await page.click("#run-btn");
  await page.waitForFunction(() => /cell 1 of 4/.test(document.querySelector("#live-status").textContent));
  await page.click("#cancel-btn");
  assert.ok((await calls()).some((c) => c.cmd === "cancel_run"));
  await page.waitForFunction(() => /cancelled/.test(document.querySelector("#live-status").textContent));
  assert.equal(await page.textContent("#live-status"), "Run cancelled");
  assert.equal(await page.isEnabled("#run-btn"), true);
  assert.equal(await page.isDisabled("#cancel-btn"), true);
  assert.deepEqual(problems, []);
  await page.close();
});

test("start_run errors are shown, {message} objects unwrapped", async () => {
  const { page } = await openPage(env, "dashboard.html", { fixtures: fx, fail: { start_run: "a run is already in progress" } });
  await page.waitForSelector("#matrix-table");
  await page.click("#run-btn");
  await page.waitForFunction(() => /Could not start/.test(document.querySelector("#live-status").textContent));
  assert.equal(await page.textContent("#live-status"), "Could not start: a run is already in progress");
  assert.equal(await page.isEnabled("#run-btn"), true);
  await page.close();
});

test("escaping: a model id containing HTML is shown as text on the dashboard", async () => {
  const evil = "<img src=x onerror=alert(1)>";
  const targets_run = structuredClone(fx.targets_run);
  targets_run.run.target_row = null;
  targets_run.run.grades = [];
  targets_run.run.model.id = evil;
  const models = [...fx.list_models, { id: evil, path: "/tmp/<i>x</i>", quantization: "<b>4bit</b>", param_count: 1, size_bytes: 1 }];
  const settings = { ...fx.get_settings, default_model: evil };
  const runEvents = [{ kind: "cell_started", cell: 0, total: 1, test: "<script>alert(2)</script>", batch_size: 1 }, { kind: "finished", run_id: 9, status: "failed", regressions: 0 }];
  const { page, problems } = await openPage(env, "dashboard.html", {
    fixtures: { ...fx, targets_run, list_models: models, get_settings: settings, history: await fixture("history-xss.json") },
    runEvents,
  });
  await page.waitForSelector("#no-row-notice");
  assert.match(await page.textContent("#no-row-notice"), /\(model <img src=x onerror=alert\(1\)>\) has no target row.*graded against Qwen3-1\.7B-4bit for reference/);
  assert.equal(await page.inputValue("#run-model"), evil);
  await page.click("#run-btn");
  await page.waitForFunction(() => /failed/.test(document.querySelector("#live-status").textContent));
  assert.equal(await page.textContent("#live-log li:first-child"), "▶ <script>alert(2)</script> @ batch 1");
  assert.equal(await page.locator("main img, main b, main script").count(), 0);
  await page.waitForTimeout(100);
  assert.deepEqual(problems, []);
  await page.close();
});

test("use-case section shows seed targets, the latest result with its checks, escaped, and runs a scenario", async () => {
  const evil = "<img src=x onerror=alert(1)>";
  const useCases = [
    {
      name: "classification", title: "Document Classification", description: "1000 short docs", items: 1000, item_unit: "docs",
      seed_targets: ["any: < 120 s for 1000 docs"], seed_expected: [],
      latest: {
        run_id: 6, started_at: "2026-11-26T10:00:00Z",
        result: {
          scenario: "classification", model: evil, items_total: 1000, items_run: 16, wall_s: 1.11, items_per_minute: 866.8,
          full_set_s: 69.2,
          checks: [{ name: "valid_label", description: "", passed: 0, checked: 16, rate: 0 }],
          target: { target: "< 120 s", full_set_s: 69.2, projected: true, mark: "pass", note: "" },
        },
      },
    },
    { name: "rag", title: "RAG Pipeline", description: "", items: 40, item_unit: "queries", seed_targets: ["< 10 s average"], seed_expected: [], latest: null },
  ];
  const runEvents = [
    { kind: "scenario_progress", scenario: "rag", stage: "embed", done: 500, total: 1000, elapsed_s: 1.5 },
    { kind: "finished", run_id: 9, status: "completed", regressions: 0 },
  ];
  const { page, problems, calls } = await openPage(env, "dashboard.html", { fixtures: { ...fx, use_cases: useCases }, runEvents });
  await page.waitForSelector("#use-case-table tbody tr");
  const rows = await page.$$eval("#use-case-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.equal(rows.length, 2);
  assert.equal(rows[0][0], "Document Classification (1000 docs)");
  assert.equal(rows[0][1], "any: < 120 s for 1000 docs");
  assert.ok(rows[0][2].includes(evil), rows[0][2]); // shown literally, not parsed as HTML
  assert.equal(rows[0][3], "866.8");
  assert.equal(rows[0][4], "69.2 (projected)");
  assert.equal(rows[0][5], "✅ < 120 s");
  assert.equal(rows[0][6], "valid_label 0/16");
  assert.equal(rows[1][2], "never run");
  assert.equal(await page.$$eval("#use-case-table img", (x) => x.length), 0);
  await page.click("#use-case-table tr[data-scenario=rag] .run-scenario");
  await page.waitForFunction(() => document.querySelector("#use-case-status")?.textContent.includes("rag completed · run #9"));
  const start = (await calls()).find((c) => c.cmd === "start_scenario");
  assert.deepEqual({ name: start.args.name, limit: start.args.limit }, { name: "rag", limit: 20 });
  assert.deepEqual(problems, []);
});

test("every window renders when the webview reports the POSIX locale \"C\" (WebKitGTK under LANG=C)", async () => {
  for (const [file, selector] of [["dashboard.html", "#matrix-table tbody tr"], ["history.html", "#runs-table tbody tr"], ["settings.html", "#s-model"]]) {
    const { page, problems } = await openPage(env, file, { fixtures: fx }, { language: "C" });
    await page.waitForSelector(selector, { timeout: 10000 });
    assert.equal(await page.locator("#nav a").count() > 0, true, file);
    assert.equal(await page.evaluate(() => navigator.language), "en-US", file);
    assert.deepEqual(problems, [], file);
    await page.close();
  }
});

test("first run: no model on disk offers the built-in model and the smallest download that fits", async () => {
  const repo = "mlx-community/Qwen3-0.6B-4bit";
  const suggested = { repo_id: repo, model: "Qwen3-0.6B", quantization: "4bit", param_count: 6e8, present: false, path: null, size_on_disk_bytes: 0, estimated_download_bytes: 3.4e8, estimated_memory_bytes: 4.1e8, fits_memory: true };
  const first_run = { no_model: true, builtin: "builtin:tiny", suggested };
  const pullEvents = [
    { kind: "progress", repo_id: repo, phase: "downloading", file: "model.safetensors", done_bytes: 1.7e8, total_bytes: 3.4e8, rate_bps: 20e6, eta_s: 9 },
    { kind: "finished", repo_id: repo, status: "done", path: "/hf/snap", error: null },
  ];
  // With none of this, the card stays hidden (the default fixtures have models).
  const plain = await openPage(env, "dashboard.html", { fixtures: fx });
  await plain.page.waitForSelector("#matrix-table tbody tr");
  assert.equal(await plain.page.isVisible("#first-run"), false);
  await plain.page.close();

  const { page, problems, calls } = await openPage(env, "dashboard.html", { fixtures: { ...fx, list_models: [], first_run }, pullEvents, eventDelayMs: 150 });
  await page.waitForSelector("#first-run:not(.hidden)");
  const text = await page.textContent("#first-run");
  assert.match(text, /No model on this machine yet/);
  assert.equal(await page.textContent("#first-run-download"), `Download ${repo} (~0.34 GB)`);
  await page.click("#first-run-download");
  await page.waitForFunction(() => /20 MB\/s/.test(document.querySelector("#first-run-status").textContent));
  assert.deepEqual((await calls()).find((c) => c.cmd === "pull_model").args.repoId, repo);
  await page.waitForSelector("#first-run.hidden", { state: "attached" });
  assert.deepEqual(problems, []);
  await page.close();

  const other = await openPage(env, "dashboard.html", { fixtures: { ...fx, list_models: [], first_run } });
  await other.page.waitForSelector("#first-run:not(.hidden)");
  await other.page.click("#first-run-builtin");
  assert.equal(await other.page.inputValue("#run-model"), "builtin:tiny");
  assert.equal(await other.page.isVisible("#first-run"), false);
  await other.page.close();
});
