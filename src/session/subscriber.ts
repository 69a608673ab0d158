/**
 * One client following a turn: a byte stream in that client's dialect. Writes are chained, never
 * awaited by the turn, so a slow or vanished client cannot stall the model or the other
 * subscribers; a failed write is how a disconnect shows up inside a Durable Object.
 */
import { createEncoder, type Dialect, type Encoder, type EncoderOptions } from "../events/encode";
import { sseComment } from "../events/sse";
import type { TurnEvent } from "../events/types";

const utf8 = new TextEncoder();

/** Idle proxies cut quiet connections; a comment line every 15 s keeps the stream open. */
const HEARTBEAT_MS = 15_000;
/** Tells an EventSource how soon to reconnect after a drop. */
const RETRY_MS = 2_000;

export interface SubscriberOptions {
  /** SSE framing: `retry:` first, then `: ping` comments while quiet. */
  sse: boolean;
  /** Events up to this seq are encoded (the encoder keeps its state) but not sent: the client has them. */
  sentThrough?: number;
}

/** Anything that follows a turn's events. */
export interface TurnListener {
  send(event: TurnEvent): void;
  close(): Promise<void>;
}

/** Gathers a whole turn, for answers that are not streamed. */
export class Collector implements TurnListener {
  readonly events: TurnEvent[] = [];
  private finish!: (events: TurnEvent[]) => void;
  readonly done = new Promise<TurnEvent[]>((resolve) => (this.finish = resolve));

  send(event: TurnEvent): void {
    this.events.push(event);
  }

  async close(): Promise<void> {
    this.finish(this.events);
  }
}

export class Subscriber implements TurnListener {
  readonly stream: ReadableStream<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly encode: Encoder;
  private chain: Promise<void> = Promise.resolve();
  /** Frames of the write that has not started yet, which later frames join. */
  private queued: Uint8Array[] | null = null;
  private gone = false;
  private closed = false;
  private heartbeat?: ReturnType<typeof setInterval>;
  private readonly sentThrough: number;

  constructor(dialect: Dialect, options: EncoderOptions, framing: SubscriberOptions = { sse: true }) {
    this.sentThrough = framing.sentThrough ?? 0;
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    this.stream = pipe.readable;
    this.writer = pipe.writable.getWriter();
    this.encode = createEncoder(dialect, options);
    if (framing.sse) {
      this.write(utf8.encode(`retry: ${RETRY_MS}\n\n`));
      this.heartbeat = setInterval(() => this.write(sseComment("ping")), HEARTBEAT_MS);
    }
  }

  send(event: TurnEvent): void {
    const text = this.encode(event);
    if (text && event.seq > this.sentThrough) this.write(utf8.encode(text));
  }

  /** Ends the stream after everything queued; never rejects. */
  close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.closed) return this.chain;
    this.closed = true;
    return this.enqueue(() => this.writer.close());
  }

  private write(bytes: Uint8Array): void {
    if (this.gone || this.closed) return;
    // Frames that come while a write is in flight leave together in the next one: a burst costs
    // a few writes, not one per token (each is a promise round trip through the stream).
    if (this.queued) {
      this.queued.push(bytes);
      return;
    }
    const frames = [bytes];
    this.queued = frames;
    void this.enqueue(async () => {
      this.queued = null;
      await this.writer.ready;
      await this.writer.write(frames.length === 1 ? frames[0] : concat(frames));
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch(() => {
      this.gone = true;
      clearInterval(this.heartbeat);
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
