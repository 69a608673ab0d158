/** Small async helpers for the MCP layer: a concurrency limit, timeouts, abortable waits. */
import { abortError, McpTimeoutError } from "./errors";

/** Runs at most `max` tasks at once; the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Settles like `promise`, or rejects with `McpTimeoutError` after `ms`, or with the abort reason. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(abortError(signal!)));
    const timer = setTimeout(() => finish(() => reject(new McpTimeoutError(what, ms))), ms);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => finish(() => resolve(value)),
      (err) => finish(() => reject(err)),
    );
  });
}

/**
 * Runs `request` with a signal of its own that follows `sources` (a turn's abort, the pool's
 * lifetime) only until the request settles. The SDK turns an abort of a request's signal into a
 * `notifications/cancelled`, and never removes its listener: a long-lived signal passed as is
 * would cancel, when it fires, every request that already finished.
 */
export async function withRequestSignal<T>(
  sources: Array<AbortSignal | undefined>,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const linked = sources.filter((s): s is AbortSignal => s !== undefined);
  const follow = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const source of linked) {
    if (source.aborted) controller.abort(source.reason);
    else source.addEventListener("abort", follow, { once: true });
  }
  try {
    return await request(controller.signal);
  } finally {
    for (const source of linked) source.removeEventListener("abort", follow);
  }
}

/** A time limit that can be paused (while a person answers a server's question) and resumed. */
export class Deadline {
  private left: number;
  private since = Date.now();
  private paused = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private expire?: () => void;

  constructor(ms: number) {
    this.left = ms;
  }

  /** What is left, at least 1 ms. */
  remaining(): number {
    return Math.max(1, this.paused > 0 ? this.left : this.left - (Date.now() - this.since));
  }

  get expired(): boolean {
    return this.paused === 0 && this.left - (Date.now() - this.since) <= 0;
  }

  /** Calls `expire` when the time is up (not counting paused time); one callback at a time. */
  arm(expire: () => void): void {
    this.expire = expire;
    this.schedule();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.expire = undefined;
  }

  /** Stops the clock until the matching `resume`; pauses nest. */
  pause(): void {
    if (this.paused++ > 0) return;
    this.left -= Date.now() - this.since;
    clearTimeout(this.timer);
  }

  resume(): void {
    if (--this.paused > 0) return;
    this.since = Date.now();
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.expire || this.paused > 0) return;
    const expire = this.expire;
    this.timer = setTimeout(expire, Math.max(0, this.left - (Date.now() - this.since)));
  }
}
