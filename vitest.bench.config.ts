import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

// `npm run bench`: the side-by-side benchmark (bench/), not part of `npm test`.
// Same aliases as vitest.config.ts, so the bench measures the sources as they are.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^convex-workflow\/convex\.config(\.js)?$/, replacement: src("component/convex.config.ts") },
      { find: /^convex-workflow\/test$/, replacement: src("test.ts") },
      { find: /^convex-workflow$/, replacement: src("client/index.ts") },
    ],
  },
  test: {
    environment: "edge-runtime",
    include: ["bench/**/*.bench.test.ts"],
    server: { deps: { inline: ["convex-test"] } },
    // One file, one worker: runs are measured one after another, never side by side.
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    // Show the tables as they are printed.
    silent: false,
    reporters: ["default"],
  },
});
