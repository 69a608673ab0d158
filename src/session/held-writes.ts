/**
 * A stored turn's first writes (its question, the empty reply, its log and state rows, the
 * schema of a new session), held back while the turn streams text: made once it yields anything
 * else (a tool call, an error, its end), once anything reads the session's tables, or a flush
 * interval after the turn began, whichever comes first. The turn's own writes (its text, its
 * events) queue behind them, so the order of the rows is the order of the turn.
 *
 * Why: a Durable Object's output gate holds every outgoing message (the model request, the
 * reply's frames, the starter's answer) until the writes made before it are durable, and a
 * commit is work on the object's thread. Made before the first token, they delayed it. Made just
 * after the model request had gone (as used sessions' were) or just after the first text (as new
 * sessions' were), they still ran before the first token of every other turn that had started
 * meanwhile: N turns that start together on one thread each wait for all N starts, and those
 * writes were part of each start (200 concurrent streams, first-token p99 1.6 × the floor relay's
 * with them there, 1.3 × held like this, interleaved runs; bench/README "Performance"). A short
 * reply now makes its first writes and its end in one commit instead of two.
 *
 * What a crash can lose stays what the transcript's flush interval allows (transcript.ts): a turn
 * cut within its first second loses its start as it would a turn that had not begun, and its
 * client sees the stream cut. Nobody is told a reply is complete before its question is durable:
 * the end makes these writes first, and the output gate holds the end until they are.
 */
import { FLUSH_EVERY_MS } from "./transcript";

export class HeldWrites {
  private queue: (() => void)[] | null;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    first: () => void,
    /** A write that throws: the turn cannot be stored, and the caller stops it. */
    private readonly onError: (err: unknown) => void,
  ) {
    this.queue = [first];
    this.timer = setTimeout(() => this.release(), FLUSH_EVERY_MS);
  }

  /** Runs `write` after the held writes: now, if they are made. */
  run(write: () => void): void {
    if (this.queue) this.queue.push(write);
    else write();
  }

  /** Makes the held writes now (once), and whatever queued behind them. */
  release(): void {
    const queue = this.queue;
    if (!queue) return;
    this.queue = null;
    clearTimeout(this.timer);
    try {
      for (const write of queue) write();
    } catch (err) {
      this.onError(err);
    }
  }
}
