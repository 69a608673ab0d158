/**
 * Files attached to messages, stored in the R2 binding (`FILES`, simulated by the Workers pool):
 * sent to the model as an `image_url` part or inlined text, again in later turns, served back to
 * their owner, limited by size and type with errors that name the file, and deleted with their
 * conversation. Through the native API, the AI SDK's transport, and the OpenAI (Chat Completions and
 * Responses) and Anthropic SDKs.
 */

import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import Anthropic from "@anthropic-ai/sdk";
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from "ai";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { parseResponseId } from "../../src/events/encode/responses";
import { call, openaiClient, script, uniqueId, upstreamRequests, workerFetch } from "./helpers";

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const PNG_URL = `data:image/png;base64,${PNG}`;
const NOTES = "line one\nline two ü";

/** The Anthropic SDK pointed at the Worker, its turns recorded in session `sid`. */
const anthropicIn = (sid: string) =>
  new Anthropic({
    apiKey: "x",
    baseURL: "http://edge-chat.test",
    maxRetries: 0,
    fetch: workerFetch,
    defaultHeaders: { "X-Session-Id": sid },
  });

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

async function keysOf(sid: string): Promise<string[]> {
  const listed = await env.FILES.list();
  return listed.objects.map((o) => o.key).filter((k) => k.includes(`/${sid}/`));
}

