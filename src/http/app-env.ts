/** What middleware puts on the Hono context, declared once so `c.get("owner")` is typed everywhere. */
import type { ApiKey, Config } from "../config";
import type { ErrorCode } from "../errors";

/** How an API family shapes its error bodies (the one error path renders them with it). */
export type ErrorBodyShape = (code: ErrorCode, message: string, param: string | null) => Record<string, unknown>;

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Whose conversations this request may touch. */
    owner: string;
    /** The key the request came with (none with auth off, or with a `?token=`). */
    apiKey?: ApiKey;
    config: Config;
    /** Set by routes whose clients read another error shape than OpenAI's. */
    errorBody?: ErrorBodyShape;
    /** `performance.now()` when the request reached the Worker (server-timing.ts). */
    arrivedAt?: number;
  };
}
