import { describe, expect, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { call, eventually, script, uniqueId, upstreamRequests } from "./helpers";

async function turn(sid: string, content: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content } });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

const byType = (events: { type: string; data: any }[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data);

describe("GET /api/tools and /api/servers", () => {
  it("lists built-in and MCP tools from both transports with unique names", async () => {
    const res = await call("/api/tools");
    expect(res.status).toBe(200);
    const { tools } = await res.json<any>();
    const names = tools.map((t: any) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("current_time");
    // The two servers expose the same tools: both are kept, prefixed with their server's name.
    for (const server of ["everything", "legacy"]) {
      for (const tool of ["echo", "get-sum", "trigger-long-running-operation", "get-structured-content"]) {
        const t = tools.find((x: any) => x.name === `${server}__${tool}`);
        expect(t, `${server}__${tool}`).toBeTruthy();
        expect(t.server).toBe(server);
        expect(t.input_schema.type).toBe("object");
      }
    }
    expect(names.every((n: string) => /^[A-Za-z0-9_-]{1,64}$/.test(n))).toBe(true);
  });

  it("shows each server's transport and status, refuses stdio, and never shows secrets", async () => {
    const res = await call("/api/servers");
    const text = await res.text();
    expect(text).not.toContain("mcp-secret-header-value");
    const { servers } = JSON.parse(text);
    const byName = Object.fromEntries(servers.map((s: any) => [s.name, s]));
    expect(byName.everything).toMatchObject({ transport: "streamable-http", status: "connected" });
    expect(byName.legacy).toMatchObject({ transport: "sse", status: "connected" });
    expect(byName.everything.tool_count).toBeGreaterThan(5);
    expect(byName.local).toMatchObject({ status: "refused", error: expect.stringContaining("stdio") });
  });
});

describe("without MCP_TOKEN_KEY", () => {
  it("no server can be added or authorized: nothing could be kept sealed", async () => {
    // The missing key is said first, whatever else the request has wrong (this host is not allowed).
    const added = await call("/api/servers", { json: { name: "mine", url: "http://127.0.0.1:1/mcp" } });
    expect(added.status).toBe(503);
    expect(await added.json()).toMatchObject({
      error: { code: "mcp_token_key_missing", message: expect.stringContaining("MCP_TOKEN_KEY") },
    });
    const authorize = await call("/api/servers/everything/authorize", { method: "POST" });
    expect(authorize.status).toBe(503);
  });
});

describe("MCP tools in the chat loop", () => {
  it("calls echo and get-sum on the reference server and streams call and result", async () => {
    const sid = uniqueId();
    const calls = [
      { id: "call_echo", name: "everything__echo", arguments: { message: "hello mcp" } },
      { id: "call_sum", name: "legacy__get-sum", arguments: { a: 2, b: 40 } },
    ];
    const events = await turn(sid, `${sid} ${script({ steps: [{ toolCalls: calls }] })}`);
    expect(byType(events, "tool_call").map((c) => c.tool_name)).toEqual(["everything__echo", "legacy__get-sum"]);
    const results = Object.fromEntries(byType(events, "tool_result").map((r) => [r.tool_call_id, r]));
    expect(results.call_echo).toMatchObject({ is_error: false, result: "Echo: hello mcp" });
    expect(results.call_sum.result).toContain("42");
    expect(events.at(-1)!.type).toBe("complete");

    const [, second] = await upstreamRequests(sid);
    const toolMsgs = second.body.messages.filter((m: any) => m.role === "tool");
    expect(toolMsgs.map((m: any) => m.content)).toEqual(["Echo: hello mcp", results.call_sum.result]);
  });

  it("validates a tool with an outputSchema in the Workers runtime", async () => {
    const sid = uniqueId();
    const events = await turn(
      sid,
      `${sid} ${script({ steps: [{ toolCalls: [{ id: "c1", name: "everything__get-structured-content", arguments: { location: "Chicago" } }] }] })}`,
    );
    const [result] = byType(events, "tool_result");
    expect(result.is_error).toBe(false);
    expect(JSON.parse(result.result)).toMatchObject({
      temperature: expect.any(Number),
      conditions: expect.any(String),
    });
  });

  it("streams a long-running tool's progress as tool_stream_chunk events", async () => {
    const sid = uniqueId();
    const events = await turn(
      sid,
      `${sid} ${script({ steps: [{ toolCalls: [{ id: "c1", name: "everything__trigger-long-running-operation", arguments: { duration: 1, steps: 4 } }] }] })}`,
    );
    const progress = byType(events, "tool_stream_chunk").filter((p) => p.tool_call_id === "c1");
    expect(progress.map((p) => p.content)).toEqual(["progress 1/4", "progress 2/4", "progress 3/4", "progress 4/4"]);
    const types = events.map((e) => e.type);
    expect(types.indexOf("tool_stream_chunk")).toBeGreaterThan(types.indexOf("tool_call"));
    expect(types.lastIndexOf("tool_stream_chunk")).toBeLessThan(types.indexOf("tool_result"));
  });

  it("turns a tool that outlives TOOL_TIMEOUT_MS into an error result, and the turn goes on", async () => {
    const sid = uniqueId();
    const started = Date.now();
    const events = await turn(
      sid,
      `${sid} ${script({ steps: [{ toolCalls: [{ id: "c1", name: "everything__trigger-long-running-operation", arguments: { duration: 10, steps: 2 } }] }] })}`,
    );
    expect(Date.now() - started).toBeLessThan(8000);
    const [result] = byType(events, "tool_result");
    expect(result.is_error).toBe(true);
    expect(result.result).toMatch(/timed out after 3000 ms/);
    expect(events.at(-1)!.data.message.status).toBe("complete");
  });

  it("condenses a result over TOOL_RESULT_MAX_CHARS for the model and keeps the full text stored", async () => {
    const sid = uniqueId();
    // The marker makes the summarizer's own upstream request findable.
    const long = `${sid} ${"lorem ipsum ".repeat(60)}`;
    const events = await turn(
      sid,
      `${sid} ${script({ steps: [{ toolCalls: [{ id: "c1", name: "everything__echo", arguments: { message: long } }] }] })}`,
    );
    const [result] = byType(events, "tool_result");
    expect(result.result).toBe(`Echo: ${long}`);
    // The summary streamed to the user as tool progress.
    expect(byType(events, "tool_stream_chunk").length).toBeGreaterThan(0);

    const reqs = await upstreamRequests(sid);
    const summaryRequest = reqs.find((r) =>
      r.body.messages[0].content.startsWith("Condense the following tool output"),
    );
    expect(summaryRequest).toBeTruthy();
    const final = reqs.at(-1)!;
    const toolMsg = final.body.messages.find((m: any) => m.role === "tool");
    expect(toolMsg.content.startsWith("[condensed tool output]")).toBe(true);
    expect(toolMsg.content.length).toBeLessThanOrEqual(400 + 30);

    const stored = (await (await call(`/api/v1/context/conversations/${sid}`)).json<any>()).messages;
    expect(stored.find((m: any) => m.role === "tool").content).toBe(`Echo: ${long}`);
  });

  it("abort during a tool call cancels it, stores the turn consistently and ends the stream promptly", async () => {
    const sid = uniqueId();
    const content = `${sid} ${script({ steps: [{ toolCalls: [{ id: "c1", name: "everything__trigger-long-running-operation", arguments: { duration: 5, steps: 5 } }] }] })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content } });
    const reader = new SseReader(res.body!);
    for (;;) {
      const frame = await reader.next();
      if (frame && JSON.parse(frame.data).type === "tool_call") break;
      expect(frame).not.toBeNull();
    }
    const abortedAt = Date.now();
    expect(await (await call("/api/chat/abort", { json: { session_id: sid } })).json()).toEqual({ aborted: true });
    await reader.rest();
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    const events = nativeEvents(reader.text);
    const [result] = byType(events, "tool_result");
    expect(result).toMatchObject({ is_error: true, result: expect.stringContaining("cancelled") });
    // The turn's last assistant message is the one that asked for the tool, now marked aborted.
    expect(events.at(-1)!.data.message).toMatchObject({ status: "aborted", tool_calls: [{ id: "c1" }] });

    // Only one upstream request: the model was not asked again after the abort.
    await eventually(async () => expect(await upstreamRequests(sid)).toHaveLength(1));
    const stored = (await (await call(`/api/v1/context/conversations/${sid}`)).json<any>()).messages;
    expect(stored.map((m: any) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "aborted"],
      ["tool", "error"],
    ]);
    // The next turn's history pairs the call with its (cancelled) result.
    await turn(sid, `after ${sid}`);
    const [next] = await upstreamRequests(`after ${sid}`);
    expect(next.body.messages.map((m: any) => m.role)).toEqual(["system", "user", "assistant", "tool", "user"]);
  });
});
