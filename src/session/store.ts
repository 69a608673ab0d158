/** The ChatSession object's SQLite queries. Nothing else in the code writes SQL for a session. */
import type { ConversationSummary } from "../directory/directory";
import type { AttachmentRef, MessageStatus, StoredMessage, ToolCall, Usage } from "../events/types";
import { placeholderParts } from "../files/attachments";
import type { ChatMessage } from "../llm/provider";
import { fitText } from "../storage/fit";
import { BRANCH_FROM, Branches } from "./branches";

interface SessionMeta {
  sessionId: string;
  owner: string;
  title: string;
  /** The caller named the conversation: its title is never replaced by one of ours. */
  titleByCaller: boolean;
  createdAt: string;
  updatedAt: string;
  nextSeq: number;
  /** This conversation's own system prompt, in place of `SYSTEM_PROMPT`; "" when it has none. */
  systemPrompt: string;
}

type Row = Record<string, SqlStorageValue>;

function toMessage(r: Row): StoredMessage {
  const m: StoredMessage = {
    id: String(r.id),
    role: r.role as StoredMessage["role"],
    content: String(r.content),
    created_at: String(r.created_at),
    status: r.status as MessageStatus,
    usage: r.usage ? (JSON.parse(String(r.usage)) as Usage) : null,
    model: r.model === null ? null : String(r.model),
  };
  if (r.tool_calls) m.tool_calls = JSON.parse(String(r.tool_calls)) as ToolCall[];
  if (r.tool_call_id) m.tool_call_id = String(r.tool_call_id);
  if (r.name) m.name = String(r.name);
  if (r.attachments) m.attachments = JSON.parse(String(r.attachments)) as AttachmentRef[];
  return m;
}

export class SessionStore {
  /** Which messages are the active branch; every new message joins it. */
  readonly branches: Branches;
  /**
   * How many messages there are, counted once and then kept as rows come and go (every write to
   * `messages` is here): `COUNT(*)` reads the whole table, which at 100,000 messages was most of
   * what a turn's start and end cost beyond a short conversation's (`npm run bench`, history).
   */
  private count: number | null = null;

  constructor(private readonly sql: SqlStorage) {
    this.branches = new Branches(sql);
  }

  meta(): SessionMeta | null {
    const rows = this.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta").toArray();
    if (rows.length === 0) return null;
    const kv = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    if (!kv.session_id) return null;
    return {
      sessionId: kv.session_id,
      owner: kv.owner ?? "",
      title: kv.title ?? "",
      titleByCaller: kv.title_by_caller === "1",
      createdAt: kv.created_at,
      updatedAt: kv.updated_at ?? kv.created_at,
      nextSeq: Number(kv.next_seq ?? 1),
      systemPrompt: kv.system_prompt ?? "",
    };
  }

