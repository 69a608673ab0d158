import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nativeEvents, type ParsedFrame, SseReader } from "../support/sse";
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
    while (seen.length < 40) seen.push((await reader.next())!);
    await abortAllDurableObjects();
    await reader.rest().catch(() => undefined);

    const conv = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
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
});
