/**
 * API keys (`API_KEYS`): `Authorization: Bearer <key>` or `X-API-Key`, compared in constant time;
 * for one session's GET streams a signed `?token=`. The key's name (or, for a key that acts for
 * its users, the end user it names: end-users.ts) is the owner of everything it creates, so a
 * conversation of another owner is simply not there (404). With no keys configured, auth is off
 * and every caller is the one local owner.
 */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { sha256 } from "hono/utils/crypto";
import { z } from "zod";
import type { ApiKey, Config } from "../config";
import type { AppEnv } from "./app-env";
import { countAuthFailure, refuseBlockedAddress } from "./auth-failures";
import { LOCAL_OWNER } from "./context";
import { ownerFor } from "./end-users";
import { ApiError } from "./errors";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";
import { mintToken, verifyToken } from "./tokens";
import { SessionIdSchema } from "./validate";

/**
 * Routes anyone may call: liveness, the page browsers land on, and the two OAuth pages an
 * authorization server sends a user agent to (which find their owner from the `state`).
 */
const PUBLIC = new Set([
  "GET /health",
  "GET /",
  "HEAD /",
  "OPTIONS *",
  "GET /api/mcp/oauth/callback",
  "GET /api/mcp/oauth/client.json",
]);

/** Each configured key's SHA-256, computed once per parsed config rather than on every request. */
const keyDigests = new WeakMap<readonly ApiKey[], Promise<(string | null)[]>>();

function digestsOf(keys: readonly ApiKey[]): Promise<(string | null)[]> {
  let digests = keyDigests.get(keys);
  if (!digests) {
    digests = Promise.all(keys.map((k) => sha256(k.key)));
    keyDigests.set(keys, digests);
  }
  return digests;
}

/**
 * Both sides are already SHA-256 hex digests, 64 characters each. `timingSafeEqual` would hash
 * them again by default (to make the compare fixed-length), which here only costs time; given
 * the raw strings instead, its second compare runs over the longer of the two and so tells the
 * key's length.
 */
const alreadyHashed = (digest: string) => digest;

/**
 * Compares with every key, without stopping at the first match (as `bearerAuth`'s key list
 * does), so the time taken does not say which key matched or how far down the list it is.
 */
async function keyOf(keys: readonly ApiKey[], presented: string): Promise<ApiKey | null> {
  const [given, known] = await Promise.all([sha256(presented), digestsOf(keys)]);
  let found: ApiKey | null = null;
  for (const [i, digest] of known.entries())
    if (given && digest && (await timingSafeEqual(given, digest, alreadyHashed))) found = keys[i];
  return found;
}

/**
 * Read by hand, not with `hono/bearer-auth`: that reads one header and answers at once when it is
 * missing (we fall back to `X-API-Key`, then `?token=`), answers 400 to a key outside its token
 * alphabet (ours is a 401 like any wrong key), and throws its own response instead of our error
 * body.
 */
function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  const m = authorization?.match(/^Bearer\s+(.+)$/i);
  return m?.[1].trim() || apiKeyHeader?.trim() || undefined;
}

function unauthorized(code: "missing_api_key" | "invalid_api_key" | "invalid_token", message: string): ApiError {
  return new ApiError(code, message, { headers: { "WWW-Authenticate": 'Bearer realm="edge-chat"' } });
}

/** The GET routes a browser's EventSource opens, each naming its session in the path. */
const STREAM_PATHS = [/^\/api\/chat\/([^/]+)\/stream$/, /^\/api\/v1\/chat\/([^/]+)\/stream$/];

/**
 * The session a GET stream route is for (`/chat/stream` names it in `?session_id=`); null for
 * every other route, which no token opens.
 */
function streamSessionOf(path: string, sessionQuery: string | undefined): string | null {
  if (path === "/chat/stream") return sessionQuery ?? null;
  for (const pattern of STREAM_PATHS) {
    const m = path.match(pattern);
    if (m) return m[1];
  }
  return null;
}

export function authOn(config: Config): boolean {
  return config.apiKeys.length > 0;
}

export function auth(): MiddlewareHandler<AppEnv> {
  return async function auth(c, next) {
    const config = c.get("config");
    const path = new URL(c.req.url).pathname;
    const open = PUBLIC.has(`${c.req.method} ${path}`) || (c.req.method === "OPTIONS" && PUBLIC.has("OPTIONS *"));
    if (!authOn(config)) {
      c.set("owner", open ? LOCAL_OWNER : ownerFor(c, null, LOCAL_OWNER));
      return next();
    }
    if (open) return next();

    const key = presentedKey(c.req.header("authorization"), c.req.header("x-api-key"));
    const token = c.req.query("token");
    if (key || token !== undefined) refuseBlockedAddress(c);
    if (key) {
      const found = await keyOf(config.apiKeys, key);
      if (!found) {
        await countAuthFailure(c);
        throw unauthorized("invalid_api_key", "the API key is not valid");
      }
      c.set("apiKey", found);
      c.set("owner", ownerFor(c, found, found.name));
      return next();
    }
    if (token !== undefined) {
      // Tokens exist for EventSource, which can only GET: they open that one session's streams.
      const grant = c.req.method === "GET" ? await verifyToken(config, token) : null;
      if (!grant || streamSessionOf(c.req.path, c.req.query("session_id")) !== grant.sessionId) {
        await countAuthFailure(c);
        throw unauthorized(
          "invalid_token",
          "the token is not valid, has expired, or was used for something other than a GET stream of its session",
        );
      }
      c.set("owner", grant.owner);
      return next();
    }
    throw unauthorized("missing_api_key", "an API key is required: send Authorization: Bearer <key> (or X-API-Key)");
  };
}

/** `POST /api/auth/token`: a short-lived token for `?token=` on one session's GET streams. */
const route = routeIn("auth");

const TokenBody = z.object({ session_id: SessionIdSchema.describe("the session whose GET streams the token opens") });

export const tokens = routes().openapi(
  route({
    at: "POST /api/auth/token",
    summary: "Mint a short-lived token for one session's GET streams (EventSource cannot send headers)",
    request: { body: jsonBody(TokenBody) },
    responses: { 200: json("{token, expires_at}"), ...errors("auth_off", "invalid_api_key", "invalid_request") },
  }),
  async (c) => {
    const config = c.get("config");
    if (!authOn(config)) throw new ApiError("auth_off", "auth is off (API_KEYS is not set): no token is needed");
    const sessionId = c.req.valid("json").session_id;
    const { token, expiresAt } = await mintToken(config, { owner: c.get("owner"), sessionId });
    return c.json(
      {
        token,
        expires_at: expiresAt.toISOString(),
        usage: `append ?token=<token> to GET /api/chat/${sessionId}/stream, GET /api/v1/chat/${sessionId}/stream or GET /chat/stream?session_id=${sessionId}`,
      },
      200,
    );
  },
);
