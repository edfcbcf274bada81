/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import type { Plugin } from "vite";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { fileURLToPath } from "node:url";

// The build lands inside the Python package; the API serves it at "/".
const outDir = fileURLToPath(new URL("../src/phantomnet/dashboard/static", import.meta.url));
// Dev only: `npm run dev` proxies API calls to a running `phantomnet up`/`server`.
const apiTarget = process.env.PHANTOMNET_API ?? "http://127.0.0.1:8000";

// Write <file>.gz next to every compressible asset; the Python side serves it to gzip clients.
function precompress(dir: string): Plugin {
  return {
    name: "phantomnet-precompress",
    apply: "build",
    closeBundle() {
      const assets = join(dir, "assets");
      for (const name of readdirSync(assets)) {
        if (!/\.(js|css|json|svg|wasm)$/.test(name)) continue;
        const raw = readFileSync(join(assets, name));
        if (raw.length > 1024) writeFileSync(join(assets, `${name}.gz`), gzipSync(raw, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), precompress(outDir)],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      "/api": { target: apiTarget, changeOrigin: false },
      "/health": apiTarget,
    },
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    testTimeout: 10000,
  },
});
