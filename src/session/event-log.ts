/**
 * The turn event log, so a client that lost its connection can resume with `Last-Event-ID`.
 * Events are buffered and written in batches (a write per event would hold every outgoing frame
 * at the output gate): with the transcript's flushes, at the turn's end, and, set off by an event
 * that is not text (tool progress, say), on their own as the transcript is written — after a
 * second once 20 have come, after 5 s however few, and at 500.
 *
 * The text deltas that follow each other in a flush are one row (`TextRun`), keyed by the last
 * one's number: a streamed reply is almost all text deltas, and a row and an index entry for each
 * one was most of what its log cost to write (a 100-token reply: 100 rows, now one per flush).
 * Reading expands a run back into its events, so a resume after any number sees exactly the
 * events after it, one by one as they were sent. Rows written one event each are read as before.
 */
import type { Dialect } from "../events/encode";
import type { TurnEvent } from "../events/types";
import { fitText } from "../storage/fit";

const FLUSH_EVERY_MS = 1_000;
const FLUSH_MIN_EVENTS = 20;
const FLUSH_AT_LATEST_MS = 5_000;
const FLUSH_AT_MOST_EVENTS = 500;
/** Under the 100 bound parameters a Durable Object's SQL statement may have (3 a row). */
const ROWS_PER_INSERT = 32;

const inserts = new Map<number, string>();
/** `INSERT … VALUES (?, ?, ?), …` for `n` rows, built once per size. */
function insertRows(n: number): string {
  let sql = inserts.get(n);
  if (!sql) {
    sql = `INSERT INTO events (seq, turn_id, body) VALUES ${Array.from({ length: n }, () => "(?, ?, ?)").join(", ")}`;
    inserts.set(n, sql);
  }
  return sql;
}

interface LoggedTurn {
  turnId: string;
  dialect: Dialect;
  model: string;
  messageId: string;
  endedAt: string | null;
}

function loggedTurn(r: Record<string, SqlStorageValue>): LoggedTurn {
  return {
    turnId: String(r.turn_id),
    dialect: r.dialect as Dialect,
    model: String(r.model),
    messageId: String(r.message_id),
    endedAt: r.ended_at === null ? null : String(r.ended_at),
  };
}

/**
 * Text deltas `from`, `from + 1`, … of one turn, in one row whose `seq` is the last one's. Its
 * `type` is no event's, so a row of one event is never taken for it.
 */
interface TextRun {
  type: "text-run";
  turnId: string;
  from: number;
  texts: string[];
}

/** A run grows to this many characters at most, well inside a row (`fitText`'s bound). */
const RUN_MAX_CHARS = 64 * 1024;

/** `events` as rows: runs of consecutive text deltas joined, every other event a row of its own. */
function rowsOf(events: TurnEvent[]): { seq: number; turnId: string; body: string }[] {
  const rows: { seq: number; turnId: string; body: string }[] = [];
  let run: TextRun | null = null;
  let runChars = 0;
  let last = 0;
  const close = () => {
    if (run) rows.push({ seq: last, turnId: run.turnId, body: JSON.stringify(run) });
    run = null;
  };
  for (const e of events) {
    if (e.type !== "text-delta" || e.text.length > RUN_MAX_CHARS) {
      close();
      rows.push({ seq: e.seq, turnId: e.turnId, body: fitEvent(e) });
      continue;
    }
    if (run && (e.seq !== last + 1 || e.turnId !== run.turnId || runChars + e.text.length > RUN_MAX_CHARS)) close();
    if (!run) {
      run = { type: "text-run", turnId: e.turnId, from: e.seq, texts: [] };
      runChars = 0;
    }
    run.texts.push(e.text);
    runChars += e.text.length;
    last = e.seq;
  }
  close();
  return rows;
}

/** A row's events: a run's deltas one by one, else the one event it holds. */
function eventsOf(body: string): TurnEvent[] {
  const row = JSON.parse(body) as TurnEvent | TextRun;
  if (row.type !== "text-run") return [row];
  const { turnId, from, texts } = row;
  return texts.map((text, i) => ({ type: "text-delta", text, seq: from + i, turnId }));
}

/** An event as a log row; one too large for a row (a huge tool result) keeps its shape, cut. */
function fitEvent(event: TurnEvent): string {
  const json = JSON.stringify(event);
  if (fitText(json) === json) return json;
  if (event.type === "tool-result")
    return JSON.stringify({
      ...event,
      result: fitText(String(typeof event.result === "string" ? event.result : JSON.stringify(event.result))),
    });
  if (event.type === "turn-end")
    return JSON.stringify({ ...event, message: { ...event.message, content: fitText(event.message.content) } });
  return JSON.stringify({ ...event, ...("text" in event ? { text: fitText(event.text) } : {}) });
}

