import { describe, expect, it } from "vitest";
import { createEncoder } from "../../src/events/encode";
import { chatCompletion } from "../../src/events/encode/chat-completions";
import type { StoredMessage, ToolCall, TurnEvent, TurnEventBody, Usage } from "../../src/events/types";
import { parseSse } from "../support/sse";

const message: StoredMessage = {
  id: "m1",
  role: "assistant",
  content: "Hi there",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
  model: "model-a",
};
const usage: Usage = { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 };
const call: ToolCall = {
  id: "call_1",
  type: "function",
  function: { name: "get_weather", arguments: '{"city": "Paris", "n": 12345678901234567890}' },
};

type TurnEnd = Extract<TurnEvent, { type: "turn-end" }>;

/** Numbers the events as a turn would. */
function turn(...bodies: TurnEventBody[]): TurnEvent[] {
  return bodies.map((b, i) => ({ ...b, seq: 10 + i, turnId: "t1" }) as TurnEvent);
}

function stream(events: TurnEvent[], options: { includeUsage?: boolean; clientTools?: boolean } = {}) {
  const encode = createEncoder("chat-completions", { sessionId: "s", model: "model-a", ...options });
  const text = events.map(encode).join("");
  const frames = parseSse(text);
  return { text, frames, json: frames.filter((f) => f.data !== "[DONE]").map((f) => JSON.parse(f.data)) };
}

const simple = turn(
  { type: "turn-start", messageId: "m1" },
  { type: "text-delta", text: "Hi" },
  { type: "text-delta", text: " there" },
  { type: "turn-end", message, usage, finishReason: "stop" },
);

describe("OpenAI stream encoder", () => {
  it("frames a turn as chunks: role first, text, finish_reason, [DONE], each frame with the event's seq", () => {
    const { text, frames, json } = stream(simple);
    expect(json.map((c) => c.choices[0].delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hi" },
      { content: " there" },
      {},
    ]);
    expect(json.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, "stop"]);
    expect(frames.map((f) => f.id)).toEqual(["10", "11", "12", "13", "13"]);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(new Set(json.map((c) => c.id)).size).toBe(1);
    expect(json[0]).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]{32}$/),
      object: "chat.completion.chunk",
      model: "model-a",
    });
    expect(json.every((c) => !("usage" in c))).toBe(true);
  });

  it("with include_usage, marks chunks usage:null and adds a choices:[] chunk with the usage", () => {
    const { json } = stream(simple, { includeUsage: true });
    expect(json.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(json.at(-1)).toMatchObject({ choices: [], usage });
  });

  it("reports zero usage rather than none when the upstream gave none", () => {
    const events = turn(
      { type: "turn-start", messageId: "m1" },
      { type: "turn-end", message, usage: null, finishReason: "stop" },
    );
    expect(stream(events, { includeUsage: true }).json.at(-1).usage).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
    });
  });

  it("names the model that answered on the closing chunks (a fallback may have taken over)", () => {
    const events = turn(
      { type: "turn-start", messageId: "m1" },
      { type: "turn-end", message: { ...message, model: "model-b" }, usage, finishReason: "stop" },
    );
    expect(stream(events, { includeUsage: true }).json.map((c) => c.model)).toEqual(["model-a", "model-b", "model-b"]);
  });

  it("maps finish reasons: aborted → stop, length → length", () => {
    const end = (finishReason: "aborted" | "length") => turn({ type: "turn-end", message, usage: null, finishReason });
    expect(stream(end("aborted")).json.at(-1).choices[0].finish_reason).toBe("stop");
    expect(stream(end("length")).json.at(-1).choices[0].finish_reason).toBe("length");
  });

  it("ends an errored turn with an error frame and [DONE], and nothing after", () => {
    const events = turn(
      { type: "turn-start", messageId: "m1" },
      { type: "text-delta", text: "par" },
      { type: "error", code: "upstream_rate_limited", message: "slow down" },
      { type: "turn-end", message: { ...message, status: "error" }, usage: null, finishReason: "error" },
    );
    const { frames } = stream(events);
    expect(frames.map((f) => f.data.slice(0, 12))).toEqual([
      expect.any(String),
      expect.any(String),
      '{"error":{"m',
      "[DONE]",
    ]);
    expect(JSON.parse(frames[2].data)).toEqual({
      error: { message: "slow down", type: "rate_limit_error", code: "upstream_rate_limited", param: null },
    });
    expect(frames[2].id).toBe("12");
  });

  it("hides server-side tool steps, keeping the text on both sides apart", () => {
    const events = turn(
      { type: "turn-start", messageId: "m1" },
      { type: "text-delta", text: "Let me check." },
      { type: "tool-call", callId: "c1", name: "current_time", args: {} },
      { type: "tool-progress", callId: "c1", text: "…" },
      { type: "tool-result", callId: "c1", name: "current_time", result: "noon", isError: false },
      { type: "text-delta", text: "It is noon." },
      {
        type: "turn-end",
        message: { ...message, content: "It is noon.", tool_calls: undefined },
        usage,
        finishReason: "stop",
      },
    );
    const { json } = stream(events);
    expect(json.map((c) => c.choices[0].delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Let me check." },
      { content: "\n\nIt is noon." },
      {},
    ]);
    // Not streamed, the same text.
    const completion = chatCompletion(events, events.at(-1) as TurnEnd, { model: "model-a" });
    expect(completion.choices[0].message.content).toBe("Let me check.\n\nIt is noon.");
  });

  it("does not add a blank line when no text came before the tool step", () => {
    const events = turn(
      { type: "tool-call", callId: "c1", name: "current_time", args: {} },
      { type: "tool-result", callId: "c1", name: "current_time", result: "noon", isError: false },
      { type: "text-delta", text: "Noon." },
    );
    expect(stream(events).json.map((c) => c.choices[0].delta.content)).toEqual(["Noon."]);
  });

  it("returns the caller's tool calls as tool_calls deltas with the model's own argument text", () => {
    const events = turn(
      { type: "turn-start", messageId: "m1" },
      { type: "tool-call", callId: "call_1", name: "get_weather", args: { city: "Paris" } },
      { type: "turn-end", message: { ...message, content: "", tool_calls: [call] }, usage, finishReason: "tool-calls" },
    );
    const { json } = stream(events, { clientTools: true });
    expect(json.map((c) => c.choices[0].delta)).toEqual([
      { role: "assistant", content: "" },
      { tool_calls: [{ index: 0, ...call }] },
      {},
    ]);
    expect(json.at(-1).choices[0].finish_reason).toBe("tool_calls");
  });
});

describe("chatCompletion", () => {
  it("builds a chat.completion with usage", () => {
    const completion = chatCompletion(simple, simple.at(-1) as TurnEnd, { model: "model-a" });
    expect(completion).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "model-a",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi there", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage,
    });
  });

  it("gives the caller's tool calls with content null, and never server-side ones", () => {
    const end: TurnEnd = {
      type: "turn-end",
      message: { ...message, content: "", tool_calls: [call] },
      usage,
      finishReason: "tool-calls",
      seq: 3,
      turnId: "t1",
    };
    const mine = chatCompletion([end], end, { model: "model-a", clientTools: true });
    expect(mine.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { content: null, tool_calls: [call] },
    });
    const theirs = chatCompletion([end], { ...end, finishReason: "stop" }, { model: "model-a" });
    expect(theirs.choices[0].message).toEqual({ role: "assistant", content: "", refusal: null });
  });
});
