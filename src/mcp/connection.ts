/**
 * One MCP client connection to one remote server: the transport chosen by config (streamable HTTP,
 * SSE, or streamable HTTP falling back to SSE), a timeout, and two retries of transient failures.
 * Messages never carry header values or URL credentials.
 */
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type ElicitRequestFormParams,
  ElicitRequestSchema,
  type ElicitResult,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
// The default validator (AJV) compiles schemas with `new Function`, which the deployed runtime
// forbids: any tool with an `outputSchema` would fail outside the test pool.
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { Redactor } from "../lib/redact";
import { sleep } from "../lib/sleep";
import { withTimeout } from "./async";
import { NeedsAuthorization } from "./auth/provider";
import { errorText, isTransient } from "./errors";
import { mcpSecrets, redactUrl } from "./redact";
import type { McpServerConfig, McpTransportType } from "./servers";
import { SSETransport } from "./sse-transport";

export type McpLogParams = LoggingMessageNotification["params"];

export interface ConnectOptions {
  /** Sent to the server as `clientInfo.version`. */
  clientVersion?: string;
  /** Per attempt (transport start + `initialize`). Default 10 s. */
  timeoutMs?: number;
  /** Further attempts after a transient failure. Default 2. */
  retries?: number;
  /** Wait before the first retry; doubles after each. Default 200 ms. */
  backoffMs?: number;
  signal?: AbortSignal;
  /** The server's `notifications/message` (logging). */
  onLog?: (params: McpLogParams) => void;
  /** Scrubs failure messages; by default of this server's own secrets. */
  redactor?: Redactor;
  /** A form the server asks the user to fill in (elicitation); without it every request is declined. */
  onElicit?: (params: ElicitRequestFormParams) => Promise<ElicitResult>;
  /** OAuth: the SDK asks it for tokens and runs discovery, refresh and step-up through it. */
  authProvider?: OAuthClientProvider;
  /** Every request to the server goes through it (an outbound check, an observer). */
  fetch?: FetchLike;
}

/** An open client. `alive` turns false when the transport closes (server gone, stream cut). */
export interface McpConnection {
  readonly client: Client;
  /** The transport actually in use (after any fallback). */
  readonly transport: McpTransportType;
  readonly alive: boolean;
  /** Set when the server lost this session (it restarted, or went away) while it was open. */
  readonly lost: boolean;
  /**
   * Runs a request that may outlive a stream: if the transport fails meanwhile, the session is
   * checked, and a session the server no longer has ends the request at once.
   */
  track<T>(request: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Connecting failed; `transient` says whether a later attempt might succeed. The message is scrubbed. */
export class McpConnectError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "McpConnectError";
  }
}

const DEFAULTS = { clientVersion: "0.1.0", timeoutMs: 10_000, retries: 2, backoffMs: 200 };
/** Ending a streamable HTTP session is a courtesy to the server; never wait long for it. */
const TERMINATE_TIMEOUT_MS = 1_000;
/** The SDK's words for a stream that broke, or could not be resumed (streamable HTTP), or failed (SSE). */
const BROKEN_STREAM = /SSE stream disconnected|reconnect|^SSE error/i;
/** How long a session check may take before the session counts as gone. */
const PING_TIMEOUT_MS = 5_000;

/** What edge-chat tells servers it can do: forms, with their defaults filled in (SEP-1034). */
const CAPABILITIES = { elicitation: { form: { applyDefaults: true } } };

class Connection implements McpConnection {
  private open = true;
  private sessionLost = false;
  private inflight = 0;
  private checking?: Promise<void>;
  private readonly lostSignal = new AbortController();

  constructor(
    readonly client: Client,
    readonly transport: McpTransportType,
    private readonly wire: StreamableHTTPClientTransport | SSETransport,
  ) {
    client.onclose = () => {
      this.open = false;
    };
    // A stream that breaks (a server restart cuts them all) is reported here, and the SDK may then
    // give up resuming without failing the requests that were waiting on it. Other errors (a
    // server without a GET stream, say) say nothing about the session.
    client.onerror = (err) => {
      if (this.inflight > 0 && BROKEN_STREAM.test(err.message)) this.checkSession();
    };
  }

  get alive(): boolean {
    return this.open;
  }

  get lost(): boolean {
    return this.sessionLost;
  }

  async track<T>(request: Promise<T>): Promise<T> {
    this.inflight++;
    const lost = new Promise<never>((_, reject) => {
      const fail = () => reject(new SessionLost());
      if (this.lostSignal.signal.aborted) fail();
      else this.lostSignal.signal.addEventListener("abort", fail, { once: true });
    });
    lost.catch(() => {});
    try {
      return await Promise.race([request, lost]);
    } finally {
      this.inflight--;
    }
  }

