/**
 * A stored turn's first writes (its question, the empty reply, its log and state rows, the
 * schema of a new session), held back until the turn's model request has gone out — and in a
 * new session until the reply's first text has too.
 *
 * Why: a Durable Object's output gate holds every outgoing message — the model request and the
 * reply's frames among them — until the writes made before it are durable. Written first, a turn
 * put a whole commit ahead of its request. Made in a timer of 0 ms once the request has left
 * (the request is sent within the task that starts the turn), their commit overlaps the model's
 * own wait for its first token. A new session's first commit is larger (it creates the object's
 * database and tables) and outlasted a fast model's first token, which then waited for it: its
 * writes wait for the first text instead: 2.4 ms less to a new session's first token at 5 ms a
 * token, 7.6 ms less when the token comes at once (interleaved runs against the writes made after
 * the request). They follow it by `FIRST_TEXT_LEAD_MS`, not in the next task: a timer of 0 ms went
 * off while the first frame was still on its way through the RPC stream and the Worker (under
 * `wrangler dev`, the same thread), so the schema and the first writes, about a millisecond, ran
 * ahead of it (at 10 ms: a new session's first token 0.96 ms sooner in the native dialect and
 * 0.75 ms in the OpenAI one, 250 interleaved rounds against 0 ms; the one try of it before, two
 * section runs one after the other, showed nothing the spread between runs did not cover). A model
 * slower to its first text than `AT_LATEST_MS` gets them then.
 *
 * Every frame after the writes waits for them at the gate, and so does the turn's end: nobody is
 * told a reply is complete before its question is durable. In a used session the starter's
 * answer (the stream's headers) waits for them too: answered at once, the Worker's handling of
 * it ran on the same thread before the writes and pushed their commit past a fast model's first
 * token (1.5 ms more to it). A crash before the commit loses the
 * turn's start as it would a turn that had not begun; its client sees the stream cut.
 *
 * Anything the turn writes meanwhile (its events, its text) queues behind them; anything else it
 * yields (a tool call, an error, its end) makes them at once first, so the order of the rows is
 * the order of the turn.
 */
const AT_LATEST_MS = 20;
/** How long a new session's first writes follow its first text: long enough for it to have left. */
const FIRST_TEXT_LEAD_MS = 10;

/** When the writes are made at the latest, unless the turn yields something first. */
export type HoldUntil = "after-request" | "after-first-text";

export class HeldWrites {
  private queue: (() => void)[] | null;
  private timer: ReturnType<typeof setTimeout>;
  private soon = false;
  private resolve!: () => void;
  /** Resolves once the writes are made (not yet durable: the output gate sees to that). */
  readonly written = new Promise<void>((resolve) => (this.resolve = resolve));

  constructor(
    first: () => void,
    /** A write that throws: the turn cannot be stored, and the caller stops it. */
    private readonly onError: (err: unknown) => void,
    until: HoldUntil = "after-request",
  ) {
    this.queue = [first];
    this.timer = setTimeout(() => this.release(), until === "after-request" ? 0 : AT_LATEST_MS);
  }

  /** Runs `write` after the held writes: now, if they are made. */
  run(write: () => void): void {
    if (this.queue) this.queue.push(write);
    else write();
  }

  /** The reply's first text is going out: the writes follow it once it has left (see above). */
  afterFirstText(): void {
    if (!this.queue || this.soon) return;
    this.soon = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.release(), FIRST_TEXT_LEAD_MS);
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
