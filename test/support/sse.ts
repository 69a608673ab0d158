/**
 * Reads SSE bytes the way a client does, for assertions on what went over the wire: through the
 * same parser the server uses for its upstream (`eventsource-parser`), so one parser is trusted.
 */
import { createParser } from "eventsource-parser";

export interface ParsedFrame {
  id?: string;
  event?: string;
  data: string;
}

function collector(frames: ParsedFrame[]) {
  return createParser({
    onEvent: (e) =>
      frames.push({
        ...(e.id !== undefined ? { id: e.id } : {}),
        ...(e.event ? { event: e.event } : {}),
        data: e.data,
      }),
  });
}

/** Every event in `text`; one the server did not close with a blank line counts too. */
export function parseSse(text: string): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  collector(frames).feed(`${text}\n\n`);
  return frames;
}

/** Native-dialect frames: `{type, data}` JSON with the SSE id. */
export function nativeEvents(text: string): { id: number; type: string; data: any }[] {
  return parseSse(text).map((f) => ({ id: Number(f.id), ...(JSON.parse(f.data) as { type: string; data: any }) }));
}

/** Reads a streamed body frame by frame, so a test can act mid-stream. */
export class SseReader {
  private readonly frames: ParsedFrame[] = [];
  private readonly parser = collector(this.frames);
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Everything read so far, as text. */
  text = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next complete frame, or null at the end of the stream. */
  async next(): Promise<ParsedFrame | null> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      const { done, value } = await this.reader.read();
      if (done) return null;
      const chunk = this.decoder.decode(value, { stream: true });
      this.text += chunk;
      this.parser.feed(chunk);
    }
  }

  async rest(): Promise<ParsedFrame[]> {
    const frames: ParsedFrame[] = [];
    for (let f = await this.next(); f; f = await this.next()) frames.push(f);
    return frames;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}
