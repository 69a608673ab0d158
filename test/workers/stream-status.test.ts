/**
 * When a streamed answer in the OpenAI and Anthropic dialects gets its status: once the model has
 * accepted the request, as those APIs answer, not at the first token (which would put the
 * status's trip from the object to the client on every first token's path). A failure before
 * that is an HTTP status; one after it is an error frame. That a client leaving before the first
 * token stops the upstream is shown against wrangler dev (test/e2e/openai.e2e.test.ts): here the
 * turn's own first-token timeout would pass for it.
 */
import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { parseSse, SseReader } from "../support/sse";
import { call, openaiClient, script, uniqueId, workerFetch } from "./helpers";

/** A reply whose upstream answers 200 at once and then sends no token until the client leaves. */
const heldReply = (sid: string) => `${sid} ${script({ pieces: ["never"], gate: `never-${sid}`, gateAfter: 0 })}`;

const dialects = [
  {
    name: "Chat Completions",
    path: "/v1/chat/completions",
    body: (content: string) => ({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content }] }),
    first: (data: any) => expect(data.choices[0].delta).toEqual({ role: "assistant", content: "" }),
    failed: (frames: any[]) => {
      expect(frames.at(-1)).toBe("[DONE]");
      expect(frames.at(-2).error).toMatchObject({ code: "upstream_timeout" });
    },
  },
  {
    name: "Messages",
    path: "/v1/messages",
    body: (content: string) => ({
      model: "gpt-4o-mini",
      max_tokens: 50,
      stream: true,
      messages: [{ role: "user", content }],
    }),
    first: (data: any) => expect(data.type).toBe("message_start"),
    failed: (frames: any[]) => expect(frames.at(-1)).toMatchObject({ type: "error", error: { type: "timeout_error" } }),
  },
  {
    name: "Responses",
    path: "/v1/responses",
    body: (content: string) => ({ model: "gpt-4o-mini", stream: true, input: content }),
    first: (data: any) => expect(data.type).toBe("response.created"),
    failed: (frames: any[]) => {
      expect(frames.slice(-2).map((f) => f.type)).toEqual(["response.failed", "error"]);
      expect(frames.at(-2).response.error).toMatchObject({ code: "upstream_timeout" });
    },
  },
];

describe("a streamed answer's status", () => {
  for (const d of dialects) {
    it(`${d.name}: is 200 once the model accepted the request, before its first token`, async () => {
      const sid = uniqueId();
      const res = await call(d.path, { json: d.body(heldReply(sid)) });
      // Held for the first token, this answer would be the first-token timeout's 504, 3 s later.
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = new SseReader(res.body!);
      d.first(JSON.parse((await reader.next())!.data));
      await reader.cancel();
    });
  }

  it("the official SDKs get their stream before the first token", async () => {
    const sid = uniqueId();
    const openaiStop = new AbortController();
    const { response } = await openaiClient()
      .chat.completions.create(
        { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: heldReply(sid) }] },
        { signal: openaiStop.signal },
      )
      .withResponse();
    expect(response.status).toBe(200);
    openaiStop.abort();

    const other = uniqueId();
    const anthropic = new Anthropic({ apiKey: "unused", baseURL: "http://edge-chat.test", fetch: workerFetch });
    const anthropicStop = new AbortController();
    const stream = anthropic.messages.stream(
      { model: "gpt-4o-mini", max_tokens: 50, messages: [{ role: "user", content: heldReply(other) }] },
      { signal: anthropicStop.signal },
    );
    stream.on("abort", () => {}); // ours, below
    const started = await new Promise<unknown>((resolve, reject) => {
      stream.on("streamEvent", (event) => resolve(event));
      stream.on("error", reject);
    });
    expect(started).toMatchObject({ type: "message_start" });
    anthropicStop.abort();
  });

  it("a failure after the model accepted the request is an error frame in each dialect's shape, and one before it is still a status", async () => {
    // The upstream answers 200 and never sends a token: the first-token timeout (3 s here) ends it.
    await Promise.all(
      dialects.map(async (d) => {
        const res = await call(d.path, { json: d.body(`${uniqueId()} ${script({ hang: true })}`) });
        expect(res.status).toBe(200);
        d.failed(parseSse(await res.text()).map((f) => (f.data === "[DONE]" ? f.data : JSON.parse(f.data))));
      }),
    );

    const refused = await call("/v1/chat/completions", {
      json: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: script({ status: 503 }) }] },
    });
    expect(refused.status).toBe(503);
    expect((await refused.json<any>()).error.code).toBe("upstream_overloaded");
  });
});
