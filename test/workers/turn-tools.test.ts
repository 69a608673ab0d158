/**
 * The turn loop with real parts assembled by hand: the OpenAI provider against the scripted
 * upstream, built-in tools, and an MCP pool in which one server is down.
 */
import { describe, expect, inject, it } from "vitest";
import { OpenAIProvider } from "../../src/llm/openai";
import { McpPool } from "../../src/mcp";
import { runTurn } from "../../src/session/turn";
import type { TurnOutput } from "../../src/session/turn-output";
import { builtinTools } from "../../src/tools/builtin";
import { LocalTools } from "../../src/tools/local";
import { Toolbox } from "../../src/tools/toolbox";
import { script, uniqueId, upstreamUrl } from "./helpers";

describe("a turn with a server that is down", () => {
  it("lists and calls the tools of the servers that are up, and says which one is down", async () => {
    const pool = new McpPool([
      { name: "down", url: "http://127.0.0.1:9/mcp", type: "streamable-http", headers: {} },
      { name: "everything", url: inject("mcpStreamableUrl"), type: "streamable-http", headers: {} },
    ]);
    const tools = new Toolbox([new LocalTools(builtinTools), pool]);
    const sid = uniqueId();
    const calls = [
      { id: "c1", name: "echo", arguments: { message: "still here" } },
      { id: "c2", name: "current_time", arguments: {} },
    ];
    const events: TurnOutput[] = [];
    try {
      for await (const e of runTurn({
        provider: new OpenAIProvider({ baseUrl: upstreamUrl, apiKey: "sk-turn" }),
        request: {
          model: "m",
          messages: [{ role: "user", content: `${sid} ${script({ steps: [{ toolCalls: calls }] })}` }],
        },
        signal: new AbortController().signal,
        messageId: "m1",
        createdAt: new Date().toISOString(),
        tools,
        limits: { maxToolSteps: 4, toolTimeoutMs: 5000, toolResultMaxChars: 10_000 },
      })) {
        events.push(e);
      }
    } finally {
      await tools.close();
    }
    const results = events.flatMap((e) => (e.type === "tool-result" ? [e] : []));
    // Results arrive as the calls finish, in any order.
    expect(results.map((r) => [r.callId, r.isError]).sort()).toEqual([
      ["c1", false],
      ["c2", false],
    ]);
    expect(results.find((r) => r.callId === "c1")!.result).toBe("Echo: still here");
    const end = events.at(-1)!;
    expect(end.type === "turn-end" && end.finishReason).toBe("stop");

    const down = pool.status().find((s) => s.name === "down")!;
    expect(down.status).toBe("error");
    expect(down.error).toBeTruthy();
  });
});
