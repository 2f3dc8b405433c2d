import { test } from "vitest";
import { generatePlan } from "./generator.js";
test("plan", () => {
  console.log(JSON.stringify(generatePlan(Number(process.env.S), (process.env.M ?? "executor") as "executor"), null, 1));
});
