import { expect, test } from "vitest";
import { escapeHtml, jsonForScript } from "./escape.js";

test("escapeHtml leaves no markup or attribute breakout", () => {
  expect(escapeHtml(`<script>"x"&'y'</script>\``)).toBe(
    "&#60;script&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/script&#62;&#96;",
  );
});

test("jsonForScript cannot close its script element and parses back", () => {
  const value = { s: "</script><script>alert(1)</script>", t: "a\u2028b&c<!--" };
  const text = jsonForScript(value);
  expect(text).not.toMatch(/[<>&\u2028]/);
  expect(JSON.parse(text)).toEqual(value);
});
