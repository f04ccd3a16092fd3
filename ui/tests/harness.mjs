// Shared test harness: static server for dist/, headless Chromium via playwright-core,
// IPC mocked at the boundary (tests/.build/mocks.js, bundled from @tauri-apps/api/mocks).
import { createServer } from "node:http";
import { readFile, mkdtemp, rm, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, normalize, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const UI = join(here, "..");
export const DIST = join(UI, "dist");
export const RESULTS = join(UI, "test-results");
const MOCKS = join(here, ".build", "mocks.js");

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json" };

export async function fixture(name) {
  const text = await readFile(join(here, "fixtures", name), "utf8");
  return name.endsWith(".json") ? JSON.parse(text) : text;
}

export async function defaultFixtures() {
  const history = await fixture("history.json");
  return {
    history,
    targets: await fixture("targets.json"),
    targets_run: await fixture("targets-run1.json"),
    compare: await fixture("compare.json"),
    get_settings: await fixture("settings.json"),
    list_models: await fixture("models-crafted.json"),
    export: { md: await fixture("export-run2.md"), csv: await fixture("export-run2.csv"), json: JSON.stringify(await fixture("run2.json"), null, 2) },
  };
}

export async function startEnv() {
  if (!existsSync(join(DIST, "dashboard.html"))) throw new Error("ui/dist missing: run `npm run build` first");
  if (!existsSync(MOCKS)) throw new Error("tests/.build/mocks.js missing: run `npm run build:mocks` first");
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^\/+/, "");
    const file = join(DIST, path || "dashboard.html");
    if (!file.startsWith(DIST)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = await mkdtemp(join(tmpdir(), "benchbar-ui-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: 1280, height: 900 },
  });
  await mkdir(RESULTS, { recursive: true });
  return {
    base,
    context,
    async close() {
      await context.close();
      await new Promise((r) => server.close(r));
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens one page with the IPC mock configured. Returns {page, problems, calls()}:
 * problems collects console errors, page errors, CSP violations and dialogs (alert = XSS).
 */
export async function openPage(env, file, cfg, { colorScheme = "light", language } = {}) {
  const page = await env.context.newPage();
  await page.emulateMedia({ colorScheme });
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => { problems.push(`dialog: ${d.type()} ${d.message()}`); void d.dismiss(); });
  page.on("request", (r) => { if (!r.url().startsWith(env.base) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`); });
  // What WebKitGTK reports under LANG=C: `language: "C"` replays it in Chromium.
  if (language) await page.addInitScript((l) => Object.defineProperty(Navigator.prototype, "language", { get: () => l }), language);
  await page.addInitScript((c) => { window.__BENCHBAR_MOCK__ = c; }, cfg);
  await page.addInitScript({ path: MOCKS });
  await page.goto(`${env.base}/${file}`);
  return { page, problems, calls: () => page.evaluate(() => window.__calls) };
}

/** Screenshot of the whole page with the window grown to fit (keeps the sticky nav at the top). */
export async function shot(page, name) {
  const h = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height: Math.min(Math.max(h, 600), 4000) });
  await page.waitForTimeout(150); // charts follow the resize
  await page.screenshot({ path: join(RESULTS, name) });
}
