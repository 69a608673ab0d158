/**
 * `McpPool`: the MCP servers of one chat turn as one `ToolSource`. Connections open lazily (on the
 * first `list()` or `call()` that needs them), are reused until `close()`, and never more than a few
 * open at once (a Worker may hold 6 outbound connections). One server failing never breaks the
 * others, and a call never throws except to pass on an abort. A server that wants an OAuth
 * authorization the owner has not given is shown as `needs_authorization` and leaves the turn alone.
 */
import type { ElicitRequestFormParams, ElicitResult, Progress, Tool } from "@modelcontextprotocol/sdk/types.js";
import { fnv1a } from "../lib/hash";
import { Redactor } from "../lib/redact";
import { sleep } from "../lib/sleep";
import type { ElicitationAnswer, ToolCallContext, ToolInfo, ToolOutcome, ToolSource } from "../tools/types";
import { Deadline, Limiter, withRequestSignal, withTimeout } from "./async";
import { ServerAuth } from "./auth/server-auth";
import type { OwnerMcpState, OwnerMcpStore, UserServer } from "./auth/types";
import { cached, forgetCached } from "./cache";
import { connectMcp, McpConnectError, type McpConnection, type McpLogParams, SessionLost } from "./connection";
import { abortError, errorText, httpStatusOf, isSdkTimeout, isTransient, McpTimeoutError } from "./errors";
import { ConnectionKeeper, type ConnectionRoute } from "./keep";
import { assignToolNames } from "./names";
import { toOutcome } from "./outcome";
import { mcpSecrets, redactUrl } from "./redact";
import { type McpServerConfig, type McpTransportType, needsApproval, type RefusedServer } from "./servers";

/** One server as `/api/servers` shows it. */
export interface ServerStatus {
  name: string;
  /** Redacted: no credentials, no query values. Null for a refused entry without a URL. */
  url: string | null;
  transport: McpTransportType | null;
  status: "connected" | "error" | "not-connected" | "refused" | "needs_authorization";
  error?: string;
  tool_count: number;
  /** How edge-chat authenticates to it, when it is more than static headers. */
  auth?: "oauth" | "client_credentials";
  /** `user`: the owner added it; absent for the configured servers. */
  source?: "user";
}

/** The owner whose tokens and added servers a pool uses. */
export interface PoolOwner {
  /** Part of the tool-list cache key: owners' lists differ. */
  id: string;
  /** Null when `MCP_TOKEN_KEY` is not set: OAuth servers cannot be authorized, none can be added. */
  store: OwnerMcpStore | null;
  /** An added server as this deployment serves it (the outbound rules of caller-chosen hosts attached). */
  serverOf(server: UserServer): McpServerConfig;
  /** Whether listing must read the owner's added servers first (false when none can exist). */
  hasServers: boolean;
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
   * model, the client or storage sees it; by default of the servers' own secrets. A server an
   * owner adds is scrubbed of its own secrets as well.
   */
  redactor?: Redactor;
  owner?: PoolOwner;
  /**
   * Where connections are kept between turns (one per session object): taken instead of
   * connecting, given back at `close()`. Only servers reached with static headers share one.
   */
  keeper?: ConnectionKeeper;
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

/** A call in flight on a slot: where its progress goes, and who answers its server's questions. */
interface InFlight {
  progress(text: string): void;
  elicit(params: ElicitRequestFormParams): Promise<ElicitResult>;
}

/** One server's connection state for this pool. */
class Slot {
  connection?: McpConnection;
  /** Pending or settled connect; a failure stays remembered for the pool's lifetime. */
  connecting?: Promise<McpConnection>;
  transport: McpTransportType | null = null;
  error?: string;
  readonly auth: ServerAuth;
  toolCount = 0;
  /** Calls in flight here, oldest first: server log lines and questions go to the newest. */
  readonly inflight: InFlight[] = [];
  /** Every configured secret and this server's own (an added server's headers are in no config). */
  readonly redactor: Redactor;
  /** Where the connection's logs and questions go; moves with a kept connection to the next turn's slot. */
  route: ConnectionRoute<Slot> = { target: this };

