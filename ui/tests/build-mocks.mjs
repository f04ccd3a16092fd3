// Bundles tests/mock-entry.ts (with @tauri-apps/api/mocks) into one IIFE for page.addInitScript.
import { build } from "esbuild";
await build({
  entryPoints: [new URL("./mock-entry.ts", import.meta.url).pathname],
  bundle: true,
  format: "iife",
  target: "es2021",
  outfile: new URL("./.build/mocks.js", import.meta.url).pathname,
  logLevel: "warning",
});
