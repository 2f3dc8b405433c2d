// Preloaded into the Convex CLI by scripts/codegen.mjs (`node --import`): answers the two
// deployment requests `convex codegen` makes, in-process, so codegen needs no deployment and no
// network. Everything else (finding the components, bundling them with esbuild, rendering and
// formatting `_generated/`) is the CLI's own code, unchanged.
//
//   POST /api/get_config_hashes    -> no modules deployed yet (so every module is "changed")
//   POST /api/deploy2/start_push   -> the "analysis" a backend would return: for the app and each
//                                     component, its definition (children, exports), schema and
//                                     every exported function's kind, visibility and validators.
//
// A backend gets the analysis by running the bundled modules in its V8 isolate. Here the same
// bundles are written to a temp dir and imported into Node; the registered functions carry the
// metadata (`isQuery`/`isMutation`/`isAction`, `isPublic`, `exportArgs()`, `exportReturns()`).
// Any other request fails loudly: nothing leaves the machine.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import zlib from "node:zlib";

const FUNCTION_REF_PREFIX = "_reference/function/";
let importCounter = 0;

/** Writes bundled modules ({path, source}) under `dir` as ES modules. */
function writeBundle(dir, modules) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n');
  for (const m of modules) {
    const file = path.join(dir, m.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, m.source);
  }
}

async function importBundled(dir, modulePath) {
  // The query string keeps Node's module cache from handing back an earlier evaluation.
  return await import(`${pathToFileURL(path.join(dir, modulePath)).href}?n=${importCounter++}`);
}

/** The backend reports validators as JSON with object keys in sorted order; so do we. */
function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeysDeep(value[key]);
    return sorted;
  }
  return value;
}

function validatorJson(fn, exporter) {
  if (typeof fn[exporter] !== "function") return null;
  const json = fn[exporter]();
  return json == null ? null : JSON.stringify(sortKeysDeep(JSON.parse(json)));
}

function udfType(fn) {
  if (fn?.isQuery) return "Query";
  if (fn?.isMutation) return "Mutation";
  if (fn?.isAction) return "Action";
  return null; // http actions, routers, helpers: not part of the generated api
}

/** `{ [modulePath]: { functions: [...] } }` for every non-dependency module. */
async function analyzeFunctions(dir, modules) {
  const result = {};
  for (const m of modules) {
    if (m.path.startsWith("_deps/")) continue;
    const exports = await importBundled(dir, m.path);
    const functions = [];
    for (const [name, fn] of Object.entries(exports)) {
      const type = udfType(fn);
      if (type === null) continue;
      functions.push({
        name,
        pos: null,
        udfType: type,
        visibility: { kind: fn.isPublic ? "public" : "internal" },
        args: validatorJson(fn, "exportArgs"),
        returns: validatorJson(fn, "exportReturns"),
      });
    }
    result[m.path] = { functions, httpRoutes: null, cronSpecs: null, sourceMapped: null };
  }
  return result;
}

/** A component exports each of its public functions under its module path. */
function componentExports(functions) {
  const tree = {};
  for (const [modulePath, { functions: fns }] of Object.entries(functions)) {
    const moduleName = modulePath.replace(/\.js$/, "");
    for (const f of fns) {
      if (f.visibility.kind !== "public") continue;
      let node = tree;
      for (const part of moduleName.split("/")) node = node[part] ??= {};
      node[f.name] = `${FUNCTION_REF_PREFIX}${moduleName}:${f.name}`;
    }
  }
  const serialize = (node) => ({
    type: "branch",
    branch: Object.entries(node).map(([key, child]) => [
      key,
      typeof child === "string" ? { type: "leaf", leaf: child } : serialize(child),
    ]),
  });
  return serialize(tree);
}

/**
 * A bundled convex.config imports each child as `./_componentDeps/<base64url(definitionPath)>`;
 * the backend resolves those to objects naming the child's definition path and default name.
 * Writes such a stand-in for each and returns the source with the imports pointed at them.
 */
