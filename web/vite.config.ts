/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { readFileSync } from "node:fs";
import { defineConfig } from "vite";

// The API paths the backend serves (from its OpenAPI document), so the app can
// show a section only when its API exists: see src/lib/features.ts.
const openapi = JSON.parse(readFileSync(new URL("./src/api/openapi.json", import.meta.url), "utf8"));
const apiPaths = Object.keys(openapi.paths ?? {}).sort();

// `npm run dev` proxies /api to a running local stack (make run).
const api = process.env.WACAST_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  define: { __API_PATHS__: JSON.stringify(apiPaths) },
  server: { proxy: { "/api": api, "/dev": api } },
  build: { outDir: "dist", sourcemap: true },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // Deadlines, not expectations of speed: a loaded CI machine runs jsdom slowly.
    testTimeout: 30_000,
  },
});
