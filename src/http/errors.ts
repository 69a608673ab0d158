/**
 * The one error path: every failure becomes `{"error":{"message","type","code","param"}}` with
 * its status, rendered by `onError`. After SSE headers are sent, errors are stream events instead.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { logError } from "../lib/log";

const TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  409: "conflict_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
  500: "server_error",
  502: "upstream_error",
  503: "server_error",
  504: "upstream_error",
};

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorBody(status: number, code: string, message: string, param?: string) {
  // `param` is always present, null when no field is to blame: OpenAI's shape, which its SDKs read.
  return { error: { message, type: TYPES[status] ?? "error", code, param: param ?? null } };
}

export function errorResponse(c: Context, err: ApiError): Response {
  return c.json(errorBody(err.status, err.code, err.message, err.param), err.status, err.headers);
}

export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorResponse(
      c,
      new ApiError(status, status === 413 ? "body_too_large" : "http_error", err.message || "request failed"),
    );
  }
  // Ours, not the caller's: log the kind, answer without details (they could carry secrets).
  logError("unhandled error", err);
  return errorResponse(c, new ApiError(500, "internal_error", "internal server error"));
};

export const notFound: NotFoundHandler = (c) =>
  errorResponse(c, new ApiError(404, "route_not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
