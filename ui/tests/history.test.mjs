import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEnv, openPage, defaultFixtures, fixture, shot } from "./harness.mjs";

let env;
let fx;
before(async () => {
  env = await startEnv();
  fx = await defaultFixtures();
  // The two CLI runs plus crafted lines (other model / engine / suite) over a week, for filters and charts.
  const [r2, r1] = fx.history;
  const extra = [];
  for (let i = 0; i < 6; i++) {
    const l = structuredClone(r1);
    l.run_id = 10 + i;
    l.started_at = new Date(Date.parse("2026-11-19T09:00:00Z") + i * 86400000).toISOString();
    l.model = { id: "mlx-community/Qwen3-1.7B-4bit", path: null, quantization: "4bit" };
    l.engine = i % 2 ? { name: "openai", version: "mlx_lm.server 0.28" } : { name: "mlx", version: "benchbar-mlx 0.1 (MLX 0.29.1)" };
    l.suite = i % 3 ? "quick" : "standard";
    l.decode_tps = 96 + 6 * Math.sin(i);
    l.ttft_ms = 110 + 9 * Math.cos(i);
    l.peak_memory_bytes = 2.9e9 + i * 2e7;
    l.joules_per_token = 0.21 + 0.01 * Math.sin(i);
    l.regressions = i === 5 ? 1 : 0;
    if (i === 5) {
      l.roofline = { pct: 42.25, pct_of_copy: 47.5, decode_tps: 96, bytes_per_token: 1.1e9, bandwidth_gbps: 250, copy_gbps: 222.4,
        bandwidth_source: "read bandwidth measured on gpu (Apple M3 Max) with MLX 0.32.4, 2026-12-06, by benchbar bandwidth" };
    }
    extra.push(l);
  }
  fx.history = [r2, r1, ...extra.reverse()];
});
after(async () => env?.close());

const rowIds = (page) => page.$$eval("#runs-table > tbody > tr[data-run]", (trs) => trs.map((tr) => Number(tr.dataset.run)));

