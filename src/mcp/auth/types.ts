/**
 * What the OAuth client keeps per owner and server, and the store it keeps it in. The store is a
 * Durable Object of the owner's (src/credentials/); this layer only sees this interface.
 */
import type { OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { McpTransportType } from "../servers";

/** What a server's last `401`/`403` asked for (RFC 6750 `WWW-Authenticate: Bearer …`). */
export interface Challenge {
  scope?: string;
  resourceMetadataUrl?: string;
  /** A `403 insufficient_scope`: the token was good, its scopes were not enough (step-up). */
  insufficientScope?: boolean;
}

/** One owner's OAuth state for one server. */
export interface AuthRecord {
  /** The server URL everything here was obtained for: a record for another URL is never used. */
  url: string;
  /** As registered (DCR or a metadata document URL), stamped with its authorization server. */
  client?: OAuthClientInformationMixed & { issuer?: string };
  /** The redirect URI the client was registered with (DCR binds it). */
  redirectUri?: string;
  tokens?: OAuthTokens;
  discovery?: OAuthDiscoveryState;
  challenge?: Challenge;
  /** Authorizations in a row whose token the server refused for its scope. */
  rejections?: number;
}

/** Fields to change; `null` removes one. */
export type AuthPatch = { [K in Exclude<keyof AuthRecord, "url">]?: AuthRecord[K] | null };

/** An authorization that was started and not yet completed (the `state` parameter's record). */
export interface PendingAuthorization {
  server: string;
  url: string;
  /** The owner it was started for: the callback carries no API key. */
  owner: string;
  codeVerifier: string;
  redirectUri: string;
  scope?: string;
  resourceMetadataUrl?: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A server an owner added for themselves (`POST /api/servers`). */
export interface UserServer {
  name: string;
  url: string;
  type?: McpTransportType;
  headers: Record<string, string>;
  created_at: string;
}

/** Everything of one owner's the MCP layer needs for a turn, read in one call. */
export interface OwnerMcpState {
  servers: UserServer[];
  auth: Record<string, AuthRecord>;
}

/** The owner's store as the MCP layer uses it during a turn. */
export interface OwnerMcpStore {
  state(): Promise<OwnerMcpState>;
  /** Merges `patch` into the server's record; a record for another URL is replaced. */
  saveAuth(server: string, url: string, patch: AuthPatch): Promise<void>;
  /** Drops the tokens, unless they changed meanwhile (another turn refreshed them). */
  dropTokens(server: string, accessToken: string): Promise<void>;
}
