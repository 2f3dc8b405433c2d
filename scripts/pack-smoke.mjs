#!/usr/bin/env node
// Pack smoke test: proves the BUILT package works when another app installs it.
//
//   npm run build && npm run pack:smoke        (KEEP=1 keeps the scratch dir for debugging)
//
// 1. `npm pack` into a temp dir; check the tarball holds every `exports` target and no tests.
// 2. A scratch app installs the tarball plus the peer deps at the versions in this repo's
//    node_modules (`npm install --prefer-offline`).
// 3. Runtime (plain Node, ESM): `import("convex-workflow")` has every value export of SPEC 1.2;
//    `convex-workflow/convex.config.js` and `convex-workflow/convex.config` default-export the
//    component definition `defineComponent("workflow")` with the workpool installed under it.
// 4. Types: a consumer .ts file importing the public types (and `ComponentApi` from
//    `convex-workflow/_generated/component.js`) passes `tsc --noEmit`, moduleResolution Bundler,
//    without Node's types; so does a test file importing `convex-workflow/test` (TypeScript
//    sources, checked with the app's settings).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[pack-smoke ${elapsed()}] ${msg}`);

class SmokeError extends Error {}
const fail = (msg) => {
  throw new SmokeError(msg);
};

const VALUE_EXPORTS = [
  "WorkflowManager",
  "defineWorkflow",
  "start",
  "getStatus",
  "cancel",
  "restart",
  "sendEvent",
  "createEvent",
  "list",
  "listByName",
  "listSteps",
  "cleanup",
  "defineEvent",
  "vWorkflowId",
  "vEventId",
  "vWorkflowStep",
  "vResultValidator",
];
const TYPE_EXPORTS = [
  "WorkflowId",
  "EventId",
  "WorkflowStep",
  "RunResult",
  "WorkflowComponent",
  "WorkflowMutationResult",
  "WorkflowCtx",
  "RunOptions",
  "StepDefaults",
  "WorkflowArgs",
  "CallbackOptions",
  "WorkflowDefinition",
  "WorkflowHandler",
  "WorkflowStatus",
];
const PEERS = ["convex", "convex-helpers", "@convex-dev/workpool"];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) {
    fail(`\`${cmd} ${args.join(" ")}\` (in ${cwd}) exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`.trim());
  }
  return r.stdout;
}

function repoVersion(pkg) {
  const p = path.join(repo, "node_modules", pkg, "package.json");
  if (!fs.existsSync(p)) fail(`${pkg} is not installed in ${repo}/node_modules (run npm ci)`);
  return JSON.parse(fs.readFileSync(p, "utf8")).version;
}

