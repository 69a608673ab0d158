/**
 * The upstream's Server-Sent Events as `{event, data}` messages, parsed by `eventsource-parser`
 * (linear in the input however it is cut, and faster than the `openai` SDK's own iterator, which
 * scans bytes one by one); the SDK still makes the request and maps its errors.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseMessage {
  /** The `event:` field, or null when there was none. */
  event: string | null;
  data: string;
}

/**
 * Reads `body` a network read at a time: each `batch()` is every message the next read completed
 * (one await however many messages a read brings, and no generator between the bytes and their
 * reader: the token path's hot loop). A last event the server did not close with a blank line
 * still counts.
 */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private ready: SseMessage[] = [];
  private readonly parser = createParser({
    onEvent: (e: EventSourceMessage) => {
      this.ready.push({ event: e.event ?? null, data: e.data });
    },
  });
  /** The body has been read to its end. */
  done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next messages; an empty array only once the body has ended. */
  async batch(): Promise<SseMessage[]> {
    while (!this.done) {
      const read = await this.reader.read();
      this.done = read.done;
      this.parser.feed(this.done ? `${this.decoder.decode()}\n\n` : this.decoder.decode(read.value, { stream: true }));
      if (this.ready.length === 0) continue;
      const batch = this.ready;
      this.ready = [];
      return batch;
    }
    return [];
  }

  /** A consumer that stops early closes the upstream connection. */
  cancel(): void {
    if (!this.done) this.reader.cancel().catch(() => {});
  }
}

/** Reads `body` to its end, message by message. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = new SseReader(body);
  try {
    for (let batch = await reader.batch(); batch.length; batch = await reader.batch()) yield* batch;
  } finally {
    reader.cancel();
  }
}
