/**
 * The AI SDK's providers pointed at edge-chat, through `generateText` and `streamText`:
 * `@ai-sdk/openai` (whose default model speaks the Responses API), `@ai-sdk/open-responses`, and
 * `@ai-sdk/anthropic` (the Messages API), each with a tool the SDK runs itself.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenResponses } from "@ai-sdk/open-responses";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, type LanguageModel, stepCountIs, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { script, uniqueId, upstreamRequests, workerFetch } from "./helpers";

/** The bodies `@ai-sdk/openai` posted, to see what it sends on a second step. */
const openaiBodies: any[] = [];
const openai = createOpenAI({
  baseURL: "http://edge-chat.test/v1",
  apiKey: "x",
  fetch: (url, init) => {
    openaiBodies.push(JSON.parse(String(init?.body ?? "null")));
    return workerFetch(url, init);
  },
});
const openResponses = createOpenResponses({
  name: "edge-chat",
  url: "http://edge-chat.test/v1/responses",
  fetch: workerFetch,
});
const anthropic = createAnthropic({ baseURL: "http://edge-chat.test/v1", apiKey: "x", fetch: workerFetch });

const PROVIDERS: [string, LanguageModel, string][] = [
  ["@ai-sdk/openai (Responses)", openai("gpt-4o-mini"), "/v1/responses"],
  ["@ai-sdk/open-responses", openResponses("gpt-4o-mini"), "/v1/responses"],
  ["@ai-sdk/anthropic", anthropic("gpt-4o-mini"), "/v1/messages"],
];

/** A tool the AI SDK runs on the caller's side: edge-chat returns the call and reads the result back. */
const weather = tool({
  description: "The weather in a city.",
  inputSchema: jsonSchema<{ city: string }>({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  }),
  execute: async ({ city }) => `18°C in ${city}`,
});

describe.each(PROVIDERS)("%s against edge-chat", (_name, model) => {
  it("generateText answers with the upstream's text and usage", async () => {
    const marker = uniqueId("aisdk");
    const result = await generateText({
      model,
      prompt: `${marker} ${script({ pieces: ["Hello", " there"] })}`,
      maxOutputTokens: 40,
    });
    expect(result.text).toBe("Hello there");
    expect(result.finishReason).toBe("stop");
    expect(result.usage.outputTokens).toBe(2);
    const [req] = await upstreamRequests(marker);
    expect(req.body).toMatchObject({ model: "gpt-4o-mini", max_tokens: 40 });
  });

  it("streamText streams the text", async () => {
    const result = streamText({ model, prompt: script({ pieces: ["a", "b", "c"], delayMs: 5 }) });
    const pieces: string[] = [];
    for await (const t of result.textStream) pieces.push(t);
    expect(pieces.join("")).toBe("abc");
    expect(await result.finishReason).toBe("stop");
  });

  it("runs a tool round trip: the call comes back, the SDK runs it, the model reads the result", async () => {
    const marker = uniqueId("aisdk-tool");
    const call = { id: `call_${marker.slice(-8)}`, name: "weather", arguments: { city: "Lima" } };
    const result = await generateText({
      model,
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: `${marker} ${script({ steps: [{ text: "Checking.", toolCalls: [call] }] })}`,
    });
    expect(result.steps.map((s) => s.finishReason)).toEqual(["tool-calls", "stop"]);
    expect(result.text).toBe("Tool results: 18°C in Lima");
    const reqs = await upstreamRequests(marker);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].body.messages.slice(-3)).toEqual([
      expect.objectContaining({ role: "user" }),
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [{ id: call.id, type: "function", function: { name: "weather", arguments: '{"city":"Lima"}' } }],
      },
      { role: "tool", tool_call_id: call.id, content: expect.stringContaining("18°C in Lima") },
    ]);
  });
});

describe("@ai-sdk/openai's second step", () => {
  it("names the first step's stored message by item_reference, which edge-chat resolves", async () => {
    const marker = uniqueId("aisdk-ref");
    const call = { id: `call_${marker.slice(-8)}`, name: "weather", arguments: { city: "Quito" } };
    openaiBodies.length = 0;
    const result = await generateText({
      model: openai("gpt-4o-mini"),
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: `${marker} ${script({ steps: [{ text: "Looking.", toolCalls: [call] }] })}`,
    });
    expect(result.text).toBe("Tool results: 18°C in Quito");
    expect(openaiBodies[1].input).toContainEqual({ type: "item_reference", id: expect.stringMatching(/^msg_/) });
    const [, second] = await upstreamRequests(marker);
    expect(second.body.messages.at(-2)).toMatchObject({ role: "assistant", content: "Looking." });
  });
});
