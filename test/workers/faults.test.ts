import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOCAL_OWNER } from "../../src/http/context";
import { sessionStub } from "../../src/session/address";
import { nativeEvents } from "../support/sse";
import { call, eventually, script, uniqueId, upstreamRequests } from "./helpers";

async function turn(sid: string, content: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content: `${sid} ${content}` } });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

async function lastStored(sid: string) {
  return (await (await call(`/api/v1/context/conversations/${sid}`)).json<any>()).messages.at(-1);
}

describe("upstream faults before the first token", () => {
  it("retries a 5xx with backoff and answers when the upstream recovers", async () => {
    const sid = uniqueId();
    const events = await turn(sid, script({ status: 503, statusTimes: 2, text: "recovered" }));
    expect(events.at(-1)!.data.message).toMatchObject({ status: "complete", content: "recovered" });
    expect((await upstreamRequests(sid)).map((r) => r.outcome)).toEqual(["error-status", "error-status", "completed"]);
  });

  it("honours a short Retry-After on 429", async () => {
    const sid = uniqueId();
    const started = Date.now();
    const events = await turn(sid, script({ status: 429, statusTimes: 1, retryAfter: 1, text: "after waiting" }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.at(-1)!.data.message.content).toBe("after waiting");
  });

  it("gives up at once when Retry-After is longer than is worth waiting, with a clean error", async () => {
    const sid = uniqueId();
    const events = await turn(sid, script({ status: 429, retryAfter: 120 }));
    expect(events.map((e) => e.type)).toEqual(["error"]);
    expect(events[0].data.code).toBe("upstream_rate_limited");
    expect(await upstreamRequests(sid)).toHaveLength(1);
  });

  it("stops after the bounded retries, stores the reply as error, and never retries a 4xx", async () => {
    const sid = uniqueId();
    const events = await turn(sid, script({ status: 500 }));
    expect(events.at(-1)).toMatchObject({ type: "error", data: { code: "upstream_unavailable" } });
    expect(await upstreamRequests(sid)).toHaveLength(3);
    expect((await lastStored(sid)).status).toBe("error");

    const bad = uniqueId();
    await turn(bad, script({ status: 400 }));
    expect(await upstreamRequests(bad)).toHaveLength(1);
  });
});

describe("upstream faults mid-stream and hangs", () => {
  it("ends a turn whose upstream never answers with a first-token timeout, and cancels that request", async () => {
    const sid = uniqueId();
    const started = Date.now();
    const events = await turn(sid, script({ hang: true }));
    expect(Date.now() - started).toBeLessThan(6000);
    expect(events.at(-1)).toMatchObject({ type: "error", data: { code: "upstream_timeout" } });
    expect(events.at(-1)!.data.error).toMatch(/sent nothing for 3000 ms/);
    await eventually(async () => expect((await upstreamRequests(sid))[0].outcome).toBe("client-closed"));
  });

  it("ends a turn whose upstream goes quiet mid-reply, keeping what came, and does not retry it", async () => {
    const sid = uniqueId();
    // After its first piece the upstream sends nothing more until its client goes away.
    const events = await turn(sid, script({ pieces: ["one ", "two"], gate: `never-${sid}`, gateAfter: 1 }));
    expect(events.map((e) => e.type)).toEqual(["chunk", "error"]);
    expect(events[1].data.error).toMatch(/went quiet for 5000 ms/);
    expect(await lastStored(sid)).toMatchObject({ status: "error", content: "one " });
    expect(await upstreamRequests(sid)).toHaveLength(1);
  });

  it("ends cleanly on a malformed frame", async () => {
    const sid = uniqueId();
    const events = await turn(sid, script({ pieces: ["ok ", "more"], malformedAfter: 1 }));
    expect(events.map((e) => e.type)).toEqual(["chunk", "error"]);
    expect(events[1].data.code).toBe("upstream_protocol");
    expect((await lastStored(sid)).content).toBe("ok ");
  });
});

describe("runaway cost", () => {
  it("always sends a max_tokens, and caps the caller's", async () => {
    const a = uniqueId();
    await turn(a, "no limit given");
    expect((await upstreamRequests(a))[0].body.max_tokens).toBe(4096);
    const b = uniqueId();
    const res = await call("/api/chat/stream", {
      json: { session_id: b, content: b, model_config: { max_tokens: 999_999 } },
    });
    await res.text();
    expect((await upstreamRequests(b))[0].body.max_tokens).toBe(4096);
  });
});

describe("oversized content", () => {
  it("stores a message larger than a SQLite row, cut and marked, instead of failing", async () => {
    const sid = uniqueId();
    await turn(sid, "first");
    await runInDurableObject(sessionStub(env, LOCAL_OWNER, sid), async (_instance, state) => {
      const huge = "y".repeat(3_000_000);
      state.storage.sql.exec("UPDATE messages SET content = '' WHERE 0"); // the object is awake
      const { SessionStore } = await import("../../src/session/store");
      new SessionStore(state.storage.sql).insertMessage({
        id: "big",
        role: "tool",
        content: huge,
        created_at: new Date().toISOString(),
        status: "complete",
        usage: null,
      });
    });
    const stored = await lastStored(sid);
    expect(stored.id).toBe("big");
    expect(stored.content.length).toBeLessThan(2_000_000);
    expect(stored.content).toContain("not stored");
  });
});
