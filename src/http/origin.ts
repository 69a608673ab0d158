/**
 * Refuses requests a browser sends on behalf of another site's page (cross-site request forgery):
 * with auth off, any page a user visits could otherwise make their browser start turns on this
 * server's upstream key. CORS only stops such a page from reading the answer, not the request
 * from arriving, so the origin is checked here. Clients that are not browsers send neither
 * header and pass; a front end on another origin must be listed in `ALLOWED_ORIGINS`.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { CALLBACK_PATH, CLIENT_METADATA_PATH } from "./oauth";

/**
 * What another site may still open: the page itself (a link to it), the health check, and the
 * OAuth pages: an authorization server sends the user back to the callback from its own site (the
 * callback is guarded by its single-use state instead), and fetches the client metadata document.
 */
const OPEN_TO_ALL = new Set([
  "GET /",
  "HEAD /",
  "GET /health",
  "HEAD /health",
  `GET ${CALLBACK_PATH}`,
  `GET ${CLIENT_METADATA_PATH}`,
]);

export function sameOriginOnly(): MiddlewareHandler<AppEnv> {
  return async function sameOriginOnly(c, next) {
    // Preflights are CORS's to answer.
    if (c.req.method === "OPTIONS" || OPEN_TO_ALL.has(`${c.req.method} ${c.req.path}`)) return next();
    const origin = c.req.header("origin");
    const foreign =
      origin !== undefined
        ? origin !== new URL(c.req.url).origin && !allowed(origin, c.get("config").allowedOrigins)
        : // Without an Origin (a plain GET from an <img>, say), the browser still says where it came from.
          c.req.header("sec-fetch-site") === "cross-site";
    if (foreign) {
      throw new ApiError(
        "cross_origin_refused",
        `requests from ${origin ? `origin ${origin}` : "another site"} are not allowed (ALLOWED_ORIGINS)`,
      );
    }
    await next();
  };
}

function allowed(origin: string, allowedOrigins: readonly string[]): boolean {
  return allowedOrigins.includes("*") || allowedOrigins.includes(origin);
}
