/**
 * The history a turn sends is its active branch, newest first (store.ts `historyNewestFirst`). It
 * is read with one scan backwards over the rows while they are a chain, and by the walk from parent
 * to parent from the first row that is not: whatever the tree, it must be the walk's answer.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionBaseline, sessionMigrations } from "../../migrations";
import { BRANCH_FROM } from "../../src/session/branches";
import { SessionStore } from "../../src/session/store";
import { applyMigrations } from "../../src/storage/migrate";
import { uniqueId } from "./helpers";

const now = new Date().toISOString();

/** The walk alone, as every history was read before: the reference. */
function walked(sql: SqlStorage, from: string): string[] {
  return sql
    .exec<{ content: string }>(
      `${BRANCH_FROM} SELECT content FROM branch WHERE content <> '' OR tool_calls IS NOT NULL OR role = 'tool'`,
      from,
    )
    .toArray()
    .map((r) => r.content);
}

async function withStore(test: (store: SessionStore, sql: SqlStorage) => void): Promise<void> {
  const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("history")));
  await runInDurableObject(stub, (_i, state) => {
    applyMigrations(state.storage, sessionMigrations, sessionBaseline);
    test(new SessionStore(state.storage.sql), state.storage.sql);
  });
}

function add(store: SessionStore, id: string, role: "user" | "assistant", content = `text of ${id}`): void {
  store.insertMessage({ id, role, content, created_at: now, status: "complete", usage: null });
}

const history = (store: SessionStore) => [...store.historyNewestFirst()].map((m) => m.content);

describe("reading a turn's history", () => {
  it("a conversation that never branched: its rows newest first, an empty reply left out", async () => {
    await withStore((store, sql) => {
      for (let i = 0; i < 50; i++) add(store, `m${i}`, i % 2 ? "assistant" : "user", i === 21 ? "" : `text ${i}`);
      const got = history(store);
      expect(got).toHaveLength(49);
      expect(got[0]).toBe("text 49");
      expect(got).not.toContain("");
      expect(got).toEqual(walked(sql, store.branches.leaf()!));
    });
  });

  it("a branched one: the active branch only, with the other branches' newer and older rows between", async () => {
    await withStore((store, sql) => {
      add(store, "q1", "user");
      add(store, "a1", "assistant");
      add(store, "q2", "user");
      add(store, "a2", "assistant");
      // An edit of q2: a sibling of it (parent a1) and its answer, then more on that branch.
      store.branches.setLeaf("a1");
      add(store, "q2b", "user");
      add(store, "a2b", "assistant");
      // A regenerate of a2b: a sibling reply, then the conversation goes on from it.
      store.branches.setLeaf("q2b");
      add(store, "a2c", "assistant");
      add(store, "q3", "user");
      expect(history(store)).toEqual(["text of q3", "text of a2c", "text of q2b", "text of a1", "text of q1"]);
      expect(history(store)).toEqual(walked(sql, "q3"));
      // Back on the first branch, whose rows are older than the others'.
      store.branches.setLeaf("a2");
      expect(history(store)).toEqual(["text of a2", "text of q2", "text of a1", "text of q1"]);
      // A branch whose leaf is not the newest row of all.
      store.branches.setLeaf("a2b");
      expect(history(store)).toEqual(["text of a2b", "text of q2b", "text of a1", "text of q1"]);
      expect(history(store)).toEqual(walked(sql, "a2b"));
    });
  });

  it("from a position (`through`): the branch that ends there", async () => {
    await withStore((store) => {
      for (let i = 0; i < 6; i++) add(store, `m${i}`, i % 2 ? "assistant" : "user", `text ${i}`);
      const through = store.idxOf("m3")!;
      expect([...store.historyNewestFirst(through)].map((m) => m.content)).toEqual([
        "text 3",
        "text 2",
        "text 1",
        "text 0",
      ]);
    });
  });
});
