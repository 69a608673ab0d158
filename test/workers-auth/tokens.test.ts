import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { uniqueId } from "../workers/helpers";

// Few requests under one key: the rate limit is shared with the other files.
const KEY = "sk-dave-0123456789";
const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`http://edge-chat.test${path}`, { headers }));

it("answers every bad ?token= with 401 invalid_token, never a 500, and never echoes it", async () => {
  const sid = uniqueId("tok");
  const minted = await (
    await exports.default.fetch(
      new Request("http://edge-chat.test/api/auth/token", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ session_id: sid }),
      }),
    )
  ).json<any>();
  const stream = `/api/chat/${sid}/stream?after=0`;
  expect((await get(`${stream}&token=${minted.token}`)).status).toBe(204);

  const [header, payload, sig] = minted.token.split(".");
  const claims = b64url(JSON.stringify({ sub: "dave", sid, exp: Math.floor(Date.now() / 1000) + 3600 }));
  const bad = [
    `${header}.${payload}.${sig.slice(0, 10)}${sig[10] === "A" ? "B" : "A"}${sig.slice(11)}`,
    `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${claims}.`,
    `${claims}.`,
    `${header}.${claims}.${sig}`,
    `${header}.${b64url("null")}.${sig}`,
    "%%%",
    "a.b",
    "x".repeat(3000),
  ];
  for (const token of bad) {
    const res = await get(`${stream}&token=${encodeURIComponent(token)}`);
    expect(res.status, token.slice(0, 40)).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edge-chat"');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_token", type: "authentication_error" } });
    if (token.length > 8) expect(text).not.toContain(token.slice(0, 40));
  }
});