test("history lists runs, charts them, and filters by model, engine and suite", async () => {
  const { page, problems, calls } = await openPage(env, "history.html", { fixtures: fx });
  await page.waitForSelector("#runs-table tbody tr");
  assert.deepEqual(await rowIds(page), [2, 1, 15, 14, 13, 12, 11, 10]);
  const first = await page.$$eval("#runs-table tbody tr:first-child td", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(first.slice(3, 10), ["builtin:tiny", "test-double", "quick", "79.7", "13", "1.07 GB", "—"]);
  // A run with a roofline: its percentage, and what it divides by (read, copy beside it) on hover.
  const roof = page.locator('#runs-table tr[data-run="15"] td.roofline');
  assert.equal(await roof.textContent(), "42.3%");
  const title = await roof.getAttribute("title");
  assert.ok(title.includes("÷ 250 GB/s: read bandwidth measured on gpu (Apple M3 Max)") && title.includes("47.5% of the copy bandwidth"), title);
  for (const key of ["decode", "ttft", "memory", "energy"]) {
    assert.equal(await page.locator(`#chart-${key} canvas`).count(), 1, key);
  }
  assert.equal(await page.getAttribute('[data-chart="energy"]', "data-points"), "6");
  assert.deepEqual(await page.$$eval("#f-model option", (o) => o.map((x) => x.value)), ["", "builtin:tiny", "mlx-community/Qwen3-1.7B-4bit"]);

  await page.selectOption("#f-model", "mlx-community/Qwen3-1.7B-4bit");
  await page.waitForFunction(() => document.querySelectorAll("#runs-table tbody tr").length === 6);
  await page.selectOption("#f-engine", "openai");
  await page.waitForFunction(() => document.querySelectorAll("#runs-table tbody tr").length === 3);
  assert.deepEqual(await rowIds(page), [15, 13, 11]);
  await page.selectOption("#f-suite", "standard");
  await page.waitForFunction(() => document.querySelectorAll("#runs-table tbody tr").length === 1);
  assert.deepEqual(await rowIds(page), [13]);
  // One run: the time axis spans an hour either side of it (not uPlot's default ~2.7 years).
  await page.waitForFunction(() => document.querySelector("#chart-decode").dataset.xSpanS === "7200");
  await page.selectOption("#f-model", "builtin:tiny");
  await page.waitForSelector("#runs-empty");
  assert.equal(await page.getAttribute('[data-chart="decode"]', "data-points"), "0");
  const last = (await calls()).filter((c) => c.cmd === "history").at(-1);
  assert.deepEqual(last.args, { model: "builtin:tiny", engine: "openai", suite: "standard", limit: 50 });
  assert.deepEqual(problems, []);
  await page.close();
});

test("compare two selected runs (same view as `benchbar compare`), set baseline, export", async () => {
  const { page, problems, calls } = await openPage(env, "history.html", { fixtures: fx });
  await page.waitForSelector("#runs-table tbody tr");
  assert.equal(await page.isDisabled("#compare-btn"), true);
  await page.check('tr[data-run="2"] input.sel');
  await page.check('tr[data-run="1"] input.sel');
  assert.equal(await page.isEnabled("#compare-btn"), true);
  await page.click("#compare-btn");
  await page.waitForSelector("#compare-table tbody tr");
  const cmp = (await calls()).find((c) => c.cmd === "compare");
  assert.deepEqual(cmp.args, { baseRunId: 1, runId: 2 });
  const rows = await page.$$eval("#compare-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, fx.compare.metrics.length);
  assert.deepEqual(rows[0], ["short.1", "1", "Decode tok/s", "99.7", "79.7", "-20.0%", "<0.0001", "regression (critical)"]);
  assert.deepEqual(rows[4], ["short.1", "1", "Peak mem", "1.07 GB", "1.07 GB", "0.0%", "1.0000", "unchanged"]);
  assert.equal(await page.textContent("#compare-summary"), "2 regressions");
  assert.match(await page.textContent("#unmatched"), /short\.1@4 \(baseline only\)/);
  await shot(page, "history-light.png");

  await page.click('tr[data-run="1"] button.baseline');
  await page.waitForSelector(".toast.ok");
  assert.deepEqual((await calls()).find((c) => c.cmd === "set_baseline").args, { runId: 1 });

  await page.selectOption('tr[data-run="2"] select.fmt', "md");
  await page.waitForSelector("#export-dialog[open]");
  assert.equal(await page.textContent("#export-text"), await fixture("export-run2.md"));
  assert.deepEqual((await calls()).find((c) => c.cmd === "export_run").args, { runId: 2, format: "md" });
  assert.equal(await page.getAttribute("#export-dialog a[download]", "download"), "benchbar-run-2.md");
  assert.deepEqual(problems, []);
  await page.close();
});

test("an imported run is flagged, and comparing it with a local one is side by side without a verdict", async () => {
  const history = structuredClone(fx.history);
  history[0].origin = "import";
  const compare = await fixture("compare-machines.json");
  const { page, problems } = await openPage(env, "history.html", { fixtures: { ...fx, history, compare } });
  await page.waitForSelector("#runs-table tbody tr");
  assert.equal(await page.textContent(`tr[data-run="${history[0].run_id}"] .pill`), "imported");
  assert.equal(await page.$(`tr[data-run="${history[1].run_id}"] .pill`), null);
  await page.check('tr[data-run="2"] input.sel');
  await page.check('tr[data-run="1"] input.sel');
  await page.click("#compare-btn");
  await page.waitForSelector("#compare-table tbody tr");
  assert.match(await page.textContent("#compare-kind"), /Cross-machine comparison: side by side, no regression verdict/);
  assert.equal(await page.$("#compare-summary"), null);
  const rows = await page.$$eval("#compare-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, compare.metrics.length);
  assert.deepEqual(rows[0], ["short.1", "1", "Decode tok/s", "99.7", "79.7", "0.800×"]);
  const perGbps = rows.find((r) => r[2] === "Decode tok/s per GB/s");
  assert.deepEqual(perGbps.slice(3), ["0.2492", "0.2921", "1.172×"]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("compare errors (incompatible runs) are shown as the command's message", async () => {
  const { page } = await openPage(env, "history.html", { fixtures: fx, fail: { compare: "runs 1 and 10 have different configurations" } });
  await page.waitForSelector("#runs-table tbody tr");
  await page.check('tr[data-run="1"] input.sel');
  await page.check('tr[data-run="10"] input.sel');
  await page.click("#compare-btn");
  await page.waitForSelector("#compare-error");
  assert.equal(await page.textContent("#compare-error"), "runs 1 and 10 have different configurations");
  await page.close();
});

test("escaping: a model id containing HTML is text in the table and the filter", async () => {
  const { page, problems } = await openPage(env, "history.html", { fixtures: { ...fx, history: await fixture("history-xss.json") } }, { colorScheme: "dark" });
  await page.waitForSelector('tr[data-run="3"]');
  assert.equal(await page.textContent('tr[data-run="3"] td.model'), "<img src=x onerror=alert(1)>");
  assert.ok((await page.$$eval("#f-model option", (o) => o.map((x) => x.textContent))).includes("<img src=x onerror=alert(1)>"));
  assert.equal(await page.locator("main img").count(), 0);
  await page.waitForTimeout(100);
  assert.deepEqual(problems, []);
  await shot(page, "history-dark.png");
  await page.close();
});

test("distribution and per-model charts come from history_charts with the same filter, labels escaped", async () => {
  const evil = "<img src=x onerror=alert(1)>";
  const history_charts = [
    { file_stem: "chart-response-time-distribution", title: "Response time distribution", x_desc: "end-to-end ms per request (batch-1 cells)", y_desc: "count",
      kind: { Histogram: [{ lo: 100, hi: 110, count: 3 }, { lo: 110, hi: 120, count: 5 }, { lo: 120, hi: 130, count: 2 }] } },
    { file_stem: "chart-memory-distribution", title: "Memory distribution", x_desc: "peak memory (MLX) per trial, MB", y_desc: "count",
      kind: { Histogram: [{ lo: 2900, hi: 2950, count: 6 }, { lo: 2950, hi: 3000, count: 4 }] } },
    { file_stem: "chart-decode-trend", title: "Decode tokens/s per model", x_desc: "minutes since 2026-11-26 10:00 UTC", y_desc: "decode tok/s",
      kind: { Lines: [{ label: "mlx-community/Qwen3-1.7B-4bit", points: [[0, 96], [30, 98], [60, 97]] }, { label: evil, points: [[15, 40], [45, 41]] }] } },
  ];
  const { page, problems, calls } = await openPage(env, "history.html", { fixtures: { ...fx, history_charts } });
  await page.waitForSelector('[data-spec="chart-decode-trend"]:not(.hidden) canvas');
  assert.equal(await page.getAttribute('[data-spec="chart-response-time-distribution"]', "data-count"), "10");
  assert.equal(await page.getAttribute('[data-spec="chart-response-time-distribution"]', "data-bins"), "3");
  assert.equal(await page.getAttribute('[data-spec="chart-memory-distribution"]', "data-count"), "10");
  assert.equal(await page.getAttribute('[data-spec="chart-decode-trend"]', "data-series"), "2");
  assert.match(await page.textContent('[data-spec="chart-decode-trend"] .sub'), /Qwen3-1\.7B-4bit · <img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator("main img").count(), 0);
  await shot(page, "history-distributions.png");
  // Same filter as the table.
  await page.selectOption("#f-engine", "openai");
  await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === "history_charts").length === 2);
  const args = (await calls()).filter((c) => c.cmd === "history_charts").map((c) => c.args);
  assert.deepEqual(args, [{ model: null, engine: null, suite: null, limit: 50 }, { model: null, engine: "openai", suite: null, limit: 50 }]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("no chart data for the filtered runs: the distribution cards are hidden", async () => {
  const { page, problems } = await openPage(env, "history.html", { fixtures: { ...fx, history_charts: [] } });
  await page.waitForSelector("#runs-table tbody tr");
  await page.waitForFunction(() => window.__calls.some((c) => c.cmd === "history_charts"));
  assert.equal(await page.locator("[data-spec]:not(.hidden)").count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a run with a concurrency sweep shows its levels under its row", async () => {
  const history = structuredClone(fx.history);
  history[1].levels = [
    { test: "short.1.concurrent", concurrency: 1, output_tps: 64.35, ttft_p50_ms: 33.9, e2e_p50_ms: 446.6, goodput_rps: 1.93 },
    { test: "short.1.concurrent", concurrency: 8, output_tps: 76.1, ttft_p50_ms: 484, e2e_p50_ms: 3361.8, goodput_rps: null },
  ];
  const { page, problems } = await openPage(env, "history.html", { fixtures: { ...fx, history } });
  await page.waitForSelector('tr.levels[data-levels-of="1"]');
  // Only the run with levels has them, right under its own row.
  assert.equal(await page.locator("tr.levels").count(), 1);
  const next = await page.$eval('tr[data-run="1"]', (tr) => tr.nextElementSibling?.getAttribute("data-levels-of"));
  assert.equal(next, "1");
  const rows = await page.$$eval("tr.levels tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(rows, [
    ["short.1.concurrent", "1", "64.4", "33.9", "446.6", "1.93"],
    ["short.1.concurrent", "8", "76.1", "484", "3,362", "—"],
  ]);
  assert.deepEqual(await rowIds(page), [2, 1, 15, 14, 13, 12, 11, 10]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a depth sweep and a cold/cached prompt show under their runs", async () => {
  const history = structuredClone(fx.history);
  history[0].depths = [
    { test: "short.1.p32", batch_size: 1, depth_tokens: 0, decode_tps: 112.2, ttft_p50_ms: 14.51, peak_memory_bytes: 41.3e6, kv_cache_bytes: 131072 },
    { test: "short.1.p32", batch_size: 1, depth_tokens: 1024, decode_tps: 110.8, ttft_p50_ms: 17.01, peak_memory_bytes: 41.7e6, kv_cache_bytes: 540672 },
  ];
  history[1].prompt_cache = [
    { test: "short.1.p16", batch_size: 1, prefix_tokens: 1024, prompt_tokens: 1040, cold_ttft_p50_ms: 161.5, cached_ttft_p50_ms: 16.09, saved_pct: 90.04 },
  ];
  const { page, problems } = await openPage(env, "history.html", { fixtures: { ...fx, history } });
  await page.waitForSelector('tr.depths[data-depths-of="2"]');
  // Each right under its own run's row, and only there.
  assert.equal(await page.$eval('tr[data-run="2"]', (tr) => tr.nextElementSibling?.getAttribute("data-depths-of")), "2");
  assert.equal(await page.$eval('tr[data-run="1"]', (tr) => tr.nextElementSibling?.getAttribute("data-prompt-cache-of")), "1");
  assert.equal(await page.locator("tr.depths").count(), 1);
  assert.equal(await page.locator("tr.prompt-cache").count(), 1);
  const cells = (sel) => page.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(await cells("tr.depths"), [
    ["short.1.p32", "0", "112.2", "14.5", "41.3 MB", "0.13 MB"],
    ["short.1.p32", "1024", "110.8", "17", "41.7 MB", "0.54 MB"],
  ]);
  assert.deepEqual(await cells("tr.prompt-cache"), [["short.1.p16", "1024", "161.5", "16.1", "90%"]]);
  assert.deepEqual(await rowIds(page), [2, 1, 15, 14, 13, 12, 11, 10]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a run with a quantized KV cache says so beside its engine", async () => {
  const history = structuredClone(fx.history);
  history[0].engine = { ...history[0].engine, kv_cache: { bits: 4, group_size: 64, start_tokens: 0 } };
  const plain = history[1].engine.name;
  const { page, problems } = await openPage(env, "history.html", { fixtures: { ...fx, history } });
  await page.waitForSelector('tr[data-run="2"] td.engine');
  assert.equal(await page.$eval('tr[data-run="2"] td.engine', (td) => td.textContent), `${history[0].engine.name} · KV 4-bit`);
  assert.equal(await page.$eval('tr[data-run="1"] td.engine', (td) => td.textContent), plain);
  assert.deepEqual(problems, []);
  await page.close();
});
