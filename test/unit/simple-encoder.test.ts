import { describe, expect, it } from "vitest";
import { createEncoder } from "../../src/events/encode";
import { START_MESSAGE } from "../../src/events/encode/simple";
import type { StoredMessage, TurnEvent } from "../../src/events/types";
import { costOf } from "../../src/llm/pricing";

const t = { turnId: "t1" };
const message: StoredMessage = {
  id: "m1",
  role: "assistant",
  content: "Hi there",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
  model: "priced",
};
const usage = { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50 };

/** A whole turn's bytes through one encoder, as a stream would write them. */
function run(events: TurnEvent[], prices = { priced: { input: 2, output: 8 } }): string {
  const encode = createEncoder("simple", {
    sessionId: "s-1",
    model: "priced",
    priceOf: (model, u) => costOf(prices, model, u),
  });
  return events.map(encode).join("");
}

describe("simple dialect encoder", () => {
  it("writes start, content chunks and complete as id + data frames, byte for byte", () => {
    const text = run([
      { ...t, seq: 1, type: "turn-start", messageId: "m1" },
      { ...t, seq: 2, type: "text-delta", text: "Hi" },
      { ...t, seq: 3, type: "text-delta", text: ' "there"\n' },
      { ...t, seq: 4, type: "turn-end", message, usage, finishReason: "stop" },
    ]);
    expect(text).toBe(
      `id: 1\ndata: {"type":"start","message":"${START_MESSAGE}","session_id":"s-1"}\n\n` +
        'id: 2\ndata: {"type":"content","chunk":"Hi"}\n\n' +
        'id: 3\ndata: {"type":"content","chunk":" \\"there\\"\\n"}\n\n' +
        // 40 * $2/M + 10 * $8/M
        'id: 4\ndata: {"type":"complete","full_content":"Hi \\"there\\"\\n","usage":{"input_tokens":40,"output_tokens":10,"total_tokens":50,"total_cost":0.00016}}\n\n',
    );
  });

  it("names no session in the start frame of a turn that has none (a stream that keeps no memory)", () => {
    const encode = createEncoder("simple", { sessionId: "", model: "m" });
    expect(encode({ ...t, seq: 1, type: "turn-start", messageId: "m1" })).toBe(
      `id: 1\ndata: {"type":"start","message":"${START_MESSAGE}"}\n\n`,
    );
  });

  it("prices nothing it has no price for, and counts nothing it was not told", () => {
    const end: TurnEvent = {
      ...t,
      seq: 2,
      type: "turn-end",
      message: { ...message, model: "unpriced" },
      usage: null,
      finishReason: "stop",
    };
    const frame = JSON.parse(run([end]).split("data: ")[1]);
    expect(frame.usage).toEqual({ input_tokens: 0, output_tokens: 0, total_tokens: 0, total_cost: 0 });
  });

  it("ends an errored turn with the error frame only", () => {
    const text = run([
      { ...t, seq: 1, type: "turn-start", messageId: "m1" },
      { ...t, seq: 2, type: "error", message: "the model provider failed", code: "upstream_unavailable" },
      { ...t, seq: 3, type: "turn-end", message: { ...message, status: "error" }, usage: null, finishReason: "error" },
    ]);
    expect(
      text.endsWith(
        'id: 2\ndata: {"type":"error","error":"the model provider failed","code":"upstream_unavailable"}\n\n',
      ),
    ).toBe(true);
  });

  it("leaves tool steps out; full_content is all the text around them", () => {
    const encode = createEncoder("simple", { sessionId: "s", model: "m" });
    expect(encode({ ...t, seq: 2, type: "tool-call", callId: "c", name: "x", args: {} })).toBe("");
    expect(encode({ ...t, seq: 3, type: "tool-progress", callId: "c", text: "50%" })).toBe("");
    expect(encode({ ...t, seq: 4, type: "tool-result", callId: "c", name: "x", result: 1, isError: false })).toBe("");

    const text = run([
      { ...t, seq: 1, type: "turn-start", messageId: "m1" },
      { ...t, seq: 2, type: "text-delta", text: "Let me look. " },
      { ...t, seq: 3, type: "tool-call", callId: "c", name: "x", args: {} },
      { ...t, seq: 4, type: "tool-result", callId: "c", name: "x", result: 1, isError: false },
      { ...t, seq: 5, type: "text-delta", text: "Found it." },
      // The turn's last message holds only the last step's text.
      { ...t, seq: 6, type: "turn-end", message: { ...message, content: "Found it." }, usage, finishReason: "stop" },
    ]);
    expect(text).not.toContain("tool");
    expect(text).toContain('"full_content":"Let me look. Found it."');
  });

  it("falls back to the stored reply for a client that joined mid-turn", () => {
    const text = run([
      { ...t, seq: 5, type: "text-delta", text: "there" },
      { ...t, seq: 6, type: "turn-end", message, usage, finishReason: "stop" },
    ]);
    expect(text).toContain('"full_content":"Hi there"');
  });
});