async function conversation(sid: string): Promise<any> {
  const res = await call(`/api/v1/context/conversations/${sid}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** One Responses API user message: `text` and the test image. */
const picture = (text: string): OpenAI.Responses.ResponseInputItem[] => [
  {
    role: "user",
    content: [
      { type: "input_text", text },
      { type: "input_image", image_url: PNG_URL, detail: "auto" },
    ],
  },
];

/** The user messages' content parts of the upstream's last request for `marker`. */
async function lastUserParts(marker: string): Promise<any[]> {
  const requests = await upstreamRequests(marker);
  return requests
    .at(-1)!
    .body.messages.filter((m: any) => m.role === "user")
    .map((m: any) => m.content);
}

describe("attachments", () => {
  it("native: an image and a text file go to the model as parts, stay with the message, and are served back", async () => {
    const sid = uniqueId("att");
    const res = await call("/api/chat/stream", {
      json: {
        session_id: sid,
        content: `What is in these? ${sid}`,
        attachments: [
          { name: "dot.png", type: "image/png", data: PNG },
          { name: "notes.txt", type: "text/plain", data: b64(NOTES) },
        ],
      },
    });
    expect(res.status).toBe(200);
    await res.text();
    const [parts] = await lastUserParts(sid);
    expect(parts).toEqual([
      { type: "text", text: `What is in these? ${sid}` },
      { type: "image_url", image_url: { url: PNG_URL } },
      { type: "text", text: `\n\nAttached file notes.txt:\n\n${NOTES}` },
    ]);

    const [question] = (await conversation(sid)).messages;
    expect(question.content).toBe(`What is in these? ${sid}`);
    expect(question.attachments).toEqual([
      { id: expect.any(String), name: "dot.png", type: "image/png", size: 70 },
      { id: expect.any(String), name: "notes.txt", type: "text/plain", size: new TextEncoder().encode(NOTES).length },
    ]);
    const file = await call(`/api/files/${sid}/${question.attachments[0].id}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    expect(btoa(String.fromCharCode(...new Uint8Array(await file.arrayBuffer())))).toBe(PNG);
    expect(await (await call(`/api/files/${sid}/${question.attachments[1].id}`)).text()).toBe(NOTES);

    // The next turn's history still carries them, read back from R2.
    await (await call("/api/chat/stream", { json: { session_id: sid, content: `And now? ${sid}` } })).text();
    const [first, second] = await lastUserParts(sid);
    expect(first[1]).toEqual({ type: "image_url", image_url: { url: PNG_URL } });
    expect(second).toBe(`And now? ${sid}`);

    // Deleting the conversation deletes its files.
    expect(await keysOf(sid)).toHaveLength(2);
    expect((await call(`/api/v1/context/conversations/${sid}`, { method: "DELETE" })).status).toBe(200);
    expect(await keysOf(sid)).toEqual([]);
    const gone = await call(`/api/files/${sid}/${question.attachments[0].id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: "attachment_not_found" } });
  });

  it("refuses a file too large, of a type it cannot attach, or not base64, naming it; nothing is stored", async () => {
    const sid = uniqueId("lim");
    const send = (attachments: unknown) =>
      call("/api/chat/stream", { json: { session_id: sid, content: `hi ${sid}`, attachments } });
    const big = await send([{ name: "huge.txt", type: "text/plain", data: btoa("x".repeat(710 * 1024)) }]);
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({
      error: { code: "attachment_too_large", message: expect.stringContaining("huge.txt") },
    });
    const pdf = await send([{ name: "paper.pdf", type: "application/pdf", data: b64("%PDF-1.4") }]);
    expect(pdf.status).toBe(415);
    expect(await pdf.json()).toMatchObject({
      error: { code: "attachment_type_unsupported", message: expect.stringContaining("paper.pdf") },
    });
    const binary = await send([{ name: "data.txt", type: "text/plain", data: btoa("\xff\xfe\xfd") }]);
    expect(binary.status).toBe(415);
    const broken = await send([{ name: "dot.png", type: "image/png", data: "not base64!" }]);
    expect(broken.status).toBe(400);
    const many = await send(Array.from({ length: 5 }, (_, i) => ({ name: `${i}.png`, type: "image/png", data: PNG })));
    expect(many.status).toBe(400);

    expect((await call(`/api/v1/context/conversations/${sid}`)).status).toBe(404);
    expect(await keysOf(sid)).toEqual([]);
    expect(await upstreamRequests(sid)).toEqual([]);
  });

  it("a refused turn (one already running) deletes the files it brought", async () => {
    const sid = uniqueId("busy");
    const slow = await call("/api/chat/stream", {
      json: { session_id: sid, content: `slow ${sid} ${script({ text: "tick ", repeat: 40, delayMs: 25 })}` },
    });
    const refused = await call("/api/chat/stream", {
      json: { session_id: sid, content: "second", attachments: [{ name: "dot.png", type: "image/png", data: PNG }] },
    });
    expect(refused.status).toBe(409);
    expect(await keysOf(sid)).toEqual([]);
    await slow.text();
  });

  it("the AI SDK's file parts are attachments", async () => {
    const transport = new DefaultChatTransport<UIMessage>({
      api: "http://edge-chat.test/api/chat",
      fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    });
    const chatId = uniqueId("aif");
    const message: UIMessage = {
      id: crypto.randomUUID(),
      role: "user",
      parts: [
        { type: "text", text: `look ${chatId}` },
        { type: "file", mediaType: "image/png", url: PNG_URL, filename: "dot.png" },
      ],
    };
    const stream = await transport.sendMessages({
      chatId,
      messages: [message],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    for await (const _ of readUIMessageStream({ stream }));
    expect((await lastUserParts(chatId))[0]).toEqual([
      { type: "text", text: `look ${chatId}` },
      { type: "image_url", image_url: { url: PNG_URL } },
    ]);
    expect((await conversation(chatId)).messages[0].attachments).toMatchObject([
      { name: "dot.png", type: "image/png" },
    ]);
  });

  it("OpenAI's image_url parts, Anthropic's image blocks and the Responses API's input_image: sent, and kept in R2 when stored", async () => {
    const openai = openaiClient();
    const sid = uniqueId("oai");
    await openai.chat.completions.create(
      {
        model: "gpt-4o-mini",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `see ${sid}` },
              { type: "image_url", image_url: { url: PNG_URL } },
            ],
          },
        ],
      },
      { headers: { "X-Session-Id": sid } },
    );
    expect((await lastUserParts(sid))[0]).toEqual([
      { type: "text", text: `see ${sid}` },
      { type: "image_url", image_url: { url: PNG_URL } },
    ]);
    expect((await conversation(sid)).messages[0]).toMatchObject({
      content: `see ${sid}`,
      attachments: [{ name: "image-1", type: "image/png", size: 70 }],
    });
    // Not recorded, an https image passes through as it is and nothing is stored.
    const plain = uniqueId("oai-plain");
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: plain },
            { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
          ],
        },
      ],
    });
    expect((await lastUserParts(plain))[0][1]).toEqual({
      type: "image_url",
      image_url: { url: "https://example.com/cat.png", detail: "low" },
    });

    // Anthropic's base64 image block, recorded in a session, the same way.
    const claudeSid = uniqueId("claude");
    await anthropicIn(claudeSid).messages.create({
      model: "gpt-4o-mini",
      max_tokens: 50,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `and this ${claudeSid}` },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
          ],
        },
      ],
    });
    expect((await lastUserParts(claudeSid))[0]).toEqual([
      { type: "text", text: `and this ${claudeSid}` },
      { type: "image_url", image_url: { url: PNG_URL } },
    ]);
    expect((await conversation(claudeSid)).messages[0].attachments).toMatchObject([{ type: "image/png", size: 70 }]);

    const marker = uniqueId("resp");
    const first = await openai.responses.create({
      model: "gpt-4o-mini",
      input: picture(`picture ${marker}`),
    });
    await openai.responses.create({ model: "gpt-4o-mini", previous_response_id: first.id, input: `more ${marker}` });
    // The second response's history has the image again, read back from R2.
    const [earlier] = await lastUserParts(marker);
    expect(earlier).toEqual([
      { type: "text", text: `picture ${marker}` },
      { type: "image_url", image_url: { url: PNG_URL } },
    ]);
  });

  it("continuing an earlier response (a copy of the conversation) still sends its image", async () => {
    const openai = openaiClient();
    const marker = uniqueId("resp-copy");
    const first = await openai.responses.create({
      model: "gpt-4o-mini",
      input: picture(`picture ${marker}`),
    });
    await openai.responses.create({ model: "gpt-4o-mini", previous_response_id: first.id, input: `next ${marker}` });
    // `first` is no longer its conversation's latest: going on from it again copies the history.
    const forked = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: `instead ${marker}`,
    });
    expect(parseResponseId(forked.id)!.sessionId).not.toBe(parseResponseId(first.id)!.sessionId);
    const [earlier] = await lastUserParts(marker);
    expect(earlier).toEqual([
      { type: "text", text: `picture ${marker}` },
      { type: "image_url", image_url: { url: PNG_URL } },
    ]);
  });

  it("deleting one stored response deletes the files of its turn, and only those", async () => {
    const openai = openaiClient();
    const marker = uniqueId("resp-del");
    const first = await openai.responses.create({ model: "gpt-4o-mini", input: picture(`first ${marker}`) });
    const second = await openai.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: picture(`second ${marker}`),
    });
    const sid = parseResponseId(second.id)!.sessionId;
    const [firstFile, secondFile] = (await conversation(sid)).messages
      .filter((m: any) => m.role === "user")
      .map((m: any) => m.attachments[0].id);
    expect((await keysOf(sid)).map((k) => k.split("/").at(-1)).sort()).toEqual([firstFile, secondFile].sort());

    await openai.responses.delete(second.id);
    expect((await keysOf(sid)).map((k) => k.split("/").at(-1))).toEqual([firstFile]);
  });
});
