/**
 * A model whose output is scrubbed of the configured secrets before anything else sees it: an
 * upstream that echoes the `Authorization` it was sent (or a key it saw in its context) must not
 * stream it to the caller, into the stored reply, or into a tool's arguments.
 */
import type { Redactor, StreamRedaction } from "../lib/redact";
import type { ChatProvider, ChatRequest, ProviderChunk } from "./provider";

export class RedactingProvider implements ChatProvider {
  constructor(
    private readonly inner: ChatProvider,
    private readonly redactor: Redactor,
  ) {}

  /**
   * Not a generator: each `next()` awaits the inner stream's and hands on its chunk scrubbed (a
   * chunk the scrubber holds back whole is skipped; held text is let out before the next non-text
   * chunk and at the end) — one await per chunk on the token path instead of a generator's hops.
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    return {
      [Symbol.asyncIterator]: () => {
        const inner = this.inner.stream(request, signal)[Symbol.asyncIterator]();
        const text = this.redactor.stream();
        // Each tool call's arguments are a text of their own, streamed in pieces.
        const args = new Map<number, StreamRedaction>();
        const queued: ProviderChunk[] = [];
        let ended = false;
        const heldText = () => {
          const rest = text.flush();
          if (rest) queued.push({ type: "text", text: rest });
        };
        const heldArgs = () => {
          for (const [index, redaction] of args) {
            const rest = redaction.flush();
            if (rest) queued.push({ type: "tool-call-delta", index, argsDelta: rest });
          }
        };
        const scrub = (chunk: ProviderChunk): ProviderChunk | undefined => {
          if (chunk.type === "text") {
            const out = text.push(chunk.text);
            return out ? { type: "text", text: out } : undefined;
          }
          if (chunk.type === "tool-call-delta") {
            heldText();
            if (chunk.argsDelta === undefined) return chunk;
            const redaction = args.get(chunk.index) ?? this.redactor.stream();
            args.set(chunk.index, redaction);
            return { ...chunk, argsDelta: redaction.push(chunk.argsDelta) };
          }
          heldText();
          heldArgs();
          return chunk;
        };
        const next = async (): Promise<IteratorResult<ProviderChunk>> => {
          for (;;) {
            if (queued.length) return { done: false, value: queued.shift()! };
            if (ended) return { done: true, value: undefined };
            const result = await inner.next();
            if (result.done) {
              ended = true;
              heldText();
              heldArgs();
              continue;
            }
            const out = scrub(result.value);
            if (!out) continue;
            if (!queued.length) return { done: false, value: out };
            queued.push(out);
          }
        };
        return {
          next,
          return: async (value?: unknown) => {
            ended = true;
            queued.length = 0;
            return (await inner.return?.(value)) ?? { done: true as const, value: undefined };
          },
        };
      },
    };
  }
}
