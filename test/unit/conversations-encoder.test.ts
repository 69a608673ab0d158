import { describe, expect, it } from "vitest";
import { createEncoder } from "../../src/events/encode";
import type { StoredMessage, TurnEvent } from "../../src/events/types";

const t = { turnId: "t1" };
const message: StoredMessage = {
  id: "m1",
  role: "assistant",
  content: "Hello",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
};

function run(events: TurnEvent[]): string {
  const encode = createEncoder("conversations", { sessionId: "s-1", model: "m" });
  return events.map(encode).join("");
}

describe("v1 (reference 004) encoder", () => {
  it("writes start, chunk and end frames as the reference client's switch reads them", () => {
    expect(
      run([
        { ...t, seq: 7, type: "turn-start", messageId: "m1" },
        { ...t, seq: 8, type: "text-delta", text: "Hel" },
        { ...t, seq: 9, type: "text-delta", text: "lo" },
        { ...t, seq: 10, type: "turn-end", message, usage: null, finishReason: "stop" },
      ]),
    ).toBe(
      'id: 7\ndata: {"type":"start","data":{"session_id":"s-1","message_id":"m1"}}\n\n' +
        'id: 8\ndata: {"type":"chunk","data":{"content":"Hel"}}\n\n' +
        'id: 9\ndata: {"type":"chunk","data":{"content":"lo"}}\n\n' +
        'id: 10\ndata: {"type":"end","data":{"full_text":"Hello","finish_reason":"stop"}}\n\n',
    );
  });

  it("ends an errored turn with the error frame only, and an aborted one with what was written", () => {
    const errored = run([
      { ...t, seq: 1, type: "turn-start", messageId: "m1" },
      { ...t, seq: 2, type: "error", message: "boom", code: "upstream_unavailable" },
      { ...t, seq: 3, type: "turn-end", message, usage: null, finishReason: "error" },
    ]);
    expect(
      errored.endsWith('id: 2\ndata: {"type":"error","data":{"message":"boom","code":"upstream_unavailable"}}\n\n'),
    ).toBe(true);

    const aborted = run([
      { ...t, seq: 1, type: "turn-start", messageId: "m1" },
      { ...t, seq: 2, type: "text-delta", text: "Hel" },
      {
        ...t,
        seq: 3,
        type: "turn-end",
        message: { ...message, content: "Hel", status: "aborted" },
        usage: null,
        finishReason: "aborted",
      },
    ]);
    expect(aborted).toContain('{"type":"end","data":{"full_text":"Hel","finish_reason":"aborted"}}');
  });

  it("sends no tool frames; the text around a tool step is all in full_text", () => {
    const text = run([
      { ...t, seq: 1, type: "turn-start", messageId: "m1" },
      { ...t, seq: 2, type: "text-delta", text: "Checking. " },
      { ...t, seq: 3, type: "tool-call", callId: "c", name: "clock", args: {} },
      { ...t, seq: 4, type: "tool-progress", callId: "c", text: "…" },
      { ...t, seq: 5, type: "tool-result", callId: "c", name: "clock", result: "noon", isError: false },
      { ...t, seq: 6, type: "text-delta", text: "It is noon." },
      {
        ...t,
        seq: 7,
        type: "turn-end",
        message: { ...message, content: "It is noon." },
        usage: null,
        finishReason: "stop",
      },
    ]);
    expect(text).not.toMatch(/tool|clock|noon"/);
    expect(text).toContain('"full_text":"Checking. It is noon."');
  });
});
