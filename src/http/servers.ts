/**
 * The MCP servers a caller's turns use: `GET /api/servers` (configured and added, with their
 * state), `POST /api/servers` and `DELETE /api/servers/{name}` (servers the owner adds for
 * themselves), and each server's OAuth authorization: `POST …/{name}/authorize` answers the URL a
 * user agent visits, `DELETE …/{name}/authorization` forgets the tokens.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { Config } from "../config";
import { type CredentialsStore, credentialsId, ownerStore } from "../credentials/address";
import { NoTokenKey } from "../credentials/credentials";
import { urlRefusal } from "../llm/outbound";
import {
  AuthorizationError,
  type McpServerConfig,
  parseEntry,
  redactUrl,
  SERVER_NAME,
  startAuthorization,
} from "../mcp";
import { createTools, ownersMayAddServers, userServerConfig } from "../tools/create";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { CALLBACK_PATH, clientMetadataUrl } from "./oauth";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";

const route = routeIn("servers");

const NameParam = z.object({
  name: z.string().regex(SERVER_NAME, "must be 1-64 letters, digits, '_' or '-'"),
});

const AddBody = z.object({
  name: z.string({ error: "must be a string" }).regex(SERVER_NAME, "must be 1-64 letters, digits, '_' or '-'"),
  url: z.string({ error: "must be a string" }).max(2048),
  type: z.string().optional(),
  headers: z.record(z.string(), z.string({ error: "must be a string" })).optional(),
});

/** The owner's store, or the error that says why there is none. */
function storeOf(c: Context<AppEnv>): CredentialsStore {
  const store = ownerStore(c.env, c.get("config"), c.get("owner"));
  if (!store) throw new ApiError("mcp_token_key_missing", new NoTokenKey().message);
  return store;
}

function configured(config: Config, name: string): McpServerConfig | undefined {
  return config.mcpServers.servers.find((s) => s.name === name);
}

/** A configured server of that name, else one the owner added; 404 for neither. */
async function serverNamed(c: Context<AppEnv>, name: string): Promise<McpServerConfig> {
  const config = c.get("config");
  const found = configured(config, name);
  if (found) return found;
  const store = ownerStore(c.env, config, c.get("owner"));
  const added = store ? (await store.servers()).find((s) => s.name === name) : undefined;
  if (!added) throw new ApiError("mcp_server_not_found", `no MCP server named "${name}"`);
  return userServerConfig(config, added);
}

