import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEnv, openPage, defaultFixtures, shot } from "./harness.mjs";

let env;
let fx;
before(async () => { env = await startEnv(); fx = await defaultFixtures(); });
after(async () => env?.close());

test("settings load, validate and save the Settings object", async () => {
  const { page, problems, calls } = await openPage(env, "settings.html", { fixtures: fx });
  await page.waitForFunction(() => document.querySelector("#s-model").value !== "");
  assert.equal(await page.inputValue("#s-model"), "builtin:tiny");
  assert.equal(await page.isChecked("#s-engine-mlx"), true);
  assert.equal(await page.isChecked("#s-power"), true);
  assert.equal(await page.isVisible("#s-url"), false);
  await page.fill("#s-model", "mlx-community/Qwen3-1.7B-4bit");
  await page.check("#s-engine-openai");
  assert.equal(await page.isVisible("#s-url"), true);
  await page.fill("#s-url", "not a url");
  await page.click("#s-save");
  assert.match(await page.textContent("#s-error"), /must start with http/);
  assert.equal((await calls()).filter((c) => c.cmd === "save_settings").length, 0);
  await page.fill("#s-url", "http://127.0.0.1:8080/v1");
  await page.selectOption("#s-suite", "standard");
  await page.fill("#s-reps", "7");
  await page.uncheck("#s-power");
  assert.equal(await page.isChecked("#s-login"), false);
  await page.check("#s-login");
  assert.equal(await page.isChecked("#s-tray-speed"), true, "on by default");
  await page.uncheck("#s-tray-speed");
  // Monitoring: off by default (a settings file from before it existed), then turned on.
  assert.equal(await page.isChecked("#m-enabled"), false);
  assert.equal(await page.inputValue("#m-interval"), "30");
  assert.equal(await page.inputValue("#m-retention"), "24");
  assert.equal(await page.isChecked("#m-battery"), true);
  assert.match(await page.textContent("#m-status"), /Monitoring is off/);
  await page.check("#m-enabled");
  await page.fill("#m-interval", "0");
  await page.click("#s-save");
  assert.match(await page.textContent("#s-error"), /interval must be a whole number of minutes/);
  assert.equal((await calls()).filter((c) => c.cmd === "save_settings").length, 0);
  await page.fill("#m-interval", "15");
  await page.fill("#m-retention", "48");
  await page.uncheck("#m-battery");
  // The Prometheus exporter: off and on loopback by default; a bad address is refused here.
  assert.equal(await page.isChecked("#x-enabled"), false);
  assert.equal(await page.inputValue("#x-listen"), "127.0.0.1:9464");
  assert.match(await page.textContent("#x-status"), /exporter is off/);
  await page.check("#x-enabled");
  await page.fill("#x-listen", "localhost");
  await page.click("#s-save");
  assert.match(await page.textContent("#s-error"), /exporter address must be IP:PORT/);
  assert.equal((await calls()).filter((c) => c.cmd === "save_settings").length, 0);
  await page.fill("#x-listen", "127.0.0.1:9464");
  await page.click("#s-save");
  await page.waitForSelector(".toast.ok");
  await shot(page, "settings-light.png");
  const save = (await calls()).find((c) => c.cmd === "save_settings");
  assert.deepEqual(save.args, {
    settings: {
      default_model: "mlx-community/Qwen3-1.7B-4bit",
      engine: { kind: "openai", url: "http://127.0.0.1:8080/v1", served_model: null, api_key_env: null },
      quick_suite: "standard",
      reps: 7,
      sample_power: false,
      monitor: { enabled: true, interval_min: 15, retention_h: 48, skip_on_battery: false },
      exporter: { enabled: true, listen: "127.0.0.1:9464" },
      launch_at_login: true,
      tray_shows_speed: false,
    },
  });
  assert.deepEqual(problems, []);
  await page.close();
});

test("monitoring and exporter status: the next sample and the last skip in words, where metrics are served", async () => {
  const monitor_status = { enabled: true, next_due: "2026-11-26T12:30:00+00:00", last: "sample skipped (another benchmark is running (app))", last_at: "2026-11-26T12:00:00+00:00" };
  const get_settings = { ...fx.get_settings, monitor: { enabled: true, interval_min: 30, retention_h: 24, skip_on_battery: true } };
  const exporter_url = "http://127.0.0.1:9464/metrics";
  const { page, problems } = await openPage(env, "settings.html", { fixtures: { ...fx, get_settings, monitor_status, exporter_url } });
  await page.waitForFunction(() => /Next sample/.test(document.querySelector("#m-status").textContent));
  assert.equal(await page.isChecked("#m-enabled"), true);
  const text = await page.textContent("#m-status");
  assert.match(text, /^Next sample .+\. Last: sample skipped \(another benchmark is running \(app\)\) \(.+\)\.$/, text);
  assert.equal(await page.textContent("#x-status"), "Serving http://127.0.0.1:9464/metrics");
  assert.deepEqual(problems, []);
  await page.close();
});

