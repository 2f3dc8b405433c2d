// Serves a convex-test backend's HTTP routes (the app's convex/http.ts: the runs console,
// webhooks) on a local port: each request is handed to `t.fetch`. Used by `npm run demo`
// (it prints the console's URL) and example/viz/console.browser.test.ts.
import http from "node:http";
import type { AddressInfo } from "node:net";

type Fetcher = { fetch(pathQueryFragment: string, init?: RequestInit): Promise<Response> };

export async function serveRoutes(t: Fetcher): Promise<{ base: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      t.fetch(req.url ?? "/", { method: req.method, headers, body })
        .then(async (r) => {
          const out: Record<string, string> = {};
          r.headers.forEach((value, key) => (out[key] = value));
          res.writeHead(r.status, out);
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
