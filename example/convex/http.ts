// HTTP routes: workflow webhooks and the runs console.
//
//   POST /workflow/webhooks/<token>   a delivery to a `step.createWebhook` URL (registerWebhooks)
//   /workflow/console                 the runs console (registerConsole): a page and its JSON API
//
// The console shows and changes every workflow, so every request must carry the secret in
// CONSOLE_TOKEN as `Authorization: Bearer <token>`: set it with
// `npx convex env set CONSOLE_TOKEN <long random string>`. While it is unset, nobody gets in
// (401). See docs/console.md and docs/security.md.
import { httpRouter } from "convex/server";
import { bearerTokenAuth, registerConsole, registerWebhooks } from "convex-workflow";
import { components } from "./_generated/api.js";

const http = httpRouter();

// POST /workflow/webhooks/<token>: deliveries to `step.createWebhook` URLs (docs/webhooks.md).
registerWebhooks(http, components.workflow);

// /workflow/console: the runs console (docs/console.md).
registerConsole(http, components.workflow, { authorize: bearerTokenAuth("CONSOLE_TOKEN") });

export default http;
