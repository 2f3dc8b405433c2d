import { fileURLToPath } from "node:url";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

/**
 * The example app, bench and chaos runs import the package by its published name. Under
 * vitest those names point at the TypeScript sources, so a change is exercised without a
 * build; `.ci/run` separately installs the packed tarball into a scratch app (pack:smoke).
 */
export const packageAliases = [
  { find: /^convex-workflow\/convex\.config(\.js)?$/, replacement: src("component/convex.config.ts") },
  { find: /^convex-workflow\/test$/, replacement: src("test.ts") },
  { find: /^convex-workflow$/, replacement: src("client/index.ts") },
];

/** What every run on the embedded backend needs: Convex's runtime and convex-test inlined. */
export const convexTestOptions: { environment: "edge-runtime"; server: { deps: { inline: string[] } } } = {
  environment: "edge-runtime",
  server: { deps: { inline: ["convex-test"] } },
};
