/**
 * Retries and headers of the MCP client layer, in Node, against the reference server behind a small
 * proxy that can fail chosen requests (something the Workers-runtime tests cannot arrange).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { McpPool, type McpServerConfig } from "../../src/mcp";
import type { ToolCallContext } from "../../src/tools/types";
import { allStarted } from "../support/all-started";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type Decide, type McpProxy, type Seen, startProxy } from "../support/mcp-proxy";

/** Fails the first `n` requests matching `match` with `status`. */
function failFirst(n: number, status: number, match: (r: Seen) => boolean): Decide {
  let left = n;
  return (r) => (match(r) && left-- > 0 ? status : undefined);
}

const ctx = (): ToolCallContext => ({ signal: new AbortController().signal, timeoutMs: 10_000, progress: () => {} });
const rpc = (method: string) => (r: Seen) => r.rpc === method;

let everything: EverythingServer;
let everythingSse: EverythingServer;
let proxy: McpProxy;
let sseProxy: McpProxy;
const pools: McpPool[] = [];

beforeAll(async () => {
  await allStarted([
    startEverythingServer("streamableHttp").then((m) => (everything = m)),
    startEverythingServer("sse").then((m) => (everythingSse = m)),
  ]);
  [proxy, sseProxy] = await Promise.all([startProxy(everything.url), startProxy(everythingSse.url)]);
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all([proxy?.close(), sseProxy?.close(), everything?.close(), everythingSse?.close()]);
});
beforeEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  for (const p of [proxy, sseProxy]) {
    p.seen.length = 0;
    p.setDecide(() => undefined);
  }
});

function pool(server: Partial<McpServerConfig> = {}): McpPool {
  const p = new McpPool([{ name: "flaky", url: proxy.url, type: "streamable-http", headers: {}, ...server }]);
  pools.push(p);
  return p;
}

describe("connecting", () => {
  it("retries a 5xx twice before giving up", async () => {
    proxy.setDecide(failFirst(2, 503, rpc("initialize")));
    const p = pool();
    expect((await p.list()).length).toBeGreaterThan(0);
    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(3);
    expect(p.status()[0].status).toBe("connected");
  });

  it("reports the failure after three attempts", async () => {
    proxy.setDecide(failFirst(3, 502, rpc("initialize")));
    const p = pool();
    expect(await p.list()).toEqual([]);
    expect(p.status()[0].error).toMatch(/after 3 attempts.*502/);
  });

  it("does not retry a 4xx", async () => {
    proxy.setDecide(failFirst(5, 403, rpc("initialize")));
    const p = pool();
    await p.list();
    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(1);
    expect(p.status()[0].status).toBe("error");
  });

  it("takes a 401 for a server that wants an authorization, and asks nothing more during a turn", async () => {
    proxy.setDecide(failFirst(5, 401, rpc("initialize")));
    const p = pool();
    expect(await p.list()).toEqual([]);
    // No discovery, no registration: without a user to send to the authorization server, a turn stops here.
    expect(proxy.seen.map((r) => r.rpc ?? `${r.method} ${r.path}`)).toEqual(["initialize"]);
    expect(p.status()[0]).toMatchObject({ status: "needs_authorization", auth: "oauth" });
  });

  it("sends the configured headers on every request, and never shows them", async () => {
    const headers = { Authorization: "Bearer sk-header-secret", "X-Tenant": "t-42" };
    const p = pool({ headers });
    await p.call("echo", { message: "hi" }, ctx());
    expect(proxy.seen.length).toBeGreaterThanOrEqual(3);
    for (const r of proxy.seen) {
      expect(r.headers.authorization, `${r.method} ${r.rpc}`).toBe("Bearer sk-header-secret");
      expect(r.headers["x-tenant"]).toBe("t-42");
    }
    const sse = new McpPool([{ name: "sse", url: sseProxy.url, type: "sse", headers }]);
    pools.push(sse);
    expect((await sse.call("echo", { message: "hi" }, ctx())).content).toBe("Echo: hi");
    expect(sseProxy.seen.map((r) => r.method)).toContain("GET");
    for (const r of sseProxy.seen)
      expect(r.headers.authorization, `${r.method} ${r.path}`).toBe("Bearer sk-header-secret");
  });

  it("keeps header values out of error messages", async () => {
    const p = new McpPool([
      {
        name: "gone",
        url: "http://127.0.0.1:1/mcp",
        type: "sse",
        headers: { Authorization: "Bearer sk-header-secret" },
      },
    ]);
    pools.push(p);
    const outcome = await p.call("x", {}, ctx());
    expect(outcome.isError).toBe(true);
    expect(JSON.stringify([outcome, p.status()])).not.toContain("sk-header-secret");
  });
});

describe("calling", () => {
  it("reconnects and retries after a 5xx on the call", async () => {
    const p = pool();
    await p.list();
    proxy.setDecide(failFirst(1, 503, rpc("tools/call")));
    expect(await p.call("echo", { message: "again" }, ctx())).toEqual({ content: "Echo: again", isError: false });
    expect(proxy.seen.filter(rpc("tools/call"))).toHaveLength(2);
    expect(proxy.seen.filter(rpc("initialize"))).toHaveLength(2);
  });

  it("opens a new session when the server forgot the old one (404)", async () => {
    const p = pool();
    await p.list();
    proxy.setDecide(failFirst(1, 404, rpc("tools/call")));
    expect((await p.call("echo", { message: "new session" }, ctx())).content).toBe("Echo: new session");
  });

  it("gives up after two retries with an error outcome", async () => {
    const p = pool();
    await p.list();
    proxy.setDecide(failFirst(10, 500, rpc("tools/call")));
    const outcome = await p.call("echo", { message: "x" }, ctx());
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/tool "echo" on MCP server "flaky" failed: .*500/);
    expect(proxy.seen.filter(rpc("tools/call"))).toHaveLength(3);
  });

  it("does not retry a call the server refused (4xx)", async () => {
    const p = pool();
    await p.list();
    proxy.setDecide(failFirst(10, 400, rpc("tools/call")));
    expect((await p.call("echo", { message: "x" }, ctx())).isError).toBe(true);
    expect(proxy.seen.filter(rpc("tools/call"))).toHaveLength(1);
  });
});

describe("releasing connections", () => {
  const settle = async (check: () => boolean) => {
    for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  };

  it("close() ends the session and every stream", async () => {
    const p = pool();
    await p.list();
    expect(proxy.open()).toBeGreaterThan(0); // the standing GET stream
    await p.close();
    await settle(() => proxy.open() === 0);
    expect(proxy.open()).toBe(0);
    expect(proxy.seen.map((r) => r.method)).toContain("DELETE");
  });

  it("drops the connection held by a timed-out call, and reconnects for the next one", async () => {
    const p = pool();
    await p.list();
    const outcome = await p.call(
      "trigger-long-running-operation",
      { duration: 3, steps: 3 },
      { ...ctx(), timeoutMs: 200 },
    );
    expect(outcome).toEqual({ content: 'tool "trigger-long-running-operation" timed out after 200 ms', isError: true });
    await settle(() => proxy.open() === 0);
    expect(proxy.open()).toBe(0);
    expect((await p.call("echo", { message: "still here" }, ctx())).content).toBe("Echo: still here");
  });
});
