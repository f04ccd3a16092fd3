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
    },
  });
  assert.deepEqual(problems, []);
  await page.close();
});

test("monitoring status: the next sample and the last skip, in words", async () => {
  const monitor_status = { enabled: true, next_due: "2026-11-26T12:30:00+00:00", last: "2026-11-26T12:00:00+00:00: sample skipped (another benchmark is running (app))" };
  const get_settings = { ...fx.get_settings, monitor: { enabled: true, interval_min: 30, retention_h: 24, skip_on_battery: true } };
  const { page, problems } = await openPage(env, "settings.html", { fixtures: { ...fx, get_settings, monitor_status } });
  await page.waitForFunction(() => /Next sample/.test(document.querySelector("#m-status").textContent));
  assert.equal(await page.isChecked("#m-enabled"), true);
  const text = await page.textContent("#m-status");
  assert.match(text, /^Next sample .+\. Last: sample skipped \(another benchmark is running \(app\)\) \(.+\)\.$/, text);
  assert.deepEqual(problems, []);
  await page.close();
});
