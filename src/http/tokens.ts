/**
 * Short-lived signed tokens for clients that cannot send headers (a browser `EventSource`): HS256
 * JWTs (`sub` = owner, `sid` = the one session whose streams it opens, `exp`) made and checked by
 * Hono's JWT helpers. Only HS256 verifies: the algorithm is ours to name, never the token's.
 */
// `hono/utils/jwt` holds the same `sign`/`verify` as `hono/jwt`, without that module's declaring a
// `jwtPayload` context variable for every route (this app declares its context in app-env.ts).
import { Jwt } from "hono/utils/jwt";
import type { Config } from "../config";

const ALG = "HS256";

/** Far above any token minted here (owner names are at most 64 characters); longer is not parsed. */
const MAX_TOKEN_CHARS = 2048;

const utf8 = new TextEncoder();
const hmacKeys = new WeakMap<Config, Promise<CryptoKey>>();

function hmacKey(config: Config): Promise<CryptoKey> {
  let key = hmacKeys.get(config);
  if (!key) {
    key = importHmacKey(config);
    hmacKeys.set(config, key);
  }
  return key;
}

async function importHmacKey(config: Config): Promise<CryptoKey> {
  // Without TOKEN_SECRET the keys themselves seed it: rotating a key invalidates its tokens too.
  const seed = config.tokenSecret ?? `edge-chat-token:${config.apiKeys.map((k) => k.key).join("\n")}`;
  const raw = await crypto.subtle.digest("SHA-256", utf8.encode(seed));
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** What a token lets its bearer do: open the GET streams of one session of one owner. */
export interface StreamGrant {
  owner: string;
  sessionId: string;
}

export async function mintToken(
  config: Config,
  { owner, sessionId }: StreamGrant,
  now = Date.now(),
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(now + config.tokenTtlSeconds * 1000);
  const claims = { sub: owner, sid: sessionId, exp: Math.floor(expiresAt.getTime() / 1000) };
  const token = await Jwt.sign(claims, await hmacKey(config), ALG);
  return { token, expiresAt };
}

/** The grant of a valid, unexpired token; null for anything else, never an exception. */
export async function verifyToken(config: Config, token: string, now = Date.now()): Promise<StreamGrant | null> {
  if (token.length > MAX_TOKEN_CHARS) return null;
  const key = await hmacKey(config);
  try {
    const { sub, sid, exp } = await Jwt.verify(token, key, ALG);
    // Hono checks `exp` only when a token has one, and against its own clock: require it, at `now`.
    if (typeof sub !== "string" || typeof sid !== "string" || typeof exp !== "number" || exp * 1000 <= now) return null;
    return { owner: sub, sessionId: sid };
  } catch {
    // Whatever a caller sent: Hono throws its Jwt* errors for malformed, tampered, expired or
    // other-algorithm tokens, and a plain TypeError for some shapes (a payload of `null`).
    return null;
  }
}
