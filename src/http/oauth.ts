/**
 * The two public OAuth routes (a user agent comes here with no API key): the callback an
 * authorization server sends the user agent back to, and edge-chat's Client ID Metadata Document.
 * The callback finds the owner from its `state` (the owner's credentials object and a single-use
 * nonce recorded there), never from the request.
 */
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import { z } from "zod";
import type { Config } from "../config";
import { type CredentialsStore, storeAt } from "../credentials/address";
import { ERRORS } from "../errors";
import { AuthorizationError, CLIENT_NAME, completeAuthorization, type McpServerConfig } from "../mcp";
import { userServerConfig } from "../tools/create";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { errors, json, routeIn, routes } from "./openapi";

export const CALLBACK_PATH = "/api/mcp/oauth/callback";
export const CLIENT_METADATA_PATH = "/api/mcp/oauth/client.json";

/** The URL used as `client_id` with servers that accept metadata documents: the setting, else ours (https only). */
export function clientMetadataUrl(config: Config, origin: string): string | undefined {
  if (config.mcpClientMetadataUrl) return config.mcpClientMetadataUrl;
  return origin.startsWith("https://") ? `${origin}${CLIENT_METADATA_PATH}` : undefined;
}

const route = routeIn("oauth");

const CallbackQuery = z.object({
  code: z.string().optional(),
  state: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

type Outcome =
  | { ok: true; server: string }
  | {
      ok: false;
      server?: string;
      code: "mcp_authorization_invalid" | "mcp_authorization_denied" | "mcp_authorization_failed";
      detail: string;
    };

/**
 * A user agent (it asks for HTML) sees a page, and the page that opened it hears the outcome (same
 * origin only: `postMessage` to the opener and a `BroadcastChannel`); any other client gets JSON,
 * errors in the one error shape.
 */
function answer(c: Context<AppEnv>, outcome: Outcome) {
  const html =
    accepts(c, { header: "Accept", supports: ["application/json", "text/html"], default: "application/json" }) ===
    "text/html";
  if (!html) {
    if (!outcome.ok) throw new ApiError(outcome.code, outcome.detail);
    return c.json({ connected: true, server: outcome.server }, 200);
  }
  const text = outcome.ok
    ? `MCP server "${outcome.server}" is connected.`
    : `${ERRORS[outcome.code].sentence} ${capitalize(outcome.detail)}.`;
  const message = JSON.stringify({ type: "edge-chat:mcp-oauth", server: outcome.server ?? null, ok: outcome.ok });
  const title = outcome.ok ? "Connected" : "Not connected";
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · edge-chat</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<h1>${title}</h1><p id="result">${escapeHtml(text)}</p><p>You can close this window.</p>
<script>
  const outcome = ${message.replace(/</g, "\\u003c")};
  // The opener may be gone (an authorization server's Cross-Origin-Opener-Policy severs it): a
  // channel of this origin reaches the page all the same.
  try { new BroadcastChannel("edge-chat-oauth").postMessage(outcome); } catch {}
  if (window.opener) { window.opener.postMessage(outcome, location.origin); window.close(); }
</script>
</body></html>`;
  return c.html(page, outcome.ok ? 200 : ERRORS[outcome.code].status === 502 ? 502 : 400, {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    Vary: "Accept",
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The server a pending authorization was started for, if it is still there at the same URL. */
async function serverFor(
  config: Config,
  store: CredentialsStore,
  name: string,
  url: string,
): Promise<McpServerConfig | null> {
  const configured = config.mcpServers.servers.find((s) => s.name === name);
  if (configured) return configured.url === url ? configured : null;
  const added = (await store.servers()).find((s) => s.name === name);
  return added && added.url === url ? userServerConfig(config, added) : null;
}

export const oauth = routes()
  .openapi(
    route({
      at: "GET /api/mcp/oauth/callback",
      summary:
        "Where the authorization server sends the user agent back (a page saying whether the server is connected)",
      request: { query: CallbackQuery },
      responses: {
        200: {
          description: "connected: a page for a user agent, else {connected, server}",
          content: { "text/html": { schema: z.string() }, "application/json": { schema: z.unknown() } },
        },
        ...errors("mcp_authorization_invalid", "mcp_authorization_denied", "mcp_authorization_failed"),
      },
    }),
    async (c) => {
      const { code, state, error, error_description } = c.req.valid("query");
      const invalid = "the state is not one of an authorization in progress";
      const [ref, nonce] = (state ?? "").split(".", 2);
      let store: CredentialsStore;
      try {
        if (!ref || !nonce) throw new Error("no state");
        store = storeAt(c.env, c.env.MCP_CREDENTIALS.idFromString(ref));
      } catch {
        return answer(c, { ok: false, code: "mcp_authorization_invalid", detail: invalid });
      }
      // Taken (and so used up) even when the user said no: a state is good for one answer.
      const pending = await store.takeAuthorization(nonce).catch(() => null);
      if (!pending) return answer(c, { ok: false, code: "mcp_authorization_invalid", detail: invalid });
      const server = pending.server;
      if (error || !code) {
        // The authorization server's words, bounded: shown as text, never as markup.
        const said = error ? `${error}${error_description ? `: ${error_description}` : ""}`.slice(0, 300) : "no code";
        return answer(c, {
          ok: false,
          server,
          code: "mcp_authorization_denied",
          detail: `MCP server "${server}" answered ${said}`,
        });
      }
      const found = await serverFor(c.get("config"), store, server, pending.url);
      if (!found)
        return answer(c, {
          ok: false,
          server,
          code: "mcp_authorization_invalid",
          detail: `MCP server "${server}" is no longer set up here`,
        });
      try {
        await completeAuthorization({ server: found, store, pending, code });
      } catch (err) {
        const detail =
          err instanceof AuthorizationError
            ? err.message
            : `the code for MCP server "${server}" could not be exchanged`;
        return answer(c, { ok: false, server, code: "mcp_authorization_failed", detail });
      }
      return answer(c, { ok: true, server });
    },
  )
  .openapi(
    route({
      at: "GET /api/mcp/oauth/client.json",
      summary: "edge-chat's OAuth Client ID Metadata Document (its URL is its client_id)",
      responses: {
        200: json("{client_id, client_name, redirect_uris, grant_types, response_types, token_endpoint_auth_method}"),
      },
    }),
    (c) => {
      const origin = new URL(c.req.url).origin;
      return c.json(
        {
          client_id: `${origin}${CLIENT_METADATA_PATH}`,
          client_name: CLIENT_NAME,
          client_uri: origin,
          redirect_uris: [`${origin}${CALLBACK_PATH}`],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          token_endpoint_auth_method: "none",
        },
        200,
        { "Cache-Control": "public, max-age=3600" },
      );
    },
  );
