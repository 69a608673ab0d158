import { describe, expect, it } from "vitest";
import { createEncoder } from "../../src/events/encode";
import { encodeSse, formatSse, sseComment } from "../../src/events/sse";
import type { StoredMessage, TurnEvent } from "../../src/events/types";
import { parseSse } from "../support/sse";

const base = { turnId: "t1" };
const message: StoredMessage = {
  id: "m1",
  role: "assistant",
  content: "Hi",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
};

describe("formatSse", () => {
  it("writes id and data lines and a blank line", () => {
    expect(formatSse({ id: 7, data: '{"a":1}' })).toBe('id: 7\ndata: {"a":1}\n\n');
  });

  it("splits multi-line data into several data lines, which a client joins back", () => {
    const text = formatSse({ data: "one\ntwo\r\nthree" });
    expect(text).toBe("data: one\ndata: two\ndata: three\n\n");
    expect(parseSse(text)[0].data).toBe("one\ntwo\nthree");
  });

  it("refuses CR/LF in event and id, which would inject frames", () => {
    expect(() => formatSse({ event: "x\ndata: evil", data: "" })).toThrow(/must not contain/);
    expect(() => formatSse({ id: "1\r\n", data: "" })).toThrow(/must not contain/);
  });

  it("encodes UTF-8 bytes and comment lines", () => {
    expect(new TextDecoder().decode(encodeSse({ data: "你好" }))).toBe("data: 你好\n\n");
    expect(new TextDecoder().decode(sseComment("ping\nx"))).toBe(": ping x\n\n");
  });
});

describe("native (reference 000) encoder", () => {
  const encode = createEncoder("native", { sessionId: "s", model: "m" });
  const frame = (e: TurnEvent) => {
    const [f] = parseSse(encode(e));
    return { id: f.id, json: JSON.parse(f.data) };
  };

  it("encodes text deltas as chunk frames with the seq as id", () => {
    expect(frame({ ...base, seq: 3, type: "text-delta", text: 'a "quoted"\nline' })).toEqual({
      id: "3",
      json: { type: "chunk", data: { content: 'a "quoted"\nline' } },
    });
  });

  it("encodes the end of a turn as complete with the whole message", () => {
    expect(frame({ ...base, seq: 9, type: "turn-end", message, usage: null, finishReason: "stop" }).json).toEqual({
      type: "complete",
      data: { message },
    });
    expect(
      frame({
        ...base,
        seq: 9,
        type: "turn-end",
        message: { ...message, status: "aborted" },
        usage: null,
        finishReason: "aborted",
      }).json.type,
    ).toBe("complete");
  });

  it("encodes errors, and says nothing more after an errored turn", () => {
    expect(frame({ ...base, seq: 4, type: "error", message: "boom", code: "upstream_unavailable" }).json).toEqual({
      type: "error",
      data: { error: "boom", code: "upstream_unavailable" },
    });
    expect(encode({ ...base, seq: 5, type: "turn-end", message, usage: null, finishReason: "error" })).toBe("");
    expect(encode({ ...base, seq: 1, type: "turn-start", messageId: "m1" })).toBe("");
  });

  it("encodes tool events in the reference's shapes", () => {
    expect(frame({ ...base, seq: 5, type: "tool-call", callId: "c1", name: "echo", args: { x: 1 } }).json).toEqual({
      type: "tool_call",
      data: { tool_call_id: "c1", tool_name: "echo", arguments: { x: 1 } },
    });
    expect(frame({ ...base, seq: 6, type: "tool-progress", callId: "c1", text: "50%" }).json).toEqual({
      type: "tool_stream_chunk",
      data: { tool_call_id: "c1", content: "50%" },
    });
    const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
    expect(
      frame({
        ...base,
        seq: 7,
        type: "tool-elicitation",
        callId: "c1",
        elicitationId: "e1",
        message: "Your name?",
        requestedSchema: schema,
      }).json,
    ).toEqual({
      type: "tool_elicitation",
      data: { tool_call_id: "c1", elicitation_id: "e1", message: "Your name?", requested_schema: schema },
    });
    expect(
      frame({ ...base, seq: 7, type: "tool-result", callId: "c1", name: "echo", result: "ok", isError: false }).json,
    ).toMatchObject({
      type: "tool_result",
      data: { tool_call_id: "c1", result: "ok" },
    });
  });
});
