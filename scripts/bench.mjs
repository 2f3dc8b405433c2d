#!/usr/bin/env node
// `npm run bench [-- --scale] [-- --update] [vitest args]`: vitest refuses options it does not
// know, so `--scale` becomes BENCH_SCALE=1 here (vitest.bench.config.ts reads it).
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const env = { ...process.env };
const i = args.indexOf("--scale");
if (i >= 0) {
  args.splice(i, 1);
  env.BENCH_SCALE = "1";
}
const result = spawnSync("npx", ["vitest", "run", "--config", "vitest.bench.config.ts", ...args], {
  stdio: "inherit",
  env,
});
process.exit(result.status ?? 1);
