import { describe, expect, it } from "vitest";
import { nativeEvents } from "../support/sse";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

async function turn(sid: string, content: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content } });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

async function stored(sid: string) {
  return (await (await call(`/api/v1/context/conversations/${sid}`)).json<any>()).messages as any[];
}

describe("the tool loop (built-in tools)", () => {
  it("runs a streamed tool call, feeds the result back and stores the turn in OpenAI's shape", async () => {
    const sid = uniqueId();
    const content = `${sid} ${script({ steps: [{ text: "Let me check.", toolCalls: [{ id: "call_t1", name: "current_time", arguments: { timezone: "Asia/Tokyo" } }] }] })}`;
    const events = await turn(sid, content);

    const types = events.map((e) => e.type);
    const at = types.indexOf("tool_call");
    expect(types).toEqual([
      ...Array(at).fill("chunk"),
      "tool_call",
      "tool_result",
      ...Array(types.length - at - 3).fill("chunk"),
      "complete",
    ]);
    expect(
      events
        .slice(0, at)
        .map((e) => e.data.content)
        .join(""),
    ).toBe("Let me check.");
    const [callEvent, resultEvent] = events.slice(at, at + 2);
    expect(callEvent.data).toEqual({
      tool_call_id: "call_t1",
      tool_name: "current_time",
      arguments: { timezone: "Asia/Tokyo" },
    });
    const result = JSON.parse(resultEvent.data.result);
    expect(result.timezone).toBe("Asia/Tokyo");
    expect(Math.abs(Date.parse(result.iso) - Date.now())).toBeLessThan(60_000);
    expect(resultEvent.data.is_error).toBe(false);

    const final = events.at(-1)!.data.message;
    expect(final.content).toBe(`Tool results: ${resultEvent.data.result}`);
    expect(final.status).toBe("complete");

    // The second upstream request carried the assistant's tool call and the tool's answer.
    const reqs = await upstreamRequests(sid);
    expect(reqs).toHaveLength(2);
    expect(reqs[0].body.tools.map((t: any) => t.function.name)).toContain("current_time");
    expect(reqs[1].body.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [
          {
            id: "call_t1",
            type: "function",
            function: { name: "current_time", arguments: '{"timezone":"Asia/Tokyo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_t1", content: resultEvent.data.result },
    ]);

    const rows = await stored(sid);
    expect(rows.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(rows[1]).toMatchObject({ content: "Let me check.", tool_calls: [{ id: "call_t1" }] });
    expect(rows[2]).toMatchObject({ tool_call_id: "call_t1", name: "current_time", content: resultEvent.data.result });
    expect(rows[3]).toEqual(final);

    // The next turn replays the whole exchange, tool messages included.
    await turn(sid, `again ${sid}`);
    const [next] = await upstreamRequests(`again ${sid}`);
    expect(next.body.messages.map((m: any) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "assistant",
      "user",
    ]);
  });

  it("runs several tool calls of one step and reports each result", async () => {
    const sid = uniqueId();
    const calls = [
      { id: "call_a", name: "current_time", arguments: { timezone: "Europe/Paris" } },
      { id: "call_b", name: "current_time", arguments: { timezone: "America/New_York" } },
    ];
    const events = await turn(sid, `${sid} ${script({ steps: [{ toolCalls: calls }] })}`);
    const results = events.filter((e) => e.type === "tool_result");
    expect(results.map((r) => r.data.tool_call_id).sort()).toEqual(["call_a", "call_b"]);
    const [, second] = await upstreamRequests(sid);
    const toolMessages = second.body.messages.filter((m: any) => m.role === "tool");
    expect(toolMessages.map((m: any) => m.tool_call_id)).toEqual(["call_a", "call_b"]);
    expect(JSON.parse(toolMessages[1].content).timezone).toBe("America/New_York");
  });

  it("turns bad arguments and unknown tools into errors the model can read, and goes on", async () => {
    const sid = uniqueId();
    const calls = [
      { id: "call_bad", name: "current_time", arguments: { timezone: 42 } },
      { id: "call_nope", name: "no_such_tool", arguments: {} },
      { id: "call_json", name: "current_time", arguments: "{not json" },
      { id: "call_tz", name: "current_time", arguments: { timezone: "Mars/Olympus" } },
    ];
    const events = await turn(sid, `${sid} ${script({ steps: [{ toolCalls: calls }] })}`);
    const results = Object.fromEntries(
      events.filter((e) => e.type === "tool_result").map((e) => [e.data.tool_call_id, e.data]),
    );
    expect(results.call_bad).toMatchObject({
      is_error: true,
      result: expect.stringContaining("invalid arguments: timezone"),
    });
    expect(results.call_nope).toMatchObject({ is_error: true, result: "unknown tool no_such_tool" });
    expect(results.call_json).toMatchObject({ is_error: true, result: expect.stringContaining("not valid JSON") });
    expect(results.call_tz).toMatchObject({ is_error: true, result: expect.stringContaining("unknown time zone") });
    expect(events.at(-1)!.type).toBe("complete");
    expect(events.at(-1)!.data.message.content).toContain("unknown tool no_such_tool");
  });

  it("stops offering tools after MAX_TOOL_STEPS, so the model must answer in words", async () => {
    const sid = uniqueId();
    const loop = { toolCalls: [{ name: "current_time", arguments: {} }] };
    const events = await turn(sid, `${sid} ${script({ steps: Array.from({ length: 12 }, () => loop) })}`);
    const reqs = await upstreamRequests(sid);
    // MAX_TOOL_STEPS defaults to 8: eight tool steps, then one request without tools.
    expect(reqs).toHaveLength(9);
    expect(reqs.slice(0, 8).every((r) => Array.isArray(r.body.tools))).toBe(true);
    expect(reqs[8].body.tools).toBeUndefined();
    expect(events.filter((e) => e.type === "tool_result")).toHaveLength(8);
    expect(events.at(-1)!.data.message.status).toBe("complete");
  });
});
