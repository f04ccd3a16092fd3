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
    },
  });
  assert.deepEqual(problems, []);
  await page.close();
});
