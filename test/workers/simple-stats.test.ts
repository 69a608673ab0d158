/**
 * `GET /stats` and `POST /reset-stats`: the caller's totals, kept in the owner's Directory object.
 * Every workers test file runs as the one owner "local", and other files' turns may land at any
 * moment, so a check is exact only over a quiet window: it is retried until it sees one.
 */
import { describe, expect, it } from "vitest";
import type { UsageStats as Stats } from "../../src/directory/directory";
import { parseSse } from "../support/sse";
import { call, uniqueId } from "./helpers";

const ATTEMPTS = 6;

async function stats(): Promise<Stats> {
  const res = await call("/stats");
  expect(res.status).toBe(200);
  return res.json<Stats>();
}

async function reset(): Promise<Stats> {
  const res = await call("/reset-stats", { method: "POST" });
  expect(res.status).toBe(200);
  return res.json<Stats>();
}

async function chat(
  message: string,
): Promise<{ input_tokens: number; output_tokens: number; total_tokens: number; total_cost: number }> {
  const res = await call("/chat", { json: { message } });
  expect(res.status).toBe(200);
  return (await res.json<any>()).usage;
}

describe("usage stats", () => {
  it("counts each turn's request, tokens and cost after a reset, and a reset zeroes them", async () => {
    let seen: Stats | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const before = Date.now();
      const zero = await reset();
      expect(zero).toMatchObject({ requests: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0, total_cost: 0 });
      expect(Date.parse(zero.since)).toBeGreaterThanOrEqual(before - 1000);

      const a = await chat(`stats one ${uniqueId()}`);
      const b = await chat(`stats two ${uniqueId()}`);
      seen = await stats();
      if (seen.requests !== 2) continue; // another file's turn landed in between: try again

      expect(seen).toMatchObject({
        requests: 2,
        input_tokens: a.input_tokens + b.input_tokens,
        output_tokens: a.output_tokens + b.output_tokens,
        total_tokens: a.total_tokens + b.total_tokens,
        since: zero.since,
      });
      expect(seen.total_cost).toBeGreaterThan(0);
      expect(seen.total_cost).toBeCloseTo(a.total_cost + b.total_cost, 15);

      const cleared = await reset();
      expect(cleared).toMatchObject({ requests: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0, total_cost: 0 });
      expect(cleared.since >= seen.since).toBe(true);
      return;
    }
    throw new Error(
      `never saw exactly the 2 turns of one attempt in ${ATTEMPTS} attempts; last stats: ${JSON.stringify(seen)}`,
    );
  });

  it("counts a stream that keeps no memory (POST and GET /chat/stream without a session_id)", async () => {
    let seen: Stats | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      await reset();
      const marker = uniqueId("stats-stateless");
      const usages = [];
      for (const res of [
        await call("/chat/stream", { json: { message: `post ${marker}` } }),
        await call(`/chat/stream?message=${encodeURIComponent(`get ${marker}`)}`),
      ]) {
        const complete = JSON.parse(parseSse(await res.text()).at(-1)!.data);
        expect(complete.type).toBe("complete");
        usages.push(complete.usage);
      }
      seen = await stats();
      if (seen.requests !== 2) continue; // another file's turn landed in between: try again
      expect(seen).toMatchObject({
        input_tokens: usages[0].input_tokens + usages[1].input_tokens,
        output_tokens: usages[0].output_tokens + usages[1].output_tokens,
      });
      expect(seen.total_cost).toBeCloseTo(usages[0].total_cost + usages[1].total_cost, 15);
      const list = await (await call("/api/v1/context/conversations?limit=500")).json<any>();
      expect(JSON.stringify(list)).not.toContain(marker);
      return;
    }
    throw new Error(`never saw exactly the 2 turns of one attempt in ${ATTEMPTS} attempts: ${JSON.stringify(seen)}`);
  });

  it("counts turns of every dialect, streamed or not", async () => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      await reset();
      await (await call("/chat/stream", { json: { message: `stats stream ${uniqueId()}` } })).text();
      await (await call("/api/chat/stream", { json: { session_id: uniqueId(), content: "stats native" } })).text();
      await (await call(`/api/v1/chat/${uniqueId()}`, { json: { message: "stats v1" } })).text();
      const seen = await stats();
      if (seen.requests !== 3) continue;
      expect(seen.output_tokens).toBeGreaterThanOrEqual(3);
      expect(seen.total_tokens).toBe(seen.input_tokens + seen.output_tokens);
      return;
    }
    throw new Error(`never saw exactly the 3 turns of one attempt in ${ATTEMPTS} attempts`);
  });
});
