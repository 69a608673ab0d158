/**
 * A small error tree for upstream failures, picked from the status like openai-node's
 * `APIError.generate()`. Messages are our own words: an upstream body can echo part of the key.
 */
export type UpstreamErrorCode =
  | "upstream_auth"
  | "upstream_rate_limited"
  | "upstream_bad_request"
  | "upstream_unavailable"
  | "upstream_unreachable"
  | "upstream_timeout"
  | "upstream_protocol";

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    /** The HTTP status we answer with when nothing has been streamed yet. */
    readonly status: 400 | 401 | 429 | 502 | 504,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

export function upstreamErrorFromStatus(status: number, retryAfter?: string | null): UpstreamError {
  const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status === 401 || status === 403)
    return new UpstreamError("upstream_auth", `the model provider refused our credentials (HTTP ${status})`, 502);
  if (status === 429)
    return new UpstreamError(
      "upstream_rate_limited",
      "the model provider is rate limiting requests (HTTP 429)",
      429,
      seconds,
    );
  if (status === 400 || status === 404 || status === 422)
    return new UpstreamError("upstream_bad_request", `the model provider rejected the request (HTTP ${status})`, 502);
  if (status === 408 || status === 504)
    return new UpstreamError("upstream_timeout", `the model provider timed out (HTTP ${status})`, 504);
  return new UpstreamError("upstream_unavailable", `the model provider failed (HTTP ${status})`, 502);
}

/** The HTTP status of a turn that failed before it produced anything, from its error code. */
export function failureStatus(code: string): 429 | 502 | 504 {
  return code === "upstream_timeout" || code === "turn_timeout" ? 504 : code === "upstream_rate_limited" ? 429 : 502;
}
