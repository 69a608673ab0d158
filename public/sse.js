/**
 * Server-Sent Events read from a fetch() body. EventSource cannot POST, so it cannot start a
 * turn; reading the body ourselves also lets the same code follow a resumed GET stream.
 * Parses what the SSE spec defines: LF, CRLF or CR line ends, `:` comments (the server's
 * pings), multi-line `data:`, and `id:`, which carries the session's event sequence number.
 */

/**
 * Yields `{id, event, data}` per event until the stream ends. Leaving the loop early (break,
 * throw) cancels the body, which closes the connection.
 * @param {ReadableStream<Uint8Array>} body
 */
export async function* readSse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let id = "";
  let event = "";
  let data = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return; // an event without its blank line is incomplete: dropped, as the spec says
      buffer += value;
      // A CR at the very end may be the first half of a CRLF split across chunks: keep it.
      const lines = buffer.split(/\r\n|\n|\r(?!$)/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data.length) yield { id, event: event || "message", data: data.join("\n") };
          data = [];
          event = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
        else if (field === "id" && !value.includes("\0")) id = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
