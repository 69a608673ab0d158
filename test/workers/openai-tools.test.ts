/**
 * Tools through the OpenAI-compatible API: the server's own (built-in, MCP) run here and only the
 * answer comes back; a caller's own `tools` are passed upstream and their calls handed back.
 */
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { parseSse } from "../support/sse";
import { call, openaiClient, script, uniqueId, upstreamRequests } from "./helpers";

const openai = openaiClient();

const weatherTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("server-side tools", () => {
  const timeCall = (id: string) => ({ id, name: "current_time", arguments: { timezone: "Asia/Tokyo" } });

  it("runs them here and answers with the final text only (not streamed)", async () => {
    const marker = uniqueId("oa-srv");
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `${marker} ${script({ steps: [{ toolCalls: [timeCall("call_srv1")] }] })}` }],
    });
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.tool_calls).toBeUndefined();
    expect(choice.message.content).toMatch(/^Tool results: \{.*"timezone":"Asia\/Tokyo"/);

    const reqs = await upstreamRequests(marker);
    expect(reqs).toHaveLength(2);
    expect(reqs[0].body.tools.map((t: any) => t.function.name)).toContain("current_time");
    expect(reqs[1].body.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_srv1" });
    // Usage counts both model calls.
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it("streams only text: no tool_calls deltas, text before and after the tool kept apart", async () => {
    const marker = uniqueId("oa-srv-stream");
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        {
          role: "user",
          content: `${marker} ${script({ steps: [{ text: "Let me check.", toolCalls: [timeCall("call_srv2")] }] })}`,
        },
      ],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toMatch(/^Let me check\.\n\nTool results: \{.*Asia\/Tokyo/);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("stop");

    // The same exchange not streamed reads the same.
    const again = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        {
          role: "user",
          content: `${marker}-b ${script({ steps: [{ text: "Let me check.", toolCalls: [timeCall("call_srv3")] }] })}`,
        },
      ],
    });
    expect(again.choices[0].message.content).toMatch(/^Let me check\.\n\nTool results: \{/);
  });
});

describe("the caller's own tools", () => {
  const weatherCall = { id: "call_w1", name: "get_weather", arguments: { city: "Paris" } };

  it("go upstream instead of ours, and their calls come back as message.tool_calls", async () => {
    const marker = uniqueId("oa-cli");
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: `${marker} ${script({ steps: [{ toolCalls: [weatherCall] }] })}` },
    ];
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      tools: [weatherTool],
      tool_choice: "auto",
    });
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      { id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    ]);

    const [first] = await upstreamRequests(marker);
    expect(first.body.tools).toEqual([weatherTool]);

    // The caller runs the tool and sends the result back; the model answers with it.
    const followUp = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [...messages, choice.message, { role: "tool", tool_call_id: "call_w1", content: "18°C and sunny" }],
      tools: [weatherTool],
    });
    expect(followUp.choices[0]).toMatchObject({
      finish_reason: "stop",
      message: { content: "Tool results: 18°C and sunny" },
    });
    const reqs = await upstreamRequests(marker);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].body.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_w1", content: "18°C and sunny" },
    ]);
  });

  it("streams their calls as delta.tool_calls, which the SDK assembles, with finish_reason tool_calls", async () => {
    const marker = uniqueId("oa-cli-stream");
    const calls = [weatherCall, { id: "call_w2", name: "get_weather", arguments: { city: "Tokyo" } }];
    const runner = openai.chat.completions.stream({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `${marker} ${script({ text: "Checking both.", toolCalls: calls })}` }],
      tools: [weatherTool],
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Checking both.");
    expect(choice.message.tool_calls).toEqual([
      { id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_w2", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } },
    ]);
  });

  it("puts index, id, type and function in each tool_calls delta on the wire", async () => {
    const res = await call("/v1/chat/completions", {
      json: {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ toolCalls: [weatherCall] }) }],
        tools: [weatherTool],
        stream: true,
      },
    });
    const json = parseSse(await res.text())
      .filter((f) => f.data !== "[DONE]")
      .map((f) => JSON.parse(f.data));
    const deltas = json.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas).toEqual([
      { index: 0, id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    ]);
    expect(json.at(-1).choices[0].finish_reason).toBe("tool_calls");
  });
});
