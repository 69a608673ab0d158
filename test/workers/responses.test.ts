/**
 * OpenAI's Responses API as the official `openai` SDK sees it, pointed at the Worker: responses
 * streamed and not, function tools, `previous_response_id`, stored responses (GET, DELETE,
 * cancel, resume with `starting_after`), `store: false`, images, and its errors.
 */
import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { parseSse } from "../support/sse";
import { call, eventually, script, uniqueId, upstreamRequests, workerFetch } from "./helpers";

function client(headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    apiKey: "x",
    baseURL: "http://edge-chat.test/v1",
    fetch: workerFetch,
    maxRetries: 0,
    defaultHeaders: headers,
  });
}

const openai = client();

const weather: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "The weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

async function stored(sessionId: string): Promise<any> {
  return (await call(`/api/v1/context/conversations/${sessionId}`)).json();
}

const sessionOf = (id: string) => id.slice("resp_".length + 32);

/** The text of a response's message items (the stream helper's final response has no `output_text`). */
const outputText = (r: OpenAI.Responses.Response) =>
  r.output
    .flatMap((o) => (o.type === "message" ? o.content.map((p) => (p.type === "output_text" ? p.text : "")) : []))
    .join("");

describe("POST /v1/responses, not streamed", () => {
  it("answers with a response object: a message item with output_text, usage, and the request echoed", async () => {
    const marker = uniqueId("rs");
    const response = await openai.responses.create({
      model: "gpt-4o-mini",
      input: `${marker} ${script({ pieces: ["Hello", " from", " upstream"] })}`,
      instructions: "Answer briefly.",
      temperature: 0.3,
      max_output_tokens: 55,
      metadata: { topic: "greeting" },
    });
    expect(response).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-4o-mini",
      instructions: "Answer briefly.",
      metadata: { topic: "greeting" },
      temperature: 0.3,
      max_output_tokens: 55,
      previous_response_id: null,
      error: null,
      incomplete_details: null,
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}/);
    expect(Math.abs(response.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "Hello from upstream", annotations: [], logprobs: [] }],
      },
    ]);
    expect(response.output_text).toBe("Hello from upstream");
    expect(response.usage).toMatchObject({ output_tokens: 3, input_tokens: expect.any(Number) });
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + 3);

    // Instructions replace the system prompt; max_output_tokens is the upstream's max_tokens.
    const [req] = await upstreamRequests(marker);
    expect(req.body).toMatchObject({ model: "gpt-4o-mini", temperature: 0.3, max_tokens: 55 });
    expect(req.body.messages.map((m: any) => m.role)).toEqual(["system", "user"]);
    expect(req.body.messages[0].content).toBe("Answer briefly.");

    // Stored: the response is a session, and GET answers the same object.
    expect(await openai.responses.retrieve(response.id)).toMatchObject({
      id: response.id,
      status: "completed",
      output: response.output,
      metadata: { topic: "greeting" },
      usage: response.usage,
    });
    const conversation = await stored(sessionOf(response.id));
    expect(conversation.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual([
      `user:${marker} ${script({ pieces: ["Hello", " from", " upstream"] })}`,
      "assistant:Hello from upstream",
    ]);
  });

  it("continues a conversation with previous_response_id: the stored history goes upstream", async () => {
    const marker = uniqueId("rs-prev");
    const first = await openai.responses.create({ model: "gpt-4o-mini", input: `${marker} one` });
    const second = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: [{ role: "user", content: [{ type: "input_text", text: `${marker} two` }] }],
    });
    expect(second.output_text).toBe(`Echo: ${marker} two`);
    expect(second.previous_response_id).toBe(first.id);
    expect(sessionOf(second.id)).toBe(sessionOf(first.id));
    const [, req] = await upstreamRequests(marker);
    expect(req.body.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual([
      "system:You are a test assistant.",
      `user:${marker} one`,
      `assistant:Echo: ${marker} one`,
      `user:${marker} two`,
    ]);
    // Both responses stay retrievable from the one session.
    expect((await openai.responses.retrieve(first.id)).output_text).toBe(`Echo: ${marker} one`);
  });

  it("continuing a response that was continued already branches into a copy of its history", async () => {
    const marker = uniqueId("rs-fork");
    const root = await openai.responses.create({ model: "gpt-4o-mini", input: `${marker} root` });
    const a = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: root.id,
      input: `${marker} a`,
    });
    const b = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: root.id,
      input: `${marker} b`,
    });
    expect(sessionOf(a.id)).toBe(sessionOf(root.id));
    expect(sessionOf(b.id)).not.toBe(sessionOf(root.id));
    const reqs = await upstreamRequests(`${marker} b`);
    expect(reqs[0].body.messages.map((m: any) => m.content)).toEqual([
      "You are a test assistant.",
      `${marker} root`,
      `Echo: ${marker} root`,
      `${marker} b`,
    ]);
    // The first branch is untouched.
    expect((await stored(sessionOf(a.id))).messages).toHaveLength(4);
    expect((await openai.responses.retrieve(a.id)).output_text).toBe(`Echo: ${marker} a`);
  });

  it("store: false stores nothing, and its id cannot be retrieved", async () => {
    const marker = uniqueId("rs-nostore");
    const response = await openai.responses.create({ model: "gpt-4o-mini", input: `${marker} hi`, store: false });
    expect(response.output_text).toBe(`Echo: ${marker} hi`);
    expect(response).toMatchObject({ store: false });
    await expect(openai.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
    const list = (await (await call("/api/v1/context/conversations?limit=500")).json<any>()).conversations;
    expect(list.some((c: any) => c.title.includes(marker))).toBe(false);
  });

  it("passes input_image parts upstream as image_url parts; the stored message keeps the text", async () => {
    const marker = uniqueId("rs-img");
    const url = "data:image/png;base64,iVBORw0KGgo=";
    const response = await openai.responses.create({
      model: "gpt-4o-mini",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: `${marker} what is this?` },
            { type: "input_image", image_url: url, detail: "low" },
          ],
        },
      ],
    });
    expect(response.status).toBe("completed");
    const [req] = await upstreamRequests(marker);
    expect(req.body.messages.at(-1)).toEqual({
      role: "user",
      content: [
        { type: "text", text: `${marker} what is this?` },
        { type: "image_url", image_url: { url, detail: "low" } },
      ],
    });
    expect((await stored(sessionOf(response.id))).messages[0].content).toBe(`${marker} what is this?`);
  });
});

