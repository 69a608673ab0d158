/** What middleware puts on the Hono context, declared once so `c.get("owner")` is typed everywhere. */
import type { Config } from "../config";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Whose conversations this request may touch. */
    owner: string;
    config: Config;
  };
}
