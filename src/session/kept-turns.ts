/**
 * Kept turns (schema 4): an `append` turn that was stored can be asked about later by its first
 * reply message's id — a Responses API response is one. Its rows are the messages after
 * `afterIdx` up to `lastIdx`: the caller's input, then the reply.
 */
import type { FinishReason } from "../events/types";

export interface KeptTurn {
  messageId: string;
  afterIdx: number;
  lastIdx: number | null;
  finishReason: FinishReason | null;
  echo: Record<string, unknown>;
  createdAt: string;
}

type Row = Record<string, SqlStorageValue>;

export class KeptTurns {
  constructor(private readonly sql: SqlStorage) {}

  keep(turn: Pick<KeptTurn, "messageId" | "afterIdx" | "echo" | "createdAt">): void {
    this.sql.exec(
      "INSERT INTO kept_turns (message_id, after_idx, echo, created_at) VALUES (?, ?, ?, ?)",
      turn.messageId,
      turn.afterIdx,
      JSON.stringify(turn.echo),
      turn.createdAt,
    );
  }

  /** The turn ended with `lastMessageId` as its last row. */
  finish(messageId: string, lastMessageId: string, finishReason: FinishReason): void {
    this.sql.exec(
      "UPDATE kept_turns SET last_idx = (SELECT idx FROM messages WHERE id = ?), finish_reason = ? WHERE message_id = ?",
      lastMessageId,
      finishReason,
      messageId,
    );
  }

  /** The kept turn, while its reply is stored: clearing a conversation's messages forgets it too. */
  get(messageId: string): KeptTurn | null {
    const r = this.sql
      .exec<Row>(
        "SELECT k.* FROM kept_turns k JOIN messages m ON m.id = k.message_id WHERE k.message_id = ?",
        messageId,
      )
      .toArray()[0];
    if (!r) return null;
    return {
      messageId: String(r.message_id),
      afterIdx: Number(r.after_idx),
      lastIdx: r.last_idx === null ? null : Number(r.last_idx),
      finishReason: r.finish_reason === null ? null : (String(r.finish_reason) as FinishReason),
      echo: JSON.parse(String(r.echo)) as Record<string, unknown>,
      createdAt: String(r.created_at),
    };
  }

  forget(messageId: string): void {
    this.sql.exec("DELETE FROM kept_turns WHERE message_id = ?", messageId);
  }
}
