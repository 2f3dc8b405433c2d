import { defineConfig } from "vitest/config";
import { convexTestOptions, packageAliases } from "./vitest.shared.js";

// The example app imports the package by its published name. In tests we point those
// names at the TypeScript sources so a change is tested without a build step; `.ci/run`
// separately installs the packed tarball into a scratch app to prove the built entry points.
export default defineConfig({
  resolve: { alias: packageAliases },
  test: {
    ...convexTestOptions,
    include: ["src/**/*.test.ts", "example/**/*.test.ts"],
    // Tests fail things on purpose; their logs are recorded (vitest.setup.ts) and printed
    // only for a test that fails.
    setupFiles: ["./vitest.setup.ts"],
    silent: "passed-only",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
