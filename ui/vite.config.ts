import { defineConfig } from "vite";
import { resolve } from "node:path";

// Multi-page build: one HTML entry per Tauri window. Output: ui/dist (Tauri's frontendDist).
export default defineConfig({
  root: __dirname,
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // No inline preload polyfill: the CSP allows only 'self' scripts.
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        dashboard: resolve(__dirname, "dashboard.html"),
        history: resolve(__dirname, "history.html"),
        settings: resolve(__dirname, "settings.html"),
        panel: resolve(__dirname, "panel.html"),
      },
    },
  },
});