function exportTargets(exportsField) {
  const out = [];
  const walk = (v) => {
    if (typeof v === "string") out.push(v);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(exportsField);
  return [...new Set(out)].map((p) => p.replace(/^\.\//, ""));
}

// Runs inside the scratch app. Child component definitions imported by a convex.config.js are
// stubbed the way the Convex bundler does (an object carrying `componentDefinitionPath`), since
// `component.use(child)` only accepts such stubs and the real children are not Node-importable.
const LOADER_HOOKS = `
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
const isConfig = (u) => /\\/convex\\.config\\.(js|mjs)(\\?.*)?$/.test(u ?? "");
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (isConfig(context.parentURL) && isConfig(r.url)) return { ...r, url: r.url + "?convex-child-stub" };
  return r;
}
export async function load(url, context, next) {
  if (url.endsWith("?convex-child-stub")) {
    const file = fileURLToPath(url.slice(0, -"?convex-child-stub".length));
    const name = /defineComponent\\(\\s*["'\`]([^"'\`]+)["'\`]/.exec(fs.readFileSync(file, "utf8"))?.[1];
    const stub = { componentDefinitionPath: path.dirname(file), defaultName: name };
    return { format: "module", shortCircuit: true, source: "export default " + JSON.stringify(stub) + ";" };
  }
  return next(url, context);
}
`;

const RUNTIME_CHECK = `
import { register } from "node:module";
register("./loader-hooks.mjs", import.meta.url);
const expected = ${JSON.stringify(VALUE_EXPORTS)};
const problems = [];
const client = await import("convex-workflow");
for (const name of expected) {
  if (client[name] === undefined) problems.push("convex-workflow: missing value export " + name);
}
if (typeof client.WorkflowManager !== "function") problems.push("WorkflowManager is not a class");
if (client.vWorkflowId?.kind !== "string") problems.push("vWorkflowId is not a v.string() validator");
if (client.vWorkflowStep?.isConvexValidator !== true) problems.push("vWorkflowStep is not a validator");
if (client.vResultValidator?.isConvexValidator !== true) problems.push("vResultValidator is not a validator");
const defs = [];
for (const spec of ["convex-workflow/convex.config.js", "convex-workflow/convex.config"]) {
  let def;
  try {
    def = (await import(spec)).default;
  } catch (e) {
    problems.push(spec + ": import failed: " + (e?.stack ?? e));
    continue;
  }
  defs.push(def);
  if (!def || def._isRoot !== false || def._name !== "workflow" || typeof def.use !== "function") {
    problems.push(spec + ": default export is not defineComponent(\\"workflow\\") (got " + JSON.stringify(def && { _isRoot: def._isRoot, _name: def._name }) + ")");
    continue;
  }
  const children = (def._childComponents ?? []).map((c) => c[0]);
  if (!children.includes("workpool")) problems.push(spec + ": workpool is not installed under the component (children: " + JSON.stringify(children) + ")");
}
if (defs.length === 2 && defs[0] !== defs[1]) problems.push("convex.config and convex.config.js resolve to different modules");
if (problems.length) {
  console.error(problems.join("\\n"));
  process.exit(1);
}
console.log("runtime: " + expected.length + " value exports present; convex.config(.js) default-export the workflow component");
`;

const TYPE_CHECK = `
import {
  WorkflowManager,
  defineWorkflow,
  vWorkflowId,
  vEventId,
  vWorkflowStep,
  vResultValidator,
  ${TYPE_EXPORTS.map((t) => `type ${t},`).join("\n  ")}
} from "convex-workflow";
import type { ComponentApi } from "convex-workflow/_generated/component.js";
import workflow from "convex-workflow/convex.config.js";
import workflowNoExt from "convex-workflow/convex.config";
import { defineApp } from "convex/server";
import { v, type Infer } from "convex/values";

// None of the public types may silently degrade to \`any\` (e.g. a .d.ts import that fails to resolve).
type IsAny<T> = 0 extends 1 & T ? true : false;
type NotAny<T> = IsAny<T> extends true ? false : true;
export const notAny: [${TYPE_EXPORTS.map((t) => {
  const generic = { WorkflowArgs: "<{}>", WorkflowDefinition: "<{}>", WorkflowHandler: "<{}, void>" }[t] ?? "";
  return `NotAny<${t}${generic}>`;
}).join(", ")}, NotAny<ComponentApi>] = [${TYPE_EXPORTS.map(() => "true").join(", ")}, true];

// The app's convex.config.ts.
const app = defineApp();
app.use(workflow);
app.use(workflowNoExt, { name: "workflow2" });

// What codegen writes into the app's _generated/api.d.ts.
declare const components: { workflow: ComponentApi<"workflow"> };
const component: WorkflowComponent = components.workflow;
export const manager = new WorkflowManager(components.workflow, { workpoolOptions: { maxParallelism: 5 } });

export const greet = manager.define({
  args: { name: v.string() },
  returns: v.string(),
  handler: async (step: WorkflowCtx, args): Promise<string> => {
    const name: string = args.name;
    void step;
    return name;
  },
});
export const fluent = defineWorkflow(component, { args: { n: v.number() } }).handler(async (_step, args) => {
  const n: number = args.n;
  void n;
});

export const id = "abc" as WorkflowId;
export const validated: Infer<typeof vWorkflowId> = id;
export const eventId: EventId<"approve"> = "e" as EventId<"approve">;
export const vEv = vEventId("approve");
export const step: Infer<typeof vWorkflowStep> | undefined = undefined;
export const vr = vResultValidator;
export const results: RunResult<number>[] = [
  { kind: "success", returnValue: 1 },
  { kind: "failed", error: "boom" },
  { kind: "canceled" },
];
export const statuses: WorkflowStatus[] = [
  { type: "completed", result: 1 },
  { type: "canceled" },
  { type: "failed", error: "boom" },
];
export const mutationResult: WorkflowMutationResult<number> = { kind: "complete", runResult: results[0]! };
export const stepShape: WorkflowStep["stepNumber"] = 0;
export const cb: CallbackOptions = {};
export const opts: RunOptions | StepDefaults | undefined = undefined;
// @ts-expect-error RunResult is a closed union.
export const badResult: RunResult = { kind: "nope" };
`;

// A test file as docs/getting-started.md shows it: `convex-workflow/test` ships TypeScript
// sources, which the app's compiler checks with the app's settings and without Node's types.
const TEST_TYPE_CHECK = `
import { convexTest } from "convex-test";
import workflowTest, { register, replayJournal } from "convex-workflow/test";
import type { GenericSchema, SchemaDefinition } from "convex/server";

export function setUp(schema: SchemaDefinition<GenericSchema, boolean>, modules: Record<string, () => Promise<any>>) {
  const t = convexTest(schema, modules);
  workflowTest.register(t);
  return { t, api: register(t, "workflow2"), replay: replayJournal };
}
`;

const SCRATCH_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "DOM"],
    module: "ESNext",
    moduleResolution: "Bundler",
    strict: true,
    skipLibCheck: false, // also type-check our shipped .d.ts files
    isolatedModules: true,
    verbatimModuleSyntax: true,
    noEmit: true,
    types: [],
  },
  include: ["check.ts", "check-test.ts"],
};

