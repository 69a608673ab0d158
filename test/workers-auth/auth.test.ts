import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { call, script, uniqueId } from "../workers/helpers";

const KEYS = {
  alice: "sk-alice-0123456789",
  bob: "sk-bob-0123456789",
  carol: "sk-carol-0123456789",
  dave: "sk-dave-0123456789",
};

function as(
  who: keyof typeof KEYS | null,
  path: string,
  init: RequestInit & { json?: unknown } = {},
  how: "bearer" | "x-api-key" = "bearer",
) {
  const headers = new Headers(init.headers);
  if (who)
    headers.set(how === "bearer" ? "authorization" : "x-api-key", how === "bearer" ? `Bearer ${KEYS[who]}` : KEYS[who]);
  return call(path, { ...init, headers });
}

describe("API keys", () => {
  it("refuses a missing or wrong key with 401 JSON, never echoing it; /health stays open and says auth is on", async () => {
    const none = await as(null, "/api/v1/context/conversations");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: { code: "missing_api_key", type: "authentication_error" } });

    const wrong = await exports.default.fetch(
      new Request("http://edge-chat.test/api/tools", { headers: { authorization: "Bearer sk-wrong-guess-42" } }),
    );
    expect(wrong.status).toBe(401);
    const text = await wrong.text();
    expect(text).toContain("invalid_api_key");
    expect(text).not.toContain("sk-wrong-guess-42");

    const health = await as(null, "/health");
    expect(health.status).toBe(200);
    const h = await health.text();
    expect(JSON.parse(h)).toMatchObject({ status: "ok", auth: "on" });
    for (const key of Object.values(KEYS)) expect(h).not.toContain(key);
  });

  it("accepts Authorization: Bearer and X-API-Key", async () => {
    expect((await as("alice", "/api/v1/context/conversations")).status).toBe(200);
    expect((await as("alice", "/api/v1/context/conversations", {}, "x-api-key")).status).toBe(200);
  });
});

describe("owners", () => {
  it("a conversation belongs to the key that made it: another key gets 404 everywhere, as for one that does not exist", async () => {
    const sid = uniqueId("own");
    const events = nativeEvents(
      await (
        await as("alice", "/api/chat/stream", { json: { session_id: sid, content: "alice's secret plan" } })
      ).text(),
    );
    expect(events.at(-1)!.type).toBe("complete");

    expect((await as("alice", `/api/v1/context/conversations/${sid}`)).status).toBe(200);
    expect((await as("bob", `/api/v1/context/conversations/${sid}`)).status).toBe(404);
    const bobList = await (await as("bob", "/api/v1/context/conversations")).json<any>();
    expect(bobList.conversations.some((c: any) => c.session_id === sid)).toBe(false);
    expect((await as("bob", `/api/chat/${sid}/stream?after=0`)).status).toBe(204);
    expect(await (await as("bob", "/api/chat/abort", { json: { session_id: sid } })).json()).toEqual({
      aborted: false,
    });
    expect((await as("bob", `/api/v1/context/conversations/${sid}/context`, { method: "DELETE" })).status).toBe(404);
    expect((await as("bob", `/api/v1/context/conversations/${sid}`, { method: "DELETE" })).status).toBe(404);

    // Bob's turn in the same session id is a different conversation: Alice's is untouched.
    await (await as("bob", "/api/chat/stream", { json: { session_id: sid, content: "bob here" } })).text();
    const alices = await (await as("alice", `/api/v1/context/conversations/${sid}`)).json<any>();
    expect(alices.messages.map((m: any) => m.content)).toEqual(["alice's secret plan", "Echo: alice's secret plan"]);
  });
});

