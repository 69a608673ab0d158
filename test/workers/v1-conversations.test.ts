/** Reference 004's conversation API: create, list, get, clear the history, delete. */
import { describe, expect, it } from "vitest";
import { SseReader } from "../support/sse";
import { call, eventually, script, uniqueId, upstreamRequests } from "./helpers";

const BASE = "/api/v1/context/conversations";

async function listed(): Promise<any[]> {
  const res = await call(`${BASE}?limit=500`);
  expect(res.status).toBe(200);
  return (await res.json<any>()).conversations;
}

async function chat(sid: string, message: string): Promise<any> {
  const res = await call(`/api/v1/chat/${sid}`, { json: { message } });
  expect(res.status).toBe(200);
  return res.json();
}

function del(path: string): Promise<Response> {
  return call(path, { method: "DELETE" });
}

describe("POST /api/v1/context/conversations", () => {
  it("creates an empty conversation with a fresh id when the body is empty, and lists it", async () => {
    for (const init of [{ method: "POST" }, { json: {} }]) {
      const res = await call(BASE, init);
      expect(res.status).toBe(201);
      const created = await res.json<any>();
      expect(created).toMatchObject({
        session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: "",
        message_count: 0,
      });
      expect(Date.parse(created.created_at)).not.toBeNaN();

      const got = await (await call(`${BASE}/${created.session_id}`)).json<any>();
      expect(got).toEqual({ ...created, messages: [] });
      await eventually(async () =>
        expect((await listed()).find((c) => c.session_id === created.session_id)).toEqual(created),
      );
    }
  });

  it("takes a session id and a title; an existing id keeps what it has", async () => {
    const sid = uniqueId("v1c");
    const res = await call(BASE, { json: { session_id: sid, title: "  Trip planning  " } });
    expect(res.status).toBe(201);
    const created = await res.json<any>();
    expect(created).toMatchObject({ session_id: sid, title: "Trip planning", message_count: 0 });

    const again = await (await call(BASE, { json: { session_id: sid, title: "Other" } })).json<any>();
    expect(again).toEqual(created);

    // The first message does not retitle a conversation that has a title.
    await chat(sid, "What should I pack for Lisbon?");
    const got = await (await call(`${BASE}/${sid}`)).json<any>();
    expect(got).toMatchObject({ title: "Trip planning", message_count: 2 });
  });

  it("refuses a bad session id or title, naming the field, with FastAPI's detail too", async () => {
    for (const [json, param] of [
      [{ session_id: "has space" }, "session_id"],
      [{ title: 5 }, "title"],
      [{ title: "x".repeat(201) }, "title"],
    ] as const) {
      const res = await call(BASE, { json });
      expect(res.status).toBe(400);
      const body = await res.json<any>();
      expect(body.error).toMatchObject({ code: "invalid_request", param });
      expect(body.detail).toBe(body.error.message);
    }
  });
});

describe("DELETE /api/v1/context/conversations/{id}/context", () => {
  it("forgets the messages but keeps the conversation, and the next turn starts from nothing", async () => {
    const sid = uniqueId("v1clear");
    await chat(sid, `remember this ${sid}`);
    const res = await del(`${BASE}/${sid}/context`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ session_id: sid, title: `remember this ${sid}`, message_count: 0 });

    const got = await (await call(`${BASE}/${sid}`)).json<any>();
    expect(got).toMatchObject({ session_id: sid, message_count: 0, messages: [] });
    await eventually(async () =>
      expect((await listed()).find((c) => c.session_id === sid)).toMatchObject({ message_count: 0 }),
    );

    await chat(sid, `after clear ${sid}`);
    const [req] = await upstreamRequests(`after clear ${sid}`);
    expect(req.body.messages.map((m: any) => m.content)).toEqual(["You are a test assistant.", `after clear ${sid}`]);
  });

  it("answers 404 for an unknown conversation and 409 while a turn runs", async () => {
    const missing = await del(`${BASE}/${uniqueId("nobody")}/context`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: "conversation_not_found" },
      detail: expect.stringContaining("no conversation"),
    });

    const sid = uniqueId("v1busy");
    const stream = await call(`/api/v1/chat/${sid}/stream`, {
      json: { message: script({ pieces: ["a", "b", "c", "d"], delayMs: 150 }) },
    });
    const reader = new SseReader(stream.body!);
    expect(JSON.parse((await reader.next())!.data).type).toBe("start");

    const busy = await del(`${BASE}/${sid}/context`);
    expect(busy.status).toBe(409);
    expect((await busy.json<any>()).error.code).toBe("turn_in_progress");

    await reader.rest();
    expect((await del(`${BASE}/${sid}/context`)).status).toBe(200);
  });
});

describe("DELETE /api/v1/context/conversations/{id}", () => {
  it("deletes the conversation everywhere: 404 after, gone from the list, a new turn starts afresh", async () => {
    const sid = uniqueId("v1del");
    await chat(sid, `to be deleted ${sid}`);
    await eventually(async () => expect((await listed()).some((c) => c.session_id === sid)).toBe(true));

    const res = await del(`${BASE}/${sid}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ session_id: sid, deleted: true });

    expect((await call(`${BASE}/${sid}`)).status).toBe(404);
    expect((await listed()).some((c) => c.session_id === sid)).toBe(false);
    const again = await del(`${BASE}/${sid}`);
    expect(again.status).toBe(404);
    expect((await again.json<any>()).error.code).toBe("conversation_not_found");

    // Nothing of the old history survives in the object's storage.
    await chat(sid, `reborn ${sid}`);
    const [req] = await upstreamRequests(`reborn ${sid}`);
    expect(req.body.messages.map((m: any) => m.role)).toEqual(["system", "user"]);
    const got = await (await call(`${BASE}/${sid}`)).json<any>();
    expect(got).toMatchObject({ title: `reborn ${sid}`, message_count: 2 });
  });

  it("rejects a bad id in the path", async () => {
    const res = await del(`${BASE}/${"x".repeat(129)}`);
    expect(res.status).toBe(400);
    expect((await res.json<any>()).error).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("1-128 characters"),
    });
  });
});
