/**
 * References 001 and 002 as their clients see them: `POST /chat` JSON and `POST /chat/stream`
 * frames, byte for byte, against the scripted upstream; prices from the workers project's
 * MODEL_PRICES (`gpt-4o-mini`: $0.15 in, $0.60 out per million tokens).
 */
import { describe, expect, it } from "vitest";
import { START_MESSAGE } from "../../src/events/encode/simple";
import { parseSse } from "../support/sse";
import { call, type Recorded, script, uniqueId, upstreamRequests } from "./helpers";

const SYSTEM_PROMPT = "You are a test assistant.";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the workers bindings' MODEL_PRICES say the default model costs, in USD. */
function priced(input: number, output: number): number {
  return (input * 0.15 + output * 0.6) / 1_000_000;
}

/** The scripted upstream reports a quarter token per character of the messages it was sent. */
function promptTokens(req: Recorded): number {
  return Math.ceil(req.body.messages.reduce((n: number, m: any) => n + String(m.content ?? "").length, 0) / 4);
}

async function onlyRequest(marker: string): Promise<Recorded> {
  const reqs = await upstreamRequests(marker);
  expect(reqs).toHaveLength(1);
  return reqs[0];
}

/** The frames after the stream's `retry:` preamble, with their ids: the text must be exactly these. */
function expectFrames(text: string, payloads: unknown[]): string[] {
  const ids = parseSse(text).map((f) => f.id!);
  expect(ids).toHaveLength(payloads.length);
  for (const id of ids) expect(id).toMatch(/^\d+$/);
  for (let i = 1; i < ids.length; i++) expect(Number(ids[i])).toBeGreaterThan(Number(ids[i - 1]));
  const frames = payloads.map((p, i) => `id: ${ids[i]}\ndata: ${JSON.stringify(p)}\n\n`).join("");
  expect(text.replace(/^retry: \d+\n\n/, "")).toBe(frames);
  return ids;
}

/** Every conversation the caller has, as one string to search for a marker. */
async function listed(): Promise<string> {
  return JSON.stringify(await (await call("/api/v1/context/conversations?limit=500")).json());
}

