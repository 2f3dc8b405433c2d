import { v, type Validator, type ValidatorJSON } from "convex/values";
import { describe, expect, test } from "vitest";
import { checkValueAgainstValidatorJson } from "./validatorJson.js";

const check = (validator: Validator<any, any, any>, value: unknown) =>
  checkValueAgainstValidatorJson(value, (validator as unknown as { json: ValidatorJSON }).json);

describe("checkValueAgainstValidatorJson", () => {
  test("scalars", () => {
    expect(check(v.string(), "a")).toBeNull();
    expect(check(v.string(), 1)).toBe("value must be string, got number (an integer)");
    expect(check(v.number(), 1.5)).toBeNull();
    expect(check(v.float64(), "1")).toBe("value must be float64 (number), got string");
    expect(check(v.int64(), 1n)).toBeNull();
    expect(check(v.int64(), 1)).toBe("value must be int64 (bigint), got number (an integer)");
    expect(check(v.boolean(), false)).toBeNull();
    expect(check(v.boolean(), "true")).toBe("value must be boolean, got string");
    expect(check(v.null(), null)).toBeNull();
    expect(check(v.null(), undefined)).toBe("value must be null, got undefined");
    expect(check(v.any(), { x: [1] })).toBeNull();
    expect(check(v.bytes(), new ArrayBuffer(2))).toBeNull();
    expect(check(v.bytes(), "AAE=")).toBe("value must be bytes, got string");
    expect(check(v.id("users"), "abc")).toBeNull();
    expect(check(v.id("users"), 3)).toBe('value must be id of "users", got number (an integer)');
  });

  test("literals", () => {
    expect(check(v.literal("paid"), "paid")).toBeNull();
    expect(check(v.literal("paid"), "failed")).toBe('value must be "paid", got string');
    expect(check(v.literal(3), 3)).toBeNull();
    expect(check(v.literal(3n), 3n)).toBeNull();
    expect(check(v.literal(3n), 3)).toBe("value must be 3n, got number (an integer)");
    expect(check(v.literal(true), false)).toBe("value must be true, got boolean");
  });

  test("arrays name the index", () => {
    expect(check(v.array(v.number()), [1, 2])).toBeNull();
    expect(check(v.array(v.number()), [1, "2"])).toBe("value[1] must be float64 (number), got string");
    expect(check(v.array(v.number()), { 0: 1 })).toBe("value must be array of float64 (number), got object");
  });

  test("objects: required, optional and extra fields, nested paths", () => {
    const order = v.object({
      id: v.string(),
      note: v.optional(v.string()),
      items: v.array(v.object({ sku: v.string(), qty: v.number() })),
    });
    expect(check(order, { id: "o1", items: [] })).toBeNull();
    expect(check(order, { id: "o1", note: "x", items: [{ sku: "a", qty: 1 }] })).toBeNull();
    expect(check(order, { items: [] })).toBe("value.id is required (string)");
    expect(check(order, { id: "o1", items: [{ sku: "a", qty: "1" }] })).toBe(
      "value.items[0].qty must be float64 (number), got string",
    );
    expect(check(order, { id: "o1", items: [], extra: 1 })).toBe(
      "value.extra is not allowed: value must be object { id, note?, items }",
    );
    expect(check(v.object({ "a-b": v.string() }), { "a-b": 1 })).toBe(
      'value["a-b"] must be string, got number (an integer)',
    );
    expect(check(order, [])).toBe("value must be object { id, note?, items }, got array");
  });

  test("records check keys and values", () => {
    const scores = v.record(v.string(), v.number());
    expect(check(scores, { a: 1, b: 2 })).toBeNull();
    expect(check(scores, { a: "1" })).toBe("value.a must be float64 (number), got string");
    expect(check(scores, null)).toBe("value must be record of float64 (number), got null");
  });

  test("unions: any member matches; a single near miss explains itself", () => {
    const status = v.union(v.literal("ok"), v.literal("failed"));
    expect(check(status, "ok")).toBeNull();
    expect(check(status, "maybe")).toBe('value must be "ok" | "failed", got string');
    const result = v.union(v.object({ ok: v.literal(true), id: v.string() }), v.null());
    expect(check(result, null)).toBeNull();
    expect(check(result, { ok: true, id: "x" })).toBeNull();
    expect(check(result, { ok: true, id: 1 })).toBe("value.id must be string, got number (an integer)");
    expect(check(v.optional(v.string()), undefined)).toBe("value must be string, got undefined");
  });
});
