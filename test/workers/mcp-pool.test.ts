/**
 * The MCP client layer inside the Workers runtime, against the real reference server
 * (`@modelcontextprotocol/server-everything`) on both remote transports, started by
 * `test/support/global-mcp.ts`.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { createMcpPool, McpPool, type McpServerConfig, parseMcpServers } from "../../src/mcp";
import type { ToolCallContext } from "../../src/tools/types";

const streamableUrl = inject("mcpStreamableUrl");
const sseUrl = inject("mcpSseUrl");
/** Nothing listens on port 1: connections are refused at once. */
const downUrl = "http://127.0.0.1:1/mcp";

const pools: McpPool[] = [];
function pool(servers: McpServerConfig[], options?: ConstructorParameters<typeof McpPool>[1]): McpPool {
  const p = new McpPool(servers, options);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function context(overrides: Partial<ToolCallContext> = {}): ToolCallContext & { progressed: string[] } {
  const progressed: string[] = [];
  return {
    signal: new AbortController().signal,
    timeoutMs: 10_000,
    progress: (t) => progressed.push(t),
    progressed,
    ...overrides,
  };
}

const transports = [
  { type: "streamable-http", url: () => streamableUrl },
  { type: "sse", url: () => sseUrl },
] as const;

describe.each(transports)("over $type", ({ type, url }) => {
  const server = (): McpServerConfig => ({ name: "everything", url: url(), type, headers: {} });

  it("lists the tools with their input schemas and shows the server connected", async () => {
    const p = pool([server()]);
    const tools = await p.list();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ["echo", "get-sum", "trigger-long-running-operation", "get-structured-content"]) {
      const tool = byName.get(name);
      expect(tool, name).toBeDefined();
      expect(tool!.server).toBe("everything");
      expect(tool!.input_schema.type).toBe("object");
    }
    expect(byName.get("echo")!.input_schema).toMatchObject({ properties: { message: { type: "string" } } });
    expect(byName.get("echo")!.description).toContain("Echo");
    expect(p.status()).toEqual([
      { name: "everything", url: url(), transport: type, status: "connected", tool_count: tools.length },
    ]);
  });

  it("calls echo and get-sum", async () => {
    const p = pool([server()]);
    await p.list();
    expect(await p.call("echo", { message: "hello edge" }, context())).toEqual({
      content: "Echo: hello edge",
      isError: false,
    });
    const sum = await p.call("get-sum", { a: 2, b: 40 }, context());
    expect(sum.isError).toBe(false);
    expect(sum.content).toContain("42");
  });

  it("reports progress of a long-running operation", async () => {
    const p = pool([server()]);
    await p.list();
    const ctx = context();
    const outcome = await p.call("trigger-long-running-operation", { duration: 1, steps: 4 }, ctx);
    expect(outcome).toMatchObject({
      isError: false,
      content: expect.stringContaining("Long running operation completed"),
    });
    expect(ctx.progressed.length).toBeGreaterThanOrEqual(3);
    // Each once: in workerd the SSE transport used to deliver every message twice (see connection.ts).
    expect(ctx.progressed).toEqual(["progress 1/4", "progress 2/4", "progress 3/4", "progress 4/4"]);
  });

  it("validates structured content against the outputSchema without code generation", async () => {
    const p = pool([server()]);
    await p.list();
    const outcome = await p.call("get-structured-content", { location: "New York" }, context());
    expect(outcome.isError).toBe(false);
    expect(JSON.parse(outcome.content)).toEqual({ temperature: 33, conditions: "Cloudy", humidity: 82 });
  });

  it("rejects promptly with the abort error when the turn is aborted", async () => {
    const p = pool([server()]);
    await p.list();
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const call = p.call(
      "trigger-long-running-operation",
      { duration: 5, steps: 5 },
      context({ signal: controller.signal }),
    );
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(1_000);
    // The connection is still good for the next call.
    expect((await p.call("echo", { message: "after" }, context())).content).toBe("Echo: after");
  });

  it("turns a timeout into an error outcome", async () => {
    const p = pool([server()]);
    await p.list();
    const started = Date.now();
    const outcome = await p.call(
      "trigger-long-running-operation",
      { duration: 2, steps: 2 },
      context({ timeoutMs: 200 }),
    );
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("turns a tool error and an unknown tool into error outcomes", async () => {
    const p = pool([server()]);
    await p.list();
    const bad = await p.call("get-sum", { a: "two" }, context());
    expect(bad.isError).toBe(true);
    expect(bad.content.length).toBeGreaterThan(0);
    expect(await p.call("no-such-tool", {}, context())).toEqual({
      content: 'unknown tool "no-such-tool"',
      isError: true,
    });
  });
});

describe("McpPool", () => {
  it("connects lazily: a call without list() opens the connection itself", async () => {
    const p = pool([{ name: "everything", url: streamableUrl, type: "streamable-http", headers: {} }]);
    expect(p.status()[0]).toMatchObject({ status: "not-connected", transport: null, tool_count: 0 });
    expect((await p.call("echo", { message: "lazy" }, context())).content).toBe("Echo: lazy");
    expect(p.status()[0]).toMatchObject({ status: "connected", transport: "streamable-http" });
  });

  it("falls back to SSE when the type is absent and streamable HTTP is not spoken", async () => {
    const p = pool([
      { name: "auto_sse", url: sseUrl, headers: {} },
      { name: "auto_http", url: streamableUrl, headers: {} },
    ]);
    const tools = await p.list();
    expect(tools.some((t) => t.server === "auto_sse")).toBe(true);
    const status = Object.fromEntries(p.status().map((s) => [s.name, s]));
    expect(status.auto_sse).toMatchObject({ transport: "sse", status: "connected" });
    expect(status.auto_http).toMatchObject({ transport: "streamable-http", status: "connected" });
  });

  it("gives clashing tools server-prefixed names and routes each call to its own server", async () => {
    const p = pool(
      [
        { name: "one", url: streamableUrl, type: "streamable-http", headers: {} },
        { name: "two", url: sseUrl, type: "sse", headers: {} },
      ],
      { reservedNames: ["get-sum"] },
    );
    const names = (await p.list()).map((t) => t.name);
    expect(names).toContain("one__echo");
    expect(names).toContain("two__echo");
    expect(names).not.toContain("echo");
    expect(names).not.toContain("get-sum");
    expect((await p.call("two__echo", { message: "via sse" }, context())).content).toBe("Echo: via sse");
    expect(p.status().map((s) => s.transport)).toEqual(["streamable-http", "sse"]);
  });

  it("keeps listing the other servers when one is down, and says why it is down without secrets", async () => {
    const p = pool(
      [
        {
          name: "down",
          url: "http://agent:pa55w0rd@127.0.0.1:1/mcp?key=k3y-value",
          headers: { Authorization: "Bearer sk-do-not-leak" },
        },
        { name: "up", url: streamableUrl, type: "streamable-http", headers: {} },
      ],
      { refused: [{ name: "local", url: null, reason: "stdio servers need a local process" }] },
    );
    const tools = await p.list();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.server === "up")).toBe(true);
    const [down, up, local] = p.status();
    expect(down).toMatchObject({
      name: "down",
      status: "error",
      transport: null,
      tool_count: 0,
      url: "http://127.0.0.1:1/mcp?key=redacted",
    });
    // Refused connections are retried (workerd marks them `retryable`), then reported.
    expect(down.error).toMatch(/cannot connect to MCP server "down" .*after 3 attempts/);
    expect(up).toMatchObject({ status: "connected" });
    expect(local).toEqual({
      name: "local",
      url: null,
      transport: null,
      status: "refused",
      error: "stdio servers need a local process",
      tool_count: 0,
    });
    const shown = JSON.stringify(p.status());
    for (const secret of ["pa55w0rd", "sk-do-not-leak", "k3y-value", "agent"]) expect(shown).not.toContain(secret);
  });

  it("answers a call to a server that is down with an error outcome", async () => {
    const p = pool([{ name: "down", url: downUrl, type: "streamable-http", headers: {} }]);
    const outcome = await p.call("anything", {}, context());
    expect(outcome.isError).toBe(true);
    await p.list();
    expect(p.status()[0].status).toBe("error");
  });

  it("forwards the server's log messages to the call in flight", async () => {
    // Simulated logging sends one message at once, then one every 5 s: a 6 s call sees one.
    const run = async (type: "streamable-http" | "sse", url: string) => {
      const p = pool([{ name: "everything", url, type, headers: {} }]);
      await p.list();
      await p.call("toggle-simulated-logging", {}, context());
      const ctx = context();
      await p.call("trigger-long-running-operation", { duration: 6, steps: 2 }, ctx);
      return ctx.progressed;
    };
    const [viaHttp, viaSse] = await Promise.all([run("streamable-http", streamableUrl), run("sse", sseUrl)]);
    const isLog = (t: string) => /^(debug|info|notice|warning|error|critical|alert|emergency): /i.test(t);
    expect(viaHttp.some(isLog), viaHttp.join(" | ")).toBe(true);
    expect(viaSse.some(isLog), viaSse.join(" | ")).toBe(true);
  });

  it("close() closes every connection; later calls are error outcomes", async () => {
    const p = pool([
      { name: "one", url: streamableUrl, type: "streamable-http", headers: {} },
      { name: "two", url: sseUrl, type: "sse", headers: {} },
    ]);
    await p.list();
    expect(p.status().map((s) => s.status)).toEqual(["connected", "connected"]);
    await p.close();
    expect(p.status().map((s) => s.status)).toEqual(["not-connected", "not-connected"]);
    expect(await p.call("one__echo", { message: "x" }, context())).toMatchObject({ isError: true });
  });

  it("serves the tool list of later turns from the cache, and still routes calls", async () => {
    const raw = parseMcpServers({
      mcpServers: { cached: { url: streamableUrl }, local: { command: "npx", args: ["x"] } },
    });
    const first = createMcpPool(raw, { cacheTtlMs: 60_000 });
    pools.push(first);
    const tools = await first.list();
    expect(first.status().map((s) => s.status)).toEqual(["connected", "refused"]);

    const second = createMcpPool(raw, { cacheTtlMs: 60_000 });
    pools.push(second);
    expect(await second.list()).toEqual(tools);
    // The cache answered: nothing was opened.
    expect(second.status()[0]).toMatchObject({ status: "not-connected", tool_count: tools.length });

    const third = createMcpPool(raw, { cacheTtlMs: 60_000 });
    pools.push(third);
    expect((await third.call("echo", { message: "cached" }, context())).content).toBe("Echo: cached");
  });
});
