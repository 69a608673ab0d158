/**
 * A model's text deltas that arrive in one network read go on as one piece: one frame to the
 * client, one row of the event log, in their place among whatever else that read brought. Deltas
 * that arrive apart stay apart: nothing waits for more to come.
 */
import { describe, expect, it } from "vitest";
import { nativeEvents } from "../support/sse";
import { call, openaiClient, script, uniqueId } from "./helpers";

const pieces = ["Hel", "lo", ", ", "wor", "ld"];

async function turn(sid: string, directive: string) {
  const res = await call("/api/chat/stream", { json: { session_id: sid, content: `${sid} ${directive}` } });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

const chunks = (events: { type: string; data: any }[]) =>
  events.filter((e) => e.type === "chunk").map((e) => e.data.content as string);

describe("deltas of one network read", () => {
  it("are one chunk, stored and resumed as such", async () => {
    const sid = uniqueId("read");
    const events = await turn(sid, script({ pieces, together: true }));
    expect(chunks(events)).toEqual(["Hello, world"]);
    expect(events.at(-1)).toMatchObject({ type: "complete" });
    expect(events.at(-1)!.data.message.content).toBe("Hello, world");
    // The log holds what the client was sent: a client that comes back gets the same frames.
    const replay = await call(`/api/chat/${sid}/stream?after=0`);
    expect(chunks(nativeEvents(await replay.text()))).toEqual(["Hello, world"]);
  });

  it("stay apart when they arrive apart", async () => {
    const events = await turn(uniqueId("read"), script({ pieces, delayMs: 30 }));
    expect(chunks(events)).toEqual(pieces);
  });

  it("go out before a broken frame that came with them, then the error", async () => {
    const sid = uniqueId("read");
    const events = await turn(sid, script({ pieces, together: true, malformedAfter: 3 }));
    expect(events.map((e) => e.type)).toEqual(["chunk", "error"]);
    expect(events[0].data.content).toBe("Hello, ");
    expect(events[1].data.code).toBe("upstream_protocol");
  });

  it("reach an OpenAI client as one delta, with the finish after it", async () => {
    const sid = uniqueId("read");
    const stream = await openaiClient().chat.completions.create({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: `${sid} ${script({ pieces, together: true })}` }],
    });
    const seen: Array<{ content?: string | null; finish: string | null }> = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta?.content || choice?.finish_reason)
        seen.push({ content: choice.delta?.content, finish: choice.finish_reason });
    }
    expect(seen.map((s) => s.content ?? null)).toEqual(["Hello, world", null]);
    expect(seen.at(-1)!.finish).toBe("stop");
  });
});
