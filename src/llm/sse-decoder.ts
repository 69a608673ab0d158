/**
 * The upstream's Server-Sent Events as `{event, data}` messages: bytes → lines → events, with the
 * runtime's TextDecoder and `indexOf` doing the work. The `openai` SDK's own iterator scans bytes
 * one by one in JS and copies its whole buffer for every event it finds, which cost a relay a
 * fifth of its CPU (DESIGN.md); the SDK still makes the request and maps its errors.
 */
export interface SseMessage {
  /** The `event:` field, or null when there was none. */
  event: string | null;
  data: string;
}

/** Reads `body` to its end. Lines end in LF or CRLF (what OpenAI-compatible servers send). */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | null = null;
  let data: string[] = [];
  let done = false;
  try {
    while (!done) {
      const read = await reader.read();
      done = read.done;
      buffer += done ? decoder.decode() : decoder.decode(read.value, { stream: true });
      if (done && buffer !== "" && !buffer.endsWith("\n")) buffer += "\n";
      let start = 0;
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n", start)) {
        const line =
          buffer.charCodeAt(end - 1) === 13 && end > start ? buffer.slice(start, end - 1) : buffer.slice(start, end);
        start = end + 1;
        if (line === "") {
          if (data.length > 0) yield { event, data: data.join("\n") };
          event = null;
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
        } else if (line.startsWith("event:")) {
          event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
        }
        // `id:`, `retry:` and `:` comments carry nothing a chat completion needs.
      }
      buffer = buffer.slice(start);
    }
    if (data.length > 0) yield { event, data: data.join("\n") };
  } finally {
    // A consumer that stops early closes the upstream connection.
    if (!done) reader.cancel().catch(() => {});
  }
}
