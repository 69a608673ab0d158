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

/** A turn whose model calls `get-sum` (a tool that needs no approval on either server) with 2 and `b`. */
async function sumTurn(sid: string, server: string, b: number) {
  const calls = [{ id: `call_${b}`, name: `${server}__get-sum`, arguments: { a: 2, b } }];
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
      expect(await sumTurn(sid, server, 40)).toMatchObject([
        { is_error: false, result: expect.stringContaining("42") },
      ]);
      const afterFirst = (await kept(sid)).get(server);
      expect(afterFirst?.alive).toBe(true);

      expect(await sumTurn(sid, server, 5)).toMatchObject([{ is_error: false, result: expect.stringContaining("7") }]);
      // The same connection object, given back again: nothing was opened (no new `initialize`).
      expect((await kept(sid)).get(server)).toBe(afterFirst);
    });
  }
});
