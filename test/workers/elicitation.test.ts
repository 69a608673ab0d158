/**
 * Elicitation against the reference server: its `trigger-elicitation-request` tool asks the user
 * for a form while the call runs. The question reaches the turn's stream, the answer reaches the
 * server (with the form's defaults filled in), no answer declines, and a client that cannot show
 * a form does not wait.
 */
import { describe, expect, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { call, script, uniqueId } from "./helpers";

const TOOL = "everything__trigger-elicitation-request";

function askingTurn(sid: string) {
  return `${sid} ${script({ steps: [{ toolCalls: [{ id: "call_form", name: TOOL, arguments: {} }] }] })}`;
}

/** Starts a native turn that calls the tool, and reads until the question arrives. */
async function untilAsked(sid: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content: askingTurn(sid) } });
  expect(res.status).toBe(200);
  const reader = new SseReader(res.body!);
  for (;;) {
    const frame = await reader.next();
    if (!frame) throw new Error(`the stream ended without a question: ${reader.text}`);
    const event = JSON.parse(frame.data);
    if (event.type === "tool_elicitation") return { reader, question: event.data, seq: Number(frame.id) };
  }
}

const answer = (sid: string, id: string, body: unknown) =>
  call(`/api/chat/${sid}/elicitations/${encodeURIComponent(id)}`, { json: body });

const resultOf = (text: string) => nativeEvents(text).find((e) => e.type === "tool_result")!.data;

describe("a tool's server asks the user (elicitation)", () => {
  it("streams the question as tool_elicitation and sends the answer back, defaults filled in", async () => {
    const sid = uniqueId("elicit");
    const { reader, question } = await untilAsked(sid);
    expect(question).toMatchObject({
      tool_call_id: "call_form",
      elicitation_id: expect.any(String),
      message: expect.stringContaining("Please provide inputs"),
      requested_schema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    });

    const res = await answer(sid, question.elicitation_id, { action: "accept", content: { name: "Ada", check: true } });
    expect(await res.json()).toEqual({ answered: true });
    await reader.rest();
    const result = resultOf(reader.text);
    expect(result.is_error).toBe(false);
    expect(result.result).toContain("- Name: Ada");
    expect(result.result).toContain("- Agreed to terms: true");
    // Fields the user left out went back with the form's defaults (SEP-1034).
    expect(result.result).toContain("- Favorite Integer: 42");
    expect(result.result).toContain("- Favorite Number: 3.14");

    // Answered once: a second answer finds nothing waiting.
    const again = await answer(sid, question.elicitation_id, { action: "decline" });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: { code: "elicitation_not_found" } });
  });

  it("passes a decline on", async () => {
    const sid = uniqueId("elicit");
    const { reader, question } = await untilAsked(sid);
    await answer(sid, question.elicitation_id, { action: "decline" });
    await reader.rest();
    expect(resultOf(reader.text).result).toContain("declined");
  });

  it("declines when no answer comes within the tool timeout, and the call still completes", async () => {
    const sid = uniqueId("elicit");
    const { reader } = await untilAsked(sid);
    await reader.rest();
    const result = resultOf(reader.text);
    // The wait for the person does not count against the tool: the call ends with the server's answer.
    expect(result).toMatchObject({ is_error: false, result: expect.stringContaining("declined") });
    expect(nativeEvents(reader.text).at(-1)!.type).toBe("complete");
  });

  it("records the question in the event log, so a resumed client sees it", async () => {
    const sid = uniqueId("elicit");
    const { reader, question, seq } = await untilAsked(sid);
    const resumed = await call(`/api/chat/${sid}/stream?after=${seq - 1}&format=ui-message`);
    const resumedReader = new SseReader(resumed.body!);
    // The AI SDK stream opens the message and its step, then shows the question as a transient data part.
    const parts = [];
    for (let i = 0; i < 3; i++) parts.push(JSON.parse((await resumedReader.next())!.data));
    expect(parts.slice(0, 2)).toEqual([{ type: "start" }, { type: "start-step" }]);
    expect(parts[2]).toEqual({
      type: "data-tool-elicitation",
      data: {
        toolCallId: "call_form",
        elicitationId: question.elicitation_id,
        message: question.message,
        requestedSchema: question.requested_schema,
      },
      transient: true,
    });
    await answer(sid, question.elicitation_id, { action: "cancel" });
    await Promise.all([reader.rest(), resumedReader.rest()]);
  });

  it("refuses a malformed answer with 400 and leaves the question waiting", async () => {
    const sid = uniqueId("elicit");
    const { reader, question } = await untilAsked(sid);
    const bad = await answer(sid, question.elicitation_id, { action: "maybe" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", param: "action" } });
    const nested = await answer(sid, question.elicitation_id, { action: "accept", content: { name: { a: 1 } } });
    expect(nested.status).toBe(400);
    expect((await answer(sid, question.elicitation_id, { action: "decline" })).status).toBe(200);
    await reader.rest();
  });

  it("takes the defaults for a client that cannot show a form: a required field without one declines", async () => {
    const sid = uniqueId("elicit");
    // OpenAI's wire format has no place for a form.
    const res = await call("/v1/chat/completions", {
      json: { model: "gpt-4o-mini", messages: [{ role: "user", content: askingTurn(sid) }] },
    });
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    // Answered at once (no wait for a timeout), and `name` has no default: declined.
    expect(body.choices[0].message.content).toContain("declined");
  });
});
