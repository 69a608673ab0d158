/** Middleware that puts the parsed config on the context; `auth` sets the owner. */
import type { MiddlewareHandler } from "hono";
import { ConfigError, configFor } from "../config";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** With auth off (no `API_KEYS`), every caller is this one owner. */
export const LOCAL_OWNER = "local";

export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    try {
      c.set("config", configFor(c.env));
    } catch (err) {
      if (err instanceof ConfigError) throw new ApiError(500, "bad_configuration", err.message);
      throw err;
    }
    await next();
  };
}
