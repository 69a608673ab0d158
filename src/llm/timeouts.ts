/**
 * An upstream that hangs must not hold a turn (and a connection) forever: a first-token timeout
 * and an idle-between-chunks timeout cancel the request and end the turn with `upstream_timeout`.
 */
import { UpstreamError } from "./errors";
import type { ChatProvider, ChatRequest, ProviderChunk } from "./provider";

export interface StreamTimeouts {
  firstTokenMs: number;
  idleMs: number;
}

export class TimedProvider implements ChatProvider {
  constructor(
    private readonly inner: ChatProvider,
    private readonly timeouts: StreamTimeouts,
  ) {}

  /**
   * Not a generator: each `next()` is the inner stream's, with the time of its chunk noted as it
   * resolves (one timer for the whole stream: a chunk only notes the time, and the timer, when it
   * fires early, waits out the rest; setting and clearing a timer per token was a CPU cost of its own).
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    const { firstTokenMs, idleMs } = this.timeouts;
    return {
      [Symbol.asyncIterator]: () => {
        const timer = new AbortController();
        let reason = "";
        let lastChunk = 0;
        const expire = (why: string) => {
          reason = why;
          timer.abort(new DOMException(why, "TimeoutError"));
        };
        const idle = () => {
          const quiet = Date.now() - lastChunk;
          if (quiet >= idleMs) expire(`the model provider went quiet for ${idleMs} ms mid-reply`);
          else pending = setTimeout(idle, idleMs - quiet);
        };
        let pending = setTimeout(() => expire(`the model provider sent nothing for ${firstTokenMs} ms`), firstTokenMs);
        const inner = this.inner.stream(request, AbortSignal.any([signal, timer.signal]))[Symbol.asyncIterator]();
        const timedOut = () => !signal.aborted && timer.signal.aborted;
        const chunk = (result: IteratorResult<ProviderChunk>): IteratorResult<ProviderChunk> => {
          if (result.done) {
            clearTimeout(pending);
            // The SDK ends an aborted stream quietly rather than throwing.
            if (timedOut()) throw new UpstreamError("upstream_timeout", reason);
            return result;
          }
          if (lastChunk === 0) {
            clearTimeout(pending);
            pending = setTimeout(idle, idleMs);
          }
          lastChunk = Date.now();
          return result;
        };
        const failed = (err: unknown): never => {
          clearTimeout(pending);
          if (timedOut()) throw new UpstreamError("upstream_timeout", reason);
          throw err;
        };
        return {
          next: () => inner.next().then(chunk, failed),
          return: async (value?: unknown) => {
            clearTimeout(pending);
            return (await inner.return?.(value)) ?? { done: true as const, value: undefined };
          },
        };
      },
    };
  }
}
