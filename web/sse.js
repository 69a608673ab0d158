/**
 * Server-Sent Events read from a fetch() body. EventSource cannot POST, so it cannot start a
 * turn; reading the body ourselves also lets the same code follow a resumed GET stream. Parsed by
 * `eventsource-parser`, the parser the server itself uses: `id:` carries the session's event
 * sequence number, `: ping` comments are skipped.
 */
import { createParser } from "eventsource-parser";

/**
 * Yields `{id, event, data}` per event until the stream ends. Leaving the loop early (break,
 * throw) cancels the body, which closes the connection.
 * @param {ReadableStream<Uint8Array>} body
 */
export async function* readSse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let ready = [];
  let id = "";
  const parser = createParser({
    onEvent: (e) => {
      // EventSource's rule: an event without an id keeps the last one seen.
      if (e.id !== undefined) id = e.id;
      ready.push({ id, event: e.event || "message", data: e.data });
    },
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      // An event without its blank line is incomplete: dropped, as the spec says.
      if (done) return;
      parser.feed(value);
      const events = ready;
      ready = [];
      for (const event of events) yield event;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
