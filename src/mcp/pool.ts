/**
 * `McpPool`: the MCP servers of one chat turn as one `ToolSource`. Connections open lazily (on the
 * first `list()` or `call()` that needs them), are reused until `close()`, and never more than a few
 * open at once (a Worker may hold 6 outbound connections). One server failing never breaks the
 * others, and a call never throws except to pass on an abort.
 */
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { Redactor } from "../lib/redact";
import { sleep } from "../lib/sleep";
import type { ToolCallContext, ToolInfo, ToolOutcome, ToolSource } from "../tools/types";
import { Limiter, withTimeout } from "./async";
import { cached, forgetCached } from "./cache";
import { connectMcp, McpConnectError, type McpConnection, type McpLogParams } from "./connection";
import { abortError, errorText, httpStatusOf, isSdkTimeout, isTransient, McpTimeoutError } from "./errors";
import { assignToolNames } from "./names";
import { toOutcome } from "./outcome";
import { mcpSecrets, redactUrl } from "./redact";
import type { McpServerConfig, McpTransportType, RefusedServer } from "./servers";

/** One configured server as `/api/servers` shows it. */
export interface ServerStatus {
  name: string;
  /** Redacted: no credentials, no query values. Null for a refused entry without a URL. */
  url: string | null;
  transport: McpTransportType | null;
  status: "connected" | "error" | "not-connected" | "refused";
  error?: string;
  tool_count: number;
}

export interface McpPoolOptions {
  /** Entries `parseMcpServers` refused, shown by `status()`. */
  refused?: RefusedServer[];
  /** Names taken by built-in tools: MCP tools get other names. */
  reservedNames?: Iterable<string>;
  /** Per connection attempt. Default 10 s. */
  connectTimeoutMs?: number;
  /** For `tools/list` on one server. Default 10 s. */
  listTimeoutMs?: number;
  /** Connections being opened at once. Default 4 (a Worker may hold 6 outbound connections). */
  maxConcurrentConnects?: number;
  /** Serve `list()` from the isolate's cache under `key` for `ttlMs` (see `mcpServersKey`). */
  listCache?: { key: string; ttlMs: number };
  clientVersion?: string;
  /**
   * Scrubs every text a server sends (tool lists, results, errors, progress, logs) before the
   * model, the client or storage sees it; by default of the servers' own secrets.
   */
  redactor?: Redactor;
}

/** Which server tool a model-facing name stands for. */
interface Route {
  server: string;
  tool: string;
}

interface Catalog {
  tools: ToolInfo[];
  routes: Record<string, Route>;
  counts: Record<string, number>;
}

/** Reconnects after a transient failure during a call: twice, then the call fails. */
const CALL_RETRIES = 2;
const RETRY_BACKOFF_MS = 200;
const MAX_PAGES = 50;
const MAX_TEXT = 1_000;

function progressText(p: Progress): string {
  if (p.message) return p.message;
  return p.total !== undefined ? `progress ${p.progress}/${p.total}` : `progress ${p.progress}`;
}

function logText({ level, logger, data }: McpLogParams): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `${level}${logger ? ` [${logger}]` : ""}: ${text}`.slice(0, MAX_TEXT);
}

/** One configured server's connection state for this pool. */
class Slot {
  connection?: McpConnection;
  /** Pending or settled connect; a failure stays remembered for the pool's lifetime. */
  connecting?: Promise<McpConnection>;
  transport: McpTransportType | null = null;
  error?: string;
  toolCount = 0;
  /** Progress sinks of the calls in flight here, oldest first: server log lines go to the newest. */
  readonly inflight: Array<(text: string) => void> = [];

  constructor(readonly config: McpServerConfig) {}

  /** Forgets a broken connection so the next use reconnects. */
  async reset(): Promise<void> {
    const conn = this.connection;
    this.connection = undefined;
    this.connecting = undefined;
    await conn?.close();
  }
}

export class McpPool implements ToolSource {
  private readonly slots = new Map<string, Slot>();
  private readonly limiter: Limiter;
  /** Ends connects still in progress when the pool closes. */
  private readonly lifetime = new AbortController();
  private listing?: Promise<Catalog>;
  private routes = new Map<string, Route>();
  private closed = false;
  private readonly redactor: Redactor;

