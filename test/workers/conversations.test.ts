import { describe, expect, it } from "vitest";
import { call, eventually, script, uniqueId } from "./helpers";

async function turn(sid: string, content: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content } });
  await res.text();
}

describe("conversations API", () => {
  it("returns one conversation with its messages, or 404 JSON for an unknown one", async () => {
    const sid = uniqueId();
    await turn(sid, "What is the capital of France, and why is it Paris?");
    const res = await call(`/api/v1/context/conversations/${sid}`);
    expect(res.status).toBe(200);
    const conv = await res.json<any>();
    expect(conv).toMatchObject({
      session_id: sid,
      title: "What is the capital of France, and why",
      message_count: 2,
    });
    expect(Date.parse(conv.created_at)).not.toBeNaN();
    expect(conv.updated_at >= conv.created_at).toBe(true);
    expect(conv.messages).toHaveLength(2);

    const missing = await call(`/api/v1/context/conversations/${uniqueId()}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "conversation_not_found", type: "not_found_error" } });
  });

  it("lists the owner's conversations newest first from the directory", async () => {
    const a = uniqueId("a");
    const b = uniqueId("b");
    await turn(a, "first conversation");
    await turn(b, "second conversation");
    let list = (await (await call("/api/v1/context/conversations")).json<any>()).conversations;
    const ids = list.map((c: any) => c.session_id);
    expect(ids.indexOf(b)).toBeLessThan(ids.indexOf(a));
    expect(list.find((c: any) => c.session_id === a)).toMatchObject({ title: "first conversation", message_count: 2 });

    // A new turn in the older conversation moves it to the top, with its new count.
    await turn(a, "back again");
    list = (await (await call("/api/v1/context/conversations")).json<any>()).conversations;
    expect(list[0]).toMatchObject({ session_id: a, message_count: 4 });

    const page = await (await call("/api/v1/context/conversations?limit=1")).json<any>();
    expect(page.conversations).toHaveLength(1);
  });

  it("lists a new conversation while its first reply streams; a listed one's line moves when its turn ends", async () => {
    const listed = async (sid: string) =>
      (await (await call("/api/v1/context/conversations")).json<any>()).conversations.find(
        (c: any) => c.session_id === sid,
      );
    const sid = uniqueId("live");
    const slow = (label: string, repeat: number) =>
      call("/api/chat/stream", {
        json: { session_id: sid, content: `${label} ${script({ text: "tok ", repeat, delayMs: 20 })}` },
      });
    // Three seconds of reply: the listing below is seen while it streams.
    const first = await slow("first question", 150);
    const reader = first.body!.getReader();
    const utf8 = new TextDecoder();
    for (let seen = ""; !seen.includes("tok"); ) seen += utf8.decode((await reader.read()).value);
    // Mid-reply: the new conversation is there (its line follows the turn's first writes, made
    // just after its first text), with its question and the reply being written.
    const during = await eventually(async () => {
      const line = await listed(sid);
      expect(line).toBeDefined();
      return line;
    }, 1000);
    expect(during.message_count).toBe(2);
    expect(during.title).toMatch(/^first question/);
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += utf8.decode(r.value);
    expect(rest.split("tok").length).toBeGreaterThan(50);
    const before = await listed(sid);

    const second = await slow("second question", 5);
    await second.text();
    const after = await listed(sid);
    expect(after.message_count).toBe(4);
    expect(after.updated_at > before.updated_at).toBe(true);
  });

  it("counts the messages through a clear, a deletion and a new start under the same id (the count is kept, not recounted)", async () => {
    const sid = uniqueId("count");
    const summary = async () =>
      (await (await call("/api/v1/context/conversations")).json<any>()).conversations.find(
        (c: any) => c.session_id === sid,
      );
    await turn(sid, "one");
    await turn(sid, "two");
    expect(await summary()).toMatchObject({ message_count: 4 });
    await call(`/api/v1/context/conversations/${sid}/context`, { method: "DELETE" });
    await turn(sid, "three");
    expect(await summary()).toMatchObject({ message_count: 2 });
    await call(`/api/v1/context/conversations/${sid}`, { method: "DELETE" });
    expect(await summary()).toBeUndefined();
    await turn(sid, "anew");
    expect(await summary()).toMatchObject({ title: "anew", message_count: 2 });
  });

  it("rejects a bad session id in the path and a bad limit", async () => {
    const bad = await call(`/api/v1/context/conversations/${"x".repeat(129)}`);
    expect(bad.status).toBe(400);
    expect((await call("/api/v1/context/conversations?limit=0")).status).toBe(400);
    expect((await call("/api/v1/context/conversations?limit=abc")).status).toBe(400);
  });
});
