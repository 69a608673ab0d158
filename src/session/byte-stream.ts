/**
 * A byte stream to one client: a ReadableStream whose frames are queued synchronously
 * (`controller.enqueue`) and read out by the runtime, which carries the stream to the Worker and
 * on to the client. A slow or vanished client cannot stall the turn: nothing here waits for it.
 * A client that went away shows up as the runtime cancelling the stream (when its next write to
 * the client fails).
 *
 * Why not a TransformStream's writer: each frame was then a write promise chained behind the
 * last, a handful of promise hops per token: 3–5 % of the runtime's CPU per token when every token
 * is a network read of its own (interleaved runs); at 200 concurrent streams the whole stream was
 * 2.1 × the floor relay's in the two runs before, 1.2–2.2 × in runs since (`npm run bench`).
 */
export class ByteStream {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private gone = false;
  private closed = false;
  /** Set by `fail` while frames are still queued: the error follows the last of them. */
  private failure: Error | null = null;

  /**
   * `onGone` runs once, when the client goes away. Only a stream made with `canFail` may `fail`:
   * its source has a `pull`, which the runtime calls (a promise and its reaction, made in C++)
   * each time the reader has taken everything queued — once per frame on a stream read as fast as
   * it is written. A stream without one skips all that: 2.9 % of the runtime's CPU samples while
   * it streamed 2,000-token replies, against none for the floor relay, whose source has no `pull`
   * (`perf` on `workerd`, 4 December).
   */
  constructor(
    private readonly onGone: () => void = () => {},
    private readonly canFail = false,
  ) {
    // With a high-water mark of 0, called when the reader waits and nothing is queued.
    const pull = () => {
      if (this.failure) this.controller.error(this.failure);
    };
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        ...(canFail ? { pull } : {}),
        cancel: () => {
          if (this.gone) return;
          this.gone = true;
          this.onGone();
        },
      },
      { highWaterMark: 0 },
    );
  }

  get ended(): boolean {
    return this.gone || this.closed;
  }

  write(bytes: Uint8Array): void {
    if (this.ended) return;
    this.controller.enqueue(bytes);
  }

  /** Ends the stream after everything queued; never rejects. */
  close(): Promise<void> {
    if (!this.ended) this.controller.close();
    this.closed = true;
    return Promise.resolve();
  }

  /** Ends the stream with an error after everything queued: the client sees it cut off, not ended. */
  fail(reason: Error): Promise<void> {
    if (!this.canFail) throw new Error("ByteStream.fail: the stream was made without canFail");
    if (this.ended) return Promise.resolve();
    this.closed = true;
    // Nothing queued: now; otherwise once the reader has taken the rest (`pull`).
    if (this.controller.desiredSize === 0) this.controller.error(reason);
    else this.failure = reason;
    return Promise.resolve();
  }
}
