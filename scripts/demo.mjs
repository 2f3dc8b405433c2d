#!/usr/bin/env node
// `npm run demo`: load example/demo/run.ts through Vite (installed with vitest) and run it.
//
// Why Vite: convex-test, this package's `convex-workflow/test` entry and the workpool's
// test helper collect Convex modules with `import.meta.glob`, which only Vite transforms.
// The aliases come from vitest.config.ts, so `convex-workflow` resolves to src/ exactly as
// in the tests; no build step is needed.
import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { ESModulesEvaluator, ModuleRunner } from "vite/module-runner";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outFile = path.join(root, "out", "demo-run.json");

const server = await createServer({
  root,
  configFile: path.join(root, "vitest.config.ts"),
  logLevel: "error",
  appType: "custom",
  clearScreen: false,
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
  // Packages whose test entries use import.meta.glob (or ship TypeScript) must go through Vite.
  ssr: { noExternal: ["convex-test", "@convex-dev/workpool", "@convex-dev/batch-worker"] },
});

// convex-test loads a Convex module the first time one of its functions runs, i.e. inside
// a simulated transaction, where it replaces setTimeout (and a workflow replay replaces
// Math.random, Date, ...) for the running function via AsyncLocalStorage. Vite's default
// runner transport arms a setTimeout per request, so answer module requests in the
// context captured here, outside any function.
const outsideFunctions = AsyncLocalStorage.snapshot();
const ssr = server.environments.ssr;
const runner = new ModuleRunner(
  { transport: { invoke: (payload) => outsideFunctions(() => ssr.hot.handleInvoke(payload)) }, hmr: false },
  new ESModulesEvaluator(),
);

let exitCode = 1;
try {
  const demo = await runner.import(path.join(root, "example/demo/run.ts"));
  exitCode = await demo.main({ outFile });
} catch (error) {
  console.error(error);
} finally {
  await runner.close();
  await server.close();
}
// Workpool and batch-worker leave far-future timers (watchdogs) armed; don't wait for them.
process.exit(exitCode);
