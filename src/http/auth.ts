/**
 * API keys (`API_KEYS`): `Authorization: Bearer <key>` or `X-API-Key`, compared in constant time;
 * for GET streams a signed `?token=`. The key's name is the owner of everything it creates, so a
 * conversation of another key is simply not there (404). With no keys configured, auth is off and
 * every caller is the one local owner.
 */
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { ApiKey, Config } from "../config";
import type { AppEnv } from "./app-env";
import { LOCAL_OWNER } from "./context";
import { ApiError } from "./errors";
import { errors, json, routes } from "./openapi";
import { mintToken, verifyToken } from "./tokens";

const utf8 = new TextEncoder();

/** Routes anyone may call: liveness, and the page browsers land on. */
const PUBLIC = new Set(["GET /health", "GET /", "HEAD /", "OPTIONS *"]);

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Checks every key, without stopping at the first match, over fixed-length digests: no timing tells. */
async function ownerOf(keys: ApiKey[], presented: string): Promise<string | null> {
  const given = await digest(presented);
  let owner: string | null = null;
  for (const k of keys) if (sameBytes(given, await digest(k.key))) owner = k.name;
  return owner;
}

function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  const m = authorization?.match(/^Bearer\s+(.+)$/i);
  return m?.[1].trim() || apiKeyHeader?.trim() || undefined;
}

function unauthorized(code: "missing_api_key" | "invalid_api_key" | "invalid_token", message: string): ApiError {
  return new ApiError(code, message, { headers: { "WWW-Authenticate": 'Bearer realm="edge-chat"' } });
}

export function authOn(config: Config): boolean {
  return config.apiKeys.length > 0;
}

export function auth(): MiddlewareHandler<AppEnv> {
  return async function auth(c, next) {
    const config = c.get("config");
    if (!authOn(config)) {
      c.set("owner", LOCAL_OWNER);
      return next();
    }
    const path = new URL(c.req.url).pathname;
    if (PUBLIC.has(`${c.req.method} ${path}`) || (c.req.method === "OPTIONS" && PUBLIC.has("OPTIONS *"))) return next();

    const key = presentedKey(c.req.header("authorization"), c.req.header("x-api-key"));
    if (key) {
      const owner = await ownerOf(config.apiKeys, key);
      if (!owner) throw unauthorized("invalid_api_key", "the API key is not valid");
      c.set("owner", owner);
      return next();
    }
    const token = c.req.query("token");
    if (token !== undefined) {
      // Tokens exist for EventSource, which can only GET.
      const owner = c.req.method === "GET" ? await verifyToken(config, token) : null;
      if (!owner)
        throw unauthorized(
          "invalid_token",
          "the token is not valid, has expired, or was used for something other than a GET",
        );
      c.set("owner", owner);
      return next();
    }
    throw unauthorized("missing_api_key", "an API key is required: send Authorization: Bearer <key> (or X-API-Key)");
  };
}

/** `POST /api/auth/token`: a short-lived token for `?token=` on GET streams. */
export const tokens = routes().openapi(
  createRoute({
    method: "post",
    path: "/api/auth/token",
    summary: "Mint a short-lived token for GET streams (EventSource cannot send headers)",
    tags: ["auth"],
    responses: { 200: json("{token, expires_at}"), ...errors("auth_off", "invalid_api_key") },
  }),
  async (c) => {
    const config = c.get("config");
    if (!authOn(config)) throw new ApiError("auth_off", "auth is off (API_KEYS is not set): no token is needed");
    const { token, expiresAt } = await mintToken(config, c.get("owner"));
    return c.json(
      { token, expires_at: expiresAt.toISOString(), usage: "append ?token=<token> to GET stream URLs" },
      200,
    );
  },
);
