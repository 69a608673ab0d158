/**
 * A small error tree for upstream failures, picked from the status like openai-node's
 * `APIError.generate()`. Messages are our own words: an upstream body can echo part of the key.
 * Statuses and sentences live with the codes in the error table (src/errors.ts).
 */
import type { ErrorCode } from "../errors";

export type UpstreamErrorCode = Extract<ErrorCode, `upstream_${string}`>;

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    /** The upstream's `Retry-After`, passed on to our own 429/503 answers. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

export function upstreamErrorFromStatus(status: number, retryAfter?: string | null): UpstreamError {
  const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status >= 300 && status < 400)
    return new UpstreamError(
      "upstream_redirect",
      `the model provider answered with a redirect (HTTP ${status}), which is not followed`,
    );
  if (status === 401 || status === 403)
    return new UpstreamError("upstream_auth", `the model provider refused our credentials (HTTP ${status})`);
  if (status === 429)
    return new UpstreamError(
      "upstream_rate_limited",
      "the model provider is rate limiting requests (HTTP 429)",
      seconds,
    );
  if (status === 400 || status === 404 || status === 422)
    return new UpstreamError("upstream_bad_request", `the model provider rejected the request (HTTP ${status})`);
  if (status === 408 || status === 504)
    return new UpstreamError("upstream_timeout", `the model provider timed out (HTTP ${status})`);
  if (status === 503 || status === 529)
    return new UpstreamError("upstream_overloaded", `the model provider is overloaded (HTTP ${status})`, seconds);
  return new UpstreamError("upstream_unavailable", `the model provider failed (HTTP ${status})`);
}
