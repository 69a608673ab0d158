/** Reads SSE bytes the way a client does, for assertions on what went over the wire. */

export interface ParsedFrame {
  id?: string;
  event?: string;
  data: string;
}

export function parseSse(text: string): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    const frame: ParsedFrame = { data: "" };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "data") data.push(value);
      else if (name === "id") frame.id = value;
      else if (name === "event") frame.event = value;
    }
    if (data.length === 0) continue;
    frame.data = data.join("\n");
    frames.push(frame);
  }
  return frames;
}

/** Native-dialect frames: `{type, data}` JSON with the SSE id. */
export function nativeEvents(text: string): { id: number; type: string; data: any }[] {
  return parseSse(text).map((f) => ({ id: Number(f.id), ...(JSON.parse(f.data) as { type: string; data: any }) }));
}

/** Reads a streamed body frame by frame, so a test can act mid-stream. */
export class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  text = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next complete frame, or null at the end of the stream. */
  async next(): Promise<ParsedFrame | null> {
    for (;;) {
      const end = this.buffer.search(/\r?\n\r?\n/);
      if (end !== -1) {
        const block = this.buffer.slice(0, end + 2);
        this.buffer = this.buffer.slice(end + 2).replace(/^\r?\n/, "");
        const [frame] = parseSse(block);
        if (frame) return frame;
        continue;
      }
      const { done, value } = await this.reader.read();
      if (done) return null;
      const chunk = this.decoder.decode(value, { stream: true });
      this.text += chunk;
      this.buffer += chunk;
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
