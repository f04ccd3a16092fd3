import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEnv, openPage, defaultFixtures } from "./harness.mjs";

let env;
let fx;
before(async () => {
  env = await startEnv();
  fx = await defaultFixtures();
});
after(async () => env?.close());

test("panel: the default model's last result, its grade, a sparkline, Run, links to the windows", async () => {
  const { page, problems, calls } = await openPage(env, "panel.html", { fixtures: fx });
  await page.waitForSelector("#panel-tps");
  assert.equal(await page.textContent("#panel-model"), "builtin:tiny");
  // The newest completed run of the model (history is newest first: run 2, 79.7 tok/s).
  assert.equal(await page.textContent("#panel-tps"), "79.7");
  assert.equal(await page.textContent("#panel-grade"), "✅"); // the fixture grades run 1 against Qwen3-1.7B-4bit
  const points = await page.getAttribute(".sparkline polyline", "points");
  assert.equal(points.split(" ").length, 2);
  // Oldest first: run 1 (99.7, the top) then run 2 (79.7, the bottom).
  assert.deepEqual(points.split(" ").map((p) => Number(p.split(",")[1])), [2, 28]);

  await page.click("#panel-run");
  await page.waitForFunction(() => document.querySelector("#panel-cancel").disabled === false);
  await page.waitForFunction(() => window.__calls.some((c) => c.cmd === "start_run"));
  assert.deepEqual((await calls()).find((c) => c.cmd === "start_run").args.suite, "quick");
  assert.deepEqual((await calls()).find((c) => c.cmd === "start_run").args.model, "builtin:tiny");

  await page.click('a[data-window="history"]');
  await page.waitForFunction(() => window.__calls.some((c) => c.cmd === "open_window"));
  const open = (await calls()).filter((c) => c.cmd === "open_window");
  assert.deepEqual(open.map((c) => c.args.name), ["history"]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("panel: a model with no runs says so", async () => {
  const { page, problems } = await openPage(env, "panel.html", { fixtures: { ...fx, history: [] } });
  await page.waitForFunction(() => /No runs of this model yet/.test(document.querySelector("#panel-last").textContent));
  assert.equal(await page.$(".sparkline polyline"), null);
  assert.deepEqual(problems, []);
  await page.close();
});
