/**
 * What a caller chose is what it gets, with AUTO_TITLES on (this project's default) and no
 * MODEL_ALIASES: a title it set stays, a turn on its own key writes its title with that key, and
 * the Next.js front end's model ids reach the upstream as the default model.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { configFor } from "../../src/config";
import { eventually, type Recorded, script, uniqueId, upstreamRequests } from "../workers/helpers";

// Bob's key: lightly used elsewhere, so these requests stay well inside its rate limit.
const KEY = "sk-bob-0123456789";
const SERVER_KEY = "sk-test-server-key-0123456789";
const TITLE_PROMPT = "Write a title of at most six words";

function as(path: string, init: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://edge-chat.test${path}`, {
      method: init.json === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(init.json === undefined ? {} : { "content-type": "application/json" }),
        ...init.headers,
      },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    }),
  );
}

const isTitleRequest = (r: Recorded) => r.body?.messages?.[0]?.content?.startsWith(TITLE_PROMPT) === true;

/** The title request that went upstream for `marker`, once the upstream has answered it. */
function titleAnswered(marker: string): Promise<Recorded> {
  return eventually(async () => {
    const found = (await upstreamRequests(marker)).find(isTitleRequest);
    expect(found?.outcome).toBe("completed");
    return found!;
  }, 5000);
}

/** A conversation's title once it is `expected`; polled slowly, since every call counts against the key's rate. */
async function titleBecomes(sessionId: string, expected: string): Promise<void> {
  let title = "";
  for (let i = 0; i < 12 && title !== expected; i++) {
    await new Promise((r) => setTimeout(r, 150));
    title = (await (await as(`/api/v1/context/conversations/${sessionId}`)).json<any>()).title;
  }
  expect(title).toBe(expected);
}

/** The conversations client's exchange: an EventSource on the stream, then the message posted. */
async function restExchange(sessionId: string, message: string): Promise<string> {
  const watching = await as(`/api/v1/chat/${sessionId}/stream`, { headers: { accept: "text/event-stream" } });
  const posted = await as(`/api/v1/chat/${sessionId}/stream`, { json: { message } });
  expect(posted.status).toBe(200);
  await posted.text();
  return watching.text();
}

describe("a title the caller set", () => {
  it("is kept after the first exchange: neither the first words nor the model's title replace it", async () => {
    const marker = uniqueId("rest-title");
    const created = await as("/api/v1/context/conversations", { json: { title: "My REST chat" } });
    expect(created.status).toBe(201);
    const { session_id: named } = await created.json<any>();
    const seen = await restExchange(named, `Tell me a story ${marker} ${script({ text: "Once upon a time." })}`);
    expect(seen).toContain('"full_text":"Once upon a time."');

    // A conversation created without a title is retitled by the model: once its title request has
    // gone out, the named one's would have too, had it been asked for.
    const control = uniqueId("rest-control");
    const { session_id: untitled } = await (await as("/api/v1/context/conversations", { json: {} })).json<any>();
    await restExchange(untitled, `Tell me a story ${control} ${script({ text: "Dragons everywhere." })}`);
    await titleAnswered(control);
    await titleBecomes(untitled, "Dragons everywhere");

    expect((await upstreamRequests(marker)).filter(isTitleRequest)).toEqual([]);
    const conv = await (await as(`/api/v1/context/conversations/${named}`)).json<any>();
    expect(conv).toMatchObject({ title: "My REST chat", message_count: 2 });
    const listed = (await (await as("/api/v1/context/conversations")).json<any>()).conversations;
    expect(listed.find((c: any) => c.session_id === named)?.title).toBe("My REST chat");
  });
});

describe("a turn on the caller's own api_key", () => {
  it("writes its title with that key: no request goes out with the server's", async () => {
    const marker = uniqueId("own-key");
    const sid = uniqueId("own-key-s");
    const callerKey = "sk-caller-own-key-987654321";
    const res = await as("/api/chat/stream", {
      json: {
        session_id: sid,
        content: `Plan a garden ${marker} ${script({ text: "Tomatoes by the wall." })}`,
        model_config: { api_key: callerKey },
      },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"type":"complete"');

    expect((await titleAnswered(marker)).authorization).toBe(`Bearer ${callerKey}`);
    const reqs = await upstreamRequests(marker);
    expect(reqs.map((r) => [isTitleRequest(r) ? "title" : "turn", r.authorization])).toEqual([
      ["turn", `Bearer ${callerKey}`],
      ["title", `Bearer ${callerKey}`],
    ]);
    expect(reqs.some((r) => r.authorization?.includes(SERVER_KEY))).toBe(false);
    await titleBecomes(sid, "Tomatoes by the wall");
  });
});

describe("the Next.js front end's model ids, with no MODEL_ALIASES", () => {
  it("reach the upstream as DEFAULT_MODEL", async () => {
    expect(configFor(env).modelAliases).toEqual({});
    for (const model of ["chat-model", "chat-model-reasoning", "title-model", "artifact-model"]) {
      const marker = uniqueId(model);
      const res = await as("/api/chat", {
        json: { messages: [{ role: "user", content: `hi ${marker}` }], model, temperature: 0.7, stream: true },
      });
      expect(await res.text()).toBe(
        `0:{"type":"text-delta","textDelta":"Echo:"}\n0:{"type":"text-delta","textDelta":" hi"}\n0:{"type":"text-delta","textDelta":" ${marker}"}\nd:{"type":"finish","finishReason":"stop"}\n`,
      );
      const [req] = await upstreamRequests(marker);
      expect(req.body.model, model).toBe(configFor(env).defaultModel);
    }
  });
});
