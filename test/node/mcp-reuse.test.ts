/**
 * MCP connections kept from one turn to the next (a session object's `ConnectionKeeper`): the next
 * turn's pool takes the open connection and its MCP session instead of initializing again, and
 * initializes a new session when the server has forgotten the old one. The reference server sits
 * behind the recording proxy, which counts every JSON-RPC request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { McpPool } from "../../src/mcp";
import { ConnectionKeeper } from "../../src/mcp/keep";
import type { ToolCallContext } from "../../src/tools/types";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type McpProxy, type Seen, startProxy } from "../support/mcp-proxy";

const ctx = (): ToolCallContext => ({ signal: new AbortController().signal, timeoutMs: 10_000, progress: () => {} });
const rpc = (method: string) => (r: Seen) => r.rpc === method;

let everything: EverythingServer;
let proxy: McpProxy;
let keeper: ConnectionKeeper;

beforeAll(async () => {
  everything = await startEverythingServer("streamableHttp");
  proxy = await startProxy(everything.url);
});
afterAll(async () => {
  await Promise.all([proxy?.close(), everything?.close()]);
});
beforeEach(async () => {
  await keeper?.closeAll();
  keeper = new ConnectionKeeper();
  proxy.seen.length = 0;
  proxy.setDecide(() => undefined);
});

/** One turn's pool, as a session object makes it: the same server, the same keeper. */
const turnPool = (k: ConnectionKeeper | null) =>
  new McpPool([{ name: "everything", url: proxy.url, type: "streamable-http", headers: { "X-Key": "k1" } }], {
    keeper: k ?? undefined,
  });

async function turnCallingEcho(message: string, k: ConnectionKeeper | null = keeper): Promise<string> {
  const pool = turnPool(k);
  try {
    return (await pool.call("echo", { message }, ctx())).content;
  } finally {
    await pool.close();
  }
}

describe("MCP connections across turns", () => {
  it("a second turn calls on the first turn's connection and session: one initialize in all", async () => {
    expect(await turnCallingEcho("one")).toBe("Echo: one");
    expect(await turnCallingEcho("two")).toBe("Echo: two");

    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(1);
    const calls = proxy.seen.filter(rpc("tools/call"));
    expect(calls.map((c) => c.params.arguments.message)).toEqual(["one", "two"]);
    expect(calls[1].headers["mcp-session-id"]).toBe(calls[0].headers["mcp-session-id"]);
    // No session was ended between the turns (a DELETE would end it).
    expect(proxy.seen.filter((r) => r.method === "DELETE")).toHaveLength(0);
  });

  it("without a keeper every turn initializes again (what the keeper saves)", async () => {
    await turnCallingEcho("one", null);
    await turnCallingEcho("two", null);
    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(2);
  });

  it("initializes a new session when the server forgot the kept one (404), and the turn's call still works", async () => {
    expect(await turnCallingEcho("one")).toBe("Echo: one");
    const forgotten = proxy.seen.find(rpc("initialize"));
    expect(forgotten).toBeDefined();
    // The server answers the old session's next request as it does once it has forgotten it.
    let old: string | undefined;
    proxy.setDecide((r) => {
      const sid = r.headers["mcp-session-id"];
      old ??= typeof sid === "string" ? sid : undefined;
      return r.method === "POST" && r.rpc !== "initialize" && sid === old && sid !== undefined ? 404 : undefined;
    });
    expect(await turnCallingEcho("after")).toBe("Echo: after");
    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(2);
    const calls = proxy.seen.filter(rpc("tools/call"));
    expect(calls.at(-1)?.params.arguments.message).toBe("after");
    expect(calls.at(-1)?.headers["mcp-session-id"]).not.toBe(old);
  });

  it("shares a connection only for the same server reached the same way", async () => {
    await turnCallingEcho("one");
    const other = new McpPool(
      [{ name: "everything", url: proxy.url, type: "streamable-http", headers: { "X-Key": "k2" } }],
      { keeper },
    );
    try {
      expect((await other.call("echo", { message: "other" }, ctx())).content).toBe("Echo: other");
    } finally {
      await other.close();
    }
    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(2);
  });
});
