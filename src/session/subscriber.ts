/**
 * One client following a turn: a byte stream in that client's dialect (see byte-stream.ts for why
 * a slow or vanished client cannot stall the model or the other subscribers).
 */
import { createEncoder, type Dialect, type Encoder, type EncoderOptions } from "../events/encode";
import { sseComment } from "../events/sse";
import type { TurnEvent } from "../events/types";
import { ByteStream } from "./byte-stream";

const utf8 = new TextEncoder();

/** Tells an EventSource how soon to reconnect after a drop. */
const RETRY_MS = 2_000;

export interface SubscriberOptions {
  /** SSE framing: `retry:` first, then `: ping` comments (with `heartbeatMs`). */
  sse: boolean;
  /**
   * A `: ping` comment this often while the stream is open (`STREAM_HEARTBEAT_MS`): idle proxies
   * cut quiet connections, and a client gone is noticed only when a write to it fails.
   */
  heartbeatMs?: number;
  /** The client went away (the runtime cancelled the stream). */
  onGone?: () => void;
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
  private readonly out: ByteStream;
  private readonly encode: Encoder;
  private heartbeat?: ReturnType<typeof setInterval>;
  private readonly sentThrough: number;

  constructor(dialect: Dialect, options: EncoderOptions, framing: SubscriberOptions = { sse: true }) {
    this.sentThrough = framing.sentThrough ?? 0;
    this.out = new ByteStream(() => {
      clearInterval(this.heartbeat);
      framing.onGone?.();
    });
    this.encode = createEncoder(dialect, options);
    if (framing.sse) this.out.write(utf8.encode(`retry: ${RETRY_MS}\n\n`));
    if (framing.sse && framing.heartbeatMs)
      this.heartbeat = setInterval(() => this.out.write(sseComment("ping")), framing.heartbeatMs);
  }

  get stream(): ReadableStream<Uint8Array> {
    return this.out.stream;
  }

  send(event: TurnEvent): void {
    const text = this.encode(event);
    if (text && event.seq > this.sentThrough) this.out.write(utf8.encode(text));
  }

  /** Ends the stream after everything queued; never rejects. */
  close(): Promise<void> {
    clearInterval(this.heartbeat);
    return this.out.close();
  }
}