  constructor(
    readonly config: McpServerConfig,
    store: OwnerMcpStore | null,
    redactor: Redactor,
  ) {
    this.auth = new ServerAuth(config, store);
    this.redactor = config.source === "user" ? redactor.with(mcpSecrets(config)) : redactor;
  }

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
  /** The owner's store, read once per pool (lazily: only a server that may need it asks). */
  private ownerState?: Promise<OwnerMcpState>;
  private ownerServers?: Promise<void>;

  constructor(
    servers: McpServerConfig[],
    private readonly options: McpPoolOptions = {},
  ) {
    this.redactor = options.redactor ?? new Redactor(servers.flatMap(mcpSecrets));
    for (const config of servers)
      this.slots.set(config.name, new Slot(config, options.owner?.store ?? null, this.redactor));
    this.limiter = new Limiter(options.maxConcurrentConnects ?? 4);
  }

  /** Every tool of every reachable server, with unique model-facing names. Never rejects. */
  async list(): Promise<ToolInfo[]> {
    await this.addOwnerServers();
    this.listing ??= this.loadCatalog();
    const catalog = await this.listing;
    this.routes = new Map(Object.entries(catalog.routes));
    for (const slot of this.slots.values()) slot.toolCount = catalog.counts[slot.config.name] ?? 0;
    return catalog.tools;
  }

  async call(name: string, args: Record<string, unknown>, ctx: ToolCallContext): Promise<ToolOutcome> {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (this.closed) return failure("the MCP connections of this turn are closed");
    const deadline = new Deadline(ctx.timeoutMs);
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
      let conn: McpConnection | undefined;
      try {
        conn = await withTimeout(this.connect(slot), deadline.remaining(), where, ctx.signal);
        const outcome = await this.invoke(slot, conn, route.tool, args, ctx, deadline);
        void slot.auth.callSucceeded();
        return outcome;
      } catch (err) {
        if (ctx.signal.aborted) throw abortError(ctx.signal);
        if (err instanceof McpTimeoutError || isSdkTimeout(err)) {
          // The SDK cannot cancel one request's fetch: over streamable HTTP the timed-out call's
          // response stream stays open (a Worker has only 6 connections). Drop the connection
          // unless other calls still use it; the next call reconnects.
          if (slot.connection?.transport === "streamable-http" && slot.inflight.length === 0) void slot.reset();
          return timedOut();
        }
        if (slot.auth.absorb(err)) {
          void slot.reset();
          return failure(`${where} is not available: ${slot.auth.hint()}`);
        }
        // The server restarted under the call: its session, and the call with it, are gone. Not
        // retried (the tool may have acted); the next call connects afresh.
        if (err instanceof SessionLost || conn?.lost) {
          void slot.reset();
          return failure(`${where} failed: server_restarted: the MCP server restarted during the call`);
        }
        // 404 during a call: the server forgot our session (streamable HTTP spec); a new one helps.
        const retry = !(err instanceof McpConnectError) && (isTransient(err) || httpStatusOf(err) === 404);
        if (!retry || attempt >= CALL_RETRIES || deadline.expired) {
          return failure(`${where} failed: ${this.describe(slot, err)}`);
        }
        await slot.reset();
        await sleep(RETRY_BACKOFF_MS * 2 ** attempt, ctx.signal);
      }
    }
  }

