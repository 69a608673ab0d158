import { describe, expect, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { call, eventually, script, uniqueId, upstreamRequests } from "./helpers";

const SLOW = script({ text: "tick ", repeat: 200, delayMs: 40 });

async function startSlow(sid: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content: `${sid} ${SLOW}` } });
  expect(res.status).toBe(200);
  const reader = new SseReader(res.body!);
  // Wait until tokens really flow, so the abort lands mid-stream.
  for (let i = 0; i < 3; i++) expect(JSON.parse((await reader.next())!.data).type).toBe("chunk");
  return reader;
}

describe("POST /api/chat/abort", () => {
  it("cancels the upstream request, keeps the partial reply as aborted and ends the stream with complete", async () => {
    const sid = uniqueId();
    const reader = await startSlow(sid);

    const abortedAt = Date.now();
    const res = await call("/api/chat/abort", { json: { session_id: sid } });
    expect(await res.json()).toEqual({ aborted: true });

    const rest = await reader.rest();
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    const events = nativeEvents(reader.text);
    const last = events.at(-1)!;
    expect(last.type).toBe("complete");
    expect(last.data.message.status).toBe("aborted");
    const streamed = events
      .filter((e) => e.type === "chunk")
      .map((e) => e.data.content)
      .join("");
    expect(last.data.message.content).toBe(streamed);
    expect(streamed.length).toBeGreaterThan(0);
    expect(rest.length).toBeGreaterThan(0);

    // The upstream saw its connection closed before it had sent everything: billing stopped.
    const [req] = await eventually(async () => {
      const reqs = await upstreamRequests(sid);
      expect(reqs[0].outcome).toBe("client-closed");
      return reqs;
    });
    expect(req.chunksSent).toBeLessThan(200);

    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages[1]).toMatchObject({ status: "aborted", content: streamed });

    // Nothing is running any more; the session takes a new turn.
    expect(await (await call("/api/chat/abort", { json: { session_id: sid } })).json()).toEqual({ aborted: false });
    const next = nativeEvents(
      await (await call("/api/chat/stream", { json: { session_id: sid, content: "again" } })).text(),
    );
    expect(next.at(-1)!.data.message).toMatchObject({ status: "complete", content: "Echo: again" });
  });

  it("answers false for a session with nothing running", async () => {
    const res = await call("/api/chat/abort", { json: { session_id: uniqueId() } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ aborted: false });
  });

  it("refuses a second turn while one runs with 409, and nothing interleaves", async () => {
    const sid = uniqueId();
    const reader = await startSlow(sid);

    const second = await call("/api/chat/stream", { json: { session_id: sid, content: "interloper" } });
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({
      error: {
        message: expect.stringContaining("already running"),
        type: "conflict_error",
        code: "turn_in_progress",
        param: null,
      },
    });
    const direct = await call("/api/chat/stream/direct", {
      json: { session_id: sid, messages: [{ role: "user", content: "x" }] },
    });
    expect(direct.status).toBe(409);

    await call("/api/chat/abort", { json: { session_id: sid } });
    await reader.rest();
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    expect(stored.messages.some((m: any) => m.content.includes("interloper"))).toBe(false);
  });
});
