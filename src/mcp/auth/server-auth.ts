/**
 * How one server of a pool authenticates beyond its headers, and what it last said about it: the
 * OAuth provider of its connection (client credentials from the config, else the owner's OAuth),
 * whether it wants an authorization the owner has not given, and whether asking again can help.
 */
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { httpStatusOf } from "../errors";
import { scrub } from "../redact";
import { guardedFetch, type McpServerConfig } from "../servers";
import { MachineOAuthProvider } from "./machine";
import { NeedsAuthorization, OwnerOAuthProvider } from "./provider";
import type { AuthRecord, OwnerMcpStore } from "./types";

export class ServerAuth {
  /** The provider of the current connection, if the server uses OAuth. */
  private provider?: OAuthClientProvider;
  /** Why the server wants an authorization first. */
  private needed?: string;
  /** Why asking the owner again would not help: the server keeps refusing the scopes. */
  private refused?: string;

  constructor(
    private readonly config: McpServerConfig,
    /** Null when `MCP_TOKEN_KEY` is not set. */
    private readonly store: OwnerMcpStore | null,
  ) {}

  /**
   * What a new connection authenticates with. A static `Authorization` header says the server
   * takes a key, not OAuth. Requests go through the server's outbound rule, when it has one.
   */
  prepare(record: AuthRecord | undefined): { provider?: OAuthClientProvider; fetch?: FetchLike } {
    const { config } = this;
    const base = guardedFetch(config);
    this.provider = undefined;
    if (config.auth?.type === "client_credentials") {
      this.provider = new MachineOAuthProvider(config, config.auth);
      return { provider: this.provider, fetch: base };
    }
    if (Object.keys(config.headers).some((h) => h.toLowerCase() === "authorization")) return { fetch: base };
    const provider = new OwnerOAuthProvider(
      config,
      this.store,
      record?.url === config.url ? record : { url: config.url },
      {
        kind: "turn",
      },
    );
    this.provider = provider;
    return { provider, fetch: provider.observe(base ?? fetch) };
  }

  /** A connection opened: whatever the server wanted, it has. */
  connected(): void {
    this.needed = undefined;
  }

  /** True (and noted) when `err` means the owner has to authorize the server. */
  absorb(err: unknown): boolean {
    if (err instanceof NeedsAuthorization) {
      if (err.refused) this.refused = scrub(err.message, this.config);
      else this.needed = err.message;
      return true;
    }
    // A token refused right after it was obtained: the authorization is no good.
    if (this.provider instanceof OwnerOAuthProvider && httpStatusOf(err) === 401) {
      this.needed = "the server refused its token: authorize it again";
      return true;
    }
    return false;
  }

  /** Why the owner should authorize: asked for, or a tool wanting more scopes (step-up). */
  get needs(): string | undefined {
    if (this.refused) return undefined;
    if (this.needed !== undefined) return this.needed;
    const challenge = this.record?.challenge;
    if (!challenge?.insufficientScope) return undefined;
    return `a tool needs more scopes${challenge.scope ? ` (${challenge.scope})` : ""}: authorize it again`;
  }

  /** Why the server is an error though it answers: it keeps refusing what it granted. */
  get error(): string | undefined {
    return this.refused;
  }

  /** Whether this server stands in the way of a list being reused. */
  get unsettled(): boolean {
    return this.needed !== undefined || this.refused !== undefined;
  }

  /** How the server is authenticated to, for `/api/servers`; undefined for headers only. */
  kind(connected: boolean): "oauth" | "client_credentials" | undefined {
    if (this.config.auth) return this.config.auth.type;
    if (!(this.provider instanceof OwnerOAuthProvider)) return undefined;
    return this.needs !== undefined || (connected && this.provider.current.tokens) ? "oauth" : undefined;
  }

  /** The sentence a failed call answers with. */
  hint(): string {
    if (this.refused) return this.refused;
    return `MCP server "${this.config.name}" needs an authorization (${this.needs ?? "authorize it first"}); the user can connect it from the server list`;
  }

  /**
   * A call went through: a step-up is over, and refusals of the granted scopes stop counting. (A
   * listing does not count: it may work while the call the server refused still would not.)
   */
  async callSucceeded(): Promise<void> {
    const record = this.record;
    if (!record || (!record.rejections && !record.challenge?.insufficientScope)) return;
    await this.store
      ?.saveAuth(this.config.name, this.config.url, { rejections: null, challenge: null })
      .catch(() => {});
  }

  private get record(): AuthRecord | undefined {
    return this.provider instanceof OwnerOAuthProvider ? this.provider.current : undefined;
  }
}
