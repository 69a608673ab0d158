/**
 * Reference 004's chat routes as its client uses them: `POST /api/v1/chat/{id}` JSON, the
 * `POST …/stream` frames, and a `GET …/stream` opened before the POST (what the reference's
 * `EventSource` does) that receives that turn and then ends.
 */
import { describe, expect, it } from "vitest";
import { type ParsedFrame, parseSse, SseReader } from "../support/sse";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

function v1(frames: ParsedFrame[]): { id: number; type: string; data: any }[] {
  return frames.map((f) => ({ id: Number(f.id), ...(JSON.parse(f.data) as { type: string; data: any }) }));
}

/** Exactly these frames after the `retry:` preamble, byte for byte, with the ids the stream used. */
function expectFrames(text: string, payloads: unknown[]): void {
  const ids = parseSse(text).map((f) => f.id!);
  expect(ids).toHaveLength(payloads.length);
  for (let i = 1; i < ids.length; i++) expect(Number(ids[i])).toBeGreaterThan(Number(ids[i - 1]));
  expect(text.replace(/^retry: \d+\n\n/, "")).toBe(
    payloads.map((p, i) => `id: ${ids[i]}\ndata: ${JSON.stringify(p)}\n\n`).join(""),
  );
}

describe("POST /api/v1/chat/{id}", () => {
  it("answers {session_id, response} and keeps the conversation's history", async () => {
    const sid = uniqueId("v1j");
    const res = await call(`/api/v1/chat/${sid}`, { json: { message: `hello ${sid}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ session_id: sid, response: `Echo: hello ${sid}` });

    await call(`/api/v1/chat/${sid}`, { json: { message: `again ${sid}` } });
    const [req] = await upstreamRequests(`again ${sid}`);
    expect(req.body.messages.slice(1)).toEqual([
      { role: "user", content: `hello ${sid}` },
      { role: "assistant", content: `Echo: hello ${sid}` },
      { role: "user", content: `again ${sid}` },
    ]);
  });

  it("refuses a missing message with the field named and FastAPI's detail, and an upstream failure with 502", async () => {
    const bad = await call(`/api/v1/chat/${uniqueId()}`, { json: { text: "hi" } });
    expect(bad.status).toBe(400);
    const body = await bad.json<any>();
    expect(body.error).toMatchObject({ code: "invalid_request", param: "message" });
    expect(body.detail).toBe(body.error.message);

    const failed = await call(`/api/v1/chat/${uniqueId()}`, { json: { message: script({ status: 500 }) } });
    expect(failed.status).toBe(502);
    expect((await failed.json<any>()).detail).toMatch(/model provider failed/);
  });
});

describe("POST /api/v1/chat/{id}/stream", () => {
  it("streams start, one chunk per upstream piece, then end with the full text", async () => {
    const sid = uniqueId("v1s");
    const pieces = ["Once", " upon", " a 时间", ' "time"\n'];
    const res = await call(`/api/v1/chat/${sid}/stream`, { json: { message: script({ pieces }) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-session-id")).toBe(sid);
    const messageId = res.headers.get("x-message-id");
    expectFrames(await res.text(), [
      { type: "start", data: { session_id: sid, message_id: messageId } },
      ...pieces.map((content) => ({ type: "chunk", data: { content } })),
      { type: "end", data: { full_text: pieces.join(""), finish_reason: "stop" } },
    ]);
  });

  it("ends with an error frame when the upstream fails", async () => {
    const res = await call(`/api/v1/chat/${uniqueId()}/stream`, {
      json: { message: script({ pieces: ["a", "b", "c"], cutAfter: 1 }) },
    });
    const frames = v1(parseSse(await res.text()));
    expect(frames.map((f) => f.type)).toEqual(["start", "chunk", "error"]);
    expect(frames[2].data).toEqual({ message: expect.any(String), code: expect.any(String) });
  });

  it("refuses a second turn while one runs with 409 and detail", async () => {
    const sid = uniqueId("v1busy");
    const running = await call(`/api/v1/chat/${sid}/stream`, {
      json: { message: script({ pieces: ["a", "b"], delayMs: 150 }) },
    });
    const busy = await call(`/api/v1/chat/${sid}/stream`, { json: { message: "too soon" } });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({
      error: { code: "turn_in_progress" },
      detail: expect.stringContaining(sid),
    });
    await running.text();
  });
});

describe("GET /api/v1/chat/{id}/stream", () => {
  it("opened before the POST, receives that turn's start, chunks and end, then ends", async () => {
    const sid = uniqueId("v1w");
    const watching = await call(`/api/v1/chat/${sid}/stream`);
    expect(watching.status).toBe(200);
    expect(watching.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const watcher = new SseReader(watching.body!);

    const pieces = ["The", " fox", " ran."];
    const posted = await call(`/api/v1/chat/${sid}/stream`, { json: { message: script({ pieces, delayMs: 20 }) } });
    expect(posted.status).toBe(200);
    const postedText = await posted.text();

    // `rest()` returns only once the stream has ended.
    const frames = v1(await watcher.rest());
    expect(frames.map((f) => f.type)).toEqual(["start", "chunk", "chunk", "chunk", "end"]);
    expect(frames[0].data).toEqual({ session_id: sid, message_id: posted.headers.get("x-message-id") });
    expect(frames.filter((f) => f.type === "chunk").map((f) => f.data.content)).toEqual(pieces);
    expect(frames[4].data.full_text).toBe(pieces.join(""));
    // The same frames, byte for byte, as the POST's own stream.
    expect(watcher.text).toBe(postedText);
  });

  it("opened during a turn with the Last-Event-ID it saw, gets the rest of that turn", async () => {
    const sid = uniqueId("v1r");
    const pieces = ["a", "b", "c", "d", "e"];
    const posted = await call(`/api/v1/chat/${sid}/stream`, { json: { message: script({ pieces, delayMs: 60 }) } });
    const reader = new SseReader(posted.body!);
    const seen = v1([(await reader.next())!, (await reader.next())!]);
    expect(seen.map((f) => f.type)).toEqual(["start", "chunk"]);

    const back = await call(`/api/v1/chat/${sid}/stream`, { headers: { "last-event-id": String(seen[1].id) } });
    const rest = v1(await new SseReader(back.body!).rest());
    expect(rest[0].id).toBeGreaterThan(seen[1].id);
    expect(rest.map((f) => f.type)).toEqual(["chunk", "chunk", "chunk", "chunk", "end"]);
    expect(rest.filter((f) => f.type === "chunk").map((f) => f.data.content)).toEqual(pieces.slice(1));
    await reader.rest();

    const bad = await call(`/api/v1/chat/${sid}/stream`, { headers: { "last-event-id": "x1" } });
    expect(bad.status).toBe(400);
    expect((await bad.json<any>()).error.param).toBe("Last-Event-ID");
  });

  it("after a finished turn, waits for the next one rather than replaying the old", async () => {
    const sid = uniqueId("v1n");
    const first = await call(`/api/v1/chat/${sid}/stream`, { json: { message: "first" } });
    const lastId = parseSse(await first.text()).at(-1)!.id!;

    // An EventSource that was not closed reconnects with the id of the `end` it saw.
    const watching = await call(`/api/v1/chat/${sid}/stream`, { headers: { "last-event-id": lastId } });
    const watcher = new SseReader(watching.body!);
    await (await call(`/api/v1/chat/${sid}/stream`, { json: { message: "second" } })).text();
    const frames = v1(await watcher.rest());
    expect(frames.at(-1)).toMatchObject({ type: "end", data: { full_text: "Echo: second" } });
    expect(frames[0].type).toBe("start");
    expect(frames[0].id).toBeGreaterThan(Number(lastId));
  });
});