describe("POST /v1/responses, streamed", () => {
  it("sends the typed events in order, numbered from 0 without gaps, and the SDK assembles the response", async () => {
    const marker = uniqueId("rs-stream");
    const runner = openai.responses.stream({
      model: "gpt-4o-mini",
      input: `${marker} ${script({ pieces: ["One", " two", " three"] })}`,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const e of runner) events.push(e);
    const final = await runner.finalResponse();
    expect(outputText(final)).toBe("One two three");
    expect(final.status).toBe("completed");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    expect(created.response).toMatchObject({ id: final.id, status: "in_progress" });
  });

  it("puts event: and data: on the wire, and a failure before the first token is an HTTP status", async () => {
    const res = await call("/v1/responses", {
      json: { model: "gpt-4o-mini", input: script({ text: "hi" }), stream: true },
    });
    const frames = parseSse(await res.text());
    for (const f of frames) expect(JSON.parse(f.data).type).toBe(f.event);

    const failed = client().responses.create({ model: "gpt-4o-mini", input: script({ status: 429 }), stream: true });
    await expect(failed).rejects.toMatchObject({
      status: 429,
      code: "upstream_rate_limited",
      type: "rate_limit_error",
    });
  });

  it("ends with response.failed and error when the upstream breaks off mid-reply", async () => {
    const res = await call("/v1/responses", {
      json: { model: "gpt-4o-mini", input: script({ text: "a b c d e", cutAfter: 2 }), stream: true },
    });
    const events = parseSse(await res.text()).map((f) => JSON.parse(f.data));
    expect(events.slice(-2).map((e) => e.type)).toEqual(["response.failed", "error"]);
    expect(events.at(-2).response).toMatchObject({ status: "failed", error: { code: "upstream_protocol" } });
    expect(events.at(-2).response.output[0].content[0].text).toBe("a b");
  });
});

describe("function tools", () => {
  const weatherCall = { id: "call_r1", name: "get_weather", arguments: { city: "Paris" } };

  it("returns their calls as function_call items, and previous_response_id with function_call_output answers", async () => {
    const marker = uniqueId("rs-fn");
    const first = await openai.responses.create({
      model: "gpt-4o-mini",
      input: `${marker} ${script({ steps: [{ toolCalls: [weatherCall] }] })}`,
      tools: [weather],
    });
    expect(first.output).toEqual([
      {
        id: expect.stringMatching(/^fc1_/),
        type: "function_call",
        status: "completed",
        call_id: "call_r1",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
    ]);
    const [req] = await upstreamRequests(marker);
    expect(req.body.tools).toEqual([
      {
        type: "function",
        function: { name: "get_weather", description: "The weather in a city.", parameters: weather.parameters },
      },
    ]);

    const second = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_r1", output: "18°C and sunny" }],
      tools: [weather],
    });
    expect(second.output_text).toBe("Tool results: 18°C and sunny");
    const reqs = await upstreamRequests(marker);
    expect(reqs[1].body.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_r1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_r1", content: "18°C and sunny" },
    ]);
  });

  it("streams a call as output_item.added, function_call_arguments.delta and .done", async () => {
    const runner = openai.responses.stream({
      model: "gpt-4o-mini",
      input: script({ text: "Checking.", toolCalls: [weatherCall] }),
      tools: [weather],
      store: false,
    });
    const types: string[] = [];
    for await (const e of runner) types.push(e.type);
    expect(types).toContain("response.function_call_arguments.delta");
    expect(types).toContain("response.function_call_arguments.done");
    const final = await runner.finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(["message", "function_call"]);
    expect(outputText(final)).toBe("Checking.");
    expect(final.output[1]).toMatchObject({ call_id: "call_r1", arguments: '{"city":"Paris"}' });
  });

  it("resolves item_reference items to the stored output they name", async () => {
    const marker = uniqueId("rs-ref");
    const first = await openai.responses.create({ model: "gpt-4o-mini", input: `${marker} first` });
    const second = await openai.responses.create({
      model: "gpt-4o-mini",
      input: [
        { role: "user", content: `${marker} first` },
        { type: "item_reference", id: first.output[0].id! },
        { role: "user", content: `${marker} second` },
      ],
      store: false,
    });
    expect(second.status).toBe("completed");
    const [, req] = await upstreamRequests(marker);
    expect(req.body.messages.slice(1)).toEqual([
      { role: "user", content: `${marker} first` },
      { role: "assistant", content: `Echo: ${marker} first` },
      { role: "user", content: `${marker} second` },
    ]);
  });
});

