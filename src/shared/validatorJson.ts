// Checking a value against a Convex validator in its JSON form (`validator.json`), where only
// that form is at hand: the component checks a webhook's delivered value with the validator
// the workflow gave `step.createWebhook`, before anything is written.
import { jsonToConvex, type Value, type ValidatorJSON } from "convex/values";

/** Where a value is inside the delivered value: `value`, `value.items[2].name`. */
function at(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "array";
  if (value instanceof ArrayBuffer) return "bytes";
  if (typeof value === "number") return Number.isInteger(value) ? "number (an integer)" : "number";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** What a validator accepts, in words: `string`, `{ a, b? }`, `"x" | "y"`. */
export function describeValidatorJson(json: ValidatorJSON): string {
  switch (json.type) {
    case "number":
      return "float64 (number)";
    case "bigint":
      return "int64 (bigint)";
    case "literal": {
      const literal = jsonToConvex(json.value);
      return typeof literal === "bigint" ? `${literal}n` : JSON.stringify(literal);
    }
    case "id":
      return `id of "${json.tableName}"`;
    case "array":
      return `array of ${describeValidatorJson(json.value)}`;
    case "record":
      return `record of ${describeValidatorJson(json.values.fieldType)}`;
    case "object": {
      const fields = Object.entries(json.value).map(([k, f]) => (f.optional ? `${k}?` : k));
      return `object { ${fields.join(", ")} }`;
    }
    case "union":
      return json.value.map(describeValidatorJson).join(" | ");
    default:
      return json.type;
  }
}

function isPlainObject(value: unknown): value is Record<string, Value> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof ArrayBuffer);
}

/**
 * Check `value` against the validator `json`. Returns null if it matches, else a message
 * naming where the mismatch is and what was expected there, e.g.
 * `value.items[2].qty must be float64 (number), got string`.
 * Ids are checked to be strings (their table cannot be checked from here).
 */
export function checkValueAgainstValidatorJson(value: unknown, json: ValidatorJSON, path = "value"): string | null {
  const mismatch = () => `${path} must be ${describeValidatorJson(json)}, got ${describeType(value)}`;
  switch (json.type) {
    case "any":
      return value === undefined ? mismatch() : null;
    case "null":
      return value === null ? null : mismatch();
    case "string":
    case "id":
      return typeof value === "string" ? null : mismatch();
    case "number":
      return typeof value === "number" ? null : mismatch();
    case "bigint":
      return typeof value === "bigint" ? null : mismatch();
    case "boolean":
      return typeof value === "boolean" ? null : mismatch();
    case "bytes":
      return value instanceof ArrayBuffer ? null : mismatch();
    case "literal": {
      const literal = jsonToConvex(json.value);
      return value === literal ? null : mismatch();
    }
    case "array": {
      if (!Array.isArray(value)) return mismatch();
      for (let i = 0; i < value.length; i++) {
        const error = checkValueAgainstValidatorJson(value[i], json.value, at(path, i));
        if (error) return error;
      }
      return null;
    }
    case "object": {
      if (!isPlainObject(value)) return mismatch();
      for (const [key, field] of Object.entries(json.value)) {
        if (value[key] === undefined) {
          if (field.optional) continue;
          return `${at(path, key)} is required (${describeValidatorJson(field.fieldType)})`;
        }
        const error = checkValueAgainstValidatorJson(value[key], field.fieldType, at(path, key));
        if (error) return error;
      }
      for (const key of Object.keys(value)) {
        if (!(key in json.value) && value[key] !== undefined) {
          return `${at(path, key)} is not allowed: ${path} must be ${describeValidatorJson(json)}`;
        }
      }
      return null;
    }
    case "record": {
      if (!isPlainObject(value)) return mismatch();
      for (const [key, item] of Object.entries(value)) {
        const keyError = checkValueAgainstValidatorJson(key, json.keys, `key ${JSON.stringify(key)} of ${path}`);
        if (keyError) return keyError;
        const error = checkValueAgainstValidatorJson(item, json.values.fieldType, at(path, key));
        if (error) return error;
      }
      return null;
    }
    case "union": {
      if (json.value.some((member) => checkValueAgainstValidatorJson(value, member, path) === null)) return null;
      // One member of the right kind explains itself better than the whole union.
      const errors = json.value.map((member) => checkValueAgainstValidatorJson(value, member, path)!);
      const deeper = errors.filter((e) => !e.startsWith(`${path} must be`));
      return deeper.length === 1 ? deeper[0] : mismatch();
    }
    default:
      return `${path} cannot be checked: unknown validator type "${(json as { type: string }).type}"`;
  }
}
