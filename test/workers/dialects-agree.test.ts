/** One session, many front ends: each dialect reads and extends the same stored history. */

import { exports } from "cloudflare:workers";
import Anthropic from "@anthropic-ai/sdk";
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { call, openaiClient, uniqueId, upstreamRequests, workerFetch } from "./helpers";

const transport = new DefaultChatTransport<UIMessage>({
  api: "http://edge-chat.test/api/chat",
  fetch: (url, init) => exports.default.fetch(new Request(url, init)),
});

describe("dialects agree on a session's history", () => {
  it("native, AI SDK, reference 004, reference 002, Chat Completions, Messages (X-Session-Id) and Responses turns build one conversation", async () => {
    const sid = uniqueId("agree");
    const say = (n: string) => `${n} ${sid}`;

    // 1. Reference 000 (native).
    await (await call("/api/chat/stream", { json: { session_id: sid, content: say("one") } })).text();

    // 2. AI SDK useChat, into the same session id.
    const stream = await transport.sendMessages({
      chatId: sid,
      messages: [{ id: "u2", role: "user", parts: [{ type: "text", text: say("two") }] }],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    let ui: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream })) ui = m;
    expect(ui!.parts.some((p) => p.type === "text" && p.text === `Echo: ${say("two")}`)).toBe(true);

    // 3. Reference 004 JSON chat.
    const v1 = await (await call(`/api/v1/chat/${sid}`, { json: { message: say("three") } })).json<any>();
    expect(v1).toMatchObject({ session_id: sid, response: `Echo: ${say("three")}` });

    // 4. Reference 002 simple chat.
    const simple = await (await call("/chat", { json: { message: say("four"), session_id: sid } })).json<any>();
    expect(simple).toMatchObject({ session_id: sid, response: `Echo: ${say("four")}` });

    // 5. OpenAI with X-Session-Id: the client's messages are the context; the turn is recorded.
    const client = openaiClient({ "X-Session-Id": sid });
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: say("five") }],
    });
    expect(completion.choices[0].message.content).toBe(`Echo: ${say("five")}`);

    // 6. Anthropic's Messages API with X-Session-Id: recorded the same way.
    const anthropic = new Anthropic({
      apiKey: "x",
      baseURL: "http://edge-chat.test",
      maxRetries: 0,
      fetch: workerFetch,
      defaultHeaders: { "X-Session-Id": sid },
    });
    const message = await anthropic.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 50,
      messages: [{ role: "user", content: say("six") }],
    });
    expect(message.content).toEqual([{ type: "text", text: `Echo: ${say("six")}` }]);

    // 7. The Responses API into the session X-Session-Id names: the stored history is the context.
    const responses = openaiClient();
    const seventh = await responses.responses.create(
      { model: "gpt-4o-mini", input: say("seven") },
      { headers: { "X-Session-Id": sid } },
    );
    expect(seventh.output_text).toBe(`Echo: ${say("seven")}`);

    // 8. And previous_response_id continues from that response, in the same session.
    const eighth = await responses.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: seventh.id,
      input: say("eight"),
    });
    expect(eighth.output_text).toBe(`Echo: ${say("eight")}`);
    const [last] = await upstreamRequests(say("eight"));
    expect(last.body.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual([
      "system:You are a test assistant.",
      ...["one", "two", "three", "four", "five", "six", "seven"].flatMap((n) => [
        `user:${say(n)}`,
        `assistant:Echo: ${say(n)}`,
      ]),
      `user:${say("eight")}`,
    ]);

    // Each stored turn sent everything before it upstream.
    const [fourth] = await upstreamRequests(say("four"));
    expect(fourth.body.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual([
      "system:You are a test assistant.",
      `user:${say("one")}`,
      `assistant:Echo: ${say("one")}`,
      `user:${say("two")}`,
      `assistant:Echo: ${say("two")}`,
      `user:${say("three")}`,
      `assistant:Echo: ${say("three")}`,
      `user:${say("four")}`,
    ]);

    // And every reader sees the same sixteen messages, in order.
    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(conv.messages.map((m: any) => `${m.role}:${m.content}`)).toEqual(
      ["one", "two", "three", "four", "five", "six", "seven", "eight"].flatMap((n) => [
        `user:${say(n)}`,
        `assistant:Echo: ${say(n)}`,
      ]),
    );
    const listed = (await (await call("/api/v1/context/conversations")).json<any>()).conversations.find(
      (c: any) => c.session_id === sid,
    );
    expect(listed.message_count).toBe(16);
  });
});