  /** Each configured server, then the owner's added ones, then each refused entry, in order. */
  status(): ServerStatus[] {
    const live = [...this.slots.values()].map((slot): ServerStatus => {
      const connected = slot.connection?.alive === true;
      // An authorization the server wants (or keeps refusing) decides, connected or not: a server
      // may answer `initialize` and still refuse every tool without a token.
      const needs = slot.auth.needs;
      const error = slot.auth.error ?? (connected ? undefined : slot.error);
      const auth = slot.auth.kind(connected);
      return {
        name: slot.config.name,
        url: redactUrl(slot.config.url),
        transport: slot.transport,
        status:
          needs !== undefined ? "needs_authorization" : error ? "error" : connected ? "connected" : "not-connected",
        ...(needs !== undefined ? { error: needs } : error ? { error } : {}),
        tool_count: slot.toolCount,
        ...(auth ? { auth } : {}),
        ...(slot.config.source ? { source: slot.config.source } : {}),
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
    await Promise.allSettled([...this.slots.values()].map((slot) => (this.keep(slot) ? undefined : slot.reset())));
  }

  /** The isolate-wide key of a slot's connection in the keeper; undefined when it may not be shared. */
  private keptKey(slot: Slot): string | undefined {
    if (!this.options.keeper || slot.auth.kind(true) !== undefined || slot.auth.unsettled) return undefined;
    return ConnectionKeeper.key(slot.config, this.options.owner?.id ?? "");
  }

  /** Hands a healthy, idle connection to the keeper; false when it is not kept. */
  private keep(slot: Slot): boolean {
    const conn = slot.connection;
    const key = this.keptKey(slot);
    if (!key || !conn?.alive || conn.lost || slot.inflight.length || slot.error) return false;
    this.options.keeper!.give(key, conn, slot.route as ConnectionRoute<unknown>);
    slot.connection = undefined;
    slot.connecting = undefined;
    return true;
  }

  /** The owner's store, read once: added servers, tokens and registrations. */
  private owned(): Promise<OwnerMcpState> {
    const store = this.options.owner?.store;
    if (!store) return Promise.resolve({ servers: [], auth: {} });
    this.ownerState ??= store.state();
    return this.ownerState;
  }

  /** Adds the owner's servers as slots, after the configured ones (whose names they cannot take). */
  private addOwnerServers(): Promise<void> {
    const owner = this.options.owner;
    if (!owner?.hasServers || !owner.store) return Promise.resolve();
    this.ownerServers ??= this.owned().then(
      ({ servers }) => {
        for (const server of servers)
          if (!this.slots.has(server.name))
            this.slots.set(server.name, new Slot(owner.serverOf(server), owner.store, this.redactor));
      },
      () => {
        // Unreadable store (MCP_TOKEN_KEY changed, say): the configured servers still serve.
      },
    );
    return this.ownerServers;
  }

  private async loadCatalog(): Promise<Catalog> {
    const cache = this.options.listCache;
    if (!cache) return this.listAll();
    const added = [...this.slots.values()]
      .filter((s) => s.config.source === "user")
      .map((s) => [s.config.name, s.config.url]);
    const owner = this.options.owner ? `:${this.options.owner.id}:${fnv1a(JSON.stringify(added))}` : "";
    const key = `catalog:${cache.key}${owner}`;
    const catalog = await cached(key, cache.ttlMs, () => this.listAll());
    // A list missing a server that failed, or is waiting for an authorization, should not stand
    // in for the next turns: the tools must appear as soon as the owner has authorized.
    if ([...this.slots.values()].some((s) => s.error || s.auth.unsettled)) forgetCached(key);
    return catalog;
  }

  private async listAll(): Promise<Catalog> {
    const slots = [...this.slots.values()];
    const perServer = await Promise.all(
      slots.map((slot) =>
        this.listServer(slot).catch((err) => {
          if (!slot.auth.absorb(err)) slot.error = this.describe(slot, err);
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
      const redactor = this.slots.get(ref.server)?.redactor ?? this.redactor;
      catalog.tools.push({
        name: names[i],
        description: redactor.redact(ref.def.description ?? ref.def.title ?? ""),
        // A schema's strings (descriptions, defaults) are the server's words too.
        input_schema: JSON.parse(redactor.redact(JSON.stringify(ref.def.inputSchema ?? {}))),
        server: ref.server,
        requires_approval: needsApproval(this.slots.get(ref.server)?.config.approval, ref.tool),
        // The server's own word for it; a restart reruns a cut call only when it says so.
        idempotent: ref.def.annotations?.idempotentHint === true,
      });
      catalog.routes[names[i]] = { server: ref.server, tool: ref.tool };
      catalog.counts[ref.server] = (catalog.counts[ref.server] ?? 0) + 1;
    });
    return catalog;
  }

  private async listServer(slot: Slot, again = false): Promise<Tool[]> {
    try {
      return await this.listPages(slot);
    } catch (err) {
      // 404: the server forgot the session (a kept one, say, after it restarted); a new one helps.
      if (again || httpStatusOf(err) !== 404 || this.closed) throw err;
      await slot.reset();
      return this.listServer(slot, true);
    }
  }

  private async listPages(slot: Slot) {
    const conn = await this.connect(slot);
    const timeout = this.options.listTimeoutMs ?? 10_000;
    const tools = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await conn.track(
        withRequestSignal([this.lifetime.signal], (signal) =>
          conn.client.listTools(cursor ? { cursor } : undefined, { timeout, signal }),
        ),
      );
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
    const key = this.keptKey(slot);
    const kept = key && !this.closed ? this.options.keeper!.take(key) : undefined;
    if (kept) {
      // The last turn's connection, session and all: no new `initialize`.
      const route = kept.route as ConnectionRoute<Slot>;
      route.target = slot;
      slot.route = route;
      slot.connection = kept.conn;
      slot.transport = kept.conn.transport;
      slot.error = undefined;
      slot.auth.connected();
      slot.connecting = Promise.resolve(kept.conn);
      return slot.connecting;
    }
    const route = slot.route;
    slot.connecting = this.limiter
      .run(async () => {
        if (this.closed) throw new Error("the MCP pool is closed");
        const state = await this.owned().catch(() => ({ servers: [], auth: {} }) as OwnerMcpState);
        const { provider, fetch } = slot.auth.prepare(state.auth[slot.config.name]);
        return connectMcp(slot.config, {
          timeoutMs: this.options.connectTimeoutMs,
          clientVersion: this.options.clientVersion,
          signal: this.lifetime.signal,
          onLog: (params) => route.target.inflight.at(-1)?.progress(logText(params)),
          onElicit: (params) => route.target.inflight.at(-1)?.elicit(params) ?? Promise.resolve({ action: "decline" }),
          authProvider: provider,
          fetch,
          redactor: slot.redactor,
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
          slot.auth.connected();
          return conn;
        },
        (err) => {
          if (!slot.auth.absorb(err)) slot.error = this.describe(slot, err);
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
    deadline: Deadline,
  ): Promise<ToolOutcome> {
    const entry: InFlight = {
      progress: (text) => {
        try {
          ctx.progress(slot.redactor.redact(text));
        } catch {
          // A listener that fails must not fail the call.
        }
      },
      // The clock stops while a person answers: their time is not the tool's.
      elicit: async (params) => {
        if (!ctx.elicit) return { action: "decline" };
        deadline.pause();
        try {
          const answer: ElicitationAnswer = await ctx.elicit({
            message: slot.redactor.redact(params.message),
            requestedSchema: params.requestedSchema as Record<string, unknown>,
          });
          return { ...answer };
        } finally {
          deadline.resume();
        }
      },
    };
    slot.inflight.push(entry);
    try {
      // Our own clock (pausable), not the SDK's: it aborts the request, which sends the cancellation.
      const result = await withRequestSignal([ctx.signal, this.lifetime.signal], (signal) => {
        const expiry = new AbortController();
        deadline.arm(() => expiry.abort(new McpTimeoutError(`tool "${tool}"`, ctx.timeoutMs)));
        return conn
          .track(
            conn.client.callTool({ name: tool, arguments: args }, undefined, {
              signal: AbortSignal.any([signal, expiry.signal]),
              timeout: NO_SDK_TIMEOUT_MS,
              onprogress: (p) => entry.progress(progressText(p)),
              resetTimeoutOnProgress: false,
            }),
          )
          .finally(() => deadline.disarm());
      });
      const outcome = toOutcome(result);
      return { ...outcome, content: slot.redactor.redact(outcome.content) };
    } finally {
      slot.inflight.splice(slot.inflight.indexOf(entry), 1);
    }
  }

  /** A message about `err` that is safe to show: scrubbed of every secret, bounded. */
  private describe(slot: Slot, err: unknown): string {
    const text =
      err instanceof Error && /ZodError/.test(err.name)
        ? "the server's answer does not follow the MCP schema"
        : errorText(err);
    return slot.redactor.redact(text).slice(0, MAX_TEXT);
  }
}

function failure(content: string): ToolOutcome {
  return { content, isError: true };
}

/** The SDK's own per-request timer, out of the way of ours (setTimeout's largest delay). */
const NO_SDK_TIMEOUT_MS = 2 ** 31 - 1;
