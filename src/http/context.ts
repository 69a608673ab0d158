/** Middleware that puts the parsed config on the context; `auth` sets the owner. */
import type { MiddlewareHandler } from "hono";
import { ConfigError, configFor } from "../config";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** With auth off (no `API_KEYS`), every caller is this one owner. */
export const LOCAL_OWNER = "local";

/**
 * A bad setting fails every request the same way, naming each variable and what is wrong (never
 * its value), so an operator sees it on the first request rather than as a puzzle later. `/health`
 * answers 503 with the list, which is what a load balancer or a deploy check looks at.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    try {
      c.set("config", configFor(c.env));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (c.req.method === "GET" && c.req.path === "/health") {
        return c.json({ status: "misconfigured", problems: err.problems }, 503);
      }
      throw new ApiError("bad_configuration", `the server is misconfigured: ${err.message}`);
    }
    await next();
  };
}
