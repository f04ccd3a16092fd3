// Bundles tests/mock-entry.ts (with @tauri-apps/api/mocks) into one IIFE for page.addInitScript.
// Test-only: never part of dist/.
import { build } from "vite";
import { fileURLToPath } from "node:url";

await build({
  configFile: false,
  logLevel: "warn",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("./.build", import.meta.url)),
    emptyOutDir: true,
    minify: false,
    target: "es2021",
    lib: {
      entry: fileURLToPath(new URL("./mock-entry.ts", import.meta.url)),
      formats: ["iife"],
      name: "BenchbarMocks",
      fileName: () => "mocks.js",
    },
  },
});
