/**
 * A session's MCP connections outlive its turns inside the Workers runtime: the second turn's tool
 * call goes over the connection the first turn opened (an I/O object of the same Durable Object,
 * used from another request) and answers as the first did, on both transports.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOCAL_OWNER } from "../../src/http/context";
import type { McpConnection } from "../../src/mcp";
import { sessionStub } from "../../src/session/address";
import { nativeEvents } from "../support/sse";
import { call, script, uniqueId } from "./helpers";

async function echoTurn(sid: string, server: string, message: string) {
  const calls = [{ id: `call_${message}`, name: `${server}__echo`, arguments: { message } }];
  const res = await call("/api/chat/stream", {
    json: { session_id: sid, content: `${sid} ${script({ steps: [{ toolCalls: calls }] })}` },
  });
  return nativeEvents(await res.text())
    .filter((e) => e.type === "tool_result")
    .map((e) => e.data);
}

/** The connections the session object keeps between turns, by server name. */
async function kept(sid: string): Promise<Map<string, McpConnection>> {
  return runInDurableObject(sessionStub(env, LOCAL_OWNER, sid), (instance) => {
    const keeper = (instance as unknown as { mcpConnections: { kept: Map<string, { conn: McpConnection }> } })
      .mcpConnections;
    return new Map([...keeper.kept].map(([key, k]) => [key.split("\n")[1], k.conn]));
  });
}

describe("MCP connections across a session's turns", () => {
  for (const server of ["everything", "legacy"]) {
    it(`the second turn calls ${server} on the first turn's open connection`, async () => {
      const sid = uniqueId();
      expect(await echoTurn(sid, server, "first")).toMatchObject([{ is_error: false, result: "Echo: first" }]);
      const afterFirst = (await kept(sid)).get(server);
      expect(afterFirst?.alive).toBe(true);

      expect(await echoTurn(sid, server, "second")).toMatchObject([{ is_error: false, result: "Echo: second" }]);
      // The same connection object, given back again: nothing was opened (no new `initialize`).
      expect((await kept(sid)).get(server)).toBe(afterFirst);
    });
  }
});
