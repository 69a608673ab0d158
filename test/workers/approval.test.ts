/**
 * Tool approval over plain HTTP: a call to a tool that needs one pauses the turn (its state in
 * SQLite, nothing held open), `POST /api/chat/{id}/approvals/{approval_id}` answers it, and the
 * turn goes on, streamed to whoever follows the session. `legacy__echo` needs an approval (the
 * `legacy` server's `approval: {tools: ["echo"]}` in vitest.config.ts); `everything__echo` does not.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../../src/session/address";
import { nativeEvents, parseSse } from "../support/sse";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

const echo = (id: string, message: string, name = "legacy__echo") => ({ id, name, arguments: { message } });

/** Starts a native turn whose model calls `calls` in its first step; reads it to its end. */
async function pausedTurn(sid: string, calls: ReturnType<typeof echo>[]) {
  const res = await call("/api/chat/stream", {
    json: { session_id: sid, content: `${sid} ${script({ steps: [{ toolCalls: calls }] })}` },
  });
  expect(res.status).toBe(200);
  const events = nativeEvents(await res.text());
  return { events, requests: events.filter((e) => e.type === "tool_approval_request").map((e) => e.data) };
}

const answer = (sid: string, approvalId: string, body: unknown) =>
  call(`/api/chat/${sid}/approvals/${encodeURIComponent(approvalId)}`, { json: body });

async function messages(sid: string): Promise<any[]> {
  return (await (await call(`/api/v1/context/conversations/${sid}`)).json<any>()).messages;
}

/** The turn's events after `after` (what a follower that stopped there gets), once the turn has ended. */
async function followUntilEnd(sid: string, after: number) {
  for (;;) {
    const res = await call(`/api/chat/${sid}/stream?after=${after}`);
    if (res.status === 200) {
      const events = nativeEvents(await res.text());
      if (events.some((e) => e.type === "complete" || e.type === "error")) return events;
    } else await res.body?.cancel();
    await scheduler.wait(20);
  }
}

