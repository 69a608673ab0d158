/**
 * A byte stream to one client. Writes are chained, never awaited by whoever writes, so a slow or
 * vanished client cannot stall the turn; frames that come while a write is in flight leave
 * together in the next one. A failed write is how a disconnect shows up inside a Durable Object.
 */
export class ByteStream {
  readonly stream: ReadableStream<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private chain: Promise<void> = Promise.resolve();
  /** Frames of the write that has not started yet, which later frames join. */
  private queued: Uint8Array[] | null = null;
  private gone = false;
  private closed = false;

  /** `onGone` runs once, when a write fails: the client went away. */
  constructor(private readonly onGone: () => void = () => {}) {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    this.stream = pipe.readable;
    this.writer = pipe.writable.getWriter();
    // A stream that fails on purpose (`fail`) or because the client left rejects `closed`: nobody waits on it.
    this.writer.closed.catch(() => {});
  }

  get ended(): boolean {
    return this.gone || this.closed;
  }

  write(bytes: Uint8Array): void {
    if (this.ended) return;
    // A burst costs a few writes, not one per frame (each is a promise round trip through the stream).
    if (this.queued) {
      this.queued.push(bytes);
      return;
    }
    const frames = [bytes];
    this.queued = frames;
    void this.enqueue(async () => {
      this.queued = null;
      // Waited for only under backpressure: an await of a settled promise is a hop per frame too.
      if (!(this.writer.desiredSize! > 0)) await this.writer.ready;
      await this.writer.write(frames.length === 1 ? frames[0] : concat(frames));
    });
  }

  /** Ends the stream after everything queued; never rejects. */
  close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    return this.enqueue(() => this.writer.close());
  }

  /** Ends the stream with an error after everything queued: the client sees it cut off, not ended. */
  fail(reason: Error): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    return this.enqueue(async () => {
      await this.writer.abort(reason);
      this.writer.ready.catch(() => {});
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch(() => {
      if (this.gone) return;
      this.gone = true;
      this.onGone();
    });
    return this.chain;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
