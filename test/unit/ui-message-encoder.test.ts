/**
 * The UI message stream encoder against the installed `ai` release: every chunk it can emit must
 * pass `uiMessageChunkSchema`, and the AI SDK's own reader must build the expected message.
 */
import { readUIMessageStream, type UIMessage, type UIMessageChunk, uiMessageChunkSchema } from "ai";
import { describe, expect, it } from "vitest";
import { createEncoder } from "../../src/events/encode";
import { type UiChunk, UiMessageChunks } from "../../src/events/encode/ui-message";
import type { FinishReason, StoredMessage, TurnEvent, TurnEventBody } from "../../src/events/types";
import { parseSse } from "../support/sse";

const message: StoredMessage = {
  id: "m1",
  role: "assistant",
  content: "",
  created_at: "2026-01-01T00:00:00.000Z",
  status: "complete",
  usage: null,
};

/** Numbers a turn's events as the session does. */
function turn(bodies: TurnEventBody[], firstSeq = 1): TurnEvent[] {
  return bodies.map((b, i) => ({ ...b, seq: firstSeq + i, turnId: "t1" }) as TurnEvent);
}

const end = (finishReason: FinishReason): TurnEventBody => ({
  type: "turn-end",
  message: {
    ...message,
    status: finishReason === "aborted" ? "aborted" : finishReason === "error" ? "error" : "complete",
  },
  usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  finishReason,
});

const toolTurn: TurnEventBody[] = [
  { type: "turn-start", messageId: "m1" },
  { type: "text-delta", text: "Let me " },
  { type: "text-delta", text: "check." },
  { type: "tool-call", callId: "c1", name: "current_time", args: { timezone: "Asia/Tokyo" } },
  { type: "tool-call", callId: "c2", name: "no_such_tool", args: {} },
  { type: "tool-progress", callId: "c1", text: "50%" },
  {
    type: "tool-elicitation",
    callId: "c1",
    elicitationId: "e1",
    message: "Which zone?",
    requestedSchema: { type: "object", properties: { zone: { type: "string", default: "UTC" } } },
  },
  { type: "tool-result", callId: "c1", name: "current_time", result: '{"timezone":"Asia/Tokyo"}', isError: false },
  { type: "tool-result", callId: "c2", name: "no_such_tool", result: "unknown tool no_such_tool", isError: true },
  { type: "tool-progress", callId: "c1", text: "condensing" },
  { type: "text-delta", text: "It is " },
  { type: "text-delta", text: "late." },
  end("stop"),
];

/** Every stream shape the encoder has: plain, tools, failures, a follower joining mid-turn. */
const scenarios: Record<string, TurnEvent[]> = {
  text: turn([
    { type: "turn-start", messageId: "m1" },
    { type: "text-delta", text: "Hi" },
    { type: "text-delta", text: "" },
    end("stop"),
  ]),
  tools: turn(toolTurn),
  "tool call straight after the tool results (a second tool step)": turn([
    { type: "turn-start", messageId: "m1" },
    { type: "tool-call", callId: "c1", name: "current_time", args: {} },
    { type: "tool-result", callId: "c1", name: "current_time", result: "t1", isError: false },
    { type: "tool-call", callId: "c2", name: "current_time", args: {} },
    { type: "tool-result", callId: "c2", name: "current_time", result: { structured: true }, isError: false },
    { type: "text-delta", text: "done" },
    end("stop"),
  ]),
  "upstream failure": turn([
    { type: "turn-start", messageId: "m1" },
    { type: "error", message: "the model provider failed", code: "upstream_unavailable" },
    end("error"),
  ]),
  "failure mid-text": turn([
    { type: "turn-start", messageId: "m1" },
    { type: "text-delta", text: "ab" },
    { type: "error", message: "cut", code: "upstream_unavailable" },
    end("error"),
  ]),
  aborted: turn([{ type: "turn-start", messageId: "m1" }, { type: "text-delta", text: "tick " }, end("aborted")]),
  length: turn([{ type: "turn-start", messageId: "m1" }, { type: "text-delta", text: "long" }, end("length")]),
  "client tools": turn([
    { type: "turn-start", messageId: "m1" },
    { type: "tool-call", callId: "c9", name: "client_tool", args: "{not json" },
    end("tool-calls"),
  ]),
  "paused for an approval": turn([
    { type: "turn-start", messageId: "m1" },
    { type: "tool-call", callId: "c1", name: "legacy__echo", args: { message: "hi" } },
    { type: "tool-approval-request", approvalId: "a1", callId: "c1", name: "legacy__echo", args: { message: "hi" } },
    end("awaiting-approval"),
  ]),
  // The stream that goes on after the answers continues the client's message, which has the call.
  "going on after a denial": turn([
    { type: "turn-start", messageId: "m1" },
    { type: "tool-call", callId: "c1", name: "legacy__echo", args: { message: "hi" } },
    { type: "tool-approval-request", approvalId: "a1", callId: "c1", name: "legacy__echo", args: { message: "hi" } },
    {
      type: "tool-approval-response",
      approvalId: "a1",
      callId: "c1",
      name: "legacy__echo",
      args: { message: "hi" },
      approved: false,
      reason: "no",
    },
    { type: "tool-result", callId: "c1", name: "legacy__echo", result: "not run", isError: true, denied: true },
    { type: "text-delta", text: "Understood." },
    end("stop"),
  ]),
  // A follower that joins after the start (and after c1 was called) of the tool turn.
  "follower joining mid-turn": turn(toolTurn.slice(2), 3),
  "follower that only sees the end": turn([end("stop")], 40),
};

