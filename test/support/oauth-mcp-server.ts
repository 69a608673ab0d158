/**
 * A real OAuth-protected MCP server for tests, in Node, built from the MCP SDK's own server pieces:
 * an authorization server (`mcpAuthRouter`: RFC 8414 metadata, dynamic client registration,
 * authorize with PKCE, token and refresh, revocation) on one port, and a resource server on
 * another (RFC 9728 metadata via `mcpAuthMetadataRouter`, `requireBearerAuth` in front of a
 * streamable HTTP MCP endpoint). Only the user is simulated: the authorization page approves at
 * once, or (`consent: true`) shows an Approve button a browser clicks. Both bind 127.0.0.1.
 *
 * Tests inside workerd cannot call into this process, so it is steered over HTTP too: `POST
 * <issuer>/__control/expire` makes every access token invalid (a refresh is then needed), `POST
 * <issuer>/__control/revoke` invalidates refresh tokens as well, `GET <issuer>/__control/log`
 * lists what was asked of it.
 */
import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthRegisteredClientsStore } from "@modelcontextprotocol/sdk/server/auth/clients.js";
import { InvalidGrantError, InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { AuthorizationParams, OAuthServerProvider } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import {
  createOAuthMetadata,
  mcpAuthMetadataRouter,
  mcpAuthRouter,
} from "@modelcontextprotocol/sdk/server/auth/router.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { OAuthClientInformationFull, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import express, { type Response } from "express";

export interface OAuthMcpServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  /** The authorization server, `http://127.0.0.1:<port>`. */
  issuer: string;
  /** Everything asked of either server, in order: `METHOD path` (and the grant type for token requests). */
  log: string[];
  /** Every access token issued so far, newest last. */
  issued: string[];
  expireAccessTokens(): void;
  revokeAll(): void;
  close(): Promise<void>;
}

export interface OAuthMcpOptions {
  /** Show an authorization page with an Approve button instead of approving at once. */
  consent?: boolean;
  /** Scopes the authorization server offers (and the resource metadata lists). */
  scopes?: string[];
  /** Seconds an access token lives. */
  tokenLifetime?: number;
  /** The host name the authorization server is advertised under (it listens on 127.0.0.1 anyway). */
  issuerHost?: string;
}

interface Code {
  client: OAuthClientInformationFull;
  params: AuthorizationParams;
}

interface Grant {
  clientId: string;
  scopes: string[];
  resource?: string;
}

class Clients implements OAuthRegisteredClientsStore {
  readonly clients = new Map<string, OAuthClientInformationFull>();
  async getClient(id: string) {
    return this.clients.get(id);
  }
  async registerClient(client: OAuthClientInformationFull) {
    this.clients.set(client.client_id, client);
    return client;
  }
}

/** The authorization server's decisions: a real OAuth server whose only simulated part is the user. */
class Provider implements OAuthServerProvider {
  readonly clientsStore = new Clients();
  readonly codes = new Map<string, Code>();
  readonly access = new Map<string, Grant & { expiresAt: number }>();
  readonly refresh = new Map<string, Grant>();
  readonly issued: string[] = [];

  constructor(private readonly options: OAuthMcpOptions) {}

  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    const code = randomUUID();
    this.codes.set(code, { client, params });
    const back = new URL(params.redirectUri);
    back.searchParams.set("code", code);
    if (params.state !== undefined) back.searchParams.set("state", params.state);
    if (!this.options.consent) return res.redirect(back.href);
    const name = (client.client_name ?? client.client_id).replace(/[<>&"]/g, "");
    res
      .status(200)
      .type("html")
      .send(
        `<!doctype html><title>Authorize ${name}</title><h1>Authorize ${name}?</h1>` +
          `<p>Scopes: ${(params.scopes ?? []).join(" ") || "(none)"}</p>` +
          `<a id="approve" href="${back.href.replace(/"/g, "&quot;")}">Approve</a>`,
      );
  }

  async challengeForAuthorizationCode(_client: OAuthClientInformationFull, code: string): Promise<string> {
    const found = this.codes.get(code);
    if (!found) throw new InvalidGrantError("unknown authorization code");
    return found.params.codeChallenge;
  }

  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    code: string,
    _verifier?: string,
    redirectUri?: string,
  ): Promise<OAuthTokens> {
    const found = this.codes.get(code);
    if (!found || found.client.client_id !== client.client_id)
      throw new InvalidGrantError("unknown authorization code");
    if (redirectUri && redirectUri !== found.params.redirectUri) throw new InvalidGrantError("redirect_uri differs");
    this.codes.delete(code);
    return this.issue({
      clientId: client.client_id,
      scopes: found.params.scopes ?? [],
      resource: found.params.resource?.href,
    });
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, token: string): Promise<OAuthTokens> {
    const grant = this.refresh.get(token);
    if (!grant || grant.clientId !== client.client_id) throw new InvalidGrantError("unknown refresh token");
    // Rotated, as OAuth 2.1 asks of public clients.
    this.refresh.delete(token);
    return this.issue(grant);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const grant = this.access.get(token);
    if (!grant) throw new InvalidTokenError("unknown or expired token");
    return {
      token,
      clientId: grant.clientId,
      scopes: grant.scopes,
      expiresAt: Math.floor(grant.expiresAt / 1000),
      ...(grant.resource ? { resource: new URL(grant.resource) } : {}),
    };
  }

