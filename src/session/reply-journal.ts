/**
 * Keeps the streaming reply's row current without a storage write per token: each write makes the
 * next outgoing bytes wait until it is durable (the output gate), which made a relay 5.7× slower
 * (DESIGN.md). One write per ~20 deltas or ~250 ms keeps a crash from losing more than that.
 */
import type { MessageStatus, Usage } from "../events/types";
import type { SessionStore } from "./store";

const FLUSH_EVERY_DELTAS = 20;
const FLUSH_EVERY_MS = 250;

export class ReplyJournal {
  private content = "";
  private pending = 0;
  private lastFlush = Date.now();

  constructor(
    private readonly store: SessionStore,
    private readonly messageId: string,
    /** Persists whatever else must move with the reply (the session's sequence counter). */
    private readonly onFlush: () => void,
  ) {}

  append(text: string): void {
    this.content += text;
    this.pending++;
    if (this.pending >= FLUSH_EVERY_DELTAS || Date.now() - this.lastFlush >= FLUSH_EVERY_MS) this.flush("streaming");
  }

  finish(status: MessageStatus, usage: Usage | null, content: string): void {
    this.content = content;
    this.flush(status, usage);
  }

  private flush(status: MessageStatus, usage?: Usage | null): void {
    this.store.updateMessage(this.messageId, { content: this.content, status, usage });
    this.onFlush();
    this.pending = 0;
    this.lastFlush = Date.now();
  }
}