export class EventLog {
  private buffer: TurnEvent[] = [];
  private lastFlush = Date.now();

  constructor(private readonly sql: SqlStorage) {}

  begin(turn: Omit<LoggedTurn, "endedAt">): void {
    this.lastFlush = Date.now();
    this.sql.exec(
      "INSERT INTO turns (turn_id, dialect, model, message_id, started_at) VALUES (?, ?, ?, ?, ?)",
      turn.turnId,
      turn.dialect,
      turn.model,
      turn.messageId,
      new Date().toISOString(),
    );
  }

  /** The logged turn that began with `messageId`, while its log is kept. */
  turnOf(messageId: string): LoggedTurn | null {
    const r = this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM turns WHERE message_id = ?", messageId)
      .toArray()[0];
    return r ? loggedTurn(r) : null;
  }

  /**
   * Text deltas never make the log write on its own: the transcript writes a streaming reply's text
   * and flushes the log with it (chat-session.ts), so the two reach storage together. Flushed
   * apart, they had their own clock (the log's from the turn's start, the transcript's from its
   * first text): at 500 concurrent 100-token streams 1.7 commits a stream of the log alone,
   * against 4 of the transcript's (counted in the runtime), each a commit with its wait at the
   * output gate; and a log ahead of the reply it was logged for, which a restart would continue
   * from the shorter text. Other events (tool progress, say) are flushed on their own as before.
   */
  append(event: TurnEvent): void {
    this.buffer.push(event);
    if (event.type === "text-delta") return;
    const n = this.buffer.length;
    const since = Date.now() - this.lastFlush;
    if (n >= FLUSH_AT_MOST_EVENTS || (since >= FLUSH_EVERY_MS && n >= FLUSH_MIN_EVENTS) || since >= FLUSH_AT_LATEST_MS)
      this.flush();
  }

  flush(): void {
    this.lastFlush = Date.now();
    // Rows go in statements of many rows each: one statement per event was most of a flush's cost.
    const all = rowsOf(this.buffer);
    for (let from = 0; from < all.length; from += ROWS_PER_INSERT) {
      const rows = all.slice(from, from + ROWS_PER_INSERT);
      this.sql.exec(insertRows(rows.length), ...rows.flatMap((r) => [r.seq, r.turnId, r.body]));
    }
    this.buffer = [];
  }

  end(turnId: string): void {
    this.flush();
    this.sql.exec("UPDATE turns SET ended_at = ? WHERE turn_id = ?", new Date().toISOString(), turnId);
  }

  latest(): LoggedTurn | null {
    const r = this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM turns ORDER BY started_at DESC, rowid DESC LIMIT 1")
      .toArray()[0];
    return r ? loggedTurn(r) : null;
  }

  /** Turns that never ended: the object was restarted while they ran. */
  unfinished(): LoggedTurn[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM turns WHERE ended_at IS NULL")
      .toArray()
      .map(loggedTurn);
  }

  /** The turn's logged events after `after`; a run that `after` falls inside gives its deltas after it. */
  eventsAfter(turnId: string, after: number): TurnEvent[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events WHERE turn_id = ? AND seq > ? ORDER BY seq", turnId, after)
      .toArray()
      .flatMap((r) => eventsOf(r.body).filter((e) => e.seq > after));
  }

  maxSeq(): number {
    return Number(this.sql.exec("SELECT COALESCE(MAX(seq), 0) AS s FROM events").one().s);
  }

  /** Deletes the log of the turn that began with `messageId` (its messages are being deleted). */
  forget(messageId: string): void {
    this.sql.exec("DELETE FROM events WHERE turn_id IN (SELECT turn_id FROM turns WHERE message_id = ?)", messageId);
    this.sql.exec("DELETE FROM turns WHERE message_id = ?", messageId);
  }

  /** Deletes the logs of turns that ended before `endedBefore`; returns how many turns remain logged. */
  prune(endedBefore: Date): number {
    const cutoff = endedBefore.toISOString();
    this.sql.exec(
      "DELETE FROM events WHERE turn_id IN (SELECT turn_id FROM turns WHERE ended_at IS NOT NULL AND ended_at < ?)",
      cutoff,
    );
    this.sql.exec("DELETE FROM turns WHERE ended_at IS NOT NULL AND ended_at < ?", cutoff);
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM turns").one().n);
  }
}
