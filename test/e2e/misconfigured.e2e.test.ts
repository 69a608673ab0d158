/**
 * A misconfigured server under a real `wrangler dev`, as an operator meets it: the settings come
 * in as `--var`s, `/health` says 503 with every problem, every other route a 500 naming them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

let server: DevServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-chat-misconfigured-"));
  server = await startWranglerDev({
    persistDir: dir,
    healthStatus: 503,
    vars: {
      OPENAI_API_KEY: "sk-misconfigured-secret-1234",
      TOOL_RESULT_MAX_CHARS: "5",
      MCP_SERVERS: '{"mcpServers": {"x": {"url": "https://mcp.example", "headers": {"X-Key": "hdr-secret-77"}}',
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("a misconfigured wrangler dev", () => {
  it("answers /health 503 with each bad variable and what is wrong, never a value", async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      status: "misconfigured",
      problems: [
        { variable: "TOOL_RESULT_MAX_CHARS", problem: expect.stringContaining("must be an integer from 100") },
        { variable: "MCP_SERVERS", problem: expect.stringContaining("is not valid JSON") },
      ],
    });
    expect(text).not.toMatch(/hdr-secret-77|sk-misconfigured-secret/);
  });

  it("answers a chat request with a 500 JSON error that names both, and stores nothing", async () => {
    const res = await fetch(`${server.url}/api/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: "misconfigured", content: "hello" }),
    });
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("bad_configuration");
    expect(error.message).toMatch(/TOOL_RESULT_MAX_CHARS must be an integer from 100.*MCP_SERVERS is not valid JSON/);
    expect(error.message).not.toMatch(/hdr-secret-77|sk-misconfigured-secret/);
    expect(server.logs()).not.toContain("hdr-secret-77");
  });
});
