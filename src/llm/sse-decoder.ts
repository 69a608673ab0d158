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

/** Reads `body` to its end. A last event the server did not close with a blank line still counts. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let ready: SseMessage[] = [];
  const parser = createParser({
    onEvent: (e: EventSourceMessage) => {
      ready.push({ event: e.event ?? null, data: e.data });
    },
  });
  let done = false;
  try {
    while (!done) {
      const read = await reader.read();
      done = read.done;
      parser.feed(done ? `${decoder.decode()}\n\n` : decoder.decode(read.value, { stream: true }));
      if (ready.length === 0) continue;
      const batch = ready;
      ready = [];
      for (const message of batch) yield message;
    }
  } finally {
    // A consumer that stops early closes the upstream connection.
    if (!done) reader.cancel().catch(() => {});
  }
}
