import { describe, expect, it } from "vitest";
import { type SseMessage, sseMessages } from "../../src/llm/sse-decoder";

/** A body delivered in the given byte pieces, as a network would cut it. */
function body(pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(typeof p === "string" ? enc.encode(p) : p);
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of sseMessages(stream)) out.push(m);
  return out;
}

describe("the upstream SSE decoder", () => {
  it("reads frames split anywhere, with LF or CRLF, comments, ids and multi-line data", async () => {
    const text =
      ': keep-alive\n\ndata: {"a":1}\n\nid: 7\r\nevent: error\r\ndata: line one\r\ndata: line two\r\n\r\ndata:[DONE]\n\n';
    for (const size of [1, 3, 7, text.length]) {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      expect(await all(body(pieces))).toEqual([
        { event: null, data: '{"a":1}' },
        { event: "error", data: "line one\nline two" },
        { event: null, data: "[DONE]" },
      ]);
    }
  });

  it("keeps a multi-byte character split across chunks, and a last frame with no blank line", async () => {
    const bytes = new TextEncoder().encode('data: {"t":"你好"}');
    expect(await all(body([bytes.subarray(0, 12), bytes.subarray(12)]))).toEqual([
      { event: null, data: '{"t":"你好"}' },
    ]);
  });

  it("cancels the body when the reader stops early", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("data: x\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of sseMessages(stream)) break;
    await new Promise((r) => setTimeout(r, 0));
    expect(cancelled).toBe(true);
  });
});
