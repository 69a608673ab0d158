/**
 * Writes a turn's messages to the session's store, one row per message, from what the turn
 * yields: the streaming reply is rewritten in its row without a storage write per token. Each
 * write is a commit, and makes the next outgoing bytes wait until it is durable (the output gate),
 * so while text streams the reply is written once a second once 20 pieces have come (a stream
 * slower than that every 5 s), and when it ends; a crash loses at most that much. Bounded by the
 * pieces as well as the time because a busy machine streams each reply more slowly: by time alone
 * it then commits more often the busier it is (at 500 concurrent streams on one thread those
 * commits were most of the runtime's CPU, `npm run bench`). Text that stops coming (a model that
 * pauses) is written once it has been quiet half a second, so that what clients were sent is what
 * a turn continued after a restart goes on from (250 ms fired between the tokens of every reply on
 * a busy machine, the same feedback again; it stays well under an idle timeout). That is checked
 * by an interval of half a second, so quiet text is written within a second. A timeout re-armed
 * from its own callback each time it fired early (text still coming) did it to the half second,
 * but that `setTimeout` inside a timer callback cost the runtime far more than one set elsewhere:
 * 2.4 % of its CPU with 100 streams at once, 0.2 % as an interval (profiles, bench/profile.ts
 * with PROFILE_CONCURRENT=100 PROFILE_DELAY_MS=20).
 */
import type { StoredMessage } from "../events/types";
import type { SessionStore } from "./store";
import type { TurnOutput } from "./turn-output";

/** Text quiet this long is written. */
const QUIET_MS = 500;
/** While text streams it is written this often, once this many pieces have come since… */
const FLUSH_EVERY_MS = 1_000;
const FLUSH_MIN_PIECES = 20;
/** …and this often however few came. */
const FLUSH_AT_LATEST_MS = 5_000;

export class Transcript {
  /** The assistant message the turn's text goes to. */
  private replyId = "";
  private streaming: { id: string; content: string; pending: number; lastFlush: number } | null = null;
  private quietFlush: ReturnType<typeof setInterval> | undefined;
  /** When the last text came. */
  private lastText = 0;

  constructor(
    private readonly store: SessionStore,
    /**
     * The turn's first message: its rows are this one and those after it (known from the start,
     * also for a turn picked up after a restart, which yields no `turn-start`).
     */
    private readonly firstId: string,
    /** Persists whatever else must move with the reply (the event log, the sequence counter). */
    private readonly onFlush: () => void,
  ) {}

  /** Sees everything the turn yields, in order, before any event of it is published. */
  observe(out: TurnOutput): void {
    switch (out.type) {
      case "text-delta":
        this.text(out.text);
        break;
      case "turn-start":
        this.replyId = out.messageId;
        break;
      case "message-added":
        this.store.insertMessage(out.message);
        if (out.message.role === "assistant") this.replyId = out.message.id;
        break;
      case "message-resumed":
        this.replyId = out.message.id;
        this.streaming = { id: out.message.id, content: out.message.content, pending: 0, lastFlush: Date.now() };
        break;
      case "message-finished":
        this.end(out.message);
        break;
      case "turn-end":
        this.end(out.message);
        // A message that asked for tools stayed `streaming` while the turn ran; it ends with the
        // turn. A turn that pauses has done its earlier steps: only its last message waits.
        this.store.settleStreaming(
          out.message.status === "awaiting_approval" ? "complete" : out.message.status,
          this.firstId,
        );
        break;
    }
  }

  private text(text: string): void {
    if (this.streaming?.id !== this.replyId)
      this.streaming = { id: this.replyId, content: "", pending: 0, lastFlush: Date.now() };
    const s = this.streaming;
    s.content += text;
    s.pending++;
    this.lastText = Date.now();
    const since = this.lastText - s.lastFlush;
    if ((since >= FLUSH_EVERY_MS && s.pending >= FLUSH_MIN_PIECES) || since >= FLUSH_AT_LATEST_MS) this.flush(s);
    else this.quietFlush ??= setInterval(this.whenQuiet, QUIET_MS);
  }

  /** One interval while text is pending, not a timer per token nor one set from its own callback (see the top). */
  private readonly whenQuiet = (): void => {
    const s = this.streaming;
    if (s?.pending && Date.now() - this.lastText < QUIET_MS) return;
    this.stopQuietCheck();
    if (s?.pending) this.flush(s);
  };

  private stopQuietCheck(): void {
    clearInterval(this.quietFlush);
    this.quietFlush = undefined;
  }

  private flush(s: NonNullable<Transcript["streaming"]>): void {
    this.stopQuietCheck();
    this.store.updateMessage(s.id, { content: s.content, status: "streaming" });
    this.onFlush();
    s.pending = 0;
    s.lastFlush = Date.now();
  }

  private end(message: StoredMessage): void {
    this.stopQuietCheck();
    this.store.updateMessage(message.id, {
      content: message.content,
      status: message.status,
      usage: message.usage,
      tool_calls: message.tool_calls,
    });
    this.onFlush();
    if (this.streaming?.id === message.id) this.streaming = null;
  }
}
