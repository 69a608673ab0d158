import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/llm/provider";
import { ToolCallAssembler } from "../../src/llm/tool-call-assembler";
import { truncateResult } from "../../src/session/condense";
import { pairToolCalls } from "../../src/session/context";
import { parseArguments } from "../../src/session/tool-step";

describe("ToolCallAssembler", () => {
  it("reassembles fragments by index, whatever order the calls interleave in", () => {
    const a = new ToolCallAssembler();
    a.add({ type: "tool-call-delta", index: 1, id: "call_b", name: "get-sum", argsDelta: "" });
    a.add({ type: "tool-call-delta", index: 0, id: "call_a", name: "echo", argsDelta: '{"mess' });
    a.add({ type: "tool-call-delta", index: 1, argsDelta: '{"a":1,' });
    a.add({ type: "tool-call-delta", index: 0, argsDelta: 'age":"hi"}' });
    a.add({ type: "tool-call-delta", index: 1, argsDelta: '"b":2}' });
    expect(a.done()).toEqual([
      { id: "call_a", type: "function", function: { name: "echo", arguments: '{"message":"hi"}' } },
      { id: "call_b", type: "function", function: { name: "get-sum", arguments: '{"a":1,"b":2}' } },
    ]);
  });

  it("gives a call without an id one, and empty arguments an empty object", () => {
    const a = new ToolCallAssembler();
    a.add({ type: "tool-call-delta", index: 0, name: "now" });
    const [call] = a.done();
    expect(call.id).toMatch(/^call_0_/);
    expect(call.function.arguments).toBe("{}");
  });
});

describe("parseArguments", () => {
  const call = (args: string) => ({ id: "c", type: "function" as const, function: { name: "t", arguments: args } });
  it("accepts a JSON object and refuses anything else with a readable reason", () => {
    expect(parseArguments(call('{"x":1}'))).toEqual({ ok: true, args: { x: 1 } });
    expect(parseArguments(call(""))).toEqual({ ok: true, args: {} });
    expect(parseArguments(call("[1]"))).toEqual({ ok: false, error: "arguments must be a JSON object" });
    expect(parseArguments(call("{oops"))).toEqual({ ok: false, error: "arguments are not valid JSON" });
  });
});

describe("pairToolCalls", () => {
  const callMsg = (ids: string[], content: string | null = null): ChatMessage => ({
    role: "assistant",
    content,
    tool_calls: ids.map((id) => ({ id, type: "function", function: { name: "t", arguments: "{}" } })),
  });
  const result = (id: string): ChatMessage => ({ role: "tool", tool_call_id: id, content: `r${id}` });

  it("keeps complete pairs untouched", () => {
    const msgs = [
      { role: "user", content: "q" } as ChatMessage,
      callMsg(["a", "b"]),
      result("a"),
      result("b"),
      { role: "assistant", content: "done" } as ChatMessage,
    ];
    expect(pairToolCalls(msgs)).toEqual(msgs);
  });

  it("drops calls without results (a turn cut short) and results without calls (trimmed)", () => {
    expect(
      pairToolCalls([result("x"), { role: "user", content: "q" }, callMsg(["a", "b"], "thinking"), result("a")]),
    ).toEqual([{ role: "user", content: "q" }, { ...callMsg(["a"], "thinking") }, result("a")]);
    expect(pairToolCalls([callMsg(["a"], "partial words"), { role: "user", content: "next" }])).toEqual([
      { role: "assistant", content: "partial words" },
      { role: "user", content: "next" },
    ]);
    expect(pairToolCalls([callMsg(["a"])])).toEqual([]);
  });
});

describe("truncateResult", () => {
  it("keeps short results and cuts long ones to the limit, saying so", () => {
    expect(truncateResult("short", 100)).toBe("short");
    const cut = truncateResult("x".repeat(1000), 200);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut).toContain("truncated");
    expect(cut).toContain("of 1000 characters");
  });
});
