// The runs console (not in @convex-dev/workflow 0.4.8, so not in tsconfig.upstream.json):
// `registerConsole` needs `authorize`; `bearerTokenAuth` makes one.
import { httpRouter } from "convex/server";
import { bearerTokenAuth, type ConsoleAuthorize, registerConsole, type WorkflowComponent } from "convex-workflow";

declare const component: WorkflowComponent;

export function console() {
  const http = httpRouter();
  const authorize: ConsoleAuthorize = bearerTokenAuth("CONSOLE_TOKEN");
  registerConsole(http, component, { authorize });
  registerConsole(http, component, { authorize, pathPrefix: "/ops", cors: { origin: "https://ops.example.com" } });
  registerConsole(http, component, {
    authorize: async (_ctx, request) => request.headers.get("X-Ops") === "yes",
  });
  // @ts-expect-error authorize is required
  registerConsole(http, component, {});
  // @ts-expect-error options are required
  registerConsole(http, component);
  // @ts-expect-error authorize answers a Promise<boolean>
  registerConsole(http, component, { authorize: () => true });
  // @ts-expect-error cors takes one origin
  registerConsole(http, component, { authorize, cors: "*" });
}
