import { afterEach, describe, expect, test, vi } from "vitest";
import { bearerToken, bearerTokenAuth, constantTimeEqual } from "./auth.js";

const request = (headers: Record<string, string>) =>
  new Request("https://x.test/workflow/console/api/runs", { headers });
const ctx = {} as never;

describe("bearerTokenAuth", () => {
  afterEach(() => vi.unstubAllEnvs());

  test("lets in exactly the header's token, read from the variable on every request", async () => {
    const authorize = bearerTokenAuth("CONSOLE_TOKEN_T");
    vi.stubEnv("CONSOLE_TOKEN_T", "first-token-abcdef");
    expect(await authorize(ctx, request({ Authorization: "Bearer first-token-abcdef" }))).toBe(true);
    expect(await authorize(ctx, request({ Authorization: "bearer first-token-abcdef" }))).toBe(true);
    for (const header of [
      "Bearer first-token-abcde",
      "Bearer first-token-abcdefg",
      "Basic first-token-abcdef",
      "first-token-abcdef",
      "Bearer",
    ]) {
      expect(await authorize(ctx, request({ Authorization: header })), header).toBe(false);
    }
    expect(await authorize(ctx, request({ Cookie: "token=first-token-abcdef" }))).toBe(false);
    vi.stubEnv("CONSOLE_TOKEN_T", "rotated-token-123456");
    expect(await authorize(ctx, request({ Authorization: "Bearer first-token-abcdef" }))).toBe(false);
    expect(await authorize(ctx, request({ Authorization: "Bearer rotated-token-123456" }))).toBe(true);
  });

  test("fails closed while the variable is unset or empty", async () => {
    const authorize = bearerTokenAuth("CONSOLE_TOKEN_UNSET");
    expect(await authorize(ctx, request({ Authorization: "Bearer undefined" }))).toBe(false);
    vi.stubEnv("CONSOLE_TOKEN_UNSET", "");
    expect(await authorize(ctx, request({ Authorization: "Bearer " }))).toBe(false);
    expect(await authorize(ctx, request({}))).toBe(false);
  });

  test("names must look like environment variables", () => {
    for (const bad of ["", "has space", "1X", undefined])
      expect(() => bearerTokenAuth(bad as string)).toThrow(/CONSOLE_TOKEN/);
  });

  test("bearerToken and constantTimeEqual", async () => {
    expect(bearerToken(request({ Authorization: "Bearer  abc " }))).toBe("abc");
    expect(bearerToken(request({ Authorization: "Bearer a b" }))).toBeNull();
    expect(await constantTimeEqual("a", "a")).toBe(true);
    expect(await constantTimeEqual("a", "ab")).toBe(false);
    expect(await constantTimeEqual("", "")).toBe(true);
  });
});