  constructor(
    servers: McpServerConfig[],
    private readonly options: McpPoolOptions = {},
  ) {
    for (const config of servers) this.slots.set(config.name, new Slot(config));
    this.limiter = new Limiter(options.maxConcurrentConnects ?? 4);
    this.redactor = options.redactor ?? new Redactor(servers.flatMap(mcpSecrets));
  }

  /** Every tool of every reachable server, with unique model-facing names. Never rejects. */
  async list(): Promise<ToolInfo[]> {
    this.listing ??= this.loadCatalog();
    const catalog = await this.listing;
    this.routes = new Map(Object.entries(catalog.routes));
    for (const slot of this.slots.values()) slot.toolCount = catalog.counts[slot.config.name] ?? 0;
    return catalog.tools;
  }

  async call(name: string, args: Record<string, unknown>, ctx: ToolCallContext): Promise<ToolOutcome> {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (this.closed) return failure("the MCP connections of this turn are closed");
    const deadline = Date.now() + ctx.timeoutMs;
    const timedOut = () => failure(`tool "${name}" timed out after ${ctx.timeoutMs} ms`);

    // A name from a cached list: this pool learns the routes from the same cache.
    if (!this.routes.has(name)) {
      try {
        await withTimeout(this.list(), ctx.timeoutMs, "listing tools", ctx.signal);
      } catch {
        if (ctx.signal.aborted) throw abortError(ctx.signal);
        return timedOut();
      }
    }
    const route = this.routes.get(name);
    const slot = route && this.slots.get(route.server);
    if (!route || !slot) return failure(`unknown tool "${name}"`);
    const where = `tool "${name}" on MCP server "${slot.config.name}"`;

    for (let attempt = 0; ; attempt++) {
      try {
        const remaining = () => Math.max(1, deadline - Date.now());
        const conn = await withTimeout(this.connect(slot), remaining(), where, ctx.signal);
        return await this.invoke(slot, conn, route.tool, args, ctx, remaining());
      } catch (err) {
        if (ctx.signal.aborted) throw abortError(ctx.signal);
        if (err instanceof McpTimeoutError || isSdkTimeout(err)) {
          // The SDK cannot cancel one request's fetch: over streamable HTTP the timed-out call's
          // response stream stays open (a Worker has only 6 connections). Drop the connection
          // unless other calls still use it; the next call reconnects.
          if (slot.connection?.transport === "streamable-http" && slot.inflight.length === 0) void slot.reset();
          return timedOut();
        }
        // 404 during a call: the server forgot our session (streamable HTTP spec); a new one helps.
        const retry = !(err instanceof McpConnectError) && (isTransient(err) || httpStatusOf(err) === 404);
        if (!retry || attempt >= CALL_RETRIES || Date.now() >= deadline) {
          return failure(`${where} failed: ${this.describe(err)}`);
        }
        await slot.reset();
        await sleep(RETRY_BACKOFF_MS * 2 ** attempt, ctx.signal);
      }
    }
  }

  /** Each configured server (then each refused entry), in configuration order. */
  status(): ServerStatus[] {
    const live = [...this.slots.values()].map((slot): ServerStatus => {
      const connected = slot.connection?.alive === true;
      return {
        name: slot.config.name,
        url: redactUrl(slot.config.url),
        transport: slot.transport,
        status: connected ? "connected" : slot.error ? "error" : "not-connected",
        ...(slot.error && !connected ? { error: slot.error } : {}),
        tool_count: slot.toolCount,
      };
    });
    const refused = (this.options.refused ?? []).map(
      (r): ServerStatus => ({
        name: r.name,
        url: r.url,
        transport: null,
        status: "refused",
        error: r.reason,
        tool_count: 0,
      }),
    );
    return [...live, ...refused];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort(new DOMException("the MCP pool was closed", "AbortError"));
    await Promise.allSettled([...this.slots.values()].map((slot) => slot.reset()));
  }

