import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/llm/provider";
import { estimateTokens, messageTokens } from "../../src/llm/tokens";
import { buildContext } from "../../src/session/context";

const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

describe("estimateTokens", () => {
  it("counts ~4 Latin characters per token and one per CJK character", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
    expect(estimateTokens("你好世界")).toBe(4);
    expect(estimateTokens("hi 你好")).toBe(1 + 2);
  });

  it("counts an astral character (two UTF-16 units) as one wide character, and so a lone surrogate", () => {
    // "😀" is 2 units: 1 wide, and its second unit is counted as narrow, as a loop over code points did.
    expect(estimateTokens("emoji 😀 x")).toBe(Math.ceil((10 - 1) / 4) + 1);
    expect(estimateTokens("\ud800 lone")).toBe(Math.ceil((6 - 1) / 4) + 1);
    expect(estimateTokens("U+2E7F \u2e7f is narrow, U+2E80 \u2e80 wide")).toBe(Math.ceil((33 - 1) / 4) + 1);
    expect(estimateTokens("ä ö ü".repeat(1000))).toBe(1250);
  });
});

describe("buildContext", () => {
  const history = [
    user("q1 ".repeat(40)),
    assistant("a1 ".repeat(40)),
    user("q2 ".repeat(40)),
    assistant("a2 ".repeat(40)),
    user("q3"),
  ];
  const newestFirst = () => [...history].reverse();

  it("puts the system prompt first and keeps everything that fits, oldest first", () => {
    const ctx = buildContext("sys", newestFirst(), 10_000);
    expect(ctx[0]).toEqual({ role: "system", content: "sys" });
    expect(ctx.slice(1)).toEqual(history);
  });

  it("trims from the oldest end to the budget", () => {
    const per = messageTokens(history[0]);
    const budget = messageTokens({ role: "system", content: "sys" }) + messageTokens(history[4]) + 2 * per;
    const ctx = buildContext("sys", newestFirst(), budget);
    expect(ctx.map((m) => m.content)).toEqual(["sys", history[2].content, history[3].content, "q3"]);
    const used = ctx.reduce((n, m) => n + messageTokens(m), 0);
    expect(used).toBeLessThanOrEqual(budget);
  });

  it("always keeps the newest message, even alone over budget", () => {
    const huge = user("x".repeat(10_000));
    expect(buildContext("", [huge, assistant("old")], 10)).toEqual([huge]);
  });

  it("omits an empty system prompt", () => {
    expect(buildContext("", [user("hi")], 100)).toEqual([user("hi")]);
  });

  it("never starts with a tool result whose call was trimmed away", () => {
    const call: ChatMessage = {
      role: "assistant",
      content: "",
      tool_calls: [{ id: "c1", type: "function", function: { name: "t", arguments: "x".repeat(400) } }],
    };
    const result: ChatMessage = { role: "tool", content: "r", tool_call_id: "c1" };
    const ctx = buildContext(
      "",
      [user("next"), assistant("done"), result, call],
      messageTokens(user("next")) + messageTokens(assistant("done")) + messageTokens(result),
    );
    expect(ctx.map((m) => m.role)).toEqual(["assistant", "user"]);
  });

  it("reads a long history only as far as the budget reaches", () => {
    let read = 0;
    function* endless(): Generator<ChatMessage> {
      for (;;) {
        read++;
        yield user("word ".repeat(20));
      }
    }
    const ctx = buildContext("", endless(), 200);
    expect(ctx.length).toBeGreaterThan(1);
    expect(read).toBe(ctx.length + 1);
  });
});
