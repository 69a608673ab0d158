/**
 * Resume against a real `wrangler dev`: a client that drops mid-reply comes back through the
 * real `eventsource` package with Last-Event-ID; a restart of the process mid-turn continues the
 * reply where it stopped (or, with `TURN_RECOVERY=interrupt`, leaves it stored as interrupted).
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually";
import { type ScriptedUpstream, script, startScriptedUpstream } from "../support/scripted-upstream";
import { type ParsedFrame, SseReader } from "../support/sse";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

let upstream: ScriptedUpstream;
let server: DevServer;
let dir: string;
const vars = () => ({ OPENAI_API_KEY: "sk-e2e-resume", OPENAI_BASE_URL: upstream.url });

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  dir = await mkdtemp(join(tmpdir(), "edge-chat-e2e-resume-"));
  server = await startWranglerDev({ persistDir: dir, vars: vars() });
});

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const chunkText = (frames: { data: string }[]) =>
  frames
    .map((f) => JSON.parse(f.data))
    .filter((d) => d.type === "chunk")
    .map((d) => d.data.content)
    .join("");

async function startSlow(sid: string, pieces: string[], delayMs: number) {
  const res = await fetch(`${server.url}/api/chat/stream`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ session_id: sid, content: `${sid} ${script({ pieces, delayMs })}` }),
  });
  expect(res.status).toBe(200);
  return new SseReader(res.body!);
}

async function take(reader: SseReader, n: number): Promise<ParsedFrame[]> {
  const frames: ParsedFrame[] = [];
  while (frames.length < n) frames.push((await reader.next())!);
  return frames;
}

describe("resume under wrangler dev", () => {
  it("an EventSource resuming with Last-Event-ID gets the rest exactly once, and stops at the 204 after the end", async () => {
    const sid = `e2e-resume-${Date.now().toString(36)}`;
    const pieces = Array.from({ length: 40 }, (_, i) => `p${i} `);
    const reader = await startSlow(sid, pieces, 30);
    const before = await take(reader, 6);
    await reader.cancel();

    const lastId = before.at(-1)!.id!;
    const received: MessageEvent[] = [];
    const requests: (string | null)[] = [];
    const es = new EventSource(`${server.url}/api/chat/${sid}/stream`, {
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        // The first connection resumes from what the dropped POST stream saw; later ones are the
        // package's own reconnects, with the Last-Event-ID it tracked.
        if (requests.length === 0) headers.set("Last-Event-ID", lastId);
        requests.push(headers.get("Last-Event-ID"));
        return fetch(input, { ...init, headers });
      },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("EventSource did not finish")), 15_000);
      es.onmessage = (e) => received.push(e);
      es.onerror = () => {
        // The 204 that answers the reconnect after the turn's end closes the source for good.
        if (es.readyState === EventSource.CLOSED) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    es.close();

    const after = received.map((e) => ({ data: e.data, id: e.lastEventId }));
    expect(chunkText(before) + chunkText(after)).toBe(pieces.join(""));
    const ids = [...before.map((f) => Number(f.id)), ...after.map((f) => Number(f.id))];
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    expect(JSON.parse(after.at(-1)!.data).type).toBe("complete");
    // It reconnected once the stream ended, with the last id it saw, and got 204.
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.at(-1)).toBe(after.at(-1)!.id);

    const conv = (await (await fetch(`${server.url}/api/v1/context/conversations/${sid}`)).json()) as any;
    expect(conv.messages.at(-1)).toMatchObject({ status: "complete", content: pieces.join("") });
  });

  it("wrangler dev killed mid-reply and started again: the resumed client gets the whole reply exactly once", async () => {
    const sid = `e2e-continue-${Date.now().toString(36)}`;
    const before = Array.from({ length: 12 }, (_, i) => `a${i} `);
    const after = Array.from({ length: 8 }, (_, i) => `b${i} `);
    // The first request stops after `before` (until the process dies); the continuation sends the rest.
    const directive = script({
      steps: [{ pieces: [...before, "never "], gate: `e2e-never-${sid}`, gateAfter: before.length }, { pieces: after }],
    });
    const res = await fetch(`${server.url}/api/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: sid, content: `${sid} ${directive}` }),
    });
    const reader = new SseReader(res.body!);
    const seen: ParsedFrame[] = [];
    while (chunkText(seen) !== before.join("")) seen.push((await reader.next())!);
    // What the client saw is stored (a quiet model's text is written within a quarter of a second).
    const stored = async () =>
      ((await (await fetch(`${server.url}/api/v1/context/conversations/${sid}`)).json()) as any).messages.at(-1);
    await eventually(async () => expect((await stored()).content).toBe(before.join("")), 10_000);
    await server.stop();
    await reader.rest().catch(() => undefined);
    server = await startWranglerDev({ persistDir: dir, vars: vars() });

    // The client comes back with the last id it saw and gets the rest: one continuous reply.
    const resumed = await fetch(`${server.url}/api/chat/${sid}/stream`, {
      headers: { "Last-Event-ID": seen.at(-1)!.id! },
    });
    expect(resumed.status).toBe(200);
    const rest = await new SseReader(resumed.body!).rest();
    expect(chunkText(seen) + chunkText(rest)).toBe([...before, ...after].join(""));
    const end = JSON.parse(rest.at(-1)!.data);
    expect(end).toMatchObject({
      type: "complete",
      data: { message: { status: "complete", content: [...before, ...after].join("") } },
    });
    // A client that replays the whole turn gets it once too.
    const whole = await new SseReader((await fetch(`${server.url}/api/chat/${sid}/stream?after=0`)).body!).rest();
    expect(chunkText(whole)).toBe([...before, ...after].join(""));

    // The upstream log: the cut request, then the continuation with the partial reply.
    const logged = upstream.requests().filter((r) => JSON.stringify(r.body).includes(sid));
    expect(logged.map((r) => r.outcome)).toEqual(["client-closed", "completed"]);
    expect(logged[1].body.messages.slice(-2)).toEqual([
      { role: "assistant", content: before.join("") },
      { role: "system", content: expect.stringContaining("Continue it exactly where it stopped") },
    ]);
  });

  it("with TURN_RECOVERY=interrupt a restart mid-turn keeps the partial reply as interrupted, and the next turn works", async () => {
    const sid = `e2e-restart-${Date.now().toString(36)}`;
    const pieces = Array.from({ length: 300 }, (_, i) => `r${i} `);
    await server.stop();
    server = await startWranglerDev({ persistDir: dir, vars: { ...vars(), TURN_RECOVERY: "interrupt" } });
    const reader = await startSlow(sid, pieces, 20);
    // 2 s of reply: twice the transcript's flush interval (a second), so some of it is stored.
    await take(reader, 100);
    await server.stop();
    await reader.rest().catch(() => undefined);
    server = await startWranglerDev({ persistDir: dir, vars: { ...vars(), TURN_RECOVERY: "interrupt" } });

    const conv = (await (await fetch(`${server.url}/api/v1/context/conversations/${sid}`)).json()) as any;
    const reply = conv.messages.at(-1);
    expect(reply.status).toBe("interrupted");
    expect(reply.content.length).toBeGreaterThan(0);
    expect(pieces.join("").startsWith(reply.content)).toBe(true);

    const res = await fetch(`${server.url}/api/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: sid, content: "after restart" }),
    });
    const frames = await new SseReader(res.body!).rest();
    expect(JSON.parse(frames.at(-1)!.data).data.message).toMatchObject({
      status: "complete",
      content: "Echo: after restart",
    });
  });
});
