/**
 * Guessing keys is limited per client address (CF-Connecting-IP): 20 wrong keys or tokens a
 * minute are 401s; after that the address gets 429 with Retry-After, for every key it sends, the
 * right one too, while other addresses go on as before.
 */
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

const ATTACKER = "203.0.113.7";
const NEIGHBOUR = "198.51.100.23";
const ALICE = "sk-alice-0123456789";

function get(path: string, address: string, key?: string): Promise<Response> {
  const headers: Record<string, string> = { "cf-connecting-ip": address };
  if (key) headers.authorization = `Bearer ${key}`;
  return exports.default.fetch(new Request(`http://edge-chat.test${path}`, { headers }));
}

it("refuses an address that guessed 20 wrong keys with 429 for every key, the right one too", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 25; i++) {
    const res = await get("/api/v1/context/conversations", ATTACKER, `sk-guess-${i}-0000000000`);
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  expect(statuses).toEqual([...Array(20).fill(401), ...Array(5).fill(429)]);

  const limited = await get("/api/v1/context/conversations", ATTACKER, ALICE);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(await limited.json()).toMatchObject({ error: { code: "auth_rate_limited", type: "rate_limit_error" } });
  // A bad token from the address counts as a guess too, and is refused the same way.
  expect((await get("/api/chat/s/stream?token=a.b.c", ATTACKER)).status).toBe(429);

  // Someone else is not affected, and a wrong key from there is an ordinary 401.
  expect((await get("/api/v1/context/conversations", NEIGHBOUR, ALICE)).status).toBe(200);
  expect((await get("/api/v1/context/conversations", NEIGHBOUR, "sk-typo-0000000000")).status).toBe(401);
  // Health stays open to everyone.
  expect((await get("/health", ATTACKER)).status).toBe(200);
});
