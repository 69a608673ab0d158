/**
 * Turns that outlive their object: every object is aborted (what a deploy or an eviction does)
 * at each state of the persisted turn — mid-text, mid-tool, awaiting approval — and the turn goes
 * on when the object wakes (`TURN_RECOVERY=continue`, the default). Its own file: aborting every
 * object must not cut other files' turns.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../../src/session/address";
import { nativeEvents, type ParsedFrame, SseReader } from "../support/sse";
import { call, eventually, script, uniqueId, upstreamRequests } from "./helpers";

async function stored(sid: string): Promise<any[]> {
  return (await (await call(`/api/v1/context/conversations/${sid}`)).json<any>()).messages;
}

/** Reads `reader` until `done` says so; returns the frames read. */
async function readUntil(reader: SseReader, done: (frames: ParsedFrame[]) => boolean): Promise<ParsedFrame[]> {
  const seen: ParsedFrame[] = [];
  while (!done(seen)) {
    const frame = await reader.next();
    if (!frame) throw new Error(`the stream ended early: ${reader.text}`);
    seen.push(frame);
  }
  return seen;
}

const chunks = (frames: ParsedFrame[]) =>
  frames
    .map((f) => JSON.parse(f.data))
    .filter((d) => d.type === "chunk")
    .map((d) => d.data.content as string);

