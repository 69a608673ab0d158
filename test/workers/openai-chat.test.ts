/**
 * The OpenAI-compatible API as the official `openai` SDK sees it, pointed at the Worker: models,
 * completions streamed and not, statelessness, and `X-Session-Id` recording.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { parseSse } from "../support/sse";
import { call, openaiClient, script, uniqueId, upstreamRequests } from "./helpers";

const client = openaiClient;

async function conversation(sid: string): Promise<Response> {
  return call(`/api/v1/context/conversations/${sid}`);
}

describe("GET /v1/models", () => {
  it("lists the default model first, then the models the providers serve, each once", async () => {
    const page = await client().models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids[0]).toBe("gpt-4o-mini");
    expect(ids).toEqual(expect.arrayContaining(["primary-down", "backup-model"]));
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of page.data)
      expect(m).toEqual({ id: m.id, object: "model", created: expect.any(Number), owned_by: expect.any(String) });
  });
});

describe("POST /v1/chat/completions, not streamed", () => {
  it("answers with a chat.completion carrying the upstream's text, usage and finish_reason", async () => {
    const marker = uniqueId("oa");
    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `${marker} ${script({ pieces: ["Hello", " from", " upstream"] })}` }],
      temperature: 0.3,
      max_completion_tokens: 55,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
    expect(completion.model).toBe("gpt-4o-mini");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({
      index: 0,
      finish_reason: "stop",
      message: { role: "assistant", content: "Hello from upstream" },
    });
    expect(completion.choices[0].message.tool_calls).toBeUndefined();
    expect(completion.usage).toMatchObject({ completion_tokens: 3, prompt_tokens: expect.any(Number) });
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + 3);

    const [req] = await upstreamRequests(marker);
    expect(req.body).toMatchObject({ model: "gpt-4o-mini", temperature: 0.3, max_tokens: 55 });
  });

  it("passes finish_reason length through", async () => {
    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: script({ text: "cut short", finishReason: "length" }) }],
    });
    expect(completion.choices[0]).toMatchObject({ finish_reason: "length", message: { content: "cut short" } });
  });

  it("joins text content parts", async () => {
    const marker = uniqueId("parts");
    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `${marker} one ` },
            { type: "text", text: "two" },
          ],
        },
      ],
    });
    expect(completion.choices[0].message.content).toBe(`Echo: ${marker} one two`);
    const [req] = await upstreamRequests(marker);
    expect(req.body.messages.at(-1)).toEqual({ role: "user", content: `${marker} one two` });
  });
});

describe("POST /v1/chat/completions, streamed", () => {
  it("streams chunks whose text adds up to the upstream's, role first, finish_reason last, usage on request", async () => {
    const pieces = ["Strea", "med ", "wor", "ds", "."];
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: script({ pieces }) }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(pieces.join(""));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    for (const c of chunks)
      expect(c).toMatchObject({ object: "chat.completion.chunk", model: "gpt-4o-mini", created: chunks[0].created });

    const withChoices = chunks.filter((c) => c.choices.length > 0);
    expect(withChoices.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(withChoices.at(-1)!.choices[0].finish_reason).toBe("stop");

    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: pieces.length, total_tokens: expect.any(Number) });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("sends no usage chunk unless asked", async () => {
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: script({ pieces: ["a", "b"] }) }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).toBe(true);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("stop");
  });

  it("puts SSE frames on the wire, each with an id, ending in data: [DONE]", async () => {
    const res = await call("/v1/chat/completions", {
      json: {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ pieces: ["x", "y"] }) }],
        stream: true,
        stream_options: { include_usage: true },
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    // Nothing was stored, so there is no session to name.
    expect(res.headers.get("x-session-id")).toBeNull();
    const text = await res.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);

    const frames = parseSse(text);
    expect(frames.every((f) => /^\d+$/.test(f.id ?? ""))).toBe(true);
    const ids = frames.map((f) => Number(f.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThanOrEqual(ids[i - 1]);
    expect(frames.at(-1)!.data).toBe("[DONE]");
    const json = frames.slice(0, -1).map((f) => JSON.parse(f.data));
    expect(json[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(json.at(-2).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    expect(json.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
  });
});

describe("sessions", () => {
  it("is stateless: the upstream gets the client's whole history, and nothing is stored", async () => {
    const marker = uniqueId("stateless");
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "client system" },
      { role: "user", content: "earlier question" },
      { role: "assistant", content: "earlier answer" },
      { role: "user", content: marker },
    ];
    const res = await client().chat.completions.create({ model: "gpt-4o-mini", messages }).withResponse();
    expect(res.data.choices[0].message.content).toBe(`Echo: ${marker}`);
    expect(res.response.headers.get("x-session-id")).toBeNull();

    const [req] = await upstreamRequests(marker);
    expect(req.body.messages).toEqual(messages);

    const list = await (await call("/api/v1/context/conversations?limit=500")).json<any>();
    expect(JSON.stringify(list)).not.toContain(marker);
  });

  it("a streamed stateless turn stores nothing either", async () => {
    const marker = uniqueId("stateless-stream");
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: marker }],
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    const list = await (await call("/api/v1/context/conversations?limit=500")).json<any>();
    expect(JSON.stringify(list)).not.toContain(marker);
  });

  it("with X-Session-Id, records the last user message and the reply in that session", async () => {
    const sid = uniqueId("oa-rec");
    expect((await conversation(sid)).status).toBe(404);
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: "context only" },
      { role: "assistant", content: "not stored either" },
      { role: "user", content: `${sid} ${script({ pieces: ["rec", "orded"] })}` },
    ];
    const res = await client({ "X-Session-Id": sid })
      .chat.completions.create({ model: "gpt-4o-mini", messages })
      .withResponse();
    expect(res.data.choices[0].message.content).toBe("recorded");
    expect(res.response.headers.get("x-session-id")).toBe(sid);

    // The client's messages were the context, not the (empty) stored history.
    const [req] = await upstreamRequests(sid);
    expect(req.body.messages.slice(1)).toEqual(messages);

    const stored = await (await conversation(sid)).json<any>();
    expect(stored.messages.map((m: any) => [m.role, m.content, m.status])).toEqual([
      ["user", messages[2].content, "complete"],
      ["assistant", "recorded", "complete"],
    ]);

    // A streamed turn in the same session appends to it.
    const stream = await client({ "X-Session-Id": sid }).chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        ...messages,
        { role: "assistant", content: "recorded" },
        { role: "user", content: script({ pieces: ["again"] }) },
      ],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("again");
    const after = await (await conversation(sid)).json<any>();
    expect(after.messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(after.messages.at(-1)).toMatchObject({ content: "again", status: "complete" });
  });

  it("a recorded stream stopped with /api/chat/abort ends normally, finish_reason stop, keeping what was written", async () => {
    const sid = uniqueId("oa-abort");
    const stream = await client({ "X-Session-Id": sid }).chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: script({ text: "tick ", repeat: 50, delayMs: 50 }) }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    let aborted: Promise<Response> | undefined;
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (!aborted && chunk.choices[0]?.delta.content) aborted = call("/api/chat/abort", { json: { session_id: sid } });
    }
    expect((await (await aborted!).json<any>()).aborted).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan("tick ".length * 50);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("stop");
    const stored = await (await conversation(sid)).json<any>();
    expect(stored.messages.at(-1)).toMatchObject({ role: "assistant", content: text, status: "aborted" });
  });

  it("refuses an X-Session-Id that is not a session id", async () => {
    const err = await client({ "X-Session-Id": "../etc" })
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("X-Session-Id");
  });
});
