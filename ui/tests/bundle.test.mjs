import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { DIST } from "./harness.mjs";

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ipc: http://ipc.localhost";

test("every page has the CSP, no inline script or style, no remote origin", async () => {
  for (const page of ["dashboard.html", "history.html", "settings.html", "panel.html"]) {
    const html = await readFile(join(DIST, page), "utf8");
    assert.ok(html.includes(`content="${CSP}"`), page);
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, `${page}: inline script`);
    assert.doesNotMatch(html, /<style|style="/, `${page}: inline style`);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, `${page}: remote asset`);
  }
});

test("the production bundle contains no IPC mocks and no remote URLs to load", async () => {
  const files = await readdir(join(DIST, "assets"));
  assert.ok(files.some((f) => f.endsWith(".js")));
  for (const f of files) {
    const text = await readFile(join(DIST, "assets", f), "utf8");
    assert.doesNotMatch(text, /mockIPC|__BENCHBAR_MOCK__|__calls/, f);
    assert.doesNotMatch(text, /import\s*\(?\s*["']https?:/, f);
  }
});
