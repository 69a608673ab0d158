import { describe, expect, it } from "vitest";
import { nativeEvents } from "../support/sse";
import { call, script, uniqueId, upstreamRequests, upstreamUrl } from "./helpers";

async function streamTurn(sessionId: string, content: string, extra: Record<string, unknown> = {}) {
  const res = await call("/api/chat/stream", { json: { session_id: sessionId, content, ...extra } });
  return { res, events: nativeEvents(await res.text()) };
}

describe("POST /api/chat/stream", () => {
  it("streams chunks then a complete event carrying the stored message, each frame with an increasing id", async () => {
    const sid = uniqueId();
    const { res, events } = await streamTurn(sid, `${sid} ${script({ pieces: ["Hel", "lo", " there"] })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toContain("no-cache");

    expect(events.map((e) => e.type)).toEqual(["chunk", "chunk", "chunk", "complete"]);
    expect(events.slice(0, 3).map((e) => e.data.content)).toEqual(["Hel", "lo", " there"]);
    const ids = events.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);

    const message = events[3].data.message;
    expect(message).toMatchObject({ role: "assistant", content: "Hello there", status: "complete" });
    expect(message.id).toEqual(expect.any(String));
    expect(Date.parse(message.created_at)).not.toBeNaN();
    expect(message.usage).toMatchObject({ completion_tokens: 3, total_tokens: expect.any(Number) });

    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages.map((m: any) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    expect(stored.messages[1]).toEqual(message);
  });

  it("sends the system prompt first, then the stored history, with the server's key", async () => {
    const sid = uniqueId();
    await streamTurn(sid, `first ${sid}`);
    const { events } = await streamTurn(sid, `second ${sid}`);
    expect(events.at(-1)!.type).toBe("complete");

    const reqs = await upstreamRequests(`second ${sid}`);
    expect(reqs).toHaveLength(1);
    expect(reqs[0].authorization).toBe("Bearer sk-test-server-key-0123456789");
    expect(reqs[0].body.messages).toEqual([
      { role: "system", content: "You are a test assistant." },
      { role: "user", content: `first ${sid}` },
      { role: "assistant", content: `Echo: first ${sid}` },
      { role: "user", content: `second ${sid}` },
    ]);
  });

  it("keeps sequence numbers increasing across turns of a session", async () => {
    const sid = uniqueId();
    const a = await streamTurn(sid, "one");
    const b = await streamTurn(sid, "two");
    expect(b.events[0].id).toBeGreaterThan(a.events.at(-1)!.id);
  });

  it("applies model_config overrides to the upstream request", async () => {
    const sid = uniqueId();
    await streamTurn(sid, `override ${sid}`, {
      model_config: { model_name: "gpt-test-x", temperature: 0.2, max_tokens: 33 },
    });
    const [req] = await upstreamRequests(`override ${sid}`);
    expect(req.body).toMatchObject({ model: "gpt-test-x", temperature: 0.2, max_tokens: 33 });
  });

  it("sends a caller's allowlisted base_url the caller's key, never the server's", async () => {
    const sid = uniqueId();
    const { events } = await streamTurn(sid, `own upstream ${sid}`, {
      model_config: { base_url: upstreamUrl, api_key: "sk-caller-own-key" },
    });
    expect(events.at(-1)!.type).toBe("complete");
    const [req] = await upstreamRequests(`own upstream ${sid}`);
    expect(req.authorization).toBe("Bearer sk-caller-own-key");
  });

  it("ends with an error event and stores the partial reply as error when the upstream fails", async () => {
    const sid = uniqueId();
    const { res, events } = await streamTurn(sid, `${sid} ${script({ status: 500 })}`);
    expect(res.status).toBe(200);
    expect(events.map((e) => e.type)).toEqual(["error"]);
    expect(events[0].data.error).toMatch(/model provider failed/);
    expect(events[0].data.code).toBe("upstream_unavailable");

    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages.map((m: any) => m.status)).toEqual(["complete", "error"]);
  });

  it("keeps what was streamed when the upstream connection is cut mid-reply", async () => {
    const sid = uniqueId();
    const { events } = await streamTurn(sid, `${sid} ${script({ pieces: ["a", "b", "c", "d"], cutAfter: 2 })}`);
    expect(events.map((e) => e.type)).toEqual(["chunk", "chunk", "error"]);
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages[1]).toMatchObject({ content: "ab", status: "error" });
  });

  it("never relays an upstream error body that echoes the key", async () => {
    const sid = uniqueId();
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: script({ status: 401 }) } });
    const text = await res.text();
    expect(text).toContain("refused our credentials");
    expect(text).not.toContain("sk-test-");
  });
});
