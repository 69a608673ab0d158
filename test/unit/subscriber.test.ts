import { afterEach, describe, expect, it, vi } from "vitest";
import { Subscriber } from "../../src/session/subscriber";

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("Subscriber framing", () => {
  afterEach(() => vi.useRealTimers());

  it("starts an SSE stream with retry: and keeps it alive with a ping every 15 s of the turn", async () => {
    vi.useFakeTimers();
    const sub = new Subscriber("native", { sessionId: "s", model: "m" }, { sse: true, heartbeatMs: 15_000 });
    const text = readAll(sub.stream);
    await vi.advanceTimersByTimeAsync(14_999);
    sub.send({ type: "text-delta", text: "hi", seq: 1, turnId: "t" });
    await vi.advanceTimersByTimeAsync(16_000);
    await sub.close();
    // After close, no more pings.
    await vi.advanceTimersByTimeAsync(60_000);
    const out = await text;
    expect(out).toBe('retry: 2000\n\nid: 1\ndata: {"type":"chunk","data":{"content":"hi"}}\n\n: ping\n\n: ping\n\n');
  });

  it("adds nothing to a stream that is not SSE", async () => {
    vi.useFakeTimers();
    const sub = new Subscriber("native", { sessionId: "s", model: "m" }, { sse: false, heartbeatMs: 15_000 });
    const text = readAll(sub.stream);
    await vi.advanceTimersByTimeAsync(40_000);
    await sub.close();
    expect(await text).toBe("");
  });
});