  private async loadCatalog(): Promise<Catalog> {
    const cache = this.options.listCache;
    if (!cache) return this.listAll();
    const key = `catalog:${cache.key}`;
    const catalog = await cached(key, cache.ttlMs, () => this.listAll());
    // A list missing a server that failed should not stand in for the next turns.
    if ([...this.slots.values()].some((s) => s.error)) forgetCached(key);
    return catalog;
  }

  private async listAll(): Promise<Catalog> {
    const slots = [...this.slots.values()];
    const perServer = await Promise.all(
      slots.map((slot) =>
        this.listServer(slot).catch((err) => {
          slot.error = this.describe(err);
          return [];
        }),
      ),
    );
    const refs = slots.flatMap((slot, i) =>
      perServer[i].map((t) => ({ server: slot.config.name, tool: t.name, def: t })),
    );
    const names = assignToolNames(refs, this.options.reservedNames);
    const catalog: Catalog = { tools: [], routes: {}, counts: {} };
    refs.forEach((ref, i) => {
      catalog.tools.push({
        name: names[i],
        description: this.redactor.redact(ref.def.description ?? ref.def.title ?? ""),
        // A schema's strings (descriptions, defaults) are the server's words too.
        input_schema: JSON.parse(this.redactor.redact(JSON.stringify(ref.def.inputSchema ?? {}))),
        server: ref.server,
      });
      catalog.routes[names[i]] = { server: ref.server, tool: ref.tool };
      catalog.counts[ref.server] = (catalog.counts[ref.server] ?? 0) + 1;
    });
    return catalog;
  }

  private async listServer(slot: Slot) {
    const conn = await this.connect(slot);
    const timeout = this.options.listTimeoutMs ?? 10_000;
    const tools = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await conn.client.listTools(cursor ? { cursor } : undefined, {
        timeout,
        signal: this.lifetime.signal,
      });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return tools;
  }

  /** The slot's open connection, opening it (under the concurrency limit) if need be. */
  private connect(slot: Slot): Promise<McpConnection> {
    if (slot.connection?.alive) return Promise.resolve(slot.connection);
    if (slot.connecting && !slot.connection) return slot.connecting;
    // The server or the network closed it: open a new one.
    void slot.connection?.close();
    slot.connection = undefined;
    slot.connecting = this.limiter
      .run(() => {
        if (this.closed) throw new Error("the MCP pool is closed");
        return connectMcp(slot.config, {
          timeoutMs: this.options.connectTimeoutMs,
          clientVersion: this.options.clientVersion,
          signal: this.lifetime.signal,
          onLog: (params) => slot.inflight.at(-1)?.(logText(params)),
          redactor: this.redactor,
        });
      })
      .then(
        async (conn) => {
          if (this.closed) {
            await conn.close();
            throw new Error("the MCP pool is closed");
          }
          slot.connection = conn;
          slot.transport = conn.transport;
          slot.error = undefined;
          return conn;
        },
        (err) => {
          slot.error = this.describe(err);
          throw err;
        },
      );
    return slot.connecting;
  }

  private async invoke(
    slot: Slot,
    conn: McpConnection,
    tool: string,
    args: Record<string, unknown>,
    ctx: ToolCallContext,
    timeout: number,
  ): Promise<ToolOutcome> {
    const progress = (text: string) => {
      try {
        ctx.progress(this.redactor.redact(text));
      } catch {
        // A listener that fails must not fail the call.
      }
    };
    slot.inflight.push(progress);
    try {
      const result = await conn.client.callTool({ name: tool, arguments: args }, undefined, {
        signal: ctx.signal,
        timeout,
        onprogress: (p) => progress(progressText(p)),
        resetTimeoutOnProgress: false,
      });
      const outcome = toOutcome(result);
      return { ...outcome, content: this.redactor.redact(outcome.content) };
    } finally {
      slot.inflight.splice(slot.inflight.indexOf(progress), 1);
    }
  }

  /** A message about `err` that is safe to show: scrubbed of every secret, bounded. */
  private describe(err: unknown): string {
    const text =
      err instanceof Error && /ZodError/.test(err.name)
        ? "the server's answer does not follow the MCP schema"
        : errorText(err);
    return this.redactor.redact(text).slice(0, MAX_TEXT);
  }
}

function failure(content: string): ToolOutcome {
  return { content, isError: true };
}
