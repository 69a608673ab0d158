/**
 * `POST /api/chat` and `GET /api/chat/:id/stream` through the AI SDK's real client pieces:
 * `DefaultChatTransport` (which checks every chunk against the release's schema) and
 * `readUIMessageStream` (which builds the UI message as `useChat` does).
 */

import { exports } from "cloudflare:workers";
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { describe, expect, it } from "vitest";
import { parseSse } from "../support/sse";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

const transport = new DefaultChatTransport<UIMessage>({
  api: "http://edge-chat.test/api/chat",
  fetch: (url, init) => exports.default.fetch(new Request(url, init)),
});

function userMessage(text: string): UIMessage {
  return { id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] };
}

interface Read {
  message: UIMessage;
  chunks: UIMessageChunk[];
  errors: Error[];
}

/** Reads a chunk stream the way `useChat` does, keeping the chunks for assertions. */
async function read(stream: ReadableStream<UIMessageChunk>): Promise<Read> {
  const chunks: UIMessageChunk[] = [];
  const errors: Error[] = [];
  const recorded = stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        chunks.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream: recorded, onError: (e) => errors.push(e as Error) })) message = m;
  expect(message).toBeDefined();
  return { message: message!, chunks, errors };
}

async function send(
  chatId: string,
  messages: UIMessage[],
  trigger: "submit-message" | "regenerate-message" = "submit-message",
  messageId?: string,
): Promise<Read> {
  return read(await transport.sendMessages({ chatId, messages, trigger, messageId, abortSignal: undefined }));
}

const textOf = (m: UIMessage) =>
  m.parts
    .filter((p) => p.type === "text")
    .map((p) => (p as { text: string }).text)
    .join("");

const toolParts = (m: UIMessage) =>
  m.parts.filter((p) => p.type === "dynamic-tool") as Extract<UIMessage["parts"][number], { type: "dynamic-tool" }>[];

