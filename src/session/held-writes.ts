/**
 * A stored turn's first writes (its question, the empty reply, its log and state rows, the
 * schema of a new session), held back until the turn's model request has gone out.
 *
 * Why: a Durable Object's output gate holds every outgoing message — the model request among
 * them — until the writes made before it are durable. Written first, a turn put a whole commit
 * ahead of its request (most of what a stored turn added to the time to first token, and more
 * for a new session's schema). Held, the request leaves first and the commit overlaps the model's
 * own time to first token; every frame sent after the writes still waits for them at the gate, so
 * nobody is shown a reply whose question is not yet durable.
 *
 * The request leaves within the task that starts the turn (the SDK's steps before `fetch()` are
 * all microtasks), so the writes go in a timer of 0 ms, which runs after that task. Anything the
 * turn writes meanwhile (its `turn-start`) queues behind them; anything else it yields, or its
 * end, writes them at once first, so the order of the rows is the order of the turn.
 */
export class HeldWrites {
  private queue: (() => void)[] | null;
  private readonly timer: ReturnType<typeof setTimeout>;
  private resolve!: () => void;
  /** Resolves once the writes are made (not yet durable: the output gate sees to that). */
  readonly written = new Promise<void>((resolve) => (this.resolve = resolve));

  constructor(
    first: () => void,
    /** A write that throws: the turn cannot be stored, and the caller stops it. */
    private readonly onError: (err: unknown) => void,
  ) {
    this.queue = [first];
    this.timer = setTimeout(() => this.release(), 0);
  }

  /** Runs `write` after the held writes: now, if they are made. */
  run(write: () => void): void {
    if (this.queue) this.queue.push(write);
    else write();
  }

  /** Makes the held writes now (once). */
  release(): void {
    const queue = this.queue;
    if (!queue) return;
    this.queue = null;
    clearTimeout(this.timer);
    try {
      for (const write of queue) write();
    } catch (err) {
      this.onError(err);
    } finally {
      this.resolve();
    }
  }
}
