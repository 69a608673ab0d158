/**
 * Many users behind one key: `front` is marked act-for-users, so it names the end user in
 * X-User-Id (or OpenAI's `user` field) and each user is an owner of their own — list,
 * conversations, usage and turn cap apart. Keys without the mark cannot name anyone.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { call, script, uniqueId } from "../workers/helpers";

const FRONT = "sk-front-0123456789";
const ALICE = "sk-alice-0123456789";

function as(
  key: string,
  user: string | null,
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  if (user !== null) headers.set("x-user-id", user);
  return call(path, { ...init, headers });
}

const list = async (key: string, user: string | null): Promise<string[]> =>
  ((await (await as(key, user, "/api/v1/context/conversations")).json()) as any).conversations.map(
    (c: any) => c.session_id,
  );

async function chat(user: string | null, sid: string, content: string): Promise<void> {
  const events = nativeEvents(
    await (await as(FRONT, user, "/api/chat/stream", { json: { session_id: sid, content } })).text(),
  );
  expect(events.at(-1)!.type).toBe("complete");
}

describe("a key that acts for its users", () => {
  it("keeps two end users apart: neither lists, reads, resumes or deletes the other's conversation", async () => {
    const [ann, ben] = [uniqueId("ann"), uniqueId("ben")];
    const sid = uniqueId("shared-id");
    await chat(ann, sid, "ann's question");
    await chat(ben, sid, "ben's question");

    expect(await list(FRONT, ann)).toEqual([sid]);
    expect(await list(FRONT, ben)).toEqual([sid]);
    const annsView = (await (await as(FRONT, ann, `/api/v1/context/conversations/${sid}`)).json()) as any;
    expect(annsView.messages.map((m: any) => m.content)).toEqual(["ann's question", "Echo: ann's question"]);
    const bensView = (await (await as(FRONT, ben, `/api/v1/context/conversations/${sid}`)).json()) as any;
    expect(bensView.messages[0].content).toBe("ben's question");

    const annOnly = uniqueId("ann-only");
    await chat(ann, annOnly, "only ann's");
    expect((await as(FRONT, ben, `/api/v1/context/conversations/${annOnly}`)).status).toBe(404);
    expect((await as(FRONT, ben, `/api/chat/${annOnly}/stream?after=0`)).status).toBe(204);
    expect((await as(FRONT, ben, `/api/v1/context/conversations/${annOnly}`, { method: "DELETE" })).status).toBe(404);
    // The key itself, naming nobody, is a third owner: it sees neither.
    expect(await list(FRONT, null)).not.toContain(annOnly);
    expect((await list(FRONT, ann)).sort()).toEqual([sid, annOnly].sort());
  });

  it("counts usage per user, and caps turns per user (MAX_CONCURRENT_TURNS=2 each)", async () => {
    const [cat, dan] = [uniqueId("cat"), uniqueId("dan")];
    const slow = script({ text: "slow ", repeat: 200, delayMs: 30 });
    const running: { sid: string; reader: SseReader }[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const sid = uniqueId("cap");
        const res = await as(FRONT, cat, "/api/chat/stream", { json: { session_id: sid, content: slow } });
        expect(res.status).toBe(200);
        running.push({ sid, reader: new SseReader(res.body!) });
      }
      await Promise.all(running.map((r) => r.reader.next()));
      const third = await as(FRONT, cat, "/api/chat/stream", { json: { session_id: uniqueId("cap"), content: "x" } });
      expect(third.status).toBe(429);
      expect(await third.json()).toMatchObject({ error: { code: "too_many_turns" } });
      // Another user of the same key has slots of their own.
      await chat(dan, uniqueId("dan-turn"), "dan's turn");
    } finally {
      for (const r of running) await as(FRONT, cat, "/api/chat/abort", { json: { session_id: r.sid } });
      await Promise.all(running.map((r) => r.reader.rest()));
    }
    const stats = async (user: string) => ((await (await as(FRONT, user, "/stats")).json()) as any).requests;
    expect(await stats(dan)).toBe(1);
    expect(await stats(cat)).toBe(2);
  });

  it("takes OpenAI's user field as the end user, when no X-User-Id names one", async () => {
    const eve = uniqueId("eve");
    const sid = uniqueId("oa-user");
    const res = await as(FRONT, null, "/v1/chat/completions", {
      json: { user: eve, messages: [{ role: "user", content: "eve asks" }] },
      headers: { "x-session-id": sid },
    });
    expect(res.status).toBe(200);
    expect(await list(FRONT, eve)).toEqual([sid]);
    expect(await list(FRONT, null)).not.toContain(sid);
  });

  it("mints a token for a user's own session, which opens nothing of another user's", async () => {
    const [fay, gus] = [uniqueId("fay"), uniqueId("gus")];
    const sid = uniqueId("tok");
    await chat(fay, sid, "fay's");
    await chat(gus, sid, "gus's");
    const { token } = (await (await as(FRONT, fay, "/api/auth/token", { json: { session_id: sid } })).json()) as any;
    const replay = await exports.default.fetch(
      new Request(`http://edge-chat.test/api/chat/${sid}/stream?after=0&token=${token}`),
    );
    const text = await replay.text();
    expect(text).toContain("fay's");
    expect(text).not.toContain("gus's");
  });

  it("refuses an X-User-Id that is not a plain identifier", async () => {
    for (const bad of ["", "a b", "x".repeat(129), "ann/../ben"]) {
      const res = await as(FRONT, bad, "/api/v1/context/conversations");
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param: "X-User-Id" } });
    }
  });
});

describe("a key that does not act for its users", () => {
  it("cannot name one: X-User-Id is a 403 that says which keys may, and nothing runs", async () => {
    const sid = uniqueId("alice-as-ann");
    const res = await as(ALICE, "ann", "/api/chat/stream", { json: { session_id: sid, content: "as ann" } });
    expect(res.status).toBe(403);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({
      code: "acting_for_users_not_allowed",
      type: "permission_error",
      param: "X-User-Id",
    });
    expect(body.error.message).toContain("act-for-users");
    expect((await as(ALICE, "ann", "/api/v1/context/conversations")).status).toBe(403);
  });

  it("sends OpenAI's user field as the hint it is: the turn stays the key's own", async () => {
    const sid = uniqueId("alice-user-field");
    const res = await as(ALICE, null, "/v1/chat/completions", {
      json: { user: "ann", messages: [{ role: "user", content: "hello" }] },
      headers: { "x-session-id": sid },
    });
    expect(res.status).toBe(200);
    expect(await list(ALICE, null)).toContain(sid);
  });
});
