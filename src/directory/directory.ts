/**
 * Directory: one Durable Object per owner holding that owner's conversation list. Each session
 * pushes its summary here when it changes, so listing never scans sessions and no global
 * database sits on the write path of a turn.
 */
import { DurableObject } from "cloudflare:workers";
import { directoryMigrations } from "../../migrations";
import { applyMigrations } from "../storage/migrate";

export interface ConversationSummary {
  session_id: string;
  title: string;
  created_at: string;
  updated_at: string;
  message_count: number;
}

export class Directory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, directoryMigrations);
    });
  }

  /** Records a session's latest summary; an older update arriving late never wins. */
  upsert(s: ConversationSummary): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO conversations (session_id, title, created_at, updated_at, message_count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at,
         message_count = excluded.message_count
       WHERE excluded.updated_at >= conversations.updated_at`,
      s.session_id,
      s.title,
      s.created_at,
      s.updated_at,
      s.message_count,
    );
  }

  remove(sessionId: string): boolean {
    return this.ctx.storage.sql.exec("DELETE FROM conversations WHERE session_id = ?", sessionId).rowsWritten > 0;
  }

  /** Newest first. */
  list(limit = 100, offset = 0): ConversationSummary[] {
    return this.ctx.storage.sql
      .exec<Record<string, SqlStorageValue>>(
        "SELECT * FROM conversations ORDER BY updated_at DESC, session_id LIMIT ? OFFSET ?",
        limit,
        offset,
      )
      .toArray()
      .map((r) => ({
        session_id: String(r.session_id),
        title: String(r.title),
        created_at: String(r.created_at),
        updated_at: String(r.updated_at),
        message_count: Number(r.message_count),
      }));
  }
}
