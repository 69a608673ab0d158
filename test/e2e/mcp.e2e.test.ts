/**
 * MCP tools under a real `wrangler dev`: the runtime forbids code generation, which the test pool
 * allows, so the outputSchema tool here proves the Workers validator is in use.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allStarted } from "../support/all-started";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type ScriptedUpstream, script, startScriptedUpstream } from "../support/scripted-upstream";
import { nativeEvents } from "../support/sse";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

let upstream: ScriptedUpstream;
let mcp: EverythingServer;
let mcpSse: EverythingServer;
let server: DevServer;
let dir: string;

beforeAll(async () => {
  await allStarted([
    startScriptedUpstream().then((u) => (upstream = u)),
    startEverythingServer("streamableHttp").then((m) => (mcp = m)),
    startEverythingServer("sse").then((m) => (mcpSse = m)),
  ]);
  dir = await mkdtemp(join(tmpdir(), "edge-chat-e2e-mcp-"));
  server = await startWranglerDev({
    persistDir: dir,
    vars: {
      OPENAI_API_KEY: "sk-e2e-mcp",
      OPENAI_BASE_URL: upstream.url,
      // No type: streamable HTTP first, then the SSE fallback for the second server.
      MCP_SERVERS: JSON.stringify({ mcpServers: { everything: { url: mcp.url }, legacy: { url: mcpSse.url } } }),
    },
  });
});

afterAll(async () => {
  await Promise.allSettled([server?.stop(), upstream?.close(), mcp?.close(), mcpSse?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function turn(sessionId: string, content: string) {
  const res = await fetch(`${server.url}/api/chat/stream`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ session_id: sessionId, content }),
  });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

describe("MCP under wrangler dev", () => {
  it("lists both servers, the second through the SSE fallback", async () => {
    const { servers } = (await (await fetch(`${server.url}/api/servers`)).json()) as { servers: any[] };
    const byName = Object.fromEntries(servers.map((s: any) => [s.name, s]));
    expect(byName.everything).toMatchObject({ status: "connected", transport: "streamable-http" });
    expect(byName.legacy).toMatchObject({ status: "connected", transport: "sse" });
  });

  it("runs the echo round trip and a tool with an outputSchema", async () => {
    const sid = `e2e-mcp-${Date.now().toString(36)}`;
    const calls = [
      { id: "c_echo", name: "everything__echo", arguments: { message: "from the edge" } },
      { id: "c_weather", name: "everything__get-structured-content", arguments: { location: "New York" } },
    ];
    const events = await turn(sid, `${sid} ${script({ steps: [{ toolCalls: calls }] })}`);
    const results = Object.fromEntries(
      events.filter((e) => e.type === "tool_result").map((e) => [e.data.tool_call_id, e.data]),
    );
    expect(results.c_echo).toMatchObject({ is_error: false, result: "Echo: from the edge" });
    expect(results.c_weather.is_error).toBe(false);
    expect(JSON.parse(results.c_weather.result)).toMatchObject({
      temperature: expect.any(Number),
      humidity: expect.any(Number),
    });
    expect(server.logs()).not.toMatch(/Code generation from strings disallowed/);

    const final = events.at(-1)!;
    expect(final.type).toBe("complete");
    expect(final.data.message.content).toContain("Echo: from the edge");
  });
});
