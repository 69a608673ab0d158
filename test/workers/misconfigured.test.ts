/**
 * A bad setting, as an operator would make it: the Worker's own fetch handler with the test
 * bindings plus broken values. Every route answers 500 naming the variables; `/health` 503.
 */

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";

const broken = {
  ...env,
  TOOL_RESULT_MAX_CHARS: "5",
  MCP_SERVERS:
    '{"mcpServers": {"x": {"url": "https://mcp.example", "headers": {"Authorization": "Bearer sk-in-broken-json"}}',
};

function fetchBroken(path: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(
    worker.fetch(new Request(`http://edge-chat.test${path}`, init), broken, createExecutionContext()),
  );
}

describe("a misconfigured server", () => {
  it("answers /health with 503 and the list of problems, never a value", async () => {
    const res = await fetchBroken("/health");
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      status: "misconfigured",
      problems: [
        { variable: "TOOL_RESULT_MAX_CHARS", problem: expect.stringMatching(/^must be an integer from 100/) },
        { variable: "MCP_SERVERS", problem: expect.stringMatching(/not valid JSON/) },
      ],
    });
    expect(text).not.toContain("sk-in-broken-json");
  });

  it("answers every other route with a 500 JSON error naming each variable", async () => {
    for (const [path, init] of [
      ["/v1/models", undefined],
      [
        "/api/chat/stream",
        { method: "POST", headers: { "content-type": "application/json" }, body: '{"session_id":"s","content":"hi"}' },
      ],
      ["/api/v1/context/conversations", undefined],
    ] as const) {
      const res = await fetchBroken(path, init);
      expect(res.status, path).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string; type: string } };
      expect(body.error.code).toBe("bad_configuration");
      expect(body.error.type).toBe("server_error");
      expect(body.error.message).toContain("TOOL_RESULT_MAX_CHARS must be an integer from 100");
      expect(body.error.message).toContain("MCP_SERVERS is not valid JSON");
      expect(body.error.message).not.toContain("sk-in-broken-json");
    }
  });

  it("keeps the well-configured bindings working", async () => {
    const res = await worker.fetch(new Request("http://edge-chat.test/health"), env, createExecutionContext());
    expect(res.status).toBe(200);
  });
});
