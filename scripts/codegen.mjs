#!/usr/bin/env node
// Regenerates every committed `_generated/` directory, offline, from this repo alone:
//
//   npm run codegen          (needs `npm run build` first: the example app installs the
//                             component as `convex-workflow/convex.config.js`, i.e. from dist/)
//
// - example/convex/_generated  `convex codegen` for the app (convex.json's functions dir)
// - src/component/_generated   `convex codegen --component-dir ./src/component`
// - bench/convex/_generated    a fixed, untyped stand-in (see BENCH_STAND_IN below)
//
// The first two run the installed Convex CLI itself, with scripts/codegen-offline-backend.mjs
// preloaded to answer its two deployment requests in-process, so the output is exactly what
// `npx convex codegen` against a deployment writes, with no deployment and no network.
// Extra arguments go to both CLI runs (default: `--typecheck disable`; `npm run typecheck`
// covers types).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const preload = pathToFileURL(path.join(repo, "scripts", "codegen-offline-backend.mjs")).href;
const convexCli = path.join(
  path.dirname(createRequire(path.join(repo, "package.json")).resolve("convex/package.json")),
  "bin",
  "main.js",
);
// Never reached: the preload answers the deployment requests before anything is sent.
const OFFLINE_URL = "http://127.0.0.1:9";

// The bench app only runs on convex-test's embedded backend, so untyped references do; it
// keeps `convex codegen`'s typed output (and the type errors it would surface in the bench's
// loosely typed workload) out of the repo. convex-test finds the app's module root by the
// `_generated` directory.
const BENCH_STAND_IN = {
  "api.ts": `/* eslint-disable */
// Minimal stand-in for \`npx convex codegen\` output: the bench app only runs on the embedded
// test backend, so untyped references are enough. convex-test also looks for a path
// containing \`_generated\` to find the root of the app's modules.
import { anyApi, componentsGeneric } from "convex/server";

export const api: any = anyApi;
export const internal: any = anyApi;
export const components: any = componentsGeneric();
`,
  "server.ts": `/* eslint-disable */
// Minimal stand-in for generated server helpers (see api.ts).
export {
  actionGeneric as action,
  internalActionGeneric as internalAction,
  internalMutationGeneric as internalMutation,
  internalQueryGeneric as internalQuery,
  mutationGeneric as mutation,
  queryGeneric as query,
} from "convex/server";
`,
};

function runCli(label, args) {
  console.log(`codegen: ${label}`);
  const env = { ...process.env, CI: "1" }; // CI: the CLI skips its crash reporter
  for (const k of [
    "CONVEX_DEPLOYMENT",
    "CONVEX_DEPLOY_KEY",
    "CONVEX_SELF_HOSTED_URL",
    "CONVEX_SELF_HOSTED_ADMIN_KEY",
  ]) {
    delete env[k];
  }
  const r = spawnSync(
    process.execPath,
    ["--import", preload, convexCli, "codegen", "--url", OFFLINE_URL, "--admin-key", "offline", ...args],
    { cwd: repo, stdio: "inherit", env },
  );
  if (r.status !== 0) {
    console.error(`codegen: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const extra = process.argv.slice(2);
const cliArgs = extra.length > 0 ? extra : ["--typecheck", "disable"];

if (!fs.existsSync(path.join(repo, "dist", "component", "convex.config.js"))) {
  console.error("codegen: dist/ is missing; run `npm run build` first (the example app installs the built component).");
  process.exit(1);
}
runCli("example app (example/convex/_generated)", cliArgs);
runCli("component (src/component/_generated)", [...cliArgs, "--component-dir", "./src/component"]);
console.log("codegen: bench stand-in (bench/convex/_generated)");
for (const [name, text] of Object.entries(BENCH_STAND_IN)) {
  fs.writeFileSync(path.join(repo, "bench", "convex", "_generated", name), text);
}
