/**
 * Writes a turn's messages to the session's store: one row per message, the streaming reply
 * rewritten in its row without a storage write per token. Each write makes the next outgoing bytes
 * wait until it is durable (the output gate), which made a relay 5.7× slower (DESIGN.md); one
 * write once 20 deltas and 250 ms have gone by, or after a second at the latest, means a crash
 * loses at most that much. Both, not either: a fast model's burst of 2,000 tokens then costs a few
 * writes instead of a hundred, and a slow stream (or a busy machine) no more than one a second
 * (`npm run bench`; every write also costs the runtime a commit).
 */
import type { StoredMessage } from "../events/types";
import type { SessionStore } from "./store";
import type { TurnRecorder } from "./turn";

const FLUSH_AFTER_DELTAS = 20;
const FLUSH_AFTER_MS = 250;
const FLUSH_AT_MOST_MS = 1_000;

export class Transcript implements TurnRecorder {
  private streaming: { id: string; content: string; pending: number; lastFlush: number } | null = null;

  constructor(
    private readonly store: SessionStore,
    /** Persists whatever else must move with the reply (the session's sequence counter). */
    private readonly onFlush: () => void,
  ) {}

  text(messageId: string, text: string): void {
    if (this.streaming?.id !== messageId)
      this.streaming = { id: messageId, content: "", pending: 0, lastFlush: Date.now() };
    const s = this.streaming;
    s.content += text;
    s.pending++;
    const quiet = Date.now() - s.lastFlush;
    if ((s.pending >= FLUSH_AFTER_DELTAS && quiet >= FLUSH_AFTER_MS) || quiet >= FLUSH_AT_MOST_MS) {
      this.store.updateMessage(s.id, { content: s.content, status: "streaming" });
      this.onFlush();
      s.pending = 0;
      s.lastFlush = Date.now();
    }
  }

  begin(message: StoredMessage): void {
    this.store.insertMessage(message);
  }

  end(message: StoredMessage): void {
    this.store.updateMessage(message.id, {
      content: message.content,
      status: message.status,
      usage: message.usage,
      tool_calls: message.tool_calls,
    });
    this.onFlush();
    if (this.streaming?.id === message.id) this.streaming = null;
  }

  tool(message: StoredMessage): void {
    this.store.insertMessage(message);
  }
}