let tmp;
let ok = false;
try {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
  for (const f of ["dist/client/index.js", "dist/component/convex.config.js"]) {
    if (!fs.existsSync(path.join(repo, f))) fail(`${f} is missing: run \`npm run build\` first`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cw-pack-smoke-"));

  // 1. Pack.
  const packDir = path.join(tmp, "pack");
  fs.mkdirSync(packDir);
  const packJson = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", packDir], repo));
  const files = new Set(packJson[0].files.map((f) => f.path));
  const tarball = path.join(packDir, packJson[0].filename);
  log(`packed ${packJson[0].filename}: ${files.size} files, ${(packJson[0].size / 1024).toFixed(0)} KiB`);
  const missing = exportTargets(pkg.exports).filter((f) => !files.has(f));
  if (missing.length) fail(`tarball lacks export targets: ${missing.join(", ")}`);
  const tests = [...files].filter((f) => /\.test\.[cm]?[jt]s$/.test(f));
  if (tests.length) fail(`tarball ships test files: ${tests.join(", ")}`);

  // 2. Scratch app.
  const app = path.join(tmp, "app");
  fs.mkdirSync(app);
  const deps = { "convex-workflow": `file:${tarball}` };
  for (const p of PEERS) deps[p] = repoVersion(p);
  // What a test file needs besides the package (TEST_TYPE_CHECK): convex-test, and vite's types
  // for `import.meta.glob`.
  for (const p of ["convex-test", "vite"]) deps[p] = repoVersion(p);
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: "pack-smoke-app", private: true, type: "module", dependencies: deps }, null, 2),
  );
  log(
    `installing into scratch app: ${Object.entries(deps)
      .map(([k, v]) => (k === "convex-workflow" ? k : `${k}@${v}`))
      .join(", ")}`,
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], app);
  const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules/convex-workflow/package.json"), "utf8"));
  if (installed.version !== pkg.version)
    fail(`installed convex-workflow@${installed.version}, expected ${pkg.version}`);
  log("installed");

  // 3. Runtime.
  fs.writeFileSync(path.join(app, "loader-hooks.mjs"), LOADER_HOOKS);
  fs.writeFileSync(path.join(app, "runtime-check.mjs"), RUNTIME_CHECK);
  log(run(process.execPath, ["runtime-check.mjs"], app).trim());

  // 4. Types (the repo's own TypeScript compiler; module resolution starts from the scratch app).
  fs.writeFileSync(path.join(app, "check.ts"), TYPE_CHECK);
  fs.writeFileSync(path.join(app, "check-test.ts"), TEST_TYPE_CHECK);
  fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify(SCRATCH_TSCONFIG, null, 2));
  const tsc = path.join(repo, "node_modules/typescript/bin/tsc");
  run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], app);
  log(
    `types: tsc --noEmit (moduleResolution Bundler, no Node types) passed for ${TYPE_EXPORTS.length} types + ComponentApi, and a test file importing convex-workflow/test`,
  );
  ok = true;
} catch (e) {
  console.error(`[pack-smoke ${elapsed()}] ${e instanceof SmokeError ? e.message : (e?.stack ?? e)}`);
} finally {
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`[pack-smoke] kept ${tmp}`);
}
console.log(ok ? `PASS pack-smoke (${elapsed()})` : `FAIL pack-smoke (${elapsed()})`);
process.exit(ok ? 0 : 1);