  setMeta(
    values: Partial<
      Record<
        | "session_id"
        | "owner"
        | "title"
        | "title_by_caller"
        | "created_at"
        | "updated_at"
        | "next_seq"
        | "system_prompt",
        string | number
      >
    >,
  ): void {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      this.sql.exec(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        key,
        String(value),
      );
    }
  }

  insertMessage(m: StoredMessage): void {
    this.sql.exec(
      `INSERT INTO messages (id, role, content, tool_calls, tool_call_id, name, status, usage, model, created_at, updated_at, parent_id, attachments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      m.id,
      m.role,
      fitText(m.content),
      m.tool_calls ? fitText(JSON.stringify(m.tool_calls)) : null,
      m.tool_call_id ?? null,
      m.name ?? null,
      m.status,
      m.usage ? JSON.stringify(m.usage) : null,
      m.model ?? null,
      m.created_at,
      m.created_at,
      this.branches.append(m.id),
      m.attachments?.length ? JSON.stringify(m.attachments) : null,
    );
    if (this.count !== null) this.count++;
  }

  /** Rewrites a streaming reply's row: the same row, never a new one per chunk. */
  updateMessage(
    id: string,
    fields: { content: string; status: MessageStatus; usage?: Usage | null; tool_calls?: ToolCall[] },
  ): void {
    this.sql.exec(
      "UPDATE messages SET content = ?, status = ?, usage = COALESCE(?, usage), tool_calls = COALESCE(?, tool_calls), updated_at = ? WHERE id = ?",
      fitText(fields.content),
      fields.status,
      fields.usage ? JSON.stringify(fields.usage) : null,
      fields.tool_calls ? fitText(JSON.stringify(fields.tool_calls)) : null,
      new Date().toISOString(),
      id,
    );
  }

  /** Gives the messages of the turn that just ended (from `fromId` on, still `streaming`) its final status. */
  settleStreaming(status: MessageStatus, fromId: string): void {
    this.sql.exec(
      "UPDATE messages SET status = ?, updated_at = ? WHERE idx >= (SELECT idx FROM messages WHERE id = ?) AND status = 'streaming'",
      status,
      new Date().toISOString(),
      fromId,
    );
  }

  /** Marks replies left `streaming` by a restart as `interrupted`; returns the last such message. */
  markInterrupted(): StoredMessage | null {
    const rows = this.sql.exec<Row>("SELECT * FROM messages WHERE status = 'streaming' ORDER BY idx").toArray();
    if (rows.length === 0) return null;
    this.sql.exec(
      "UPDATE messages SET status = 'interrupted', updated_at = ? WHERE status = 'streaming'",
      new Date().toISOString(),
    );
    return { ...toMessage(rows[rows.length - 1]), status: "interrupted" };
  }

  clearMessages(): void {
    this.sql.exec("DELETE FROM messages");
    this.branches.setLeaf(null);
    this.count = 0;
  }

  /** The active branch, oldest first. */
  messages(): StoredMessage[] {
    const leaf = this.branches.leaf();
    if (!leaf) return [];
    return this.sql.exec<Row>(`${BRANCH_FROM} SELECT * FROM branch ORDER BY idx`, leaf).toArray().map(toMessage);
  }

  /** Every message of every branch, in the order they were written, each with its parent. */
  tree(): StoredMessage[] {
    return this.sql
      .exec<Row>("SELECT * FROM messages ORDER BY idx")
      .toArray()
      .map((r) => ({ ...toMessage(r), parent_id: r.parent_id === null ? null : String(r.parent_id) }));
  }

  /** The position of the newest message (0 when there is none): history ends there. */
  lastIdx(): number {
    return Number(this.sql.exec("SELECT COALESCE(MAX(idx), 0) AS i FROM messages").one().i);
  }

  /** The messages from the one with `fromId` on, up to the position `through` (or the newest). */
  messagesFrom(fromId: string, through: number | null): StoredMessage[] {
    return this.sql
      .exec<Row>(
        "SELECT * FROM messages WHERE idx >= (SELECT idx FROM messages WHERE id = ?) AND idx <= ? ORDER BY idx",
        fromId,
        through ?? Number.MAX_SAFE_INTEGER,
      )
      .toArray()
      .map(toMessage);
  }

  /** The position of the message `id`; null when there is none. */
  idxOf(id: string): number | null {
    const r = this.sql.exec<{ idx: number }>("SELECT idx FROM messages WHERE id = ?", id).toArray()[0];
    return r ? Number(r.idx) : null;
  }

  /**
   * The branch that ends at the message at position `through` (or the newest before it), oldest
   * first: the history a copy of the conversation up to there holds, without other branches.
   */
  messagesThrough(through: number): StoredMessage[] {
    const end = this.sql
      .exec<Row>("SELECT id FROM messages WHERE idx <= ? ORDER BY idx DESC LIMIT 1", through)
      .toArray()[0]?.id;
    if (end === undefined) return [];
    return this.sql.exec<Row>(`${BRANCH_FROM} SELECT * FROM branch ORDER BY idx`, String(end)).toArray().map(toMessage);
  }

  /** The files the messages after position `after` up to `through` carry. */
  attachmentsBetween(after: number, through: number): AttachmentRef[] {
    return this.sql
      .exec<Row>(
        "SELECT attachments FROM messages WHERE idx > ? AND idx <= ? AND attachments IS NOT NULL",
        after,
        through,
      )
      .toArray()
      .flatMap((r) => JSON.parse(String(r.attachments)) as AttachmentRef[]);
  }

  /** Deletes the messages after position `after` up to `through`; returns how many remain. */
  deleteBetween(after: number, through: number): number {
    this.sql.exec("DELETE FROM messages WHERE idx > ? AND idx <= ?", after, through);
    this.branches.relink(after);
    this.count = null;
    return this.messageCount();
  }

  /** The storage was deleted whole (the conversation with it): nothing kept about it holds. */
  forget(): void {
    this.count = null;
  }

  private messageCount(): number {
    this.count ??= Number(this.sql.exec("SELECT COUNT(*) AS n FROM messages").one().n);
    return this.count;
  }

  /** The conversation's line in its owner's list; null before it has a meta. */
  summary(): ConversationSummary | null {
    const meta = this.meta();
    if (!meta) return null;
    return {
      session_id: meta.sessionId,
      title: meta.title,
      created_at: meta.createdAt,
      updated_at: meta.updatedAt,
      message_count: this.messageCount(),
    };
  }

  /**
   * History for the model, newest first, read lazily from the cursor so that trimming to the
   * token budget never reads the whole of a long conversation. Empty replies (an abort before the
   * first token) carry nothing and are skipped. The active branch only, from its leaf up;
   * `through`: from the message at that position up instead.
   */
  *historyNewestFirst(through?: number): Generator<ChatMessage> {
    const start =
      through === undefined
        ? this.branches.leaf()
        : this.sql.exec<Row>("SELECT id FROM messages WHERE idx <= ? ORDER BY idx DESC LIMIT 1", through).toArray()[0]
            ?.id;
    if (!start) return;
    // Most conversations never branch: their branch is their rows, newest first, which one scan
    // backwards reads (149 messages: 0.24 ms in the runtime against 1.14 ms for the walk from parent
    // to parent). Each row is checked to be the parent of the one before it; at the first that is
    // not (a sibling on another branch), the walk takes over from the parent expected.
    let expected: string | null = String(start);
    const rows = this.sql.exec<Row>(
      `SELECT id, parent_id, ${HISTORY_COLUMNS} FROM messages WHERE idx <= (SELECT idx FROM messages WHERE id = ?) ORDER BY idx DESC`,
      expected,
    );
    for (const r of rows) {
      if (r.id !== expected) break;
      expected = r.parent_id === null ? null : String(r.parent_id);
      if (r.content !== "" || r.tool_calls !== null || r.role === "tool") yield historyMessage(r);
      if (expected === null) return;
    }
    if (expected === null) return;
    const walk = this.sql.exec<Row>(
      `${BRANCH_FROM} SELECT ${HISTORY_COLUMNS} FROM branch WHERE content <> '' OR tool_calls IS NOT NULL OR role = 'tool'`,
      expected,
    );
    for (const r of walk) yield historyMessage(r);
  }
}

/** What the model is sent of a stored message. */
const HISTORY_COLUMNS = "role, content, tool_calls, tool_call_id, name, attachments";

function historyMessage(r: Row): ChatMessage {
  const m: ChatMessage = { role: r.role as ChatMessage["role"], content: String(r.content) };
  // Read from R2 when the turn starts (`resolveAttachments`), only for the messages that fit.
  if (r.attachments) m.content = placeholderParts(String(r.content), JSON.parse(String(r.attachments)));
  if (r.tool_calls) {
    m.tool_calls = JSON.parse(String(r.tool_calls)) as ToolCall[];
    // OpenAI's shape for an assistant message that only calls tools.
    if (m.content === "") m.content = null;
  }
  if (r.tool_call_id) m.tool_call_id = String(r.tool_call_id);
  if (r.name) m.name = String(r.name);
  return m;
}
