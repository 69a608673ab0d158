import { Jwt } from "hono/utils/jwt";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { mintToken, verifyToken } from "../../src/http/tokens";

const SECRET = "token-secret-for-tests";
const config = loadConfig({ API_KEYS: "alice:sk-alice-0123456789,bob:sk-bob-0123456789", TOKEN_SECRET: SECRET });
const HOUR = 3600;
const ALICE = { owner: "alice", sessionId: "s-1" };

const b64url = (text: string) => Buffer.from(text).toString("base64url");
const later = () => Math.floor(Date.now() / 1000) + HOUR;

/** The HMAC key tokens.ts derives from TOKEN_SECRET, to sign tokens it would never mint itself. */
async function sameKey(): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET));
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** A JWT signed with the right key but carrying whatever claims and algorithm. */
async function signedWith(claims: Record<string, unknown>, alg: "HS256" | "HS512" = "HS256"): Promise<string> {
  const raw = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET));
  const key =
    alg === "HS256"
      ? await sameKey()
      : await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-512" }, false, ["sign"]);
  return Jwt.sign(claims, key, alg);
}

async function expectInvalid(token: string, at?: number, under = config) {
  await expect(verifyToken(under, token, at)).resolves.toBeNull();
}

describe("signed GET tokens", () => {
  it("name their owner and session until they expire, as a standard JWT", async () => {
    const { token, expiresAt } = await mintToken(config, ALICE);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan((config.tokenTtlSeconds - 5) * 1000);
    await expect(verifyToken(config, token)).resolves.toEqual(ALICE);
    const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    expect(payload).toEqual({ sub: "alice", sid: "s-1", exp: Math.floor(expiresAt.getTime() / 1000) });
  });

  it("refuse a tampered signature or payload", async () => {
    const { token } = await mintToken(config, ALICE);
    const [header, payload, sig] = token.split(".");
    // A middle character: the last one of a base64url signature may carry only padding bits.
    const flipped = `${sig.slice(0, 10)}${sig[10] === "A" ? "B" : "A"}${sig.slice(11)}`;
    await expectInvalid(`${header}.${payload}.${flipped}`);
    await expectInvalid(`${header}.${b64url(JSON.stringify({ sub: "bob", sid: "s-1", exp: later() }))}.${sig}`);
    await expectInvalid(`${header}.${payload}.`);
    await expectInvalid(`${payload}.${sig}`);
  });

  it("refuse alg none and any other algorithm, even signed with the right secret", async () => {
    const claims = b64url(JSON.stringify({ sub: "alice", sid: "s-1", exp: later() }));
    await expectInvalid(`${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${claims}.`);
    await expectInvalid(`${claims}.`);
    await expectInvalid(await signedWith({ sub: "alice", sid: "s-1", exp: later() }, "HS512"));
  });

  it("refuse an expired token, one without exp, and one whose sub is not a name", async () => {
    const { token } = await mintToken(config, ALICE);
    await expectInvalid(token, Date.now() + (config.tokenTtlSeconds + 1) * 1000);
    const old = await mintToken(config, ALICE, Date.now() - (config.tokenTtlSeconds + 1) * 1000);
    await expectInvalid(old.token);
    await expect(verifyToken(config, await signedWith({ sub: "alice", sid: "s-1", exp: later() }))).resolves.toEqual(
      ALICE,
    );
    await expectInvalid(await signedWith({ sub: "alice", sid: "s-1" }));
    // A token of the kind minted before tokens named their session opens nothing.
    await expectInvalid(await signedWith({ sub: "alice", exp: later() }));
    await expectInvalid(await signedWith({ sub: 42, sid: "s-1", exp: later() }));
    await expectInvalid(await signedWith({ sub: "alice", sid: 7, exp: later() }));
    await expectInvalid(await signedWith({ sid: "s-1", exp: later() }));
  });

  it("refuse a token minted under another secret, or before a key was rotated", async () => {
    const { token } = await mintToken(
      loadConfig({ API_KEYS: "alice:sk-alice-0123456789", TOKEN_SECRET: "other" }),
      ALICE,
    );
    await expectInvalid(token);

    const before = loadConfig({ API_KEYS: "alice:sk-alice-0123456789" });
    const after = loadConfig({ API_KEYS: "alice:sk-alice-rotated-9876543210" });
    const minted = await mintToken(before, ALICE);
    await expect(verifyToken(before, minted.token)).resolves.toEqual(ALICE);
    await expectInvalid(minted.token, undefined, after);
  });

  it("refuse garbage without throwing", async () => {
    const { token } = await mintToken(config, ALICE);
    const [header, , sig] = token.split(".");
    for (const garbage of [
      "",
      "%%%",
      "a.b",
      "a.b.c",
      ".",
      "..",
      "x".repeat(3000),
      `${token}${"A".repeat(3000)}`,
      `${header}.${b64url("null")}.${sig}`,
      `${header}.${b64url("[]")}.${sig}`,
      `${header}.${b64url('"alice"')}.${sig}`,
      `${header}.${b64url("{")}.${sig}`,
      `${token}.${sig}`,
      "é.ü",
    ])
      await expectInvalid(garbage);
  });
});
