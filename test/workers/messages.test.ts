/**
 * Anthropic's Messages API as the official `@anthropic-ai/sdk` sees it, pointed at the Worker:
 * messages streamed and not, a tool round trip, images, `count_tokens`, recording with
 * `X-Session-Id`, and errors in Anthropic's own shape.
 */

import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { estimateTokens, messageTokens } from "../../src/llm/tokens";
import { parseSse } from "../support/sse";
import { call, script, uniqueId, upstreamRequests, workerFetch } from "./helpers";

function client(headers: Record<string, string> = {}): Anthropic {
  return new Anthropic({
    apiKey: "x",
    baseURL: "http://edge-chat.test",
    fetch: workerFetch,
    maxRetries: 0,
    defaultHeaders: headers,
  });
}

const anthropic = client();

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "The weather in a city.",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("POST /v1/messages", () => {
  it("answers with a message object: text block, stop_reason, usage; system, stop_sequences and max_tokens go upstream", async () => {
    const marker = uniqueId("am");
    const message = await anthropic.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 77,
      system: [{ type: "text", text: "Be terse." }],
      stop_sequences: ["STOP"],
      messages: [{ role: "user", content: `${marker} ${script({ pieces: ["Hi", " there"] })}` }],
    });
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "gpt-4o-mini",
      content: [{ type: "text", text: "Hi there" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { output_tokens: 2, input_tokens: expect.any(Number) },
    });
    expect(message.id).toMatch(/^msg_/);
    const [req] = await upstreamRequests(marker);
    expect(req.body).toMatchObject({ model: "gpt-4o-mini", max_tokens: 77, stop: ["STOP"] });
    expect(req.body.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual([
      "system:Be terse.",
      `user:${marker} ${script({ pieces: ["Hi", " there"] })}`,
    ]);
  });

  it("streams message_start … message_stop, which the SDK's stream assembles", async () => {
    const marker = uniqueId("am-stream");
    const stream = anthropic.messages.stream({
      model: "gpt-4o-mini",
      max_tokens: 100,
      messages: [{ role: "user", content: `${marker} ${script({ pieces: ["One", " two"] })}` }],
    });
    const types: string[] = [];
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    for await (const e of stream) types.push(e.type);
    const final = await stream.finalMessage();
    expect(texts).toEqual(["One", " two"]);
    expect(final.content).toEqual([{ type: "text", text: "One two" }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(2);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    // On the wire each frame names its event, and a ping follows message_start.
    const res = await call("/v1/messages", {
      json: { model: "gpt-4o-mini", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] },
    });
    const frames = parseSse(await res.text());
    expect(frames.map((f) => f.event).slice(0, 2)).toEqual(["message_start", "ping"]);
    for (const f of frames) expect(JSON.parse(f.data).type).toBe(f.event);
  });

  it("returns tool_use blocks for the caller's tools, and answers the tool_result sent back", async () => {
    const marker = uniqueId("am-tool");
    const question: Anthropic.MessageParam = {
      role: "user",
      content: `${marker} ${script({ steps: [{ text: "Let me look.", toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Oslo" } }] }] })}`,
    };
    const first = await anthropic.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 100,
      tools: [weather],
      messages: [question],
    });
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([
      { type: "text", text: "Let me look." },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
    ]);
    const [req] = await upstreamRequests(marker);
    expect(req.body.tools).toEqual([
      {
        type: "function",
        function: { name: "get_weather", description: "The weather in a city.", parameters: weather.input_schema },
      },
    ]);

    const second = await anthropic.messages
      .stream({
        model: "gpt-4o-mini",
        max_tokens: 100,
        tools: [weather],
        messages: [
          question,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "3°C, snow" }] },
        ],
      })
      .finalMessage();
    expect(second.content).toEqual([{ type: "text", text: "Tool results: 3°C, snow" }]);
    const reqs = await upstreamRequests(marker);
    expect(reqs[1].body.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: "Let me look.",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "3°C, snow" },
    ]);
  });

  it("streams a tool_use block with input_json_delta, which the SDK parses into input", async () => {
    const final = await anthropic.messages
      .stream({
        model: "gpt-4o-mini",
        max_tokens: 100,
        tools: [weather],
        messages: [
          {
            role: "user",
            content: script({ toolCalls: [{ id: "toolu_2", name: "get_weather", arguments: { city: "Rome" } }] }),
          },
        ],
      })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toEqual([{ type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } }]);
  });

  it("passes image blocks upstream as image_url parts (base64 as a data: URL)", async () => {
    const marker = uniqueId("am-img");
    await anthropic.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 10,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "text", text: `${marker} describe` },
          ],
        },
      ],
    });
    const [req] = await upstreamRequests(marker);
    expect(req.body.messages.at(-1).content).toEqual([
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
      { type: "text", text: `${marker} describe` },
    ]);
  });

  it("stores nothing by default; X-Session-Id records the exchange", async () => {
    const sid = uniqueId("am-rec");
    await client({ "X-Session-Id": sid }).messages.create({
      model: "gpt-4o-mini",
      max_tokens: 10,
      messages: [{ role: "user", content: `${sid} hello` }],
    });
    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(conv.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual([
      `user:${sid} hello`,
      `assistant:Echo: ${sid} hello`,
    ]);
  });

  it("X-Session-Id records a tool round trip once: the question, the call, its result, the answer", async () => {
    const sid = uniqueId("am-rec-tool");
    const recording = client({ "X-Session-Id": sid });
    const question: Anthropic.MessageParam = {
      role: "user",
      content: `${sid} ${script({ steps: [{ toolCalls: [{ id: "toolu_r", name: "get_weather", arguments: { city: "Bern" } }] }] })}`,
    };
    const first = await recording.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 50,
      tools: [weather],
      messages: [question],
    });
    await recording.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 50,
      tools: [weather],
      messages: [
        question,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: "1°C" }] },
      ],
    });
    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(conv.messages.map((m: any) => [m.role, m.tool_call_id ?? m.tool_calls?.[0].id ?? null])).toEqual([
      ["user", null],
      ["assistant", "toolu_r"],
      ["tool", "toolu_r"],
      ["assistant", null],
    ]);
    expect(conv.messages.at(-1).content).toBe("Tool results: 1°C");
  });

  it("accepts anthropic-version and anthropic-beta headers, and x-api-key", async () => {
    const res = await call("/v1/messages", {
      headers: { "anthropic-version": "2023-06-01", "anthropic-beta": "tools-2024-04-04", "x-api-key": "anything" },
      json: { model: "gpt-4o-mini", max_tokens: 10, messages: [{ role: "user", content: "hi" }] },
    });
    expect(res.status).toBe(200);
    expect((await res.json<any>()).content[0].text).toBe("Echo: hi");
  });
});

