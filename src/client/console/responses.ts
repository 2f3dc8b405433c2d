// Every answer the console gives: JSON (data or `{ error }`) or its page, never cached, and
// with CORS headers only when the app configured `cors`.

/** Headers on every response. */
export const PRIVATE_HEADERS: Record<string, string> = {
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
};

export type ResponseHeaders = Record<string, string>;

export function jsonResponse(status: number, body: unknown, extra: ResponseHeaders = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...PRIVATE_HEADERS, "Content-Type": "application/json; charset=utf-8", ...extra },
  });
}

/** `{ "error": message }` with a 4xx status; 401 also says how to authenticate. */
export function errorResponse(status: number, message: string, extra: ResponseHeaders = {}): Response {
  const challenge: ResponseHeaders = status === 401 ? { "WWW-Authenticate": 'Bearer realm="workflow console"' } : {};
  return jsonResponse(status, { error: message }, { ...challenge, ...extra });
}

/** The page: its script runs only with this response's nonce; it may talk only to its own origin. */
export function htmlResponse(status: number, html: string, nonce: string, extra: ResponseHeaders = {}): Response {
  return new Response(html, {
    status,
    headers: {
      ...PRIVATE_HEADERS,
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy":
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; ` +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      ...extra,
    },
  });
}

/** A fresh nonce for one page response. */
export function makeNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) => (c === "+" ? "-" : c === "/" ? "_" : ""));
}
