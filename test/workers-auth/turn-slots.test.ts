/**
 * MAX_CONCURRENT_TURNS (2 in this project) holds against a key that asks again for a session
 * already running a turn: that request is refused (409) without taking a slot of its own, and
 * without freeing the running turn's. Before, each such 409 freed a slot, and four turns ran.
 */
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { SseReader } from "../support/sse";
import { script, uniqueId } from "../workers/helpers";

const KEY = "sk-frank-0123456789";

function post(path: string, json: unknown): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://edge-chat.test${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify(json),
    }),
  );
}

const slow = () => script({ text: "slow ", repeat: 200, delayMs: 30 });

it("a 409 for a busy session neither takes a slot nor frees the running turn's: a third turn is refused", async () => {
  const [a, b] = [uniqueId("slot-a"), uniqueId("slot-b")];
  const running: SseReader[] = [];
  const start = async (sid: string) => {
    const res = await post("/api/chat/stream", { session_id: sid, content: slow() });
    expect(res.status, sid).toBe(200);
    const reader = new SseReader(res.body!);
    running.push(reader);
    await reader.next();
  };
  try {
    await start(a);
    // The attack: ask again for the busy session while the cap still has room.
    for (let i = 0; i < 3; i++) {
      const again = await post("/api/chat/stream", { session_id: a, content: "again" });
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ error: { code: "turn_in_progress" } });
    }
    await start(b);
    // Two turns run; a third, in any other session, must wait for one of them.
    for (const sid of [uniqueId("slot-c"), uniqueId("slot-d")]) {
      const extra = await post("/api/chat/stream", { session_id: sid, content: "one too many" });
      expect(extra.status, sid).toBe(429);
      expect(await extra.json()).toMatchObject({ error: { code: "too_many_turns" } });
    }
  } finally {
    for (const sid of [a, b]) await post("/api/chat/abort", { session_id: sid });
    await Promise.all(running.map((r) => r.rest()));
  }

  // Both turns ended and freed their own slots, once each: two turns may run again, not three.
  const sessions = [uniqueId("slot-e"), uniqueId("slot-f"), uniqueId("slot-g")];
  const next: Response[] = [];
  for (const sid of sessions) next.push(await post("/api/chat/stream", { session_id: sid, content: slow() }));
  expect(next.map((r) => r.status)).toEqual([200, 200, 429]);
  for (const sid of sessions.slice(0, 2)) await post("/api/chat/abort", { session_id: sid });
  await Promise.all(next.map((r) => r.text()));
});
