/**
 * `TURN_RECOVERY=interrupt` (this project): a restart mid-turn keeps the partial reply as
 * `interrupted`, as before turns could be continued. Its own file: aborting every object must not
 * cut other files' turns.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { eventually, script, uniqueId, upstreamRequests } from "../workers/helpers";

const KEY = "sk-grace-0123456789";

function send(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${KEY}`);
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(new Request(`http://edge-chat.test${path}`, { ...init, headers }));
}

it("keeps the reply a restart cut as interrupted, and asks the model nothing more", async () => {
  const sid = uniqueId("intr");
  const res = await send("/api/chat/stream", {
    method: "POST",
    body: JSON.stringify({
      session_id: sid,
      content: `${sid} ${script({ pieces: ["so ", "far ", "never"], gate: `never-${sid}`, gateAfter: 2 })}`,
    }),
  });
  const reader = new SseReader(res.body!);
  let last = "";
  for (let seen = 0; seen < 2; ) {
    const frame = (await reader.next())!;
    if (JSON.parse(frame.data).type === "chunk") seen++;
    last = frame.id!;
  }
  const stored = async () => (await (await send(`/api/v1/context/conversations/${sid}`)).json<any>()).messages;
  // The quiet text is written within a second (transcript.ts); the key may make 30 requests a
  // minute (vitest.config.ts), so the check asks every 250 ms, not every 25.
  await eventually(async () => expect((await stored()).at(-1).content).toBe("so far "), 3000, 250);
  await abortAllDurableObjects();
  await reader.rest().catch(() => undefined);

  const resumed = nativeEvents(
    await (await send(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": last } })).text(),
  );
  expect(resumed.at(-1)).toMatchObject({ type: "error", data: { code: "interrupted" } });
  expect((await stored()).at(-1)).toMatchObject({ status: "interrupted", content: "so far " });
  expect(await upstreamRequests(sid)).toHaveLength(1);
});
