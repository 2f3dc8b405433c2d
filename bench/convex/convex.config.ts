// The bench app: both workflow components side by side, each with its own workpool.
import upstream from "@convex-dev/workflow/convex.config.js";
import workflow from "convex-workflow/convex.config.js";
import { defineApp } from "convex/server";

const app = defineApp();
app.use(workflow); // ours, as `workflow`
app.use(upstream, { name: "upstream" }); // @convex-dev/workflow 0.4.8

export default app;