function linkChildDefinitions(dir, source, defaultNames) {
  return source.replace(/\.\/_componentDeps\/([A-Za-z0-9_-]+)/g, (_match, encoded) => {
    const definitionPath = Buffer.from(encoded, "base64url").toString("utf8");
    const file = path.join(dir, "_componentDeps", `${encoded}.js`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const stand = { componentDefinitionPath: definitionPath, defaultName: defaultNames.get(definitionPath) };
    fs.writeFileSync(file, `export default ${JSON.stringify(stand)};\n`);
    return `./_componentDeps/${encoded}.js`;
  });
}

async function evaluateDefinition(dir, definition, defaultNames) {
  const source = linkChildDefinitions(dir, definition.source, defaultNames);
  writeBundle(dir, [{ ...definition, source }]);
  return (await importBundled(dir, definition.path)).default;
}

async function analyzeSchema(dir, schemaModule) {
  if (!schemaModule) return null;
  writeBundle(dir, [schemaModule]);
  const schema = sortKeysDeep(JSON.parse((await importBundled(dir, schemaModule.path)).default.export()));
  // The backend appends the _creationTime tiebreaker to every index's fields.
  for (const table of schema.tables) {
    for (const index of table.indexes) {
      if (index.fields.at(-1) !== "_creationTime") index.fields.push("_creationTime");
    }
  }
  return schema;
}

async function analyzeComponent(workDir, definitionPath, spec, defaultNames) {
  const dir = fs.mkdtempSync(path.join(workDir, "c"));
  const modules = spec.changedModules ?? spec.functions ?? [];
  writeBundle(path.join(dir, "functions"), modules);
  const definition = spec.definition
    ? (await evaluateDefinition(path.join(dir, "definition"), spec.definition, defaultNames)).export()
    : // An app without convex.config.ts.
      { definitionType: { type: "app" }, childComponents: [], httpMounts: {}, exports: { type: "branch", branch: [] } };
  const functions = await analyzeFunctions(path.join(dir, "functions"), modules);
  if (definitionPath !== "") definition.exports = componentExports(functions);
  return {
    definition: { path: definitionPath, ...definition },
    schema: await analyzeSchema(path.join(dir, "schema"), spec.schema),
    functions,
    udfConfig: {
      serverVersion: spec.udfServerVersion ?? "0.0.0",
      importPhaseRngSeed: null,
      importPhaseUnixTimestamp: null,
    },
  };
}

async function startPush(request) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-codegen-"));
  try {
    // Children are referred to by definition path; their names come from defineComponent(name).
    const defaultNames = new Map();
    for (const c of request.componentDefinitions) {
      const def = await evaluateDefinition(fs.mkdtempSync(path.join(workDir, "n")), c.definition, defaultNames);
      defaultNames.set(c.definitionPath, def._name);
    }
    const analysis = { "": await analyzeComponent(workDir, "", request.appDefinition, defaultNames) };
    for (const c of request.componentDefinitions) {
      analysis[c.definitionPath] = await analyzeComponent(workDir, c.definitionPath, c, defaultNames);
    }
    return {
      environmentVariables: {},
      externalDepsId: null,
      componentDefinitionPackages: {},
      appAuth: [],
      analysis,
      app: {
        definitionPath: "",
        componentPath: "",
        args: {},
        childComponents: {},
        httpRoutes: { httpModuleRoutes: null, mounts: [] },
        exports: {},
      },
      schemaChange: { allocatedComponentIds: {}, schemaIds: {} },
    };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function requestJson(init) {
  if (init?.body == null) return {};
  let body = Buffer.from(init.body instanceof ArrayBuffer ? new Uint8Array(init.body) : init.body);
  const encoding = new Headers(init.headers ?? {}).get("content-encoding");
  if (encoding === "br") body = zlib.brotliDecompressSync(body);
  return body.length ? JSON.parse(body.toString("utf8")) : {};
}

const json = (status, value) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

globalThis.fetch = async function offlineDeployment(resource, init) {
  const url = new URL(resource instanceof Request ? resource.url : String(resource));
  switch (url.pathname) {
    case "/api/get_config_hashes":
      return json(200, { config: { functions: "convex/" }, moduleHashes: [], nodeDependencies: [] });
    case "/api/deploy2/start_push":
      try {
        return json(200, await startPush(await requestJson(init)));
      } catch (e) {
        return json(400, { code: "OfflineCodegenError", message: String(e?.stack ?? e) });
      }
    default:
      throw new Error(`offline codegen: unexpected request to ${url.href} (nothing may leave the machine)`);
  }
};
