/**
 * The owner's Directory writes the turn ends told together in one task (one commit for all): each
 * is still listed and counted once, an older summary still never wins, and any other call sees
 * the ends told before it.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConversationSummary } from "../../src/directory/directory";
import { directoryStub } from "../../src/session/address";
import { uniqueId } from "./helpers";

const summary = (id: string, updated: string, count: number): ConversationSummary => ({
  session_id: id,
  title: `title of ${id}`,
  created_at: "2026-12-01T00:00:00.000Z",
  updated_at: updated,
  message_count: count,
});
const usage = (n: number) => ({ input_tokens: n, output_tokens: 2 * n, total_tokens: 3 * n, cost: n / 100 });

describe("the Directory's turn ends", () => {
  it("told together, are each listed and counted once", async () => {
    const dir = directoryStub(env, uniqueId("owner"));
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        dir.turnEnded(undefined, summary(`s${n}`, `2026-12-01T00:00:0${n}.000Z`, 2), usage(n)),
      ),
    );
    expect((await dir.list()).map((c) => c.session_id)).toEqual(["s5", "s4", "s3", "s2", "s1"]);
    expect(await dir.stats()).toMatchObject({ requests: 5, input_tokens: 15, output_tokens: 30, total_tokens: 45 });
    expect((await dir.stats()).total_cost).toBeCloseTo(0.15, 10);
  });

  it("an older summary told in the same batch as a newer one does not replace it", async () => {
    const dir = directoryStub(env, uniqueId("owner"));
    await Promise.all([
      dir.turnEnded(undefined, summary("s", "2026-12-01T00:00:09.000Z", 4), usage(1)),
      dir.turnEnded(undefined, summary("s", "2026-12-01T00:00:01.000Z", 2), usage(1)),
    ]);
    expect(await dir.list()).toEqual([summary("s", "2026-12-01T00:00:09.000Z", 4)]);
  });

  it("a call made right after a turn's end sees it: its slot is free and its line listed", async () => {
    const dir = directoryStub(env, uniqueId("owner"));
    expect(await dir.acquireTurn("slot-1", "a", 1, 60_000)).toBe(true);
    expect(await dir.acquireTurn("slot-2", "b", 1, 60_000)).toBe(false);
    // Not awaited: the next calls arrive while this end still waits to be written.
    const ended = dir.turnEnded("slot-1", summary("a", "2026-12-01T00:00:01.000Z", 2), usage(1));
    expect(await dir.acquireTurn("slot-2", "b", 1, 60_000)).toBe(true);
    expect((await dir.list()).map((c) => c.session_id)).toEqual(["a"]);
    await ended;
    expect((await dir.stats()).requests).toBe(1);
  });
});
