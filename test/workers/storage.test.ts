import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { directoryMigrations, sessionBaseline, sessionMigrations } from "../../migrations";
import { applyMigrations } from "../../src/storage/migrate";
import { SseReader } from "../support/sse";
import { call, script, uniqueId } from "./helpers";

/**
 * The schema as SQLite holds it: every table and index with its definition, comments and
 * whitespace left out (a column added by ALTER TABLE is spelled differently, not defined so).
 */
function schemaOf(sql: SqlStorage): string[] {
  return sql
    .exec<{ type: string; name: string; sql: string | null }>(
      "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' ORDER BY type, name",
    )
    .toArray()
    .map((r) => `${r.type} ${r.name}: ${(r.sql ?? "").replace(/--[^\n]*/g, "").replace(/\s+/g, "")}`);
}

describe("schema migrations", () => {
  it("a new session's baseline makes the same schema as its files, and records their versions", async () => {
    const fresh = () => env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("base")));
    const replayed = await runInDurableObject(fresh(), (_i, state) => {
      expect(applyMigrations(state.storage, sessionMigrations)).toBe(sessionBaseline.through);
      return schemaOf(state.storage.sql);
    });
    const [fromBaseline, versions] = await runInDurableObject(fresh(), (_i, state) => {
      expect(applyMigrations(state.storage, sessionMigrations, sessionBaseline)).toBe(sessionBaseline.through);
      const rows = state.storage.sql.exec<{ version: number; name: string }>(
        "SELECT version, name FROM _schema_version ORDER BY version",
      );
      return [schemaOf(state.storage.sql), rows.toArray().map((r) => `${r.version} ${r.name}`)] as const;
    });
    expect(fromBaseline).toEqual(replayed);
    expect(replayed.some((line) => line.startsWith("table messages:") && line.includes("attachmentsTEXT"))).toBe(true);
    expect(versions).toEqual(sessionMigrations.map((m) => `${m.version} ${m.name}`));
  });

  it("files after the baseline are applied to a new object too; an object that has versions never gets it", async () => {
    const next = {
      version: sessionBaseline.through + 1,
      name: "9997_after",
      sql: "CREATE TABLE after_base (x INTEGER);",
    };
    const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("base-next")));
    await runInDurableObject(stub, (_i, state) => {
      expect(applyMigrations(state.storage, [...sessionMigrations, next], sessionBaseline)).toBe(next.version);
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'after_base'").toArray()).toHaveLength(
        1,
      );
    });
    const old = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("base-old")));
    await runInDurableObject(old, (_i, state) => {
      expect(applyMigrations(state.storage, sessionMigrations.slice(0, 2))).toBe(2);
      // Replaying the baseline here would fail (its tables exist): the files 3–6 are applied instead.
      expect(applyMigrations(state.storage, sessionMigrations, sessionBaseline)).toBe(sessionBaseline.through);
    });
  });

  it("each object applies its schema files once, lazily, and a failed file changes nothing", async () => {
    const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("mig")));
    await runInDurableObject(stub, (instance, state) => {
      // A fresh object has no tables until it stores something.
      const sql = state.storage.sql;
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = '_schema_version'").toArray()).toEqual([]);
      instance.create("local", "mig");
      const version = () => Number(sql.exec("SELECT MAX(version) AS v FROM _schema_version").one().v);
      const n = sessionMigrations.at(-1)!.version;
      expect(version()).toBe(n);
      expect(applyMigrations(state.storage, sessionMigrations)).toBe(n);

      const next = {
        version: n + 1,
        name: "9998_extra",
        sql: "CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (7);",
      };
      expect(applyMigrations(state.storage, [...sessionMigrations, next])).toBe(n + 1);
      expect(sql.exec("SELECT x FROM extra").one().x).toBe(7);

      const broken = {
        version: n + 2,
        name: "9999_broken",
        sql: "CREATE TABLE half (a INTEGER); INSERT INTO missing VALUES (1);",
      };
      expect(() => applyMigrations(state.storage, [...sessionMigrations, next, broken])).toThrow();
      expect(version()).toBe(n + 1);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'half'").toArray()).toEqual([]);
    });
  });

  it("a file numbered below one already applied (merged later from another branch) is still applied", async () => {
    const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("mig-gap")));
    await runInDurableObject(stub, (_instance, state) => {
      const higher = { version: 1001, name: "1001_higher", sql: "CREATE TABLE higher (x INTEGER);" };
      expect(applyMigrations(state.storage, [...sessionMigrations, higher])).toBe(1001);
      const late = { version: 1000, name: "1000_late", sql: "CREATE TABLE late (x INTEGER);" };
      expect(applyMigrations(state.storage, [...sessionMigrations, late, higher])).toBe(1001);
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'late'").toArray()).toHaveLength(1);
    });
  });

  it("an object stored before schema 3 keeps its messages when messages.turn_id is dropped", async () => {
    const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("mig3")));
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      expect(applyMigrations(state.storage, sessionMigrations.slice(0, 2))).toBe(2);
      sql.exec(
        "INSERT INTO messages (id, turn_id, role, content, status, created_at, updated_at) VALUES ('m1', 't1', 'user', 'hello', 'complete', 'then', 'then')",
      );
      expect(applyMigrations(state.storage, sessionMigrations)).toBe(sessionMigrations.at(-1)!.version);
      const columns = sql
        .exec("SELECT name FROM pragma_table_info('messages')")
        .toArray()
        .map((r) => r.name);
      expect(columns).not.toContain("turn_id");
      expect(sql.exec("SELECT id, role, content, status FROM messages").toArray()).toEqual([
        { id: "m1", role: "user", content: "hello", status: "complete" },
      ]);
    });
  });

  it("the directory object has its own schema", async () => {
    const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(uniqueId("dir")));
    await runInDurableObject(stub, (_instance, state) => {
      const tables = state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name);
      expect(tables).toContain("conversations");
      expect(Number(state.storage.sql.exec("SELECT MAX(version) AS v FROM _schema_version").one().v)).toBe(
        directoryMigrations.length,
      );
    });
  });
});

describe("a streaming reply is stored as it streams", () => {
  it("shows the partial reply, status streaming, while the turn runs", async () => {
    const sid = uniqueId();
    const pieces = Array.from({ length: 150 }, (_, i) => `w${i} `);
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: script({ pieces, delayMs: 20 }) } });
    const reader = new SseReader(res.body!);
    let streamed = "";
    // 2 s of reply: twice the flush interval (a second).
    for (let i = 0; i < 100; i++) streamed += JSON.parse((await reader.next())!.data).data.content;

    const mid = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    const reply = mid.messages[1];
    expect(reply.status).toBe("streaming");
    // Flushed in batches: at least one batch is in, and never more than was produced.
    expect(reply.content.length).toBeGreaterThan(0);
    expect(reply.content.length).toBeLessThan(pieces.join("").length);
    expect(pieces.join("").startsWith(reply.content)).toBe(true);
    expect(streamed.startsWith(reply.content) || reply.content.startsWith(streamed)).toBe(true);

    await reader.rest();
    const done = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(done.messages[1]).toMatchObject({ status: "complete", content: pieces.join("") });
  });
});