describe("tool approval", () => {
  it("pauses at a call that needs approval, holds nothing open, and goes on when approved", async () => {
    const sid = uniqueId("appr");
    const { events, requests } = await pausedTurn(sid, [echo("call_a", "hi")]);
    expect(events.map((e) => e.type)).toEqual(["tool_call", "tool_approval_request", "complete"]);
    expect(requests).toEqual([
      {
        approval_id: expect.any(String),
        tool_call_id: "call_a",
        tool_name: "legacy__echo",
        arguments: { message: "hi" },
      },
    ]);
    expect(events.at(-1)!.data.message).toMatchObject({ status: "awaiting_approval", tool_calls: [{ id: "call_a" }] });
    // The state machine's state is the last message's status.
    expect((await messages(sid)).map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "awaiting_approval"],
    ]);
    // One upstream request, ended: nothing waits on the model while a person decides.
    const upstream = await upstreamRequests(sid);
    expect(upstream.map((r) => r.outcome)).toEqual(["completed"]);

    // The data stream protocol carries it as a `2:` data line (shown to a client that resumes in it).
    const lines = await (await call(`/api/chat/${sid}/stream?after=0&format=data-stream`)).text();
    expect(lines).toContain(
      `2:[{"type":"tool-approval-request","approvalId":"${requests[0].approval_id}","callId":"call_a"`,
    );

    const res = await answer(sid, requests[0].approval_id, { approved: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ approved: true, state: "running" });
    const continued = await followUntilEnd(sid, events.at(-1)!.id);
    expect(continued.map((e) => e.type)).toEqual([
      "tool_approval_response",
      "tool_call",
      "tool_result",
      ...continued.filter((e) => e.type === "chunk").map(() => "chunk"),
      "complete",
    ]);
    expect(continued[0].data).toEqual({ approval_id: requests[0].approval_id, tool_call_id: "call_a", approved: true });
    expect(continued[2].data).toMatchObject({ tool_call_id: "call_a", is_error: false, result: "Echo: hi" });
    expect(continued.at(-1)!.data.message).toMatchObject({ status: "complete", content: "Tool results: Echo: hi" });
    expect((await messages(sid)).map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
      ["tool", "complete"],
      ["assistant", "complete"],
    ]);

    // Answered once: a second answer is a conflict, and nothing runs again.
    const again = await answer(sid, requests[0].approval_id, { approved: false });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "approval_answered" } });
    expect(await upstreamRequests(sid)).toHaveLength(2);
  });

  it("tells the model a denied call was not run, with the user's reason", async () => {
    const sid = uniqueId("appr");
    const { events, requests } = await pausedTurn(sid, [echo("call_d", "rm -rf")]);
    const res = await answer(sid, requests[0].approval_id, { approved: false, reason: "too risky" });
    expect(await res.json()).toEqual({ approved: false, state: "running" });
    const continued = await followUntilEnd(sid, events.at(-1)!.id);
    expect(continued.find((e) => e.type === "tool_result")!.data).toMatchObject({
      is_error: true,
      result: "legacy__echo was not run: the user denied it (too risky).",
    });
    const second = (await upstreamRequests(sid))[1];
    expect(second.body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_d",
      content: "legacy__echo was not run: the user denied it (too risky).",
    });
  });

  it("lets several calls of one step each wait for their own answer; calls that need none run with them", async () => {
    const sid = uniqueId("appr");
    const { events, requests } = await pausedTurn(sid, [
      echo("call_1", "one"),
      echo("call_2", "two"),
      echo("call_3", "three", "everything__echo"),
    ]);
    expect(requests.map((r) => r.tool_call_id)).toEqual(["call_1", "call_2"]);
    const first = await answer(sid, requests[0].approval_id, { approved: true });
    expect(await first.json()).toEqual({ approved: true, state: "awaiting_approval" });
    // Still waiting for the second: nothing ran, the model was not asked again.
    expect(await upstreamRequests(sid)).toHaveLength(1);
    expect((await messages(sid)).at(-1).status).toBe("awaiting_approval");

    const second = await answer(sid, requests[1].approval_id, { approved: false });
    expect(await second.json()).toEqual({ approved: false, state: "running" });
    const continued = await followUntilEnd(sid, events.at(-1)!.id);
    const results = Object.fromEntries(
      continued.filter((e) => e.type === "tool_result").map((e) => [e.data.tool_call_id, e.data.result]),
    );
    expect(results).toEqual({
      call_1: "Echo: one",
      call_2: "legacy__echo was not run: the user denied it.",
      call_3: "Echo: three",
    });
  });

  it("denies an approval nobody answers within APPROVAL_TIMEOUT_MS, when the alarm fires", async () => {
    const sid = uniqueId("appr");
    const { events, requests } = await pausedTurn(sid, [echo("call_t", "late")]);
    const stub = sessionStub(env, "local", sid);
    // A day passes: the approval's deadline is now.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE approvals SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const continued = await followUntilEnd(sid, events.at(-1)!.id);
    expect(continued[0].data).toMatchObject({ approved: false, reason: "no answer came within 86400000 ms" });
    expect(continued.find((e) => e.type === "tool_result")!.data.result).toBe(
      "legacy__echo was not run: the user denied it (no answer came within 86400000 ms).",
    );
    // The timeout was its answer: a late one is a conflict.
    expect((await answer(sid, requests[0].approval_id, { approved: true })).status).toBe(409);
  });

  it("cancels a pending approval on abort; the reply is kept as aborted and the next turn works", async () => {
    const sid = uniqueId("appr");
    const { requests } = await pausedTurn(sid, [echo("call_x", "stop me")]);
    const aborted = await call("/api/chat/abort", { json: { session_id: sid } });
    expect(await aborted.json()).toEqual({ aborted: true });
    expect((await messages(sid)).map((m) => [m.role, m.status, m.content])).toEqual([
      ["user", "complete", expect.any(String)],
      ["assistant", "aborted", ""],
      ["tool", "error", "legacy__echo was not run: the user stopped the reply."],
    ]);
    const late = await answer(sid, requests[0].approval_id, { approved: true });
    expect(late.status).toBe(404);
    expect(await late.json()).toMatchObject({ error: { code: "approval_not_found" } });
    const next = nativeEvents(
      await (await call("/api/chat/stream", { json: { session_id: sid, content: "after the abort" } })).text(),
    );
    expect(next.at(-1)!.data.message).toMatchObject({ status: "complete", content: "Echo: after the abort" });
  });

  it("refuses a new turn while one waits for approval, and deleting the conversation cancels it", async () => {
    const sid = uniqueId("appr");
    const { requests } = await pausedTurn(sid, [echo("call_y", "gone")]);
    const busy = await call("/api/chat/stream", { json: { session_id: sid, content: "meanwhile" } });
    expect(busy.status).toBe(409);
    expect((await call(`/api/v1/context/conversations/${sid}`, { method: "DELETE" })).status).toBe(200);
    const late = await answer(sid, requests[0].approval_id, { approved: true });
    expect(late.status).toBe(404);
    expect(await upstreamRequests(sid)).toHaveLength(1);
  });

  it("refuses a malformed answer with 400 naming the field, and leaves the call waiting", async () => {
    const sid = uniqueId("appr");
    const { requests } = await pausedTurn(sid, [echo("call_b", "x")]);
    const bad = await answer(sid, requests[0].approval_id, { approved: "yes" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", param: "approved" } });
    expect((await answer(sid, "no-such-approval", { approved: true })).status).toBe(404);
    expect((await messages(sid)).at(-1).status).toBe("awaiting_approval");
    expect((await call("/api/chat/abort", { json: { session_id: sid } })).status).toBe(200);
  });

  it("shows which tools need approval in /api/tools, and the AI SDK stream carries the request", async () => {
    const tools = (await (await call("/api/tools")).json<any>()).tools;
    const byName = Object.fromEntries(tools.map((t: any) => [t.name, t]));
    expect(byName.legacy__echo).toMatchObject({ requires_approval: true });
    expect(byName.everything__echo).toMatchObject({ requires_approval: false });
    expect(byName.current_time).toMatchObject({ requires_approval: false, idempotent: true });

    const sid = uniqueId("appr");
    const res = await call("/api/chat", {
      json: {
        id: sid,
        trigger: "submit-message",
        messages: [
          {
            id: "u1",
            role: "user",
            parts: [{ type: "text", text: `${sid} ${script({ steps: [{ toolCalls: [echo("call_u", "ui")] }] })}` }],
          },
        ],
      },
    });
    const chunks = parseSse(await res.text())
      .filter((f) => f.data !== "[DONE]")
      .map((f) => JSON.parse(f.data));
    const approval = chunks.find((c) => c.type === "tool-approval-request");
    expect(approval).toEqual({ type: "tool-approval-request", approvalId: expect.any(String), toolCallId: "call_u" });
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "tool-calls" });
    await call("/api/chat/abort", { json: { session_id: sid } });
  });

  it("a stored Responses API response that waits is incomplete; deleting it cancels the wait", async () => {
    const marker = uniqueId("appr-rs");
    const post = async (body: unknown) => (await call("/v1/responses", { json: body })).json<any>();
    const first = await post({ model: "gpt-4o-mini", input: `${marker} one` });
    const waiting = await post({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: `${marker} ${script({ steps: [{ toolCalls: [echo("call_r", "resp")] }] })}`,
    });
    expect(waiting.status).toBe("incomplete");
    expect((await call(`/v1/responses/${waiting.id}`, { method: "DELETE" })).status).toBe(200);
    // Nothing waits any more: the conversation goes on from the first response.
    const next = await post({ model: "gpt-4o-mini", previous_response_id: first.id, input: `${marker} three` });
    expect(next.status).toBe("completed");
    expect(next.output[0].content[0].text).toBe(`Echo: ${marker} three`);
  });

  it("denies, without waiting, a call no one could approve: a stateless turn", async () => {
    const sid = uniqueId("appr");
    const res = await call("/api/chat/stream/direct", {
      json: {
        session_id: sid,
        messages: [{ role: "user", content: `${sid} ${script({ steps: [{ toolCalls: [echo("call_s", "hi")] }] })}` }],
      },
    });
    const events = nativeEvents(await res.text());
    expect(events.some((e) => e.type === "tool_approval_request")).toBe(false);
    expect(events.find((e) => e.type === "tool_result")!.data.result).toContain("this reply is not stored");
    expect(events.at(-1)!.data.message.status).toBe("complete");
  });
});