function chunksOf(events: TurnEvent[]): UiChunk[] {
  const stream = new UiMessageChunks();
  return events.flatMap((e) => stream.chunks(e));
}

/** What goes over the wire: the encoder's bytes, parsed as SSE. */
function wireOf(events: TurnEvent[]): string {
  const encode = createEncoder("ui-message", { sessionId: "s", model: "m" });
  return events.map(encode).join("");
}

async function validate(chunk: unknown): Promise<{ success: boolean; error?: unknown }> {
  return (await uiMessageChunkSchema().validate!(chunk)) as { success: boolean; error?: unknown };
}

/**
 * The schema's objects are loose (unknown keys pass), so a key the release does not know would
 * slip through `validate`. Probe each key instead: a key the schema types rejects a Symbol; the
 * only keys it leaves untyped (`z.unknown()` in ui-message-chunks.ts) are these.
 */
const UNTYPED_KEYS: Record<string, string[]> = {
  "tool-input-available": ["input"],
  "tool-output-available": ["output"],
  "data-tool-progress": ["data"],
  "data-tool-elicitation": ["data"],
};

async function unknownKeys(chunk: UiChunk): Promise<string[]> {
  const unknown: string[] = [];
  for (const key of Object.keys(chunk)) {
    if (key === "type" || UNTYPED_KEYS[chunk.type]?.includes(key)) continue;
    if ((await validate({ ...chunk, [key]: Symbol("probe") })).success) unknown.push(key);
  }
  return unknown;
}

async function readAll(events: TurnEvent[]): Promise<{ message: UIMessage | undefined; errors: unknown[] }> {
  const frames = parseSse(wireOf(events)).filter((f) => f.data !== "[DONE]");
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const f of frames) controller.enqueue(JSON.parse(f.data));
      controller.close();
    },
  });
  const errors: unknown[] = [];
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream, onError: (e) => errors.push(e) })) message = m;
  return { message, errors };
}