/** What a client that saw `seen` and lost its connection gets when it comes back with Last-Event-ID. */
async function resumeAfter(sid: string, seen: ParsedFrame[]) {
  const res = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": seen.at(-1)!.id! } });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

describe("a turn continues after its object restarts", () => {
  it("mid-text: the model is asked to go on from the partial reply, appended to the same message", async () => {
    const sid = uniqueId("cont");
    const question = `${sid} ${script({
      steps: [
        { pieces: ["one ", "two ", "three "], gate: `never-${sid}`, gateAfter: 2 },
        { pieces: ["three ", "four"] },
      ],
    })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: question } });
    const reader = new SseReader(res.body!);
    const seen = await readUntil(reader, (f) => chunks(f).length === 2);
    // What the client saw is stored (a quiet model's text is written within a second).
    await eventually(async () => expect((await stored(sid)).at(-1).content).toBe("one two "));
    const replyId = (await stored(sid)).at(-1).id;
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    const resumed = await resumeAfter(sid, seen);
    // One continuous message: what came before, then the rest, nothing twice, no new turn.
    expect(
      chunks(seen).join("") +
        resumed
          .filter((e) => e.type === "chunk")
          .map((e) => e.data.content)
          .join(""),
    ).toBe("one two three four");
    expect(resumed.map((e) => e.type)).toEqual(["chunk", "chunk", "complete"]);
    expect(resumed.at(-1)!.data.message).toMatchObject({
      id: replyId,
      status: "complete",
      content: "one two three four",
    });
    expect(resumed[0].id).toBeGreaterThan(Number(seen.at(-1)!.id));

    const messages = await stored(sid);
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    // The continuation request: the history, the partial reply, and the request to go on.
    const upstream = await upstreamRequests(sid);
    expect(upstream).toHaveLength(2);
    expect(upstream[1].body.messages.slice(-2)).toEqual([
      { role: "assistant", content: "one two " },
      { role: "system", content: expect.stringContaining("Continue it exactly where it stopped") },
    ]);
  });

  it("keeps an alarm set while a turn runs: the alarm alone wakes the object and the turn goes on", async () => {
    const sid = uniqueId("cont");
    const question = `${sid} ${script({
      steps: [{ pieces: ["wake ", "never "], gate: `never-${sid}`, gateAfter: 1 }, { pieces: ["up"] }],
    })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: question } });
    const reader = new SseReader(res.body!);
    await readUntil(reader, (f) => chunks(f).length === 1);
    await eventually(async () => expect((await stored(sid)).at(-1).content).toBe("wake "));
    const stub = sessionStub(env, "local", sid);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
    expect(alarm).toBeLessThanOrEqual(Date.now() + 15_000);
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);
    // A stub from before the restart is broken with it; the alarm goes to the object itself.
    expect(await runDurableObjectAlarm(sessionStub(env, "local", sid))).toBe(true);
    await eventually(async () =>
      expect((await stored(sid)).at(-1)).toMatchObject({ status: "complete", content: "wake up" }),
    );
  });

  it("mid-tool: an idempotent tool runs again, one that is not is reported to the model as interrupted", async () => {
    const sid = uniqueId("cont");
    const question = `${sid} ${script({
      steps: [
        {
          toolCalls: [
            // Not idempotent (the server says so): it asks the user a question, and waits.
            { id: "call_ask", name: "everything__trigger-elicitation-request", arguments: {} },
            // Idempotent by the server's own annotation.
            {
              id: "call_long",
              name: "everything__trigger-long-running-operation",
              arguments: { duration: 1, steps: 1 },
            },
          ],
        },
      ],
    })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: question } });
    const reader = new SseReader(res.body!);
    // Both calls are running: the first waits for the user's answer.
    const seen = await readUntil(reader, (f) => f.some((x) => JSON.parse(x.data).type === "tool_elicitation"));
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    const resumed = await resumeAfter(sid, seen);
    const results = Object.fromEntries(
      resumed.filter((e) => e.type === "tool_result").map((e) => [e.data.tool_call_id, e.data]),
    );
    expect(results.call_ask).toMatchObject({
      is_error: true,
      result: expect.stringContaining("interrupted by a server restart and was not run again"),
    });
    expect(results.call_long).toMatchObject({ is_error: false, result: expect.stringContaining("completed") });
    expect(resumed.at(-1)).toMatchObject({ type: "complete", data: { message: { status: "complete" } } });

    const upstream = await upstreamRequests(sid);
    expect(upstream).toHaveLength(2);
    expect(upstream[1].body.messages.filter((m: any) => m.role === "tool").map((m: any) => m.tool_call_id)).toEqual([
      "call_ask",
      "call_long",
    ]);
    expect((await stored(sid)).map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
      ["tool", "error"],
      ["tool", "complete"],
      ["assistant", "complete"],
    ]);
  });

  it("after a tool step: its results are stored before the model's next reply is asked for, so a restart does not run the tool again", async () => {
    const sid = uniqueId("cont");
    const question = `${sid} ${script({
      steps: [
        { toolCalls: [{ id: "call_now", name: "current_time", arguments: { timezone: "UTC" } }] },
        // The next reply sends nothing: only the step itself can have stored its results.
        { pieces: ["never"], gate: `never-${sid}`, gateAfter: 0 },
      ],
    })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: question } });
    const reader = new SseReader(res.body!);
    const seen = await readUntil(reader, (f) => f.some((x) => JSON.parse(x.data).type === "tool_result"));
    const result = JSON.parse(seen.at(-1)!.data).data.result as string;
    // The step's next model request has arrived: its results were stored before it left.
    await eventually(async () => expect(await upstreamRequests(sid)).toHaveLength(2));
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    // The result the client saw is the one stored: current_time (idempotent) was not run again,
    // which it would have been had the results been lost with the restart.
    const tools = (await stored(sid)).filter((m) => m.role === "tool");
    expect(tools).toEqual([expect.objectContaining({ tool_call_id: "call_now", content: result })]);
    // The continued turn waits at the gate; it is not this test's.
    await abortAllDurableObjects();
  });

  it("awaiting approval: the pause survives the restart, the answer goes on, and the request is shown once", async () => {
    const sid = uniqueId("cont");
    const question = `${sid} ${script({ steps: [{ toolCalls: [{ id: "call_a", name: "legacy__echo", arguments: { message: "after" } }] }] })}`;
    const first = nativeEvents(
      await (await call("/api/chat/stream", { json: { session_id: sid, content: question } })).text(),
    );
    const request = first.find((e) => e.type === "tool_approval_request")!;
    await abortAllDurableObjects();

    expect((await stored(sid)).at(-1).status).toBe("awaiting_approval");
    // Exactly once on resume: a client that saw the request does not get it again; one that did not, once.
    expect((await call(`/api/chat/${sid}/stream?after=${request.id}`)).status).toBe(200);
    const before = nativeEvents(await (await call(`/api/chat/${sid}/stream?after=${request.id - 1}`)).text());
    expect(before.filter((e) => e.type === "tool_approval_request")).toHaveLength(1);

    const res = await call(`/api/chat/${sid}/approvals/${request.data.approval_id}`, { json: { approved: true } });
    expect(await res.json()).toEqual({ approved: true, state: "running" });
    const end = await eventually(async () => {
      const messages = await stored(sid);
      expect(messages).toHaveLength(4);
      expect(messages.at(-1)).toMatchObject({ role: "assistant", status: "complete" });
      return messages;
    });
    expect(end.at(-1).content).toBe("Tool results: Echo: after");
  });

  it("is continued at most TURN_RECOVERY_ATTEMPTS times, then kept as interrupted", async () => {
    const sid = uniqueId("cont");
    const gate = `never-${sid}`;
    const question = `${sid} ${script({
      steps: [
        { pieces: ["a ", "x "], gate, gateAfter: 1 },
        { pieces: ["b ", "x "], gate, gateAfter: 1 },
      ],
    })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: question } });
    let reader = new SseReader(res.body!);
    let seen = await readUntil(reader, (f) => chunks(f).length === 1);
    for (const expected of ["a ", "a b ", "a b b "]) {
      await eventually(async () => expect((await stored(sid)).at(-1).content).toBe(expected));
      await abortAllDurableObjects();
      await reader.rest().catch(() => undefined);
      if (expected === "a b b ") break;
      const next = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": seen.at(-1)!.id! } });
      reader = new SseReader(next.body!);
      seen = await readUntil(reader, (f) => chunks(f).length === 1);
    }
    const last = nativeEvents(await (await call(`/api/chat/${sid}/stream?after=${seen.at(-1)!.id}`)).text());
    expect(last.at(-1)).toMatchObject({ type: "error", data: { code: "interrupted" } });
    expect((await stored(sid)).at(-1)).toMatchObject({ status: "interrupted", content: "a b b " });
    expect(await upstreamRequests(sid)).toHaveLength(3);
  });
});
