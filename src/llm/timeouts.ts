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

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    const { firstTokenMs, idleMs } = this.timeouts;
    const timer = new AbortController();
    let reason = "";
    // One timer, not one per chunk: a chunk only notes the time, and the timer, when it fires
    // early, waits out the rest (setting and clearing a timer per token was a CPU cost of its own).
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
    try {
      for await (const chunk of this.inner.stream(request, AbortSignal.any([signal, timer.signal]))) {
        if (lastChunk === 0) {
          clearTimeout(pending);
          pending = setTimeout(idle, idleMs);
        }
        lastChunk = Date.now();
        yield chunk;
      }
      // The SDK ends an aborted stream quietly rather than throwing.
      if (!signal.aborted && timer.signal.aborted) throw new UpstreamError("upstream_timeout", reason);
    } catch (err) {
      if (!signal.aborted && timer.signal.aborted) throw new UpstreamError("upstream_timeout", reason);
      throw err;
    } finally {
      clearTimeout(pending);
    }
  }
}