const CATALOGUE = [
  { repo_id: "mlx-community/Qwen3-1.7B-4bit", model: "Qwen3-1.7B", quantization: "4bit", param_count: 1.7e9, present: true, path: "/hf/x", size_on_disk_bytes: 9.6e8, estimated_download_bytes: 9.6e8, estimated_memory_bytes: 1.4e9, fits_memory: true },
  { repo_id: "mlx-community/Qwen3-8B-4bit", model: "Qwen3-8B", quantization: "4bit", param_count: 8e9, present: false, path: null, size_on_disk_bytes: 0, estimated_download_bytes: 4.6e9, estimated_memory_bytes: 5.5e9, fits_memory: true },
  { repo_id: "mlx-community/Qwen3-14B-bf16", model: "Qwen3-14B", quantization: "bf16", param_count: 14e9, present: false, path: null, size_on_disk_bytes: 0, estimated_download_bytes: 2.9e10, estimated_memory_bytes: 3.3e10, fits_memory: false },
];

test("models: catalogue, download with progress (bytes, rate, ETA), cancel, then the catalogue reloads", async () => {
  const repo = "mlx-community/Qwen3-8B-4bit";
  const p = (done, rate, eta, phase = "downloading") => ({ kind: "progress", repo_id: repo, phase, file: "model.safetensors", done_bytes: done, total_bytes: 4.6e9, rate_bps: rate, eta_s: eta });
  const pullEvents = [
    { kind: "progress", repo_id: repo, phase: "resolving", file: "", done_bytes: 0, total_bytes: 0, rate_bps: null, eta_s: null },
    p(1.0e9, null, null), p(2.3e9, 25e6, 92), p(4.6e9, 25e6, 0, "done"),
    { kind: "finished", repo_id: repo, status: "done", path: "/hf/snap", error: null },
  ];
  const { page, problems, calls } = await openPage(env, "settings.html", { fixtures: { ...fx, catalogue: CATALOGUE }, pullEvents, eventDelayMs: 150 });
  await page.waitForSelector("#catalogue-table tbody tr");
  const cells = await page.$$eval("#catalogue-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(cells[0].slice(0, 6), ["mlx-community/Qwen3-1.7B-4bit", "4bit", "✓ 0.96 GB", "~0.96 GB", "~1.4 GB", "Use"]);
  assert.deepEqual(cells[2].slice(2, 6), ["—", "~29 GB", "~33 GB ✗", "Download"]);
  assert.equal(await page.isDisabled('tr[data-repo="mlx-community/Qwen3-14B-bf16"] button.pull'), true);
  // "Use" fills the default-model field.
  await page.click('tr[data-repo="mlx-community/Qwen3-1.7B-4bit"] button.use');
  assert.equal(await page.inputValue("#s-model"), "mlx-community/Qwen3-1.7B-4bit");
  await page.click(`tr[data-repo="${repo}"] button.pull`);
  await page.waitForFunction(() => /25 MB\/s/.test(document.querySelector("#pull-status").textContent));
  assert.equal(await page.textContent("#pull-status"), `${repo}: 2.3 GB of 4.6 GB · 25 MB/s · 1 min 32 s left`);
  assert.equal(await page.getAttribute("#pull-progress", "aria-valuenow"), "50");
  await page.click("#pull-cancel");
  await page.waitForSelector("#pull-box.hidden", { state: "attached" });
  await page.waitForFunction(() => [...document.querySelectorAll(".toast.ok")].some((t) => /Qwen3-8B-4bit downloaded/.test(t.textContent)));
  const c = await calls();
  assert.deepEqual(c.find((x) => x.cmd === "pull_model").args.repoId, repo);
  assert.equal(c.filter((x) => x.cmd === "cancel_pull").length, 1);
  assert.ok(c.filter((x) => x.cmd === "model_catalogue").length >= 2, "reloaded after the download");
  assert.deepEqual(problems, []);
  await page.close();
});

test("models: a download started from the tray shows here; a failure is one line; repo ids are text", async () => {
  const evil = "<img src=x onerror=alert(1)>/x";
  const catalogue = [...CATALOGUE, { ...CATALOGUE[1], repo_id: evil }];
  const { page, problems } = await openPage(env, "settings.html", { fixtures: { ...fx, catalogue } });
  await page.waitForSelector("#catalogue-table tbody tr");
  await page.waitForFunction(() => typeof window.__pullChannel === "number");
  await page.evaluate((evil) => {
    const send = (index, message) => window.__TAURI_INTERNALS__.runCallback(window.__pullChannel, { index, message });
    send(0, { kind: "progress", repo_id: evil, phase: "downloading", file: "model.safetensors", done_bytes: 1e9, total_bytes: 4e9, rate_bps: null, eta_s: null });
  }, evil);
  await page.waitForSelector("#pull-box:not(.hidden)");
  assert.equal(await page.textContent("#pull-status"), `${evil}: 1 GB of 4 GB`);
  await page.evaluate(() => window.__TAURI_INTERNALS__.runCallback(window.__pullChannel, { index: 1, message: { kind: "finished", repo_id: "a/b", status: "failed", path: null, error: "a/b: the hub cannot be reached (offline)" } }));
  await page.waitForSelector(".toast.error");
  assert.equal(await page.textContent(".toast.error"), "Download of a/b failed: a/b: the hub cannot be reached (offline)");
  assert.equal(await page.locator("main img").count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});
