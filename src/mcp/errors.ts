/**
 * Sorting the MCP SDK's failures: which ones are worth another attempt, which are timeouts, and
 * what to say about them. The SDK signals HTTP failures with a `code` (the status) on its transport
 * errors, protocol failures with `McpError`, and network failures with whatever `fetch` throws.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";

/** A timeout we enforce ourselves (connect, list); calls use the SDK's own request timeout. */
export class McpTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} timed out after ${ms} ms`);
    this.name = "McpTimeoutError";
  }
}

/** The HTTP status carried by the SDK's `StreamableHTTPError`/`SseError`, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof McpError || !(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" && code >= 100 && code < 600 ? code : undefined;
}

/** The SDK's own request timeout (it reports an abort the same way; check the signal first). */
export function isSdkTimeout(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.RequestTimeout;
}

function isConnectionClosed(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.ConnectionClosed && /connection closed/i.test(err.message);
}

/**
 * True for failures another attempt may cure: the network (fetch's network error, an SSE stream that
 * failed before any status), a 5xx/408/429, or a connection that closed under us. Timeouts and aborts
 * never are. (A 404 is a wrong URL when connecting, but a forgotten session during a call: the pool
 * decides that one.)
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof McpTimeoutError || isSdkTimeout(err)) return false;
  if (err instanceof DOMException && (err.name === "AbortError" || err.name === "TimeoutError")) return false;
  if (isConnectionClosed(err)) return true;
  // workerd's fetch rejects with a plain `Error: Network connection lost.` marked `retryable`;
  // Node's and browsers' fetch reject with a `TypeError`.
  if ((err as { retryable?: unknown } | null)?.retryable === true) return true;
  if (err instanceof TypeError && /fetch failed|failed to fetch|network|terminated/i.test(err.message)) return true;
  const status = httpStatusOf(err);
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  // `SseError` with no status: the event stream failed at the network level.
  return err instanceof Error && err.message.startsWith("SSE error") && (err as { code?: unknown }).code === undefined;
}

/** One line about `err` for people and the model (scrub it before showing it). */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error && err.cause.message !== err.message ? ` (${err.cause.message})` : "";
    return `${err.message || err.name}${cause}`;
  }
  return String(err);
}

/** What to throw when `signal` has fired: its reason, or a standard AbortError. */
export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}
