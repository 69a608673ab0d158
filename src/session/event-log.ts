/**
 * The turn event log, so a client that lost its connection can resume with `Last-Event-ID`.
 * Events are buffered and written in batches (a write per event would hold every outgoing frame
 * at the output gate): with the transcript's flushes, at the turn's end, and on their own (events
 * that are not text, such as tool progress) as the transcript is written — after a second once 20
 * have come, after 5 s however few, and at 500.
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

  append(event: TurnEvent): void {
    this.buffer.push(event);
    const n = this.buffer.length;
    const since = Date.now() - this.lastFlush;
    if (n >= FLUSH_AT_MOST_EVENTS || (since >= FLUSH_EVERY_MS && n >= FLUSH_MIN_EVENTS) || since >= FLUSH_AT_LATEST_MS)
      this.flush();
  }

  flush(): void {
    this.lastFlush = Date.now();
    // Rows go in statements of many rows each: one statement per event was most of a flush's cost.
    for (let from = 0; from < this.buffer.length; from += ROWS_PER_INSERT) {
      const rows = this.buffer.slice(from, from + ROWS_PER_INSERT);
      this.sql.exec(insertRows(rows.length), ...rows.flatMap((e) => [e.seq, e.turnId, fitEvent(e)]));
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

  eventsAfter(turnId: string, after: number): TurnEvent[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events WHERE turn_id = ? AND seq > ? ORDER BY seq", turnId, after)
      .toArray()
      .map((r) => JSON.parse(r.body) as TurnEvent);
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