async function stored(chatId: string): Promise<any> {
  const res = await call(`/api/v1/context/conversations/${chatId}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe("AI SDK useChat on POST /api/chat", () => {
  it("streams the reply the upstream produced into one UI message, and stores the user and assistant messages", async () => {
    const chatId = uniqueId("ai");
    const question = `${chatId} ${script({ pieces: ["Hel", "lo", " there"] })}`;
    const { message, chunks, errors } = await send(chatId, [userMessage(question)]);

    expect(errors).toEqual([]);
    expect(message.role).toBe("assistant");
    expect(textOf(message)).toBe("Hello there");
    expect(chunks.map((c) => c.type)).toEqual([
      "start",
      "start-step",
      "text-start",
      "text-delta",
      "text-delta",
      "text-delta",
      "text-end",
      "finish-step",
      "finish",
    ]);
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });

    const conversation = await stored(chatId);
    expect(conversation.messages.map((m: any) => [m.role, m.content, m.status])).toEqual([
      ["user", question, "complete"],
      ["assistant", "Hello there", "complete"],
    ]);
    // The UI message's id is the stored reply's id, so a later regenerate names the right one.
    expect(message.id).toBe(conversation.messages[1].id);
  });

  it("sends the first turn's history upstream on the second turn", async () => {
    const chatId = uniqueId("ai");
    const first = userMessage(`first ${chatId}`);
    const one = await send(chatId, [first]);
    expect(textOf(one.message)).toBe(`Echo: first ${chatId}`);

    const second = userMessage(`second ${chatId}`);
    const two = await send(chatId, [first, one.message, second]);
    expect(textOf(two.message)).toBe(`Echo: second ${chatId}`);

    const [req] = await upstreamRequests(`second ${chatId}`);
    expect(req.body.messages).toEqual([
      { role: "system", content: "You are a test assistant." },
      { role: "user", content: `first ${chatId}` },
      { role: "assistant", content: `Echo: first ${chatId}` },
      { role: "user", content: `second ${chatId}` },
    ]);
    expect((await stored(chatId)).messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
  });

  it("shows a built-in tool call as a tool part with its input and output, in its own step", async () => {
    const chatId = uniqueId("ai");
    const content = `${chatId} ${script({ steps: [{ text: "Let me check.", toolCalls: [{ id: "call_t1", name: "current_time", arguments: { timezone: "Asia/Tokyo" } }] }] })}`;
    const { message, errors } = await send(chatId, [userMessage(content)]);
    expect(errors).toEqual([]);

    const [tool] = toolParts(message);
    expect(tool).toMatchObject({
      toolName: "current_time",
      toolCallId: "call_t1",
      state: "output-available",
      input: { timezone: "Asia/Tokyo" },
    });
    const output = JSON.parse(tool.output as string);
    expect(output.timezone).toBe("Asia/Tokyo");
    expect(Math.abs(Date.parse(output.iso) - Date.now())).toBeLessThan(60_000);

    expect(message.parts.map((p) => p.type)).toEqual(["step-start", "text", "dynamic-tool", "step-start", "text"]);
    expect(textOf(message)).toBe(`Let me check.Tool results: ${tool.output}`);
  });

  it("shows an MCP tool's call and result, and a failed tool as an output error", async () => {
    const chatId = uniqueId("ai");
    const calls = [
      { id: "call_echo", name: "everything__echo", arguments: { message: "hello mcp" } },
      { id: "call_nope", name: "no_such_tool", arguments: {} },
    ];
    const { message, errors } = await send(chatId, [
      userMessage(`${chatId} ${script({ steps: [{ toolCalls: calls }] })}`),
    ]);
    expect(errors).toEqual([]);
    const tools = Object.fromEntries(toolParts(message).map((p) => [p.toolCallId, p]));
    expect(tools.call_echo).toMatchObject({
      toolName: "everything__echo",
      state: "output-available",
      input: { message: "hello mcp" },
      output: "Echo: hello mcp",
    });
    expect(tools.call_nope).toMatchObject({
      toolName: "no_such_tool",
      state: "output-error",
      errorText: "unknown tool no_such_tool",
    });
  });

  it("surfaces an upstream failure as an error, and the stream still ends cleanly", async () => {
    const chatId = uniqueId("ai");
    const { chunks, errors } = await send(chatId, [userMessage(`${chatId} ${script({ status: 500 })}`)]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/model provider failed/)]);
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "error" });
    expect((await stored(chatId)).messages.map((m: any) => m.status)).toEqual(["complete", "error"]);

    // With terminateOnError, as an app that wants to stop on errors reads it.
    const again = await transport.sendMessages({
      chatId,
      messages: [userMessage(`${chatId} ${script({ status: 500 })}`)],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    await expect(async () => {
      for await (const _ of readUIMessageStream({ stream: again, terminateOnError: true }));
    }).rejects.toThrow(/model provider failed/);
  });

  it("regenerate-message replaces the last reply", async () => {
    const chatId = uniqueId("ai");
    const question = userMessage(`${chatId} ${script({ echoCount: true })}`);
    const first = await send(chatId, [question]);
    expect(textOf(first.message)).toBe("messages=2");

    const again = await send(chatId, [question], "regenerate-message", first.message.id);
    expect(again.errors).toEqual([]);
    expect(again.message.id).not.toBe(first.message.id);
    // The upstream saw the same context: the old reply was dropped, not sent.
    expect(textOf(again.message)).toBe("messages=2");

    const messages = (await stored(chatId)).messages;
    expect(messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    expect(messages[1].id).toBe(again.message.id);
    expect(await upstreamRequests(chatId)).toHaveLength(2);
  });

  it("reconnectToStream: null when nothing runs; mid-turn, the whole reply so far and then the rest", async () => {
    const chatId = uniqueId("ai");
    expect(await transport.reconnectToStream({ chatId })).toBeNull();

    const slow = script({ text: "tick ", repeat: 25, delayMs: 30 });
    const live = await transport.sendMessages({
      chatId,
      messages: [userMessage(`${chatId} ${slow}`)],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    const reader = live.getReader();
    // Wait until text flows, so the reconnect lands mid-turn.
    for (let chunk = await reader.read(); chunk.value?.type !== "text-delta"; chunk = await reader.read())
      expect(chunk.done).toBe(false);

    const resumed = await transport.reconnectToStream({ chatId });
    expect(resumed).not.toBeNull();
    const followed = await read(resumed!);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());

    const full = "tick ".repeat(25);
    expect(followed.errors).toEqual([]);
    expect(followed.chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    // The reconnect replays the turn from its start, so the message is whole, under its stored id.
    expect(textOf(followed.message)).toBe(full);
    const reply = (await stored(chatId)).messages[1];
    expect(reply.content).toBe(full);
    expect(followed.chunks[0]).toEqual({ type: "start", messageId: reply.id });
    // Once it has ended there is nothing to resume.
    expect(await transport.reconnectToStream({ chatId })).toBeNull();
  });

  it("an abort from POST /api/chat/abort ends the stream as interrupted, keeping what was written", async () => {
    const chatId = uniqueId("ai");
    const live = await transport.sendMessages({
      chatId,
      messages: [userMessage(`${chatId} ${script({ text: "tick ", repeat: 200, delayMs: 30 })}`)],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    const [mine, watch] = live.tee();
    const reader = watch.getReader();
    for (let chunk = await reader.read(); chunk.value?.type !== "text-delta"; chunk = await reader.read())
      expect(chunk.done).toBe(false);
    void reader.cancel();
    expect(await (await call("/api/chat/abort", { json: { session_id: chatId } })).json()).toEqual({ aborted: true });

    const { message, chunks, errors } = await read(mine);
    expect(errors).toEqual([]);
    expect(chunks.slice(-2)).toEqual([
      { type: "abort", reason: "aborted" },
      { type: "finish", finishReason: "interrupted" },
    ]);
    expect((await stored(chatId)).messages[1]).toMatchObject({ status: "aborted", content: textOf(message) });
  });

  it("answers in the UI message stream's bytes: header, data frames, data: [DONE]", async () => {
    const chatId = uniqueId("ai");
    const res = await call("/api/chat", {
      json: {
        id: chatId,
        messages: [
          { id: "u1", role: "user", parts: [{ type: "text", text: `${chatId} ${script({ pieces: ["a", "b"] })}` }] },
        ],
        trigger: "submit-message",
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/data: \[DONE\]\n\n$/);
    const frames = parseSse(text);
    // Each frame carries its event's seq (for resume), none an event name.
    expect(frames.every((f) => /^\d+$/.test(f.id ?? "") && f.event === undefined)).toBe(true);
    expect(frames.at(-1)!.data).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data));
    expect(chunks[0]).toEqual({ type: "start", messageId: res.headers.get("x-message-id") });
    expect(chunks.filter((c) => c.type === "text-delta").map((c) => c.delta)).toEqual(["a", "b"]);
    // Every data line is one whole chunk: `data: {json}` and a blank line.
    for (const block of text.split("\n\n").filter((b) => b.startsWith("data: ")))
      expect(block.split("\n")).toHaveLength(1);
  });

  it("refuses bad bodies with the field named, before any session is touched", async () => {
    const bad = async (body: unknown) => {
      const res = await call("/api/chat", { json: body });
      expect(res.status).toBe(400);
      return ((await res.json()) as any).error;
    };
    const msg = { id: "u1", role: "user", parts: [{ type: "text", text: "hi" }] };
    expect((await bad({ id: "no spaces allowed", messages: [msg], trigger: "submit-message" })).param).toBe("id");
    expect((await bad({ id: "ok", messages: [msg], trigger: "resume-stream" })).param).toBe("trigger");
    expect((await bad({ id: "ok", messages: [{ ...msg, role: "assistant" }], trigger: "submit-message" })).param).toBe(
      "messages",
    );
    expect(
      (await bad({ id: "ok", messages: [{ ...msg, parts: [{ type: "file", url: "x" }] }], trigger: "submit-message" }))
        .param,
    ).toBe("messages.0.parts");
    expect(
      (await bad({ id: "ok", messages: [{ ...msg, parts: [{ type: "text" }] }], trigger: "submit-message" })).param,
    ).toBe("messages.0.parts.0.text");
    expect((await bad({ id: "ok", messages: [msg], trigger: "submit-message", model: 7 })).param).toBe("model");
    expect((await call("/api/chat/bad%20id/stream")).status).toBe(400);

    // Regenerating a conversation that has no question yet.
    const empty = await call("/api/chat", {
      json: { id: uniqueId("ai"), messages: [], trigger: "regenerate-message" },
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as any).error.code).toBe("nothing_to_regenerate");
  });

  it("refuses a second turn while one runs in the same chat (409), which the transport reports", async () => {
    const chatId = uniqueId("ai");
    const slow = await transport.sendMessages({
      chatId,
      messages: [userMessage(`${chatId} ${script({ text: "x ", repeat: 10, delayMs: 30 })}`)],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    await expect(
      transport.sendMessages({
        chatId,
        messages: [userMessage("again")],
        trigger: "submit-message",
        messageId: undefined,
        abortSignal: undefined,
      }),
    ).rejects.toThrow(/already running/);
    await read(slow);
  });
});
