/**
 * The turn event log keeps the text deltas that follow each other as one row (event-log.ts): what
 * a resume reads back must still be every event after its position, one by one, exactly as sent.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionBaseline, sessionMigrations } from "../../migrations";
import type { TurnEvent } from "../../src/events/types";
import { LOCAL_OWNER } from "../../src/http/context";
import { sessionStub } from "../../src/session/address";
import { EventLog } from "../../src/session/event-log";
import { applyMigrations } from "../../src/storage/migrate";
import { call, script, uniqueId } from "./helpers";

const fresh = () => env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("log")));

/** A turn's events as a session numbers them: consecutive, from `first`. */
function turnEvents(turnId: string, first: number, bodies: Record<string, unknown>[]): TurnEvent[] {
  return bodies.map((b, i) => ({ ...b, seq: first + i, turnId }) as TurnEvent);
}

const deltas = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ type: "text-delta", text: `${tag}${i} ` }));

const rowCount = (sql: SqlStorage, turnId: string) =>
  Number(sql.exec("SELECT COUNT(*) AS n FROM events WHERE turn_id = ?", turnId).one().n);

describe("the turn event log", () => {
  it("stores a run of text deltas as one row, and reads back every event after any position, one by one", async () => {
    await runInDurableObject(fresh(), (_i, state) => {
      applyMigrations(state.storage, sessionMigrations, sessionBaseline);
      const log = new EventLog(state.storage.sql);
      log.begin({ turnId: "t1", dialect: "native", model: "m", messageId: "a1" });
      const events = turnEvents("t1", 7, [
        { type: "turn-start", messageId: "a1" },
        ...deltas(50, "a"),
        { type: "tool-call", callId: "c1", name: "echo", args: { text: "hi" } },
        { type: "tool-result", callId: "c1", name: "echo", result: "hi", isError: false },
        ...deltas(30, "b"),
        { type: "turn-end", message: { id: "a1" }, usage: null, finishReason: "stop" },
      ]);
      // Two flushes, the second in the middle of the second run: a run ends with its flush.
      for (const e of events.slice(0, 70)) log.append(e);
      log.flush();
      for (const e of events.slice(70)) log.append(e);
      log.end("t1");

      // turn-start, run a, tool-call, tool-result, run b (first part), run b (rest), turn-end.
      expect(rowCount(state.storage.sql, "t1")).toBe(7);
      const last = events.at(-1)!.seq;
      for (let after = 0; after <= last; after++)
        expect(log.eventsAfter("t1", after)).toEqual(events.filter((e) => e.seq > after));
      expect(log.maxSeq()).toBe(last);
    });
  });

  it("starts a new row at a gap in the numbers and for a delta too long to join a run", async () => {
    await runInDurableObject(fresh(), (_i, state) => {
      applyMigrations(state.storage, sessionMigrations, sessionBaseline);
      const log = new EventLog(state.storage.sql);
      log.begin({ turnId: "t2", dialect: "native", model: "m", messageId: "a2" });
      const big = "x".repeat(70_000);
      const events = [
        ...turnEvents("t2", 1, deltas(3, "a")),
        // A restart's jump in the numbers (recovery.ts) falls between these.
        ...turnEvents("t2", 1_001, [...deltas(2, "b"), { type: "text-delta", text: big }, ...deltas(2, "c")]),
      ];
      for (const e of events) log.append(e);
      log.flush();
      // a0–a2, then b0–b1, the long one alone, c0–c1.
      expect(rowCount(state.storage.sql, "t2")).toBe(4);
      expect(log.eventsAfter("t2", 0)).toEqual(events);
      expect(log.eventsAfter("t2", 1_001)).toEqual(events.slice(4));
    });
  });

  it("reads rows written one event each, as logs made before runs were", async () => {
    await runInDurableObject(fresh(), (_i, state) => {
      applyMigrations(state.storage, sessionMigrations, sessionBaseline);
      const log = new EventLog(state.storage.sql);
      log.begin({ turnId: "t3", dialect: "native", model: "m", messageId: "a3" });
      const events = turnEvents("t3", 1, [{ type: "turn-start", messageId: "a3" }, ...deltas(3, "a")]);
      for (const e of events)
        state.storage.sql.exec(
          "INSERT INTO events (seq, turn_id, body) VALUES (?, ?, ?)",
          e.seq,
          e.turnId,
          JSON.stringify(e),
        );
      expect(log.eventsAfter("t3", 1)).toEqual(events.slice(1));
    });
  });

  it("writes text deltas only when flushed with the reply's text, never on their own; other events on their own", async () => {
    await runInDurableObject(fresh(), async (_i, state) => {
      applyMigrations(state.storage, sessionMigrations, sessionBaseline);
      const log = new EventLog(state.storage.sql);
      log.begin({ turnId: "t5", dialect: "native", model: "m", messageId: "a5" });
      // Past the log's second, with more deltas than any of its bounds: still nothing written.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const texts = turnEvents("t5", 1, deltas(600, "a"));
      for (const e of texts) log.append(e);
      expect(rowCount(state.storage.sql, "t5")).toBe(0);
      // The transcript's write flushes them: one run (of 64 KiB at most) for them all.
      log.flush();
      expect(rowCount(state.storage.sql, "t5")).toBe(1);
      // Tool progress, which no transcript writes, goes on its own once a second has passed.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const progress = turnEvents(
        "t5",
        601,
        Array.from({ length: 20 }, (_, i) => ({ type: "tool-progress", callId: "c1", text: `${i}%` })),
      );
      for (const e of progress) log.append(e);
      expect(rowCount(state.storage.sql, "t5")).toBe(21);
      expect(log.eventsAfter("t5", 0)).toEqual([...texts, ...progress]);
    });
  });

  it("a streamed reply of 100 pieces, each its own network read, is a few rows, not a hundred", async () => {
    const sid = uniqueId();
    const pieces = Array.from({ length: 100 }, (_, i) => `p${i} `);
    const res = await call("/api/chat/stream", {
      json: { session_id: sid, content: `${sid} ${script({ pieces, delayMs: 1 })}` },
    });
    expect(res.status).toBe(200);
    await res.text();
    const rows = await runInDurableObject(sessionStub(env, LOCAL_OWNER, sid), (_i, state) =>
      state.storage.sql.exec<{ body: string }>("SELECT body FROM events ORDER BY seq").toArray(),
    );
    // turn-start, the runs of text (one per flush: a flush is due once a second at the most
    // often), the message's end events and turn-end; a row per piece would be over 100.
    expect(rows.length).toBeLessThan(10);
    const replayed = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": "0" } });
    expect(replayed.status).toBe(200);
    const text = (await replayed.text())
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)))
      .filter((d) => d.type === "chunk")
      .map((d) => d.data.content)
      .join("");
    expect(text).toBe(pieces.join(""));
  });
});