describe("POST /v1/messages/count_tokens", () => {
  it("answers the estimate context trimming uses: the messages, the system prompt, the tools", async () => {
    const counted = await anthropic.messages.countTokens({
      model: "gpt-4o-mini",
      system: "You are terse.",
      tools: [weather],
      messages: [
        { role: "user", content: "What is the weather in Oslo?" },
        { role: "assistant", content: "Let me check." },
      ],
    });
    const expected =
      messageTokens({ role: "system", content: "You are terse." }) +
      messageTokens({ role: "user", content: "What is the weather in Oslo?" }) +
      messageTokens({ role: "assistant", content: "Let me check." }) +
      estimateTokens(
        JSON.stringify([
          {
            type: "function",
            function: { name: "get_weather", description: "The weather in a city.", parameters: weather.input_schema },
          },
        ]),
      );
    expect(counted).toEqual({ input_tokens: expected });
    // Without a system prompt of its own, the server's is what the model would be sent.
    const bare = await anthropic.messages.countTokens({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(bare.input_tokens).toBe(
      messageTokens({ role: "system", content: "You are a test assistant." }) +
        messageTokens({ role: "user", content: "hi" }),
    );
  });
});

describe("errors on /v1/messages", () => {
  const anthropicShape = (type: string) => ({ type: "error", error: { type, message: expect.any(String) } });

  it("bad input is a 400 invalid_request_error in Anthropic's shape, naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ model: "m", messages: [{ role: "user", content: "x" }] }, "max_tokens"],
      [{ model: "m", max_tokens: 5, messages: [] }, "messages"],
      [
        { model: "m", max_tokens: 5, messages: [{ role: "user", content: [{ type: "document" }] }] },
        "messages.0.content",
      ],
      [
        {
          model: "m",
          max_tokens: 5,
          messages: [{ role: "user", content: "x" }],
          tools: [{ type: "web_search_20250305", name: "w" }],
        },
        "tools.0",
      ],
    ];
    for (const [json, field] of cases) {
      const res = await call("/v1/messages", { json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const body = await res.json<any>();
      expect(body).toEqual(anthropicShape("invalid_request_error"));
      expect(body.error.message).toContain(field);
    }
    for (const [body, type] of [
      ["{not json", "application/json"],
      ["<html>", "text/html"],
    ]) {
      const res = await call("/v1/messages", { method: "POST", body, headers: { "content-type": type } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await res.json()).toEqual(anthropicShape("invalid_request_error"));
    }
    const unknown = await call("/v1/messages/nope", { json: {} });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual(anthropicShape("not_found_error"));
    // The SDK reads them: its error classes, with the error type.
    await expect(
      anthropic.messages.create({ model: "m", max_tokens: 0, messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 400, type: "invalid_request_error" });
  });

  it("an upstream failure before the first token is the status with Anthropic's error type, streamed or not", async () => {
    const limited = anthropic.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 5,
      messages: [{ role: "user", content: script({ status: 429 }) }],
    });
    await expect(limited).rejects.toMatchObject({ status: 429, type: "rate_limit_error" });
    const res = await call("/v1/messages", {
      json: {
        model: "gpt-4o-mini",
        max_tokens: 5,
        stream: true,
        messages: [{ role: "user", content: script({ status: 500 }) }],
      },
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual(anthropicShape("api_error"));
  });

  it("a model the server does not serve is Anthropic's not_found_error, before anything goes upstream", async () => {
    const marker = `unserved-${crypto.randomUUID()}`;
    const unserved = anthropic.messages.create({
      model: "claude-very-expensive",
      max_tokens: 5,
      messages: [{ role: "user", content: marker }],
    });
    await expect(unserved).rejects.toMatchObject({ status: 404, type: "not_found_error" });
    expect(await upstreamRequests(marker)).toHaveLength(0);
  });

  it("a failure mid-stream is an error event in Anthropic's shape, which the SDK throws", async () => {
    const stream = anthropic.messages.stream({
      model: "gpt-4o-mini",
      max_tokens: 5,
      messages: [{ role: "user", content: script({ text: "a b c d", cutAfter: 2 }) }],
    });
    await expect(stream.finalMessage()).rejects.toMatchObject({ type: "api_error" });
  });
});
