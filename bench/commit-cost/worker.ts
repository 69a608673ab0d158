/**
 * A Durable Object that writes, one task at a time, what a streaming edge-chat turn writes: with
 * `kind` "none" nothing, "row" one small row (the sequence counter), "flush" a reply's flush (the
 * reply's row rewritten with its text so far, one event-log row of 20 text pieces, the counter),
 * the tables and indexes as migrations/session/baseline_0006.sql has them. Each task ends with a
 * timer of 0 ms, so each task that wrote is a commit of its own. `GET /tasks` runs `n` tasks and
 * answers when they are done; `GET /stream` answers a stream of `n` SSE frames, one a task, with a
 * flush before every `every`th (frames wait at the output gate for the commit before them).
 */
import { DurableObject } from "cloudflare:workers";

interface CommitEnv {
  WRITER: DurableObjectNamespace<Writer>;
}

export type Kind = "none" | "row" | "flush";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  idx INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, content TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL, updated_at TEXT NOT NULL, parent_id TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_parent ON messages (parent_id);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, turn_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_turn ON events (turn_id, seq);`;

/** A 100-token reply, written 20 pieces at a time: its row never grows past that. */
const PIECES_PER_FLUSH = 20;
const REPLY_PIECES = 100;
const PIECE = " tok";

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const utf8 = new TextEncoder();

export class Writer extends DurableObject<CommitEnv> {
  private readonly sql = this.ctx.storage.sql;
  private seq = 1;
  private reply = "";
  private pieces = 0;
  private replyId = "";

  constructor(ctx: DurableObjectState, env: CommitEnv) {
    super(ctx, env);
    this.sql.exec(SCHEMA);
    this.seq = Number(this.sql.exec("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM events").one().s);
  }

  /** One task's writes of `kind`. */
  private write(kind: Kind): void {
    if (kind === "none") return;
    if (kind === "flush") {
      if (!this.replyId || this.pieces >= REPLY_PIECES) this.newReply();
      this.reply += PIECE.repeat(PIECES_PER_FLUSH);
      this.pieces += PIECES_PER_FLUSH;
      const now = new Date().toISOString();
      this.sql.exec(
        "UPDATE messages SET content = ?, status = 'streaming', updated_at = ? WHERE id = ?",
        this.reply,
        now,
        this.replyId,
      );
      const body = JSON.stringify({ type: "text-run", from: this.seq, texts: Array(PIECES_PER_FLUSH).fill(PIECE) });
      this.sql.exec("INSERT INTO events (seq, turn_id, body) VALUES (?, ?, ?)", this.seq, this.replyId, body);
      this.seq += PIECES_PER_FLUSH;
    }
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('next_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(this.seq),
    );
  }

  private newReply(): void {
    this.replyId = crypto.randomUUID();
    this.reply = "";
    this.pieces = 0;
    this.sql.exec(
      "INSERT INTO messages (id, status, updated_at) VALUES (?, 'streaming', ?)",
      this.replyId,
      new Date().toISOString(),
    );
  }

  async tasks(kind: Kind, n: number): Promise<number> {
    for (let i = 0; i < n; i++) {
      this.write(kind);
      await nextTask();
    }
    return n;
  }

  stream(kind: Kind, n: number, every: number): ReadableStream<Uint8Array> {
    let out!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          out = controller;
        },
      },
      { highWaterMark: 0 },
    );
    void (async () => {
      for (let i = 0; i < n; i++) {
        if (i % every === 0) this.write(kind);
        out.enqueue(utf8.encode(`id: ${i}\ndata: {"type":"chunk","data":{"content":"${PIECE}"}}\n\n`));
        await nextTask();
      }
      out.close();
    })();
    return stream;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const kind = (url.searchParams.get("kind") ?? "none") as Kind;
    const n = Number(url.searchParams.get("n") ?? 100);
    const writer = env.WRITER.get(env.WRITER.idFromName(url.searchParams.get("object") ?? "one"));
    if (url.pathname === "/tasks") return new Response(String(await writer.tasks(kind, n)));
    if (url.pathname === "/stream") {
      const every = Number(url.searchParams.get("every") ?? 5);
      return new Response(await writer.stream(kind, n, every), { headers: { "Content-Type": "text/event-stream" } });
    }
    return new Response("commit-cost: GET /tasks?kind=&n= or /stream?kind=&n=&every=");
  },
} satisfies ExportedHandler<CommitEnv>;
