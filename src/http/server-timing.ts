/**
 * `Server-Timing` on every response: what edge-chat spent before the headers left (`edge`), so a
 * client or a browser's network panel sees the overhead of each request, a turn's included (its
 * headers leave once the session object has started it). Also notes when the request arrived, for
 * the turn's own metrics (see session/turn-metrics.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";

/** Milliseconds since the request reached the Worker. */
export function sinceArrival(c: Context<AppEnv>): number {
  const at = c.get("arrivedAt");
  return at === undefined ? 0 : performance.now() - at;
}

export function serverTiming(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("arrivedAt", performance.now());
    await next();
    const value = `edge;dur=${sinceArrival(c).toFixed(1)};desc="edge-chat before headers"`;
    try {
      c.res.headers.append("Server-Timing", value);
    } catch {
      // Headers of a response passed through as it came (an asset, say) cannot be changed: copy it.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.append("Server-Timing", value);
    }
  };
}
