/**
 * The interactive authorization of one server for one owner, in two requests: starting it (the
 * authorization URL a user agent visits) and completing it (the code the user agent brings back
 * to the callback). The SDK's `auth()` does the protocol in both; this file feeds it what the last
 * challenge said and keeps the `state` single-use and bound to its owner.
 */
import { auth, extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { randomToken } from "../../lib/seal";
import { redactUrl, scrub } from "../redact";
import { guardedFetch, type McpServerConfig } from "../servers";
import { MAX_SCOPE_REJECTIONS, OwnerOAuthProvider } from "./provider";
import type { AuthRecord, Challenge, OwnerMcpStore, PendingAuthorization } from "./types";

/** How long a user has to finish an authorization. */
export const AUTHORIZATION_TTL_MS = 10 * 60_000;

/** The owner's store as the two requests use it. */
export interface AuthorizationStore extends OwnerMcpStore {
  authRecord(server: string): Promise<AuthRecord | null>;
  beginAuthorization(nonce: string, pending: PendingAuthorization): Promise<void>;
}

/** Why an authorization cannot start or finish; the message is safe to show. */
export class AuthorizationError extends Error {
  constructor(
    readonly reason: "not_needed" | "scope_refused" | "failed",
    message: string,
  ) {
    super(message);
    this.name = "AuthorizationError";
  }
}

export interface StartOptions {
  server: McpServerConfig;
  owner: string;
  store: AuthorizationStore;
  /** Where the authorization server sends the user agent back: our callback. */
  redirectUri: string;
  /** Our Client ID Metadata Document's URL, used as `client_id` where the server supports it. */
  clientMetadataUrl?: string;
  /** Builds the `state` parameter from the nonce that makes it unguessable. */
  stateFor(nonce: string): string;
  fetch?: FetchLike;
}

/**
 * The URL to send the user agent to. The scope and metadata location come from the server's last
 * challenge (recorded by a turn or a listing); with none recorded the server is asked once.
 */
export async function startAuthorization(options: StartOptions): Promise<URL> {
  const { server, store } = options;
  const fetchFn = options.fetch ?? guardedFetch(server);
  const record = (await store.authRecord(server.name)) ?? { url: server.url };
  const current = record.url === server.url ? record : { url: server.url };
  if ((current.rejections ?? 0) >= MAX_SCOPE_REJECTIONS)
    throw new AuthorizationError(
      "scope_refused",
      `MCP server "${server.name}" refused the scopes it granted ${current.rejections} times; authorizing again would not help (forget the authorization to start over)`,
    );
  const challenge = current.challenge ?? (await probe(server, fetchFn));
  if (!challenge)
    throw new AuthorizationError("not_needed", `MCP server "${server.name}" does not ask for an authorization`);
  const nonce = randomToken();
  const provider = new OwnerOAuthProvider(server, store, current, {
    kind: "authorize",
    state: options.stateFor(nonce),
    redirectUri: options.redirectUri,
    clientMetadataUrl: options.clientMetadataUrl,
  });
  await run(server, () =>
    auth(provider, {
      serverUrl: server.url,
      scope: challenge.scope,
      resourceMetadataUrl: challenge.resourceMetadataUrl ? new URL(challenge.resourceMetadataUrl) : undefined,
      fetchFn,
    }),
  );
  const { url, codeVerifier } = provider.captured;
  if (!url || !codeVerifier)
    throw new AuthorizationError("failed", `MCP server "${server.name}" gave no authorization URL`);
  await store.beginAuthorization(nonce, {
    server: server.name,
    url: server.url,
    owner: options.owner,
    codeVerifier,
    redirectUri: options.redirectUri,
    ...(url.searchParams.get("scope") ? { scope: url.searchParams.get("scope")! } : {}),
    ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
    expiresAt: Date.now() + AUTHORIZATION_TTL_MS,
  });
  return url;
}

/** Exchanges the code the user agent brought back; the tokens land in the owner's store. */
export async function completeAuthorization(options: {
  server: McpServerConfig;
  store: AuthorizationStore;
  pending: PendingAuthorization;
  code: string;
  fetch?: FetchLike;
}): Promise<void> {
  const { server, store, pending } = options;
  const record = (await store.authRecord(server.name)) ?? { url: server.url };
  const provider = new OwnerOAuthProvider(server, store, record.url === server.url ? record : { url: server.url }, {
    kind: "callback",
    redirectUri: pending.redirectUri,
    codeVerifier: pending.codeVerifier,
  });
  await run(server, () =>
    auth(provider, {
      serverUrl: server.url,
      authorizationCode: options.code,
      scope: pending.scope,
      resourceMetadataUrl: pending.resourceMetadataUrl ? new URL(pending.resourceMetadataUrl) : undefined,
      fetchFn: options.fetch ?? guardedFetch(server),
    }),
  );
}

/** Runs an SDK call, turning its failures into a message that names the server and no secret. */
async function run(server: McpServerConfig, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (err instanceof AuthorizationError) throw err;
    const text = err instanceof Error ? err.message || err.name : String(err);
    throw new AuthorizationError(
      "failed",
      `authorizing MCP server "${server.name}" at ${redactUrl(server.url)} failed: ${scrub(text, server).slice(0, 500)}`,
    );
  }
}

/** Asks the server once, without a token, what it wants (its `WWW-Authenticate`). */
async function probe(server: McpServerConfig, fetchFn: FetchLike = fetch): Promise<Challenge | null> {
  const sse = server.type === "sse";
  const res = await fetchFn(server.url, {
    method: sse ? "GET" : "POST",
    redirect: "manual",
    headers: {
      ...server.headers,
      accept: sse ? "text/event-stream" : "application/json, text/event-stream",
      ...(sse ? {} : { "content-type": "application/json" }),
    },
    body: sse
      ? undefined
      : JSON.stringify({
          jsonrpc: "2.0",
          id: 0,
          method: "initialize",
          params: {
            protocolVersion: LATEST_PROTOCOL_VERSION,
            capabilities: {},
            clientInfo: { name: "edge-chat", version: "0.1.0" },
          },
        }),
  }).catch(() => null);
  if (!res) return null;
  await res.body?.cancel();
  if (res.status !== 401 && res.status !== 403) return null;
  const { scope, resourceMetadataUrl } = extractWWWAuthenticateParams(res);
  return {
    ...(scope ? { scope } : {}),
    ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}),
  };
}
