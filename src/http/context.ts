/** Middleware that fills the typed context every route relies on. */
import type { MiddlewareHandler } from "hono";
import { ConfigError, configFor } from "../config";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** Until auth exists (a later issue), every caller is this one owner. */
export const LOCAL_OWNER = "local";

export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    try {
      c.set("config", configFor(c.env));
    } catch (err) {
      if (err instanceof ConfigError) throw new ApiError(500, "bad_configuration", err.message);
      throw err;
    }
    c.set("owner", LOCAL_OWNER);
    await next();
  };
}
