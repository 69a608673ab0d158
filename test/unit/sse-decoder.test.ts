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

  it("reads one huge frame cut into small pieces in linear time: 8 × the bytes take about 8 × as long, not 64 ×", async () => {
    const CHUNK = 1024;
    /** One frame whose data is `bytes` long, in CHUNK-byte pieces. */
    const huge = (bytes: number) => {
      const frame = new TextEncoder().encode(`data: {"content":"${"a".repeat(bytes)}"}\n\n`);
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < frame.length; i += CHUNK) pieces.push(frame.subarray(i, i + CHUNK));
      return pieces;
    };
    /**
     * The least CPU time of three reads, in ms. CPU time, not the wall clock: on a loaded CI
     * machine preemption stretches the longer read more than its share (see markdown.test.ts).
     */
    const time = async (bytes: number) => {
      const pieces = huge(bytes);
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run++) {
        const started = process.cpuUsage();
        const [message] = await all(body(pieces));
        const spent = process.cpuUsage(started);
        best = Math.min(best, (spent.user + spent.system) / 1000);
        expect(message.data.length).toBe(bytes + '{"content":""}'.length);
      }
      return Math.max(best, 2);
    };
    const small = await time(512 << 10);
    const large = await time(4 << 20);
    // Eight times the bytes: linear reads take about 8 ×, a decoder that rescans what it buffered
    // about 64 ×; the bound sits between.
    expect(large / small, `512 KB: ${small.toFixed(0)} ms, 4 MB: ${large.toFixed(0)} ms`).toBeLessThan(32);

    // The attack's size: 10 MB in one delta, read whole (the quadratic decoder took 21 s).
    const started = performance.now();
    const [ten] = await all(body(huge(10 << 20)));
    expect(ten.data.length).toBe((10 << 20) + '{"content":""}'.length);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
