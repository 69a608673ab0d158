import { describe, expect, it } from "vitest";
import { createEncoder } from "../../src/events/encode";
import { parseResponseId } from "../../src/events/encode/responses";
import type { StoredMessage, TurnEvent, TurnEventBody } from "../../src/events/types";
import { parseSse } from "../support/sse";

const MESSAGE_ID = "0b6c2a56-39a3-4f42-9d0e-3b5b8f3c9a11";
const message: StoredMessage = {
  id: "last",
  role: "assistant",
  content: "Let me check.",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
  model: "model-a",
  tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
};

function turn(...bodies: TurnEventBody[]): TurnEvent[] {
  return bodies.map((b, i) => ({ ...b, seq: 20 + i, turnId: "t1" }) as TurnEvent);
}

const events = turn(
  { type: "turn-start", messageId: MESSAGE_ID, createdAt: "2026-01-01T00:00:00.000Z" },
  { type: "text-delta", text: "Let me" },
  { type: "text-delta", text: " check." },
  { type: "tool-call", callId: "call_1", name: "get_weather", args: { city: "Oslo" } },
  {
    type: "turn-end",
    message,
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    finishReason: "tool-calls",
  },
);

function frames(startingAfter?: number) {
  const encode = createEncoder("responses", {
    sessionId: "sess-1",
    model: "model-a",
    clientTools: true,
    startingAfter,
  });
  return parseSse(events.map(encode).join("")).map((f) => ({ event: f.event, id: f.id, ...JSON.parse(f.data) }));
}

describe("the Responses encoder", () => {
  it("numbers its frames from 0, names each with event:, and carries the event seq as the SSE id", () => {
    const all = frames();
    expect(all.map((f) => f.sequence_number)).toEqual(all.map((_, i) => i));
    for (const f of all) expect(f.event).toBe(f.type);
    expect(all[0]).toMatchObject({ type: "response.created", id: "20", response: { created_at: 1767225600 } });
    expect(all.map((f) => f.type).slice(-5)).toEqual([
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(all.at(-1).response.output.map((o: any) => o.type)).toEqual(["message", "function_call"]);
  });

  it("from the same events, with starting_after, sends exactly the frames after that number", () => {
    const all = frames();
    for (const n of [-1, 0, 3, all.length - 2]) expect(frames(n)).toEqual(all.slice(n + 1));
  });

  it("makes response ids that name their session and first message, and reads them back", () => {
    const id = frames()[0].response.id;
    expect(parseResponseId(id)).toEqual({ sessionId: "sess-1", messageId: MESSAGE_ID });
    expect(parseResponseId("resp_abc")).toBeNull();
    expect(parseResponseId(`resp_${"0".repeat(32)}`)).toBeNull();
  });
});