  private issue(grant: Grant): OAuthTokens {
    const lifetime = this.options.tokenLifetime ?? 3600;
    const access = `at-${randomUUID()}`;
    const refresh = `rt-${randomUUID()}`;
    this.access.set(access, { ...grant, expiresAt: Date.now() + lifetime * 1000 });
    this.refresh.set(refresh, grant);
    this.issued.push(access);
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: lifetime,
      refresh_token: refresh,
      ...(grant.scopes.length ? { scope: grant.scopes.join(" ") } : {}),
    };
  }
}

/** The MCP server behind the bearer check: `whoami` says which scopes the caller's token has. */
function mcpServer(auth: AuthInfo | undefined): Server {
  const server = new Server({ name: "oauth-test-server", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      { name: "whoami", description: "Who the token belongs to", inputSchema: { type: "object" } },
      {
        name: "shout",
        description: "Upper-cases a text",
        inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    if (request.params.name === "whoami")
      return { content: [{ type: "text", text: `client ${auth?.clientId} with scopes [${auth?.scopes.join(" ")}]` }] };
    return { content: [{ type: "text", text: String(request.params.arguments?.text ?? "").toUpperCase() }] };
  });
  return server;
}

function listen(app: express.Express): Promise<{ server: HttpServer; origin: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
    server.once("error", reject);
  });
}

export async function startOAuthMcpServer(options: OAuthMcpOptions = {}): Promise<OAuthMcpServer> {
  const provider = new Provider(options);
  const log: string[] = [];
  const scopes = options.scopes ?? ["mcp:tools"];
  const record = (prefix: string) => (req: express.Request, _res: Response, next: () => void) => {
    const grant = req.method === "POST" && req.path === "/token" ? ` ${req.body?.grant_type}` : "";
    log.push(`${prefix}${req.method} ${req.path}${grant}`);
    next();
  };

  // Listen first: the routers need their own URLs.
  const asApp = express();
  const rsApp = express();
  const [listened, rs] = await Promise.all([listen(asApp), listen(rsApp)]);
  const as = {
    ...listened,
    origin: options.issuerHost ? listened.origin.replace("127.0.0.1", options.issuerHost) : listened.origin,
  };
  const mcpUrl = new URL(`${rs.origin}/mcp`);

  asApp.use(express.urlencoded({ extended: false }), express.json());
  asApp.use(record("as: "));
  asApp.post("/__control/expire", (_req, res) => {
    provider.access.clear();
    res.json({ ok: true });
  });
  asApp.post("/__control/revoke", (_req, res) => {
    provider.access.clear();
    provider.refresh.clear();
    res.json({ ok: true });
  });
  asApp.get("/__control/log", (_req, res) => res.json({ log, issued: provider.issued }));
  asApp.use(
    mcpAuthRouter({
      provider,
      issuerUrl: new URL(as.origin),
      scopesSupported: scopes,
      // Tests make many requests from one address.
      authorizationOptions: { rateLimit: false },
      tokenOptions: { rateLimit: false },
      clientRegistrationOptions: { rateLimit: false },
      revocationOptions: { rateLimit: false },
    }),
  );

  const metadata = createOAuthMetadata({ provider, issuerUrl: new URL(as.origin), scopesSupported: scopes });
  rsApp.use(express.json());
  rsApp.use(record("rs: "));
  rsApp.use(mcpAuthMetadataRouter({ oauthMetadata: metadata, resourceServerUrl: mcpUrl, scopesSupported: scopes }));
  const bearer = requireBearerAuth({
    verifier: provider,
    resourceMetadataUrl: `${rs.origin}/.well-known/oauth-protected-resource/mcp`,
  });
  rsApp.all("/mcp", bearer, async (req, res) => {
    // Stateless: a fresh server per request, as the SDK recommends for servers without sessions.
    const server = mcpServer((req as { auth?: AuthInfo }).auth);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  const close = (server: HttpServer) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: mcpUrl.href,
    issuer: as.origin,
    log,
    issued: provider.issued,
    expireAccessTokens: () => provider.access.clear(),
    revokeAll: () => {
      provider.access.clear();
      provider.refresh.clear();
    },
    close: async () => {
      await Promise.all([close(listened.server), close(rs.server)]);
    },
  };
}