describe("stored responses: resume, cancel, delete", () => {
  const slow = (n: number, gateless = true) =>
    script({ pieces: Array.from({ length: n }, (_, i) => `w${i} `), delayMs: gateless ? 30 : 0 });

  it("resumes a stream after starting_after: the numbers and text go on exactly where they stopped", async () => {
    const marker = uniqueId("rs-resume");
    const stream = await openai.responses.create({
      model: "gpt-4o-mini",
      input: `${marker} ${slow(30)}`,
      stream: true,
    });
    const seen: ResponseStreamEvent[] = [];
    for await (const e of stream) {
      seen.push(e);
      if (seen.filter((x) => x.type === "response.output_text.delta").length === 5) break; // the client drops
    }
    const id = (seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const last = seen.at(-1)!.sequence_number;
    const rest: ResponseStreamEvent[] = [];
    for await (const e of await openai.responses.retrieve(id, { stream: true, starting_after: last })) rest.push(e);
    const all = [...seen, ...rest];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    const text = all.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
    expect(text).toBe(Array.from({ length: 30 }, (_, i) => `w${i} `).join(""));
    expect(rest.at(-1)!.type).toBe("response.completed");

    // After its end too, and the SDK's own helper reads the whole stream again.
    const again = openai.responses.stream({ response_id: id, starting_after: last });
    const replayed: number[] = [];
    for await (const e of again) replayed.push(e.sequence_number);
    expect(replayed[0]).toBe(last + 1);
    expect(outputText(await again.finalResponse())).toBe(text);
  });

  it("cancels a running response: the upstream is closed, the stream ends cancelled, GET says so", async () => {
    const marker = uniqueId("rs-cancel");
    const stream = await openai.responses.create({
      model: "gpt-4o-mini",
      input: `${marker} ${script({ text: "tick ", repeat: 200, delayMs: 30 })}`,
      stream: true,
    });
    let id = "";
    let deltas = 0;
    const types: string[] = [];
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "response.created") id = e.response.id;
      if (e.type === "response.output_text.delta" && ++deltas === 3) {
        const cancelled = await openai.responses.cancel(id);
        expect(cancelled.status).toBe("cancelled");
      }
    }
    expect(types.at(-1)).toBe("response.incomplete");
    const [req] = await eventually(async () => {
      const reqs = await upstreamRequests(marker);
      expect(reqs[0].outcome).toBe("client-closed");
      return reqs;
    });
    expect(req.chunksSent).toBeLessThan(200);
    const got = await openai.responses.retrieve(id);
    expect(got.status).toBe("cancelled");
    expect(got.output_text).toMatch(/^(tick )+/);
  });

  it("deletes a stored response: GET is 404 after, and the session goes when nothing is left", async () => {
    const marker = uniqueId("rs-del");
    const first = await openai.responses.create({ model: "gpt-4o-mini", input: `${marker} one` });
    const second = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: `${marker} two`,
    });
    await openai.responses.delete(second.id);
    await expect(openai.responses.retrieve(second.id)).rejects.toMatchObject({ status: 404 });
    // Its logged events are gone too: its stream cannot be replayed.
    expect((await call(`/v1/responses/${second.id}?stream=true`)).status).toBe(404);
    const left = await stored(sessionOf(first.id));
    expect(left.messages.map((m: any) => m.content)).toEqual([`${marker} one`, `Echo: ${marker} one`]);
    await openai.responses.delete(first.id);
    expect((await call(`/api/v1/context/conversations/${sessionOf(first.id)}`)).status).toBe(404);
    await expect(openai.responses.delete(first.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe("a stored response and its conversation", () => {
  it("is gone when the conversation's messages are cleared through the conversations API", async () => {
    const response = await openai.responses.create({ model: "gpt-4o-mini", input: uniqueId("rs-clear") });
    const cleared = await call(`/api/v1/context/conversations/${sessionOf(response.id)}/context`, { method: "DELETE" });
    expect(cleared.status).toBe(200);
    await expect(openai.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      openai.responses.create({ model: "gpt-4o-mini", input: "more", previous_response_id: response.id }),
    ).rejects.toMatchObject({ status: 404 });
  });
});

describe("bad input to /v1/responses", () => {
  it("gets OpenAI's error shape naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ model: "gpt-4o-mini" }, "input"],
      [{ input: [{ type: "reasoning", summary: [] }] }, "input.0.type"],
      [{ input: "x", tools: [{ type: "web_search" }] }, "tools.0.type"],
      [
        { input: [{ role: "user", content: [{ type: "input_image", file_id: "file-1" }] }] },
        "input.0.content.0.image_url",
      ],
      [{ input: "x", background: true }, "background"],
    ];
    for (const [json, param] of cases) {
      const res = await call("/v1/responses", { json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(await res.json()).toEqual({
        error: {
          message: expect.stringContaining(param),
          type: "invalid_request_error",
          code: "invalid_request",
          param,
        },
      });
    }
    await expect(
      openai.responses.create({ model: "gpt-4o-mini", input: "x", previous_response_id: "resp_nope" }),
    ).rejects.toMatchObject({ status: 404, code: "response_not_found", param: "previous_response_id" });
    const missing = await call("/v1/responses/resp_0123456789abcdef0123456789abcdefnosuchsession");
    expect(missing.status).toBe(404);
    expect((await missing.json<any>()).error.type).toBe("not_found_error");
  });
});

describe("a stored response through the generic resume route", () => {
  it("replays in the Responses format after an event id: the frames after it, numbered as in the first stream", async () => {
    const marker = uniqueId("rs-generic");
    const res = await call("/v1/responses", {
      json: { model: "gpt-4o-mini", input: `${marker} ${script({ pieces: ["a ", "b ", "c ", "d "] })}`, stream: true },
    });
    const sessionId = res.headers.get("x-session-id")!;
    const first = parseSse(await res.text());
    const cut = first.findIndex((f) => JSON.parse(f.data).type === "response.output_text.delta") + 1;
    const lastId = first[cut].id!;
    const again = await call(`/api/chat/${sessionId}/stream?after=${lastId}&format=responses`);
    const rest = parseSse(await again.text());
    const after = first.filter((f) => Number(f.id) > Number(lastId));
    expect(rest.map((f) => f.data)).toEqual(after.map((f) => f.data));
  });
});
