/**
 * The MCP SDK's `OAuthClientProvider` over one owner's store: what the SDK's `auth()` and its
 * transports call to find, refresh and save an owner's tokens for one server. The SDK does the
 * protocol (RFC 9728 and RFC 8414 discovery, registration, PKCE, resource indicators, the token
 * endpoint's auth methods); this class only decides where things are kept and when a flow may
 * start. One provider serves one of three moments:
 *
 * - `turn`: a turn (or a listing) connects. Stored tokens are used and refreshed; when the server
 *   wants a new authorization, nothing is started (no browser is there): the challenge is
 *   recorded and `NeedsAuthorization` ends the attempt, so the server shows `needs_authorization`.
 * - `authorize`: `POST /api/servers/{name}/authorize`. Always a new authorization: the SDK
 *   builds the URL, and the PKCE verifier goes to the pending record of the `state`.
 * - `callback`: the user agent came back with a code; the SDK exchanges it and the tokens are saved.
 */
import type { OAuthClientProvider, OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { McpServerConfig } from "../servers";
import type { AuthPatch, AuthRecord, Challenge, OwnerMcpStore } from "./types";

/** Authorizations in a row a server may refuse for their scope before we stop asking the user. */
export const MAX_SCOPE_REJECTIONS = 3;

/** The client name authorization servers show the user. */
export const CLIENT_NAME = "edge-chat";

/** Ends an auth attempt during a turn: the owner has to authorize this server in a browser. */
export class NeedsAuthorization extends Error {
  constructor(
    message: string,
    /** The server keeps refusing the scopes it was granted: asking again would not help. */
    readonly refused = false,
  ) {
    super(message);
    this.name = "NeedsAuthorization";
  }
}

/** The last `401`/`403` a server answered with a Bearer challenge, as the fetch wrapper saw it. */
interface Observed {
  status: number;
  scope?: string;
  resourceMetadataUrl?: string;
  error?: string;
}

export type ProviderMode =
  | { kind: "turn" }
  | { kind: "authorize"; state: string; redirectUri: string; clientMetadataUrl?: string }
  | { kind: "callback"; redirectUri: string; codeVerifier: string };

/** What the authorize mode captured: where to send the user agent, and the PKCE verifier. */
export interface Captured {
  url?: URL;
  codeVerifier?: string;
}

/** A redirect URI that is never visited: a turn never sends a user agent anywhere. */
const NO_REDIRECT = "https://edge-chat.invalid/api/mcp/oauth/callback";

export class OwnerOAuthProvider implements OAuthClientProvider {
  readonly captured: Captured = {};
  private observed?: Observed;

  constructor(
    private readonly server: McpServerConfig,
    /** Null when `MCP_TOKEN_KEY` is not set: nothing can be kept, so nothing can be authorized. */
    private readonly store: OwnerMcpStore | null,
    private record: AuthRecord,
    private readonly mode: ProviderMode,
  ) {}

  /** The record as this provider last saw or wrote it. */
  get current(): AuthRecord {
    return this.record;
  }

  get redirectUrl(): string {
    return this.mode.kind === "turn" ? (this.record.redirectUri ?? NO_REDIRECT) : this.mode.redirectUri;
  }

  get clientMetadataUrl(): string | undefined {
    return this.mode.kind === "authorize" ? this.mode.clientMetadataUrl : undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    const scope = this.server.auth?.type === "oauth" ? this.server.auth.scope : undefined;
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...(scope ? { scope } : {}),
    };
  }

  state(): string {
    // Asked for before any authorization URL is built, even one a turn will never use.
    return this.mode.kind === "authorize" ? this.mode.state : "unused";
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    const configured = this.server.auth?.type === "oauth" ? this.server.auth : undefined;
    const stored = this.record.client;
    if (configured?.clientId) {
      // The SDK stamps pre-registered credentials with their authorization server on first use.
      if (stored?.client_id === configured.clientId && stored.client_secret === configured.clientSecret) return stored;
      return {
        client_id: configured.clientId,
        ...(configured.clientSecret ? { client_secret: configured.clientSecret } : {}),
      };
    }
    // A registration is tied to its redirect URI; one made for another address is of no use.
    if (stored && this.mode.kind !== "turn" && this.record.redirectUri && this.record.redirectUri !== this.redirectUrl)
      return undefined;
    return stored;
  }

  async saveClientInformation(client: OAuthClientInformationMixed): Promise<void> {
    await this.save({ client, redirectUri: this.mode.kind === "turn" ? this.record.redirectUri : this.redirectUrl });
  }

  tokens(): OAuthTokens | undefined {
    // A new authorization is always new: a stored refresh token must not stand in for it.
    if (this.mode.kind !== "turn") return undefined;
    const tokens = this.record.tokens;
    // Step-up: refreshing would bring back the same scopes, so the SDK must not try.
    if (tokens && this.observed?.error === "insufficient_scope") return { ...tokens, refresh_token: undefined };
    return tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    // New tokens answer the challenge; the count of refusals stays until a request succeeds.
    await this.save({ tokens, challenge: this.mode.kind === "callback" ? null : undefined });
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    if (this.mode.kind === "authorize") {
      this.captured.url = url;
      return;
    }
    // The SDK computed the scope to ask for (challenge, then metadata, then config): keep it.
    throw await this.needsAuthorization(url.searchParams.get("scope") ?? undefined);
  }

  saveCodeVerifier(codeVerifier: string): void {
    if (this.mode.kind === "authorize") this.captured.codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (this.mode.kind !== "callback") throw new Error("no authorization is being completed");
    return this.mode.codeVerifier;
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    // A turn with no tokens can only end in a new authorization: stop before any discovery.
    if (this.mode.kind === "turn" && !this.record.tokens) throw await this.needsAuthorization();
    return this.record.discovery;
  }

  async saveDiscoveryState(discovery: OAuthDiscoveryState): Promise<void> {
    await this.save({ discovery });
  }

  async invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): Promise<void> {
    if (scope === "verifier") return;
    if (scope === "tokens") {
      const token = this.record.tokens?.access_token;
      this.record = { ...this.record, tokens: undefined };
      if (token) await this.store?.dropTokens(this.server.name, token);
      return;
    }
    if (scope === "all") return this.save({ client: null, tokens: null, discovery: null, redirectUri: null });
    return this.save(scope === "client" ? { client: null, redirectUri: null } : { discovery: null });
  }

  /** The transport's fetch, watched for Bearer challenges (which `auth()` is not told about). */
  observe(fetch: FetchLike): FetchLike {
    return async (url, init) => {
      const res = await fetch(url, init);
      if ((res.status === 401 || res.status === 403) && res.headers.has("www-authenticate")) {
        const { scope, resourceMetadataUrl, error } = extractWWWAuthenticateParams(res);
        this.observed = { status: res.status, scope, resourceMetadataUrl: resourceMetadataUrl?.href, error };
      }
      return res;
    };
  }

  /** Records what the server asked for, and says whether asking the user again can help. */
  private async needsAuthorization(scope?: string): Promise<NeedsAuthorization> {
    const seen = this.observed;
    const insufficient = seen?.status === 403 && seen.error === "insufficient_scope";
    const challenge: Challenge = {
      ...((seen?.scope ?? scope) ? { scope: seen?.scope ?? scope } : {}),
      ...(seen?.resourceMetadataUrl ? { resourceMetadataUrl: seen.resourceMetadataUrl } : {}),
      ...(insufficient ? { insufficientScope: true } : {}),
    };
    const rejections = insufficient ? (this.record.rejections ?? 0) + 1 : 0;
    if (!this.store) return new NeedsAuthorization(NO_STORE);
    // Every turn meets the same challenge until the owner authorizes: write it once.
    const same = JSON.stringify(challenge) === JSON.stringify(this.record.challenge ?? null) && !insufficient;
    if (!same) await this.save({ challenge, rejections: rejections || null });
    if (rejections >= MAX_SCOPE_REJECTIONS)
      return new NeedsAuthorization(
        `the server refused the granted scopes ${rejections} times${challenge.scope ? ` (it asks for "${challenge.scope}")` : ""}; ask its operator`,
        true,
      );
    return new NeedsAuthorization(
      insufficient
        ? `the server needs more scopes (${challenge.scope ?? "unnamed"}): authorize it again`
        : "authorize it first",
    );
  }

  private async save(patch: AuthPatch): Promise<void> {
    const next: Record<string, unknown> = { ...this.record };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    this.record = next as unknown as AuthRecord;
    if (!this.store) throw new NeedsAuthorization(NO_STORE);
    await this.store.saveAuth(this.server.name, this.server.url, patch);
  }
}

export const NO_STORE = "MCP_TOKEN_KEY is not set, so this server cannot be authorized";
