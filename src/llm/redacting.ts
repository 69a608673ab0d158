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

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    const text = this.redactor.stream();
    // Each tool call's arguments are a text of their own, streamed in pieces.
    const args = new Map<number, StreamRedaction>();
    const heldText = function* (): Generator<ProviderChunk> {
      const rest = text.flush();
      if (rest) yield { type: "text", text: rest };
    };
    const heldArgs = function* (): Generator<ProviderChunk> {
      for (const [index, redaction] of args) {
        const rest = redaction.flush();
        if (rest) yield { type: "tool-call-delta", index, argsDelta: rest };
      }
    };
    for await (const chunk of this.inner.stream(request, signal)) {
      if (chunk.type === "text") {
        const out = text.push(chunk.text);
        if (out) yield { type: "text", text: out };
      } else if (chunk.type === "tool-call-delta") {
        yield* heldText();
        if (chunk.argsDelta === undefined) {
          yield chunk;
          continue;
        }
        const redaction = args.get(chunk.index) ?? this.redactor.stream();
        args.set(chunk.index, redaction);
        yield { ...chunk, argsDelta: redaction.push(chunk.argsDelta) };
      } else {
        yield* heldText();
        yield* heldArgs();
        yield chunk;
      }
    }
    yield* heldText();
    yield* heldArgs();
  }
}
