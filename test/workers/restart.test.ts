import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nativeEvents, type ParsedFrame, parseSse, SseReader } from "../support/sse";
import { call, script, uniqueId, upstreamUrl } from "./helpers";

// Its own file: aborting every object must not cut other files' turns.
const contentOf = (frames: ParsedFrame[]) =>
  frames
    .map((f) => JSON.parse(f.data))
    .filter((d) => d.type === "chunk")
    .map((d) => d.data.content)
    .join("");

describe("a restart of the session object mid-turn", () => {
  // A turn on the caller's own key cannot be continued (the key is never stored): today's behaviour.
  // Continued turns: turn-continuation.test.ts.
  it("keeps a reply that cannot be continued as interrupted, tells a resuming client, and the next turn works", async () => {
    const sid = uniqueId();
    const res = await call("/api/chat/stream", {
      json: {
        session_id: sid,
        content: `${sid} ${script({ text: "tok ", repeat: 400, delayMs: 10 })}`,
        model_config: { api_key: "sk-callers-own-key-0123", base_url: upstreamUrl },
      },
    });
    const reader = new SseReader(res.body!);
    const seen: ParsedFrame[] = [];
    // 2 s of reply: twice the flush interval (a second), so some of it is stored.
    while (seen.length < 200) seen.push((await reader.next())!);
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    // The user message was durable before the first token went out.
    expect(conv.messages.at(-2)).toMatchObject({ role: "user", content: expect.stringContaining(sid) });
    const reply = conv.messages.at(-1);
    expect(reply.status).toBe("interrupted");
    expect(reply.content.length).toBeGreaterThan(0);
    expect(reply.content.length).toBeLessThan("tok ".repeat(400).length);

    const resumed = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": seen.at(-1)!.id! } });
    expect(resumed.status).toBe(200);
    const events = nativeEvents(await resumed.text());
    expect(events.at(-1)).toMatchObject({ type: "error", data: { code: "interrupted" } });
    expect(events.at(-1)!.id).toBeGreaterThan(Number(seen.at(-1)!.id));
    expect(contentOf(seen).length).toBeGreaterThan(0);

    const next = nativeEvents(
      await (await call("/api/chat/stream", { json: { session_id: sid, content: "after the restart" } })).text(),
    );
    expect(next.at(-1)!.data.message).toMatchObject({ status: "complete", content: "Echo: after the restart" });
  });

  it("a new session's question is durable before its model has sent any text (a slow first token)", async () => {
    const sid = uniqueId("slow-first");
    const res = await call("/api/chat/stream", {
      json: { session_id: sid, content: `${sid} ${script({ text: "late ", repeat: 2, delayMs: 1500 })}` },
    });
    expect(res.status).toBe(200);
    // Well before the first token: the new session's first writes wait for the first text, but
    // not longer than a moment (held-writes.ts).
    await new Promise((r) => setTimeout(r, 300));
    await abortAllDurableObjects();
    await res.text().catch(() => undefined);
    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(conv.messages[0]).toMatchObject({ role: "user", content: expect.stringContaining(sid) });
  });

  it("after a restart the log replays the text the reply was stored with, no more (the two are written together)", async () => {
    const sid = uniqueId();
    // The first text comes 600 ms after the turn's start: a log flushed by its own clock (from the
    // start) wrote its deltas before the transcript (its second counted from the first text)
    // wrote the reply, and the restart fell between the two.
    const res = await call("/api/chat/stream", {
      json: {
        session_id: sid,
        content: `${sid} ${script({ text: "tok ", repeat: 400, delayMs: 10, firstDelayMs: 600 })}`,
        model_config: { api_key: "sk-callers-own-key-0123", base_url: upstreamUrl },
      },
    });
    const reader = new SseReader(res.body!);
    const seen: ParsedFrame[] = [];
    while (contentOf(seen).length < 70 * "tok ".length) seen.push((await reader.next())!);
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    const stored: string = conv.messages.at(-1).content;
    const resumed = await call(`/api/chat/${sid}/stream`, { headers: { "Last-Event-ID": "0" } });
    expect(resumed.status).toBe(200);
    const replayed = contentOf(parseSse(await resumed.text()));
    expect(replayed).toBe(stored);
    expect(contentOf(seen).startsWith(stored)).toBe(true);
  });

  it("loses at most one flush interval of the reply: what the client saw, less at most a second of text, is stored", async () => {
    const sid = uniqueId();
    const piece = "tok ";
    const delayMs = 10;
    const res = await call("/api/chat/stream", {
      json: { session_id: sid, content: `${sid} ${script({ text: piece, repeat: 600, delayMs })}` },
    });
    const reader = new SseReader(res.body!);
    const seen: ParsedFrame[] = [];
    // 2.5 s of reply: past the transcript's flush interval (a second at the latest) more than twice.
    while (seen.length < 250) seen.push((await reader.next())!);
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    const stored: string = conv.messages.at(-1).content;
    const shown = contentOf(seen);
    expect(piece.repeat(600).startsWith(stored)).toBe(true);
    // One flush interval (FLUSH_AT_MOST_MS = 1 s) at 10 ms a token is 100 tokens; half again for
    // tokens a busy machine delivers late, in a bunch. A turn that stopped flushing loses all 250.
    const perInterval = (1_000 / delayMs) * piece.length;
    expect(shown.length - stored.length).toBeLessThanOrEqual(perInterval * 1.5);
    expect(stored.length).toBeGreaterThan(0);
  });
});
