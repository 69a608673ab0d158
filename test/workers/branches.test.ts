/**
 * Branches: regenerating a reply or editing a question adds a sibling instead of replacing
 * anything; the context sent upstream is the active branch only; `GET …/conversations/{id}` shows
 * that branch (`?all=true`: the tree); `PATCH` switches it. Through the native routes and the AI
 * SDK's own transport, and a conversation stored before branches existed.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { sessionMigrations } from "../../migrations";
import { parseResponseId } from "../../src/events/encode/responses";
import { SessionStore } from "../../src/session/store";
import { applyMigrations } from "../../src/storage/migrate";
import { call, openaiClient, script, uniqueId, upstreamRequests } from "./helpers";

interface Message {
  id: string;
  role: string;
  content: string;
  parent_id: string | null;
  siblings?: string[];
}

async function turn(path: string, json: unknown): Promise<string> {
  const res = await call(path, { json });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.text();
}

const say = (sid: string, content: string) => turn("/api/chat/stream", { session_id: sid, content });

async function conversation(sid: string, query = ""): Promise<{ messages: Message[]; leaf_id: string } & any> {
  const res = await call(`/api/v1/context/conversations/${sid}${query}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** What the upstream was sent last for this marker: `role:content` of each message. */
async function lastContext(marker: string): Promise<string[]> {
  const requests = await upstreamRequests(marker);
  return requests.at(-1)!.body.messages.map((m: any) => `${m.role}:${m.content}`);
}

