// Environment variables of the deployment (`process.env` in Convex functions), read without
// referring to Node's global `process` by name: this package ships TypeScript sources (through
// `convex-workflow/test`) that apps type-check without Node's types (`@types/node`).

type ProcessLike = { env?: Record<string, string | undefined> };

/** An environment variable, or undefined (also where there is no `process`, as inside a replay's sandbox). */
export function deploymentEnv(name: string): string | undefined {
  return (globalThis as { process?: ProcessLike }).process?.env?.[name];
}
