/**
 * A session's one alarm: set while a turn runs (waking the object is what continues a turn that
 * a restart cut), kept rather than written again by the turns that follow within its interval,
 * and, once it goes off with no turn running, set for the pruning of the turns' event logs.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { sessionStub } from "../../src/session/address";
import { SseReader } from "../support/sse";
import { call, script, uniqueId } from "./helpers";

/** The running-turn interval of chat-session.ts. */
const RUNNING_TURN_ALARM_MS = 15_000;

const alarmOf = (sid: string) =>
  runInDurableObject(sessionStub(env, "local", sid), (_instance, state) => state.storage.getAlarm());

function turn(sid: string, text: string, delayMs = 0): Promise<Response> {
  return call("/api/chat/stream", {
    json: { session_id: sid, content: `${text} ${script({ text: `${text} `, repeat: 10, delayMs })}` },
  });
}

it("turns that follow each other keep the alarm their first start set; going off, it sets the pruning", async () => {
  const sid = uniqueId("alarm");
  const before = Date.now();
  await (await turn(sid, "one")).text();
  const first = await alarmOf(sid);
  // The start's, not moved to the pruning by the end.
  expect(first).toBeGreaterThan(before);
  expect(first).toBeLessThanOrEqual(Date.now() + RUNNING_TURN_ALARM_MS);

  await (await turn(sid, "two")).text();
  await (await turn(sid, "three")).text();
  expect(await alarmOf(sid)).toBe(first);

  // Going off with no turn running, it sets itself for the pruning, minutes away.
  expect(await runDurableObjectAlarm(sessionStub(env, "local", sid))).toBe(true);
  const pruning = await alarmOf(sid);
  expect(pruning).toBeGreaterThan(Date.now() + 9 * 60_000);
  // Nothing was pruned yet: the last turn's log is still there to resume from.
  expect((await call(`/api/chat/${sid}/stream?after=0`)).status).toBe(200);

  // A turn that starts now needs the alarm sooner than that, and sets it.
  const running = await turn(sid, "four", 20);
  const reader = new SseReader(running.body!);
  expect(await reader.next()).toBeTruthy();
  const watching = await alarmOf(sid);
  expect(watching).toBeLessThanOrEqual(Date.now() + RUNNING_TURN_ALARM_MS);
  expect(watching).toBeLessThan(pruning!);
  await reader.rest();
});