describe("POST /chat/stream (reference 002)", () => {
  it("streams start, the upstream's pieces as content, then complete with the whole reply and its usage", async () => {
    const marker = uniqueId("agent");
    const pieces = ["Spring", " wind", " 春风", ' "quoted"\n'];
    const res = await call("/chat/stream", { json: { message: `${marker} ${script({ pieces })}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);

    const text = await res.text();
    const req = await onlyRequest(marker);
    const input = promptTokens(req);
    // Priced in its own test below; here the bytes around it.
    const { total_cost } = JSON.parse(parseSse(text).at(-1)!.data).usage;
    expectFrames(text, [
      { type: "start", message: START_MESSAGE },
      ...pieces.map((chunk) => ({ type: "content", chunk })),
      {
        type: "complete",
        full_content: pieces.join(""),
        usage: { input_tokens: input, output_tokens: pieces.length, total_tokens: input + pieces.length, total_cost },
      },
    ]);
  });

  it("keeps no memory without a session_id: nothing is stored or listed, and no session is named", async () => {
    const marker = uniqueId("agent-stateless");
    const first = await call("/chat/stream", { json: { message: `first ${marker}` } });
    expect(first.headers.get("x-session-id")).toBeNull();
    expect(first.headers.get("x-message-id")).toBeNull();
    expect(JSON.parse(parseSse(await first.text())[0].data)).toEqual({ type: "start", message: START_MESSAGE });

    // The next message starts from nothing: only the system prompt and itself go upstream.
    await (await call("/chat/stream", { json: { message: `second ${marker}` } })).text();
    expect((await onlyRequest(`second ${marker}`)).body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: `second ${marker}` },
    ]);
    expect(await listed()).not.toContain(marker);
  });

  it("prices the complete frame's usage from MODEL_PRICES", async () => {
    const marker = uniqueId("agent-cost");
    const res = await call("/chat/stream", { json: { message: `${marker} ${script({ pieces: ["a", "b"] })}` } });
    const complete = JSON.parse(parseSse(await res.text()).at(-1)!.data);
    const req = await onlyRequest(marker);
    expect(complete.type).toBe("complete");
    // The encoder prices through EncoderOptions.priceOf, which the session builds from MODEL_PRICES.
    expect(complete.usage.total_cost, "total_cost (are MODEL_PRICES handed to encoders?)").toBeGreaterThan(0);
    expect(complete.usage.total_cost).toBeCloseTo(priced(promptTokens(req), 2), 15);
  });

  it("continues a given session: its history goes upstream, and the start frame names it", async () => {
    const sid = uniqueId("agent-s");
    await (await call("/chat/stream", { json: { message: `one ${sid}`, session_id: sid } })).text();
    const res = await call("/chat/stream", { json: { message: `two ${sid}`, session_id: sid } });
    expect(res.headers.get("x-session-id")).toBe(sid);
    const [start] = parseSse(await res.text());
    expect(JSON.parse(start.data)).toEqual({ type: "start", message: START_MESSAGE, session_id: sid });
    expect((await onlyRequest(`two ${sid}`)).body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: `one ${sid}` },
      { role: "assistant", content: `Echo: one ${sid}` },
      { role: "user", content: `two ${sid}` },
    ]);
  });

  it("ends with an error frame when the upstream fails, before or during the reply", async () => {
    const failed = await call("/chat/stream", { json: { message: `${uniqueId()} ${script({ status: 500 })}` } });
    expect(failed.status).toBe(200);
    const text = await failed.text();
    const [, error] = parseSse(text).map((f) => JSON.parse(f.data));
    expect(error).toEqual({
      type: "error",
      error: expect.stringMatching(/model provider failed/),
      code: "upstream_unavailable",
    });
    expectFrames(text, [{ type: "start", message: START_MESSAGE }, error]);

    const cut = await call("/chat/stream", {
      json: { message: `${uniqueId()} ${script({ pieces: ["a", "b", "c"], cutAfter: 2 })}` },
    });
    const frames = parseSse(await cut.text()).map((f) => JSON.parse(f.data));
    expect(frames.map((f) => f.type)).toEqual(["start", "content", "content", "error"]);
    expect(frames.slice(1, 3).map((f) => f.chunk)).toEqual(["a", "b"]);
  });

  it("refuses bad input with a JSON error naming the field, and a second turn while one runs with 409", async () => {
    for (const [body, param] of [
      [{}, "message"],
      [{ message: "" }, "message"],
      [{ message: 1 }, "message"],
      [{ message: "hi", session_id: "no/slashes" }, "session_id"],
      [{ message: "hi", system_prompt: 7 }, "system_prompt"],
    ] as const) {
      const res = await call("/chat/stream", { json: body });
      expect(res.status).toBe(400);
      expect((await res.json<any>()).error).toMatchObject({ code: "invalid_request", param });
    }

    const sid = uniqueId("agent-busy");
    const running = await call("/chat/stream", {
      json: { session_id: sid, message: script({ pieces: ["a", "b", "c"], delayMs: 100 }) },
    });
    const busy = await call("/chat/stream", { json: { session_id: sid, message: "again" } });
    expect(busy.status).toBe(409);
    expect((await busy.json<any>()).error.code).toBe("turn_in_progress");
    await running.text();
  });
});

describe("GET /chat/stream (an EventSource, which cannot POST)", () => {
  const eventSourceHeaders = { accept: "text/event-stream", "cache-control": "no-cache" };

  it("answers what new EventSource('/chat/stream', {method, body}) sends with a 400 saying how to call it", async () => {
    // A browser ignores the method and body options: this GET is all that arrives.
    const res = await call("/chat/stream", { headers: eventSourceHeaders });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const { error } = await res.json<any>();
    expect(error).toEqual({
      message: expect.stringContaining("GET /chat/stream?message="),
      type: "invalid_request_error",
      code: "invalid_request",
      param: "message",
    });
    expect(error.message).toMatch(/^message: is required: .*POST \/chat\/stream/);
  });

  it("streams the same frames as the POST for ?message=, storing nothing", async () => {
    const marker = uniqueId("agent-get");
    const pieces = ["春", "风", "拂"];
    const message = `写一首诗 ${marker} ${script({ pieces })}`;
    const res = await call(`/chat/stream?message=${encodeURIComponent(message)}`, { headers: eventSourceHeaders });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-session-id")).toBeNull();
    const text = await res.text();
    const req = await onlyRequest(marker);
    expect(req.body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: message },
    ]);
    const input = promptTokens(req);
    expectFrames(text, [
      { type: "start", message: START_MESSAGE },
      ...pieces.map((chunk) => ({ type: "content", chunk })),
      {
        type: "complete",
        full_content: pieces.join(""),
        usage: { input_tokens: input, output_tokens: 3, total_tokens: input + 3, total_cost: priced(input, 3) },
      },
    ]);
    expect(await listed()).not.toContain(marker);
  });

  it("takes system_prompt, and session_id to continue a stored conversation", async () => {
    const marker = uniqueId("agent-get-sys");
    const query = new URLSearchParams({
      message: `${marker} ${script({ echoSystem: true })}`,
      system_prompt: "你是一个诗人",
    });
    const frames = parseSse(await (await call(`/chat/stream?${query}`)).text()).map((f) => JSON.parse(f.data));
    expect(frames.at(-1)).toMatchObject({ type: "complete", full_content: "你是一个诗人" });

    const sid = uniqueId("agent-get-s");
    await (await call("/chat/stream", { json: { message: `one ${sid}`, session_id: sid } })).text();
    const res = await call(`/chat/stream?${new URLSearchParams({ message: `two ${sid}`, session_id: sid })}`);
    expect(res.headers.get("x-session-id")).toBe(sid);
    const [start] = parseSse(await res.text());
    expect(JSON.parse(start.data)).toEqual({ type: "start", message: START_MESSAGE, session_id: sid });
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages.map((m: any) => m.content)).toEqual([
      `one ${sid}`,
      `Echo: one ${sid}`,
      `two ${sid}`,
      `Echo: two ${sid}`,
    ]);
  });

  it("refuses bad parameters with a JSON error naming them", async () => {
    for (const [query, param] of [
      ["message=", "message"],
      ["message=hi&session_id=no%2Fslashes", "session_id"],
    ] as const) {
      const res = await call(`/chat/stream?${query}`);
      expect(res.status).toBe(400);
      expect((await res.json<any>()).error).toMatchObject({ code: "invalid_request", param });
    }
  });
});

describe("POST /chat (references 001, 002)", () => {
  it("answers in JSON with a new session id, then continues that session with its history", async () => {
    const marker = uniqueId("json");
    const first = await call("/chat", { json: { message: `first ${marker}` } });
    expect(first.status).toBe(200);
    const a = await first.json<any>();
    expect(a.session_id).toMatch(UUID);
    expect(a.response).toBe(`Echo: first ${marker}`);
    const req1 = await onlyRequest(`first ${marker}`);
    const in1 = promptTokens(req1);
    // "Echo:", " first", " <marker>": three pieces.
    expect(a.usage).toEqual({ input_tokens: in1, output_tokens: 3, total_tokens: in1 + 3, total_cost: priced(in1, 3) });
    expect(a.usage.total_cost).toBeGreaterThan(0);

    const second = await (
      await call("/chat", { json: { message: `second ${marker}`, session_id: a.session_id } })
    ).json<any>();
    expect(second).toMatchObject({ session_id: a.session_id, response: `Echo: second ${marker}` });
    expect((await onlyRequest(`second ${marker}`)).body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: `first ${marker}` },
      { role: "assistant", content: `Echo: first ${marker}` },
      { role: "user", content: `second ${marker}` },
    ]);
    const stored = await (await call(`/api/v1/context/conversations/${a.session_id}`)).json<any>();
    expect(stored.message_count).toBe(4);
    // Unlike the stream, the JSON route keeps what it was not given a session for.
    expect(await listed()).toContain(a.session_id);
  });

  it("sends system_prompt upstream as the system message, for that turn only", async () => {
    const marker = uniqueId("sys");
    const res = await call("/chat", {
      json: { message: `${marker} ${script({ echoSystem: true })}`, system_prompt: "You are a pirate." },
    });
    const body = await res.json<any>();
    expect(body.response).toBe("You are a pirate.");
    const req = await onlyRequest(marker);
    expect(req.body.messages.filter((m: any) => m.role === "system")).toEqual([
      { role: "system", content: "You are a pirate." },
    ]);
    expect(req.body.messages[0]).toEqual({ role: "system", content: "You are a pirate." });

    // The next turn of that session, without one, is back to SYSTEM_PROMPT.
    const next = await (
      await call("/chat", { json: { message: script({ echoSystem: true }), session_id: body.session_id } })
    ).json<any>();
    expect(next.response).toBe(SYSTEM_PROMPT);
  });

  it("answers a reply cut short by the upstream with what was written, and says why", async () => {
    const res = await call("/chat", {
      json: { message: `${uniqueId()} ${script({ pieces: ["Half", " a"], cutAfter: 2 })}` },
    });
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(res.headers.get("x-session-id")).toBe(body.session_id);
    expect(body).toMatchObject({
      response: "Half a",
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });

  it("answers an upstream failure with nothing written as a 502 JSON error", async () => {
    const res = await call("/chat", { json: { message: `${uniqueId()} ${script({ status: 500 })}` } });
    expect(res.status).toBe(502);
    expect((await res.json<any>()).error).toMatchObject({ code: "upstream_unavailable", type: "upstream_error" });
  });
});

describe("GET /", () => {
  it("welcomes an API client with what this is and where to go", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json<any>();
    expect(body).toMatchObject({ name: "edge-chat", links: { health: "/health", openapi: "/openapi.json" } });
    expect(body.description).toEqual(expect.any(String));
    expect(JSON.stringify(body.endpoints)).toContain("POST /chat/stream");
    for (const link of Object.values<string>(body.links)) expect((await call(link)).status).toBe(200);
  });
});
