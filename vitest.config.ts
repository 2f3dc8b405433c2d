import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

// The example app imports the package by its published name. In tests we point those
// names at the TypeScript sources so a change is tested without a build step; `.ci/run`
// separately installs the packed tarball into a scratch app to prove the built entry points.
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
    include: ["src/**/*.test.ts", "example/**/*.test.ts"],
    server: { deps: { inline: ["convex-test"] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
