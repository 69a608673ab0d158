/** Reference 003's line stream, byte for byte, and how its requests become turns. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { createEncoder } from "../../src/events/encode";
import { dataStreamAnswer } from "../../src/events/encode/data-stream";
import type { StoredMessage, TurnEvent } from "../../src/events/types";
import { DataStreamBody, dataStreamTurnInput } from "../../src/http/data-stream";
import { resolveModel } from "../../src/llm/model-config";

const base = { turnId: "t1" };
const message: StoredMessage = {
  id: "m1",
  role: "assistant",
  content: "你好",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
  model: "gpt-4",
};
const encode = createEncoder("data-stream", { sessionId: "s", model: "m" });

describe("line (reference 003) encoder", () => {
  it("writes the reference's lines exactly, one per event, each ending in \\n", () => {
    expect(encode({ ...base, seq: 2, type: "text-delta", text: "你" })).toBe(
      '0:{"type":"text-delta","textDelta":"你"}\n',
    );
    expect(
      encode({
        ...base,
        seq: 3,
        type: "tool-call",
        callId: "call_abc123",
        name: "get_weather",
        args: { location: "Beijing" },
      }),
    ).toBe(
      '9:{"type":"tool-call","toolCallId":"call_abc123","toolName":"get_weather","args":{"location":"Beijing"}}\n',
    );
    expect(
      encode({
        ...base,
        seq: 4,
        type: "tool-result",
        callId: "call_abc123",
        name: "get_weather",
        result: "Beijing weather: 25°C, Sunny",
        isError: false,
      }),
    ).toBe(
      'a:{"type":"tool-result","toolCallId":"call_abc123","toolName":"get_weather","result":"Beijing weather: 25°C, Sunny"}\n',
    );
    expect(encode({ ...base, seq: 5, type: "error", message: "boom", code: "upstream_unavailable" })).toBe(
      '3:{"type":"error","error":"boom"}\n',
    );
    expect(encode({ ...base, seq: 6, type: "turn-end", message, usage: null, finishReason: "stop" })).toBe(
      'd:{"type":"finish","finishReason":"stop"}\n',
    );
  });

  it("keeps line breaks inside a delta escaped, so a line is never split", () => {
    const line = encode({ ...base, seq: 2, type: "text-delta", text: 'a "b"\nc\r\n' });
    expect(line).toBe('0:{"type":"text-delta","textDelta":"a \\"b\\"\\nc\\r\\n"}\n');
    expect(line.split("\n")).toHaveLength(2);
  });

  it("sends a tool's form for the user as a `2:` data line", () => {
    const schema = { type: "object", properties: { zone: { type: "string" } } };
    const line = encode({
      ...base,
      seq: 4,
      type: "tool-elicitation",
      callId: "c",
      elicitationId: "e1",
      message: "Which zone?",
      requestedSchema: schema,
    });
    expect(line).toBe(
      `2:${JSON.stringify([{ type: "tool-elicitation", toolCallId: "c", elicitationId: "e1", message: "Which zone?", requestedSchema: schema }])}\n`,
    );
  });

  it("has nothing to say for the start, progress or an empty delta", () => {
    expect(encode({ ...base, seq: 1, type: "turn-start", messageId: "m1" })).toBe("");
    expect(encode({ ...base, seq: 2, type: "tool-progress", callId: "c", text: "50%" })).toBe("");
    expect(encode({ ...base, seq: 3, type: "text-delta", text: "" })).toBe("");
  });
});

describe("reference 003 requests", () => {
  it("default to streaming and become a direct turn in a fresh session, model and temperature as given", () => {
    const body = DataStreamBody.parse({
      messages: [{ role: "user", content: "你好" }],
      model: "chat-model",
      temperature: 0.7,
    });
    expect(body.stream).toBe(true);
    const a = dataStreamTurnInput(body);
    const b = dataStreamTurnInput(body);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(a).toMatchObject({
      mode: { kind: "direct", messages: body.messages },
      modelConfig: { model_name: "chat-model", temperature: 0.7 },
      dialect: "data-stream",
    });
    expect("record" in a.mode).toBe(false);
  });

  it("reach the upstream under MODEL_ALIASES: reference 003's model names map to real models", () => {
    const config = loadConfig({
      OPENAI_API_KEY: "sk-x",
      MODEL_ALIASES: JSON.stringify({
        "chat-model": "gpt-4",
        "chat-model-reasoning": "gpt-4-turbo-preview",
        "title-model": "gpt-3.5-turbo",
        "artifact-model": "gpt-4",
      }),
    });
    const upstreamModel = (model: string) =>
      resolveModel(
        config,
        dataStreamTurnInput(DataStreamBody.parse({ messages: [{ role: "user", content: "x" }], model })).modelConfig
          ?.model_name,
      );
    expect(upstreamModel("chat-model")).toBe("gpt-4");
    expect(upstreamModel("chat-model-reasoning")).toBe("gpt-4-turbo-preview");
    expect(upstreamModel("title-model")).toBe("gpt-3.5-turbo");
    expect(upstreamModel("gpt-4o")).toBe("gpt-4o");
    // No model: the default model, also through the aliases.
    expect(
      resolveModel(
        config,
        dataStreamTurnInput(DataStreamBody.parse({ messages: [{ role: "user", content: "x" }] })).modelConfig
          ?.model_name,
      ),
    ).toBe("gpt-4o-mini");
  });

  it("without MODEL_ALIASES, the front end's four model ids mean DEFAULT_MODEL; other names pass unchanged", () => {
    const config = loadConfig({ OPENAI_API_KEY: "sk-x", DEFAULT_MODEL: "gpt-4o" });
    for (const id of ["chat-model", "chat-model-reasoning", "title-model", "artifact-model"]) {
      expect(resolveModel(config, id), id).toBe("gpt-4o");
    }
    expect(resolveModel(config, "gpt-4")).toBe("gpt-4");
    // Only the aliases' own keys: not a name Object's prototype happens to have.
    expect(resolveModel(config, "constructor")).toBe("constructor");
    expect(resolveModel(loadConfig({ MODEL_ALIASES: '{"artifact-model":"o3"}' }), "artifact-model")).toBe("o3");
  });

  it("with stream:false answer one JSON object built from the turn's events", () => {
    const events: TurnEvent[] = [
      { ...base, seq: 1, type: "turn-start", messageId: "m0" },
      { ...base, seq: 2, type: "text-delta", text: "Let me check." },
      { ...base, seq: 3, type: "tool-call", callId: "c1", name: "current_time", args: { timezone: "UTC" } },
      { ...base, seq: 4, type: "tool-result", callId: "c1", name: "current_time", result: "noon", isError: false },
      { ...base, seq: 5, type: "text-delta", text: " It is noon." },
      {
        ...base,
        seq: 6,
        type: "turn-end",
        message,
        usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
        finishReason: "stop",
      },
    ];
    expect(dataStreamAnswer({ events, end: events[5] as Extract<TurnEvent, { type: "turn-end" }> })).toEqual({
      role: "assistant",
      content: "Let me check. It is noon.",
      finishReason: "stop",
      toolCalls: [{ type: "tool-call", toolCallId: "c1", toolName: "current_time", args: { timezone: "UTC" } }],
      toolResults: [{ type: "tool-result", toolCallId: "c1", toolName: "current_time", result: "noon" }],
      usage: { promptTokens: 10, completionTokens: 4, totalTokens: 14 },
      model: "gpt-4",
    });
  });
});