export const servers = routes()
  .openapi(
    route({
      at: "GET /api/servers",
      summary: "The MCP servers of the caller's turns (configured, then added) and their state",
      responses: { 200: json("{servers: [{name, url, transport, status, error?, tool_count, auth?, source?}]}") },
    }),
    async (c) => {
      const config = c.get("config");
      const owner = c.get("owner");
      // Fresh connections, not the isolate's cached list: this is the page an operator checks.
      const { toolbox, mcp } = createTools(config, {
        cacheTtlMs: 0,
        owner: { id: owner, store: ownerStore(c.env, config, owner) },
      });
      try {
        await toolbox.list();
        return c.json({ servers: mcp?.status() ?? [] }, 200);
      } finally {
        await toolbox.close();
      }
    },
  )
  .openapi(
    route({
      at: "POST /api/servers",
      summary: "Add a remote MCP server to the caller's own turns",
      request: { body: jsonBody(AddBody) },
      responses: {
        201: json("{server: {name, url, transport, source}}"),
        ...errors(
          "invalid_request",
          "mcp_server_not_allowed",
          "mcp_server_exists",
          "mcp_servers_full",
          "mcp_token_key_missing",
        ),
      },
    }),
    async (c) => {
      const config = c.get("config");
      const body = c.req.valid("json");
      // Without a key to seal them, no server can be added, whatever the request says.
      const store = storeOf(c);
      if (configured(config, body.name))
        throw new ApiError("mcp_server_exists", `"${body.name}" is a configured MCP server`, { param: "name" });
      const parsed = parseEntry(body.name, { url: body.url, type: body.type, headers: body.headers });
      if ("reason" in parsed) {
        const param = /header/.test(parsed.reason) ? "headers" : /type|stdio/.test(parsed.reason) ? "type" : "url";
        throw new ApiError("invalid_request", `${param}: ${parsed.reason}`, { param });
      }
      if (!ownersMayAddServers(config))
        throw new ApiError(
          "mcp_server_not_allowed",
          "no host is allowed for added servers (UPSTREAM_ALLOWLIST is empty)",
          {
            param: "url",
          },
        );
      const refusal = urlRefusal(new URL(parsed.url), config.upstreamAllowlist);
      if (refusal) throw new ApiError("mcp_server_not_allowed", `url: ${refusal}`, { param: "url" });
      const added = await store.addServer({
        name: parsed.name,
        url: parsed.url,
        ...(parsed.type ? { type: parsed.type } : {}),
        headers: parsed.headers,
        created_at: new Date().toISOString(),
      });
      if (added === "exists")
        throw new ApiError("mcp_server_exists", `you already have an MCP server named "${parsed.name}"`, {
          param: "name",
        });
      if (added === "full") throw new ApiError("mcp_servers_full", "remove one of your MCP servers first");
      return c.json(
        {
          server: { name: parsed.name, url: redactUrl(parsed.url), transport: parsed.type ?? null, source: "user" },
        },
        201,
      );
    },
  )
  .openapi(
    route({
      at: "DELETE /api/servers/{name}",
      summary: "Remove an MCP server the caller added (and its authorization)",
      request: { params: NameParam },
      responses: {
        200: json("{removed: true}"),
        ...errors("mcp_server_not_found", "mcp_server_configured"),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      if (configured(c.get("config"), name))
        throw new ApiError("mcp_server_configured", `"${name}" is configured for everyone`);
      const store = ownerStore(c.env, c.get("config"), c.get("owner"));
      if (!store || !(await store.removeServer(name)))
        throw new ApiError("mcp_server_not_found", `you have no MCP server named "${name}"`);
      return c.json({ removed: true }, 200);
    },
  )
  .openapi(
    route({
      at: "POST /api/servers/{name}/authorize",
      summary: "Start the OAuth authorization of a server: the URL a user agent must visit",
      request: { params: NameParam },
      responses: {
        200: json("{authorization_url}"),
        ...errors(
          "mcp_server_not_found",
          "mcp_authorization_not_needed",
          "mcp_scope_refused",
          "mcp_token_key_missing",
          "mcp_authorization_failed",
        ),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const server = await serverNamed(c, name);
      if (server.auth?.type === "client_credentials")
        throw new ApiError("mcp_authorization_not_needed", `"${name}" is authorized with the server's own credentials`);
      const store = storeOf(c);
      const origin = new URL(c.req.url).origin;
      const owner = c.get("owner");
      const ownerRef = credentialsId(c.env, owner).toString();
      try {
        const url = await startAuthorization({
          server,
          owner,
          store,
          redirectUri: `${origin}${CALLBACK_PATH}`,
          clientMetadataUrl: clientMetadataUrl(c.get("config"), origin),
          stateFor: (nonce) => `${ownerRef}.${nonce}`,
        });
        return c.json({ authorization_url: url.href }, 200);
      } catch (err) {
        if (!(err instanceof AuthorizationError)) throw err;
        const code =
          err.reason === "not_needed"
            ? "mcp_authorization_not_needed"
            : err.reason === "scope_refused"
              ? "mcp_scope_refused"
              : "mcp_authorization_failed";
        throw new ApiError(code, err.message);
      }
    },
  )
  .openapi(
    route({
      at: "DELETE /api/servers/{name}/authorization",
      summary: "Forget the caller's tokens for a server (its next use asks for a new authorization)",
      request: { params: NameParam },
      responses: { 200: json("{forgotten: boolean}"), ...errors("mcp_server_not_found") },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      await serverNamed(c, name);
      const store = ownerStore(c.env, c.get("config"), c.get("owner"));
      return c.json({ forgotten: store ? await store.forget(name) : false }, 200);
    },
  );
