import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOCAL_OWNER } from "../../src/http/context";
import { sessionStub } from "../../src/session/address";
import { nativeEvents } from "../support/sse";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

describe("POST /api/chat/stream/direct", () => {
  it("streams a reply to the caller's messages and stores nothing", async () => {
    const sid = uniqueId();
    const messages = [
      { role: "user", content: "earlier question" },
      { role: "assistant", content: "earlier answer" },
      { role: "user", content: `${sid} ${script({ pieces: ["di", "rect"] })}` },
    ];
    const res = await call("/api/chat/stream/direct", { json: { session_id: sid, messages } });
    expect(res.status).toBe(200);
    // Nothing will be stored under these ids, so none is handed out.
    expect(res.headers.get("x-session-id")).toBeNull();
    expect(res.headers.get("x-message-id")).toBeNull();
    const events = nativeEvents(await res.text());
    expect(events.map((e) => e.type)).toEqual(["chunk", "chunk", "complete"]);
    expect(events[2].data.message).toMatchObject({ role: "assistant", content: "direct", status: "complete" });

    const [req] = await upstreamRequests(sid);
    expect(req.body.messages).toEqual([{ role: "system", content: "You are a test assistant." }, ...messages]);

    expect((await call(`/api/v1/context/conversations/${sid}`)).status).toBe(404);
    // Not even tables: a stateless turn leaves its object empty.
    await runInDurableObject(sessionStub(env, LOCAL_OWNER, sid), (_instance, state) => {
      const tables = state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'")
        .toArray();
      expect(tables).toEqual([]);
    });
    const list = await (await call("/api/v1/context/conversations")).json<any>();
    expect(list.conversations.some((c: any) => c.session_id === sid)).toBe(false);
  });

  it("keeps the caller's own system message instead of adding ours", async () => {
    const sid = uniqueId();
    const messages = [
      { role: "system", content: "caller system" },
      { role: "user", content: sid },
    ];
    await (await call("/api/chat/stream/direct", { json: { session_id: sid, messages } })).text();
    const [req] = await upstreamRequests(sid);
    expect(req.body.messages).toEqual(messages);
  });
});
