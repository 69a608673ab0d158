/**
 * The one error path: every failure becomes `{"error":{"message","type","code","param"}}` with
 * the status and type its code has in the error table (src/errors.ts), rendered by `onError`.
 * After SSE headers are sent, errors are stream events instead.
 */
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERRORS, type ErrorCode } from "../errors";
import { logError } from "../lib/log";
import type { AppEnv, ErrorBodyShape } from "./app-env";

export interface ApiErrorOptions {
  /** The request field to blame, named as the caller wrote it. */
  param?: string;
  headers?: Record<string, string>;
  /** Seconds a caller should wait before trying again (a 429 or 503): sent as `Retry-After`. */
  retryAfter?: number;
}

export class ApiError extends Error {
  readonly param?: string;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.param = options.param;
    this.headers = { ...options.headers };
    if (options.retryAfter !== undefined) this.headers["Retry-After"] = String(Math.ceil(options.retryAfter));
  }

  get status(): ContentfulStatusCode {
    return ERRORS[this.code].status;
  }
}

/** OpenAI's shape, which its SDKs read: `param` is always present, null when no field is to blame. */
export const errorBody: ErrorBodyShape = (code, message, param) => ({
  error: { message, type: ERRORS[code].type, code, param },
});

export function errorResponse(c: Context<AppEnv>, err: ApiError): Response {
  const shape = c.get("errorBody") ?? errorBody;
  return c.json(shape(err.code, err.message, err.param ?? null), err.status, err.headers);
}

/** Routes whose clients read errors in `shape` (set before the route runs, so every failure uses it). */
export function errorShape(shape: ErrorBodyShape): MiddlewareHandler<AppEnv> {
  return async function errorShape(c, next) {
    c.set("errorBody", shape);
    await next();
  };
}

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    return errorResponse(
      c,
      new ApiError(err.status === 413 ? "body_too_large" : "http_error", err.message || "request failed"),
    );
  }
  // Ours, not the caller's: log the kind, answer without details (they could carry secrets).
  logError("unhandled error", err);
  return errorResponse(c, new ApiError("internal_error", "internal server error"));
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new ApiError("route_not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
