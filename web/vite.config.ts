/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { fileURLToPath } from "node:url";

// The build lands inside the Python package; the API serves it at "/".
const outDir = fileURLToPath(new URL("../src/phantomnet/dashboard/static", import.meta.url));
// Dev only: `npm run dev` proxies API calls to a running `phantomnet up`/`server`.
const apiTarget = process.env.PHANTOMNET_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
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
