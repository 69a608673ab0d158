/**
 * CORS from `ALLOWED_ORIGINS` only. Unset: no CORS headers, so browsers allow same-origin only.
 * `*` allows any origin but never with credentials (browsers refuse that pairing, rightly).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { DIALECT_HEADERS } from "../events/encode";
import type { AppEnv } from "./app-env";

/** What a cross-origin client may read: our ids, `Retry-After`, and every header a dialect sends. */
const EXPOSED = ["X-Session-Id", "X-Message-Id", "Retry-After", ...DIALECT_HEADERS];
const ALLOWED_HEADERS = ["Authorization", "X-API-Key", "Content-Type", "Last-Event-ID", "X-Session-Id", "X-User-Id"];

export function corsFromConfig(): MiddlewareHandler<AppEnv> {
  return async function corsFromConfig(c, next) {
    const origins = c.get("config").allowedOrigins;
    if (origins.length === 0) return next();
    const any = origins.includes("*");
    const handler = cors({
      origin: any ? "*" : origins,
      credentials: !any,
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      allowHeaders: ALLOWED_HEADERS,
      exposeHeaders: EXPOSED,
      maxAge: 600,
    });
    return handler(c, next);
  };
}