  async close(): Promise<void> {
    const wasOpen = this.open;
    this.open = false;
    if (wasOpen && this.wire instanceof StreamableHTTPClientTransport && this.wire.sessionId && !this.sessionLost) {
      await withTimeout(this.wire.terminateSession(), TERMINATE_TIMEOUT_MS, "ending the session").catch(() => {});
    }
    await this.client.close().catch(() => {});
  }

  /** Asks the server whether it still has our session; one that does not ends every request. */
  private checkSession(): void {
    this.checking ??= this.client
      .ping({ timeout: PING_TIMEOUT_MS })
      .then(
        () => {},
        () => {
          if (!this.open) return;
          this.sessionLost = true;
          this.lostSignal.abort();
          void this.close();
        },
      )
      .finally(() => {
        this.checking = undefined;
      });
  }
}

/** The server no longer has the session a request was made in (it restarted or went away). */
export class SessionLost extends Error {
  constructor() {
    super("the MCP server lost the session during the call (it restarted or went away)");
    this.name = "SessionLost";
  }
}

type Options = Required<Pick<ConnectOptions, "clientVersion" | "timeoutMs" | "retries" | "backoffMs">> &
  Omit<ConnectOptions, "clientVersion" | "timeoutMs" | "retries" | "backoffMs">;

/** One attempt over one transport. */
async function connectVia(config: McpServerConfig, kind: McpTransportType, opts: Options): Promise<Connection> {
  const client = new Client(
    { name: "edge-chat", version: opts.clientVersion },
    { capabilities: CAPABILITIES, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  const onLog = opts.onLog;
  if (onLog) client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => onLog(n.params));
  const onElicit = opts.onElicit;
  // Only forms are declared, so the SDK refuses URL-mode requests before they get here.
  client.setRequestHandler(ElicitRequestSchema, (request) =>
    onElicit ? onElicit(request.params as ElicitRequestFormParams) : Promise.resolve({ action: "decline" as const }),
  );
  const url = new URL(config.url);
  // Both transports put `requestInit.headers` on every request, the SSE stream's GET included.
  // A redirect is followed only within the server's own origin (the SDK's rule, named here so a
  // change of its default cannot reopen it): anywhere else, headers and all, it is an error.
  const init = {
    requestInit: { headers: config.headers },
    redirectPolicy: "same-origin" as const,
    authProvider: opts.authProvider,
    fetch: opts.fetch,
  };
  const wire = kind === "sse" ? new SSETransport(url, init) : new StreamableHTTPClientTransport(url, init);
  try {
    await withTimeout(client.connect(wire), opts.timeoutMs, "connecting", opts.signal);
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  return new Connection(client, kind, wire);
}

/** Streamable HTTP, or SSE when that fails, when the config does not say which. */
async function attempt(config: McpServerConfig, opts: Options): Promise<Connection> {
  if (config.type) return connectVia(config, config.type, opts);
  try {
    return await connectVia(config, "streamable-http", opts);
  } catch (first) {
    // A server that wants an authorization answered: it speaks streamable HTTP.
    if (opts.signal?.aborted || first instanceof NeedsAuthorization) throw first;
    try {
      return await connectVia(config, "sse", opts);
    } catch (second) {
      throw new FallbackError(first, second);
    }
  }
}

class FallbackError extends Error {
  constructor(
    readonly first: unknown,
    readonly second: unknown,
  ) {
    super(`streamable HTTP: ${errorText(first)}; SSE: ${errorText(second)}`);
  }
}

function transient(err: unknown): boolean {
  return err instanceof FallbackError ? isTransient(err.first) || isTransient(err.second) : isTransient(err);
}

/**
 * Opens a client to `config`. Transient failures (network, 5xx) are retried `retries` times with
 * backoff; an abort rethrows the signal's reason, a server that wants an authorization throws
 * `NeedsAuthorization`; anything else is an `McpConnectError`.
 */
export async function connectMcp(config: McpServerConfig, options: ConnectOptions = {}): Promise<McpConnection> {
  const opts = {
    ...options,
    // Explicit `undefined`s (options passed through) must not override the defaults.
    clientVersion: options.clientVersion ?? DEFAULTS.clientVersion,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    retries: options.retries ?? DEFAULTS.retries,
    backoffMs: options.backoffMs ?? DEFAULTS.backoffMs,
  };
  for (let tries = 0; ; tries++) {
    try {
      return await attempt(config, opts);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (err instanceof NeedsAuthorization) throw err;
      const retry = transient(err);
      if (!retry || tries >= opts.retries) {
        const why = (options.redactor ?? new Redactor(mcpSecrets(config))).redact(errorText(err));
        const after = tries > 0 ? ` (after ${tries + 1} attempts)` : "";
        throw new McpConnectError(
          `cannot connect to MCP server "${config.name}" at ${redactUrl(config.url)}${after}: ${why}`,
          retry,
        );
      }
    }
    await sleep(opts.backoffMs * 2 ** tries, opts.signal);
  }
}
