/**
 * Three faults found by hand against the reference server, each seen on the wire (a recording
 * proxy in front of the real server) or in what a call answers:
 *
 * - aborting a call over the legacy SSE transport must send `notifications/cancelled`, closing or not;
 * - a request that already finished must never be cancelled, whatever signal fires later;
 * - a server that restarts during a call fails the call at once (`server_restarted`), not at the
 *   tool's timeout, and the next call connects afresh.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { McpPool, type McpServerConfig } from "../../src/mcp";
import type { ToolCallContext } from "../../src/tools/types";
import { allStarted } from "../support/all-started";
import { eventually } from "../support/eventually";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type McpProxy, type Seen, startProxy } from "../support/mcp-proxy";

let sse: EverythingServer;
let streamable: EverythingServer;
let sseProxy: McpProxy;
let streamableProxy: McpProxy;
const pools: McpPool[] = [];
const restarted: EverythingServer[] = [];

beforeAll(async () => {
  await allStarted([
    startEverythingServer("sse").then((m) => (sse = m)),
    startEverythingServer("streamableHttp").then((m) => (streamable = m)),
  ]);
  [sseProxy, streamableProxy] = await Promise.all([startProxy(sse.url), startProxy(streamable.url)]);
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await Promise.all([sseProxy?.close(), streamableProxy?.close(), sse?.close(), streamable?.close()]);
  await Promise.all(restarted.map((s) => s.close()));
});

function pool(server: McpServerConfig): McpPool {
  const p = new McpPool([server]);
  pools.push(p);
  return p;
}

function context(signal: AbortSignal, timeoutMs = 60_000): ToolCallContext & { progressed: string[] } {
  const progressed: string[] = [];
  return { signal, timeoutMs, progress: (t) => progressed.push(t), progressed };
}

const cancellations = (seen: Seen[]) => seen.filter((r) => r.rpc === "notifications/cancelled");
const callsOf = (seen: Seen[], tool: string) => seen.filter((r) => r.rpc === "tools/call" && r.params?.name === tool);

describe("cancelling over the legacy SSE transport", () => {
  it("sends notifications/cancelled for the aborted call even when the pool closes right after", async () => {
    const p = pool({ name: "legacy", url: sseProxy.url, type: "sse", headers: {} });
    await p.list();
    const abort = new AbortController();
    const ctx = context(abort.signal);
    const call = p.call("trigger-long-running-operation", { duration: 20, steps: 20 }, ctx);
    // Running on the server: its first progress arrived.
    await eventually(() => expect(ctx.progressed.length).toBeGreaterThan(0));
    abort.abort(new DOMException("aborted by the user", "AbortError"));
    await expect(call).rejects.toThrow(/aborted/);
    // What a turn does next: it ends, and its connections close.
    await p.close();
    const [sent] = callsOf(sseProxy.seen, "trigger-long-running-operation");
    expect(cancellations(sseProxy.seen).map((c) => c.params.requestId)).toEqual([sent.id]);
  });
});

describe("a request that already finished", () => {
  it("is never cancelled when the turn's signal fires later", async () => {
    const p = pool({ name: "everything", url: streamableProxy.url, type: "streamable-http", headers: {} });
    await p.list();
    const abort = new AbortController();
    expect(await p.call("echo", { message: "done" }, context(abort.signal))).toEqual({
      content: "Echo: done",
      isError: false,
    });
    // The user stops the turn afterwards (say while the model writes its answer).
    abort.abort(new DOMException("aborted by the user", "AbortError"));
    // A later request on the same connection: anything the abort sent went out before it.
    await p.call("echo", { message: "after" }, context(new AbortController().signal));
    expect(cancellations(streamableProxy.seen)).toEqual([]);
  });

  it("is never cancelled when the pool closes (the answered tools/list of every listing)", async () => {
    streamableProxy.seen.length = 0;
    const p = pool({ name: "everything", url: streamableProxy.url, type: "streamable-http", headers: {} });
    expect((await p.list()).length).toBeGreaterThan(0);
    await p.close();
    // Closing ends the session, and sends nothing else.
    await eventually(() => expect(streamableProxy.seen.some((r) => r.method === "DELETE")).toBe(true));
    expect(cancellations(streamableProxy.seen)).toEqual([]);
  });
});

describe("a server that restarts during a call", () => {
  it("fails the call at once as server_restarted, and the next call connects to the new server", async () => {
    const first = await startEverythingServer("streamableHttp");
    restarted.push(first);
    const p = pool({ name: "restarting", url: first.url, type: "streamable-http", headers: {} });
    await p.list();
    const ctx = context(new AbortController().signal, 60_000);
    const started = Date.now();
    const call = p.call("trigger-long-running-operation", { duration: 40, steps: 40 }, ctx);
    await eventually(() => expect(ctx.progressed.length).toBeGreaterThan(0));
    // A real restart: the process dies, a new one takes the same port.
    await first.close();
    restarted.push(await startEverythingServer("streamableHttp", first.port));
    const outcome = await call;
    expect(outcome).toMatchObject({ isError: true, content: expect.stringContaining("server_restarted") });
    // Long before the tool's own time limit (60 s) or the operation's end (40 s).
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await p.call("echo", { message: "again" }, context(new AbortController().signal))).toEqual({
      content: "Echo: again",
      isError: false,
    });
  }, 60_000);
});
