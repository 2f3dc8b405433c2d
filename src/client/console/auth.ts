// Who may use the console: `authorize(ctx, request)` decides every request (registerConsole
// refuses to mount without it). `bearerTokenAuth(envVarName)` is the ready-made check: the
// request's `Authorization: Bearer <token>` must equal the environment variable, compared in
// constant time; an unset or empty variable lets nobody in.
import type { GenericActionCtx, GenericDataModel } from "convex/server";
import { deploymentEnv } from "../deploymentEnv.js";

/** Decides whether a request may be served. Return false (or throw) to answer 401. */
export type ConsoleAuthorize = (ctx: GenericActionCtx<GenericDataModel>, request: Request) => Promise<boolean>;

/** The token of an `Authorization: Bearer <token>` header, or null. Never a cookie or the URL. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("Authorization");
  const token = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i)?.[1];
  return token && token.length > 0 ? token : null;
}

/**
 * Compares SHA-256 digests of the two strings over all their bytes, so the time taken says
 * nothing about how much of the token was right, or about its length.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * `authorize` for registerConsole: the request must carry `Authorization: Bearer <token>`
 * with the value of the environment variable `envVarName` (set it with
 * `npx convex env set <NAME> <long random string>`). Read on every request, so setting or
 * rotating it takes effect at once; while it is unset or empty, every request gets 401.
 */
export function bearerTokenAuth(envVarName: string): ConsoleAuthorize {
  if (typeof envVarName !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(envVarName)) {
    throw new Error(
      `bearerTokenAuth: the environment variable's name must be like "CONSOLE_TOKEN", got ${String(envVarName)}`,
    );
  }
  return async (_ctx, request) => {
    const expected = deploymentEnv(envVarName);
    if (!expected) return false;
    const given = bearerToken(request);
    if (given === null) return false;
    return await constantTimeEqual(given, expected);
  };
}