describe("tokens for EventSource", () => {
  const mint = async (who: keyof typeof KEYS, sessionId: string) =>
    (await (await as(who, "/api/auth/token", { json: { session_id: sessionId } })).json<any>()).token as string;

  it("a minted token opens its session's GET streams, for its owner only", async () => {
    const sid = uniqueId("tok");
    const minted = await (await as("alice", "/api/auth/token", { json: { session_id: sid } })).json<any>();
    expect(minted.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(minted.expires_at)).toBeGreaterThan(Date.now());

    const res = await as("alice", "/api/chat/stream", {
      json: { session_id: sid, content: script({ text: "x ", repeat: 20, delayMs: 20 }) },
    });
    const reader = new SseReader(res.body!);
    await reader.next();
    const viaToken = await as(null, `/api/chat/${sid}/stream?token=${minted.token}`);
    expect(viaToken.status).toBe(200);
    await viaToken.text();
    await reader.rest();
    // The conversations client's EventSource route of the same session opens too.
    const watch = await as(null, `/api/v1/chat/${sid}/stream?token=${minted.token}`, {
      headers: { "last-event-id": "999" },
    });
    expect(watch.status).toBe(200);
    await watch.body!.cancel();

    // The token is not a key: no POSTs with it, and a tampered one is refused.
    const post = await as(null, `/api/chat/stream?token=${minted.token}`, { json: { session_id: sid, content: "hi" } });
    expect(post.status).toBe(401);
    const [payload, sig] = minted.token.split(".");
    const forged = `${payload.slice(0, -2)}AA.${sig}`;
    expect((await as(null, `/api/chat/${sid}/stream?token=${forged}`)).status).toBe(401);
    // Bob's token for the same session id opens Bob's (empty) session, not Alice's.
    const bobs = await mint("bob", sid);
    expect((await as(null, `/api/chat/${sid}/stream?after=0&token=${bobs}`)).status).toBe(204);
  });

  it("a token for one session opens nothing else: not its history, the list, stats, tools, nor another session", async () => {
    const sid = uniqueId("tok-scope");
    await (await as("alice", "/api/chat/stream", { json: { session_id: sid, content: "a private question" } })).text();
    const other = uniqueId("tok-other");
    await (await as("alice", "/api/chat/stream", { json: { session_id: other, content: "another one" } })).text();
    const token = await mint("alice", sid);
    for (const path of [
      `/api/v1/context/conversations/${sid}`,
      "/api/v1/context/conversations",
      "/stats",
      "/api/tools",
      "/api/servers",
      "/v1/models",
      `/api/chat/${other}/stream?after=0`,
      `/api/v1/chat/${other}/stream`,
      `/chat/stream?message=hi&session_id=${other}`,
      "/chat/stream?message=hi",
    ]) {
      const res = await as(null, `${path}${path.includes("?") ? "&" : "?"}token=${token}`);
      expect(res.status, path).toBe(401);
      const body = await res.text();
      expect(JSON.parse(body), path).toMatchObject({ error: { code: "invalid_token" } });
      expect(body).not.toContain("a private question");
    }
    // Its own session's replay still opens.
    const replay = await as(null, `/api/chat/${sid}/stream?after=0&token=${token}`);
    expect(replay.status).toBe(200);
    expect(await replay.text()).toContain("a private question");
  });

  it("POST /api/auth/token names the session it is for", async () => {
    const res = await as("alice", "/api/auth/token", { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param: "session_id" } });
  });
});

describe("per-key limits", () => {
  it("rate-limits a key that sends too many requests, with 429 and Retry-After, and leaves other keys alone", async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await as("carol", "/api/v1/context/conversations");
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(limited, `statuses: ${statuses.join(",")}`).toBeDefined();
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect(await limited!.json()).toMatchObject({ error: { code: "rate_limited", type: "rate_limit_error" } });
    expect((await as("alice", "/api/v1/context/conversations")).status).toBe(200);
  });

  it("caps the turns one key runs at once", async () => {
    const slow = script({ text: "slow ", repeat: 100, delayMs: 30 });
    const aSession = uniqueId("cap");
    const a = new SseReader(
      (await as("dave", "/api/chat/stream", { json: { session_id: aSession, content: slow } })).body!,
    );
    const bSession = uniqueId("cap");
    const b = new SseReader(
      (await as("dave", "/api/chat/stream", { json: { session_id: bSession, content: slow } })).body!,
    );
    await Promise.all([a.next(), b.next()]);

    const third = await as("dave", "/api/chat/stream", {
      json: { session_id: uniqueId("cap"), content: "one too many" },
    });
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ error: { code: "too_many_turns" } });
    // Another key is not affected.
    expect(
      (await as("alice", "/api/chat/stream", { json: { session_id: uniqueId("cap"), content: "mine" } })).status,
    ).toBe(200);

    await as("dave", "/api/chat/abort", { json: { session_id: bSession } });
    await b.rest();
    const fourth = await as("dave", "/api/chat/stream", {
      json: { session_id: uniqueId("cap"), content: "room again" },
    });
    expect(fourth.status).toBe(200);
    await fourth.text();
    await as("dave", "/api/chat/abort", { json: { session_id: aSession } });
    await a.rest();
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin, with credentials, and ignores other origins", async () => {
    const pre = await exports.default.fetch(
      new Request("http://edge-chat.test/api/chat/stream", {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      }),
    );
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");

    const other = await as("alice", "/api/v1/context/conversations", {
      headers: { origin: "https://evil.example.net" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
