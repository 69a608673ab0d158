/**
 * The one SSE frame writer. Field values are data, never code: an `event` or `id` carrying CR/LF
 * could inject frames, so it is refused; `data` is split across `data:` lines as the spec requires.
 */
export interface SseFrame {
  data: string;
  event?: string;
  id?: string | number;
  retry?: number;
}

const encoder = new TextEncoder();

function field(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${name} must not contain CR or LF`);
  return `${name}: ${value}\n`;
}

export function formatSse(frame: SseFrame): string {
  let out = "";
  if (frame.event !== undefined) out += field("event", frame.event);
  if (frame.id !== undefined) out += field("id", String(frame.id));
  if (frame.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(frame.retry))}\n`;
  for (const line of frame.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

export function encodeSse(frame: SseFrame): Uint8Array {
  return encoder.encode(formatSse(frame));
}

/** A comment line: ignored by clients, keeps idle proxies from cutting the stream. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
}

/** Headers every SSE response carries. `identity` stops `wrangler dev` buffering to compress. */
export const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "Content-Encoding": "identity",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
};

/**
 * One JSON `data:` frame with the event's seq as its id; nothing for a null payload. Written
 * directly, not through `formatSse`: JSON text never holds a raw CR or LF (`JSON.stringify`
 * escapes them), so there is nothing to split — and this runs once per streamed token.
 */
export function jsonFrame(seq: number, payload: unknown): string {
  return payload === null || payload === undefined ? "" : `id: ${seq}\ndata: ${JSON.stringify(payload)}\n\n`;
}