describe("branches", () => {
  it("regenerate makes a sibling reply; the upstream sees the branch without the old reply", async () => {
    const sid = uniqueId("br");
    await say(sid, `first ${sid}`);
    const q2 = `second ${sid} ${script({ echoHistory: true })}`;
    await say(sid, q2);
    const before = await conversation(sid);
    const oldReply = before.messages[3];

    await turn(`/api/chat/${sid}/regenerate`, { message_id: oldReply.id });
    const after = await conversation(sid);
    expect(after.messages.map((m: Message) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    const newReply = after.messages[3];
    expect(newReply.id).not.toBe(oldReply.id);
    expect(newReply.siblings).toEqual([oldReply.id, newReply.id]);
    expect(after.messages[2].siblings).toBeUndefined();
    // The regenerated reply was written from the branch up to the question, not the old reply.
    expect(await lastContext(sid)).toEqual([
      "system:You are a test assistant.",
      `user:first ${sid}`,
      `assistant:Echo: first ${sid}`,
      `user:${q2}`,
    ]);

    // The tree: every message with its parent, the old reply included.
    const tree = await conversation(sid, "?all=true");
    expect(tree.leaf_id).toBe(newReply.id);
    expect(tree.messages.map((m: Message) => [m.id, m.parent_id])).toEqual([
      [before.messages[0].id, null],
      [before.messages[1].id, before.messages[0].id],
      [before.messages[2].id, before.messages[1].id],
      [oldReply.id, before.messages[2].id],
      [newReply.id, before.messages[2].id],
    ]);
    // Without an id: the last question again.
    await turn(`/api/chat/${sid}/regenerate`, {});
    expect((await conversation(sid)).messages[3].siblings).toHaveLength(3);
  });

  it("editing a question makes a sibling question and answers it; the old exchange stays in the tree", async () => {
    const sid = uniqueId("ed");
    await say(sid, `one ${sid}`);
    await say(sid, `two ${sid}`);
    await say(sid, `three ${sid}`);
    const before = (await conversation(sid)).messages;

    const edited = `two, reworded ${sid} ${script({ echoHistory: true })}`;
    await turn(`/api/chat/${sid}/edit`, { message_id: before[2].id, content: edited });
    const after = (await conversation(sid)).messages;
    expect(after.map((m: Message) => m.content)).toEqual([
      `one ${sid}`,
      `Echo: one ${sid}`,
      edited,
      `system:You are a test assistant. | user:one ${sid} | assistant:Echo: one ${sid} | user:${edited}`,
    ]);
    expect(after[2].siblings).toEqual([before[2].id, after[2].id]);
    const tree = (await conversation(sid, "?all=true")).messages;
    expect(tree.find((m: Message) => m.id === after[2].id).parent_id).toBe(before[1].id);

    // A later message follows the active branch: three's exchange is not in its context.
    await say(sid, `four ${sid}`);
    const context = await lastContext(sid);
    expect(context).toContain(`user:${edited}`);
    expect(context.join("\n")).not.toContain("three");

    // Switching back to the old question shows its branch to its newest leaf, and continues there.
    const res = await call(`/api/v1/context/conversations/${sid}`, {
      method: "PATCH",
      json: { active_message_id: before[2].id },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).messages.map((m: Message) => m.id)).toEqual(before.map((m: Message) => m.id));
    await say(sid, `five ${sid}`);
    const continued = await lastContext(sid);
    expect(continued).toContain(`user:three ${sid}`);
    expect(continued.join("\n")).not.toContain("reworded");
  });

  it("a copy of a branched conversation (going on from an earlier response) holds its branch only", async () => {
    const sid = uniqueId("br-copy");
    await say(sid, `first ${sid}`);
    // A sibling of the first reply: the active branch is the question and the new reply.
    await turn(`/api/chat/${sid}/regenerate`, {});
    const inSession = openaiClient({ "X-Session-Id": sid });
    const second = await inSession.responses.create({ model: "gpt-4o-mini", input: `second ${sid}` });
    await inSession.responses.create({ model: "gpt-4o-mini", input: `third ${sid}` });
    // `second` is no longer the conversation's latest: going on from it copies the history up to it.
    const copy = await openaiClient().responses.create({
      model: "gpt-4o-mini",
      previous_response_id: second.id,
      input: `instead ${sid}`,
    });
    expect(parseResponseId(copy.id)!.sessionId).not.toBe(sid);
    expect(await lastContext(sid)).toEqual([
      "system:You are a test assistant.",
      `user:first ${sid}`,
      `assistant:Echo: first ${sid}`,
      `user:second ${sid}`,
      `assistant:Echo: second ${sid}`,
      `user:instead ${sid}`,
    ]);
  });

  it("refuses a message that is not there, an edit of a reply, and a regenerate with nothing to answer", async () => {
    const sid = uniqueId("bad");
    await say(sid, `hello ${sid}`);
    const [question, reply] = (await conversation(sid)).messages;
    const unknown = await call(`/api/chat/${sid}/regenerate`, { json: { message_id: "no-such-message" } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "message_not_found" } });
    const editReply = await call(`/api/chat/${sid}/edit`, { json: { message_id: reply.id, content: "x" } });
    expect(editReply.status).toBe(400);
    expect(await editReply.json()).toMatchObject({ error: { code: "invalid_request" } });
    const patch = await call(`/api/v1/context/conversations/${sid}`, {
      method: "PATCH",
      json: { active_message_id: "nope" },
    });
    expect(patch.status).toBe(404);
    const empty = await call(`/api/chat/${uniqueId("none")}/regenerate`, { json: {} });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: "nothing_to_regenerate" } });
    // Nothing was written by the refusals.
    expect((await conversation(sid)).messages.map((m: Message) => m.id)).toEqual([question.id, reply.id]);
    expect(await upstreamRequests(sid)).toHaveLength(1);
  });

  it("the AI SDK's regenerate-message with an earlier reply's messageId branches from that reply's question", async () => {
    const transport = new DefaultChatTransport<UIMessage>({
      api: "http://edge-chat.test/api/chat",
      fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    });
    const chatId = uniqueId("aib");
    const user = (text: string): UIMessage => ({
      id: crypto.randomUUID(),
      role: "user",
      parts: [{ type: "text", text }],
    });
    const send = async (
      messages: UIMessage[],
      trigger: "submit-message" | "regenerate-message",
      messageId?: string,
    ) => {
      let last: UIMessage | undefined;
      const stream = await transport.sendMessages({ chatId, messages, trigger, messageId, abortSignal: undefined });
      for await (const m of readUIMessageStream({ stream })) last = m;
      return last!;
    };
    const q1 = user(`alpha ${chatId} ${script({ echoCount: true })}`);
    const a1 = await send([q1], "submit-message");
    const q2 = user(`beta ${chatId}`);
    await send([q1, a1, q2], "submit-message");

    const again = await send([q1], "regenerate-message", a1.id);
    const shown = (await conversation(chatId)).messages;
    expect(shown.map((m: Message) => m.content)).toEqual([
      q1.parts[0].type === "text" ? q1.parts[0].text : "",
      "messages=2",
    ]);
    expect(shown[1].id).toBe(again.id);
    expect(shown[1].siblings).toEqual([a1.id, again.id]);
    expect((await conversation(chatId, "?all=true")).messages).toHaveLength(5);

    // sendMessage({messageId}) with a stored question's id rewords it: a sibling question, answered.
    const storedQ1 = shown[0].id;
    const reworded = user(`alpha, reworded ${chatId} ${script({ echoCount: true })}`);
    await send([{ ...reworded, id: storedQ1 }], "submit-message", storedQ1);
    const afterEdit = (await conversation(chatId)).messages;
    expect(afterEdit.map((m: Message) => m.content)).toEqual([
      reworded.parts[0].type === "text" ? reworded.parts[0].text : "",
      "messages=2",
    ]);
    expect(afterEdit[0].siblings).toEqual([storedQ1, afterEdit[0].id]);
    // A client's own id (never stored here) is a new message, as before.
    await send([user(`gamma ${chatId}`)], "submit-message", crypto.randomUUID());
    expect((await conversation(chatId)).messages.map((m: Message) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
  });

  it("a conversation stored before branches becomes one branch", async () => {
    const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(uniqueId("old")));
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      expect(applyMigrations(state.storage, sessionMigrations.slice(0, 4))).toBe(4);
      for (const [id, role] of [
        ["m1", "user"],
        ["m2", "assistant"],
        ["m3", "user"],
        ["m4", "assistant"],
      ])
        sql.exec(
          "INSERT INTO messages (id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, 'complete', 'then', 'then')",
          id,
          role,
          `text of ${id}`,
        );
      applyMigrations(state.storage, sessionMigrations);
      expect(sql.exec("SELECT id, parent_id FROM messages ORDER BY idx").toArray()).toEqual([
        { id: "m1", parent_id: null },
        { id: "m2", parent_id: "m1" },
        { id: "m3", parent_id: "m2" },
        { id: "m4", parent_id: "m3" },
      ]);
      const store = new SessionStore(sql);
      expect(store.branches.leaf()).toBe("m4");
      expect(store.messages().map((m) => m.id)).toEqual(["m1", "m2", "m3", "m4"]);
      expect([...store.historyNewestFirst()].map((m) => m.content)).toEqual([
        "text of m4",
        "text of m3",
        "text of m2",
        "text of m1",
      ]);
    });
  });

  it("PATCH renames a conversation (kept over automatic titles) and gives it its own system prompt", async () => {
    const sid = uniqueId("patch");
    await say(sid, `hello ${sid}`);
    const res = await call(`/api/v1/context/conversations/${sid}`, {
      method: "PATCH",
      json: { title: "  Renamed  ", system_prompt: "Answer like a pirate." },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ title: "Renamed", system_prompt: "Answer like a pirate." });
    const list = (await (await call("/api/v1/context/conversations")).json()) as any;
    expect(list.conversations.find((c: any) => c.session_id === sid).title).toBe("Renamed");
    await say(sid, `what are you? ${sid} ${script({ echoSystem: true })}`);
    expect((await conversation(sid)).messages.at(-1).content).toBe("Answer like a pirate.");

    const none = await call(`/api/v1/context/conversations/${sid}`, { method: "PATCH", json: {} });
    expect(none.status).toBe(400);
    const blank = await call(`/api/v1/context/conversations/${sid}`, { method: "PATCH", json: { title: " " } });
    expect(blank.status).toBe(400);
    const missing = await call(`/api/v1/context/conversations/${uniqueId()}`, {
      method: "PATCH",
      json: { title: "x" },
    });
    expect(missing.status).toBe(404);
  });
});
