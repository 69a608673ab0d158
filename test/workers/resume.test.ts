import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOCAL_OWNER } from "../../src/http/context";
import { sessionStub } from "../../src/session/address";
import { nativeEvents, type ParsedFrame, SseReader } from "../support/sse";
import { call, script, uniqueId } from "./helpers";

const pieces = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i} `);

async function startSlow(sid: string, n = 40, delayMs = 25) {
  const text = pieces(n, "w");
  const res = await call("/api/chat/stream", {
    json: { session_id: sid, content: `${sid} ${script({ pieces: text, delayMs })}` },
  });
  expect(res.status).toBe(200);
  return { reader: new SseReader(res.body!), text: text.join("") };
}

async function readChunks(reader: SseReader, n: number): Promise<ParsedFrame[]> {
  const frames: ParsedFrame[] = [];
  while (frames.length < n) {
    const f = await reader.next();
    if (!f) break;
    frames.push(f);
  }
  return frames;
}

const contentOf = (frames: ParsedFrame[]) =>
  frames
    .map((f) => JSON.parse(f.data))
    .filter((d) => d.type === "chunk")
    .map((d) => d.data.content)
    .join("");

async function storedReply(sid: string) {
  const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
  return conv.messages.at(-1);
}

describe("resuming a turn after a dropped connection", () => {
  it("replays what was missed after Last-Event-ID, then follows live: the text arrives exactly once, in order", async () => {
    const sid = uniqueId();
    const { reader, text } = await startSlow(sid);
    const first = await readChunks(reader, 8);
    await reader.cancel(); // the client drops; the turn goes on

    const lastId = first.at(-1)!.id!;
    const res = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": lastId } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const rest = await new SseReader(res.body!).rest();

    const ids = [...first, ...rest].map((f) => Number(f.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    const all = contentOf(first) + contentOf(rest);
    expect(all).toBe(text);
    const complete = JSON.parse(rest.at(-1)!.data);
    expect(complete.type).toBe("complete");
    expect(complete.data.message.content).toBe(text);
    expect((await storedReply(sid)).content).toBe(text);
  });

  it("accepts ?after= as well, and sends retry: so EventSource knows when to come back", async () => {
    const sid = uniqueId();
    const { reader, text } = await startSlow(sid, 20, 20);
    const first = await readChunks(reader, 5);
    await reader.cancel();
    const res = await call(`/api/chat/${sid}/stream?after=${first.at(-1)!.id}`);
    const body = await res.text();
    expect(body.startsWith("retry: ")).toBe(true);
    expect(
      contentOf(first) +
        nativeEvents(body)
          .filter((e) => e.type === "chunk")
          .map((e) => e.data.content)
          .join(""),
    ).toBe(text);
  });

  it("serves several subscribers of one turn at once, each getting every event once", async () => {
    const sid = uniqueId();
    const { reader, text } = await startSlow(sid, 30, 20);
    const tab2 = new SseReader((await call(`/api/chat/${sid}/stream?after=0`)).body!);
    const tab3 = new SseReader((await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": "0" } })).body!);
    const [a, b, c] = await Promise.all([reader.rest(), tab2.rest(), tab3.rest()]);
    for (const frames of [a, b, c]) {
      expect(contentOf(frames)).toBe(text);
      const ids = frames.map((f) => f.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(b.map((f) => f.id)).toEqual(c.map((f) => f.id));
  });

  it("after the turn ended: replays the rest, then closes; with nothing left, or after pruning, 204", async () => {
    const sid = uniqueId();
    const { reader, text } = await startSlow(sid, 10, 5);
    const all = await reader.rest();
    const midId = all[4].id!;
    const replay = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": midId } });
    const frames = await new SseReader(replay.body!).rest();
    expect(contentOf(all.slice(0, 5)) + contentOf(frames)).toBe(text);
    expect(JSON.parse(frames.at(-1)!.data).type).toBe("complete");

    const upToDate = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": all.at(-1)!.id! } });
    expect(upToDate.status).toBe(204);

    const stub = sessionStub(env, LOCAL_OWNER, sid);
    // The log outlives its turn by minutes: age the turn instead of waiting, then let the alarm
    // that the turn's end scheduled run.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE turns SET ended_at = ?", new Date(Date.now() - 60 * 60_000).toISOString());
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await call(`/api/chat/${sid}/stream?after=0`)).status).toBe(204);
    // Pruning the log never touches the messages.
    expect((await storedReply(sid)).content).toBe(text);
  });

  it("answers 204 for a session that never ran, and 400 for a bad Last-Event-ID", async () => {
    expect((await call(`/api/chat/${uniqueId()}/stream`)).status).toBe(204);
    const bad = await call(`/api/chat/${uniqueId()}/stream`, { headers: { "Last-Event-ID": "abc" } });
    expect(bad.status).toBe(400);
  });
});