describe("UI message stream encoder", () => {
  it("emits only chunks the installed ai release's uiMessageChunkSchema accepts", async () => {
    const seen = new Set<string>();
    for (const [name, events] of Object.entries(scenarios)) {
      for (const chunk of chunksOf(events)) {
        seen.add(chunk.type);
        const result = await validate(chunk);
        expect(result.success, `${name}: ${JSON.stringify(chunk)}`).toBe(true);
        expect(await unknownKeys(chunk), `${name}: ${JSON.stringify(chunk)}`).toEqual([]);
      }
    }
    // Every chunk type the encoder has is covered above.
    expect([...seen].sort()).toEqual(
      [
        "abort",
        "data-tool-elicitation",
        "data-tool-progress",
        "error",
        "finish",
        "finish-step",
        "start",
        "start-step",
        "text-delta",
        "text-end",
        "text-start",
        "tool-approval-request",
        "tool-approval-response",
        "tool-input-available",
        "tool-output-available",
        "tool-output-denied",
        "tool-output-error",
      ].sort(),
    );
  });

  it("sanity: the schema check can fail", async () => {
    expect((await validate({ type: "text-delta", id: "x" })).success).toBe(false);
    expect((await validate({ type: "tool-progress", toolCallId: "c1" })).success).toBe(false);
    expect((await validate({ type: "finish", finishReason: "aborted" })).success).toBe(false);
    // Loose objects: an unknown field passes validation, and only the key probe catches it.
    const extra = { type: "text-delta", id: "x", delta: "d", textDelta: "d" };
    expect((await validate(extra)).success).toBe(true);
    expect(await unknownKeys(extra)).toEqual(["textDelta"]);
  });

  it("frames every chunk as `id: <seq>` + `data: {json}` and ends the turn with `data: [DONE]`", () => {
    const wire = wireOf(scenarios.text);
    const frames: [number, unknown][] = [
      [1, { type: "start", messageId: "m1" }],
      [1, { type: "start-step" }],
      [2, { type: "text-start", id: "text-2" }],
      [2, { type: "text-delta", id: "text-2", delta: "Hi" }],
      [4, { type: "text-end", id: "text-2" }],
      [4, { type: "finish-step" }],
      [4, { type: "finish", finishReason: "stop" }],
    ];
    expect(wire).toBe(
      `${frames.map(([id, c]) => `id: ${id}\ndata: ${JSON.stringify(c)}\n\n`).join("")}id: 4\ndata: [DONE]\n\n`,
    );
  });

  it("builds the message the AI SDK's reader expects: text, a step per tool round, tool parts with input and output", async () => {
    const { message, errors } = await readAll(scenarios.tools);
    expect(errors).toEqual([]);
    expect(message!.id).toBe("m1");
    expect(message!.parts).toEqual([
      { type: "step-start" },
      { type: "text", text: "Let me check.", state: "done" },
      expect.objectContaining({
        type: "dynamic-tool",
        toolName: "current_time",
        toolCallId: "c1",
        state: "output-available",
        input: { timezone: "Asia/Tokyo" },
        output: '{"timezone":"Asia/Tokyo"}',
      }),
      expect.objectContaining({
        type: "dynamic-tool",
        toolName: "no_such_tool",
        toolCallId: "c2",
        state: "output-error",
        errorText: "unknown tool no_such_tool",
      }),
      { type: "step-start" },
      { type: "text", text: "It is late.", state: "done" },
    ]);
  });

  it("sends tool progress as transient data, which stays out of the message", () => {
    const progress = chunksOf(scenarios.tools).filter((c) => c.type === "data-tool-progress");
    expect(progress).toEqual([
      { type: "data-tool-progress", data: { toolCallId: "c1", text: "50%" }, transient: true },
      { type: "data-tool-progress", data: { toolCallId: "c1", text: "condensing" }, transient: true },
    ]);
  });

  it("reports an upstream failure as an error chunk, then finishes with finishReason error", async () => {
    const chunks = chunksOf(scenarios["upstream failure"]);
    expect(chunks.map((c) => c.type)).toEqual(["start", "start-step", "error", "finish-step", "finish"]);
    expect(chunks[2]).toEqual({ type: "error", errorText: "the model provider failed" });
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "error" });
    const { errors } = await readAll(scenarios["upstream failure"]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["the model provider failed"]);
  });

  it("ends an aborted turn with abort and an interrupted finish, its text part closed", () => {
    expect(chunksOf(scenarios.aborted).slice(-4)).toEqual([
      { type: "text-end", id: "text-2" },
      { type: "finish-step" },
      { type: "abort", reason: "aborted" },
      { type: "finish", finishReason: "interrupted" },
    ]);
  });

  it("gives a follower that joined mid-turn a well-formed stream, without outputs for calls it never saw", async () => {
    const chunks = chunksOf(scenarios["follower joining mid-turn"]);
    expect(chunks.slice(0, 3).map((c) => c.type)).toEqual(["start", "start-step", "text-start"]);
    expect(chunks[0]).toEqual({ type: "start" });
    // c1 and c2 were called after the join here, so both outputs are there.
    expect(chunks.filter((c) => c.type.startsWith("tool-output")).map((c) => c.toolCallId)).toEqual(["c1", "c2"]);
    const { message, errors } = await readAll(scenarios["follower joining mid-turn"]);
    expect(errors).toEqual([]);
    expect(message!.parts.filter((p) => p.type === "text").map((p) => (p as { text: string }).text)).toEqual([
      "check.",
      "It is late.",
    ]);

    // Joined after the calls: their outputs are dropped (the reader would fail on them).
    const late = turn(toolTurn.slice(6), 7);
    const lateChunks = chunksOf(late);
    expect(lateChunks.some((c) => c.type.startsWith("tool-output"))).toBe(false);
    expect((await readAll(late)).errors).toEqual([]);

    expect(chunksOf(scenarios["follower that only sees the end"])).toEqual([
      { type: "start" },
      { type: "finish", finishReason: "stop" },
    ]);
  });

  it("says nothing after the turn's end, and never sends [DONE] twice", () => {
    const encode = createEncoder("ui-message", { sessionId: "s", model: "m" });
    const events = scenarios.text;
    const wire = events.map(encode).join("");
    expect(encode({ ...events.at(-1)!, seq: 99 })).toBe("");
    expect(encode({ type: "text-delta", text: "late", seq: 100, turnId: "t1" })).toBe("");
    expect(wire.match(/\[DONE\]/g)).toHaveLength(1);
  });
});
