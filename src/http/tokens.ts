/**
 * Short-lived signed tokens for clients that cannot send headers (a browser `EventSource`):
 * `base64url(payload).base64url(HMAC-SHA256(payload))`, payload `{o: owner, e: expiry seconds}`.
 */
import type { Config } from "../config";

const utf8 = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function hmacKey(config: Config): Promise<CryptoKey> {
  // Without TOKEN_SECRET the keys themselves seed it: rotating a key invalidates its tokens too.
  const seed = config.tokenSecret ?? `edge-chat-token:${config.apiKeys.map((k) => k.key).join("\n")}`;
  const raw = await crypto.subtle.digest("SHA-256", utf8.encode(seed));
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function mintToken(
  config: Config,
  owner: string,
  now = Date.now(),
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(now + config.tokenTtlSeconds * 1000);
  const payload = utf8.encode(JSON.stringify({ o: owner, e: Math.floor(expiresAt.getTime() / 1000) }));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(config), payload));
  return { token: `${b64url(payload)}.${b64url(sig)}`, expiresAt };
}

/** The owner a valid, unexpired token names; null for anything else. */
export async function verifyToken(config: Config, token: string, now = Date.now()): Promise<string | null> {
  const [p, s, extra] = token.split(".");
  if (!p || !s || extra !== undefined || token.length > 2048) return null;
  const payload = fromB64url(p);
  const sig = fromB64url(s);
  if (!payload || !sig) return null;
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(config), sig, payload))) return null;
  try {
    const { o, e } = JSON.parse(new TextDecoder().decode(payload)) as { o: unknown; e: unknown };
    if (typeof o !== "string" || typeof e !== "number" || e * 1000 < now) return null;
    return o;
  } catch {
    return null;
  }
}
