/**
 * Retries an upstream that failed before its first token: 429, 5xx or no connection. Bounded,
 * with exponential backoff and jitter, honouring `Retry-After` when it is short enough to wait
 * for. Once a token went out nothing is retried: the user has seen it.
 */

import { sleep } from "../lib/sleep";
import { UpstreamError, type UpstreamErrorCode } from "./errors";
import type { ChatProvider, ChatRequest, ProviderChunk } from "./provider";

const RETRIABLE = new Set<UpstreamErrorCode>([
  "upstream_rate_limited",
  "upstream_unavailable",
  "upstream_overloaded",
  "upstream_unreachable",
]);

export interface RetryOptions {
  retries: number;
  /** First backoff; doubles each attempt. */
  baseMs?: number;
  /** A longer wait (backoff or Retry-After) is not worth holding the user for: fail instead. */
  maxWaitMs?: number;
}

/** The wait before retry `attempt` (0-based), or null when it would be longer than `maxWaitMs`. */
export function retryDelay(
  attempt: number,
  retryAfterSeconds: number | undefined,
  baseMs: number,
  maxWaitMs: number,
  random = Math.random,
): number | null {
  if (retryAfterSeconds !== undefined) {
    const ms = retryAfterSeconds * 1000;
    return ms <= maxWaitMs ? ms : null;
  }
  const exp = baseMs * 2 ** attempt;
  // Full jitter on the upper half: retries from many sessions do not arrive in lockstep.
  return Math.min(maxWaitMs, exp / 2 + random() * (exp / 2));
}

export class RetryingProvider implements ChatProvider {
  constructor(
    private readonly inner: ChatProvider,
    private readonly options: RetryOptions,
  ) {}

  /**
   * Not a generator: once the first chunk is in, `next()` is the inner stream's own (no hop of
   * this layer on the token path); before it, each attempt is made and waited for here.
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    const { retries, baseMs = 250, maxWaitMs = 8000 } = this.options;
    return {
      [Symbol.asyncIterator]: () => {
        let current: AsyncIterator<ProviderChunk> | undefined;
        let started = false;
        const first = async (): Promise<IteratorResult<ProviderChunk>> => {
          for (let attempt = 0; ; attempt++) {
            current = this.inner.stream(request, signal)[Symbol.asyncIterator]();
            try {
              const result = await current.next();
              started = true;
              return result;
            } catch (err) {
              if (signal.aborted || attempt >= retries || !(err instanceof UpstreamError) || !RETRIABLE.has(err.code))
                throw err;
              const wait = retryDelay(attempt, err.retryAfterSeconds, baseMs, maxWaitMs);
              if (wait === null) throw err;
              await sleep(wait, signal);
            }
          }
        };
        return {
          next: () => (started ? current!.next() : first()),
          return: async (value?: unknown) =>
            (await current?.return?.(value)) ?? { done: true as const, value: undefined },
        };
      },
    };
  }
}
